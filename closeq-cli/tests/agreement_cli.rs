//! `closeq agreement` on CSV files.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

fn closeq(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_closeq"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn numeric_columns() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("r.csv");
    std::fs::write(
        &p,
        "call,manager,ai\n1,80,75\n2,60,65\n3,90,88\n4,40,52\n5,,70\n6,75,70\n",
    )
    .unwrap();
    let out = closeq(&[
        "agreement",
        p.to_str().unwrap(),
        "--a",
        "manager",
        "--b",
        "ai",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["rows"], 6);
    assert_eq!(v["pairs"], 5, "the row with a missing rating is not a pair");
    assert!(
        (v["mae"].as_f64().unwrap() - 5.8).abs() < 1e-9,
        "(5 + 5 + 2 + 12 + 5) / 5"
    );
    assert!(v["pearson"].as_f64().unwrap() > 0.9);
    assert!(v["pearson_95ci"]["low"].is_number());
}

#[test]
fn label_columns_and_undefined_statistics() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("l.csv");
    std::fs::write(&p, "a,b\nmet,met\nmet,met\nmet,met\n").unwrap();
    let out = closeq(&[
        "agreement",
        p.to_str().unwrap(),
        "--a",
        "a",
        "--b",
        "b",
        "--scale",
        "missed,partial,met",
        "--json",
    ]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["exact_agreement"], 1.0);
    assert!(
        v["cohen_kappa"]["undefined"]
            .as_str()
            .unwrap()
            .contains("one category"),
        "{v}"
    );
}

#[test]
fn bad_input_names_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.csv");
    std::fs::write(&p, "a,b\n1,2\n3,abc\n").unwrap();
    let out = closeq(&["agreement", p.to_str().unwrap(), "--a", "a", "--b", "b"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("record 3: `b` is not a number"));
    let out = closeq(&["agreement", p.to_str().unwrap(), "--a", "a", "--b", "zzz"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("column `zzz` not found"));
    let out = closeq(&[
        "agreement",
        p.to_str().unwrap(),
        "--a",
        "a",
        "--b",
        "b",
        "--scale",
        "0..2",
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("outside the scale"));
}
