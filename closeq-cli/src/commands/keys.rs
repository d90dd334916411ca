//! `closeq keys create|list|revoke` for the local installation.

use std::sync::Arc;

use clap::Subcommand;
use closeq_core::{ApiKeyId, SystemClock};
use closeq_privacy::secrets::{ApiKeys, KeyEnvironment};

use closeq_pipeline::LocalInstallation;

/// API-key commands.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key (printed once; only its hash is stored).
    Create {
        /// A name for the key.
        name: String,
        /// Scopes (repeatable).
        #[arg(long = "scope", default_value = "calls:write")]
        scopes: Vec<String>,
        /// Create a test-mode key (`cq_test_`).
        #[arg(long)]
        test: bool,
    },
    /// List keys (prefixes only).
    List,
    /// Revoke a key by id.
    Revoke {
        /// The key's id.
        id: String,
    },
}

/// Runs a keys command.
pub fn run(cmd: KeysCommand) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let state = LocalInstallation::open().await?;
        // Keys are issued for the environment they will be used in.
        let env = match &cmd {
            KeysCommand::Create { test: true, .. } => KeyEnvironment::Test,
            _ => KeyEnvironment::Live,
        };
        let keys = ApiKeys::new(state.workspaces().clone(), Arc::new(SystemClock), env);
        match cmd {
            KeysCommand::Create { name, scopes, .. } => {
                let (key, rec) = keys.create(state.owner_scope(), &name, scopes).await?;
                println!("{}", key.expose());
                eprintln!(
                    "created key {} ({}…); it is shown only now — store it safely",
                    rec.id, rec.display_prefix
                );
            }
            KeysCommand::List => {
                for k in state
                    .workspaces()
                    .list_api_keys(state.owner_scope())
                    .await?
                {
                    println!(
                        "{}  {}…  {:<20} {}  {}",
                        k.id,
                        k.display_prefix,
                        k.name,
                        k.scopes.join(","),
                        k.revoked_at
                            .map_or_else(|| "active".to_owned(), |t| format!("revoked {t}"))
                    );
                }
            }
            KeysCommand::Revoke { id } => {
                let id: ApiKeyId = id.parse()?;
                keys.revoke(state.owner_scope(), id).await?;
                println!("revoked {id}");
            }
        }
        Ok(())
    })
}
