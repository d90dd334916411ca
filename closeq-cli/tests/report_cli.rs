//! `closeq report` and `closeq calls review` on a fresh data folder.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use support::{closeq, ok};

fn sample(name: &str) -> String {
    format!("{}/samples/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn report_writes_three_renderings_and_says_what_counts() {
    let dir = tempfile::tempdir().unwrap();
    for s in ["01_discovery_won.txt", "02_discovery_lost.txt"] {
        ok(&closeq(
            dir.path(),
            &[
                "analyze",
                &sample(s),
                "--rep-speaker",
                "Rep",
                "--rubric",
                "discovery",
            ],
        ));
    }
    let listed = ok(&closeq(dir.path(), &["calls", "list", "--json"]));
    let calls: serde_json::Value = serde_json::from_str(&listed).unwrap();
    let rep = calls[0]["rep_id"].as_str().unwrap().to_owned();
    let call = calls[0]["id"].as_str().unwrap().to_owned();

    // The owner is the rep of these calls and may not review their own.
    let shown: serde_json::Value = serde_json::from_str(&ok(&closeq(
        dir.path(),
        &["calls", "show", &call, "--json"],
    )))
    .unwrap();
    let card = shown["scorecards"][0]["id"].as_str().unwrap().to_owned();
    let own = closeq(dir.path(), &["calls", "review", &card, "--accept"]);
    assert!(!own.status.success());
    assert!(String::from_utf8_lossy(&own.stderr).contains("forbidden"));
    let bare = closeq(
        dir.path(),
        &["calls", "review", &card, "--set", "questions=met"],
    );
    assert!(String::from_utf8_lossy(&bare.stderr).contains("--reason"));

    let out = dir.path().join("out");
    let printed = ok(&closeq(
        dir.path(),
        &["report", "rep", &rep, "--out", out.to_str().unwrap()],
    ));
    assert!(
        printed.contains("2 calls, 0 reviewed (2 unreviewed"),
        "{printed}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(json["format"], "closeq.coaching-report");
    assert_eq!(
        json["rubric"]["id"], "discovery",
        "the calls' rubric by default"
    );
    assert_eq!(json["oversight"]["unreviewed"], 2);
    assert_eq!(
        json["strongest"].as_array().unwrap().len(),
        0,
        "no figure from unreviewed scores"
    );
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.contains("Human oversight") && md.contains("0 of 2 calls"),
        "{md}"
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<svg"));
    for outside in ["<script", "<link", "src=", "@import", "href=\"http"] {
        assert!(
            !html.contains(outside),
            "self-contained, yet holds {outside}"
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(out.join("report.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o077,
            0,
            "the renderings hold personal data: owner-only"
        );
    }

    let bad = closeq(dir.path(), &["report", "team", "no such team"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no team `no such team`"));
    let period = closeq(
        dir.path(),
        &[
            "report",
            "rep",
            &rep,
            "--from",
            "2026-01-10",
            "--to",
            "2026-01-01",
            "--rubric",
            "discovery",
        ],
    );
    assert!(String::from_utf8_lossy(&period.stderr).contains("to"));
    assert!(!period.status.success());
}
