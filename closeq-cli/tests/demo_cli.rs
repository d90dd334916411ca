//! `closeq demo` on a fresh data folder: the main job end to end.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

#[test]
fn demo_scores_the_samples_and_stores_them() {
    let dir = tempfile::tempdir().unwrap();
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_closeq"))
            .env("CLOSEQ_DATA_DIR", dir.path())
            .arg("demo")
            .output()
            .unwrap()
    };
    let out = run();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = String::from_utf8(out.stdout).unwrap();
    for name in ["01_discovery_won", "02_discovery_lost", "03_demo_follow_up"] {
        assert!(s.contains(name), "{s}");
    }
    assert!(s.contains("Stored 3 calls"), "{s}");
    assert!(
        s.contains("no concrete next step"),
        "the lost call is flagged: {s}"
    );
    assert!(dir.path().join("closeq.db").exists());
    // A second run reuses the workspace and adds three more calls.
    assert!(run().status.success());
}

#[test]
fn retention_plan_and_run_on_a_fresh_installation() {
    let dir = tempfile::tempdir().unwrap();
    let closeq = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_closeq"))
            .env("CLOSEQ_DATA_DIR", dir.path())
            .args(args)
            .output()
            .unwrap()
    };
    assert!(closeq(&["demo"]).status.success());
    let out = closeq(&["retention", "plan", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["counts"],
        serde_json::json!({}),
        "nothing is due for calls made today"
    );
    let out = closeq(&["retention", "run"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("nothing is due"));
}

#[test]
fn processing_record_on_a_fresh_installation() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_closeq"))
        .env("CLOSEQ_DATA_DIR", dir.path())
        .args(["processing-record", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["categories"].as_array().unwrap().len(), 10);
}

#[test]
fn keys_create_list_revoke() {
    let dir = tempfile::tempdir().unwrap();
    let closeq = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_closeq"))
            .env("CLOSEQ_DATA_DIR", dir.path())
            .args(args)
            .output()
            .unwrap()
    };
    let out = closeq(&["keys", "create", "dialer"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(key.starts_with("cq_live_"));
    let list = String::from_utf8(closeq(&["keys", "list"]).stdout).unwrap();
    assert!(list.contains("dialer") && list.contains("active"));
    assert!(!list.contains(&key[8..]), "the secret is never listed");
    let id = list.split_whitespace().next().unwrap().to_owned();
    assert!(closeq(&["keys", "revoke", &id]).status.success());
    assert!(
        String::from_utf8(closeq(&["keys", "list"]).stdout)
            .unwrap()
            .contains("revoked")
    );
    // The database file holds no key material, only its hash.
    let db = std::fs::read(dir.path().join("closeq.db")).unwrap();
    let wal = std::fs::read(dir.path().join("closeq.db-wal")).unwrap_or_default();
    let secret = &key.as_bytes()[8..40];
    assert!(
        !db.windows(secret.len()).any(|w| w == secret)
            && !wal.windows(secret.len()).any(|w| w == secret)
    );
}
