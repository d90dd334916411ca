//! `closeq account`: the local user corrects their own account data; the
//! correction is a completed rectification request and is audited.
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
fn a_user_corrects_their_own_account() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let before = ok(&closeq(d, &["account", "show"]));
    assert!(before.contains("role:      owner"), "{before}");
    assert!(before.contains("(not set: UTC)"), "{before}");

    let nothing = closeq(d, &["account", "update"]);
    assert!(!nothing.status.success());
    assert!(String::from_utf8_lossy(&nothing.stderr).contains("nothing to correct"));
    let bad = closeq(d, &["account", "update", "--time-zone", "Mars/Olympus"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--time-zone"));

    let out = ok(&closeq(
        d,
        &[
            "account",
            "update",
            "--name",
            "Ola Nowak",
            "--time-zone",
            "Europe/Warsaw",
            "--locale",
            "pl",
        ],
    ));
    assert!(
        out.contains("display_name, time_zone, preferences"),
        "{out}"
    );
    let after = ok(&closeq(d, &["account", "show"]));
    assert!(
        after.contains("Ola Nowak") && after.contains("Europe/Warsaw"),
        "{after}"
    );
    assert!(after.contains("locale:    pl"), "{after}");

    let list: serde_json::Value =
        serde_json::from_str(&ok(&closeq(d, &["dsr", "list", "--json"]))).unwrap();
    let requests = list.as_array().unwrap();
    assert_eq!(requests.len(), 1, "{list}");
    assert_eq!(requests[0]["kind"], "rectification");
    assert_eq!(requests[0]["state"]["state"], "completed");
}
