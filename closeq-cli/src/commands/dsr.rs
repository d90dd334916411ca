//! `closeq dsr export|erase|rectify`: data-subject requests against the local installation.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Subcommand};
use closeq_core::{Clock, EmailAddress, PhoneNumber, Subject, SystemClock, UserId};
use closeq_privacy::erasure::{Eraser, ErasureMode};
use closeq_privacy::export::export_subject;
use closeq_privacy::rectification::{ContactCorrection, rectify_contact};

use super::local::{LocalState, write_private};

/// Data-subject request commands.
#[derive(Debug, Subcommand)]
pub enum DsrCommand {
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
        /// The corrected phone number.
        #[arg(long)]
        new_phone: Option<String>,
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
        let state = LocalState::open().await?;
        match cmd {
            DsrCommand::Export { subject, out } => {
                let subject = subject.subject()?;
                let export = export_subject(state.store.as_ref(), &state.scope, &subject).await?;
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
                let clock: Arc<dyn Clock> = Arc::new(SystemClock);
                let audio = Arc::new(state.audio_store(clock.clone())?);
                let eraser = Eraser::new(state.store.clone(), state.store.clone(), audio, clock);
                let mode = if delete {
                    ErasureMode::Delete
                } else {
                    ErasureMode::Anonymize
                };
                let r = eraser.erase(&state.scope, &subject, mode).await?;
                println!(
                    "{} {} calls, deleted {} audio objects, redacted mentions in {} other calls",
                    if delete { "deleted" } else { "anonymized" },
                    r.calls,
                    r.audio_objects,
                    r.mentions_redacted_in
                );
                Ok(())
            }
            DsrCommand::Rectify {
                subject,
                new_name,
                new_email,
                new_phone,
            } => {
                let subject = subject.subject()?;
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
                let n = rectify_contact(
                    state.store.as_ref(),
                    state.store.as_ref(),
                    &SystemClock,
                    &state.scope,
                    &subject,
                    &correction,
                )
                .await?;
                println!("rectified {n} calls");
                Ok(())
            }
        }
    })
}

/// Writes every file under a temporary name first and renames them into
/// place only when all were written, so a failed export leaves no partial
/// set of files behind.
fn write_all_or_nothing(dir: &std::path::Path, files: &[(&str, String)]) -> anyhow::Result<()> {
    let partial = |name: &str| dir.join(format!(".{name}.partial"));
    let written = files
        .iter()
        .try_for_each(|(name, body)| write_private(&partial(name), body.as_bytes()));
    if let Err(e) = written {
        for (name, _) in files {
            let _ = std::fs::remove_file(partial(name));
        }
        return Err(e);
    }
    for (name, _) in files {
        std::fs::rename(partial(name), dir.join(name))
            .with_context(|| format!("cannot write {name} in {}", dir.display()))?;
    }
    Ok(())
}
