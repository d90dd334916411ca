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

const DEEPGRAM: &str =
    include_str!("../../closeq-analysis/tests/fixtures/deepgram_multichannel.json");

/// A Deepgram stand-in on loopback: answers every `POST /v1/listen` after
/// `delay` with a recorded two-channel response; counts the requests.
fn deepgram_stand_in(delay: Duration) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = std::sync::Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let counted = counted.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut length = 0usize;
                let mut line = String::new();
                loop {
                    line.clear();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    if line == "\r\n" {
                        break;
                    }
                    let lower = line.to_ascii_lowercase();
                    if let Some(v) = lower.strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0u8; length];
                if reader.read_exact(&mut body).is_err() {
                    return;
                }
                counted.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(delay);
                let reply = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{DEEPGRAM}",
                    DEEPGRAM.len()
                );
                let _ = stream.write_all(reply.as_bytes());
            });
        }
    });
    (format!("http://{addr}"), hits)
}

/// One HTTP request to the S3 stand-in (moto accepts any credentials and
/// unsigned requests); the status code and body.
fn s3_request(endpoint: &str, method: &str, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let host = endpoint.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(host).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nhost: {host}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let code = out
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (code, out)
}

/// A worker killed with SIGKILL in the middle of transcription: after its
/// lease lapses another worker process finishes the call. Recordings in
/// S3 (the stand-in), calls and jobs in PostgreSQL, speech-to-text through
/// a stand-in speaking Deepgram's wire format. End state: every call
/// analysed with one transcript and one scorecard, no dead job, exactly one
/// recording per call in the bucket.
#[test]
fn a_worker_killed_mid_transcription_is_finished_by_another() {
    use std::sync::atomic::Ordering;
    if closeq_storage::testing::postgres_test_database().is_none() {
        return;
    }
    let Some(s3) = closeq_core::testing::required_service_url("CLOSEQ_TEST_S3_ENDPOINT") else {
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let db = rt
        .block_on(closeq_storage::testing::postgres_fresh_database())
        .unwrap();
    let bucket = format!("closeq-crash-{}", uuid::Uuid::new_v4().simple());
    let (code, _) = s3_request(&s3, "PUT", &format!("/{bucket}"));
    assert!((200..300).contains(&code), "create bucket: {code}");
    let (stt_url, hits) = deepgram_stand_in(Duration::from_secs(4));
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let audio_url = format!("s3://{bucket}");
    let env = [
        ("CLOSEQ_DATABASE_URL", db.runtime_url.as_str()),
        ("CLOSEQ_AUDIO_URL", audio_url.as_str()),
        ("AWS_ENDPOINT", s3.as_str()),
        ("AWS_ALLOW_HTTP", "true"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("CLOSEQ_DEEPGRAM_API_KEY", "test-key"),
        ("CLOSEQ_DEEPGRAM_BASE_URL", stt_url.as_str()),
        ("OMP_WAIT_POLICY", "PASSIVE"),
    ];
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_closeq"))
            .env("CLOSEQ_DATA_DIR", d)
            .envs(env.iter().copied())
            .args(args)
            .output()
            .unwrap()
    };
    let spawn = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_closeq"))
            .env("CLOSEQ_DATA_DIR", d)
            .envs(env.iter().copied())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let samples = format!("{}/../closeq-stt/samples", env!("CARGO_MANIFEST_DIR"));
    let ids: Vec<String> = ["01_discovery_won.ogg", "03_demo_follow_up.ogg"]
        .iter()
        .map(|f| {
            let path = format!("{samples}/{f}");
            ok(&run(&["analyze", &path, "--stt", "deepgram", "--queue"]))
                .trim()
                .to_owned()
        })
        .collect();
    let objects = || {
        let (code, body) = s3_request(&s3, "GET", &format!("/{bucket}?list-type=2"));
        assert_eq!(code, 200, "{body}");
        body.matches("<Key>").count()
    };
    assert_eq!(objects(), 2, "each recording stored before its job");

    let worker = [
        "worker",
        "--stt",
        "deepgram",
        "--lease-secs",
        "3",
        "--concurrency",
        "2",
    ];
    let mut doomed = spawn(&worker);
    let deadline = Instant::now() + Duration::from_secs(60);
    while hits.load(Ordering::SeqCst) == 0 {
        assert!(
            Instant::now() < deadline,
            "the first worker never transcribed"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    doomed.kill().unwrap(); // SIGKILL, in the middle of speech-to-text
    doomed.wait().unwrap();
    let killed_at = hits.load(Ordering::SeqCst);

    let survivor = spawn(&worker);
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let listed = ok(&run(&[
            "calls", "list", "--status", "analyzed", "--limit", "100", "--json",
        ]));
        let done: Vec<serde_json::Value> = serde_json::from_str(&listed).unwrap();
        if done.len() == ids.len() {
            break;
        }
        assert!(Instant::now() < deadline, "{} of 2 analysed", done.len());
        std::thread::sleep(Duration::from_millis(250));
    }
    let status = Command::new("kill")
        .args(["-TERM", &survivor.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = survivor.wait_with_output().unwrap();
    let report = ok(&out);
    assert!(report.contains("0 failed"), "{report}");
    for id in &ids {
        let json: serde_json::Value =
            serde_json::from_str(&ok(&run(&["calls", "show", id, "--json"]))).unwrap();
        assert_eq!(json["call"]["status"]["state"], "analyzed", "{json}");
        assert!(json["transcript"]["utterances"].as_u64().unwrap() > 0);
        assert_eq!(json["scorecards"].as_array().unwrap().len(), 1, "{id}");
    }
    assert!(
        hits.load(Ordering::SeqCst) > killed_at,
        "the survivor transcribed again what the killed worker had in flight"
    );
    assert_eq!(ok(&run(&["jobs", "dead"])).trim(), "no dead jobs");
    assert_eq!(objects(), 2, "no orphaned or duplicated recording");
}
