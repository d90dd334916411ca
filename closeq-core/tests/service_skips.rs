//! A test whose service is missing prints a visible `SKIPPED` line on a
//! developer machine (once per test binary, through the harness's output
//! capture) and fails under `CI=true`. Checked by running this binary's
//! ignored helper test in a child process, as `cargo test` runs it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use closeq_core::testing::{required_service, required_service_url};

const UNSET: [&str; 3] = [
    "CLOSEQ_TEST_POSTGRES_URL",
    "CLOSEQ_TEST_S3_ENDPOINT",
    "CLOSEQ_WHISPER_MODEL",
];

/// Asks for every service twice, as several tests of one suite do.
#[test]
#[ignore = "run by the tests below in a child process"]
fn child_asks_for_missing_services() {
    for _ in 0..2 {
        for var in UNSET {
            assert_eq!(required_service_url(var), None);
        }
        assert_eq!(required_service("Redis", "CLOSEQ_TEST_REDIS_URL"), None);
    }
}

/// Runs the helper as `cargo test` would (output captured, no
/// `--nocapture`), with the services unset; returns (passed, stderr).
fn run_child(ci: Option<&str>) -> (bool, String) {
    let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", "child_asks_for_missing_services", "--ignored"]);
    for var in UNSET {
        cmd.env_remove(var);
    }
    cmd.env_remove("CLOSEQ_TEST_REDIS_URL");
    match ci {
        Some(v) => cmd.env("CI", v),
        None => cmd.env_remove("CI"),
    };
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_missing_service_prints_one_visible_skipped_line_per_binary() {
    let (passed, stderr) = run_child(None);
    assert!(passed, "{stderr}");
    for line in [
        "SKIPPED (no PostgreSQL: set CLOSEQ_TEST_POSTGRES_URL)",
        "SKIPPED (no S3: set CLOSEQ_TEST_S3_ENDPOINT)",
        "SKIPPED (no Whisper model: set CLOSEQ_WHISPER_MODEL)",
        "SKIPPED (no Redis: set CLOSEQ_TEST_REDIS_URL)",
    ] {
        assert_eq!(
            stderr.lines().filter(|l| *l == line).count(),
            1,
            "{line:?} once in:\n{stderr}"
        );
    }
}

#[test]
fn a_missing_service_fails_under_ci() {
    for ci in ["true", "1"] {
        let (passed, stderr) = run_child(Some(ci));
        assert!(!passed, "CI={ci} must fail:\n{stderr}");
        assert!(!stderr.contains("SKIPPED"), "{stderr}");
    }
    // CI=false is a developer machine.
    assert!(run_child(Some("false")).0);
}
