//! Setting up a PostgreSQL server for CloseQ and checking it, for
//! `closeq db setup|migrate|check` and for embedders who script the same:
//!
//! - [`DatabaseSetup`] creates the two roles CloseQ needs — the **owner**,
//!   which owns the schema and runs migrations, and the **runtime** role
//!   every process connects as, bound by Row-Level Security (no superuser,
//!   no BYPASSRLS, no CREATEROLE, not a member of the owner) — and the
//!   database, then migrates it. [`DatabaseSetup::statements`] is the same
//!   work as SQL for a DBA to read and run.
//! - [`check_database`] reads the catalog and reports, item by item,
//!   whether the database is as CloseQ's isolation promise needs it.

use rand::RngCore;
use serde::Serialize;
use sqlx::{Connection, Row};

use closeq_core::{Error, Result};

use crate::sql::from_sqlx;
use crate::{PostgresDialect, PostgresStore};

/// A role or database name CloseQ creates: a plain lower-case identifier,
/// so it never needs quoting.
fn check_name(field: &'static str, name: &str) -> Result<()> {
    let ok = (1..=63).contains(&name.len())
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            "must be 1-63 of a-z 0-9 _, starting with a letter or _",
        ))
    }
}

/// A password CloseQ generates: 32 random bytes from the operating system,
/// as hex (safe inside an SQL literal and a URL).
pub fn new_password() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// `url` with its user, password and database replaced.
fn url_with(url: &str, user: &str, password: Option<&str>, database: &str) -> Result<String> {
    let bad = || Error::invalid("admin_url", "not a postgres:// URL");
    let mut u = url::Url::parse(url).map_err(|_| bad())?;
    if !matches!(u.scheme(), "postgres" | "postgresql") || u.host_str().is_none() {
        return Err(bad());
    }
    check_query(&u, "admin_url")?;
    u.set_username(user).map_err(|()| bad())?;
    u.set_password(password).map_err(|()| bad())?;
    u.set_path(&format!("/{database}"));
    Ok(u.to_string())
}

/// Refuses a URL whose query names the user, password or database: the
/// driver lets them override the URL's own, so the URLs made from it would
/// connect as someone else (and carry the administrator's password).
fn check_query(u: &url::Url, field: &'static str) -> Result<()> {
    let overrides = u
        .query_pairs()
        .any(|(k, _)| matches!(k.as_ref(), "user" | "password" | "dbname" | "host" | "port"));
    if overrides {
        return Err(Error::invalid(
            field,
            "put the user, password, host, port and database in the URL itself, not its query",
        ));
    }
    Ok(())
}

/// The roles and database to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseSetup {
    database: String,
    owner_role: String,
    runtime_role: String,
}

/// What [`DatabaseSetup::run`] made. `Debug` leaves the URLs out: they
/// carry the new passwords.
#[derive(Clone)]
pub struct SetupOutcome {
    /// The owner role's URL (for `closeq db migrate`; keep it from the
    /// workers).
    pub owner_url: String,
    /// The runtime role's URL (`CLOSEQ_DATABASE_URL` of every process).
    pub runtime_url: String,
}

impl std::fmt::Debug for SetupOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetupOutcome").finish_non_exhaustive()
    }
}

impl DatabaseSetup {
    /// Database `database`, owned by `owner_role`, used through
    /// `runtime_role`. Errors: `InvalidInput` naming the field for a name
    /// that is not a plain identifier, or for the same name twice.
    pub fn new(database: &str, owner_role: &str, runtime_role: &str) -> Result<Self> {
        check_name("database", database)?;
        check_name("owner_role", owner_role)?;
        check_name("runtime_role", runtime_role)?;
        if owner_role == runtime_role {
            return Err(Error::invalid(
                "runtime_role",
                "must differ from the owner role (the owner can switch Row-Level Security off)",
            ));
        }
        Ok(Self {
            database: database.into(),
            owner_role: owner_role.into(),
            runtime_role: runtime_role.into(),
        })
    }

    /// The SQL, as an administrator (a superuser, or a role with CREATEROLE
    /// and CREATEDB that is a member of the owner role) runs it: the
    /// roles with their passwords, the database, and what PUBLIC may do in
    /// it. The `\connect` line is psql's. Migrations follow, as the owner
    /// (`closeq db migrate`, [`PostgresStore::migrate`]).
    pub fn statements(&self, owner_password: &str, runtime_password: &str) -> Vec<String> {
        let (db, owner, runtime) = (&self.database, &self.owner_role, &self.runtime_role);
        let plain = "NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOREPLICATION";
        vec![
            format!("CREATE ROLE {owner} LOGIN {plain} PASSWORD '{owner_password}'"),
            format!("CREATE ROLE {runtime} LOGIN {plain} NOINHERIT PASSWORD '{runtime_password}'"),
            format!("CREATE DATABASE {db} OWNER {owner}"),
            format!("REVOKE ALL ON DATABASE {db} FROM PUBLIC"),
            format!("GRANT CONNECT, TEMPORARY ON DATABASE {db} TO {runtime}"),
            format!("\\connect {db}"),
            "REVOKE CREATE ON SCHEMA public FROM PUBLIC".into(),
        ]
    }

    /// Creates the roles and the database as the administrator at
    /// `admin_url`, with fresh random passwords, then migrates as the
    /// owner. Refuses (`Conflict`) when a role or the database already
    /// exists: nothing is changed then.
    pub async fn run(&self, admin_url: &str) -> Result<SetupOutcome> {
        url_with(admin_url, "check", None, "check")?;
        let owner_password = new_password();
        let runtime_password = new_password();
        let failed = |e: sqlx::Error| from_sqlx::<PostgresDialect>("setup", e);
        let mut admin =
            sqlx::PgConnection::connect(admin_url)
                .await
                .map_err(|_| Error::Unavailable {
                    service: "postgres".into(),
                    reason: "cannot connect with the administrator's URL".into(),
                })?;
        let taken = sqlx::query(
            "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname IN ($1, $2)), \
                    EXISTS (SELECT 1 FROM pg_database WHERE datname = $3)",
        )
        .bind(&self.owner_role)
        .bind(&self.runtime_role)
        .bind(&self.database)
        .fetch_one(&mut admin)
        .await
        .map_err(failed)?;
        if taken.get::<bool, _>(0) || taken.get::<bool, _>(1) {
            return Err(Error::Conflict {
                resource: "database setup",
                reason: "a role or the database already exists; use `closeq db migrate` and \
                         `closeq db check` on an existing set-up"
                    .into(),
            });
        }
        let statements = self.statements(&owner_password, &runtime_password);
        let (before, after) = statements.split_at(5);
        for sql in before {
            sqlx::query(sql).execute(&mut admin).await.map_err(failed)?;
        }
        admin.close().await.map_err(failed)?;
        let admin_user = url::Url::parse(admin_url)
            .map(|u| u.username().to_owned())
            .unwrap_or_default();
        let admin_password = url::Url::parse(admin_url)
            .ok()
            .and_then(|u| u.password().map(str::to_owned));
        let in_db = url_with(
            admin_url,
            &admin_user,
            admin_password.as_deref(),
            &self.database,
        )?;
        let mut admin =
            sqlx::PgConnection::connect(&in_db)
                .await
                .map_err(|_| Error::Unavailable {
                    service: "postgres".into(),
                    reason: "cannot connect to the new database as the administrator".into(),
                })?;
        for sql in after.iter().filter(|s| !s.starts_with('\\')) {
            sqlx::query(sql).execute(&mut admin).await.map_err(failed)?;
        }
        admin.close().await.map_err(failed)?;
        let owner_url = url_with(
            admin_url,
            &self.owner_role,
            Some(&owner_password),
            &self.database,
        )?;
        let runtime_url = url_with(
            admin_url,
            &self.runtime_role,
            Some(&runtime_password),
            &self.database,
        )?;
        PostgresStore::migrate(&owner_url, &self.runtime_role).await?;
        Ok(SetupOutcome {
            owner_url,
            runtime_url,
        })
    }
}

/// The user name in a `postgres://` URL (the runtime role of
/// `CLOSEQ_DATABASE_URL`). Errors: `InvalidInput` naming `url`.
pub fn role_of_url(url: &str) -> Result<String> {
    let u = url::Url::parse(url).map_err(|_| Error::invalid("url", "not a postgres:// URL"))?;
    check_query(&u, "url")?;
    let user = u.username();
    check_name("url", user)?;
    Ok(user.to_owned())
}

/// One finding of [`check_database`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckItem {
    /// What was checked.
    pub name: String,
    /// Whether it is as it must be.
    pub ok: bool,
    /// What was found, for a DBA.
    pub detail: String,
}

/// What [`check_database`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DatabaseReport {
    /// The findings, in the order checked.
    pub items: Vec<CheckItem>,
}

impl DatabaseReport {
    /// Whether every item passed.
    pub fn ok(&self) -> bool {
        self.items.iter().all(|i| i.ok)
    }

    fn add(&mut self, name: impl Into<String>, ok: bool, detail: impl Into<String>) {
        self.items.push(CheckItem {
            name: name.into(),
            ok,
            detail: detail.into(),
        });
    }
}

/// Reads the catalog of the database at `url` (any role; the owner's also
/// sees the schema version) and reports whether `runtime_role` is bound by
/// Row-Level Security and every tenant table is protected:
///
/// - the runtime role is no superuser, has no BYPASSRLS or CREATEROLE and
///   reaches no role that has, and owns no table (directly or through a
///   role it is a member of);
/// - every table with a `workspace_id` column has RLS enabled and forced,
///   with restrictive tenant policies for every command;
/// - no view in `public` (a view runs with its owner's rights);
/// - the job queue's functions are `SECURITY DEFINER` with a fixed
///   `search_path`, and the runtime role cannot insert or update jobs;
/// - the migrations applied match this build's (when the role may read
///   them).
///
/// Errors: `Unavailable` when the database cannot be reached.
pub async fn check_database(url: &str, runtime_role: &str) -> Result<DatabaseReport> {
    check_name("runtime_role", runtime_role)?;
    let failed = |e: sqlx::Error| from_sqlx::<PostgresDialect>("check", e);
    let mut c = sqlx::PgConnection::connect(url)
        .await
        .map_err(|_| Error::Unavailable {
            service: "postgres".into(),
            reason: "cannot connect with the URL given".into(),
        })?;
    let mut report = DatabaseReport::default();
    let role = crate::postgres::role_powers(&mut c, Some(runtime_role))
        .await
        .map_err(failed)?;
    let name = format!("runtime role {runtime_role}");
    if !role.exists {
        report.add(name, false, "no such role");
        return Ok(report);
    }
    let (bypass, createrole, owns) = (role.bypass, role.createrole, role.owns);
    let detail = match (bypass, createrole, owns) {
        (true, _, _) => "is or reaches a superuser or BYPASSRLS role: RLS does not bind it",
        (_, true, _) => "is or reaches a role with CREATEROLE: it can grant itself the owner role",
        (_, _, true) => "owns tables, or is a member of their owner: it can switch RLS off",
        _ => "no superuser, BYPASSRLS or CREATEROLE, owns no table",
    };
    report.add(name, !(bypass || createrole || owns), detail);
    let creates = role.creates;
    report.add(
        "nobody else creates in public",
        !creates,
        if creates {
            "the runtime role (or PUBLIC) may create objects in schema public, where the owner's \
             SECURITY DEFINER functions look names up: a planted function runs as the owner \
             (`closeq db migrate` revokes it)"
        } else {
            "the runtime role cannot create objects in schema public"
        },
    );

    let tables = sqlx::query(
        "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, \
                COALESCE((SELECT string_agg(p.polcmd::text, '' ORDER BY p.polcmd::text) \
                          FROM pg_policy p WHERE p.polrelid = c.oid AND NOT p.polpermissive \
                          AND COALESCE(pg_get_expr(p.polqual, p.polrelid), '') \
                              || COALESCE(pg_get_expr(p.polwithcheck, p.polrelid), '') \
                              LIKE '%closeq_ws()%'), '') \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') \
           AND n.nspname NOT LIKE 'pg\\_%' AND c.relkind IN ('r', 'p') \
           AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid \
                       AND a.attname = 'workspace_id' AND NOT a.attisdropped) \
         ORDER BY c.relname",
    )
    .fetch_all(&mut c)
    .await
    .map_err(failed)?;
    if tables.is_empty() {
        report.add(
            "tenant tables",
            false,
            "none found: run `closeq db migrate` as the owner",
        );
    }
    for t in &tables {
        let table: String = t.get(0);
        let (enabled, forced, cmds): (bool, bool, String) = (t.get(1), t.get(2), t.get(3));
        let restrictive = cmds == "*" || cmds == "adrw";
        let detail = if !enabled {
            "row-level security is off".to_owned()
        } else if !forced {
            "row-level security is not forced (the owner is not bound)".to_owned()
        } else if !restrictive {
            "no restrictive policy on the scope's workspace (closeq_ws()) for every command"
                .to_owned()
        } else {
            "row-level security on and forced, restrictive tenant policy".to_owned()
        };
        report.add(
            format!("table {table}"),
            enabled && forced && restrictive,
            detail,
        );
    }

    let views: i64 = sqlx::query(
        "SELECT (SELECT count(*) FROM pg_views WHERE schemaname = 'public') \
              + (SELECT count(*) FROM pg_matviews WHERE schemaname = 'public')",
    )
    .fetch_one(&mut c)
    .await
    .map_err(failed)?
    .get(0);
    report.add(
        "no views",
        views == 0,
        if views == 0 {
            "no view in public".to_owned()
        } else {
            format!(
                "{views} view(s) in public: a view runs with its owner's rights and bypasses RLS"
            )
        },
    );

    let functions = sqlx::query(
        "SELECT p.proname, p.prosecdef, \
                COALESCE(array_to_string(p.proconfig, ','), '') LIKE '%search_path=%' \
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
         WHERE n.nspname = 'public' AND p.proname LIKE 'closeq\\_job\\_%' ORDER BY 1",
    )
    .fetch_all(&mut c)
    .await
    .map_err(failed)?;
    let fixed = functions
        .iter()
        .all(|f| f.get::<bool, _>(1) && f.get::<bool, _>(2));
    report.add(
        "job queue functions",
        functions.len() == 4 && fixed,
        format!(
            "{} closeq_job_* functions, {}",
            functions.len(),
            if fixed {
                "each SECURITY DEFINER with a fixed search_path"
            } else {
                "not all SECURITY DEFINER with a fixed search_path"
            }
        ),
    );
    let definer = sqlx::query(
        "SELECT COALESCE((SELECT btrim(p.prosrc) = format('SELECT current_user = %L::name', \
                                                         pg_get_userbyid(c.relowner)) \
                          FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
                          WHERE n.nspname = 'public' AND p.proname = 'closeq_jobs_definer'), false) \
         FROM pg_class c WHERE c.oid = to_regclass('public.jobs')",
    )
    .fetch_optional(&mut c)
    .await
    .map_err(failed)?
    .is_some_and(|r| r.get::<bool, _>(0));
    report.add(
        "job functions name the owner",
        definer,
        if definer {
            "closeq_jobs_definer() names the jobs table's owner"
        } else {
            "closeq_jobs_definer() does not name the jobs table's owner (renamed?): the queue \
             sees no job until `closeq db migrate` runs as the owner"
        },
    );
    let writes = sqlx::query(
        "SELECT to_regclass('public.jobs') IS NOT NULL \
                AND (has_table_privilege($1, 'public.jobs', 'INSERT') \
                     OR has_table_privilege($1, 'public.jobs', 'UPDATE'))",
    )
    .bind(runtime_role)
    .fetch_one(&mut c)
    .await
    .map_err(failed)?
    .get::<bool, _>(0);
    report.add(
        "jobs written through the functions only",
        !writes,
        if writes {
            "the runtime role may insert or update jobs directly"
        } else {
            "the runtime role cannot insert or update jobs"
        },
    );

    let expected = sqlx::migrate!("./migrations/postgres")
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap_or(0);
    match sqlx::query("SELECT COALESCE(max(version), 0) FROM _sqlx_migrations WHERE success")
        .fetch_one(&mut c)
        .await
    {
        Ok(row) => {
            let applied: i64 = row.get(0);
            report.add(
                "schema version",
                applied == expected,
                if applied == expected {
                    format!("migration {applied}, as this build expects")
                } else if applied < expected {
                    format!("migration {applied}; this build expects {expected}: run `closeq db migrate`")
                } else {
                    format!("migration {applied} is newer than this build's {expected}: upgrade closeq")
                },
            );
        }
        Err(_) => report.add(
            "schema version",
            true,
            "not readable by this role (the runtime role may not read it); check with the owner's URL",
        ),
    }
    c.close().await.map_err(failed)?;
    Ok(report)
}
