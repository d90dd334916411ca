//! From per-frame speech probabilities to speech regions: the rules of
//! silero-vad's `get_speech_timestamps` as faster-whisper 1.2.1 applies
//! them (hysteresis between `threshold` and `neg_threshold`, silences
//! shorter than `min_silence_ms` bridged, regions padded by
//! `speech_pad_ms`, and overlong regions split at a pause).

use super::net::FRAME;
use crate::audio::SpeechRegion;

/// Tuning of the learned speech detector. The defaults are
/// faster-whisper's `VadOptions` defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct SileroOptions {
    /// A frame with at least this probability is speech.
    pub threshold: f32,
    /// Speech ends only where the probability falls below this
    /// (default `threshold - 0.15`, at least 0.01).
    pub neg_threshold: Option<f32>,
    /// Regions shorter than this are dropped, ms.
    pub min_speech_ms: u32,
    /// Regions longer than this are split, seconds (`None`: never).
    pub max_speech_s: Option<f32>,
    /// Silence shorter than this does not end a region, ms.
    pub min_silence_ms: u32,
    /// Padding added on both sides of each region, ms.
    pub speech_pad_ms: u32,
}

impl Default for SileroOptions {
    fn default() -> Self {
        Self {
            threshold: 0.5,
            neg_threshold: None,
            min_speech_ms: 0,
            max_speech_s: None,
            min_silence_ms: 2000,
            speech_pad_ms: 400,
        }
    }
}

/// The speech regions of a signal of `len` samples at `rate` Hz whose
/// 512-sample frames have probabilities `probs`.
pub(crate) fn speech_regions(
    probs: &[f32],
    len: usize,
    rate: u32,
    o: &SileroOptions,
) -> Vec<SpeechRegion> {
    let rate = rate as f64;
    let min_speech = rate * f64::from(o.min_speech_ms) / 1000.0;
    let pad = (rate * f64::from(o.speech_pad_ms) / 1000.0) as usize;
    let max_speech = o.max_speech_s.map_or(f64::INFINITY, |s| {
        rate * f64::from(s) - FRAME as f64 - 2.0 * pad as f64
    });
    let min_silence = (rate * f64::from(o.min_silence_ms) / 1000.0) as usize;
    let min_silence_at_max = (rate * 98.0 / 1000.0) as usize;
    let threshold = o.threshold;
    let neg = o.neg_threshold.unwrap_or((threshold - 0.15).max(0.01));

    let mut speeches: Vec<(usize, usize)> = Vec::new();
    let mut triggered = false;
    let mut start = 0usize;
    let (mut temp_end, mut prev_end, mut next_start) = (0usize, 0usize, 0usize);
    for (i, &p) in probs.iter().enumerate() {
        let at = FRAME * i;
        if p >= threshold && temp_end != 0 {
            temp_end = 0;
            if next_start < prev_end {
                next_start = at;
            }
        }
        if p >= threshold && !triggered {
            triggered = true;
            start = at;
            continue;
        }
        if triggered && (at - start) as f64 > max_speech {
            if prev_end != 0 {
                speeches.push((start, prev_end));
                if next_start < prev_end {
                    triggered = false;
                } else {
                    start = next_start;
                }
                (prev_end, next_start, temp_end) = (0, 0, 0);
            } else {
                speeches.push((start, at));
                (prev_end, next_start, temp_end) = (0, 0, 0);
                triggered = false;
                continue;
            }
        }
        if p < neg && triggered {
            if temp_end == 0 {
                temp_end = at;
            }
            if at - temp_end > min_silence_at_max {
                prev_end = temp_end;
            }
            if at - temp_end < min_silence {
                continue;
            }
            if (temp_end - start) as f64 > min_speech {
                speeches.push((start, temp_end));
            }
            (prev_end, next_start, temp_end) = (0, 0, 0);
            triggered = false;
        }
    }
    if triggered && (len.saturating_sub(start)) as f64 > min_speech {
        speeches.push((start, len));
    }
    // Padding: half of a short gap to each side, else `pad`.
    let n = speeches.len();
    for i in 0..n {
        if i == 0 {
            speeches[0].0 = speeches[0].0.saturating_sub(pad);
        }
        if i + 1 < n {
            let gap = speeches[i + 1].0.saturating_sub(speeches[i].1);
            if gap < 2 * pad {
                speeches[i].1 += gap / 2;
                speeches[i + 1].0 = speeches[i + 1].0.saturating_sub(gap / 2);
            } else {
                speeches[i].1 = (speeches[i].1 + pad).min(len);
                speeches[i + 1].0 = speeches[i + 1].0.saturating_sub(pad);
            }
        } else {
            speeches[i].1 = (speeches[i].1 + pad).min(len);
        }
    }
    speeches
        .into_iter()
        .filter(|(s, e)| e > s)
        .map(|(start, end)| SpeechRegion {
            start,
            end: end.min(len),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probs(pattern: &[(f32, usize)]) -> Vec<f32> {
        pattern
            .iter()
            .flat_map(|&(p, n)| std::iter::repeat_n(p, n))
            .collect()
    }

    #[test]
    fn one_region_with_padding() {
        // 1 s silence, 1 s speech, 3 s silence at 16 kHz (31.25 frames/s).
        let p = probs(&[(0.0, 31), (0.9, 32), (0.0, 94)]);
        let len = p.len() * FRAME;
        let r = speech_regions(&p, len, 16_000, &SileroOptions::default());
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].start, 31 * FRAME - 6400);
        assert_eq!(r[0].end, 63 * FRAME + 6400);
    }

    #[test]
    fn short_silences_are_bridged_and_hysteresis_holds() {
        // A 1 s dip below neg_threshold does not split (min_silence 2 s);
        // 0.4 sits between the thresholds and never ends speech.
        let p = probs(&[
            (0.9, 40),
            (0.0, 31),
            (0.9, 40),
            (0.4, 100),
            (0.9, 10),
            (0.0, 100),
        ]);
        let r = speech_regions(&p, p.len() * FRAME, 16_000, &SileroOptions::default());
        assert_eq!(r.len(), 1);
    }

    #[test]
    fn long_silence_splits_and_short_gaps_share_padding() {
        let o = SileroOptions {
            min_silence_ms: 100,
            ..SileroOptions::default()
        };
        let p = probs(&[(0.9, 20), (0.0, 10), (0.9, 20), (0.0, 100)]);
        let r = speech_regions(&p, p.len() * FRAME, 16_000, &o);
        assert_eq!(r.len(), 2);
        // The 10-frame gap is under 2 x 400 ms: each side takes half.
        assert_eq!(r[0].end, r[1].start);
    }

    #[test]
    fn empty_and_all_speech() {
        assert!(speech_regions(&[], 0, 16_000, &SileroOptions::default()).is_empty());
        let p = vec![0.99; 50];
        let r = speech_regions(&p, 50 * FRAME - 100, 16_000, &SileroOptions::default());
        assert_eq!(
            r,
            vec![SpeechRegion {
                start: 0,
                end: 50 * FRAME - 100
            }]
        );
    }

    #[test]
    fn max_speech_splits_overlong_regions() {
        let o = SileroOptions {
            max_speech_s: Some(3.0),
            ..SileroOptions::default()
        };
        let p = probs(&[(0.9, 60), (0.0, 5), (0.9, 60), (0.0, 100)]);
        let r = speech_regions(&p, p.len() * FRAME, 16_000, &o);
        assert!(r.len() >= 2, "{r:?}");
    }
}
