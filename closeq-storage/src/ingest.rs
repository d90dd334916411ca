//! Batch ingest: many calls with their transcripts and scorecards in one
//! transaction (all or nothing); see `SqlStore::ingest`.

use closeq_core::{Call, ConsentRecord, Scorecard, Transcript};

/// A call with what was produced for it.
#[derive(Debug, Clone)]
pub struct CallBundle {
    /// The call.
    pub call: Call,
    /// Its transcript.
    pub transcript: Option<Transcript>,
    /// Its scorecard.
    pub scorecard: Option<Scorecard>,
    /// Its recording-consent record.
    pub consent: Option<ConsentRecord>,
}
