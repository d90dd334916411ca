//! Conformance suite for [`SpeechToText`] implementations.
//!
//! ```ignore
//! mod stt_conformance {
//!     closeq_core::stt_conformance!(
//!         make = std::sync::Arc::new(MyStt::new()),
//!         fixture = my_fixture()
//!     );
//! }
//! ```

use crate::error::Error;
use crate::ports::{AudioInput, SpeechToText, TranscribeOptions};
use crate::testing::{Outcome, word_error_rate};

/// Audio and expectations for the suite.
#[derive(Debug, Clone)]
pub struct SttFixture {
    /// A recording of two people talking.
    pub speech: AudioInput,
    /// Its length in ms.
    pub speech_duration_ms: u64,
    /// What is said, in order.
    pub reference_text: String,
    /// The highest word error rate accepted (0.0–1.0).
    pub max_word_error_rate: f64,
    /// Audio of silence.
    pub silence: AudioInput,
    /// Bytes that are not decodable audio.
    pub corrupt: AudioInput,
    /// Options passed to every call.
    pub options: TranscribeOptions,
}

/// Utterances come back ordered, inside the audio's duration, and the
/// transcript validates.
pub async fn segments_ordered_within_duration(stt: &dyn SpeechToText, fx: &SttFixture) -> Outcome {
    let t = stt
        .transcribe(fx.speech.clone(), &fx.options)
        .await
        .unwrap_or_else(|e| panic!("{} failed on the speech fixture: {e}", stt.name()));
    t.validate()
        .unwrap_or_else(|e| panic!("transcript does not validate: {e}"));
    assert!(!t.utterances.is_empty(), "no utterances for speech");
    for w in t.utterances.windows(2) {
        assert!(w[0].start_ms <= w[1].start_ms, "utterances out of order");
    }
    let tolerance = 500;
    for u in &t.utterances {
        assert!(
            u.end_ms <= fx.speech_duration_ms + tolerance,
            "utterance {} ends at {} ms, after the audio's {} ms",
            u.id,
            u.end_ms,
            fx.speech_duration_ms
        );
    }
    Outcome::Passed
}

/// Silence yields a transcript without utterances, not an error.
pub async fn silence_gives_empty_transcript(stt: &dyn SpeechToText, fx: &SttFixture) -> Outcome {
    let t = stt
        .transcribe(fx.silence.clone(), &fx.options)
        .await
        .unwrap_or_else(|e| panic!("silence must not be an error: {e}"));
    let words: usize = t
        .utterances
        .iter()
        .map(|u| u.text.split_whitespace().count())
        .sum();
    assert_eq!(words, 0, "silence produced {words} words");
    Outcome::Passed
}

/// Undecodable bytes give `InvalidInput`.
pub async fn corrupt_audio_is_invalid_input(stt: &dyn SpeechToText, fx: &SttFixture) -> Outcome {
    match stt.transcribe(fx.corrupt.clone(), &fx.options).await {
        Err(Error::InvalidInput { .. }) => Outcome::Passed,
        Err(e) => panic!("corrupt audio must be InvalidInput, got: {e}"),
        Ok(_) => panic!("corrupt audio was accepted"),
    }
}

/// Empty input gives `InvalidInput`.
pub async fn empty_audio_is_invalid_input(stt: &dyn SpeechToText, fx: &SttFixture) -> Outcome {
    let empty = AudioInput {
        data: Vec::new().into(),
        ..fx.speech.clone()
    };
    match stt.transcribe(empty, &fx.options).await {
        Err(Error::InvalidInput { .. }) => Outcome::Passed,
        Err(e) => panic!("empty audio must be InvalidInput, got: {e}"),
        Ok(_) => panic!("empty audio was accepted"),
    }
}

/// Engines that declare diarization or multichannel return at least two
/// speakers for a two-person recording.
pub async fn two_speakers_when_diarizing(stt: &dyn SpeechToText, fx: &SttFixture) -> Outcome {
    let caps = stt.capabilities();
    if !caps.diarization && !caps.multichannel {
        return Outcome::Skipped("declares neither diarization nor multichannel".into());
    }
    let opts = fx.options.clone().with_diarize(true);
    let t = stt
        .transcribe(fx.speech.clone(), &opts)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut speaking: Vec<_> = t.utterances.iter().map(|u| u.speaker).collect();
    speaking.sort();
    speaking.dedup();
    assert!(
        speaking.len() >= 2,
        "only {} speaker(s) returned",
        speaking.len()
    );
    Outcome::Passed
}

/// Word error rate against the reference stays under the fixture's threshold.
pub async fn word_error_rate_under_threshold(stt: &dyn SpeechToText, fx: &SttFixture) -> Outcome {
    let t = stt
        .transcribe(fx.speech.clone(), &fx.options)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let text: Vec<&str> = t.utterances.iter().map(|u| u.text.as_str()).collect();
    let wer = word_error_rate(&fx.reference_text, &text.join(" "));
    assert!(
        wer <= fx.max_word_error_rate,
        "word error rate {wer:.3} is above the threshold {:.3}",
        fx.max_word_error_rate
    );
    Outcome::Passed
}

/// Runs every case of the [`SpeechToText`] suite as its own test.
///
/// `make` is an expression giving something that derefs to a
/// `dyn SpeechToText` (an `Arc<MyStt>`, a `Box<dyn SpeechToText>`);
/// `fixture` an [`SttFixture`].
#[macro_export]
macro_rules! stt_conformance {
    (make = $make:expr, fixture = $fixture:expr $(,)?) => {
        $crate::conformance_tests!(
            suite = stt,
            make = $make,
            fixture = $fixture,
            cases = [
                segments_ordered_within_duration,
                silence_gives_empty_transcript,
                corrupt_audio_is_invalid_input,
                empty_audio_is_invalid_input,
                two_speakers_when_diarizing,
                word_error_rate_under_threshold,
            ]
        );
    };
}
