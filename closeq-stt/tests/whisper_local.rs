//! Local Whisper on the bundled two-channel sample calls: the conformance
//! suite, exact turn order and times, long-form seeking, mono audio, and
//! clear errors for a bad model directory.
//!
//! Needs the model: `CLOSEQ_WHISPER_MODEL` (scripts/test sets it from
//! scripts/fetch-whisper-model). Without it the tests skip locally and fail
//! under `CI=true`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(all(feature = "_whisper", feature = "testing"))]

use std::sync::{Arc, OnceLock};

use closeq_core::ports::{AudioInput, SpeechToText, SubProcessor, TranscribeOptions};
use closeq_core::testing::required_service_url;
use closeq_core::{ChannelLayout, Error, SpeakerRole, word_error_rate};
use closeq_stt::audio::{DecodeLimits, PcmAudio, load_16k};
use closeq_stt::samples::SAMPLE_CALLS;
use closeq_stt::testing::{sample_call_fixture, wav_bytes};
use closeq_stt::whisper::{WhisperConfig, WhisperLocalStt};

fn whisper() -> Option<Arc<WhisperLocalStt>> {
    static STT: OnceLock<Option<Arc<WhisperLocalStt>>> = OnceLock::new();
    STT.get_or_init(|| {
        let dir = required_service_url("CLOSEQ_WHISPER_MODEL")?;
        let cfg = WhisperConfig::new(dir).with_threads(2);
        Some(Arc::new(
            WhisperLocalStt::new(cfg).unwrap_or_else(|e| panic!("{e}")),
        ))
    })
    .clone()
}

mod conformance {
    use super::*;

    closeq_core::conformance_tests!(
        suite = stt,
        make_or_skip = whisper(),
        fixture = sample_call_fixture(&SAMPLE_CALLS[0], 0.15),
        cases = [
            segments_ordered_within_duration,
            silence_gives_empty_transcript,
            corrupt_audio_is_invalid_input,
            empty_audio_is_invalid_input,
            two_speakers_when_diarizing,
            word_error_rate_under_threshold,
        ]
    );
}

fn stereo(i: usize) -> AudioInput {
    AudioInput {
        data: SAMPLE_CALLS[i].audio.into(),
        content_type: Some("audio/ogg".into()),
        channels: ChannelLayout::Stereo { rep_channel: 0 },
    }
}

#[tokio::test]
async fn two_channel_calls_merge_in_the_right_turn_order_at_the_right_times() {
    let Some(stt) = whisper() else { return };
    for (i, call) in SAMPLE_CALLS.iter().enumerate() {
        let r = call.reference();
        let t = stt
            .transcribe(stereo(i), &TranscribeOptions::default())
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", call.name));
        // The sides hold the floor in the reference's order (backchannels,
        // spoken over the other side, split its turn and are left out).
        let floor = |us: &[&closeq_core::Utterance]| {
            let mut v: Vec<u8> = us.iter().filter_map(|u| u.channel).collect();
            v.dedup();
            v
        };
        let is_backchannel = |u: &closeq_core::Utterance| {
            r.turns.iter().any(|x| {
                x.backchannel
                    && Some(x.channel) == u.channel
                    && u.start_ms.abs_diff(x.start_ms) <= 700
            })
        };
        let main: Vec<&closeq_core::Utterance> =
            t.utterances.iter().filter(|u| !is_backchannel(u)).collect();
        assert_eq!(floor(&main), r.floor_order(), "{}: turn order", call.name);
        // Every backchannel is heard, on its channel, at its time.
        for x in r.turns.iter().filter(|x| x.backchannel) {
            assert!(
                t.utterances.iter().any(|u| u.channel == Some(x.channel)
                    && u.start_ms.abs_diff(x.start_ms) <= 700),
                "{}: the backchannel {:?} at {} ms was not heard",
                call.name,
                x.text,
                x.start_ms
            );
        }
        // Turn starts: each reference turn opens an utterance near its time.
        // Word times follow faster-whisper's rules, first words after a
        // pause included (they may start in the detector's 400 ms padding):
        // within 800 ms each, 300 ms on average.
        // A turn that keeps the floor (the same side spoke last, only a
        // backchannel between) may continue that side's utterance: its
        // first word is what must be near its time.
        let mut errors = Vec::new();
        let mut floor_holder = None;
        for x in &r.turns {
            let keeps_floor = !x.backchannel && floor_holder == Some(x.channel);
            if !x.backchannel {
                floor_holder = Some(x.channel);
            }
            let on_channel = || t.utterances.iter().filter(|u| u.channel == Some(x.channel));
            let placed = if keeps_floor {
                on_channel()
                    .flat_map(|u| u.words.iter().map(|w| w.start_ms))
                    .min_by_key(|s| s.abs_diff(x.start_ms))
            } else {
                on_channel()
                    .map(|u| u.start_ms)
                    .min_by_key(|s| s.abs_diff(x.start_ms))
            };
            let Some(placed) = placed else {
                panic!("{}: nothing heard on channel {}", call.name, x.channel)
            };
            errors.push(placed.abs_diff(x.start_ms));
            assert!(
                placed.abs_diff(x.start_ms) <= 800,
                "{}: a turn starting at {} ms was placed at {} ms",
                call.name,
                x.start_ms,
                placed
            );
        }
        let mean = errors.iter().sum::<u64>() / errors.len().max(1) as u64;
        println!("{}: turn starts off by {mean} ms on average", call.name);
        assert!(
            mean <= 300,
            "{}: turn starts off by {mean} ms on average",
            call.name
        );
        for u in &t.utterances {
            let role = t.speaker(u.speaker).map(|s| s.role);
            let want_role = if u.channel == Some(0) {
                SpeakerRole::Rep
            } else {
                SpeakerRole::Client
            };
            assert_eq!(role, Some(want_role));
            assert!(!u.text.contains("<|"), "special tokens leaked into text");
        }
        for ch in [0u8, 1] {
            let heard: Vec<&str> = t
                .utterances
                .iter()
                .filter(|u| u.channel == Some(ch))
                .map(|u| u.text.as_str())
                .collect();
            let wer = word_error_rate(&r.text_of_channel(ch), &heard.join(" "));
            // tiny.en on espeak voices: at most 25 % (call 04's client voice
            // 35 %: faster-whisper's own WER on it is 27-33 %, see
            // scripts/compare-whisper and docs/PERFORMANCE.md).
            let limit = if call.name.starts_with("04_") && ch == 1 {
                0.35
            } else {
                0.25
            };
            assert!(
                wer < limit,
                "{} channel {ch}: word error rate {wer:.3}",
                call.name
            );
        }
        let p = t.provider.as_ref().and_then(|p| p.processing.as_ref());
        assert!(p.and_then(|p| p.real_time_factor).is_some_and(|r| r > 0.0));
        assert_eq!(p.and_then(|p| p.compute_type.as_deref()), Some("int8"));
        assert_eq!(t.language.as_ref().map(|l| l.tag.as_str()), Some("en"));
    }
}

#[tokio::test]
async fn long_turns_are_decoded_across_30_second_windows() {
    let Some(stt) = whisper() else { return };
    // Sample 2 opens with a rep monologue of about 40 s: longer than one window.
    let r = SAMPLE_CALLS[1].reference();
    let first = &r.turns[0];
    assert!(
        first.end_ms - first.start_ms > 30_000,
        "the fixture needs a long turn"
    );
    let t = stt
        .transcribe(stereo(1), &TranscribeOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let u = &t.utterances[0];
    assert!(
        u.end_ms > 30_000 + first.start_ms,
        "the turn stops at {} ms",
        u.end_ms
    );
    assert!(
        u.end_ms.abs_diff(first.end_ms) <= 1_500,
        "ends at {} vs {}",
        u.end_ms,
        first.end_ms
    );
    // Words carry their own times, inside the turn, in order.
    assert!(u.words.len() > 60);
    assert!(u.words.windows(2).all(|w| w[0].start_ms <= w[1].start_ms));
    let wer = word_error_rate(&first.text, u.text.as_str());
    assert!(
        wer < 0.2,
        "word error rate {wer:.3} across the window boundary"
    );
}

#[tokio::test]
async fn mono_audio_gives_one_speaker_of_unknown_role_with_a_warning() {
    let Some(stt) = whisper() else { return };
    let pcm: PcmAudio =
        load_16k(SAMPLE_CALLS[2].audio, &DecodeLimits::default()).unwrap_or_else(|e| panic!("{e}"));
    let mixed: Vec<f32> = pcm.channels[0]
        .iter()
        .zip(&pcm.channels[1])
        .map(|(a, b)| a + b)
        .collect();
    let audio = AudioInput {
        data: wav_bytes(16_000, &[mixed]).into(),
        content_type: Some("audio/wav".into()),
        channels: ChannelLayout::Mono,
    };
    let t = stt
        .transcribe(audio, &TranscribeOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t.speakers.len(), 1);
    assert_eq!(t.speakers[0].role, SpeakerRole::Unknown);
    assert!(t.warnings.iter().any(|w| w.code == "mono_audio"));
    let heard: Vec<&str> = t.utterances.iter().map(|u| u.text.as_str()).collect();
    let wer = word_error_rate(&SAMPLE_CALLS[2].reference().text(), &heard.join(" "));
    assert!(wer < 0.3, "word error rate {wer:.3}");
}

#[tokio::test]
async fn progress_is_reported_and_it_is_no_sub_processor() {
    let Some(stt) = whisper() else { return };
    assert!(stt.sub_processor().is_none(), "in-process: no data leaves");
    let seen = Arc::new(std::sync::Mutex::new(Vec::<f32>::new()));
    let s = seen.clone();
    let opts = TranscribeOptions::default().with_progress(Arc::new(move |f| {
        if let Ok(mut v) = s.lock() {
            v.push(f);
        }
    }));
    stt.transcribe(stereo(2), &opts)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let v = seen.lock().map(|v| v.clone()).unwrap_or_default();
    assert!(v.len() >= 3, "{v:?}");
    assert!(
        v.windows(2).all(|w| w[0] <= w[1]),
        "progress goes backwards: {v:?}"
    );
    assert_eq!(v.last().copied(), Some(1.0));
}

#[test]
fn a_bad_model_directory_is_named() {
    let dir = std::env::temp_dir().join("closeq-no-such-model");
    let err = WhisperLocalStt::new(WhisperConfig::new(&dir))
        .err()
        .unwrap_or_else(|| panic!("must fail"));
    assert!(
        matches!(err, Error::InvalidInput { ref field, .. } if field == "model_dir"),
        "{err:?}"
    );
    assert!(err.to_string().contains("model.bin"), "{err}");
}

/// Any faster-whisper model directory works: the multilingual Whisper base
/// (`scripts/fetch-whisper-model base`, exported by scripts/test as
/// `CLOSEQ_WHISPER_MODEL_BASE`) detects the language itself.
#[tokio::test]
async fn a_multilingual_model_detects_the_language_and_transcribes() {
    let Some(dir) = required_service_url("CLOSEQ_WHISPER_MODEL_BASE") else {
        return;
    };
    let stt = WhisperLocalStt::new(WhisperConfig::new(dir).with_threads(2)).unwrap();
    let t = stt
        .transcribe(stereo(2), &TranscribeOptions::default())
        .await
        .unwrap();
    assert_eq!(
        t.language.as_ref().map(|l| l.tag.as_str()),
        Some("en"),
        "detected"
    );
    let r = SAMPLE_CALLS[2].reference();
    let got: Vec<u8> = t.utterances.iter().filter_map(|u| u.channel).collect();
    let want: Vec<u8> = r.turns.iter().map(|x| x.channel).collect();
    assert_eq!(got, want);
    let heard: Vec<&str> = t.utterances.iter().map(|u| u.text.as_str()).collect();
    let wer = word_error_rate(&r.text(), &heard.join(" "));
    assert!(wer < 0.15, "word error rate {wer:.3}");
    // A language the caller names is used as given.
    let t = stt
        .transcribe(
            stereo(2),
            &TranscribeOptions::default().with_language("en-GB"),
        )
        .await
        .unwrap();
    assert_eq!(t.language.as_ref().map(|l| l.tag.as_str()), Some("en"));
    let err = stt
        .transcribe(
            stereo(2),
            &TranscribeOptions::default().with_language("xx-klingon"),
        )
        .await
        .err()
        .unwrap();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
}
