//! Decoding with symphonia into `f32` PCM, one buffer per channel.

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{
    CODEC_TYPE_NULL, CODEC_TYPE_OPUS, CodecParameters, CodecType, DecoderOptions,
};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

use super::{AudioError, DecodeLimits};

/// Decoded audio: one `f32` buffer per channel, samples in `-1.0..=1.0`.
#[derive(Clone, PartialEq)]
pub struct PcmAudio {
    /// Samples per second.
    pub sample_rate: u32,
    /// One buffer per channel, all the same length.
    pub channels: Vec<Vec<f32>>,
}

impl std::fmt::Debug for PcmAudio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PcmAudio")
            .field("sample_rate", &self.sample_rate)
            .field("channels", &self.channels.len())
            .field("frames", &self.frames())
            .finish()
    }
}

impl PcmAudio {
    /// Samples per channel.
    pub fn frames(&self) -> usize {
        self.channels.first().map_or(0, Vec::len)
    }

    /// Length in milliseconds.
    pub fn duration_ms(&self) -> u64 {
        if self.sample_rate == 0 {
            return 0;
        }
        self.frames() as u64 * 1000 / u64::from(self.sample_rate)
    }
}

/// What [`probe`] learns from a file's headers without decoding it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct AudioInfo {
    /// Codec short name (`pcm_s16le`, `mp3`, `flac`, `vorbis`, `aac`).
    pub codec: String,
    /// Samples per second, when the header says.
    pub sample_rate: Option<u32>,
    /// Channel count, when the header says.
    pub channels: Option<usize>,
    /// Length in ms, when the header says (MP3 without a Xing header and
    /// some streams do not).
    pub duration_ms: Option<u64>,
}

/// Reads the headers of `bytes`: codec, sample rate, channels, duration.
/// Applies the header checks of [`decode`] (sample rate, channels, declared
/// length against the duration and memory limits), so audio that cannot be
/// decoded is refused before it is stored. Copies `bytes` once; see
/// [`probe_shared`].
pub fn probe(bytes: &[u8], limits: &DecodeLimits) -> Result<AudioInfo, AudioError> {
    check_size(bytes.len(), limits)?;
    probe_shared(Arc::from(bytes), limits)
}

/// [`probe`] on a shared buffer, without copying it.
pub fn probe_shared(bytes: Arc<[u8]>, limits: &DecodeLimits) -> Result<AudioInfo, AudioError> {
    check_size(bytes.len(), limits)?;
    contained(|| {
        let input_len = bytes.len();
        let (_, track) = open(bytes)?;
        let p = &track.params;
        check_header(p, input_len, limits)?;
        let duration_ms = match (p.n_frames, p.sample_rate) {
            (Some(n), Some(sr)) if sr > 0 => Some(n.saturating_mul(1000) / u64::from(sr)),
            _ => None,
        };
        Ok(AudioInfo {
            codec: codec_name(p.codec),
            sample_rate: p.sample_rate,
            channels: p.channels.map(|c| c.count()),
            duration_ms,
        })
    })
}

/// Decodes `bytes` (WAV, MP3, FLAC, Ogg Vorbis, M4A/AAC) into PCM at the
/// file's own sample rate. Copies `bytes` once (the decoder needs an owned
/// buffer); [`decode_shared`] reads a shared one without copying.
///
/// Memory is bounded before decoding starts: the header's sample rate must
/// be at most [`DecodeLimits::max_sample_rate`], and the length it
/// declares must fit both [`DecodeLimits::max_duration_ms`] and
/// [`DecodeLimits::max_decoded_bytes`]; a stream that declares no length
/// (or lies) is stopped when the next packet would pass either, and the
/// sample buffers never grow past the budget.
///
/// Never panics: a panic inside the decoder is contained and reported as
/// [`AudioError::DecoderFailed`]. Damaged packets in an otherwise good
/// stream are skipped (as players do) unless more than a tenth of them
/// are bad, which is [`AudioError::Corrupt`].
pub fn decode(bytes: &[u8], limits: &DecodeLimits) -> Result<PcmAudio, AudioError> {
    check_size(bytes.len(), limits)?;
    decode_shared(Arc::from(bytes), limits)
}

/// [`decode`] on a shared buffer (such as
/// [`AudioInput::data`](closeq_core::ports::AudioInput)), without copying it.
pub fn decode_shared(bytes: Arc<[u8]>, limits: &DecodeLimits) -> Result<PcmAudio, AudioError> {
    check_size(bytes.len(), limits)?;
    contained(|| decode_inner(bytes, limits))
}

fn check_size(len: usize, limits: &DecodeLimits) -> Result<(), AudioError> {
    if len == 0 {
        return Err(AudioError::Empty);
    }
    let n = u64::try_from(len).unwrap_or(u64::MAX);
    if n > limits.max_bytes {
        return Err(AudioError::TooLarge {
            bytes: n,
            max: limits.max_bytes,
        });
    }
    Ok(())
}

fn contained<T>(f: impl FnOnce() -> Result<T, AudioError>) -> Result<T, AudioError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(Err(AudioError::DecoderFailed))
}

/// Bytes of one decoded sample (`f32`).
const SAMPLE_BYTES: u64 = 4;

/// How many frames (samples per channel) may be decoded at one sample rate
/// and channel count.
#[derive(Debug, Clone, Copy)]
struct FrameCap {
    /// Under the duration limit.
    duration: u64,
    /// Under the memory budget.
    memory: u64,
}

impl FrameCap {
    fn new(limits: &DecodeLimits, rate: u32, channels: usize) -> Self {
        let per_frame =
            SAMPLE_BYTES.saturating_mul(u64::try_from(channels.max(1)).unwrap_or(u64::MAX));
        Self {
            duration: limits.max_duration_ms.saturating_mul(u64::from(rate)) / 1000,
            memory: limits.max_decoded_bytes / per_frame,
        }
    }

    fn max(self) -> u64 {
        self.duration.min(self.memory)
    }

    /// Refuses `frames`, naming the limit it passes (duration first).
    fn check(self, frames: u64, limits: &DecodeLimits) -> Result<(), AudioError> {
        if frames > self.duration {
            Err(AudioError::TooLong {
                max_ms: limits.max_duration_ms,
            })
        } else if frames > self.memory {
            Err(AudioError::TooMuchAudio {
                max_bytes: limits.max_decoded_bytes,
            })
        } else {
            Ok(())
        }
    }
}

fn check_rate(rate: u32, limits: &DecodeLimits) -> Result<(), AudioError> {
    if rate == 0 {
        return Err(AudioError::Corrupt {
            reason: "the sample rate is 0".into(),
        });
    }
    if rate > limits.max_sample_rate {
        return Err(AudioError::SampleRateTooHigh {
            rate,
            max: limits.max_sample_rate,
        });
    }
    Ok(())
}

/// The checks that need only the header: channels, sample rate, and the
/// declared length against the duration and memory limits.
fn check_header(
    p: &CodecParameters,
    input_len: usize,
    limits: &DecodeLimits,
) -> Result<(), AudioError> {
    let channels = p.channels.map(|c| c.count());
    if let Some(c) = channels
        && c > 2
    {
        return Err(AudioError::TooManyChannels { channels: c });
    }
    let Some(rate) = p.sample_rate else {
        return Ok(());
    };
    check_rate(rate, limits)?;
    if let Some(frames) = declared_frames(p, input_len) {
        FrameCap::new(limits, rate, channels.unwrap_or(1)).check(frames, limits)?;
    }
    Ok(())
}

/// The length the header declares, in frames. Uncompressed PCM cannot hold
/// more frames than its bytes: recorders that stream write the largest
/// data length (or none), so only the bytes present count.
fn declared_frames(p: &CodecParameters, input_len: usize) -> Option<u64> {
    let n = p.n_frames?;
    if !codec_name(p.codec).starts_with("pcm") {
        return Some(n);
    }
    let channels = p.channels.map_or(1, |c| c.count().max(1));
    let sample_bytes = p
        .bits_per_coded_sample
        .or(p.bits_per_sample)
        .unwrap_or(8)
        .div_ceil(8)
        .max(1);
    let frame_bytes =
        u64::from(sample_bytes).saturating_mul(u64::try_from(channels).unwrap_or(u64::MAX));
    let present = u64::try_from(input_len).unwrap_or(u64::MAX) / frame_bytes;
    Some(n.min(present))
}

/// Grows `buf` to hold `extra` more samples without passing `cap` in
/// capacity (doubling below it, so appends stay amortised).
fn reserve_within(buf: &mut Vec<f32>, extra: usize, cap: usize) {
    let need = buf.len().saturating_add(extra);
    if need <= buf.capacity() {
        return;
    }
    let target = buf
        .capacity()
        .saturating_mul(2)
        .max(need)
        .min(cap.max(need));
    buf.reserve_exact(target - buf.len());
}

struct Track {
    id: u32,
    params: CodecParameters,
}

fn open(
    bytes: Arc<[u8]>,
) -> Result<(Box<dyn symphonia::core::formats::FormatReader>, Track), AudioError> {
    let source = MediaSourceStream::new(
        Box::new(Cursor::new(bytes)),
        MediaSourceStreamOptions::default(),
    );
    let probed = symphonia::default::get_probe()
        .format(
            &Hint::new(),
            source,
            &FormatOptions {
                enable_gapless: true,
                ..FormatOptions::default()
            },
            &MetadataOptions::default(),
        )
        .map_err(|e| match e {
            SymphoniaError::Unsupported(_) => AudioError::UnrecognisedFormat,
            SymphoniaError::IoError(_) => AudioError::UnrecognisedFormat,
            other => corrupt(&other),
        })?;
    let reader = probed.format;
    let track = reader
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
        .map(|t| Track {
            id: t.id,
            params: t.codec_params.clone(),
        })
        .ok_or(AudioError::UnrecognisedFormat)?;
    Ok((reader, track))
}

fn decode_inner(bytes: Arc<[u8]>, limits: &DecodeLimits) -> Result<PcmAudio, AudioError> {
    let input_len = bytes.len();
    let (mut reader, track) = open(bytes)?;
    if track.params.codec == CODEC_TYPE_OPUS {
        return Err(AudioError::UnsupportedCodec {
            codec: "opus".into(),
        });
    }
    // Everything the header tells is checked before the first packet.
    check_header(&track.params, input_len, limits)?;
    let mut decoder = symphonia::default::get_codecs()
        .make(&track.params, &DecoderOptions::default())
        .map_err(|e| match e {
            SymphoniaError::Unsupported(_) => AudioError::UnsupportedCodec {
                codec: codec_name(track.params.codec),
            },
            other => corrupt(&other),
        })?;

    let mut sample_rate = track.params.sample_rate.unwrap_or(0);
    let mut channels: Vec<Vec<f32>> = Vec::new();
    let mut cap = FrameCap {
        duration: 0,
        memory: 0,
    };
    let mut interleaved: Option<SampleBuffer<f32>> = None;
    let (mut packets, mut bad) = (0u64, 0u64);
    loop {
        let packet = match reader.next_packet() {
            Ok(p) => p,
            Err(SymphoniaError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                break;
            }
            Err(SymphoniaError::ResetRequired) => break,
            Err(e) => {
                // A truncated or damaged tail after good audio: keep what decoded.
                if channels.first().is_some_and(|c| !c.is_empty()) {
                    break;
                }
                return Err(corrupt(&e));
            }
        };
        if packet.track_id() != track.id {
            continue;
        }
        packets += 1;
        let buf = match decoder.decode(&packet) {
            Ok(b) => b,
            Err(SymphoniaError::DecodeError(_)) | Err(SymphoniaError::IoError(_)) => {
                bad += 1;
                continue;
            }
            Err(e) => return Err(corrupt(&e)),
        };
        let spec = *buf.spec();
        let n_ch = spec.channels.count();
        if n_ch == 0 {
            return Err(AudioError::Corrupt {
                reason: "a packet has no channels".into(),
            });
        }
        if n_ch > 2 {
            return Err(AudioError::TooManyChannels { channels: n_ch });
        }
        if channels.is_empty() {
            // Streams without a header rate (MP3, ADTS) are checked here,
            // before their first samples are kept.
            check_rate(spec.rate, limits)?;
            channels = vec![Vec::new(); n_ch];
            sample_rate = spec.rate;
            cap = FrameCap::new(limits, sample_rate, n_ch);
        } else if channels.len() != n_ch || spec.rate != sample_rate {
            return Err(AudioError::Corrupt {
                reason: "the channel count or sample rate changes mid-stream".into(),
            });
        }
        let frames = buf.frames();
        let have = channels[0].len();
        // Refused before the samples are copied, so no buffer passes the cap.
        cap.check(
            u64::try_from(have.saturating_add(frames)).unwrap_or(u64::MAX),
            limits,
        )?;
        let max_frames = usize::try_from(cap.max()).unwrap_or(usize::MAX);
        let sb = match &mut interleaved {
            Some(sb) if sb.capacity() >= buf.capacity() * n_ch => sb,
            slot => slot.insert(SampleBuffer::<f32>::new(buf.capacity() as u64, spec)),
        };
        sb.copy_interleaved_ref(buf);
        let samples = sb.samples();
        for c in &mut channels {
            reserve_within(c, frames, max_frames);
        }
        for (i, s) in samples.iter().take(frames * n_ch).enumerate() {
            channels[i % n_ch].push(if s.is_finite() {
                s.clamp(-1.0, 1.0)
            } else {
                0.0
            });
        }
    }
    if packets > 0 && bad * 10 > packets {
        return Err(AudioError::Corrupt {
            reason: format!("{bad} of {packets} packets could not be decoded"),
        });
    }
    if channels.first().is_none_or(Vec::is_empty) {
        return Err(AudioError::NoSamples);
    }
    Ok(PcmAudio {
        sample_rate,
        channels,
    })
}

fn corrupt(e: &SymphoniaError) -> AudioError {
    let reason = match e {
        SymphoniaError::IoError(_) => "the stream ends early or cannot be read",
        SymphoniaError::DecodeError(_) => "a packet cannot be decoded",
        SymphoniaError::SeekError(_) => "the stream cannot be positioned",
        SymphoniaError::Unsupported(_) => "it uses an unsupported feature",
        SymphoniaError::LimitError(_) => "it exceeds a decoder limit",
        SymphoniaError::ResetRequired => "the stream changes parameters mid-way",
    };
    AudioError::Corrupt {
        reason: reason.into(),
    }
}

fn codec_name(codec: CodecType) -> String {
    symphonia::default::get_codecs()
        .get_codec(codec)
        .map_or_else(|| format!("{codec}"), |d| d.short_name.to_owned())
}
