//! Data-subject access and portability (GDPR Art. 15 and 20): everything
//! about one subject, as versioned JSON and as CSV (one file per entity),
//! leaving out other people's data where it can be separated — a client
//! gets the calls they were on and only their own utterances; a member
//! (an employee is a data subject too) gets their member record (name,
//! e-mail, time zone, preferences), the calls they took with their own
//! utterances, the scorecards about them with every review, and their own
//! reads from the access log. Everyone gets the invitations to their
//! address, the consent records of their calls and the data-subject
//! requests about them.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use closeq_core::ports::{CallStore, PrivacyStore, ReviewRecord, WorkspaceStore};
use closeq_core::{
    AccessQuery, AccessRecord, Call, ConsentRecord, Error, Invitation, Member, Result, Scope,
    Scorecard, SpeakerRole, Subject, SubjectRequest,
};
use serde::Serialize;

/// The export format's version.
/// Version 2 added the member record, review history, consent records and
/// requests; version 3 a member's own reads from the access log and the
/// invitations to the subject's address.
pub const EXPORT_VERSION: u32 = 3;

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
    /// Every review of those scorecards, oldest first (reps only).
    pub reviews: Vec<ReviewRecord>,
    /// The member record (members only; `None` once they left).
    pub member: Option<Member>,
    /// The consent records of the subject's calls.
    pub consents: Vec<ConsentRecord>,
    /// The data-subject requests about the subject (those that still
    /// name them).
    pub requests: Vec<SubjectRequest>,
    /// A member's own reads, from the access log (kept 90 days): what
    /// they read and when (ids only).
    pub access: Vec<AccessRecord>,
    /// The invitations to the subject's e-mail address (a member's, or the
    /// address asked about): who invited them, to which role, when, status.
    pub invitations: Vec<Invitation>,
}

/// The stores an export reads.
#[derive(Clone, Copy)]
pub struct ExportSources<'a> {
    /// Calls, transcripts, scorecards.
    pub calls: &'a dyn CallStore,
    /// Members.
    pub workspaces: &'a dyn WorkspaceStore,
    /// Consent records and requests.
    pub privacy: &'a dyn PrivacyStore,
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
            .field("reviews", &self.reviews.len())
            .field("member", &self.member.is_some())
            .field("consents", &self.consents.len())
            .field("requests", &self.requests.len())
            .field("access", &self.access.len())
            .field("invitations", &self.invitations.len())
            .finish()
    }
}

/// Collects the export. Requires the data-subject-request permission.
pub async fn export_subject(
    from: ExportSources<'_>,
    scope: &Scope,
    subject: &Subject,
) -> Result<SubjectExport> {
    let calls = from.calls;
    // Asked first: the requests need the permission, so nobody else
    // learns what the other stores hold.
    let requests = crate::request::all_requests(from.privacy, scope)
        .await?
        .into_iter()
        .filter(|r| {
            r.subject
                .as_ref()
                .is_some_and(|s| crate::request::same_subject(s, subject))
        })
        .collect();
    let ids = calls.find_calls_by_subject(scope, subject).await?;
    let member = match subject {
        Subject::User(user) => match from.workspaces.get_member(scope, *user).await {
            Ok(m) => Some(m),
            Err(Error::NotFound { .. }) => None,
            Err(e) => return Err(e),
        },
        _ => None,
    };
    let mut out = SubjectExport {
        version: EXPORT_VERSION,
        calls: Vec::new(),
        utterances: Vec::new(),
        scorecards: Vec::new(),
        reviews: Vec::new(),
        member,
        consents: Vec::new(),
        requests,
        access: Vec::new(),
        invitations: Vec::new(),
    };
    let address = match (subject, &out.member) {
        (Subject::Email(e), _) => Some(e.clone()),
        (Subject::User(_), Some(m)) => m.email.clone(),
        _ => None,
    };
    if let Some(address) = address {
        out.invitations = from.workspaces.list_invitations_to(scope, &address).await?;
    }
    if let Subject::User(user) = subject {
        let mut query = AccessQuery::first(1_000);
        query.actor = Some(*user);
        loop {
            let page = from.workspaces.list_access(scope, &query).await?;
            let Some(last) = page.last() else { break };
            query.after_seq = last.seq;
            let done = page.len() < 1_000;
            out.access.extend(page);
            if done {
                break;
            }
        }
    }
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
            for mut card in calls.list_scorecards(scope, id).await? {
                out.reviews
                    .extend(calls.review_history(scope, card.id).await?);
                withhold_client_quotes(&mut card);
                out.scorecards.push(card);
            }
        }
        if let Some(c) = from.privacy.get_consent(scope, id).await? {
            out.consents.push(c);
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

/// A rep's export carries the scorecards about them, but not the client's
/// words: the quote of every evidence span the client said is emptied
/// (the span — which utterance, when — stays). Free text (rationales,
/// reviewers' reasons) is kept whole; it may paraphrase the client.
fn withhold_client_quotes(card: &mut Scorecard) {
    let spans = card
        .criteria
        .iter_mut()
        .flat_map(|c| c.evidence.iter_mut())
        .chain(card.issues.iter_mut().flat_map(|i| i.evidence.iter_mut()));
    for e in spans {
        if e.speaker_role == SpeakerRole::Client {
            e.quote = String::new().into();
        }
    }
}

fn csv_field(s: &str) -> String {
    // A spreadsheet would run a cell starting with = + - @ (or a tab or
    // carriage return) as a formula: such cells get a leading apostrophe.
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
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
        let mut reviews = String::from("scorecard_id,review\n");
        for r in &self.reviews {
            let _ = writeln!(reviews, "{},{}", r.scorecard_id, r.state.name());
        }
        let mut consents = String::from("call_id,method,obtained_at,withdrawn_at\n");
        for c in &self.consents {
            let _ = writeln!(
                consents,
                "{},{},{},{}",
                c.call_id,
                c.method.name(),
                c.obtained_at.to_rfc3339(),
                c.withdrawn_at.map(|t| t.to_rfc3339()).unwrap_or_default()
            );
        }
        let mut requests = String::from("request_id,kind,state,received_at\n");
        for r in &self.requests {
            let _ = writeln!(
                requests,
                "{},{},{},{}",
                r.id,
                r.kind.name(),
                r.state.name(),
                r.received_at.to_rfc3339()
            );
        }
        let mut access = String::from("seq,at,action,ids\n");
        for r in &self.access {
            let ids: Vec<String> = r.resources.iter().map(ToString::to_string).collect();
            let _ = writeln!(
                access,
                "{},{},{},{}",
                r.seq,
                r.at.to_rfc3339(),
                r.action.code(),
                ids.join(" ")
            );
        }
        let mut files = BTreeMap::from([
            ("calls.csv", calls),
            ("utterances.csv", utts),
            ("scorecards.csv", cards),
            ("reviews.csv", reviews),
            ("consents.csv", consents),
            ("requests.csv", requests),
        ]);
        if !self.access.is_empty() {
            files.insert("access.csv", access);
        }
        if !self.invitations.is_empty() {
            let mut inv =
                String::from("invitation_id,role,status,invited_by,created_at,expires_at\n");
            for i in &self.invitations {
                let _ = writeln!(
                    inv,
                    "{},{},{},{},{},{}",
                    i.id,
                    i.role,
                    i.status.as_str(),
                    i.invited_by,
                    i.created_at.to_rfc3339(),
                    i.expires_at.to_rfc3339()
                );
            }
            files.insert("invitations.csv", inv);
        }
        if let Some(m) = &self.member {
            let mut member =
                String::from("user_id,role,display_name,email,time_zone,locale,joined_at\n");
            let _ = writeln!(
                member,
                "{},{},{},{},{},{},{}",
                m.user_id,
                m.role,
                csv_field(m.display_name.as_ref().map_or("", |n| n.expose().as_str())),
                csv_field(m.email.as_ref().map_or("", |e| e.as_str())),
                m.time_zone.as_ref().map_or("", |t| t.as_str()),
                m.preferences.locale.as_ref().map_or("", |l| l.as_str()),
                m.joined_at.to_rfc3339()
            );
            files.insert("member.csv", member);
        }
        files
    }
}
