//! Queued analysis from the command line: `analyze --queue` stores the call
//! with its job, `worker` runs it (once on SQLite; four processes at once
//! on PostgreSQL, each call analysed exactly once), `calls` and `jobs`
//! follow it without SQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{closeq, ok};

fn sample(n: usize) -> String {
    let names = [
        "01_discovery_won.txt",
        "02_discovery_lost.txt",
        "03_demo_follow_up.txt",
    ];
    format!("{}/samples/{}", env!("CARGO_MANIFEST_DIR"), names[n % 3])
}

fn queue(dir: &Path, env: &[(&str, &str)], n: usize) -> String {
    let file = sample(n);
    let out = Command::new(env!("CARGO_BIN_EXE_closeq"))
        .env("CLOSEQ_DATA_DIR", dir)
        .envs(env.iter().copied())
        .args(["analyze", &file, "--rep-speaker", "Rep", "--queue"])
        .output()
        .unwrap();
    ok(&out).trim().to_owned()
}

#[test]
fn a_queued_call_is_analysed_by_a_worker_and_followed_without_sql() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let id = queue(d, &[], 0);
    let shown = ok(&closeq(d, &["calls", "show", &id]));
    assert!(shown.contains("status: transcribed"), "{shown}");
    assert!(shown.contains("scorecards: none yet"), "{shown}");
    let refused = closeq(
        d,
        &[
            "analyze",
            &sample(0),
            "--rep-speaker",
            "Rep",
            "--queue",
            "--rubric",
            "/no/such.yaml",
        ],
    );
    assert!(!refused.status.success());

    let ran = ok(&closeq(d, &["worker", "--once"]));
    assert_eq!(ran.trim(), "ran 1 jobs");
    let shown = ok(&closeq(d, &["calls", "show", &id]));
    assert!(shown.contains("status: analyzed"), "{shown}");
    assert!(shown.contains("not yet reviewed by a human"), "{shown}");
    let json: serde_json::Value =
        serde_json::from_str(&ok(&closeq(d, &["calls", "show", &id, "--json"]))).unwrap();
    assert_eq!(json["scorecards"].as_array().unwrap().len(), 1);
    assert_eq!(json["transcript"]["utterances"], 14);
    let listed = ok(&closeq(d, &["calls", "list", "--status", "analyzed"]));
    assert!(listed.contains(&id), "{listed}");
    assert_eq!(ok(&closeq(d, &["jobs", "dead"])).trim(), "no dead jobs");
    let missing = closeq(
        d,
        &["jobs", "retry", "01a23bc2-da3b-7211-b7f4-907aa9bac2ea"],
    );
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("not found"));
    assert_eq!(ok(&closeq(d, &["worker", "--once"])).trim(), "ran 0 jobs");
}

/// Four worker processes on one PostgreSQL database: 40 calls, each
/// analysed exactly once, every job completed by exactly one worker.
#[test]
fn four_worker_processes_share_one_postgres_queue() {
    let Some(db) = closeq_storage::testing::postgres_test_database() else {
        return;
    };
    // A database of its own: workers lease across workspaces.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let db = rt
        .block_on(closeq_storage::testing::postgres_fresh_database())
        .unwrap_or_else(|| panic!("{}", db.name));
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let env = [("CLOSEQ_DATABASE_URL", db.runtime_url.as_str())];
    let workers: Vec<_> = (0..4)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_closeq"))
                .env("CLOSEQ_DATA_DIR", d)
                .envs(env.iter().copied())
                .args([
                    "worker",
                    "--concurrency",
                    "2",
                    "--kinds",
                    "analyze",
                    "--grace-secs",
                    "5",
                ])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    // The first command creates the workspace; the workers wait for jobs.
    let ids: Vec<String> = (0..40).map(|n| queue(d, &env, n)).collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let out = Command::new(env!("CARGO_BIN_EXE_closeq"))
            .env("CLOSEQ_DATA_DIR", d)
            .envs(env.iter().copied())
            .args([
                "calls", "list", "--status", "analyzed", "--limit", "1000", "--json",
            ])
            .output()
            .unwrap();
        let done: Vec<serde_json::Value> = serde_json::from_str(&ok(&out)).unwrap();
        if done.len() == ids.len() {
            break;
        }
        assert!(Instant::now() < deadline, "{} of 40 analysed", done.len());
        std::thread::sleep(Duration::from_millis(200));
    }
    let mut completed = 0;
    for w in workers {
        let status = Command::new("kill")
            .args(["-TERM", &w.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let out = w.wait_with_output().unwrap();
        let text = ok(&out);
        // "stopped: N completed, F failed (P panicked), L lost, R handed back"
        let n: u64 = text
            .split_whitespace()
            .nth(1)
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{text}"));
        assert!(
            text.contains("0 failed (0 panicked), 0 lost, 0 handed back"),
            "{text}"
        );
        completed += n;
    }
    assert_eq!(completed, 40, "each job completed by exactly one worker");
    for id in &ids {
        let out = Command::new(env!("CARGO_BIN_EXE_closeq"))
            .env("CLOSEQ_DATA_DIR", d)
            .envs(env.iter().copied())
            .args(["calls", "show", id, "--json"])
            .output()
            .unwrap();
        let json: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
        assert_eq!(json["scorecards"].as_array().unwrap().len(), 1, "{id}");
    }
}
