//! Data-subject access and portability (GDPR Art. 15 and 20): everything
//! about one subject, as versioned JSON and as CSV (one file per entity),
//! leaving out other people's data where it can be separated — a client
//! gets the calls they were on and only their own utterances; a rep gets
//! their calls, their own utterances and the scorecards about them.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use closeq_core::ports::CallStore;
use closeq_core::{Call, Error, Result, Scope, Scorecard, SpeakerRole, Subject};
use serde::Serialize;

/// The export format's version.
pub const EXPORT_VERSION: u32 = 1;

/// One exported utterance. `Debug` omits the text.
#[derive(Clone, Serialize)]
pub struct ExportedUtterance {
    /// The call.
    pub call_id: String,
    /// Start, ms.
    pub start_ms: u64,
    /// End, ms.
    pub end_ms: u64,
    /// What the subject said.
    pub text: String,
}

/// Everything about one subject. `Debug` shows counts only.
#[derive(Clone, Serialize)]
pub struct SubjectExport {
    /// Format version.
    pub version: u32,
    /// The calls (metadata and the subject's own contact details).
    pub calls: Vec<Call>,
    /// The subject's own utterances.
    pub utterances: Vec<ExportedUtterance>,
    /// Scorecards about the subject (reps only).
    pub scorecards: Vec<Scorecard>,
}

impl std::fmt::Debug for ExportedUtterance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportedUtterance")
            .field("call_id", &self.call_id)
            .field("start_ms", &self.start_ms)
            .field("end_ms", &self.end_ms)
            .field("text", &"<redacted>")
            .finish()
    }
}

impl std::fmt::Debug for SubjectExport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubjectExport")
            .field("version", &self.version)
            .field("calls", &self.calls.len())
            .field("utterances", &self.utterances.len())
            .field("scorecards", &self.scorecards.len())
            .finish()
    }
}

/// Collects the export. Requires the data-subject-request permission.
pub async fn export_subject(
    calls: &dyn CallStore,
    scope: &Scope,
    subject: &Subject,
) -> Result<SubjectExport> {
    let ids = calls.find_calls_by_subject(scope, subject).await?;
    let mut out = SubjectExport {
        version: EXPORT_VERSION,
        calls: Vec::new(),
        utterances: Vec::new(),
        scorecards: Vec::new(),
    };
    let own_side = match subject {
        Subject::User(_) => SpeakerRole::Rep,
        Subject::Email(_) | Subject::Phone(_) => SpeakerRole::Client,
    };
    for id in ids {
        let call = calls.get_call(scope, id).await?;
        match calls.get_transcript(scope, id).await {
            Ok(t) => {
                for u in &t.utterances {
                    if t.role_of(u.speaker) == own_side {
                        out.utterances.push(ExportedUtterance {
                            call_id: id.to_string(),
                            start_ms: u.start_ms,
                            end_ms: u.end_ms,
                            text: u.text.expose().clone(),
                        });
                    }
                }
            }
            Err(Error::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
        if matches!(subject, Subject::User(_)) {
            out.scorecards
                .extend(calls.list_scorecards(scope, id).await?);
        }
        let mut call = call;
        if matches!(subject, Subject::User(_)) {
            // A rep's export does not carry the clients' contact details.
            call.client = Default::default();
        }
        out.calls.push(call);
    }
    Ok(out)
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

impl SubjectExport {
    /// The export as versioned JSON.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    /// The export as CSV files (name → content), one per entity.
    pub fn to_csv(&self) -> BTreeMap<&'static str, String> {
        let mut calls = String::from(
            "call_id,started_at,duration_ms,direction,outcome,client_name,client_email,client_phone\n",
        );
        for c in &self.calls {
            let _ = writeln!(
                calls,
                "{},{},{},{:?},{:?},{},{},{}",
                c.id,
                c.started_at.to_rfc3339(),
                c.duration_ms.map(|d| d.to_string()).unwrap_or_default(),
                c.direction,
                c.outcome,
                csv_field(c.client.name.as_ref().map_or("", |n| n.as_str())),
                csv_field(c.client.email.as_ref().map_or("", |e| e.as_str())),
                csv_field(c.client.phone.as_ref().map_or("", |p| p.as_str())),
            );
        }
        let mut utts = String::from("call_id,start_ms,end_ms,text\n");
        for u in &self.utterances {
            let _ = writeln!(
                utts,
                "{},{},{},{}",
                u.call_id,
                u.start_ms,
                u.end_ms,
                csv_field(&u.text)
            );
        }
        let mut cards = String::from("scorecard_id,call_id,rubric,score,review\n");
        for s in &self.scorecards {
            let _ = writeln!(
                cards,
                "{},{},{},{},{}",
                s.id,
                s.call_id,
                s.provenance.rubric_id,
                s.score.value(),
                s.review().name()
            );
        }
        BTreeMap::from([
            ("calls.csv", calls),
            ("utterances.csv", utts),
            ("scorecards.csv", cards),
        ])
    }
}
