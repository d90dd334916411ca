//! `closeq bench` end to end on the bundled synthetic dataset.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Output};

fn closeq(args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap().keep();
    Command::new(env!("CARGO_BIN_EXE_closeq"))
        .env("CLOSEQ_DATA_DIR", dir)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn bench_writes_reports_and_gates_decide_the_exit_code() {
    let out_dir = tempfile::tempdir().unwrap();
    let out = closeq(&[
        "bench",
        "--repeats",
        "2",
        "--out",
        out_dir.path().to_str().unwrap(),
        "--gate",
        "mae<=100",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for rubric in ["spin", "bant", "meddpicc"] {
        assert!(
            stdout.contains(&format!("## heuristic on {rubric}")),
            "{stdout}"
        );
    }
    assert!(
        stdout.contains("test–retest ICC(2,1), 2 repeats"),
        "{stdout}"
    );
    assert!(
        stdout.contains("gate mae<=100 on heuristic / spin: pass"),
        "{stdout}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.path().join("report.json")).unwrap())
            .unwrap();
    assert_eq!(json["version"], 1);
    assert_eq!(json["pairs"].as_array().unwrap().len(), 3);
    let html = std::fs::read_to_string(out_dir.path().join("report.html")).unwrap();
    assert!(html.contains("<svg") && !html.contains("<script"));
    assert!(
        std::fs::read_to_string(out_dir.path().join("report.md"))
            .unwrap()
            .starts_with("# CloseQ rubric benchmark")
    );

    // An impossible gate fails the run with exit code 3.
    let failed = closeq(&["bench", "--rubric", "bant", "--gate", "pearson>=1.01"]);
    assert_eq!(failed.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&failed.stdout).contains("FAIL"));
}

#[test]
fn bad_bench_input_is_named() {
    let bad_gate = closeq(&["bench", "--gate", "pearson>0.7"]);
    assert_eq!(bad_gate.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad_gate.stderr).contains("--gate pearson>0.7"));
    let bad_scorer = closeq(&["bench", "--scorer", "gpt"]);
    assert!(String::from_utf8_lossy(&bad_scorer.stderr).contains("--scorer `gpt`"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("d.jsonl");
    std::fs::write(&file, "{\"id\": \"x\"}\n").unwrap();
    let bad_data = closeq(&["bench", "--dataset", file.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&bad_data.stderr);
    assert!(err.contains("line 1"), "{err}");
}
