//! `closeq transcript inspect` end to end.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

fn closeq() -> Command {
    Command::new(env!("CARGO_BIN_EXE_closeq"))
}

fn fixture(name: &str) -> String {
    format!(
        "{}/../closeq-analysis/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn inspect_prints_roles_and_metrics() {
    let out = closeq()
        .args([
            "transcript",
            "inspect",
            &fixture("deepgram.json"),
            "--rep-speaker",
            "0",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.contains("known rep (label)"), "{s}");
    assert!(s.contains("talk ratio"), "{s}");
    assert!(s.contains("utterances  2"), "{s}");
}

#[test]
fn inspect_json() {
    let out = closeq()
        .args([
            "transcript",
            "inspect",
            &fixture("call.srt"),
            "--format",
            "srt",
            "--rep-speaker",
            "Rep",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["utterances"], 3);
    assert_eq!(v["metrics"]["questions"]["rep"], 1);
    assert_eq!(v["speakers"][0]["role"], "rep");
}

#[test]
fn malformed_input_fails_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.vtt");
    std::fs::write(&p, "WEBVTT\n\n00:00.000 --> soon\nhello Jane\n").unwrap();
    let out = closeq()
        .args(["transcript", "inspect", p.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("vtt input is malformed at line 3"), "{err}");
    assert!(!err.contains("Jane"));
}
