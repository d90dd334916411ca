//! HTTP API hot paths, in process (no sockets): the key check every
//! request makes (`Caller` extraction: format, hash lookup, membership,
//! rate), a `GET /v1/calls` page through the whole router on 10,000 calls,
//! and a webhook signature.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::FromRequestParts;
use chrono::{TimeZone, Utc};
use closeq_analysis::scoring::HeuristicScorer;
use closeq_core::testing::{Stores, World};
use closeq_core::{Call, CallDirection, CallSource, Clock, RetryPolicy, SystemClock};
use closeq_pipeline::Analyzer;
use closeq_privacy::secrets::{ApiKeys, KeyEnvironment};
use closeq_server::webhooks::{WebhookSecret, sign};
use closeq_server::{Api, Caller, CallsRead, KeyRate, SCOPES};
use closeq_storage::{CallBundle, SqliteJobQueue, SqliteStore, SubjectHasher};
use criterion::{Criterion, criterion_group, criterion_main};
use tower::ServiceExt;

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (api, key) = rt.block_on(async {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let store = Arc::new(
            SqliteStore::open(dir.path().join("b.db"), SubjectHasher::new([1; 32], "44"))
                .await
                .unwrap(),
        );
        let w = World::create(&Stores::of(store.clone())).await;
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let bundles: Vec<CallBundle> = (0..10_000)
            .map(|i| {
                let t = start + chrono::Duration::minutes(i);
                let mut call = Call::new(
                    w.workspace.id,
                    w.rep_a.user_id,
                    t,
                    CallDirection::Outbound,
                    CallSource::Upload,
                    t,
                );
                call.team_id = Some(w.team_a);
                CallBundle::new(call)
            })
            .collect();
        for chunk in bundles.chunks(2_000) {
            closeq_core::ports::CallStore::ingest(store.as_ref(), &w.owner, chunk)
                .await
                .unwrap();
        }
        let keys = ApiKeys::new(store.clone(), clock.clone(), KeyEnvironment::Live);
        let (key, _) = keys
            .create(
                &w.owner,
                "bench",
                SCOPES.iter().map(|s| (*s).to_owned()).collect(),
            )
            .await
            .unwrap();
        let analyzer = Analyzer::builder()
            .store(store.clone())
            .scorer(Arc::new(HeuristicScorer::new(clock.clone())))
            .clock(clock.clone())
            .build()
            .unwrap();
        let api = Api::builder()
            .call_store(store.clone())
            .analyzer(Arc::new(analyzer))
            .job_queue(Arc::new(SqliteJobQueue::new(
                (*store).clone(),
                clock,
                RetryPolicy::default(),
            )))
            .api_keys(keys)
            .key_rate(KeyRate {
                per_minute: u32::MAX,
                burst: u32::MAX,
            })
            .build()
            .unwrap();
        (api, key.expose().to_owned())
    });
    let bearer = format!("Bearer {key}");
    let mut g = c.benchmark_group("server");
    g.bench_function("key check (Caller extraction, SQLite)", |b| {
        b.to_async(&rt).iter(|| async {
            let (mut parts, ()) = http::Request::get("/v1/calls")
                .header("authorization", &bearer)
                .body(())
                .unwrap()
                .into_parts();
            black_box(
                Caller::<CallsRead>::from_request_parts(&mut parts, &api)
                    .await
                    .is_ok(),
            )
        });
    });
    let router = api.router();
    g.bench_function(
        "GET /v1/calls, page of 50 of 10,000, through the router",
        |b| {
            b.to_async(&rt).iter(|| async {
                let req = http::Request::get("/v1/calls?limit=50")
                    .header("authorization", &bearer)
                    .body(Body::empty())
                    .unwrap();
                let res = router.clone().oneshot(req).await.unwrap();
                let body = axum::body::to_bytes(res.into_body(), usize::MAX)
                    .await
                    .unwrap();
                black_box(body.len())
            });
        },
    );
    let secrets = [WebhookSecret::generate(), WebhookSecret::generate()];
    let body = vec![b'x'; 512];
    g.bench_function("webhook signature, two secrets, 512-byte body", |b| {
        b.iter(|| black_box(sign(&secrets, "msg_0123456789", 1_764_000_000, &body)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
