//! `closeq account`: the local user corrects their own account data; the
//! correction is a completed rectification request and is audited.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::Path;

use support::{closeq, ok};

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
        out.contains("corrected your time_zone, preferences"),
        "{out}"
    );
    assert!(out.contains("display_name must be verified"), "{out}");
    let after = ok(&closeq(d, &["account", "show"]));
    assert!(after.contains("Europe/Warsaw"), "{after}");
    assert!(after.contains("locale:    pl"), "{after}");
    assert!(
        !after.contains("Ola Nowak"),
        "a name was applied unverified: {after}"
    );

    let requests = |d: &Path| -> Vec<serde_json::Value> {
        serde_json::from_str(&ok(&closeq(d, &["dsr", "list", "--json"]))).unwrap()
    };
    let list = requests(d);
    assert_eq!(list.len(), 2, "{list:?}");
    let states: Vec<&str> = list
        .iter()
        .map(|r| r["state"]["state"].as_str().unwrap())
        .collect();
    assert!(
        states.contains(&"completed") && states.contains(&"received"),
        "{states:?}"
    );

    // The admin applies the filed name; the filed request is completed.
    let defaults: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("defaults.json")).unwrap()).unwrap();
    let me = defaults["owner_id"].as_str().unwrap();
    ok(&closeq(
        d,
        &["dsr", "rectify", "--user", me, "--new-name", "Ola Nowak"],
    ));
    assert!(ok(&closeq(d, &["account", "show"])).contains("Ola Nowak"));
    let list = requests(d);
    assert_eq!(
        list.len(),
        2,
        "the filed request answered, no new one: {list:?}"
    );
    assert!(
        list.iter().all(|r| r["state"]["state"] == "completed"),
        "{list:?}"
    );
}
