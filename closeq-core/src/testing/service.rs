//! Services a test needs (PostgreSQL, S3, a Whisper model), and the
//! visible skip when one is missing on a developer machine.

use std::collections::BTreeSet;
use std::io::Write;
use std::sync::Mutex;

/// The service an environment variable of this workspace points at, for
/// the skip line; other variables are named as they are.
fn service_of(var: &str) -> &str {
    match var {
        "CLOSEQ_TEST_POSTGRES_URL" => "PostgreSQL",
        "CLOSEQ_TEST_S3_ENDPOINT" => "S3",
        "CLOSEQ_WHISPER_MODEL" => "Whisper model",
        "CLOSEQ_WHISPER_MODEL_BASE" => "Whisper base model",
        other => other,
    }
}

/// The URL of a service a test needs, from environment variable `var`
/// (the service is named from the variable: `CLOSEQ_TEST_POSTGRES_URL` is
/// PostgreSQL, `CLOSEQ_TEST_S3_ENDPOINT` S3, `CLOSEQ_WHISPER_MODEL` the
/// Whisper model). See [`required_service`].
pub fn required_service_url(var: &str) -> Option<String> {
    required_service(service_of(var), var)
}

/// The value of `var`, which points a test at `service`.
///
/// When the variable is unset or blank: under `CI=true` (or `CI=1`) this
/// panics — CI must provide every service, so a missing one fails the run
/// instead of skipping. On a developer machine it returns `None` and
/// prints `SKIPPED (no <service>: set <var>)` once per test binary and
/// variable, straight to the process's standard error: the test harness
/// captures `eprintln!` of passing tests, so a skip printed that way would
/// hide behind a green run.
pub fn required_service(service: &str, var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => Some(v),
        _ => {
            let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
            if ci {
                panic!(
                    "{var} is not set: this test needs {service}, and under CI=true a missing service is a failure"
                );
            }
            static SHOWN: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
            let first = SHOWN
                .lock()
                .map(|mut shown| shown.insert(var.to_owned()))
                .unwrap_or(true);
            if first {
                // Not eprintln!: written past the harness's output capture.
                let _ = writeln!(
                    std::io::stderr().lock(),
                    "SKIPPED (no {service}: set {var})"
                );
            }
            None
        }
    }
}
