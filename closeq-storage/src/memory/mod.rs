//! In-memory stores: for tests, examples and embedders' prototypes. The
//! same access rules as every backend, enforced in code.

mod calls;
mod ingest;
pub(crate) mod jobs;
mod privacy;
mod workspaces;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use closeq_core::ports::{ApiKeyRecord, IntegrationRecord, ReviewRecord};
use closeq_core::{
    Call, CallId, Invitation, InvitationId, Member, Scorecard, ScorecardId, Team, TeamId,
    Transcript, UserId, Workspace, WorkspaceId,
};

use crate::subject_index::SubjectHasher;

#[cfg(any(feature = "store-sqlite", feature = "store-postgres"))]
pub(crate) use calls::check_editable;
pub use jobs::InMemoryJobQueue;

#[derive(Debug, Default)]
struct State {
    workspaces: HashMap<WorkspaceId, Workspace>,
    teams: HashMap<TeamId, Team>,
    members: HashMap<(WorkspaceId, UserId), Member>,
    invitations: HashMap<InvitationId, (Invitation, [u8; 32])>,
    api_keys: HashMap<closeq_core::ApiKeyId, ApiKeyRecord>,
    integrations: HashMap<closeq_core::IntegrationId, IntegrationRecord>,
    calls: HashMap<CallId, Call>,
    transcripts: HashMap<CallId, Transcript>,
    scorecards: HashMap<ScorecardId, Scorecard>,
    /// Scorecards per call in insertion order (the last is the latest).
    card_order: HashMap<CallId, Vec<ScorecardId>>,
    reviews: Vec<ReviewRecord>,
    subjects: HashMap<(WorkspaceId, [u8; 32]), BTreeSet<CallId>>,
    audit: Vec<closeq_core::AuditRecord>,
    requests: HashMap<closeq_core::DataSubjectRequestId, closeq_core::SubjectRequest>,
    subject_flags: HashMap<(WorkspaceId, [u8; 32]), closeq_core::SubjectFlags>,
    consents: HashMap<CallId, closeq_core::ConsentRecord>,
    purge_receipts: Vec<closeq_core::PurgeReceipt>,
    /// The last audit sequence number handed out.
    audit_seq: u64,
    access: Vec<closeq_core::AccessRecord>,
    /// The last access-log sequence number handed out.
    access_seq: u64,
}

/// Calls and workspaces in memory. Cheap to clone (shared state).
#[derive(Debug, Clone)]
pub struct InMemoryStore {
    state: Arc<RwLock<State>>,
    hasher: SubjectHasher,
}

impl State {
    /// Appends `record` to the audit log with the next sequence number
    /// (never reused, as the databases' sequences: expiry removes records,
    /// and a reader pages by `after_seq`).
    fn push_audit(&mut self, record: closeq_core::AuditRecord) -> u64 {
        self.audit_seq += 1;
        let seq = self.audit_seq;
        self.audit.push(closeq_core::AuditRecord { seq, ..record });
        seq
    }
}

impl InMemoryStore {
    /// An empty store indexing subjects with `hasher`.
    pub fn new(hasher: SubjectHasher) -> Self {
        Self {
            state: Arc::new(RwLock::new(State::default())),
            hasher,
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|p| p.into_inner())
    }
}
