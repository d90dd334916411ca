//! Decoding every supported format, refusing the rest with typed errors,
//! and never panicking on damaged input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use closeq_stt::audio::{
    AudioError, DecodeLimits, WHISPER_SAMPLE_RATE, decode, load_16k, probe, resample,
};
use proptest::prelude::*;

const WAV: &[u8] = include_bytes!("fixtures/audio/tone.wav");
const FLAC: &[u8] = include_bytes!("fixtures/audio/tone.flac");
const MP3: &[u8] = include_bytes!("fixtures/audio/tone.mp3");
const OGG: &[u8] = include_bytes!("fixtures/audio/tone.ogg");
const M4A: &[u8] = include_bytes!("fixtures/audio/tone.m4a");
const OPUS: &[u8] = include_bytes!("fixtures/audio/tone.opus");
const MONO_8K: &[u8] = include_bytes!("fixtures/audio/mono8k.wav");

/// Every fixture: 1.5 s, left 440 Hz, right 1 kHz.
const STEREO: &[(&str, &[u8])] = &[
    ("wav", WAV),
    ("flac", FLAC),
    ("mp3", MP3),
    ("ogg", OGG),
    ("m4a", M4A),
];

/// Frequency from upward zero crossings of the middle second.
fn frequency(samples: &[f32], rate: u32) -> f64 {
    let mid = &samples[samples.len() / 6..samples.len() * 5 / 6];
    let crossings = mid.windows(2).filter(|w| w[0] < 0.0 && w[1] >= 0.0).count();
    crossings as f64 * f64::from(rate) / mid.len() as f64
}

#[test]
fn every_supported_format_decodes_to_two_channels_at_16k() {
    for (name, bytes) in STEREO {
        let pcm =
            load_16k(bytes, &DecodeLimits::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(pcm.sample_rate, WHISPER_SAMPLE_RATE, "{name}");
        assert_eq!(pcm.channels.len(), 2, "{name}");
        let ms = pcm.duration_ms();
        // MP3 and AAC carry encoder padding unless gapless info is honoured.
        assert!((1_450..=1_600).contains(&ms), "{name}: {ms} ms");
        let left = frequency(&pcm.channels[0], pcm.sample_rate);
        let right = frequency(&pcm.channels[1], pcm.sample_rate);
        assert!((left - 440.0).abs() < 15.0, "{name}: left at {left} Hz");
        assert!((right - 1000.0).abs() < 25.0, "{name}: right at {right} Hz");
        assert!(
            pcm.channels
                .iter()
                .flatten()
                .all(|s| (-1.0..=1.0).contains(s))
        );
    }
}

#[test]
fn probe_reads_headers() {
    let info = probe(FLAC, &DecodeLimits::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(info.codec, "flac");
    assert_eq!(info.sample_rate, Some(44_100));
    assert_eq!(info.channels, Some(2));
    assert_eq!(info.duration_ms, Some(1_500));
    let info = probe(WAV, &DecodeLimits::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((info.sample_rate, info.channels), (Some(16_000), Some(2)));
}

#[test]
fn mono_8k_is_upsampled() {
    let pcm = decode(MONO_8K, &DecodeLimits::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (pcm.sample_rate, pcm.channels.len(), pcm.frames()),
        (8_000, 1, 8_000)
    );
    let up = resample(pcm, 16_000).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(up.frames(), 16_000);
    let f = frequency(&up.channels[0], 16_000);
    assert!((f - 300.0).abs() < 10.0, "{f} Hz");
}

#[test]
fn opus_is_refused_with_a_clear_error() {
    let err = decode(OPUS, &DecodeLimits::default()).err();
    assert_eq!(
        err,
        Some(AudioError::UnsupportedCodec {
            codec: "opus".into()
        })
    );
    let msg = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(msg.contains("opus") && msg.contains("FLAC"), "{msg}");
}

#[test]
fn empty_oversized_and_too_long_input_is_refused() {
    let limits = DecodeLimits::default();
    assert_eq!(decode(b"", &limits), Err(AudioError::Empty));
    assert_eq!(
        decode(WAV, &limits.with_max_bytes(1_000)),
        Err(AudioError::TooLarge {
            bytes: WAV.len() as u64,
            max: 1_000
        })
    );
    assert_eq!(
        decode(WAV, &limits.with_max_duration_ms(1_000)),
        Err(AudioError::TooLong { max_ms: 1_000 })
    );
    assert_eq!(
        decode(b"hello, this is not audio at all", &limits),
        Err(AudioError::UnrecognisedFormat)
    );
    // Errors become closeq_core InvalidInput naming the field.
    let core: closeq_core::Error = AudioError::Empty.into();
    assert!(matches!(core, closeq_core::Error::InvalidInput { .. }));
}

#[test]
fn a_truncated_header_is_an_error_and_a_truncated_tail_keeps_what_decoded() {
    let limits = DecodeLimits::default();
    for (name, bytes) in STEREO {
        for cut in [4, 12, 44, 100] {
            if let Ok(pcm) = decode(&bytes[..cut.min(bytes.len())], &limits) {
                assert!(pcm.frames() > 0, "{name} cut at {cut}: Ok but empty");
            }
        }
        // Half the file: either the first part or a typed error, never a panic.
        match decode(&bytes[..bytes.len() / 2], &limits) {
            Ok(pcm) => assert!(pcm.duration_ms() < 1_500, "{name}"),
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }
}

#[test]
fn every_truncation_of_every_fixture_is_contained() {
    let limits = DecodeLimits::default();
    for (_, bytes) in STEREO.iter().chain([("opus", OPUS)].iter()) {
        let step = (bytes.len() / 97).max(1);
        for cut in (0..bytes.len()).step_by(step) {
            let _ = decode(&bytes[..cut], &limits);
            let _ = probe(&bytes[..cut], &limits);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, rng_seed: proptest::test_runner::RngSeed::Fixed(6), ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let _ = decode(&bytes, &DecodeLimits::default());
    }

    #[test]
    fn mutated_fixtures_never_panic(which in 0usize..5, flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..24)) {
        let mut bytes = STEREO[which].1.to_vec();
        for (pos, val) in flips {
            let i = pos % bytes.len();
            bytes[i] = val;
        }
        let _ = load_16k(&bytes, &DecodeLimits::default());
    }
}
