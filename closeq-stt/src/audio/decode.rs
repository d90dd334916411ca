//! Decoding with symphonia into `f32` PCM, one buffer per channel.

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{CODEC_TYPE_NULL, CODEC_TYPE_OPUS, CodecType, DecoderOptions};
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
pub fn probe(bytes: &[u8], limits: &DecodeLimits) -> Result<AudioInfo, AudioError> {
    check_size(bytes, limits)?;
    contained(|| {
        let (_, track) = open(bytes)?;
        let p = &track.params;
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
/// file's own sample rate.
///
/// Never panics: a panic inside the decoder is contained and reported as
/// [`AudioError::DecoderFailed`]. Damaged packets in an otherwise good
/// stream are skipped (as players do) unless more than a tenth of them
/// are bad, which is [`AudioError::Corrupt`].
pub fn decode(bytes: &[u8], limits: &DecodeLimits) -> Result<PcmAudio, AudioError> {
    check_size(bytes, limits)?;
    contained(|| decode_inner(bytes, limits))
}

fn check_size(bytes: &[u8], limits: &DecodeLimits) -> Result<(), AudioError> {
    if bytes.is_empty() {
        return Err(AudioError::Empty);
    }
    let n = bytes.len() as u64;
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

struct Track {
    id: u32,
    params: symphonia::core::codecs::CodecParameters,
}

fn open(
    bytes: &[u8],
) -> Result<(Box<dyn symphonia::core::formats::FormatReader>, Track), AudioError> {
    let source = MediaSourceStream::new(
        Box::new(Cursor::new(bytes.to_vec())),
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

fn decode_inner(bytes: &[u8], limits: &DecodeLimits) -> Result<PcmAudio, AudioError> {
    let (mut reader, track) = open(bytes)?;
    if track.params.codec == CODEC_TYPE_OPUS {
        return Err(AudioError::UnsupportedCodec {
            codec: "opus".into(),
        });
    }
    if let Some(c) = track.params.channels
        && c.count() > 2
    {
        return Err(AudioError::TooManyChannels {
            channels: c.count(),
        });
    }
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
            channels = vec![Vec::new(); n_ch];
            sample_rate = spec.rate;
        } else if channels.len() != n_ch || spec.rate != sample_rate {
            return Err(AudioError::Corrupt {
                reason: "the channel count or sample rate changes mid-stream".into(),
            });
        }
        if sample_rate == 0 {
            return Err(AudioError::Corrupt {
                reason: "the sample rate is 0".into(),
            });
        }
        let frames = buf.frames();
        let sb = match &mut interleaved {
            Some(sb) if sb.capacity() >= buf.capacity() * n_ch => sb,
            slot => slot.insert(SampleBuffer::<f32>::new(buf.capacity() as u64, spec)),
        };
        sb.copy_interleaved_ref(buf);
        let samples = sb.samples();
        for (i, s) in samples.iter().take(frames * n_ch).enumerate() {
            channels[i % n_ch].push(if s.is_finite() {
                s.clamp(-1.0, 1.0)
            } else {
                0.0
            });
        }
        let max_frames = limits
            .max_duration_ms
            .saturating_mul(u64::from(sample_rate))
            / 1000;
        if channels[0].len() as u64 > max_frames {
            return Err(AudioError::TooLong {
                max_ms: limits.max_duration_ms,
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
