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

    // The call's job, and the first runs of the schedule the worker
    // set up: the retention sweep and the request reminders.
    let ran = ok(&closeq(d, &["worker", "--once"]));
    assert_eq!(ran.trim(), "ran 3 jobs");
    let listed: Vec<serde_json::Value> =
        serde_json::from_str(&ok(&closeq(d, &["jobs", "list", "--json"]))).unwrap();
    assert_eq!(listed.len(), 3, "{listed:?}");
    let recurring: Vec<_> = listed
        .iter()
        .filter(|j| j["spec"]["every"].is_object())
        .map(|j| {
            (
                j["spec"]["kind"].as_str().unwrap(),
                j["state"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(recurring.len(), 2, "{listed:?}");
    assert!(
        recurring.iter().all(|(_, state)| *state == "queued"),
        "{recurring:?}"
    );
    let done = ok(&closeq(d, &["jobs", "list", "--state", "completed"]));
    assert!(
        done.contains("Analyze") && done.lines().count() == 1,
        "{done}"
    );
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
/// `delay` with a recorded two-channel response, or request number `n`
/// (from 0) with `fault(n)` — a status and extra headers — when it gives
/// one; counts the requests.
fn deepgram_stand_in_with(
    delay: Duration,
    fault: fn(usize) -> Option<(u16, &'static str)>,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    stand_in(delay, fault, DEEPGRAM.to_owned())
}

/// An OpenAI chat-completions answer, as the judge receives it: no
/// criterion met (every one unsupported), one coaching note.
fn openai_judge_answer() -> String {
    let content = serde_json::json!({
        "criteria": [],
        "coaching_notes": ["Ask about the decision process."],
        "recommendations": ["Agree a dated next step."]
    })
    .to_string();
    serde_json::json!({
        "id": "chatcmpl-standin",
        "object": "chat.completion",
        "created": 1741569952,
        "model": "gpt-4.1-2025-04-14",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content,
                     "refusal": null, "annotations": []},
                     "logprobs": null, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 900, "completion_tokens": 60, "total_tokens": 960}
    })
    .to_string()
}

/// An HTTP/1.1 server on loopback answering every request with `reply`
/// (JSON) after `delay`, or with the status and headers `fault` names for
/// the n-th request; counts the requests.
fn stand_in(
    delay: Duration,
    fault: fn(usize) -> Option<(u16, &'static str)>,
    reply: String,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let reply: &'static str = Box::leak(reply.into_boxed_str());
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
                let n = counted.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(delay);
                if let Some((status, headers)) = fault(n) {
                    let body = r#"{"err_code":"FAULT","err_msg":"injected"}"#;
                    let reply = format!(
                        "HTTP/1.1 {status} Injected\r\ncontent-type: application/json\r\n{headers}content-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = stream.write_all(reply.as_bytes());
                    return;
                }
                let reply = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}",
                    reply.len()
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

/// PostgreSQL (a database of its own), a bucket on the S3 stand-in and a
/// Deepgram stand-in, as the environment of `closeq` processes sharing one
/// data folder.
struct ScaleOut {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
    s3: String,
    bucket: String,
    hits: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

/// Where the scale-out tests keep recordings inside their bucket.
const PREFIX: &str = "team-a/closeq";

impl ScaleOut {
    /// `None` without the services (a SKIPPED line; a failure under CI).
    fn start(delay: Duration, fault: fn(usize) -> Option<(u16, &'static str)>) -> Option<Self> {
        closeq_storage::testing::postgres_test_database()?;
        let s3 = closeq_core::testing::required_service_url("CLOSEQ_TEST_S3_ENDPOINT")?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let db = rt
            .block_on(closeq_storage::testing::postgres_fresh_database())
            .unwrap();
        let bucket = format!("closeq-q-{}", uuid::Uuid::new_v4().simple());
        let (code, _) = s3_request(&s3, "PUT", &format!("/{bucket}"));
        assert!((200..300).contains(&code), "create bucket: {code}");
        let (stt_url, hits) = deepgram_stand_in_with(delay, fault);
        let env = [
            ("CLOSEQ_DATABASE_URL", db.runtime_url.as_str()),
            // A prefix inside the bucket: one bucket, many installations.
            ("CLOSEQ_AUDIO_URL", &format!("s3://{bucket}/{PREFIX}/")),
            ("AWS_ENDPOINT", s3.as_str()),
            ("AWS_ALLOW_HTTP", "true"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("CLOSEQ_DEEPGRAM_API_KEY", "test-key"),
            ("CLOSEQ_DEEPGRAM_BASE_URL", stt_url.as_str()),
            ("OMP_WAIT_POLICY", "PASSIVE"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        Some(Self {
            dir: tempfile::tempdir().unwrap(),
            env,
            s3,
            bucket,
            hits,
        })
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_closeq"));
        c.env("CLOSEQ_DATA_DIR", self.dir.path())
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .args(args);
        c
    }

    fn run(&self, args: &[&str]) -> String {
        ok(&self.command(args).output().unwrap())
    }

    /// A background process; its standard error goes to a log in the
    /// data folder, printed when a wait times out.
    fn spawn(&self, args: &[&str]) -> std::process::Child {
        let log = tempfile::NamedTempFile::new_in(self.dir.path()).unwrap();
        let (file, _) = log.keep().unwrap();
        self.command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::from(file))
            .spawn()
            .unwrap()
    }

    /// The workers' logs (warnings name the job and the error).
    fn logs(&self) -> String {
        let mut out = String::new();
        for e in std::fs::read_dir(self.dir.path()).unwrap().flatten() {
            if e.file_name().to_string_lossy().starts_with(".tmp") {
                out.push_str(&std::fs::read_to_string(e.path()).unwrap_or_default());
            }
        }
        out
    }

    /// Queues the bundled recording number `n % 5`; its call id.
    fn queue_recording(&self, n: usize) -> String {
        let names = [
            "01_discovery_won.ogg",
            "02_discovery_lost.ogg",
            "03_demo_follow_up.ogg",
            "04_qualification_backchannels.ogg",
            "05_demo_fast_talker.ogg",
        ];
        let path = format!(
            "{}/../closeq-stt/samples/{}",
            env!("CARGO_MANIFEST_DIR"),
            names[n % 5]
        );
        self.run(&["analyze", &path, "--stt", "deepgram", "--queue"])
            .trim()
            .to_owned()
    }

    fn hits(&self) -> usize {
        self.hits.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Recordings in the bucket, each under the installation's prefix.
    fn objects(&self) -> usize {
        let (code, body) = s3_request(&self.s3, "GET", &format!("/{}?list-type=2", self.bucket));
        assert_eq!(code, 200, "{body}");
        let all = body.matches("<Key>").count();
        let under = body.matches(&format!("<Key>{PREFIX}/workspaces/")).count();
        assert_eq!(under, all, "an object outside the prefix: {body}");
        all
    }

    /// Waits until `n` calls are analysed.
    fn wait_analysed(&self, n: usize, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let listed = self.run(&[
                "calls", "list", "--status", "analyzed", "--limit", "1000", "--json",
            ]);
            let done: Vec<serde_json::Value> = serde_json::from_str(&listed).unwrap();
            if done.len() == n {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {n} analysed\n{}",
                done.len(),
                self.logs()
                    .lines()
                    .rev()
                    .take(40)
                    .collect::<Vec<_>>()
                    .join("\n")
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// Each call analysed, with a transcript and exactly one scorecard.
    fn assert_analysed_once(&self, ids: &[String]) {
        for id in ids {
            let json: serde_json::Value =
                serde_json::from_str(&self.run(&["calls", "show", id, "--json"])).unwrap();
            assert_eq!(json["call"]["status"]["state"], "analyzed", "{json}");
            assert!(json["transcript"]["utterances"].as_u64().unwrap() > 0);
            assert_eq!(json["scorecards"].as_array().unwrap().len(), 1, "{id}");
        }
    }
}

/// SIGTERM to a worker process; its report line.
fn stop(worker: std::process::Child) -> String {
    let status = Command::new("kill")
        .args(["-TERM", &worker.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    ok(&worker.wait_with_output().unwrap())
}

const WORKER: [&str; 7] = [
    "worker",
    "--stt",
    "deepgram",
    "--lease-secs",
    "3",
    "--concurrency",
    "2",
];

/// A worker killed with SIGKILL in the middle of transcription: after its
/// lease lapses another worker process finishes the call. End state: every
/// call analysed with one transcript and one scorecard, no dead job,
/// exactly one recording per call in the bucket.
#[test]
fn a_worker_killed_mid_transcription_is_finished_by_another() {
    let Some(env) = ScaleOut::start(Duration::from_secs(4), |_| None) else {
        return;
    };
    let ids: Vec<String> = (0..2).map(|n| env.queue_recording(n)).collect();
    assert_eq!(env.objects(), 2, "each recording stored before its job");
    let mut doomed = env.spawn(&WORKER);
    let deadline = Instant::now() + Duration::from_secs(60);
    while env.hits() == 0 {
        assert!(
            Instant::now() < deadline,
            "the first worker never transcribed"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    doomed.kill().unwrap(); // SIGKILL, in the middle of speech-to-text
    doomed.wait().unwrap();
    let killed_at = env.hits();
    let survivor = env.spawn(&WORKER);
    env.wait_analysed(2, Duration::from_secs(90));
    let report = stop(survivor);
    assert!(report.contains("0 failed"), "{report}");
    env.assert_analysed_once(&ids);
    assert!(
        env.hits() > killed_at,
        "the survivor transcribed again what the killed worker had in flight"
    );
    assert_eq!(env.run(&["jobs", "dead"]).trim(), "no dead jobs");
    assert_eq!(env.objects(), 2, "no orphaned or duplicated recording");
}

/// A worker killed with SIGKILL in the middle of scoring (the language
/// model, an OpenAI stand-in, takes 4 s to answer): after its lease lapses
/// another worker scores the call. End state: each call analysed once, with
/// one transcript and one scorecard, no dead job, one recording per call.
#[test]
fn a_worker_killed_mid_scoring_is_finished_by_another() {
    let Some(mut env) = ScaleOut::start(Duration::ZERO, |_| None) else {
        return;
    };
    let (llm_url, llm_hits) = stand_in(Duration::from_secs(4), |_| None, openai_judge_answer());
    env.env.extend([
        (
            "CLOSEQ_OPENAI_API_KEY".to_owned(),
            "sk-test-standin".to_owned(),
        ),
        ("CLOSEQ_OPENAI_BASE_URL".to_owned(), format!("{llm_url}/v1")),
    ]);
    let ids: Vec<String> = (0..2).map(|n| env.queue_recording(n)).collect();
    let worker: Vec<&str> = WORKER
        .iter()
        .copied()
        .chain(["--scorer", "llm:openai:gpt-4.1"])
        .collect();
    let mut doomed = env.spawn(&worker);
    let deadline = Instant::now() + Duration::from_secs(90);
    while llm_hits.load(std::sync::atomic::Ordering::SeqCst) == 0 {
        assert!(
            Instant::now() < deadline,
            "the first worker never scored\n{}",
            env.logs()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    doomed.kill().unwrap(); // SIGKILL, waiting for the language model
    doomed.wait().unwrap();
    let killed_at = llm_hits.load(std::sync::atomic::Ordering::SeqCst);
    let survivor = env.spawn(&worker);
    env.wait_analysed(2, Duration::from_secs(120));
    let report = stop(survivor);
    assert!(report.contains("0 failed"), "{report}");
    env.assert_analysed_once(&ids);
    assert!(
        llm_hits.load(std::sync::atomic::Ordering::SeqCst) >= killed_at + 2,
        "the survivor scored both calls with the language model, the one in flight again"
    );
    assert_eq!(env.run(&["jobs", "dead"]).trim(), "no dead jobs");
    assert_eq!(env.objects(), 2, "no orphaned or duplicated recording");
}

/// Scale-out: 4 worker processes, 200 recordings (`CLOSEQ_TEST_SCALE_CALLS`
/// to change), speech-to-text through the Deepgram stand-in with 200 ms
/// latency, recordings in the S3 stand-in. Every call is analysed exactly
/// once: the stand-in saw exactly one transcription per call (none ran on
/// two workers), every call has one scorecard, the workers' completed jobs
/// add up to two per call (transcribe and analyze), one recording per call.
#[test]
fn four_worker_processes_transcribe_and_score_each_call_once() {
    let Some(env) = ScaleOut::start(Duration::from_millis(200), |_| None) else {
        return;
    };
    let calls: usize = std::env::var("CLOSEQ_TEST_SCALE_CALLS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(200);
    let workers: Vec<_> = (0..4)
        .map(|_| env.spawn(&["worker", "--stt", "deepgram", "--concurrency", "2"]))
        .collect();
    let start = Instant::now();
    let ids: Vec<String> = (0..calls).map(|n| env.queue_recording(n)).collect();
    eprintln!("queued {calls} in {:?}", start.elapsed());
    env.wait_analysed(calls, Duration::from_secs(60 + 5 * calls as u64));
    eprintln!("analysed {calls} in {:?}", start.elapsed());
    let mut completed = 0u64;
    for w in workers {
        let report = stop(w);
        assert!(
            report.contains("0 failed (0 panicked), 0 lost, 0 handed back"),
            "{report}"
        );
        completed += report
            .split_whitespace()
            .nth(1)
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or_else(|| panic!("{report}"));
    }
    assert_eq!(
        completed,
        2 * calls as u64 + 2,
        "each job completed by exactly one worker (and the schedule's first two runs)"
    );
    assert_eq!(env.hits(), calls, "each recording transcribed exactly once");
    env.assert_analysed_once(&ids);
    assert_eq!(env.objects(), calls);
}

/// Faults: the provider answers 503 and 429 with `Retry-After` in bursts,
/// then recovers. Nothing is lost and nothing is analysed twice.
#[test]
fn provider_faults_lose_nothing_and_analyse_nothing_twice() {
    fn fault(n: usize) -> Option<(u16, &'static str)> {
        match n % 7 {
            0 | 1 => Some((503, "")),
            2 => Some((429, "retry-after: 1\r\n")),
            _ => None,
        }
    }
    let Some(env) = ScaleOut::start(Duration::ZERO, fault) else {
        return;
    };
    let ids: Vec<String> = (0..6).map(|n| env.queue_recording(n)).collect();
    let worker = env.spawn(&WORKER);
    env.wait_analysed(6, Duration::from_secs(180));
    stop(worker);
    env.assert_analysed_once(&ids);
    assert!(env.hits() > 6, "the faults were met: {}", env.hits());
    assert_eq!(env.run(&["jobs", "dead"]).trim(), "no dead jobs");
}

/// A provider that refuses for good (400): the transcription job is dead
/// with its reason, listed by `jobs dead`; nothing else is touched.
#[test]
fn a_refused_transcription_is_a_dead_job_with_its_reason() {
    let Some(env) = ScaleOut::start(Duration::ZERO, |_| Some((400, ""))) else {
        return;
    };
    let id = env.queue_recording(0);
    let ran = env.run(&["worker", "--stt", "deepgram", "--once"]);
    assert_eq!(
        ran.trim(),
        "ran 3 jobs",
        "the refused job and the schedule's first runs"
    );
    let dead = env.run(&["jobs", "dead", "--json"]);
    let dead: Vec<serde_json::Value> = serde_json::from_str(&dead).unwrap();
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0]["spec"]["call_id"], id.as_str());
    assert!(
        dead[0]["last_error"]
            .as_str()
            .is_some_and(|e| !e.is_empty()),
        "{dead:?}"
    );
    let shown = env.run(&["calls", "show", &id]);
    assert!(shown.contains("failed in transcription"), "{shown}");
}
