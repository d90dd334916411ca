//! The Analyzer end to end, on every backend: transcripts and recordings
//! to stored, analysed calls; retries and rescoring without duplicate
//! scorecards; the stage statuses a failure leaves behind.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;

use closeq_core::ports::{CallFilter, PageRequest};
use closeq_core::testing::ScriptedStt;
use closeq_core::{CallStatus, ChannelLayout, Error, ProcessingStage, ReviewState};
use closeq_pipeline::{AnalyzeRequest, Stage};
use closeq_stt::samples::SAMPLE_CALLS;
use support::{Backend, Ctx, discovery, discovery_v2, sample_transcript};

on_every_backend!(
    a_transcript_is_analysed_and_stored,
    a_recording_is_stored_transcribed_and_analysed,
    a_retry_never_stores_a_second_scorecard_per_rubric_version,
    rescoring_keeps_earlier_cards,
    a_failing_speech_to_text_leaves_a_failed_call_and_a_retry_finishes_it,
    a_failing_scorer_leaves_failed_analysis_with_the_transcript,
    bad_input_is_refused_before_anything_is_stored,
);

async fn a_transcript_is_analysed_and_stored(b: Backend) {
    let ctx = Ctx::new(b).await;
    let stages = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = stages.clone();
    let analyzer = ctx
        .builder()
        .scorer(ctx.heuristic())
        .on_progress(move |p| seen.lock().unwrap().push(p.stage))
        .build()
        .unwrap();
    let scope = &ctx.world.rep_a;
    let done = analyzer
        .analyze(
            scope,
            AnalyzeRequest::transcript(sample_transcript(), discovery()),
        )
        .await
        .unwrap();
    assert_eq!(*done.call.status(), CallStatus::Analyzed);
    assert_eq!(done.call.rep_id, scope.user_id);
    assert_eq!(done.scorecards.len(), 1);
    assert_eq!(done.scorecards[0].review(), &ReviewState::Suggested);
    let stored = ctx.calls().get_call(scope, done.call.id).await.unwrap();
    assert_eq!(*stored.status(), CallStatus::Analyzed);
    assert_eq!(
        ctx.calls()
            .get_transcript(scope, done.call.id)
            .await
            .unwrap(),
        done.transcript
    );
    let cards = ctx
        .calls()
        .list_scorecards(scope, done.call.id)
        .await
        .unwrap();
    assert_eq!(cards, done.scorecards);
    assert!(!done.audio_kept);
    let stages = stages.lock().unwrap().clone();
    assert_eq!(
        stages,
        [
            Stage::Validated,
            Stage::GatesPassed,
            Stage::TransfersAllowed,
            Stage::Scored,
            Stage::Stored
        ]
    );
}

fn stt_for_sample(i: usize) -> Arc<ScriptedStt> {
    Arc::new(ScriptedStt::new().with_transcript(SAMPLE_CALLS[i].audio, sample_transcript()))
}

fn recording(i: usize) -> AnalyzeRequest {
    AnalyzeRequest::audio(
        SAMPLE_CALLS[i].audio,
        ChannelLayout::Stereo { rep_channel: 0 },
        discovery(),
    )
}

async fn a_recording_is_stored_transcribed_and_analysed(b: Backend) {
    let ctx = Ctx::new(b).await;
    let stt = stt_for_sample(2);
    let analyzer = ctx
        .builder()
        .speech_to_text(stt.clone())
        .scorer(ctx.heuristic())
        .build()
        .unwrap();
    let scope = &ctx.world.rep_a;
    let done = analyzer.analyze(scope, recording(2)).await.unwrap();
    assert_eq!(stt.calls(), 1);
    assert!(done.audio_kept);
    let audio = done.call.audio.clone().expect("audio ref");
    assert!(audio.key.starts_with("calls/") && audio.key.ends_with(".ogg"));
    assert_eq!(audio.size_bytes, SAMPLE_CALLS[2].audio.len() as u64);
    assert_eq!(done.call.channels, ChannelLayout::Stereo { rep_channel: 0 });
    assert!(done.call.duration_ms.is_some_and(|d| d > 50_000));
    assert_eq!(ctx.audio_files(), 1);
    let stored = ctx.calls().get_call(scope, done.call.id).await.unwrap();
    assert_eq!(*stored.status(), CallStatus::Analyzed);
    assert_eq!(stored.audio, done.call.audio);
}

async fn a_retry_never_stores_a_second_scorecard_per_rubric_version(b: Backend) {
    let ctx = Ctx::new(b).await;
    let analyzer = ctx.builder().scorer(ctx.heuristic()).build().unwrap();
    let scope = &ctx.world.rep_a;
    let first = analyzer
        .analyze(
            scope,
            AnalyzeRequest::transcript(sample_transcript(), discovery()),
        )
        .await
        .unwrap();
    for _ in 0..2 {
        let again = analyzer
            .analyze(
                scope,
                AnalyzeRequest::transcript(sample_transcript(), discovery())
                    .with_call_id(first.call.id),
            )
            .await
            .unwrap();
        assert_eq!(again.call.id, first.call.id);
        assert_eq!(again.scorecards, first.scorecards);
    }
    let cards = ctx
        .calls()
        .list_scorecards(scope, first.call.id)
        .await
        .unwrap();
    assert_eq!(cards.len(), 1);
    let all = ctx
        .calls()
        .list_calls(scope, &CallFilter::default(), &PageRequest::first(100))
        .await
        .unwrap();
    assert_eq!(all.items.len(), 1, "a retry must not store a second call");
}

async fn rescoring_keeps_earlier_cards(b: Backend) {
    let ctx = Ctx::new(b).await;
    let analyzer = ctx.builder().scorer(ctx.heuristic()).build().unwrap();
    let scope = &ctx.world.rep_a;
    let first = analyzer
        .analyze(
            scope,
            AnalyzeRequest::transcript(sample_transcript(), discovery()),
        )
        .await
        .unwrap();
    let v2 = analyzer
        .rescore(scope, first.call.id, &discovery_v2())
        .await
        .unwrap();
    assert_eq!(v2.scorecards.len(), 2);
    assert_eq!(*v2.call.status(), CallStatus::Analyzed);
    let again = analyzer
        .rescore(scope, first.call.id, &discovery_v2())
        .await
        .unwrap();
    assert_eq!(again.scorecards.len(), 2);
    assert_eq!(
        ctx.calls()
            .list_scorecards(scope, first.call.id)
            .await
            .unwrap()
            .len(),
        2
    );
}

async fn a_failing_speech_to_text_leaves_a_failed_call_and_a_retry_finishes_it(b: Backend) {
    let ctx = Ctx::new(b).await;
    let stt = stt_for_sample(2);
    stt.fail_next(Error::Unavailable {
        service: "scripted".into(),
        reason: "down for the test".into(),
    });
    let analyzer = ctx
        .builder()
        .speech_to_text(stt.clone())
        .scorer(ctx.heuristic())
        .build()
        .unwrap();
    let scope = &ctx.world.rep_a;
    let e = analyzer.analyze(scope, recording(2)).await.unwrap_err();
    assert!(matches!(e, Error::Unavailable { .. }), "{e}");
    let calls = ctx
        .calls()
        .list_calls(scope, &CallFilter::default(), &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(calls.items.len(), 1);
    let failed = &calls.items[0];
    match failed.status() {
        CallStatus::Failed {
            stage,
            retryable,
            reason,
        } => {
            assert_eq!(*stage, ProcessingStage::Transcription);
            assert!(*retryable);
            assert!(reason.starts_with("speech-to-text failed"), "{reason}");
        }
        other => panic!("status {other:?}"),
    }
    // The recording was kept: the retry needs no upload.
    assert_eq!(ctx.audio_files(), 1);
    let done = analyzer
        .analyze(
            scope,
            AnalyzeRequest::transcript(sample_transcript(), discovery()).with_call_id(failed.id),
        )
        .await
        .unwrap();
    assert_eq!(*done.call.status(), CallStatus::Analyzed);
    assert_eq!(stt.calls(), 2, "the retry transcribed the stored recording");
    assert_eq!(
        ctx.calls()
            .list_scorecards(scope, failed.id)
            .await
            .unwrap()
            .len(),
        1
    );
}

/// A scorer that always fails.
#[derive(Debug)]
struct BrokenScorer;

#[async_trait::async_trait]
impl closeq_core::ports::Scorer for BrokenScorer {
    fn name(&self) -> &str {
        "broken"
    }
    fn sub_processors(&self) -> Vec<closeq_core::SubProcessorInfo> {
        Vec::new()
    }
    async fn score(
        &self,
        _: &closeq_core::ports::ScoringInput<'_>,
        _: &closeq_core::Rubric,
    ) -> closeq_core::Result<closeq_core::Scorecard> {
        Err(Error::Provider {
            provider: "broken".into(),
            status: Some(503),
            reason: "overloaded".into(),
        })
    }
}

async fn a_failing_scorer_leaves_failed_analysis_with_the_transcript(b: Backend) {
    let ctx = Ctx::new(b).await;
    let broken = ctx
        .builder()
        .scorer(Arc::new(BrokenScorer))
        .build()
        .unwrap();
    let scope = &ctx.world.rep_a;
    let e = broken
        .analyze(
            scope,
            AnalyzeRequest::transcript(sample_transcript(), discovery()),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Provider { .. }));
    let calls = ctx
        .calls()
        .list_calls(scope, &CallFilter::default(), &PageRequest::first(10))
        .await
        .unwrap();
    let call = &calls.items[0];
    assert!(
        matches!(
            &call.status(),
            CallStatus::Failed {
                stage: ProcessingStage::Analysis,
                retryable: true,
                ..
            }
        ),
        "{:?}",
        call.status()
    );
    assert!(ctx.calls().get_transcript(scope, call.id).await.is_ok());
    assert!(
        ctx.calls()
            .list_scorecards(scope, call.id)
            .await
            .unwrap()
            .is_empty()
    );
    // A working scorer finishes it from the stored transcript.
    let fixed = ctx.builder().scorer(ctx.heuristic()).build().unwrap();
    let done = fixed
        .analyze(
            scope,
            AnalyzeRequest::transcript(sample_transcript(), discovery()).with_call_id(call.id),
        )
        .await
        .unwrap();
    assert_eq!(*done.call.status(), CallStatus::Analyzed);
    assert_eq!(done.scorecards.len(), 1);
}

async fn bad_input_is_refused_before_anything_is_stored(b: Backend) {
    let ctx = Ctx::new(b).await;
    let stt = stt_for_sample(2);
    let analyzer = ctx
        .builder()
        .speech_to_text(stt.clone())
        .scorer(ctx.heuristic())
        .build()
        .unwrap();
    let scope = &ctx.world.rep_a;
    let cases: Vec<(AnalyzeRequest, &str)> = vec![
        (
            AnalyzeRequest::audio(&b"not audio at all"[..], ChannelLayout::Mono, discovery()),
            "audio",
        ),
        (
            AnalyzeRequest::audio(&b""[..], ChannelLayout::Mono, discovery()),
            "audio",
        ),
        (
            AnalyzeRequest::audio(
                SAMPLE_CALLS[2].audio,
                ChannelLayout::Stereo { rep_channel: 5 },
                discovery(),
            ),
            "layout",
        ),
        (
            {
                let mut r = AnalyzeRequest::transcript(sample_transcript(), discovery());
                r.rubrics.clear();
                r
            },
            "rubrics",
        ),
        (
            {
                let mut t = sample_transcript();
                t.utterances.clear();
                AnalyzeRequest::transcript(t, discovery())
            },
            "transcript",
        ),
    ];
    for (req, field) in cases {
        match analyzer.analyze(scope, req).await {
            Err(Error::InvalidInput { field: f, .. }) => {
                assert!(f.starts_with(field), "{f} vs {field}")
            }
            other => panic!("{field}: {other:?}"),
        }
    }
    assert_eq!(stt.calls(), 0);
    assert_eq!(ctx.audio_files(), 0);
    let calls = ctx
        .calls()
        .list_calls(scope, &CallFilter::default(), &PageRequest::first(10))
        .await
        .unwrap();
    assert!(calls.items.is_empty());
}
