//! The data map: every stored column, struct field and object labelled with
//! its data category and data subject — one manifest in code — and the
//! GDPR Art. 30 record of processing generated from it.

use closeq_core::{DataCategory, DataSubject};
use serde::Serialize;

/// One labelled place where data is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Label {
    /// `table.column`, `Struct.field` or an object pattern.
    pub location: &'static str,
    /// Category.
    pub category: DataCategory,
    /// Whose data.
    pub subject: DataSubject,
}

macro_rules! labels {
    ($($loc:literal => $cat:ident / $sub:ident),* $(,)?) => {
        &[$(Label { location: $loc, category: DataCategory::$cat, subject: DataSubject::$sub }),*]
    };
}

/// Every SQL column of the CloseQ schema (SQLite and PostgreSQL).
pub const COLUMNS: &[Label] = labels![
    "workspaces.id" => WorkspaceAndTeam / None,
    "workspaces.workspace_id" => WorkspaceAndTeam / None,
    "workspaces.data" => WorkspaceAndTeam / WorkspaceAdmin,
    "teams.id" => WorkspaceAndTeam / None,
    "teams.workspace_id" => WorkspaceAndTeam / None,
    "teams.data" => WorkspaceAndTeam / None,
    "members.workspace_id" => Account / User,
    "members.user_id" => Account / User,
    "members.data" => Account / User,
    "invitations.id" => Account / User,
    "invitations.workspace_id" => Account / User,
    "invitations.token_sha256" => Credentials / User,
    "invitations.data" => Account / User,
    "api_keys.id" => Credentials / WorkspaceAdmin,
    "api_keys.workspace_id" => Credentials / WorkspaceAdmin,
    "api_keys.secret_sha256" => Credentials / WorkspaceAdmin,
    "api_keys.data" => Credentials / WorkspaceAdmin,
    "integrations.id" => Credentials / WorkspaceAdmin,
    "integrations.workspace_id" => Credentials / WorkspaceAdmin,
    "integrations.data" => Credentials / WorkspaceAdmin,
    "calls.id" => CallMetadata / User,
    "calls.workspace_id" => CallMetadata / None,
    "calls.rep_id" => CallMetadata / User,
    "calls.team_id" => CallMetadata / User,
    "calls.started_at" => CallMetadata / User,
    "calls.status" => CallMetadata / None,
    "calls.outcome" => CallMetadata / User,
    "calls.latest_score" => AiAnalysis / User,
    "calls.latest_rubric" => AiAnalysis / None,
    "calls.latest_talk_ratio" => AiAnalysis / User,
    "calls.latest_review" => AiAnalysis / User,
    "calls.data" => ClientContact / ClientContact,
    "transcripts.call_id" => Transcript / None,
    "transcripts.workspace_id" => Transcript / None,
    "transcripts.rep_id" => Transcript / User,
    "transcripts.team_id" => Transcript / User,
    "transcripts.data" => Transcript / ClientContact,
    "transcripts.words" => Transcript / ClientContact,
    "scorecards.id" => AiAnalysis / None,
    "scorecards.call_id" => AiAnalysis / None,
    "scorecards.workspace_id" => AiAnalysis / None,
    "scorecards.rep_id" => AiAnalysis / User,
    "scorecards.team_id" => AiAnalysis / User,
    "scorecards.seq" => AiAnalysis / None,
    "scorecards.reviewed" => AiAnalysis / User,
    "scorecards.data" => AiAnalysis / User,
    "scorecards.rubric_id" => AiAnalysis / None,
    "scorecards.rubric_version" => AiAnalysis / None,
    "scorecards.scorer" => AiAnalysis / None,
    "scorecards.superseded" => AiAnalysis / None,
    "review_events.id" => AiAnalysis / None,
    "review_events.scorecard_id" => AiAnalysis / None,
    "review_events.workspace_id" => AiAnalysis / None,
    "review_events.data" => AiAnalysis / User,
    "call_verdicts.call_id" => AiAnalysis / None,
    "call_verdicts.workspace_id" => AiAnalysis / None,
    "call_verdicts.rep_id" => AiAnalysis / User,
    "call_verdicts.team_id" => AiAnalysis / User,
    "call_verdicts.criterion_id" => AiAnalysis / None,
    "call_verdicts.value" => AiAnalysis / User,
    "subject_index.workspace_id" => ClientContact / None,
    "subject_index.rep_id" => ClientContact / User,
    "subject_index.team_id" => ClientContact / User,
    "subject_index.subject_hash" => ClientContact / ClientContact,
    "subject_index.call_id" => ClientContact / None,
    "daily_stats.workspace_id" => AiAnalysis / None,
    "daily_stats.day" => AiAnalysis / None,
    "daily_stats.rep_id" => AiAnalysis / User,
    "daily_stats.team_id" => AiAnalysis / User,
    "daily_stats.calls" => AiAnalysis / User,
    "daily_stats.scored" => AiAnalysis / User,
    "daily_stats.score_sum" => AiAnalysis / User,
    "daily_stats.talk_sum" => AiAnalysis / User,
    "daily_stats.talk_n" => AiAnalysis / User,
    "daily_stats.unreviewed" => AiAnalysis / User,
    "daily_stats.rejected" => AiAnalysis / User,
    "daily_verdicts.workspace_id" => AiAnalysis / None,
    "daily_verdicts.day" => AiAnalysis / None,
    "daily_verdicts.rep_id" => AiAnalysis / User,
    "daily_verdicts.team_id" => AiAnalysis / User,
    "daily_verdicts.criterion_id" => AiAnalysis / None,
    "daily_verdicts.value_sum" => AiAnalysis / User,
    "daily_verdicts.n" => AiAnalysis / User,
    "audit_records.seq" => TechnicalLogs / None,
    "audit_records.workspace_id" => TechnicalLogs / None,
    "audit_records.data" => TechnicalLogs / User,
    "audit_records.at" => TechnicalLogs / None,
    "access_records.seq" => TechnicalLogs / None,
    "access_records.workspace_id" => TechnicalLogs / None,
    "access_records.at" => TechnicalLogs / None,
    "access_records.actor" => TechnicalLogs / User,
    "access_records.action" => TechnicalLogs / None,
    "access_records.resources" => TechnicalLogs / None,
    "jobs.id" => TechnicalLogs / None,
    "jobs.workspace_id" => TechnicalLogs / None,
    "jobs.kind" => TechnicalLogs / None,
    "jobs.call_id" => TechnicalLogs / None,
    "jobs.payload" => TechnicalLogs / None,
    "jobs.max_attempts" => TechnicalLogs / None,
    "jobs.state" => TechnicalLogs / None,
    "jobs.attempts" => TechnicalLogs / None,
    "jobs.enqueued_by" => TechnicalLogs / User,
    "jobs.run_after" => TechnicalLogs / None,
    "jobs.lease_until" => TechnicalLogs / None,
    "jobs.lease_token" => TechnicalLogs / None,
    "jobs.last_error" => TechnicalLogs / None,
    "jobs.updated_at" => TechnicalLogs / None,
    "jobs.every_secs" => TechnicalLogs / None,
    "installation_keys.name" => TechnicalLogs / None,
    "installation_keys.fingerprint" => TechnicalLogs / None,
    "purge_receipts.id" => TechnicalLogs / None,
    "purge_receipts.data" => TechnicalLogs / None,
    "subject_requests.id" => ClientContact / None,
    "subject_requests.workspace_id" => ClientContact / None,
    "subject_requests.received_at" => ClientContact / None,
    "subject_requests.data" => ClientContact / ClientContact,
    "subject_flags.workspace_id" => ClientContact / None,
    "subject_flags.subject_hash" => ClientContact / ClientContact,
    "subject_flags.restricted" => ClientContact / ClientContact,
    "subject_flags.objected" => ClientContact / ClientContact,
    "subject_flags.legal_hold" => ClientContact / ClientContact,
    "call_consents.call_id" => CallMetadata / None,
    "call_consents.workspace_id" => CallMetadata / None,
    "call_consents.data" => CallMetadata / ClientContact,
];

/// Fields of the stored documents that hold personal data.
pub const FIELDS: &[Label] = labels![
    "Call.client.name" => ClientContact / ClientContact,
    "Call.client.email" => ClientContact / ClientContact,
    "Call.client.phone" => ClientContact / ClientContact,
    "Call.rep_id" => CallMetadata / User,
    "Call.rep_comments" => CallMetadata / User,
    "Call.audio" => CallAudio / ClientContact,
    "Call.started_at" => CallMetadata / User,
    "Call.outcome" => CallMetadata / User,
    "Transcript.utterances" => Transcript / ClientContact,
    "Transcript.speakers" => Transcript / ClientContact,
    "Scorecard.criteria" => AiAnalysis / User,
    "Scorecard.coaching_notes" => AiAnalysis / User,
    "Scorecard.recommendations" => AiAnalysis / User,
    "Scorecard.issues" => AiAnalysis / User,
    "Scorecard.score" => AiAnalysis / User,
    "Scorecard.metrics" => AiAnalysis / User,
    "Member.display_name" => Account / User,
    "Member.email" => Account / User,
    "Member.time_zone" => Account / User,
    "Member.preferences" => Account / User,
    "Invitation.email" => Account / User,
    "Scorecard.review" => AiAnalysis / User,
    "SubjectRequest.subject" => ClientContact / ClientContact,
    "ConsentRecord.obtained_at" => CallMetadata / ClientContact,
    "ConsentRecord.withdrawn_at" => CallMetadata / ClientContact,
];

/// Stored objects outside the database.
pub const OBJECTS: &[Label] = labels![
    "audio: workspaces/<workspace>/<key>" => CallAudio / ClientContact,
    "exports: data-subject request files" => ClientContact / ClientContact,
    "logs: tracing output (no personal data by design)" => TechnicalLogs / None,
];

/// The label of `table.column`, if the manifest has one.
pub fn column_label(table: &str, column: &str) -> Option<&'static Label> {
    let loc = format!("{table}.{column}");
    COLUMNS.iter().find(|l| l.location == loc)
}

/// Purpose and legal basis per category, as the privacy policy states them.
fn purpose(c: DataCategory) -> (&'static str, &'static str) {
    match c {
        DataCategory::Account => (
            "providing the service to workspace users",
            "Art. 6(1)(b) contract",
        ),
        DataCategory::CallAudio => (
            "transcribing recorded sales calls",
            "Art. 6(1)(f) legitimate interest of the controller (processor on its instructions)",
        ),
        DataCategory::CallMetadata => (
            "organising and analysing calls",
            "Art. 6(1)(f) legitimate interest of the controller",
        ),
        DataCategory::ClientContact => (
            "identifying the call's counterpart; data-subject requests",
            "Art. 6(1)(f) legitimate interest of the controller",
        ),
        DataCategory::Transcript => (
            "call analysis and coaching",
            "Art. 6(1)(f) legitimate interest of the controller",
        ),
        DataCategory::AiAnalysis => (
            "quality scoring and coaching, reviewed by humans (AI Act Art. 14)",
            "Art. 6(1)(f) legitimate interest of the controller",
        ),
        DataCategory::WorkspaceAndTeam => ("configuring the workspace", "Art. 6(1)(b) contract"),
        DataCategory::Credentials => (
            "authenticating integrations and API clients",
            "Art. 6(1)(b) contract",
        ),
        DataCategory::TechnicalLogs => {
            ("security and operation", "Art. 6(1)(f) legitimate interest")
        }
        DataCategory::Billing => ("invoicing and accounting", "Art. 6(1)(c) legal obligation"),
    }
}

/// The Art. 30 record of processing as JSON.
pub fn record_of_processing(
    register: &crate::subprocessors::Register,
    rules: &crate::retention::RetentionRules,
) -> serde_json::Value {
    let cats: Vec<serde_json::Value> = DataCategory::ALL
        .iter()
        .map(|c| {
            let (p, basis) = purpose(*c);
            let subjects: std::collections::BTreeSet<String> = COLUMNS
                .iter()
                .chain(FIELDS)
                .chain(OBJECTS)
                .filter(|l| l.category == *c && l.subject != DataSubject::None)
                .map(|l| serde_json::to_value(l.subject).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default())
                .collect();
            let recipients: Vec<&str> = register.sub_processors.iter().filter(|s| s.data_categories.contains(c)).map(|s| s.vendor.as_str()).collect();
            serde_json::json!({
                "category": c.as_str(),
                "purpose": p,
                "legal_basis": basis,
                "data_subjects": subjects,
                "stored_in": COLUMNS.iter().chain(FIELDS).chain(OBJECTS).filter(|l| l.category == *c).map(|l| l.location).collect::<Vec<_>>(),
                "sub_processors": recipients,
                "retention": rules.rules.get(c),
                "retention_in_words": rules.describe(*c),
            })
        })
        .collect();
    serde_json::json!({ "version": 1, "controller_role": "CloseQ acts as processor for the workspace (controller)", "categories": cats })
}

/// The Art. 30 record as Markdown.
pub fn record_of_processing_markdown(
    register: &crate::subprocessors::Register,
    rules: &crate::retention::RetentionRules,
) -> String {
    let v = record_of_processing(register, rules);
    let mut out = String::from(
        "# Record of processing activities (GDPR Art. 30)\n\n| Category | Purpose | Legal basis | Data subjects | Sub-processors | Retention |\n|---|---|---|---|---|---|\n",
    );
    for c in v["categories"].as_array().into_iter().flatten() {
        let list = |k: &str| {
            c[k].as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default()
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            c["category"].as_str().unwrap_or(""),
            c["purpose"].as_str().unwrap_or(""),
            c["legal_basis"].as_str().unwrap_or(""),
            list("data_subjects"),
            if list("sub_processors").is_empty() {
                "none".to_owned()
            } else {
                list("sub_processors")
            },
            c["retention_in_words"]
                .as_str()
                .unwrap_or("")
                .replace('|', "/"),
        ));
    }
    out
}
