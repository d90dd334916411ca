//! `closeq dsr`: data-subject requests against the local installation.
//! Every request is recorded (received → in progress → completed), so
//! `closeq dsr list` shows what was asked, when it is due, and where it
//! stands; restriction and objection stay in force until lifted.
//! Rejections and extensions print the notice of the right to complain to
//! the supervisory authority (PUODO), which the stored request keeps.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Subcommand};
use closeq_core::{
    Clock, DataSubjectRequestId, EmailAddress, PhoneNumber, RequestKind, RequestState, Subject,
    SubjectRequest, SystemClock, UserId,
};
use closeq_privacy::erasure::ErasureMode;
use closeq_privacy::fulfilment::ErasureOutcome;
use closeq_privacy::rectification::{ContactCorrection, MemberCorrection, rectify_member};
use closeq_privacy::request::SubjectRequests;

use super::files::write_all_or_nothing;
use closeq_pipeline::LocalInstallation;

/// Data-subject request commands.
#[derive(Debug, Subcommand)]
pub enum DsrCommand {
    /// The workspace's requests, newest first: kind, how the subject was
    /// identified (never the identifier), state, due date, overdue.
    List {
        /// Only requests still open.
        #[arg(long)]
        open: bool,
        /// As JSON (the identifier of an open request included).
        #[arg(long)]
        json: bool,
    },
    /// Restriction (GDPR Art. 18): the subject's calls are kept but not
    /// analysed, scored, exported or handed out by signed URL until lifted.
    Restrict {
        /// Who the request is about.
        #[command(flatten)]
        subject: SubjectArgs,
        /// The restriction is for the establishment, exercise or defence
        /// of legal claims (Art. 18(1)(c)): retention also keeps the
        /// subject's calls and audio until it is lifted.
        #[arg(long)]
        legal_claims: bool,
    },
    /// Lifts a restriction (tell the subject before, Art. 18(3)).
    Unrestrict {
        /// Who the request is about.
        #[command(flatten)]
        subject: SubjectArgs,
    },
    /// Objection (GDPR Art. 21): no further AI analysis of the subject's calls.
    Object {
        /// Who the request is about.
        #[command(flatten)]
        subject: SubjectArgs,
    },
    /// The subject lifts their own objection: recorded as a request (who
    /// and when); AI analysis of their calls is allowed again.
    Unobject {
        /// Who the request is about.
        #[command(flatten)]
        subject: SubjectArgs,
    },
    /// Withdrawal of a call's recording consent (GDPR Art. 7(3)) by a
    /// person on the call: from now on the call is not analysed and its
    /// audio is not read or handed out by signed URL; what was done before
    /// is kept (use `erase` to delete it).
    ConsentWithdraw {
        /// The call.
        #[arg(long)]
        call: closeq_core::CallId,
        /// Who withdraws (the call's client or rep).
        #[command(flatten)]
        subject: SubjectArgs,
    },
    /// Extends an open request's deadline, with the reason (Art. 12(3)).
    Extend {
        /// The request id.
        id: DataSubjectRequestId,
        /// By how many days (at most 61 in total).
        #[arg(long)]
        days: u32,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Rejects an open request, with the reason told to the subject.
    Reject {
        /// The request id.
        id: DataSubjectRequestId,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Access and portability (GDPR Art. 15 and 20): everything about one
    /// subject as versioned JSON, or as JSON plus one CSV per entity with `--out`.
    Export {
        /// Who the request is about.
        #[command(flatten)]
        subject: SubjectArgs,
        /// Write `export.json`, `calls.csv`, `utterances.csv` and
        /// `scorecards.csv` (mode 0600) into this folder instead of printing JSON.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Erasure (GDPR Art. 17): delete the subject's audio, and anonymize
    /// (default) or delete their calls. Asks for `--yes`.
    Erase {
        /// Who the request is about.
        #[command(flatten)]
        subject: SubjectArgs,
        /// Delete the calls outright instead of anonymizing them.
        #[arg(long)]
        delete: bool,
        /// Confirm: this cannot be undone.
        #[arg(long)]
        yes: bool,
    },
    /// Rectification (GDPR Art. 16) of a client contact's details on every
    /// call they were on.
    Rectify {
        /// Who the request is about.
        #[command(flatten)]
        subject: SubjectArgs,
        /// The corrected name.
        #[arg(long)]
        new_name: Option<String>,
        /// The corrected e-mail address.
        #[arg(long)]
        new_email: Option<String>,
        /// The corrected phone number (clients).
        #[arg(long)]
        new_phone: Option<String>,
        /// The corrected time zone, an IANA name such as Europe/Warsaw
        /// (members).
        #[arg(long)]
        new_time_zone: Option<String>,
        /// The corrected interface language, such as pl or en-GB (members).
        #[arg(long)]
        new_locale: Option<String>,
    },
}

/// Exactly one way of naming the subject.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct SubjectArgs {
    /// A client contact's e-mail address.
    #[arg(long)]
    email: Option<String>,
    /// A client contact's phone number (normalized to E.164).
    #[arg(long)]
    phone: Option<String>,
    /// A workspace user (rep) id.
    #[arg(long)]
    user: Option<String>,
}

impl SubjectArgs {
    fn subject(&self) -> anyhow::Result<Subject> {
        if let Some(e) = &self.email {
            return Ok(Subject::Email(EmailAddress::parse(e)?));
        }
        if let Some(p) = &self.phone {
            return Ok(Subject::Phone(PhoneNumber::parse(p)?));
        }
        if let Some(u) = &self.user {
            let id: UserId = u.parse().context("--user is not a user id")?;
            return Ok(Subject::User(id));
        }
        anyhow::bail!("name the subject with --email, --phone or --user")
    }
}

/// Runs a data-subject request command.
pub fn run(cmd: DsrCommand) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let state = LocalInstallation::open().await?;
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let requests = SubjectRequests::new(state.privacy().clone(), state.workspaces().clone(), clock.clone());
        match cmd {
            DsrCommand::List { open, json } => {
                let mut all = requests.all(state.owner_scope()).await?;
                all.retain(|r| !open || r.is_open());
                if json {
                    println!("{}", serde_json::to_string_pretty(&all)?);
                } else {
                    print_requests(&all, clock.now());
                }
                Ok(())
            }
            DsrCommand::Restrict {
                subject,
                legal_claims,
            } => {
                let scope = state.owner_scope();
                let r = if legal_claims {
                    requests
                        .restrict_for_legal_claims(scope, subject.subject()?)
                        .await?
                } else {
                    requests
                        .apply_standing(scope, subject.subject()?, RequestKind::Restriction)
                        .await?
                };
                println!(
                    "restriction recorded as request {} and in force: the subject's calls are not analysed, scored, exported or handed out until `closeq dsr unrestrict`{}",
                    r.id,
                    if legal_claims {
                        "; held for legal claims, so retention keeps them too"
                    } else {
                        ""
                    }
                );
                Ok(())
            }
            DsrCommand::Object { subject } => {
                let r = requests
                    .apply_standing(state.owner_scope(), subject.subject()?, RequestKind::Objection)
                    .await?;
                println!(
                    "objection recorded as request {} and in force: no further AI analysis of the subject's calls until `closeq dsr unobject`",
                    r.id
                );
                Ok(())
            }
            DsrCommand::Unobject { subject } => {
                let r = requests
                    .lift_objection(state.owner_scope(), subject.subject()?)
                    .await?;
                println!(
                    "objection lifted, recorded as request {} at {}: AI analysis of the subject's calls is allowed again",
                    r.id,
                    r.received_at.format("%Y-%m-%d %H:%M:%S UTC")
                );
                Ok(())
            }
            DsrCommand::ConsentWithdraw { call, subject } => {
                let scope = state.owner_scope();
                let call = state.calls_unlogged().get_call(scope, call).await?;
                let (r, consent) = requests
                    .withdraw_consent(scope, subject.subject()?, &call)
                    .await?;
                let at = consent.withdrawn_at.unwrap_or(r.received_at);
                println!(
                    "consent for call {} withdrawn at {}, recorded as request {}: the call is no longer analysed and its audio is not handed out; what was done before is kept (`closeq dsr erase` deletes it)",
                    call.id,
                    at.format("%Y-%m-%d %H:%M:%S UTC"),
                    r.id
                );
                Ok(())
            }
            DsrCommand::Unrestrict { subject } => {
                let flags = requests
                    .lift_restriction(state.owner_scope(), &subject.subject()?)
                    .await?;
                println!(
                    "restriction lifted{}",
                    if flags.objected {
                        "; the objection to AI analysis stays in force"
                    } else {
                        ""
                    }
                );
                Ok(())
            }
            DsrCommand::Extend { id, days, reason } => {
                let r = requests.extend(state.owner_scope(), id, days, &reason).await?;
                println!("request {id} now due {}", r.due_at().format("%Y-%m-%d %H:%M UTC"));
                if let Some(notice) = r.complaint_notice() {
                    println!("tell the subject: {notice}");
                }
                Ok(())
            }
            DsrCommand::Reject { id, reason } => {
                let r = requests.reject(state.owner_scope(), id, &reason).await?;
                println!("request {id} rejected");
                if let Some(notice) = r.complaint_notice() {
                    println!("tell the subject: {notice}");
                }
                Ok(())
            }
            DsrCommand::Export { subject, out } => {
                let subject = subject.subject()?;
                let desk = state.subject_requests(clock)?;
                let (request, export) = desk.export(state.owner_scope(), &subject).await?;
                let json = serde_json::to_string_pretty(&export.to_json())?;
                match out {
                    None => println!("{json}"),
                    Some(dir) => {
                        std::fs::create_dir_all(&dir)
                            .with_context(|| format!("cannot create {}", dir.display()))?;
                        let mut files = vec![("export.json", json)];
                        files.extend(export.to_csv());
                        write_all_or_nothing(&dir, &files)?;
                        println!(
                            "exported {} calls, {} utterances, {} scorecards to {}",
                            export.calls.len(),
                            export.utterances.len(),
                            export.scorecards.len(),
                            dir.display()
                        );
                    }
                }
                // Answered once it was handed over.
                desk.answered(state.owner_scope(), request).await?;
                Ok(())
            }
            DsrCommand::Erase {
                subject,
                delete,
                yes,
            } => {
                let subject = subject.subject()?;
                if !yes {
                    anyhow::bail!("erasure cannot be undone; pass --yes to confirm");
                }
                let mode = if delete {
                    ErasureMode::Delete
                } else {
                    ErasureMode::Anonymize
                };
                let desk = state.subject_requests(clock)?;
                let r = match desk.erase(state.owner_scope(), &subject, mode).await? {
                    ErasureOutcome::Erased(_, r) => r,
                    ErasureOutcome::Refused(request, e) => {
                        // Closed as rejected, with the reason the subject
                        // is told; nothing changed.
                        if let Some(notice) = request.complaint_notice() {
                            eprintln!("request {} rejected; tell the subject: {notice}", request.id);
                        }
                        return Err(e.into());
                    }
                };
                if matches!(subject, Subject::User(_)) {
                    // A member is erased as a person: their calls stay
                    // (the clients' data is not theirs), under a tombstone.
                    println!(
                        "erased the member: moved {} calls to a tombstone rep id, redacted their name and e-mail in {} calls, deleted {} API keys",
                        r.calls, r.mentions_redacted_in, r.api_keys_deleted
                    );
                } else {
                    println!(
                        "{} {} calls, deleted {} audio objects, redacted mentions in {} other calls",
                        if delete { "deleted" } else { "anonymized" },
                        r.calls,
                        r.audio_objects,
                        r.mentions_redacted_in
                    );
                }
                Ok(())
            }
            DsrCommand::Rectify {
                subject,
                new_name,
                new_email,
                new_phone,
                new_time_zone,
                new_locale,
            } => {
                let subject = subject.subject()?;
                if let Subject::User(user) = subject {
                    // A member's own account data, in their member record.
                    if new_phone.is_some() {
                        anyhow::bail!("--new-phone is for clients; a member has no phone number on record");
                    }
                    let scope = state.owner_scope();
                    let preferences = match new_locale {
                        None => None,
                        Some(l) => {
                            let mut p = state.workspaces().get_member(scope, user).await?.preferences;
                            p.locale = Some(closeq_core::Locale::parse(&l).context("--new-locale")?);
                            Some(p)
                        }
                    };
                    let correction = MemberCorrection {
                        display_name: new_name,
                        email: new_email
                            .map(|e| EmailAddress::parse(&e))
                            .transpose()
                            .context("--new-email")?,
                        time_zone: new_time_zone
                            .map(|t| closeq_core::TimeZoneName::parse(&t))
                            .transpose()
                            .context("--new-time-zone")?,
                        preferences,
                    };
                    let r = rectify_member(&requests, state.workspaces().as_ref(), scope, user, &correction).await?;
                    println!(
                        "rectified the member's {}; recorded as request {}",
                        correction.fields().join(", "),
                        r.id
                    );
                    return Ok(());
                }
                if new_time_zone.is_some() || new_locale.is_some() {
                    anyhow::bail!("--new-time-zone and --new-locale are for members (--user)");
                }
                let correction = ContactCorrection {
                    name: new_name,
                    email: new_email
                        .map(|e| EmailAddress::parse(&e))
                        .transpose()
                        .context("--new-email")?,
                    phone: new_phone
                        .map(|p| PhoneNumber::parse(&p))
                        .transpose()
                        .context("--new-phone")?,
                };
                let desk = state.subject_requests(clock)?;
                let (_, n) = desk
                    .rectify_contact(state.owner_scope(), &subject, &correction)
                    .await?;
                println!("rectified {n} calls");
                Ok(())
            }
        }
    })
}

fn print_requests(all: &[SubjectRequest], now: chrono::DateTime<chrono::Utc>) {
    if all.is_empty() {
        println!("no data-subject requests");
        return;
    }
    println!(
        "{:<36}  {:<18}  {:<7}  {:<11}  {:<10}  {:<10}",
        "id", "kind", "subject", "state", "received", "due"
    );
    for r in all {
        let state = match &r.state {
            RequestState::Completed { .. } => "completed",
            RequestState::Rejected { .. } => "rejected",
            s => s.name(),
        };
        println!(
            "{:<36}  {:<18}  {:<7}  {:<11}  {:<10}  {:<10}{}",
            r.id,
            r.kind.name(),
            r.subject_kind.name(),
            state,
            r.received_at.format("%Y-%m-%d"),
            r.due_at().format("%Y-%m-%d"),
            if r.is_overdue(now) { "  OVERDUE" } else { "" }
        );
    }
}
