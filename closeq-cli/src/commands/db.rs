//! `closeq db setup|migrate|check`: a PostgreSQL server made ready for
//! CloseQ from the command line — the owner and runtime roles, the
//! database, its migrations, and a report a DBA can read.

use clap::Subcommand;
use closeq_storage::PostgresStore;
use closeq_storage::postgres_setup::{DatabaseSetup, check_database, role_of_url};

/// `closeq db`. `Debug` names the command only: its URLs carry passwords.
#[derive(Subcommand)]
pub enum DbCommand {
    /// Create the owner role, the runtime role and the database (as an
    /// administrator), migrate it, and print the two URLs.
    Setup {
        /// An administrator's URL (a superuser, or a role with CREATEROLE
        /// and CREATEDB): postgres://admin:PASSWORD@HOST/postgres.
        #[arg(long, env = "CLOSEQ_DATABASE_ADMIN_URL", hide_env_values = true)]
        admin_url: Option<String>,
        /// The database to create.
        #[arg(long, default_value = "closeq")]
        database: String,
        /// The role that owns the schema and runs migrations.
        #[arg(long, default_value = "closeq_owner")]
        owner_role: String,
        /// The role every closeq process connects as, bound by Row-Level
        /// Security.
        #[arg(long, default_value = "closeq_app")]
        runtime_role: String,
        /// Print the SQL for a DBA instead (with fresh passwords), and
        /// change nothing.
        #[arg(long)]
        print_sql: bool,
    },
    /// Apply the migrations this build carries, as the owner role, and
    /// grant the runtime role what it needs (idempotent).
    Migrate {
        /// The owner role's URL.
        #[arg(long, env = "CLOSEQ_DATABASE_OWNER_URL", hide_env_values = true)]
        owner_url: String,
        /// The runtime role (default: the user of CLOSEQ_DATABASE_URL).
        #[arg(long)]
        runtime_role: Option<String>,
    },
    /// Report whether the runtime role is bound by Row-Level Security and
    /// every tenant table is protected; exit code 1 when not.
    Check {
        /// The URL to read the catalog with (default: CLOSEQ_DATABASE_OWNER_URL,
        /// which also sees the schema version, else CLOSEQ_DATABASE_URL).
        #[arg(long)]
        url: Option<String>,
        /// The runtime role (default: the user of CLOSEQ_DATABASE_URL).
        #[arg(long)]
        runtime_role: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

impl std::fmt::Debug for DbCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            Self::Setup { .. } => "Setup",
            Self::Migrate { .. } => "Migrate",
            Self::Check { .. } => "Check",
        };
        f.debug_struct(name).finish_non_exhaustive()
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn runtime_role(given: Option<String>) -> anyhow::Result<String> {
    if let Some(role) = given {
        return Ok(role);
    }
    let url = env("CLOSEQ_DATABASE_URL").ok_or_else(|| {
        anyhow::anyhow!("name the runtime role with --runtime-role, or set CLOSEQ_DATABASE_URL")
    })?;
    Ok(role_of_url(&url)?)
}

/// Runs `closeq db`; `Ok(false)` when a check failed.
pub fn run(cmd: DbCommand) -> anyhow::Result<bool> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        match cmd {
            DbCommand::Setup {
                admin_url,
                database,
                owner_role,
                runtime_role,
                print_sql,
            } => {
                let setup = DatabaseSetup::new(&database, &owner_role, &runtime_role)?;
                if print_sql {
                    let owner_pw = closeq_storage::postgres_setup::new_password();
                    let runtime_pw = closeq_storage::postgres_setup::new_password();
                    println!("-- CloseQ database set-up, for psql as an administrator.");
                    println!("-- The passwords are fresh and stored nowhere: keep them.");
                    for sql in setup.statements(&owner_pw, &runtime_pw) {
                        if sql.starts_with('\\') {
                            println!("{sql}");
                        } else {
                            println!("{sql};");
                        }
                    }
                    println!("-- Then, as the owner:");
                    println!(
                        "--   CLOSEQ_DATABASE_OWNER_URL=postgres://{owner_role}:PASSWORD@HOST/{database} closeq db migrate --runtime-role {runtime_role}"
                    );
                    return Ok(true);
                }
                let admin = admin_url.ok_or_else(|| {
                    anyhow::anyhow!("give --admin-url or set CLOSEQ_DATABASE_ADMIN_URL (or use --print-sql)")
                })?;
                let made = setup.run(&admin).await?;
                println!("created roles {owner_role} (owner) and {runtime_role} (runtime), database {database}, migrated");
                println!("export CLOSEQ_DATABASE_OWNER_URL='{}'   # migrations only: keep it from the workers", made.owner_url);
                println!("export CLOSEQ_DATABASE_URL='{}'         # every closeq process", made.runtime_url);
                Ok(true)
            }
            DbCommand::Migrate {
                owner_url,
                runtime_role: role,
            } => {
                let role = runtime_role(role)?;
                PostgresStore::migrate(&owner_url, &role).await?;
                println!("migrated; {role} granted what it needs");
                Ok(true)
            }
            DbCommand::Check {
                url,
                runtime_role: role,
                json,
            } => {
                let role = runtime_role(role)?;
                let url = url
                    .or_else(|| env("CLOSEQ_DATABASE_OWNER_URL"))
                    .or_else(|| env("CLOSEQ_DATABASE_URL"))
                    .ok_or_else(|| {
                        anyhow::anyhow!("give --url, or set CLOSEQ_DATABASE_OWNER_URL or CLOSEQ_DATABASE_URL")
                    })?;
                let report = check_database(&url, &role).await?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&report)?);
                } else {
                    for item in &report.items {
                        let mark = if item.ok { "ok  " } else { "FAIL" };
                        println!("{mark}  {:<42}  {}", item.name, item.detail);
                    }
                    let failed = report.items.iter().filter(|i| !i.ok).count();
                    if failed == 0 {
                        println!("all {} checks passed", report.items.len());
                    } else {
                        println!("{failed} of {} checks failed", report.items.len());
                    }
                }
                Ok(report.ok())
            }
        }
    })
}
