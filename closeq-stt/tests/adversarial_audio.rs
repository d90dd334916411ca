//! Hostile audio files, written byte by byte. Each test is an attack that
//! worked before its fix: a small file that expands to gigabytes of
//! samples, or a header whose sample rate or length the decoder believed
//! only after decoding.
//!
//! The expansion attack: a FLAC frame of CONSTANT subframes is 14 bytes and
//! decodes to 65,535 samples (18,700× as `f32`). The decoder capped the
//! duration at the file's own sample rate, so a file declaring 655,350 Hz
//! could decode 4 h × 655,350 = 9.4 billion samples per channel (37.7 GB)
//! before `TooLong`. The memory tests run in a child process with its
//! address space limited, so the old decoder failed them by running out of
//! memory without endangering the machine.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use closeq_stt::audio::{AudioError, DecodeLimits, decode, decode_shared, probe};

// ---------------------------------------------------------------- FLAC

fn crc8(data: &[u8]) -> u8 {
    let mut crc = 0u8;
    for &b in data {
        crc ^= b;
        for _ in 0..8 {
            crc = if crc & 0x80 != 0 {
                (crc << 1) ^ 0x07
            } else {
                crc << 1
            };
        }
    }
    crc
}

fn crc16(data: &[u8]) -> u16 {
    let mut crc = 0u16;
    for &b in data {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x8005
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// FLAC's UTF-8-style coding of a frame number.
fn coded_number(n: u32) -> Vec<u8> {
    match n {
        0..=0x7f => vec![n as u8],
        0x80..=0x7ff => vec![0xc0 | (n >> 6) as u8, 0x80 | (n & 0x3f) as u8],
        0x800..=0xffff => vec![
            0xe0 | (n >> 12) as u8,
            0x80 | ((n >> 6) & 0x3f) as u8,
            0x80 | (n & 0x3f) as u8,
        ],
        _ => vec![
            0xf0 | (n >> 18) as u8,
            0x80 | ((n >> 12) & 0x3f) as u8,
            0x80 | ((n >> 6) & 0x3f) as u8,
            0x80 | (n & 0x3f) as u8,
        ],
    }
}

const BLOCK: u32 = 65_535;

/// A 16-bit FLAC stream: STREAMINFO declaring `sample_rate`, `channels`
/// and `total_samples` (0 = unknown), then `frames` frames of 65,535
/// samples per channel, each a CONSTANT subframe per channel.
fn flac(sample_rate: u32, channels: u8, total_samples: u64, frames: u32) -> Vec<u8> {
    let mut out = b"fLaC".to_vec();
    out.extend([0x80, 0x00, 0x00, 34]); // last block, STREAMINFO, 34 bytes
    out.extend((BLOCK as u16).to_be_bytes()); // min block size
    out.extend((BLOCK as u16).to_be_bytes()); // max block size
    out.extend([0; 6]); // min and max frame size: unknown
    let packed: u64 = (u64::from(sample_rate) << 44)
        | (u64::from(channels - 1) << 41)
        | (15 << 36)
        | (total_samples & 0xf_ffff_ffff);
    out.extend(packed.to_be_bytes());
    out.extend([0; 16]); // MD5: unknown
    let assignment = if channels == 2 { 0x1 } else { 0x0 };
    for n in 0..frames {
        let start = out.len();
        out.extend([0xff, 0xf8]); // sync, fixed block size
        out.push(0x70); // block size: 16 bits at the end; rate from STREAMINFO
        out.push((assignment << 4) | 0x08); // channels; 16 bits per sample
        out.extend(coded_number(n));
        out.extend(((BLOCK - 1) as u16).to_be_bytes());
        out.push(crc8(&out[start..]));
        for _ in 0..channels {
            out.push(0x00); // CONSTANT subframe
            out.extend(0x0100u16.to_be_bytes());
        }
        let crc = crc16(&out[start..]);
        out.extend(crc.to_be_bytes());
    }
    out
}

// ---------------------------------------------------------------- WAV

/// A 16-bit PCM WAV; `data_len` is what the header declares for the data
/// chunk (`None`: the real length).
fn wav(sample_rate: u32, channels: u16, frames: u32, data_len: Option<u32>) -> Vec<u8> {
    let block_align = channels * 2;
    let real = frames * u32::from(block_align);
    let mut out = b"RIFF".to_vec();
    // A streaming writer leaves both lengths at their largest.
    let riff_len = match data_len {
        Some(u32::MAX) => u32::MAX,
        _ => 36 + real,
    };
    out.extend(riff_len.to_le_bytes());
    out.extend(b"WAVEfmt ");
    out.extend(16u32.to_le_bytes());
    out.extend(1u16.to_le_bytes()); // PCM
    out.extend(channels.to_le_bytes());
    out.extend(sample_rate.to_le_bytes());
    out.extend(
        sample_rate
            .wrapping_mul(u32::from(block_align))
            .to_le_bytes(),
    );
    out.extend(block_align.to_le_bytes());
    out.extend(16u16.to_le_bytes());
    out.extend(b"data");
    out.extend(data_len.unwrap_or(real).to_le_bytes());
    for i in 0..frames * u32::from(channels) {
        out.extend(((i % 200) as i16 * 50).to_le_bytes());
    }
    out
}

// ---------------------------------------------------------------- the tests

#[test]
fn the_crafted_files_are_real_audio() {
    // Without this, every refusal below could be a parse failure.
    let pcm = decode(&flac(16_000, 2, 0, 3), &DecodeLimits::default()).unwrap();
    assert_eq!((pcm.sample_rate, pcm.channels.len()), (16_000, 2));
    assert_eq!(pcm.frames(), 3 * BLOCK as usize);
    let pcm = decode(&wav(8_000, 1, 8_000, None), &DecodeLimits::default()).unwrap();
    assert_eq!((pcm.sample_rate, pcm.frames()), (8_000, 8_000));
}

#[test]
fn a_flac_declaring_655350_hz_is_refused_from_its_header() {
    let hostile = flac(655_350, 1, 0, 4);
    let limits = DecodeLimits::default();
    let expected = AudioError::SampleRateTooHigh {
        rate: 655_350,
        max: limits.max_sample_rate,
    };
    assert_eq!(decode(&hostile, &limits), Err(expected.clone()));
    assert_eq!(probe(&hostile, &limits).err(), Some(expected));
}

#[test]
fn a_wav_declaring_four_gigahertz_is_refused_from_its_header() {
    let hostile = wav(4_000_000_000, 1, 1_000, None);
    assert!(matches!(
        decode(&hostile, &DecodeLimits::default()),
        Err(AudioError::SampleRateTooHigh {
            rate: 4_000_000_000,
            ..
        })
    ));
}

#[test]
fn a_flac_declaring_more_than_the_duration_limit_is_refused_before_decoding() {
    // Five hours at 16 kHz declared; three frames (12 seconds) present.
    let hostile = flac(16_000, 1, 5 * 3600 * 16_000, 3);
    let limits = DecodeLimits::default();
    assert_eq!(
        decode(&hostile, &limits),
        Err(AudioError::TooLong {
            max_ms: limits.max_duration_ms
        })
    );
}

#[test]
fn a_header_declaring_more_samples_than_the_memory_budget_is_refused_before_decoding() {
    // One hour of 48 kHz stereo is 1.4 GB of f32: over a 1 GiB budget.
    let limits = DecodeLimits::default().with_max_decoded_bytes(1 << 30);
    let hostile = flac(48_000, 2, 3600 * 48_000, 3);
    assert_eq!(
        decode(&hostile, &limits),
        Err(AudioError::TooMuchAudio { max_bytes: 1 << 30 })
    );
}

#[test]
fn a_wav_with_an_unknown_data_length_is_not_mistaken_for_a_long_one() {
    // Recorders that stream write 0xFFFFFFFF as the data length; only the
    // bytes present count.
    let streamed = wav(16_000, 2, 16_000, Some(u32::MAX));
    let limits = DecodeLimits::default().with_max_duration_ms(60_000);
    let pcm = decode(&streamed, &limits).unwrap();
    assert_eq!(pcm.frames(), 16_000);
}

#[test]
fn decode_shared_reads_the_callers_buffer_without_copying_it() {
    let bytes: Arc<[u8]> = wav(16_000, 1, 1_600, None).into();
    let pcm = decode_shared(bytes.clone(), &DecodeLimits::default()).unwrap();
    assert_eq!(pcm.frames(), 1_600);
    // The decoder held a reference to the caller's buffer, not a copy, and
    // gave it back.
    assert_eq!(Arc::strong_count(&bytes), 1);
}

/// Runs the ignored test `name` of this binary in a child process whose
/// address space is limited to `limit_mb` megabytes; returns whether it
/// passed and what it printed.
#[cfg(target_os = "linux")]
fn in_limited_child(name: &str, limit_mb: u64) -> (bool, String) {
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v {} && exec \"$0\" --exact {name} --ignored --nocapture --test-threads=1",
            limit_mb * 1024
        ))
        .arg(exe)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// A 300 KB FLAC at 655,350 Hz: 20,000 frames, 1.3 billion samples, 5.2 GB
/// as f32. (Run by `a_small_hostile_flac_never_expands_in_memory`.)
#[test]
#[ignore = "run in a memory-limited child process"]
fn child_decodes_a_300_kb_flac_at_655350_hz() {
    let hostile = flac(655_350, 1, 0, 20_000);
    assert!(hostile.len() < 300_000, "{}", hostile.len());
    let r = decode(&hostile, &DecodeLimits::default());
    assert!(
        matches!(r, Err(AudioError::SampleRateTooHigh { .. })),
        "{r:?}"
    );
}

/// The same expansion at an ordinary 48 kHz with no declared length:
/// caught by the memory budget while decoding, the buffers never growing
/// past it. (Run by `a_small_hostile_flac_never_expands_in_memory`.)
#[test]
#[ignore = "run in a memory-limited child process"]
fn child_decodes_a_300_kb_flac_at_48_khz_with_a_256_mib_budget() {
    let hostile = flac(48_000, 1, 0, 20_000);
    let limits = DecodeLimits::default().with_max_decoded_bytes(256 << 20);
    let r = decode(&hostile, &limits);
    assert_eq!(
        r,
        Err(AudioError::TooMuchAudio {
            max_bytes: 256 << 20
        })
    );
}

#[cfg(target_os = "linux")]
#[test]
fn a_small_hostile_flac_never_expands_in_memory() {
    // 1 GiB of address space: the budget (256 MiB) and the input fit, the
    // old decoder's gigabytes did not.
    for child in [
        "child_decodes_a_300_kb_flac_at_655350_hz",
        "child_decodes_a_300_kb_flac_at_48_khz_with_a_256_mib_budget",
    ] {
        let (ok, out) = in_limited_child(child, 1024);
        assert!(ok, "{child} failed in 1 GiB of address space:\n{out}");
        assert!(out.contains("1 passed"), "{child} did not run:\n{out}");
    }
}
