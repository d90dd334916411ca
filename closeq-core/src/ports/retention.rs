use std::fmt::Debug;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::data_category::DataCategory;
use crate::id::{CallId, WorkspaceId};
use crate::workspace::SubscriptionState;

/// Something a retention policy decides about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetentionItem {
    /// Its workspace.
    pub workspace_id: WorkspaceId,
    /// Its data category.
    pub category: DataCategory,
    /// The call it belongs to, if any.
    pub call_id: Option<CallId>,
    /// When it was created (or the call took place).
    pub created_at: DateTime<Utc>,
    /// The workspace's subscription state.
    pub subscription: SubscriptionState,
}

/// What to do with an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum RetentionDecision {
    /// Keep it; reconsider at `until` (or never, when `None`).
    Keep {
        /// The earliest time it may go.
        until: Option<DateTime<Utc>>,
    },
    /// Delete it now.
    Delete,
    /// Irreversibly anonymize it now.
    Anonymize,
}

/// Decides whether an item must go.
///
/// Contract: pure and deterministic in (`item`, `now`); never returns
/// `Delete`/`Anonymize` before the item's deadline (the deadline itself is
/// the first instant at which it may go).
pub trait RetentionPolicy: Debug + Send + Sync {
    /// The decision for `item` at `now`.
    fn decide(&self, item: &RetentionItem, now: DateTime<Utc>) -> RetentionDecision;
}

fn _object_safe(_: Arc<dyn RetentionPolicy>) {}
