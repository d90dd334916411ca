//! `closeq db setup|migrate|check` against a real PostgreSQL server, as the
//! README's "Running on PostgreSQL and S3" walks through it: from an empty
//! server to a queued call analysed by a worker; and the DBA's path, the
//! printed SQL run through psql, then `db migrate` as the owner.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::process::{Command, Output};

use support::ok;

fn run(dir: &std::path::Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_closeq"))
        .env("CLOSEQ_DATA_DIR", dir)
        .env_remove("CLOSEQ_DATABASE_URL")
        .env_remove("CLOSEQ_DATABASE_OWNER_URL")
        .env_remove("CLOSEQ_DATABASE_ADMIN_URL")
        .envs(env.iter().copied())
        .args(args)
        .output()
        .unwrap()
}

/// The value of `export NAME='VALUE'` in `out`.
fn exported(out: &str, name: &str) -> String {
    let prefix = format!("export {name}='");
    let line = out
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no {name} in {out}"));
    line[prefix.len()..].split('\'').next().unwrap().to_owned()
}

fn tag() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_owned()
}

fn drop_all(admin: &str, db: &str, roles: &[&str]) {
    let mut cmd = Command::new("psql");
    cmd.args([admin, "-v", "ON_ERROR_STOP=1", "-q"]);
    cmd.args(["-c", &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")]);
    for r in roles {
        cmd.args(["-c", &format!("DROP ROLE IF EXISTS {r}")]);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn from_an_empty_server_to_an_analysed_call() {
    let Some(admin) = closeq_core::testing::required_service_url("CLOSEQ_TEST_POSTGRES_URL") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let t = tag();
    let (db, owner, app) = (
        format!("closeq_c_{t}"),
        format!("closeq_co_{t}"),
        format!("closeq_ca_{t}"),
    );
    let out = ok(&run(
        d,
        &[("CLOSEQ_DATABASE_ADMIN_URL", &admin)],
        &[
            "db",
            "setup",
            "--database",
            &db,
            "--owner-role",
            &owner,
            "--runtime-role",
            &app,
        ],
    ));
    let owner_url = exported(&out, "CLOSEQ_DATABASE_OWNER_URL");
    let app_url = exported(&out, "CLOSEQ_DATABASE_URL");
    let env = [
        ("CLOSEQ_DATABASE_URL", app_url.as_str()),
        ("CLOSEQ_DATABASE_OWNER_URL", owner_url.as_str()),
    ];
    // A second set-up changes nothing and says why.
    let again = run(
        d,
        &[("CLOSEQ_DATABASE_ADMIN_URL", &admin)],
        &[
            "db",
            "setup",
            "--database",
            &db,
            "--owner-role",
            &owner,
            "--runtime-role",
            &app,
        ],
    );
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    let check = ok(&run(d, &env, &["db", "check"]));
    assert!(
        check.contains("all ") && check.contains("checks passed"),
        "{check}"
    );
    assert!(check.contains("as this build expects"), "{check}");
    assert!(ok(&run(d, &env, &["db", "migrate"])).contains("migrated"));
    // The runtime role alone: every check but the schema version.
    let as_app = ok(&run(d, &env[..1], &["db", "check", "--json"]));
    let json: serde_json::Value = serde_json::from_str(&as_app).unwrap();
    assert!(
        json["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["ok"] == true)
    );
    // The walkthrough: a call queued and analysed on the new database.
    let file = format!(
        "{}/samples/01_discovery_won.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    let id = ok(&run(
        d,
        &env[..1],
        &["analyze", &file, "--rep-speaker", "Rep", "--queue"],
    ));
    let ran = ok(&run(d, &env[..1], &["worker", "--once"]));
    assert_eq!(
        ran.trim(),
        "ran 3 jobs",
        "the call and the schedule's first runs"
    );
    let shown = ok(&run(d, &env[..1], &["calls", "show", id.trim(), "--json"]));
    let json: serde_json::Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(json["call"]["status"]["state"], "analyzed", "{json}");

    // A broken database fails the check with exit code 1, naming the item.
    let in_db = {
        let mut u = url::Url::parse(&admin).unwrap();
        u.set_path(&format!("/{db}"));
        u.to_string()
    };
    let out = Command::new("psql")
        .args([
            &in_db,
            "-v",
            "ON_ERROR_STOP=1",
            "-q",
            "-c",
            "ALTER TABLE scorecards DISABLE ROW LEVEL SECURITY",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let broken = run(d, &env, &["db", "check"]);
    assert_eq!(broken.status.code(), Some(1));
    let text = String::from_utf8_lossy(&broken.stdout);
    assert!(
        text.lines()
            .any(|l| l.starts_with("FAIL") && l.contains("table scorecards")),
        "{text}"
    );
    drop_all(&admin, &db, &[&app, &owner]);
}

#[test]
fn a_dba_runs_the_printed_sql_then_migrates_as_the_owner() {
    let Some(admin) = closeq_core::testing::required_service_url("CLOSEQ_TEST_POSTGRES_URL") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let t = tag();
    let (db, owner, app) = (
        format!("closeq_p_{t}"),
        format!("closeq_po_{t}"),
        format!("closeq_pa_{t}"),
    );
    let sql = ok(&run(
        d,
        &[],
        &[
            "db",
            "setup",
            "--print-sql",
            "--database",
            &db,
            "--owner-role",
            &owner,
            "--runtime-role",
            &app,
        ],
    ));
    assert!(
        sql.contains(&format!("CREATE DATABASE {db} OWNER {owner};")),
        "{sql}"
    );
    // Printing changed nothing.
    let listed = Command::new("psql")
        .args([
            &admin,
            "-tA",
            "-c",
            &format!("SELECT count(*) FROM pg_roles WHERE rolname = '{owner}'"),
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&listed.stdout).trim(), "0");
    let out = Command::new("psql")
        .args([
            &admin,
            "-v",
            "ON_ERROR_STOP=1",
            "-q",
            "-c",
            "SET client_min_messages = warning",
        ])
        .arg("-f")
        .arg("-")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(sql.as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let url_for = |user: &str| {
        let mut u = url::Url::parse(&admin).unwrap();
        u.set_username(user).unwrap();
        u.set_password(None).unwrap();
        u.set_path(&format!("/{db}"));
        u.to_string()
    };
    let (owner_url, app_url) = (url_for(&owner), url_for(&app));
    let migrated = ok(&run(
        d,
        &[("CLOSEQ_DATABASE_OWNER_URL", &owner_url)],
        &["db", "migrate", "--runtime-role", &app],
    ));
    assert!(migrated.contains("migrated"), "{migrated}");
    let env = [
        ("CLOSEQ_DATABASE_URL", app_url.as_str()),
        ("CLOSEQ_DATABASE_OWNER_URL", owner_url.as_str()),
    ];
    let check = ok(&run(d, &env, &["db", "check"]));
    assert!(check.contains("checks passed"), "{check}");
    drop_all(&admin, &db, &[&app, &owner]);
}
