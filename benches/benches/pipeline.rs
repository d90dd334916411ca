//! The Analyzer's own cost on a 60-minute transcript on SQLite: against
//! the bare atomic store write of the same call, transcript and scorecard
//! (issue budget: at most 2 ms above it), with a scorer that hands back a
//! finished card so only the pipeline is measured; and sequential
//! throughput with the heuristic scorer (budget: at least 200 calls/s).
//! Two transcripts: with per-word timings (what speech-to-text gives,
//! 742 KB stored) and without (an imported text transcript, 103 KB).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use async_trait::async_trait;
use closeq_analysis::rubric::builtin_rubric;
use closeq_analysis::scoring::HeuristicScorer;
use closeq_benches::synthetic;
use closeq_core::ports::{CallBundle, CallStore, Scorer, ScoringInput};
use closeq_core::testing::{Stores, World, base_time};
use closeq_core::{
    Call, CallDirection, CallSource, CallStatus, ManualClock, Result, Rubric, Scorecard,
    SubProcessorInfo,
};
use closeq_pipeline::{AnalyzeRequest, Analyzer};
use closeq_storage::{SqliteStore, SubjectHasher};
use criterion::{Criterion, criterion_group, criterion_main};

/// Returns a finished card for the call at hand: no scoring work.
#[derive(Debug)]
struct Finished(Scorecard);

#[async_trait]
impl Scorer for Finished {
    fn name(&self) -> &str {
        "heuristic"
    }
    fn sub_processors(&self) -> Vec<SubProcessorInfo> {
        Vec::new()
    }
    async fn score(&self, input: &ScoringInput<'_>, _: &Rubric) -> Result<Scorecard> {
        let mut card = self.0.clone();
        card.id = closeq_core::ScorecardId::new();
        card.call_id = input.call.id;
        Ok(card)
    }
}

fn pipeline(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = rt.block_on(async {
        Arc::new(
            SqliteStore::open(dir.path().join("b.db"), SubjectHasher::new([1; 32], "48"))
                .await
                .unwrap(),
        )
    });
    let world = rt.block_on(World::create(&Stores::of(store.clone())));
    let scope = world.rep_a.clone();
    let clock = Arc::new(ManualClock::new(base_time()));
    let rubric = builtin_rubric("discovery").unwrap();
    let transcript = synthetic::call(60, 7);
    let heuristic = Arc::new(HeuristicScorer::new(clock.clone()));
    // One real card, made once.
    let card = rt.block_on(async {
        let a = Analyzer::builder()
            .store(store.clone())
            .scorer(heuristic.clone())
            .clock(clock.clone())
            .build()
            .unwrap();
        a.analyze(
            &scope,
            AnalyzeRequest::transcript(transcript.clone(), rubric.clone()),
        )
        .await
        .unwrap()
        .scorecards
        .remove(0)
    });
    let mut plain = transcript.clone();
    for u in &mut plain.utterances {
        u.words.clear();
    }
    for (label, transcript) in [("words", transcript), ("no_words", plain)] {
        let heuristic = heuristic.clone();
        let finished = Analyzer::builder()
            .store(store.clone())
            .scorer(Arc::new(Finished(card.clone())))
            .clock(clock.clone())
            .build()
            .unwrap();
        let scored = Analyzer::builder()
            .store(store.clone())
            .scorer(heuristic)
            .clock(clock.clone())
            .build()
            .unwrap();

        let mut g = c.benchmark_group(format!("pipeline_60min_sqlite_{label}"));
        g.bench_function("bare_store_write", |b| {
            b.to_async(&rt).iter(|| async {
                let mut call = Call::new(
                    scope.workspace_id,
                    scope.user_id,
                    base_time(),
                    CallDirection::Outbound,
                    CallSource::Upload,
                    base_time(),
                );
                for s in [
                    CallStatus::Transcribing,
                    CallStatus::Transcribed,
                    CallStatus::Analyzing,
                    CallStatus::Analyzed,
                ] {
                    call.transition(s).unwrap();
                }
                let mut card = card.clone();
                card.id = closeq_core::ScorecardId::new();
                card.call_id = call.id;
                let bundle = CallBundle {
                    call,
                    transcript: Some(transcript.clone()),
                    scorecards: vec![card],
                    consent: None,
                };
                store
                    .ingest(&scope, std::slice::from_ref(&bundle))
                    .await
                    .unwrap();
            })
        });
        g.bench_function("analyze_without_scoring_work", |b| {
            b.to_async(&rt).iter(|| async {
                finished
                    .analyze(
                        &scope,
                        AnalyzeRequest::transcript(transcript.clone(), rubric.clone()),
                    )
                    .await
                    .unwrap()
            })
        });
        g.bench_function("analyze_heuristic", |b| {
            b.to_async(&rt).iter(|| async {
                scored
                    .analyze(
                        &scope,
                        AnalyzeRequest::transcript(transcript.clone(), rubric.clone()),
                    )
                    .await
                    .unwrap()
            })
        });
        g.finish();
    }
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
