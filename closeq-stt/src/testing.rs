//! Fixtures for the speech-to-text conformance suite
//! (`closeq_core::stt_conformance!`): a two-person call with its reference
//! text, silence, and bytes that are not audio.

use closeq_core::ChannelLayout;
use closeq_core::ports::{AudioInput, TranscribeOptions};
use closeq_core::testing::stt::SttFixture;

use crate::samples::SampleCall;

/// A WAV file (16-bit PCM) of the given channels.
pub fn wav_bytes(sample_rate: u32, channels: &[Vec<f32>]) -> Vec<u8> {
    let n_ch = channels.len().max(1) as u16;
    let frames = channels.first().map_or(0, Vec::len);
    let data_len = (frames * usize::from(n_ch) * 2) as u32;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&n_ch.to_le_bytes());
    out.extend_from_slice(&sample_rate.to_le_bytes());
    out.extend_from_slice(&(sample_rate * u32::from(n_ch) * 2).to_le_bytes());
    out.extend_from_slice(&(n_ch * 2).to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for i in 0..frames {
        for c in channels {
            let s = (c.get(i).copied().unwrap_or(0.0).clamp(-1.0, 1.0) * 32_767.0) as i16;
            out.extend_from_slice(&s.to_le_bytes());
        }
    }
    out
}

/// The conformance fixture for a sample call: its audio (two channels,
/// rep on channel 0), its reference text, ten seconds of stereo silence
/// and a corrupt file; `max_word_error_rate` is the caller's threshold.
pub fn sample_call_fixture(call: &SampleCall, max_word_error_rate: f64) -> SttFixture {
    let reference = call.reference();
    let layout = ChannelLayout::Stereo {
        rep_channel: reference.rep_channel,
    };
    let silence = wav_bytes(16_000, &[vec![0.0; 160_000], vec![0.0; 160_000]]);
    let mut corrupt = b"RIFF\x24\x00\x00\x00WAVEfmt ".to_vec();
    corrupt.extend((0..4_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
    SttFixture {
        speech: AudioInput {
            data: call.audio.into(),
            content_type: Some("audio/ogg".into()),
            channels: layout,
        },
        speech_duration_ms: reference.duration_ms,
        reference_text: reference.text(),
        max_word_error_rate,
        silence: AudioInput {
            data: silence.into(),
            content_type: Some("audio/wav".into()),
            channels: layout,
        },
        corrupt: AudioInput {
            data: corrupt.into(),
            content_type: Some("audio/wav".into()),
            channels: layout,
        },
        options: TranscribeOptions::default(),
    }
}
