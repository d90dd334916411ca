//! What is left of a workspace after its termination purge: a receipt
//! with a fresh id, when, why and how much went — nothing that names the
//! workspace, its people or its calls.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Why a workspace was purged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PurgeReason {
    /// The owner asked for immediate deletion.
    OwnerRequest,
    /// The subscription ended and the policy's window passed.
    Termination,
}

impl PurgeReason {
    /// The snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::OwnerRequest => "owner_request",
            Self::Termination => "termination",
        }
    }
}

/// The personal-data-free record that a workspace was purged, kept by the
/// store after everything else of the workspace is gone. Its id is fresh
/// (not the workspace's): give it to the customer as their receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurgeReceipt {
    /// A fresh id.
    pub id: Uuid,
    /// When.
    pub purged_at: DateTime<Utc>,
    /// Why.
    pub reason: PurgeReason,
    /// Calls deleted (with their transcripts, scorecards and records).
    pub calls: u64,
    /// Audio objects deleted.
    pub audio_objects: u64,
}

impl PurgeReceipt {
    /// A receipt for a purge at `at`.
    pub fn new(reason: PurgeReason, at: DateTime<Utc>, calls: u64, audio_objects: u64) -> Self {
        Self {
            id: Uuid::now_v7(),
            purged_at: at,
            reason,
            calls,
            audio_objects,
        }
    }
}
