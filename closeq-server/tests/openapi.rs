//! The OpenAPI document: generated from the code, equal to the committed
//! snapshot (`CLOSEQ_UPDATE_OPENAPI=1` rewrites it), every operation it
//! lists is routed, it validates with an independent validator (PyPI
//! `openapi-spec-validator`), and `schemathesis` (PyPI) runs its
//! property-based checks against the live server: no 5xx, every response
//! conforming to the document.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::PathBuf;
use std::process::Command;

use closeq_core::testing::required_service;
use serde_json::Value;
use support::{Options, meta, start, start_with};

fn snapshot_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("openapi.json")
}

fn rendered() -> String {
    let mut s = serde_json::to_string_pretty(&closeq_server::openapi::document()).unwrap();
    s.push('\n');
    s
}

#[test]
fn the_document_matches_the_committed_snapshot() {
    let now = rendered();
    if std::env::var("CLOSEQ_UPDATE_OPENAPI").is_ok_and(|v| v == "1") {
        std::fs::write(snapshot_path(), &now).unwrap();
    }
    let committed = std::fs::read_to_string(snapshot_path()).unwrap_or_default();
    assert!(
        committed == now,
        "closeq-server/openapi.json is stale: run CLOSEQ_UPDATE_OPENAPI=1 cargo test -p closeq-server --test openapi, and commit it"
    );
}

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let s = start().await;
    let id = closeq_core::CallId::new().to_string();
    for (method, path) in closeq_server::openapi::operations() {
        let url = s.url(&path.replace("{id}", &id).replace("{token}", "x.y"));
        let r = s
            .http
            .request(method.to_uppercase().parse().unwrap(), url)
            .bearer_auth(s.key("owner"))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        assert_ne!(status, 405, "{method} {path}");
        assert_ne!(body["detail"], "route not found", "{method} {path}");
    }
}

#[test]
fn an_independent_validator_accepts_the_document() {
    let Some(tools) = required_service("API checkers", "CLOSEQ_TEST_API_TOOLS") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, rendered()).unwrap();
    let out = Command::new(PathBuf::from(tools).join("openapi-spec-validator"))
        .arg(&file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("OK"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error_and_no_nonconforming_response() {
    let Some(tools) = required_service("API checkers", "CLOSEQ_TEST_API_TOOLS") else {
        return;
    };
    let s = start_with(Options {
        rate: closeq_server::KeyRate {
            per_minute: 1_000_000,
            burst: 1_000_000,
        },
        ..Default::default()
    })
    .await;
    // Data to find: an analysed call with a scorecard.
    s.analysed_call("owner", meta(&s.w.owner, None)).await;
    let schema = s.url("/v1/openapi.json");
    let key = s.key("owner").to_owned();
    let report = tempfile::tempdir().unwrap();
    let out = tokio::task::spawn_blocking({
        let report = report.path().to_owned();
        move || {
            Command::new(PathBuf::from(tools).join("schemathesis"))
                .args(["run", &schema, "--no-color", "--seed", "20261203"])
                .args(["--max-examples", "25", "--workers", "1"])
                .args([
                    "--checks",
                    "all",
                    "--exclude-checks",
                    "positive_data_acceptance",
                ])
                .args(["--header", &format!("Authorization: Bearer {key}")])
                .arg("--report-dir")
                .arg(report)
                .env("SCHEMATHESIS_HOOKS", "")
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Every operation it selected was tested (schemathesis counts the
    // document's operations its own way).
    let count = |label: &str| -> Option<String> {
        let line = stdout.lines().find(|l| l.trim_start().starts_with(label))?;
        let n = line.trim_start().trim_start_matches(label).trim();
        Some(n.split('/').next_back()?.to_owned())
    };
    let selected = count("Selected:");
    assert!(
        selected.is_some() && selected == count("Tested:"),
        "{stdout}"
    );
}
