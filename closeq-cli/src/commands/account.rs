//! `closeq account`: the local user's own account data — shown, and
//! corrected by themselves (GDPR Art. 16, self-service; recorded as a
//! completed rectification request about them and audited).

use anyhow::Context;
use clap::Subcommand;
use closeq_core::{EmailAddress, Locale, SystemClock, TimeZoneName};
use closeq_pipeline::LocalInstallation;
use closeq_privacy::rectification::{MemberCorrection, rectify_own_account};

/// Account commands. `Debug` names the fields given, never their values.
#[derive(Subcommand)]
pub enum AccountCommand {
    /// Print your member record (role, name, e-mail, time zone, locale).
    Show,
    /// Correct your own time zone or interface language (applied at once),
    /// or file a correction of your name or e-mail address for an owner or
    /// admin to verify and apply.
    Update {
        /// Your name as shown to others.
        #[arg(long)]
        name: Option<String>,
        /// Your e-mail address.
        #[arg(long)]
        email: Option<String>,
        /// Your time zone (IANA name, such as Europe/Warsaw).
        #[arg(long)]
        time_zone: Option<String>,
        /// Your interface language (such as pl or en-GB).
        #[arg(long)]
        locale: Option<String>,
    },
}

/// Runs an account command as the local installation's user.
pub fn run(cmd: AccountCommand) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let state = LocalInstallation::open().await?;
        let scope = state.owner_scope();
        let member = state.workspaces().get_member(scope, scope.user_id).await?;
        match cmd {
            AccountCommand::Show => {
                println!("user id:   {}", member.user_id);
                println!("role:      {}", member.role);
                let name = member.display_name.as_ref().map(|n| n.expose().as_str());
                println!("name:      {}", name.unwrap_or("(not set)"));
                let email = member.email.as_ref().map(EmailAddress::as_str);
                println!("e-mail:    {}", email.unwrap_or("(not set)"));
                let tz = member.time_zone.as_ref().map(TimeZoneName::as_str);
                println!("time zone: {}", tz.unwrap_or("(not set: UTC)"));
                let locale = member.preferences.locale.as_ref().map(Locale::as_str);
                println!("locale:    {}", locale.unwrap_or("(not set)"));
            }
            AccountCommand::Update {
                name,
                email,
                time_zone,
                locale,
            } => {
                let preferences = match locale {
                    None => None,
                    Some(l) => {
                        let mut p = member.preferences.clone();
                        p.locale = Some(Locale::parse(&l).context("--locale")?);
                        Some(p)
                    }
                };
                let correction = MemberCorrection {
                    display_name: name,
                    email: email
                        .map(|e| EmailAddress::parse(&e))
                        .transpose()
                        .context("--email")?,
                    time_zone: time_zone
                        .map(|t| TimeZoneName::parse(&t))
                        .transpose()
                        .context("--time-zone")?,
                    preferences,
                };
                let done = rectify_own_account(
                    state.workspaces().as_ref(),
                    &SystemClock,
                    scope,
                    &correction,
                )
                .await?;
                if let Some(r) = &done.applied {
                    println!(
                        "corrected your {}; recorded as request {}",
                        done.applied_fields.join(", "),
                        r.id
                    );
                }
                if let Some(r) = &done.filed {
                    println!(
                        "your corrected {} must be verified and applied by an owner or admin \
                         (they identify you elsewhere); filed as request {} — the admin applies it \
                         with `closeq dsr rectify --user {}`",
                        done.filed_fields.join(", "),
                        r.id,
                        scope.user_id
                    );
                }
            }
        }
        Ok(())
    })
}

impl std::fmt::Debug for AccountCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Show => f.write_str("Show"),
            Self::Update {
                name,
                email,
                time_zone,
                locale,
            } => f
                .debug_struct("Update")
                .field("name", &name.is_some())
                .field("email", &email.is_some())
                .field("time_zone", &time_zone.is_some())
                .field("locale", &locale.is_some())
                .finish(),
        }
    }
}
