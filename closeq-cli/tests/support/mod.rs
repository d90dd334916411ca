//! Running the `closeq` binary on a data folder, for the CLI suites.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output};

/// Runs `closeq ARGS` with `CLOSEQ_DATA_DIR=dir`.
pub fn closeq(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_closeq"))
        .env("CLOSEQ_DATA_DIR", dir)
        .args(args)
        .output()
        .unwrap()
}

/// Its standard output, asserting it succeeded (printing its errors if not).
pub fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}
