//! The CLI against PostgreSQL (`CLOSEQ_DATABASE_URL`), connected as the
//! RLS-bound runtime role: requests, restriction and analysis go through
//! the same commands as on SQLite.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../closeq-storage/tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::process::{Command, Output};

fn closeq(dir: &Path, url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_closeq"))
        .env("CLOSEQ_DATA_DIR", dir)
        .env("CLOSEQ_DATABASE_URL", url)
        .args(args)
        .output()
        .unwrap()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn dsr_and_analyze_on_postgres() {
    let Some(db) = support::db() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (d, url) = (dir.path(), db.runtime_url.as_str());
    let fixture = format!(
        "{}/../closeq-analysis/tests/fixtures/discovery_good.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    let analyze = |extra: &[&str]| {
        let mut args = vec![
            "analyze",
            fixture.as_str(),
            "--rep-speaker",
            "Rep",
            "--rubric",
            "bant",
        ];
        args.extend_from_slice(extra);
        closeq(d, url, &args)
    };
    ok(&closeq(
        d,
        url,
        &["dsr", "restrict", "--email", "pg-client@example.com"],
    ));
    let refused = analyze(&["--client-email", "PG-Client@example.com"]);
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("GDPR Art. 18"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    ok(&closeq(
        d,
        url,
        &["dsr", "unrestrict", "--email", "pg-client@example.com"],
    ));
    let out = ok(&analyze(&["--client-email", "pg-client@example.com"]));
    assert!(out.contains("stored as call"), "{out}");
    let export = ok(&closeq(
        d,
        url,
        &["dsr", "export", "--email", "pg-client@example.com"],
    ));
    let export: serde_json::Value = serde_json::from_str(&export).unwrap();
    assert_eq!(export["calls"].as_array().unwrap().len(), 1);
    let list = ok(&closeq(d, url, &["dsr", "list"]));
    assert_eq!(list.matches("completed").count(), 2, "{list}");
    // No SQLite file was made: the data went to PostgreSQL.
    assert!(!d.join("closeq.db").exists());
    // A URL that is not PostgreSQL is refused by name.
    let bad = closeq(d, "mysql://x", &["dsr", "list"]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("CLOSEQ_DATABASE_URL"));
}
