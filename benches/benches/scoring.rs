//! Heuristic scoring of a 60-minute call against every built-in pack.
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;
use std::sync::Arc;

use closeq_analysis::metrics::{MetricsConfig, compute};
use closeq_analysis::rubric::builtin_rubrics;
use closeq_analysis::scoring::HeuristicScorer;
use closeq_benches::synthetic;
use closeq_core::ports::ScoringInput;
use closeq_core::{Call, CallDirection, CallSource, Clock, SystemClock, UserId, WorkspaceId};
use criterion::{Criterion, criterion_group, criterion_main};

fn scoring(c: &mut Criterion) {
    let t = synthetic::call(60, 42);
    let m = compute(&t, &MetricsConfig::default());
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let now = clock.now();
    let mut call = Call::new(
        WorkspaceId::new(),
        UserId::new(),
        now,
        CallDirection::Outbound,
        CallSource::Upload,
        now,
    );
    call.call_type = Some("discovery".into());
    let scorer = HeuristicScorer::new(clock);
    let rubrics = builtin_rubrics().unwrap();
    let packs = scorer.compile_set(&rubrics).unwrap();
    let input = ScoringInput {
        call: &call,
        transcript: &t,
        metrics: &m,
    };
    c.bench_function("scoring/heuristic_60min_all_builtin_packs", |b| {
        b.iter(|| scorer.score_all(black_box(&input), &packs).unwrap())
    });
    let one = scorer.compile_set(&rubrics[..1]).unwrap();
    c.bench_function("scoring/heuristic_60min_one_pack", |b| {
        b.iter(|| scorer.score_all(black_box(&input), &one).unwrap())
    });
}

criterion_group!(benches, scoring);
criterion_main!(benches);
