//! The speech-to-text conformance suite, run against the scripted fake: it
//! proves the harness emits one named test per case and that the fake honours
//! the contract embedders' adapters are held to.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use closeq_core::ports::{AudioInput, SttCapabilities, TranscribeOptions};
use closeq_core::testing::ScriptedStt;
use closeq_core::testing::stt::SttFixture;
use closeq_core::{
    ChannelLayout, RoleDecision, Speaker, SpeakerId, SpeakerRole, Transcript, Utterance,
    UtteranceId,
};

const SPEECH: &[u8] = b"RIFF-fake-speech";
const SILENCE: &[u8] = b"RIFF-fake-silence";

fn audio(bytes: &[u8]) -> AudioInput {
    AudioInput {
        data: bytes.to_vec().into(),
        content_type: Some("audio/wav".into()),
        channels: ChannelLayout::Stereo { rep_channel: 0 },
    }
}

fn speech_transcript() -> Transcript {
    let mut t = Transcript::empty(6_000);
    for (i, role) in [SpeakerRole::Rep, SpeakerRole::Client]
        .into_iter()
        .enumerate()
    {
        t.speakers.push(Speaker {
            id: SpeakerId(i as u32),
            label: format!("ch{i}").into(),
            role,
            decided_by: RoleDecision::ChannelMap { channel: i as u8 },
            name: None,
        });
    }
    let lines = [
        (0, 0, 2_000, "What is your budget this quarter?"),
        (1, 2_300, 5_000, "About fifty thousand euros."),
    ];
    for (i, (spk, start, end, text)) in lines.into_iter().enumerate() {
        t.utterances.push(Utterance {
            id: UtteranceId(i as u32),
            speaker: SpeakerId(spk),
            start_ms: start,
            end_ms: end,
            text: text.into(),
            words: vec![],
            channel: Some(spk as u8),
        });
    }
    t
}

fn stt() -> Arc<ScriptedStt> {
    Arc::new(
        ScriptedStt::new()
            .with_capabilities(SttCapabilities::none().with_multichannel(true))
            .with_transcript(SPEECH, speech_transcript())
            .with_transcript(SILENCE, Transcript::empty(3_000)),
    )
}

fn fixture() -> SttFixture {
    SttFixture {
        speech: audio(SPEECH),
        speech_duration_ms: 6_000,
        reference_text: "What is your budget this quarter? About fifty thousand euros.".into(),
        max_word_error_rate: 0.0,
        silence: audio(SILENCE),
        corrupt: audio(b"\x00\x01garbage"),
        options: TranscribeOptions::default(),
    }
}

mod scripted_stt {
    use super::*;
    closeq_core::stt_conformance!(make = stt(), fixture = fixture());
}

#[tokio::test]
async fn a_broken_engine_fails_the_suite() {
    // The suite must be able to fail: an engine returning utterances out of
    // order is caught.
    let mut bad = speech_transcript();
    bad.utterances.swap(0, 1);
    let stt = ScriptedStt::new().with_transcript(SPEECH, bad);
    let fx = fixture();
    let result = tokio::spawn(async move {
        closeq_core::testing::stt::segments_ordered_within_duration(&stt, &fx).await
    })
    .await;
    assert!(
        result.is_err(),
        "an out-of-order transcript passed the suite"
    );
}

#[tokio::test]
async fn injected_faults_come_back_in_order() {
    let stt = stt();
    stt.fail_next(closeq_core::Error::RateLimited {
        provider: "scripted".into(),
        retry_after: None,
    });
    let opts = TranscribeOptions::default();
    use closeq_core::ports::SpeechToText;
    let err = stt.transcribe(audio(SPEECH), &opts).await.unwrap_err();
    assert!(err.is_retryable());
    assert!(stt.transcribe(audio(SPEECH), &opts).await.is_ok());
    assert_eq!(stt.calls(), 2);
}
