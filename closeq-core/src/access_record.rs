//! Access records: who read which call, transcript, scorecard or
//! recording, and who was handed a signed URL — the access log, a
//! technical log kept 90 days. No personal data: an actor id, an action
//! code, opaque resource ids and a time.

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::id::{UserId, WorkspaceId};
use crate::scope::Scope;

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AccessAction {
    /// A call's record read (its resource: the call).
    CallRead,
    /// A page of calls listed (its resources: the calls on the page).
    CallList,
    /// A call's transcript read (its resource: the call).
    TranscriptRead,
    /// Scorecards read, one or a call's list (their ids), or a
    /// scorecard's review history.
    ScorecardRead,
    /// A recording streamed (its resource: the call).
    AudioRead,
    /// A signed URL to a recording issued (its resource: the call).
    AudioUrlIssued,
}

impl AccessAction {
    /// Every action.
    pub const ALL: [AccessAction; 6] = [
        Self::CallRead,
        Self::CallList,
        Self::TranscriptRead,
        Self::ScorecardRead,
        Self::AudioRead,
        Self::AudioUrlIssued,
    ];

    /// Its code (`call.read`, ...), as stored.
    pub fn code(self) -> &'static str {
        match self {
            Self::CallRead => "call.read",
            Self::CallList => "call.list",
            Self::TranscriptRead => "transcript.read",
            Self::ScorecardRead => "scorecard.read",
            Self::AudioRead => "audio.read",
            Self::AudioUrlIssued => "audio.url_issued",
        }
    }

    /// The action of a stored code.
    ///
    /// Errors: [`Error::InvalidInput`] naming `action` for an unknown code.
    pub fn from_code(code: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.code() == code)
            .ok_or_else(|| Error::invalid("action", "not an access-log action code"))
    }
}

/// The most resource ids one record holds (a list page is at most 1,000
/// calls, [`PageRequest`](crate::ports::PageRequest)).
pub const MAX_ACCESS_RESOURCES: usize = 1_000;

/// The most records one [`append_access`] call takes.
///
/// [`append_access`]: crate::ports::WorkspaceStore::append_access
pub const MAX_ACCESS_BATCH: usize = 10_000;

/// Checks a batch for [`append_access`]: at most [`MAX_ACCESS_BATCH`]
/// records, each [`check_author`](AccessRecord::check_author)ed.
///
/// Errors: [`Error::InvalidInput`] naming `records`, or the first record's
/// error.
///
/// [`append_access`]: crate::ports::WorkspaceStore::append_access
pub fn check_access_batch(scope: &Scope, records: &[AccessRecord]) -> Result<()> {
    if records.len() > MAX_ACCESS_BATCH {
        return Err(Error::invalid("records", "at most 10,000 per append"));
    }
    records.iter().try_for_each(|r| r.check_author(scope))
}

/// One access: who, what, on which resources, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRecord {
    /// Its number in the store (assigned on append; 0 before).
    #[serde(default)]
    pub seq: u64,
    /// The workspace.
    pub workspace_id: WorkspaceId,
    /// When.
    pub at: DateTime<Utc>,
    /// Who: the member whose scope read.
    pub actor: UserId,
    /// What.
    pub action: AccessAction,
    /// The ids read (calls, or scorecards for
    /// [`AccessAction::ScorecardRead`]), in the order returned.
    pub resources: Vec<Uuid>,
}

impl AccessRecord {
    /// A record of `scope` doing `action` on `resources` at `at` (to the
    /// microsecond, as the stores keep times).
    pub fn new(
        scope: &Scope,
        action: AccessAction,
        resources: Vec<Uuid>,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            seq: 0,
            workspace_id: scope.workspace_id,
            at: at.trunc_subsecs(6),
            actor: scope.user_id,
            action,
            resources,
        }
    }

    /// Checks that `scope` may append this record: of its workspace, in
    /// its user's name, with at most [`MAX_ACCESS_RESOURCES`] ids.
    ///
    /// Errors: [`Error::Forbidden`] (action `append_access`) for another
    /// workspace or actor; [`Error::InvalidInput`] naming `resources`.
    pub fn check_author(&self, scope: &Scope) -> Result<()> {
        let refuse = |reason: &'static str| Error::Forbidden {
            action: "append_access".into(),
            reason: reason.into(),
        };
        if self.workspace_id != scope.workspace_id {
            return Err(refuse("the record belongs to another workspace"));
        }
        if self.actor != scope.user_id {
            return Err(refuse("the actor must be the acting user"));
        }
        if self.resources.len() > MAX_ACCESS_RESOURCES {
            return Err(Error::invalid("resources", "at most 1,000 ids per record"));
        }
        Ok(())
    }

    /// The resource ids as stored: 16 bytes each, concatenated.
    pub fn resource_bytes(&self) -> Vec<u8> {
        self.resources.iter().flat_map(|u| *u.as_bytes()).collect()
    }

    /// Resource ids from their stored form.
    ///
    /// Errors: [`Error::Internal`] when the length is not a multiple of 16.
    pub fn resources_from_bytes(bytes: &[u8]) -> Result<Vec<Uuid>> {
        if !bytes.len().is_multiple_of(16) {
            return Err(Error::internal(
                "stored access resources are not 16-byte ids",
            ));
        }
        Ok(bytes
            .chunks_exact(16)
            .map(|c| {
                let mut id = [0u8; 16];
                id.copy_from_slice(c);
                Uuid::from_bytes(id)
            })
            .collect())
    }
}

/// Which access records to list ([`list_access`]), oldest first.
///
/// [`list_access`]: crate::ports::WorkspaceStore::list_access
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AccessQuery {
    /// Only records after this number (keyset pagination; 0 from the start).
    pub after_seq: u64,
    /// At most this many records (1–1,000).
    pub limit: u32,
    /// Only this member's.
    pub actor: Option<UserId>,
    /// Only records naming this resource (a call or scorecard id).
    pub resource: Option<Uuid>,
    /// Only records at or after this time.
    pub since: Option<DateTime<Utc>>,
}

impl AccessQuery {
    /// The first `limit` records.
    pub fn first(limit: u32) -> Self {
        Self {
            limit,
            ..Self::default()
        }
    }

    /// Checks the limit.
    ///
    /// Errors: [`Error::InvalidInput`] naming `limit`.
    pub fn validate(&self) -> Result<()> {
        if !(1..=1_000).contains(&self.limit) {
            return Err(Error::invalid("limit", "must be between 1 and 1,000"));
        }
        Ok(())
    }

    /// Whether `record` matches the filters (the sequence bound aside).
    pub fn matches(&self, record: &AccessRecord) -> bool {
        self.actor.is_none_or(|a| a == record.actor)
            && self.since.is_none_or(|s| record.at >= s)
            && self.resource.is_none_or(|r| record.resources.contains(&r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_resources_pack() {
        for a in AccessAction::ALL {
            assert_eq!(AccessAction::from_code(a.code()).unwrap(), a);
        }
        assert!(AccessAction::from_code("call.write").is_err());
        let ids = vec![Uuid::now_v7(), Uuid::now_v7()];
        let scope = Scope::new(WorkspaceId::new(), UserId::new(), crate::Role::Owner);
        let r = AccessRecord::new(&scope, AccessAction::CallList, ids.clone(), Utc::now());
        assert_eq!(r.resource_bytes().len(), 32);
        assert_eq!(
            AccessRecord::resources_from_bytes(&r.resource_bytes()).unwrap(),
            ids
        );
        assert!(AccessRecord::resources_from_bytes(&[0; 15]).is_err());
        r.check_author(&scope).unwrap();
        let other = Scope::new(scope.workspace_id, UserId::new(), crate::Role::Owner);
        assert!(r.check_author(&other).is_err());
    }
}
