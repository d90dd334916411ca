//! One step of a call's processing in one transaction: the call locked,
//! every status step checked, then the transcript, the scorecards and the
//! final status written together.

use closeq_core::{Action, Call, CallId, CallStatus, Result, Scope, Scorecard, Transcript};

use super::calls::{call_for_update, write_call, write_scorecard, write_transcript};
use super::{Dialect, SqlStore};
use crate::bundle;

impl<D: Dialect> SqlStore<D> {
    /// [`CallStore::advance_call`](closeq_core::ports::CallStore::advance_call):
    /// nothing is written unless every step is allowed from the one before
    /// (`InvalidTransition`) and every scorecard is the call's and new.
    pub(super) async fn advance(
        &self,
        scope: &Scope,
        id: CallId,
        steps: &[CallStatus],
        transcript: Option<&Transcript>,
        cards: &[Scorecard],
    ) -> Result<Call> {
        if let Some(t) = transcript {
            t.validate()?;
        }
        let mut tx = self.begin("advance_call", scope).await?;
        let mut call = call_for_update(&mut tx, scope, id, Action::UploadCall).await?;
        for next in steps {
            call.transition(next.clone())?;
        }
        bundle::check_cards(&call, cards)?;
        if let Some(t) = transcript {
            write_transcript(&mut tx, id, t).await?;
        }
        for card in cards {
            write_scorecard(&mut tx, card).await?;
        }
        if !steps.is_empty() {
            write_call(&mut tx, &call, false).await?;
        }
        tx.commit().await?;
        Ok(call)
    }
}
