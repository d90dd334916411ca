//! Calls and their processing lifecycle.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::contact::{EmailAddress, PhoneNumber};
use crate::error::{Error, Result};
use crate::id::{ApiKeyId, CallId, IntegrationId, TeamId, UserId, WorkspaceId};
use crate::sensitive::Sensitive;

/// Longest call accepted: 12 hours.
pub const MAX_CALL_DURATION_MS: u64 = 12 * 60 * 60 * 1000;

/// A recorded sales call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Call {
    /// Its id.
    pub id: CallId,
    /// The workspace it belongs to.
    pub workspace_id: WorkspaceId,
    /// The rep who made or took the call.
    pub rep_id: UserId,
    /// The rep's team at the time of the call.
    #[serde(default)]
    pub team_id: Option<TeamId>,
    /// Who was on the other end.
    #[serde(default)]
    pub client: ClientContact,
    /// When the call started.
    pub started_at: DateTime<Utc>,
    /// Length in milliseconds, once known (1 ms to 12 h).
    #[serde(default)]
    pub duration_ms: Option<u64>,
    /// Who called whom.
    pub direction: CallDirection,
    /// How it ended, commercially.
    #[serde(default)]
    pub outcome: CallOutcome,
    /// The kind of call (`discovery`, `demo`, ...), matched against the
    /// call types a rubric applies to.
    #[serde(default)]
    pub call_type: Option<String>,
    /// How it reached CloseQ.
    pub source: CallSource,
    /// The stored recording, if any.
    #[serde(default)]
    pub audio: Option<AudioRef>,
    /// How the recording's channels map to speakers.
    #[serde(default)]
    pub channels: ChannelLayout,
    /// The rep's own notes on the call (personal data).
    #[serde(default)]
    pub rep_comments: Option<Sensitive<String>>,
    /// Where processing stands: read with [`Call::status`], changed only
    /// by [`Call::transition`], so every change follows the lifecycle.
    status: CallStatus,
    /// When CloseQ received it.
    pub created_at: DateTime<Utc>,
}

impl Call {
    /// A new call in status [`CallStatus::Uploaded`].
    pub fn new(
        workspace_id: WorkspaceId,
        rep_id: UserId,
        started_at: DateTime<Utc>,
        direction: CallDirection,
        source: CallSource,
        created_at: DateTime<Utc>,
    ) -> Self {
        Self {
            id: CallId::new(),
            workspace_id,
            rep_id,
            team_id: None,
            client: ClientContact::default(),
            started_at,
            duration_ms: None,
            direction,
            outcome: CallOutcome::Unknown,
            call_type: None,
            source,
            audio: None,
            channels: ChannelLayout::Mono,
            rep_comments: None,
            status: CallStatus::Uploaded,
            created_at,
        }
    }

    /// Checks every field; the error names the first bad one.
    pub fn validate(&self) -> Result<()> {
        if let Some(d) = self.duration_ms
            && (d == 0 || d > MAX_CALL_DURATION_MS)
        {
            return Err(Error::invalid(
                "duration_ms",
                "must be between 1 ms and 12 h",
            ));
        }
        if let Some(t) = &self.call_type {
            crate::validate::slug("call_type", t)?;
        }
        if let Some(c) = &self.rep_comments {
            crate::validate::text("rep_comments", c, 0, 20_000)?;
        }
        self.client.validate().map_err(|e| e.in_field("client"))?;
        if let Some(a) = &self.audio {
            a.validate().map_err(|e| e.in_field("audio"))?;
        }
        self.channels
            .validate()
            .map_err(|e| e.in_field("channels"))?;
        if let CallStatus::Failed { reason, .. } = &self.status {
            crate::validate::text("reason", reason, 1, 500).map_err(|e| e.in_field("status"))?;
        }
        Ok(())
    }

    /// Where processing stands.
    pub fn status(&self) -> &CallStatus {
        &self.status
    }

    /// Moves the call to `next`, if the lifecycle allows it (see
    /// [`CallStatus::can_become`]); otherwise the status is unchanged and
    /// [`Error::InvalidTransition`] is returned.
    pub fn transition(&mut self, next: CallStatus) -> Result<()> {
        if !self.status.can_become(&next) {
            return Err(Error::InvalidTransition {
                resource: "call",
                from: self.status.name().into(),
                to: next.name().into(),
            });
        }
        self.status = next;
        Ok(())
    }
}

/// The client contact on a call. Every field is optional personal data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientContact {
    /// Name.
    #[serde(default)]
    pub name: Option<Sensitive<String>>,
    /// E-mail address.
    #[serde(default)]
    pub email: Option<EmailAddress>,
    /// Phone number.
    #[serde(default)]
    pub phone: Option<PhoneNumber>,
}

impl ClientContact {
    /// Checks every field.
    pub fn validate(&self) -> Result<()> {
        if let Some(n) = &self.name {
            crate::validate::text("name", n, 1, 200)?;
        }
        Ok(())
    }

    /// Whether no contact detail is known.
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.email.is_none() && self.phone.is_none()
    }
}

/// Who called whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallDirection {
    /// The client called in.
    Inbound,
    /// The rep called out.
    Outbound,
}

/// The commercial outcome of a call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallOutcome {
    /// Not recorded.
    #[default]
    Unknown,
    /// A deal was won.
    Won,
    /// The opportunity was lost.
    Lost,
    /// A next meeting or step was booked.
    NextStepBooked,
    /// The call ended without a decision.
    NoDecision,
    /// Nobody answered / voicemail.
    NoConnect,
}

/// How a call reached CloseQ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum CallSource {
    /// Uploaded by a user.
    Upload,
    /// Synced from a connected dialer or CRM.
    Integration {
        /// The integration.
        integration_id: IntegrationId,
    },
    /// Pushed through the ingestion API.
    Api {
        /// The key that authenticated the push.
        api_key_id: ApiKeyId,
    },
}

/// Where a call's recording is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AudioRef {
    /// The object key inside the workspace's namespace of the audio store.
    pub key: String,
    /// MIME type (`audio/wav`, `audio/mpeg`, ...).
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: u64,
    /// Hex SHA-256 of the bytes, when known.
    #[serde(default)]
    pub sha256: Option<String>,
}

impl AudioRef {
    /// Checks every field.
    pub fn validate(&self) -> Result<()> {
        let key_ok = !self.key.is_empty()
            && self.key.len() <= 512
            && !self.key.starts_with('/')
            && !self
                .key
                .split('/')
                .any(|p| p.is_empty() || p == "." || p == "..")
            && self
                .key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b));
        if !key_ok {
            return Err(Error::invalid(
                "key",
                "must be a relative path of [A-Za-z0-9-_.] segments, at most 512 bytes",
            ));
        }
        if !self.content_type.starts_with("audio/") && !self.content_type.starts_with("video/") {
            return Err(Error::invalid(
                "content_type",
                "must be an audio/* or video/* MIME type",
            ));
        }
        if self.size_bytes == 0 {
            return Err(Error::invalid("size_bytes", "must be positive"));
        }
        if let Some(h) = &self.sha256
            && (h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            return Err(Error::invalid("sha256", "must be 64 hex digits"));
        }
        Ok(())
    }
}

/// How a recording's channels map to speakers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", tag = "layout")]
pub enum ChannelLayout {
    /// One channel with every speaker mixed.
    #[default]
    Mono,
    /// Two channels, one per side.
    Stereo {
        /// The rep's channel: 0 or 1.
        rep_channel: u8,
    },
}

impl ChannelLayout {
    /// Checks the channel index.
    pub fn validate(&self) -> Result<()> {
        match self {
            Self::Stereo { rep_channel } if *rep_channel > 1 => {
                Err(Error::invalid("rep_channel", "must be 0 or 1"))
            }
            _ => Ok(()),
        }
    }
}

/// The processing stage a failure happened in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProcessingStage {
    /// Speech-to-text.
    Transcription,
    /// Metrics and scoring.
    Analysis,
}

/// Where a call's processing stands.
///
/// ```text
/// Uploaded → Transcribing → Transcribed → Analyzing → Analyzed
///    │            │              │            │           │
///    └────────────┴──── Failed ──┴────────────┘           └→ Analyzing (re-score)
/// Failed{retryable} → Transcribing (stage transcription) | Analyzing (stage analysis)
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum CallStatus {
    /// Received; audio stored, nothing processed yet.
    Uploaded,
    /// Speech-to-text running.
    Transcribing,
    /// A transcript exists.
    Transcribed,
    /// Metrics and scoring running.
    Analyzing,
    /// A scorecard exists.
    Analyzed,
    /// Processing failed.
    Failed {
        /// The stage that failed.
        stage: ProcessingStage,
        /// Why (no personal data; 1–500 characters).
        reason: String,
        /// Whether trying again may help.
        retryable: bool,
    },
}

impl CallStatus {
    /// The snake_case name of the state.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Uploaded => "uploaded",
            Self::Transcribing => "transcribing",
            Self::Transcribed => "transcribed",
            Self::Analyzing => "analyzing",
            Self::Analyzed => "analyzed",
            Self::Failed { .. } => "failed",
        }
    }

    /// Whether `self → next` is a legal step of the lifecycle:
    /// the happy path one step at a time; any unfinished stage may fail (with
    /// the stage it was in: uploaded and transcribing fail in transcription,
    /// transcribed and analyzing in analysis); a retryable failure resumes at
    /// its stage; an analyzed call may be re-analysed.
    pub fn can_become(&self, next: &CallStatus) -> bool {
        use CallStatus::*;
        use ProcessingStage::*;
        match (self, next) {
            (Uploaded, Transcribing)
            | (Transcribing, Transcribed)
            | (Transcribed, Analyzing)
            | (Analyzing, Analyzed)
            | (Analyzed, Analyzing) => true,
            (Uploaded | Transcribing, Failed { stage, .. }) => *stage == Transcription,
            (Transcribed | Analyzing, Failed { stage, .. }) => *stage == Analysis,
            (
                Failed {
                    stage: Transcription,
                    retryable: true,
                    ..
                },
                Transcribing,
            ) => true,
            (
                Failed {
                    stage: Analysis,
                    retryable: true,
                    ..
                },
                Analyzing,
            ) => true,
            _ => false,
        }
    }
}

#[cfg(test)]
#[allow(clippy::type_complexity)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn call() -> Call {
        let t = Utc.with_ymd_and_hms(2026, 5, 4, 14, 0, 0).unwrap();
        let mut c = Call::new(
            WorkspaceId::new(),
            UserId::new(),
            t,
            CallDirection::Outbound,
            CallSource::Upload,
            t,
        );
        c.client = ClientContact {
            name: Some("Pat Client".into()),
            email: Some(EmailAddress::parse("pat@client.example").unwrap()),
            phone: Some(PhoneNumber::parse("+1 555 010 9999").unwrap()),
        };
        c.duration_ms = Some(90_000);
        c.audio = Some(AudioRef {
            key: "calls/2026/abc.wav".into(),
            content_type: "audio/wav".into(),
            size_bytes: 1000,
            sha256: None,
        });
        c.channels = ChannelLayout::Stereo { rep_channel: 0 };
        c
    }

    fn failed(stage: ProcessingStage, retryable: bool) -> CallStatus {
        CallStatus::Failed {
            stage,
            reason: "x".into(),
            retryable,
        }
    }

    #[test]
    fn round_trip_and_redacted_debug() {
        let c = call();
        c.validate().unwrap();
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<Call>(&json).unwrap(), c);
        let dbg = format!("{c:?}");
        // Whole values: random ids are hex and may hold "555" by chance.
        for pii in ["Pat Client", "pat@", "555 010", "5550109999", "+1 555"] {
            assert!(!dbg.contains(pii), "{pii} leaked: {dbg}");
        }
    }

    #[test]
    fn every_bad_field_is_named() {
        let cases: Vec<(Box<dyn Fn(&mut Call)>, &str)> = vec![
            (Box::new(|c| c.duration_ms = Some(0)), "duration_ms"),
            (
                Box::new(|c| c.duration_ms = Some(MAX_CALL_DURATION_MS + 1)),
                "duration_ms",
            ),
            (
                Box::new(|c| c.call_type = Some("Demo Call".into())),
                "call_type",
            ),
            (Box::new(|c| c.client.name = Some("".into())), "client.name"),
            (
                Box::new(|c| c.audio.as_mut().unwrap().key = "../etc/passwd".into()),
                "audio.key",
            ),
            (
                Box::new(|c| c.audio.as_mut().unwrap().content_type = "text/html".into()),
                "audio.content_type",
            ),
            (
                Box::new(|c| c.audio.as_mut().unwrap().size_bytes = 0),
                "audio.size_bytes",
            ),
            (
                Box::new(|c| c.audio.as_mut().unwrap().sha256 = Some("zz".into())),
                "audio.sha256",
            ),
            (
                Box::new(|c| c.channels = ChannelLayout::Stereo { rep_channel: 2 }),
                "channels.rep_channel",
            ),
            (
                Box::new(|c| {
                    c.status = CallStatus::Failed {
                        stage: ProcessingStage::Analysis,
                        reason: String::new(),
                        retryable: false,
                    }
                }),
                "status.reason",
            ),
        ];
        for (mutate, field) in cases {
            let mut c = call();
            mutate(&mut c);
            assert_eq!(c.validate().unwrap_err().field(), Some(field));
        }
        // Bad contact details are refused while deserializing.
        let mut v = serde_json::to_value(call()).unwrap();
        v["client"]["email"] = "nope".into();
        assert!(serde_json::from_value::<Call>(v).is_err());
    }

    #[test]
    fn lifecycle_table() {
        use CallStatus::*;
        use ProcessingStage::*;
        let states = [
            Uploaded,
            Transcribing,
            Transcribed,
            Analyzing,
            Analyzed,
            failed(Transcription, true),
            failed(Transcription, false),
            failed(Analysis, true),
            failed(Analysis, false),
        ];
        // The legal (from, to) pairs, by index into `states`.
        let legal = [
            (0, 1),
            (1, 2),
            (2, 3),
            (3, 4),
            (4, 3),
            (0, 5),
            (0, 6),
            (1, 5),
            (1, 6),
            (2, 7),
            (2, 8),
            (3, 7),
            (3, 8),
            (5, 1),
            (7, 3),
        ];
        for (i, from) in states.iter().enumerate() {
            for (j, to) in states.iter().enumerate() {
                assert_eq!(
                    from.can_become(to),
                    legal.contains(&(i, j)),
                    "{from:?} -> {to:?}"
                );
            }
        }
        let mut c = call();
        c.transition(Transcribing).unwrap();
        let err = c.transition(Analyzed).unwrap_err();
        assert_eq!(
            err.to_string(),
            "call cannot go from transcribing to analyzed"
        );
        assert_eq!(c.status, Transcribing);
    }
}
