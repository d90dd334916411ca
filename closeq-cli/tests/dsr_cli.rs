//! `closeq dsr export` on the local installation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output};

fn closeq(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_closeq"))
        .env("CLOSEQ_DATA_DIR", dir)
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
fn export_a_rep_after_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    ok(&closeq(dir.path(), &["demo"]));
    let defaults: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("defaults.json")).unwrap()).unwrap();
    let owner = defaults["owner_id"].as_str().unwrap();

    let v: serde_json::Value = serde_json::from_str(&ok(&closeq(
        dir.path(),
        &["dsr", "export", "--user", owner],
    )))
    .unwrap();
    assert_eq!(v["version"], 1);
    assert_eq!(v["calls"].as_array().unwrap().len(), 3);
    let utts = v["utterances"].as_array().unwrap();
    assert!(!utts.is_empty());
    assert_eq!(
        v["scorecards"].as_array().unwrap().len(),
        3,
        "one scorecard per demo call"
    );

    let out_dir = dir.path().join("export");
    let s = ok(&closeq(
        dir.path(),
        &[
            "dsr",
            "export",
            "--user",
            owner,
            "--out",
            out_dir.to_str().unwrap(),
        ],
    ));
    assert!(s.contains("exported 3 calls"), "{s}");
    for f in [
        "export.json",
        "calls.csv",
        "utterances.csv",
        "scorecards.csv",
    ] {
        let p = out_dir.join(f);
        assert!(p.exists(), "{f}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{f} must not be readable by others");
        }
    }
    let calls_csv = std::fs::read_to_string(out_dir.join("calls.csv")).unwrap();
    assert_eq!(calls_csv.lines().count(), 4, "header + 3 calls");
}

#[test]
fn unknown_client_exports_nothing_and_bad_input_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let v: serde_json::Value = serde_json::from_str(&ok(&closeq(
        dir.path(),
        &["dsr", "export", "--email", "nobody@example.com"],
    )))
    .unwrap();
    assert_eq!(v["calls"].as_array().unwrap().len(), 0);

    let bad = closeq(dir.path(), &["dsr", "export", "--user", "not-an-id"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--user"));

    let both = closeq(
        dir.path(),
        &[
            "dsr",
            "export",
            "--email",
            "a@example.com",
            "--phone",
            "+4930123456",
        ],
    );
    assert!(!both.status.success(), "one subject at a time");
}

#[test]
fn erase_needs_confirmation_then_anonymizes() {
    let dir = tempfile::tempdir().unwrap();
    ok(&closeq(dir.path(), &["demo"]));
    let defaults: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("defaults.json")).unwrap()).unwrap();
    let owner = defaults["owner_id"].as_str().unwrap();

    let exported = closeq(dir.path(), &["dsr", "export", "--user", owner]);
    let before: serde_json::Value = serde_json::from_str(&ok(&exported)).unwrap();
    assert!(!before["utterances"].as_array().unwrap().is_empty());

    let no = closeq(dir.path(), &["dsr", "erase", "--user", owner]);
    assert!(!no.status.success());
    assert!(String::from_utf8_lossy(&no.stderr).contains("--yes"));

    let s = ok(&closeq(
        dir.path(),
        &["dsr", "erase", "--user", owner, "--yes"],
    ));
    assert!(s.contains("anonymized 3 calls"), "{s}");
    let after: serde_json::Value = serde_json::from_str(&ok(&closeq(
        dir.path(),
        &["dsr", "export", "--user", owner],
    )))
    .unwrap();
    assert_eq!(
        after["utterances"].as_array().unwrap().len(),
        0,
        "transcripts are gone"
    );
}

#[test]
fn rectify_names_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let s = ok(&closeq(
        dir.path(),
        &[
            "dsr",
            "rectify",
            "--email",
            "old@example.com",
            "--new-email",
            "new@example.com",
        ],
    ));
    assert!(s.contains("rectified 0 calls"), "{s}");
    let bad = closeq(
        dir.path(),
        &[
            "dsr",
            "rectify",
            "--email",
            "old@example.com",
            "--new-email",
            "not an address",
        ],
    );
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("--new-email"), "{err}");
    assert!(
        !err.contains("not an address"),
        "input is not echoed: {err}"
    );
    let nothing = closeq(
        dir.path(),
        &["dsr", "rectify", "--email", "old@example.com"],
    );
    assert!(!nothing.status.success());
    assert!(String::from_utf8_lossy(&nothing.stderr).contains("nothing to correct"));
}
