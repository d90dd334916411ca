//! `closeq access-log`: reads people see leave access records; an admin
//! lists them, filtered.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::Path;

use support::{closeq, ok};

fn records(dir: &Path, extra: &[&str]) -> Vec<serde_json::Value> {
    let mut args = vec!["access-log", "--json"];
    args.extend_from_slice(extra);
    serde_json::from_str(&ok(&closeq(dir, &args))).unwrap()
}

#[test]
fn an_export_is_recorded_and_the_log_is_filtered() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fixture = format!(
        "{}/../closeq-analysis/tests/fixtures/discovery_good.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    ok(&closeq(
        d,
        &[
            "analyze",
            &fixture,
            "--rep-speaker",
            "Rep",
            "--rubric",
            "bant",
        ],
    ));
    // Analysing is CloseQ's own processing: nothing was shown to anyone.
    assert!(records(d, &[]).is_empty());
    assert!(ok(&closeq(d, &["access-log"])).contains("no access records"));

    let defaults: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("defaults.json")).unwrap()).unwrap();
    let owner = defaults["owner_id"].as_str().unwrap();
    let export: serde_json::Value =
        serde_json::from_str(&ok(&closeq(d, &["dsr", "export", "--user", owner]))).unwrap();
    let call = export["calls"][0]["id"].as_str().unwrap().to_owned();

    let log = records(d, &[]);
    let actions: Vec<&str> = log.iter().map(|r| r["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"call_read"), "{actions:?}");
    assert!(actions.contains(&"transcript_read"), "{actions:?}");
    assert!(log.iter().all(|r| r["actor"] == owner));
    let text = ok(&closeq(d, &["access-log"]));
    assert!(
        text.contains("transcript.read") && text.contains(&call),
        "{text}"
    );

    let about = records(d, &["--resource", &call]);
    assert!(!about.is_empty() && about.len() < log.len(), "{about:?}");
    assert!(records(d, &["--since", "2999-01-01T00:00:00Z"]).is_empty());
    assert_eq!(records(d, &["--user", owner, "--limit", "1"]).len(), 1);

    let bad = closeq(d, &["access-log", "--limit", "0"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("limit"));
    let bad = closeq(d, &["access-log", "--resource", "not-an-id"]);
    assert!(!bad.status.success());
}
