use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::call::{Call, CallOutcome, CallStatus};
use crate::error::{Error, Result};
use std::collections::BTreeMap;

use crate::id::{CallId, ScorecardId, TeamId, UserId};
use crate::rubric::RubricKey;
use crate::scope::Scope;
use crate::scorecard::{ReviewState, Scorecard};
use crate::subject::Subject;
use crate::transcript::Transcript;

/// Filters for [`CallStore::list_calls`]. Every field narrows the result.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CallFilter {
    /// Only this rep's calls.
    pub rep_id: Option<UserId>,
    /// Only this team's calls.
    pub team_id: Option<TeamId>,
    /// Calls started at or after.
    pub started_from: Option<DateTime<Utc>>,
    /// Calls started before.
    pub started_before: Option<DateTime<Utc>>,
    /// Only calls in this state (by [`CallStatus::name`]).
    pub status: Option<String>,
    /// Only calls with this outcome.
    pub outcome: Option<CallOutcome>,
    /// Latest score after review at least (a call whose latest scorecard
    /// was rejected has no score).
    pub min_score: Option<f64>,
    /// Latest score after review at most.
    pub max_score: Option<f64>,
    /// Only calls scored against this rubric.
    pub rubric: Option<RubricKey>,
}

/// A call with its scorecards, oldest first (empty: not scored yet), as
/// [`CallStore::scored_calls`] reads them. A call scored against several
/// rubrics, or by several scorers, or rescored, holds several.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredCall {
    /// The call.
    pub call: Call,
    /// Its scorecards, in the order they were stored (the last is its
    /// latest).
    pub scorecards: Vec<Scorecard>,
}

/// The most calls one [`CallStore::scored_calls`] read returns.
pub const MAX_SCORED_CALLS: u32 = 200_000;

/// Checks a [`CallStore::scored_calls`] limit.
pub fn check_scored_limit(limit: u32) -> Result<()> {
    if !(1..=MAX_SCORED_CALLS).contains(&limit) {
        return Err(Error::invalid(
            "limit",
            format!("must be between 1 and {MAX_SCORED_CALLS}"),
        ));
    }
    Ok(())
}

/// An opaque keyset-pagination cursor. Stable under concurrent inserts:
/// pages are ordered by `(started_at DESC, id DESC)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Cursor(pub String);

/// A call's place in start order, `(started_at, id)`: the keyset position
/// of [`CallStore::calls_started_before`] and of a retention sweep's
/// checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct StartKey {
    /// When the call started.
    pub started_at: DateTime<Utc>,
    /// The call.
    pub id: CallId,
}

/// Which page to read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRequest {
    /// At most this many items (1–1000).
    pub limit: u32,
    /// Continue after this cursor.
    pub after: Option<Cursor>,
}

impl PageRequest {
    /// The first page of `limit` items.
    pub fn first(limit: u32) -> Self {
        Self { limit, after: None }
    }

    /// Checks the limit.
    pub fn validate(&self) -> Result<()> {
        if !(1..=1000).contains(&self.limit) {
            return Err(Error::invalid("limit", "must be between 1 and 1000"));
        }
        Ok(())
    }
}

/// One page of results.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// The cursor for the next page, `None` on the last page.
    pub next: Option<Cursor>,
}

/// What to group a dashboard aggregate by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// Per rep.
    Rep,
    /// Per team (calls without a team are grouped under no key).
    Team,
}

/// A dashboard aggregate over calls started in `[from, to)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AggregateQuery {
    /// Grouping.
    pub group_by: GroupBy,
    /// Start of the range (inclusive).
    pub from: DateTime<Utc>,
    /// End of the range (exclusive).
    pub to: DateTime<Utc>,
}

/// One group of an aggregate. Scores and rates use each call's latest
/// scorecard *as reviewed* (EU AI Act Art. 14): a reviewer's override
/// replaces the AI's score and verdicts, a rejected card counts for
/// nothing but [`rejected_calls`](Self::rejected_calls), and
/// [`unreviewed_calls`](Self::unreviewed_calls) says how much of the
/// result is still unreviewed AI suggestion. `None` when no call in the
/// group is scored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AggregateRow {
    /// The rep or team id (`None`: calls without a team).
    pub key: Option<String>,
    /// Calls in the range.
    pub calls: u64,
    /// Of which scored: the latest scorecard is not rejected.
    pub scored_calls: u64,
    /// Of the scored calls, those whose latest scorecard nobody has
    /// reviewed yet (their score is the AI's suggestion).
    #[serde(default)]
    pub unreviewed_calls: u64,
    /// Calls whose latest scorecard a reviewer rejected (not scored).
    #[serde(default)]
    pub rejected_calls: u64,
    /// Mean score after review ([`Scorecard::effective_score`]).
    pub avg_score: Option<f64>,
    /// Mean rep talk ratio (0–1) of scored calls.
    pub avg_rep_talk_ratio: Option<f64>,
    /// Per criterion: share of scored calls (where it applied) whose latest
    /// scorecard has it met after review
    /// ([`Scorecard::effective_verdicts`]); partial counts half.
    pub criterion_hit_rate: BTreeMap<String, f64>,
}

/// A new call with everything written with it, for [`CallStore::ingest`].
#[derive(Debug, Clone, PartialEq)]
pub struct CallBundle {
    /// The call.
    pub call: Call,
    /// Its transcript.
    pub transcript: Option<Transcript>,
    /// Its scorecards (AI suggestions: review state `suggested`).
    pub scorecards: Vec<Scorecard>,
    /// Its recording-consent record.
    pub consent: Option<crate::ConsentRecord>,
}

impl CallBundle {
    /// A bundle holding only `call`.
    pub fn new(call: Call) -> Self {
        Self {
            call,
            transcript: None,
            scorecards: Vec::new(),
            consent: None,
        }
    }
}

/// A recorded review event (the scorecard's review history).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewRecord {
    /// The scorecard.
    pub scorecard_id: ScorecardId,
    /// The state it moved to.
    pub state: ReviewState,
}

/// Calls, their transcripts and scorecards, per workspace.
///
/// Contract, for every backend:
/// - every method takes the acting [`Scope`] and applies
///   [`access::permits`](crate::access::permits): an invisible resource is
///   reported as [`Error::NotFound`], exactly like a missing one; a visible
///   one the action is not allowed on gives [`Error::Forbidden`];
/// - inserting an existing id gives [`Error::AlreadyExists`];
/// - a call holds at most one scorecard per (rubric id, rubric version,
///   scorer name): another gives [`Error::AlreadyExists`];
/// - scorecards enter the store only as unreviewed suggestions
///   ([`Scorecard::check_suggested`]; another state is `InvalidInput`
///   naming `review`), from a scope that may upload the call
///   (`upload_call`), through [`insert_scorecard`](Self::insert_scorecard),
///   [`ingest`](Self::ingest) or [`advance_call`](Self::advance_call);
///   their review state changes only through
///   [`save_review`](Self::save_review), and review history is append-only;
/// - deleting something missing succeeds (idempotent);
/// - timestamps come back in UTC, text byte-for-byte (any Unicode);
/// - listing is keyset-paginated and stable under concurrent inserts.
#[async_trait]
pub trait CallStore: Debug + Send + Sync {
    /// Stores a new call (action `upload_call` for its rep and team).
    async fn insert_call(&self, scope: &Scope, call: &Call) -> Result<()>;

    /// Reads a call.
    async fn get_call(&self, scope: &Scope, id: CallId) -> Result<Call>;

    /// Moves a call's status along its lifecycle
    /// ([`CallStatus::can_become`]), atomically; returns the updated call.
    async fn transition_call(&self, scope: &Scope, id: CallId, next: CallStatus) -> Result<Call>;

    /// Lists visible calls, newest first.
    async fn list_calls(
        &self,
        scope: &Scope,
        filter: &CallFilter,
        page: &PageRequest,
    ) -> Result<Page<Call>>;

    /// Deletes a call with its transcript and scorecards (idempotent).
    async fn delete_call(&self, scope: &Scope, id: CallId) -> Result<()>;

    /// Stores (or replaces) a call's transcript.
    async fn put_transcript(
        &self,
        scope: &Scope,
        call: CallId,
        transcript: &Transcript,
    ) -> Result<()>;

    /// Reads a call's transcript.
    async fn get_transcript(&self, scope: &Scope, call: CallId) -> Result<Transcript>;

    /// Stores a new scorecard for its call, as its latest; the call must not
    /// hold one of the same rubric id, rubric version and scorer
    /// ([`Error::AlreadyExists`]). Requires action `upload_call` on the
    /// call (viewing it is not enough), and the card must be an unreviewed
    /// suggestion ([`Scorecard::check_suggested`], else `InvalidInput`
    /// naming `review`).
    async fn insert_scorecard(&self, scope: &Scope, scorecard: &Scorecard) -> Result<()>;

    /// Reads a scorecard.
    async fn get_scorecard(&self, scope: &Scope, id: ScorecardId) -> Result<Scorecard>;

    /// A call's scorecards, oldest first.
    async fn list_scorecards(&self, scope: &Scope, call: CallId) -> Result<Vec<Scorecard>>;

    /// Stores a reviewed scorecard (after [`Scorecard::accept`] and friends);
    /// requires action `review_scorecard` (never on one's own call: four
    /// eyes); the reviewer named in the review must be the acting user
    /// (`Forbidden` otherwise); the previous state must be `suggested` in
    /// the store, otherwise [`Error::Conflict`]. Only the caller's review is
    /// taken, replayed on the stored card through
    /// [`Scorecard::apply_review`] (its rules give `InvalidInput`); every
    /// other field of `scorecard` is ignored. Appends one event to the
    /// review history and updates the dashboards.
    async fn save_review(&self, scope: &Scope, scorecard: &Scorecard) -> Result<()>;

    /// Replaces a scorecard's free text — coaching notes, recommendations,
    /// issue texts, rationales, evidence quotes, a review's reason — and
    /// nothing else: every other field must equal the stored scorecard's,
    /// otherwise `InvalidInput` naming `scorecard`. For redaction only
    /// (erasure of a person mentioned in the text): requires action
    /// `run_data_subject_requests` (owners and admins; `Forbidden` for
    /// anyone else who sees the call), so the reviewed rep cannot rewrite
    /// the reviewer's reason or the evidence. The review history keeps
    /// every event: only the reason text of the events carrying the
    /// stored review is redacted the same way; no event is added,
    /// removed or changed otherwise.
    async fn update_scorecard_text(&self, scope: &Scope, scorecard: &Scorecard) -> Result<()>;

    /// The review history of a scorecard, oldest first.
    async fn review_history(&self, scope: &Scope, id: ScorecardId) -> Result<Vec<ReviewRecord>>;

    /// Replaces a call's editable fields (client contact, comments, outcome,
    /// call type, team); identity, workspace, rep and status cannot change
    /// here (`InvalidInput`). Requires action `upload_call`.
    async fn update_call(&self, scope: &Scope, call: &Call) -> Result<()>;

    /// Per-rep or per-team aggregates for dashboards, over visible calls,
    /// with reviewed results (see [`AggregateRow`]).
    async fn aggregate(&self, scope: &Scope, query: &AggregateQuery) -> Result<Vec<AggregateRow>>;

    /// Every visible call holding `subject` (as client e-mail, client phone,
    /// or rep), found through the keyed-hash subject index, never a scan of
    /// plaintext. Requires action `run_data_subject_requests`.
    async fn find_calls_by_subject(&self, scope: &Scope, subject: &Subject) -> Result<Vec<CallId>>;

    /// Visible calls started before `before`, ordered by `(started_at,
    /// id)`, strictly after `after` when given, at most `limit`: keyset
    /// pages for retention, each read in time proportional to its size
    /// (the position survives the deletion of the call it names).
    async fn calls_started_before(
        &self,
        scope: &Scope,
        before: DateTime<Utc>,
        after: Option<&StartKey>,
        limit: u32,
    ) -> Result<Vec<StartKey>>;

    /// Irreversibly anonymizes a call in one transaction: the client
    /// contact and rep comments are cleared, the transcript is deleted, the
    /// scorecards' quotes, rationales and notes are removed (verdicts and
    /// scores stay), and the call leaves the subject index. Idempotent.
    async fn anonymize_call(&self, scope: &Scope, id: CallId) -> Result<()>;

    /// Moves every call of the scope's workspace whose rep is `from` to
    /// the rep `to`, in one transaction, and returns how many calls moved.
    /// For the erasure of a member (GDPR Art. 17): `to` is a fresh
    /// tombstone id, so the dashboards keep the calls' figures (grouped
    /// under the tombstone) without linking them to the person. The calls'
    /// transcripts, scorecards, verdicts and subject-index entries move
    /// with them (the index then names the tombstone, not `from`); nothing
    /// else of the calls changes. Idempotent: a second run moves nothing.
    ///
    /// Requires action `run_data_subject_requests` (owners and admins;
    /// `Forbidden` otherwise). Errors: `InvalidInput` naming `to` when `to`
    /// equals `from` or is a member of the workspace (a tombstone is
    /// nobody).
    async fn reassign_rep(&self, scope: &Scope, from: UserId, to: UserId) -> Result<u32>;

    /// Stores new calls with their transcripts, scorecards and consent.
    ///
    /// A bundle's scorecards are stored in order (the last is the call's
    /// latest). The stores of `closeq-storage` write the whole batch
    /// atomically: all or nothing. This provided default writes each
    /// call's parts one after another (a failure can leave earlier parts
    /// written) and cannot store consent: a bundle carrying consent gives
    /// [`Error::Unsupported`] before anything is written; write consent through
    /// [`PrivacyStore::put_consent`](crate::ports::PrivacyStore::put_consent)
    /// instead. Override it for atomic writes.
    async fn ingest(&self, scope: &Scope, batch: &[CallBundle]) -> Result<()> {
        if batch.iter().any(|b| b.consent.is_some()) {
            return Err(Error::Unsupported {
                what: "consent records in CallStore::ingest (this store writes them through PrivacyStore::put_consent)".into(),
            });
        }
        for b in batch {
            self.insert_call(scope, &b.call).await?;
            if let Some(t) = &b.transcript {
                self.put_transcript(scope, b.call.id, t).await?;
            }
            for card in &b.scorecards {
                self.insert_scorecard(scope, card).await?;
            }
        }
        Ok(())
    }

    /// One step of a call's processing: stores `transcript` (when given)
    /// and `scorecards`, and moves the call through `steps`, each allowed
    /// from the one before ([`CallStatus::can_become`]); returns the
    /// updated call. A step not allowed gives [`Error::InvalidTransition`]
    /// before anything is written. The stores of `closeq-storage` do it
    /// atomically, so the status and what it promises are written together
    /// or not at all; this provided default writes the transcript and
    /// scorecards first and the status last, so a failure leaves the call
    /// in its previous status.
    async fn advance_call(
        &self,
        scope: &Scope,
        id: CallId,
        steps: &[CallStatus],
        transcript: Option<&Transcript>,
        scorecards: &[Scorecard],
    ) -> Result<Call> {
        let mut call = self.get_call(scope, id).await?;
        let mut at = call.status().clone();
        for next in steps {
            if !at.can_become(next) {
                return Err(Error::InvalidTransition {
                    resource: "call",
                    from: at.name().into(),
                    to: next.name().into(),
                });
            }
            at = next.clone();
        }
        if let Some(t) = transcript {
            self.put_transcript(scope, id, t).await?;
        }
        for card in scorecards {
            self.insert_scorecard(scope, card).await?;
        }
        for next in steps {
            call = self.transition_call(scope, id, next.clone()).await?;
        }
        Ok(call)
    }

    /// Every visible call matching `filter`, oldest first, each with its
    /// scorecards: what a report over many calls reads. At most
    /// `limit` calls (1–[`MAX_SCORED_CALLS`]; else `InvalidInput` naming
    /// `limit`), the oldest ones when more match. The stores of
    /// `closeq-storage` read it in two queries; this provided default pages
    /// through [`list_calls`](Self::list_calls) and reads each call's
    /// scorecards.
    async fn scored_calls(
        &self,
        scope: &Scope,
        filter: &CallFilter,
        limit: u32,
    ) -> Result<Vec<ScoredCall>> {
        check_scored_limit(limit)?;
        let mut calls = Vec::new();
        let mut page = PageRequest::first(1000);
        loop {
            let got = self.list_calls(scope, filter, &page).await?;
            calls.extend(got.items);
            match got.next {
                Some(next) => page.after = Some(next),
                None => break,
            }
        }
        calls.reverse();
        calls.truncate(limit as usize);
        let mut out = Vec::with_capacity(calls.len());
        for call in calls {
            let scorecards = self.list_scorecards(scope, call.id).await?;
            out.push(ScoredCall { call, scorecards });
        }
        Ok(out)
    }

    /// After an erasure: makes sure no copy of deleted data survives in
    /// the store's own files (SQLite folds its write-ahead log into the
    /// database and truncates it). The default does nothing: stores
    /// without such copies need nothing, and PostgreSQL keeps old row
    /// versions until VACUUM, which its owner runs.
    async fn checkpoint_erasure(&self) -> Result<()> {
        Ok(())
    }
}

fn _object_safe(_: Arc<dyn CallStore>) {}
