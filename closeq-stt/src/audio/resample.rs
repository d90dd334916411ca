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
        let res = rs.process(&block, None).map_err(resampling_failed)?;
        append(res, &mut out);
        pos += n;
    }
    // The tail, then zeros until the resampler's delay has been flushed.
    if pos < in_frames {
        let tail: Vec<&[f32]> = audio.channels.iter().map(|c| &c[pos..]).collect();
        let res = rs
            .process_partial(Some(&tail), None)
            .map_err(resampling_failed)?;
        append(res, &mut out);
    }
    while out[0].len() < want + delay {
        let res = rs
            .process_partial::<&[f32]>(None, None)
            .map_err(resampling_failed)?;
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

fn resampling_failed(e: rubato::ResampleError) -> AudioError {
    AudioError::Corrupt {
        reason: format!("resampling failed: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_length_is_exact_including_whole_chunks() {
        for frames in [1usize, 1023, 1024, 2048, 44_100, 44_101] {
            let pcm = PcmAudio {
                sample_rate: 44_100,
                channels: vec![vec![0.1; frames]; 2],
            };
            let out = resample(pcm, 16_000).unwrap_or_else(|e| panic!("{frames}: {e}"));
            let want = (frames as u64 * 16_000).div_ceil(44_100) as usize;
            assert_eq!(out.frames(), want, "{frames}");
            assert_eq!(out.channels[1].len(), want);
        }
    }

    #[test]
    fn a_tone_keeps_its_timing() {
        // A click at 0.5 s stays at 0.5 s (the resampler's delay is removed).
        let mut x = vec![0.0f32; 48_000];
        x[24_000] = 1.0;
        let out = resample(
            PcmAudio {
                sample_rate: 48_000,
                channels: vec![x],
            },
            16_000,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let peak = out.channels[0]
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
            .map(|(i, _)| i)
            .unwrap_or(0);
        assert!(peak.abs_diff(8_000) <= 2, "peak at {peak}");
    }
}
