//! Finding where someone speaks: an energy detector with an adaptive
//! noise floor.
//!
//! On a dual-channel call each side's channel is mostly silence (or faint
//! crosstalk) while the other side talks. Whisper slows down and misplaces
//! timestamps on long silences, so only the speech regions are decoded.

/// A span of speech, in samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpeechRegion {
    /// First sample.
    pub start: usize,
    /// One past the last sample.
    pub end: usize,
}

/// Tuning of [`speech_regions`]. The defaults suit telephone and
/// conferencing audio at 16 kHz.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct VadOptions {
    /// Analysis frame, ms.
    pub frame_ms: u32,
    /// A frame is speech when its level is this many dB above the
    /// channel's noise floor (its 10th-percentile frame level).
    pub threshold_above_floor_db: f32,
    /// ... and above this absolute level, dBFS.
    pub min_level_dbfs: f32,
    /// ... and within this many dB of the channel's loud speech (its
    /// 95th-percentile frame level), so crosstalk stays out.
    pub max_below_peak_db: f32,
    /// Speech separated by less than this is one region, ms.
    pub min_gap_ms: u32,
    /// Regions shorter than this are dropped (clicks), ms.
    pub min_speech_ms: u32,
    /// Padding added on both sides of a region, ms.
    pub pad_ms: u32,
}

impl Default for VadOptions {
    fn default() -> Self {
        Self {
            frame_ms: 20,
            threshold_above_floor_db: 12.0,
            min_level_dbfs: -50.0,
            max_below_peak_db: 30.0,
            min_gap_ms: 600,
            min_speech_ms: 120,
            pad_ms: 200,
        }
    }
}

/// The speech regions of one channel, ordered and disjoint.
pub fn speech_regions(samples: &[f32], sample_rate: u32, opts: &VadOptions) -> Vec<SpeechRegion> {
    let frame = (sample_rate as usize * opts.frame_ms as usize / 1000).max(1);
    let levels: Vec<f32> = samples
        .chunks(frame)
        .map(|c| {
            let energy = c.iter().map(|s| s * s).sum::<f32>() / c.len() as f32;
            10.0 * energy.max(1e-12).log10()
        })
        .collect();
    if levels.is_empty() {
        return Vec::new();
    }
    let mut sorted = levels.clone();
    sorted.sort_by(f32::total_cmp);
    let pct = |p: f32| sorted[((sorted.len() - 1) as f32 * p) as usize];
    let floor = pct(0.10);
    let peak = pct(0.95);
    let threshold = (floor + opts.threshold_above_floor_db)
        .max(opts.min_level_dbfs)
        .max(peak - opts.max_below_peak_db);
    let ms_to_frames = |ms: u32| (ms as usize).div_ceil(opts.frame_ms.max(1) as usize);
    let min_gap = ms_to_frames(opts.min_gap_ms);
    let min_speech = ms_to_frames(opts.min_speech_ms);

    // Frame runs above the threshold, joined across short gaps.
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < levels.len() {
        if levels[i] < threshold {
            i += 1;
            continue;
        }
        let start = i;
        while i < levels.len() && levels[i] >= threshold {
            i += 1;
        }
        match runs.last_mut() {
            Some(last) if start - last.1 < min_gap => last.1 = i,
            _ => runs.push((start, i)),
        }
    }
    let pad = sample_rate as usize * opts.pad_ms as usize / 1000;
    let mut out: Vec<SpeechRegion> = Vec::new();
    for (s, e) in runs.into_iter().filter(|(s, e)| e - s >= min_speech) {
        let start = (s * frame).saturating_sub(pad);
        let end = (e * frame + pad).min(samples.len());
        match out.last_mut() {
            Some(last) if start <= last.end => last.end = end,
            _ => out.push(SpeechRegion { start, end }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(n: usize, amp: f32) -> Vec<f32> {
        (0..n)
            .map(|i| amp * (i as f32 * 0.07).sin() * (1.0 + (i as f32 * 0.003).sin()) / 2.0)
            .collect()
    }

    #[test]
    fn finds_speech_between_silences() {
        let sr = 16_000;
        let mut s = vec![0.0; sr];
        s.extend(tone(sr, 0.3));
        s.extend(vec![0.0; 2 * sr]);
        s.extend(tone(sr / 2, 0.3));
        s.extend(vec![0.0; sr]);
        let r = speech_regions(&s, sr as u32, &VadOptions::default());
        assert_eq!(r.len(), 2, "{r:?}");
        let pad = sr / 5;
        assert!(r[0].start.abs_diff(sr - pad) <= 320, "{r:?}");
        assert!(r[0].end.abs_diff(2 * sr + pad) <= 320, "{r:?}");
        assert!(r[1].start.abs_diff(4 * sr - pad) <= 320, "{r:?}");
    }

    #[test]
    fn silence_and_faint_crosstalk_are_not_speech() {
        let sr = 16_000;
        assert!(speech_regions(&vec![0.0; 3 * sr], sr as u32, &VadOptions::default()).is_empty());
        // Loud speech plus crosstalk 40 dB down: only the speech counts.
        let mut s = tone(sr, 0.5);
        s.extend(tone(2 * sr, 0.005));
        s.extend(tone(sr, 0.5));
        let r = speech_regions(&s, sr as u32, &VadOptions::default());
        assert_eq!(r.len(), 2, "{r:?}");
        assert!(speech_regions(&[], sr as u32, &VadOptions::default()).is_empty());
    }

    #[test]
    fn short_gaps_join_and_clicks_drop() {
        let sr = 16_000;
        let mut s = tone(sr, 0.3);
        s.extend(vec![0.0; sr / 4]);
        s.extend(tone(sr, 0.3));
        s.extend(vec![0.0; 2 * sr]);
        s.extend(tone(sr / 50, 0.3)); // a 20 ms click
        s.extend(vec![0.0; 2 * sr]);
        let r = speech_regions(&s, sr as u32, &VadOptions::default());
        assert_eq!(r.len(), 1, "{r:?}");
    }
}
