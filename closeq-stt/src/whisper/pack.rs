//! Packing a channel's speech regions into one continuous signal, and
//! mapping times in it back to the original recording.
//!
//! Decoding only the speech keeps Whisper off long silences (where it is
//! slow and misplaces timestamps); a short pause between regions keeps
//! them apart as the model hears them.

use crate::audio::SpeechRegion;

/// Speech of one channel, packed, with the map back to the original.
#[derive(Clone)]
pub struct PackedSpeech {
    /// The packed samples.
    pub samples: Vec<f32>,
    /// `(packed_start, original_start, len)` per region, in samples.
    pieces: Vec<(usize, usize, usize)>,
}

impl std::fmt::Debug for PackedSpeech {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PackedSpeech")
            .field("samples", &self.samples.len())
            .field("regions", &self.pieces.len())
            .finish()
    }
}

impl PackedSpeech {
    /// Packs `regions` of `samples` with `gap` samples of silence between
    /// them.
    pub fn new(samples: &[f32], regions: &[SpeechRegion], gap: usize) -> Self {
        let total: usize = regions.iter().map(|r| r.end - r.start + gap).sum();
        let mut out = Vec::with_capacity(total);
        let mut pieces = Vec::with_capacity(regions.len());
        for r in regions {
            let (start, end) = (r.start.min(samples.len()), r.end.min(samples.len()));
            if end <= start {
                continue;
            }
            if !out.is_empty() {
                out.resize(out.len() + gap, 0.0);
            }
            pieces.push((out.len(), start, end - start));
            out.extend_from_slice(&samples[start..end]);
        }
        Self {
            samples: out,
            pieces,
        }
    }

    /// The original sample position of packed position `p`. Positions in
    /// a pause map to the nearer edge of the regions around it.
    pub fn to_original(&self, p: usize) -> usize {
        let i = self.pieces.partition_point(|(ps, _, _)| *ps <= p);
        if i == 0 {
            return self.pieces.first().map_or(p, |(_, os, _)| *os);
        }
        let (ps, os, len) = self.pieces[i - 1];
        if p < ps + len {
            return os + (p - ps);
        }
        // In the pause after piece i-1.
        match self.pieces.get(i) {
            Some(&(next_ps, next_os, _)) if next_ps - p < p - (ps + len) => next_os,
            _ => os + len,
        }
    }

    /// The original position of packed position `p` measured from region
    /// `region`: a pure offset, so a position just outside the region maps
    /// just outside it in the original too (how faster-whisper restores
    /// word times: both ends of a word through the region its middle is
    /// in). Clamped at 0.
    pub fn to_original_in(&self, region: usize, p: usize) -> usize {
        match self.pieces.get(region) {
            Some(&(ps, os, _)) => (os + p).saturating_sub(ps),
            None => self.to_original(p),
        }
    }

    /// Which region packed position `p` falls in (pauses belong to the
    /// region before them).
    pub fn region_of(&self, p: usize) -> usize {
        self.pieces
            .partition_point(|(ps, _, _)| *ps <= p)
            .saturating_sub(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_packed_times_back() {
        let samples: Vec<f32> = (0..1000).map(|i| i as f32).collect();
        let regions = [
            SpeechRegion {
                start: 100,
                end: 200,
            },
            SpeechRegion {
                start: 600,
                end: 700,
            },
        ];
        let p = PackedSpeech::new(&samples, &regions, 10);
        assert_eq!(p.samples.len(), 210);
        assert_eq!(p.samples[0], 100.0);
        assert_eq!(p.samples[110], 600.0);
        assert_eq!(p.to_original(0), 100);
        assert_eq!(p.to_original(99), 199);
        assert_eq!(
            p.to_original(102),
            200,
            "early in the pause: end of the first region"
        );
        assert_eq!(
            p.to_original(108),
            600,
            "late in the pause: start of the next"
        );
        assert_eq!(p.to_original(150), 640);
        assert_eq!(p.to_original(5000), 700, "past the end clamps");
        assert_eq!(p.region_of(105), 0);
        assert_eq!(p.region_of(115), 1);
    }

    #[test]
    fn empty_and_out_of_range_regions() {
        let p = PackedSpeech::new(&[0.0; 10], &[SpeechRegion { start: 20, end: 30 }], 5);
        assert!(p.samples.is_empty());
        assert_eq!(p.to_original(3), 3);
    }
}
