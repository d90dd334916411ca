//! The categories of personal and business data CloseQ processes, as the
//! privacy policy names them. Retention rules, the data map and the
//! sub-processor register are all keyed by these.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A category of data.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum DataCategory {
    /// User accounts: names, e-mail addresses, roles.
    Account,
    /// Recorded call audio.
    CallAudio,
    /// Call metadata: times, duration, direction, outcome, rep, team.
    CallMetadata,
    /// The client contact's name, e-mail and phone number.
    ClientContact,
    /// Transcripts of calls.
    Transcript,
    /// AI analysis: scorecards, coaching notes, recommendations, metrics.
    AiAnalysis,
    /// Workspace and team configuration.
    WorkspaceAndTeam,
    /// API keys and integration tokens (stored hashed or sealed).
    Credentials,
    /// Technical logs.
    TechnicalLogs,
    /// Billing records.
    Billing,
}

impl DataCategory {
    /// Every category, in declaration order.
    pub const ALL: [DataCategory; 10] = [
        Self::Account,
        Self::CallAudio,
        Self::CallMetadata,
        Self::ClientContact,
        Self::Transcript,
        Self::AiAnalysis,
        Self::WorkspaceAndTeam,
        Self::Credentials,
        Self::TechnicalLogs,
        Self::Billing,
    ];

    /// The snake_case name used in files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Account => "account",
            Self::CallAudio => "call_audio",
            Self::CallMetadata => "call_metadata",
            Self::ClientContact => "client_contact",
            Self::Transcript => "transcript",
            Self::AiAnalysis => "ai_analysis",
            Self::WorkspaceAndTeam => "workspace_and_team",
            Self::Credentials => "credentials",
            Self::TechnicalLogs => "technical_logs",
            Self::Billing => "billing",
        }
    }
}

impl std::fmt::Display for DataCategory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whose personal data a field or object holds.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum DataSubject {
    /// The customer on the other end of the call.
    ClientContact,
    /// A rep or other user of the workspace.
    User,
    /// The workspace's administrators (as the controller's contacts).
    WorkspaceAdmin,
    /// No natural person (configuration, aggregate figures).
    None,
}
