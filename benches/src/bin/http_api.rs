//! The HTTP API under load, on loopback (`closeq-server` on SQLite, a
//! local audio folder and the SQLite job queue), in one run:
//!
//! 1. 1,000 uploads of a 1 MB recording at concurrency 64: throughput,
//!    p50/p99, and that every call was stored once with one job.
//! 2. `GET /v1/calls` (first page of 50, and the page after 2,000 rows) on
//!    100,000 calls at concurrency 64: p50/p99.
//! 3. What authentication adds per request: the key check
//!    (`Caller::<CallsRead>` extraction: format, hash lookup, membership,
//!    rate) timed alone, and `GET /v1/rubrics` (authenticated) against
//!    `GET /healthz` (not) end to end.
//!
//! Run: `cargo run --release -p closeq-benches --bin http_api [UPLOADS] [CALLS]`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use chrono::{TimeZone, Utc};
use closeq_analysis::scoring::HeuristicScorer;
use closeq_core::ports::{CallFilter, CallStore, JobQueue, PageRequest};
use closeq_core::testing::{Stores, World};
use closeq_core::{Call, CallDirection, CallSource, Clock, RetryPolicy, SystemClock};
use closeq_pipeline::Analyzer;
use closeq_privacy::secrets::{ApiKeys, KeyEnvironment};
use closeq_server::{Api, Caller, CallsRead, KeyRate, SCOPES, UploadLimits};
use closeq_storage::{
    CallBundle, ObjectAudioStore, SigningKey, SqliteJobQueue, SqliteStore, SubjectHasher, UrlSigner,
};
use futures::StreamExt;

const CONCURRENCY: usize = 64;

fn pct(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// A 1 MB mono 16 kHz 16-bit WAV: a quiet tone.
fn recording() -> Vec<u8> {
    let samples: u32 = 512_000;
    let data = samples * 2;
    let mut w = Vec::with_capacity(44 + data as usize);
    w.extend_from_slice(b"RIFF");
    w.extend_from_slice(&(36 + data).to_le_bytes());
    w.extend_from_slice(b"WAVEfmt ");
    w.extend_from_slice(&16u32.to_le_bytes());
    w.extend_from_slice(&1u16.to_le_bytes());
    w.extend_from_slice(&1u16.to_le_bytes());
    w.extend_from_slice(&16_000u32.to_le_bytes());
    w.extend_from_slice(&32_000u32.to_le_bytes());
    w.extend_from_slice(&2u16.to_le_bytes());
    w.extend_from_slice(&16u16.to_le_bytes());
    w.extend_from_slice(b"data");
    w.extend_from_slice(&data.to_le_bytes());
    for i in 0..samples {
        let s = ((i as f32 * 440.0 * std::f32::consts::TAU / 16_000.0).sin() * 3000.0) as i16;
        w.extend_from_slice(&s.to_le_bytes());
    }
    w
}

/// Runs `n` requests made by `req` at concurrency 64; their latencies and
/// the wall time.
async fn load<F, Fut>(n: usize, req: F) -> (Vec<Duration>, Duration)
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = u16>,
{
    let started = Instant::now();
    let lat: Vec<Duration> = futures::stream::iter(0..n)
        .map(|i| {
            let f = req(i);
            async move {
                let t = Instant::now();
                let status = f.await;
                assert!((200..300).contains(&status), "status {status}");
                t.elapsed()
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    (lat, started.elapsed())
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let uploads: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let calls: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store = Arc::new(
        SqliteStore::open(
            dir.path().join("closeq.db"),
            SubjectHasher::new([7; 32], "44"),
        )
        .await
        .unwrap(),
    );
    let w = World::create(&Stores::of(store.clone())).await;
    let queue: Arc<dyn JobQueue> = Arc::new(SqliteJobQueue::new(
        (*store).clone(),
        clock.clone(),
        RetryPolicy::default(),
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let signer = UrlSigner::new(
        format!("{base}/v1/audio"),
        SigningKey::new("k", [3; 32]),
        clock.clone(),
    );
    let audio = ObjectAudioStore::local(&dir.path().join("audio"), signer, store.clone()).unwrap();
    let analyzer = Analyzer::builder()
        .store(store.clone())
        .audio_store(Arc::new(audio))
        .scorer(Arc::new(HeuristicScorer::new(clock.clone())))
        .clock(clock.clone())
        .build()
        .unwrap();
    let keys = ApiKeys::new(store.clone(), clock.clone(), KeyEnvironment::Live);
    let scopes = SCOPES.iter().map(|s| (*s).to_owned()).collect();
    let (key, _) = keys.create(&w.owner, "load", scopes).await.unwrap();
    let key = key.expose().to_owned();
    let api = Api::builder()
        .call_store(store.clone())
        .analyzer(Arc::new(analyzer))
        .job_queue(queue.clone())
        .api_keys(keys)
        .upload_limits(
            UploadLimits::default()
                .max_file_bytes(2 << 20)
                .memory_budget(1 << 30),
        )
        .key_rate(KeyRate {
            per_minute: u32::MAX,
            burst: u32::MAX,
        })
        .clock(clock)
        .build()
        .unwrap();
    let router = api.router();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .unwrap();
    println!("closeq-server on SQLite, loopback, concurrency {CONCURRENCY}");

    // 1. Uploads.
    let wav = bytes::Bytes::from(recording());
    let meta = r#"{"consent":"verbal"}"#;
    let (mut lat, wall) = load(uploads, |_| {
        let form = reqwest::multipart::Form::new()
            .part(
                "metadata",
                reqwest::multipart::Part::text(meta)
                    .mime_str("application/json")
                    .unwrap(),
            )
            .part(
                "file",
                reqwest::multipart::Part::stream(wav.clone())
                    .file_name("a.wav")
                    .mime_str("audio/wav")
                    .unwrap(),
            );
        let req = http
            .post(format!("{base}/v1/calls"))
            .bearer_auth(&key)
            .multipart(form);
        async move { req.send().await.unwrap().status().as_u16() }
    })
    .await;
    let stored = store
        .list_calls(&w.owner, &CallFilter::default(), &PageRequest::first(1000))
        .await
        .unwrap();
    let mut stored_n = stored.items.len();
    let mut next = stored.next;
    while let Some(c) = next {
        let p = store
            .list_calls(
                &w.owner,
                &CallFilter::default(),
                &PageRequest {
                    limit: 1000,
                    after: Some(c),
                },
            )
            .await
            .unwrap();
        stored_n += p.items.len();
        next = p.next;
    }
    let jobs = queue.list_jobs(&w.owner, None, 100_000).await.unwrap();
    let mut per_call = std::collections::HashMap::new();
    for j in &jobs {
        *per_call.entry(j.spec.call_id).or_insert(0u32) += 1;
    }
    println!(
        "uploads of {} bytes: {uploads} in {:.2} s = {:.0}/s ({:.0} MB/s); p50 {}, p99 {}; stored {stored_n} calls, {} jobs, every call one job: {}",
        wav.len(),
        wall.as_secs_f64(),
        uploads as f64 / wall.as_secs_f64(),
        (uploads * wav.len()) as f64 / 1e6 / wall.as_secs_f64(),
        ms(pct(&mut lat, 0.5)),
        ms(pct(&mut lat, 0.99)),
        jobs.len(),
        per_call.values().all(|n| *n == 1) && per_call.len() == uploads,
    );
    assert_eq!(stored_n, uploads, "a call was lost or stored twice");

    // 2. The list on 100,000 calls.
    let start = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    let cycle = [
        (&w.rep_a, w.team_a),
        (&w.rep_b, w.team_b),
        (&w.manager, w.team_a),
    ];
    let existing = stored_n;
    for chunk in (0..calls.saturating_sub(existing))
        .collect::<Vec<_>>()
        .chunks(5000)
    {
        let bundles: Vec<CallBundle> = chunk
            .iter()
            .map(|i| {
                let (rep, team) = cycle[i % cycle.len()];
                let t = start + chrono::Duration::seconds(*i as i64 * 300);
                let mut c = Call::new(
                    w.workspace.id,
                    rep.user_id,
                    t,
                    CallDirection::Outbound,
                    CallSource::Upload,
                    t,
                );
                c.team_id = Some(team);
                CallBundle::new(c)
            })
            .collect();
        store.ingest(&w.owner, &bundles).await.unwrap();
    }
    let n = 5000;
    for (label, path) in [
        ("first page of 50", "/v1/calls?limit=50".to_owned()),
        (
            "team filter, page of 50",
            format!("/v1/calls?limit=50&team_id={}", w.team_a),
        ),
    ] {
        let (mut lat, wall) = load(n, |_| {
            let req = http.get(format!("{base}{path}")).bearer_auth(&key);
            async move {
                let r = req.send().await.unwrap();
                let st = r.status().as_u16();
                let _ = r.bytes().await.unwrap();
                st
            }
        })
        .await;
        println!(
            "GET /v1/calls ({label}) on {calls} calls: {n} requests, {:.0}/s; p50 {}, p99 {}",
            n as f64 / wall.as_secs_f64(),
            ms(pct(&mut lat, 0.5)),
            ms(pct(&mut lat, 0.99))
        );
    }

    let mut seq = Vec::new();
    for _ in 0..2000 {
        let t = Instant::now();
        let r = http
            .get(format!("{base}/v1/calls?limit=50"))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        let _ = r.bytes().await.unwrap();
        seq.push(t.elapsed());
    }
    println!(
        "GET /v1/calls (first page of 50), one at a time: p50 {}, p99 {}",
        ms(pct(&mut seq, 0.5)),
        ms(pct(&mut seq, 0.99))
    );
    let mut direct = Vec::new();
    for _ in 0..2000 {
        let t = Instant::now();
        let p = store
            .list_calls(&w.owner, &CallFilter::default(), &PageRequest::first(50))
            .await
            .unwrap();
        let _ = serde_json::to_vec(&p.items).unwrap();
        direct.push(t.elapsed());
    }
    let mut query = Vec::new();
    for _ in 0..2000 {
        let t = Instant::now();
        let p = store
            .list_calls(&w.owner, &CallFilter::default(), &PageRequest::first(50))
            .await
            .unwrap();
        query.push(t.elapsed());
        assert_eq!(p.items.len(), 50);
    }
    println!(
        "the store's list_calls of 50 and its JSON, in process: p50 {} (the query alone: p50 {})",
        ms(pct(&mut direct, 0.5)),
        ms(pct(&mut query, 0.5))
    );

    // 3. What authentication costs.
    let reps = 20_000;
    let mut auth = Vec::with_capacity(reps);
    for _ in 0..reps {
        let (mut parts, ()) = http::Request::get("/v1/calls")
            .header("authorization", format!("Bearer {key}"))
            .body(())
            .unwrap()
            .into_parts();
        let t = Instant::now();
        let c = Caller::<CallsRead>::from_request_parts(&mut parts, &api).await;
        auth.push(t.elapsed());
        assert!(c.is_ok());
    }
    let mean = auth.iter().sum::<Duration>() / reps as u32;
    println!(
        "key check (Caller extraction) alone: mean {}, p50 {}, p99 {}",
        ms(mean),
        ms(pct(&mut auth, 0.5)),
        ms(pct(&mut auth, 0.99))
    );
    let mut with = Vec::new();
    let mut without = Vec::new();
    for i in 0..(2 * reps / 4) {
        let (path, auth) = if i % 2 == 0 {
            ("/v1/rubrics", true)
        } else {
            ("/healthz", false)
        };
        let mut req = http.get(format!("{base}{path}"));
        if auth {
            req = req.bearer_auth(&key);
        }
        let t = Instant::now();
        let r = req.send().await.unwrap();
        let _ = r.bytes().await.unwrap();
        if auth {
            with.push(t.elapsed())
        } else {
            without.push(t.elapsed())
        }
    }
    println!(
        "sequential, interleaved: GET /v1/rubrics (key) p50 {}; GET /healthz (no key) p50 {}",
        ms(pct(&mut with, 0.5)),
        ms(pct(&mut without, 0.5))
    );
}
