//! A team coaching report over 10,000 calls on SQLite: the store read
//! (`scored_calls`), the figures, moment checks against the stored
//! transcripts, and the HTML page; and the figures alone (in memory).
//! Budget (issue 21): ≤ 500 ms for the whole report.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use closeq_analysis::coaching::{self, ReportInput, ReportSubject};
use closeq_analysis::metrics::{BenchmarkPack, MetricsConfig, compute};
use closeq_analysis::rubric::builtin_rubric;
use closeq_analysis::scoring::HeuristicScorer;
use closeq_benches::synthetic;
use closeq_core::ports::{CallFilter, CallStore, ScoringInput};
use closeq_core::testing::{Stores, World};
use closeq_core::{
    Call, CallDirection, CallSource, Clock, Member, Role, Scope, Scorecard, ScorecardDraft,
    SystemClock, UserId, Verdict,
};
use closeq_pipeline::{CoachingReports, ReportFor, ReportRequest};
use closeq_storage::{CallBundle, SqliteStore, SubjectHasher};
use criterion::{Criterion, criterion_group, criterion_main};

const CALLS: i64 = 10_000;
const REPS: i64 = 20;

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let rubric = builtin_rubric("discovery").unwrap();
    let start = Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).unwrap();
    let (store, w) = rt.block_on(async {
        let store = Arc::new(
            SqliteStore::open(dir.path().join("b.db"), SubjectHasher::new([1; 32], "44"))
                .await
                .unwrap(),
        );
        let w = World::create(&Stores::of(store.clone())).await;
        // A real heuristic scorecard of a 20-minute call, its verdicts
        // varied per call: the size users store.
        let t = synthetic::call(20, 7);
        let m = compute(&t, &MetricsConfig::default());
        let mut proto = Call::new(
            w.workspace.id,
            w.rep_a.user_id,
            start,
            CallDirection::Outbound,
            CallSource::Upload,
            start,
        );
        proto.call_type = Some("discovery".into());
        let scorer = HeuristicScorer::new(clock.clone());
        let packs = scorer.compile_set(std::slice::from_ref(&rubric)).unwrap();
        let template = scorer
            .score_all(
                &ScoringInput {
                    call: &proto,
                    transcript: &t,
                    metrics: &m,
                },
                &packs,
            )
            .unwrap()
            .remove(0);
        let mut reps = Vec::new();
        for _ in 0..REPS {
            let m = Member {
                workspace_id: w.workspace.id,
                user_id: UserId::new(),
                role: Role::Member,
                team_ids: [w.team_a].into_iter().collect(),
                display_name: Some("Bench Rep".to_owned().into()),
                email: None,
                joined_at: start,
                time_zone: None,
                preferences: Default::default(),
            };
            store_put(&store, &w.owner, &m).await;
            reps.push(Scope::of_member(&m));
        }
        let mut cards = Vec::new();
        let bundles: Vec<CallBundle> = (0..CALLS)
            .map(|i| {
                // Eight weeks, spread evenly.
                let t0 = start + Duration::seconds(i * 8 * 7 * 86_400 / CALLS);
                let rep = &reps[(i % REPS) as usize];
                let mut call = Call::new(
                    w.workspace.id,
                    rep.user_id,
                    t0,
                    CallDirection::Outbound,
                    CallSource::Upload,
                    t0,
                );
                call.team_id = Some(w.team_a);
                let mut draft = draft_of(&template, &call);
                for (k, r) in draft.criteria.iter_mut().enumerate() {
                    r.verdict = [Verdict::Met, Verdict::Partial, Verdict::Missed]
                        [((i as usize) * 7 + k * 3) % 3];
                }
                let card = Scorecard::suggested(draft);
                cards.push(card.clone());
                let mut b = CallBundle::new(call);
                b.transcript = Some(t.clone());
                b.scorecards = vec![card];
                b
            })
            .collect();
        for chunk in bundles.chunks(1_000) {
            store.ingest(&w.owner, chunk).await.unwrap();
        }
        // Nine in ten reviewed.
        for (i, mut card) in cards.into_iter().enumerate() {
            if i % 10 != 0 {
                card.accept(w.owner.user_id, start).unwrap();
                store.save_review(&w.owner, &card).await.unwrap();
            }
        }
        (store, w)
    });
    let reports = CoachingReports::new(store.clone(), store.clone(), store.clone(), clock.clone());
    let req = ReportRequest {
        subject: ReportFor::Team(w.team_a),
        from: start,
        to: start + Duration::weeks(8),
        rubric: rubric.clone(),
        audio_links: false,
    };
    let mut group = c.benchmark_group("coaching");
    group.sample_size(10);
    group.bench_function("team_report_10k_calls_sqlite_with_html", |b| {
        b.to_async(&rt).iter(|| async {
            let r = reports.report(&w.owner, &req).await.unwrap();
            assert_eq!(r.oversight.calls, CALLS as u32);
            black_box(coaching::html(&r))
        })
    });
    let calls = rt.block_on(async {
        store
            .scored_calls(
                &w.owner,
                &CallFilter {
                    team_id: Some(w.team_a),
                    ..Default::default()
                },
                20_000,
            )
            .await
            .unwrap()
    });
    group.bench_function("team_report_10k_calls_sqlite_read_only", |b| {
        b.to_async(&rt).iter(|| async {
            black_box(
                store
                    .scored_calls(
                        &w.owner,
                        &CallFilter {
                            team_id: Some(w.team_a),
                            ..Default::default()
                        },
                        20_000,
                    )
                    .await
                    .unwrap()
                    .len(),
            )
        })
    });
    let refs: Vec<&closeq_core::ports::ScoredCall> = calls.iter().collect();
    let pack = BenchmarkPack::default_pack();
    let names = BTreeMap::new();
    let subject = ReportSubject::Team {
        id: w.team_a,
        name: "Team A".into(),
    };
    group.bench_function("team_report_10k_calls_figures_only", |b| {
        b.iter(|| {
            black_box(
                coaching::build(ReportInput {
                    subject: &subject,
                    calls: &refs,
                    peer_calls: &refs,
                    peers: "workspace",
                    rubric: &rubric,
                    benchmarks: &pack,
                    from: start,
                    to: start + Duration::weeks(8),
                    generated_at: start,
                    rep_names: &names,
                    seed: 1,
                })
                .unwrap(),
            )
        })
    });
    group.finish();
}

async fn store_put(store: &SqliteStore, owner: &Scope, m: &Member) {
    closeq_core::ports::WorkspaceStore::put_member(store, owner, m)
        .await
        .unwrap();
}

fn draft_of(card: &Scorecard, call: &Call) -> ScorecardDraft {
    ScorecardDraft {
        call_id: call.id,
        workspace_id: call.workspace_id,
        score: card.score,
        criteria: card.criteria.clone(),
        explanation: card.explanation.clone(),
        coaching_notes: card.coaching_notes.clone(),
        recommendations: card.recommendations.clone(),
        issues: card.issues.clone(),
        metrics: card.metrics.clone(),
        summary: card.summary.clone(),
        provenance: card.provenance.clone(),
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
