//! `closeq account`: the local user's own account data — shown, and
//! corrected by themselves (GDPR Art. 16, self-service; recorded as a
//! completed rectification request about them and audited).

use anyhow::Context;
use clap::Subcommand;
use closeq_core::{EmailAddress, Locale, SystemClock, TimeZoneName};
use closeq_pipeline::LocalInstallation;
use closeq_privacy::rectification::{MemberCorrection, rectify_own_account};

/// Account commands.
#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Print your member record (role, name, e-mail, time zone, locale).
    Show,
    /// Correct your own name, e-mail address, time zone or interface
    /// language.
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
                let r = rectify_own_account(
                    state.workspaces().as_ref(),
                    &SystemClock,
                    scope,
                    &correction,
                )
                .await?;
                println!(
                    "corrected your {}; recorded as request {}",
                    correction.fields().join(", "),
                    r.id
                );
            }
        }
        Ok(())
    })
}
