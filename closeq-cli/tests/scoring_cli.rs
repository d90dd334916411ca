//! `closeq analyze` and `closeq rubric` end to end.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

/// Each run gets its own data folder (analyze stores what it scores).
fn closeq() -> Command {
    let dir = tempfile::tempdir().unwrap().keep();
    let mut c = Command::new(env!("CARGO_BIN_EXE_closeq"));
    c.env("CLOSEQ_DATA_DIR", dir);
    c
}

fn fixture(name: &str) -> String {
    format!(
        "{}/../closeq-analysis/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn analyze_prints_a_readable_scorecard_marked_unreviewed() {
    let out = closeq()
        .args([
            "analyze",
            &fixture("discovery_good.txt"),
            "--rep-speaker",
            "Rep",
            "--rubric",
            "bant",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.contains("score 100.0/100"), "{s}");
    assert!(s.contains("not yet reviewed by a human"), "{s}");
    assert!(s.contains("MET"), "{s}");
    assert!(
        s.contains("[01:10] Client: “The budget is approved for this quarter"),
        "{s}"
    );
}

#[test]
fn analyze_json_is_the_full_scorecard() {
    let out = closeq()
        .args([
            "analyze",
            &fixture("discovery_poor.txt"),
            "--rep-speaker",
            "Rep",
            "--rubric",
            "discovery",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["review"]["state"], "suggested");
    assert_eq!(v["provenance"]["scorer"], "heuristic");
    assert!(
        v["issues"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["kind"] == "no_next_step")
    );
}

#[test]
fn rubric_commands() {
    let out = closeq().args(["rubric", "list"]).output().unwrap();
    let s = String::from_utf8(out.stdout).unwrap();
    for id in [
        "spin",
        "bant",
        "meddpicc",
        "meddic",
        "challenger",
        "sandler",
        "gap_selling",
        "discovery",
        "demo",
    ] {
        assert!(s.contains(id), "{id}");
    }
    let out = closeq().args(["rubric", "schema"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["title"], "Rubric");
    let out = closeq().args(["rubric", "show", "spin"]).output().unwrap();
    assert!(String::from_utf8(out.stdout).unwrap().contains("sha256:"));

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "id = \"x\"\nname = \"X\"\nversion = \"1\"\n\n[[criteria]]\nid = \"mood\"\ntitle = \"Rep stays calm and cheerful\"\nweight = 1.0\nevidence = \"rep\"\nmet_when = { type = \"phrases\", side = \"rep\", phrases = [\"great\"] }\n").unwrap();
    let out = closeq()
        .args(["rubric", "validate", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("Art. 5(1)(f)") && err.contains("bad.toml:7:1"),
        "{err}"
    );
    let good = format!(
        "{}/../closeq-analysis/rubrics/bant.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = closeq()
        .args(["rubric", "validate", &good])
        .output()
        .unwrap();
    assert!(out.status.success());
}

#[test]
fn llm_scorer_without_configuration_fails_clearly() {
    let out = closeq()
        .env_remove("CLOSEQ_OPENAI_API_KEY")
        .args(["analyze", &fixture("discovery_good.txt"), "--scorer", "llm"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("CLOSEQ_OPENAI_API_KEY")
    );
}
