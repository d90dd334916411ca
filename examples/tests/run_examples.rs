//! The examples run and say what their docs promise (built by `cargo test`
//! next to this test, in `target/<profile>/examples`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::Command;

fn example(name: &str) -> Command {
    let exe = std::env::current_exe().unwrap();
    let dir = exe
        .parent()
        .and_then(|d| d.parent())
        .unwrap()
        .join("examples");
    let mut c = Command::new(dir.join(name));
    c.env_remove("CLOSEQ_OPENAI_BASE_URL")
        .env_remove("CLOSEQ_DATABASE_URL");
    c
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn quickstart_stores_and_prints_a_scorecard() {
    let data = tempfile::tempdir().unwrap();
    let out = example("quickstart")
        .arg(root().join("closeq-cli/samples/02_discovery_lost.txt"))
        .env("CLOSEQ_DATA_DIR", data.path())
        .output()
        .unwrap();
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{s}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        s.contains("Discovery call") && s.contains("AI suggestion"),
        "{s}"
    );
    assert!(s.contains("stored as call"), "{s}");
    assert!(data.path().join("closeq.db").is_file());
}

#[test]
fn own_providers_shows_the_transfer_refusal() {
    let out = example("own_providers").output().unwrap();
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{s}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        s.contains("refused, nothing sent")
            && s.contains("transfer-policy")
            && s.contains("OpenAI"),
        "{s}"
    );
    assert!(s.contains("allowed when declared"), "{s}");
}

#[test]
fn mount_api_serves_the_router_next_to_its_own_routes_and_takes_an_upload() {
    let data = tempfile::tempdir().unwrap();
    let out = example("mount_api")
        .arg("--demo")
        .env("CLOSEQ_DATA_DIR", data.path())
        .output()
        .unwrap();
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{s}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(s.contains("POST /v1/calls -> 202"), "{s}");
    assert!(s.contains("\"job_kind\":\"analyze\""), "{s}");
}
