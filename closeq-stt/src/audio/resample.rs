//! Resampling to Whisper's 16 kHz with rubato.

use rubato::{FftFixedIn, Resampler};

use super::{AudioError, PcmAudio};

/// The sample rate every speech engine here works at.
pub const WHISPER_SAMPLE_RATE: u32 = 16_000;

/// Resamples every channel of `audio` to `rate` Hz (a band-limited FFT
/// resampler). Audio already at `rate` is returned as is. The output has
/// exactly `ceil(frames × rate / input_rate)` frames and no leading delay.
pub fn resample(audio: PcmAudio, rate: u32) -> Result<PcmAudio, AudioError> {
    if audio.sample_rate == rate || audio.frames() == 0 {
        return Ok(PcmAudio {
            sample_rate: if audio.frames() == 0 {
                rate
            } else {
                audio.sample_rate
            },
            ..audio
        });
    }
    let n_ch = audio.channels.len();
    let in_frames = audio.frames();
    let want = (in_frames as u64 * u64::from(rate)).div_ceil(u64::from(audio.sample_rate)) as usize;
    let failed = |_| AudioError::Corrupt {
        reason: "the sample rate cannot be converted".into(),
    };
    let chunk = 1024;
    let mut rs = FftFixedIn::<f32>::new(audio.sample_rate as usize, rate as usize, chunk, 2, n_ch)
        .map_err(failed)?;
    let delay = rs.output_delay();
    let mut out: Vec<Vec<f32>> = vec![Vec::with_capacity(want + delay + chunk); n_ch];
    let mut pos = 0;
    let append = |block: Vec<Vec<f32>>, out: &mut Vec<Vec<f32>>| {
        for (o, b) in out.iter_mut().zip(block) {
            o.extend_from_slice(&b);
        }
    };
    while pos + rs.input_frames_next() <= in_frames {
        let n = rs.input_frames_next();
        let block: Vec<&[f32]> = audio.channels.iter().map(|c| &c[pos..pos + n]).collect();
        let res = rs.process(&block, None).map_err(|_| AudioError::Corrupt {
            reason: "resampling failed".into(),
        })?;
        append(res, &mut out);
        pos += n;
    }
    // The tail, then zeros until the resampler's delay has been flushed.
    let tail: Vec<&[f32]> = audio.channels.iter().map(|c| &c[pos..]).collect();
    let res = rs
        .process_partial(Some(&tail), None)
        .map_err(|_| AudioError::Corrupt {
            reason: "resampling failed".into(),
        })?;
    append(res, &mut out);
    while out[0].len() < want + delay {
        let res = rs
            .process_partial::<&[f32]>(None, None)
            .map_err(|_| AudioError::Corrupt {
                reason: "resampling failed".into(),
            })?;
        if res.first().is_none_or(Vec::is_empty) {
            break;
        }
        append(res, &mut out);
    }
    for o in &mut out {
        o.drain(..delay.min(o.len()));
        o.resize(want, 0.0);
    }
    Ok(PcmAudio {
        sample_rate: rate,
        channels: out,
    })
}
