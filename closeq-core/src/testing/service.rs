/// The URL of a service a test needs, from environment variable `var`.
///
/// When the variable is unset: under `CI=true` this panics (CI must provide
/// every service, so a missing one fails the run instead of skipping); on a
/// developer machine it prints a skip notice and returns `None`.
pub fn required_service_url(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => Some(v),
        _ => {
            let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
            if ci {
                panic!(
                    "{var} is not set: this test needs its service, and under CI=true a missing service is a failure"
                );
            }
            eprintln!(
                "SKIP: {var} is not set; start the service (scripts/test does) to run this test"
            );
            None
        }
    }
}
