//! Whisper's log-mel spectrogram, computed exactly as Whisper (and
//! faster-whisper) compute it.
//!
//! For samples `x` at 16 kHz: append 160 zeros; reflect-pad 200 samples on
//! both sides; a periodic Hann window of 400 samples, hop 160, 400-point
//! FFT; power spectrum; drop the last frame; Slaney-normalised mel filters
//! (librosa's `mel(sr=16000, n_fft=400, htk=False, norm="slaney")`);
//! `log10(max(x, 1e-10))`; clamp below the global maximum − 8; then
//! `(x + 4) / 4`. One frame per 10 ms.

use std::sync::Arc;

use rustfft::num_complex::Complex32;
use rustfft::{Fft, FftPlanner};

/// Samples per FFT window.
pub const N_FFT: usize = 400;
/// Samples between frames (10 ms).
pub const HOP: usize = 160;
/// Frames in one 30-second Whisper window.
pub const WINDOW_FRAMES: usize = 3000;

/// A log-mel spectrogram: `n_mels` rows of `frames` values, row-major
/// (the layout Whisper's encoder takes).
#[derive(Clone, PartialEq)]
pub struct LogMel {
    /// Mel bins (80 for most Whisper models, 128 for large-v3).
    pub n_mels: usize,
    /// Frames (10 ms each).
    pub frames: usize,
    /// `n_mels × frames` values, mel-major.
    pub data: Vec<f32>,
}

impl std::fmt::Debug for LogMel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogMel")
            .field("n_mels", &self.n_mels)
            .field("frames", &self.frames)
            .finish()
    }
}

impl LogMel {
    /// `WINDOW_FRAMES` frames starting at `start`, zero-padded past the
    /// end (as faster-whisper pads), mel-major.
    pub fn window(&self, start: usize) -> Vec<f32> {
        let mut out = vec![0.0; self.n_mels * WINDOW_FRAMES];
        if start >= self.frames {
            return out;
        }
        let n = (self.frames - start).min(WINDOW_FRAMES);
        for m in 0..self.n_mels {
            let src = &self.data[m * self.frames + start..m * self.frames + start + n];
            out[m * WINDOW_FRAMES..m * WINDOW_FRAMES + n].copy_from_slice(src);
        }
        out
    }
}

/// One mel filter: its first FFT bin and its non-zero weights.
#[derive(Debug, Clone)]
struct Filter {
    first_bin: usize,
    weights: Vec<f32>,
}

/// Computes log-mel spectrograms; build once, reuse (FFT plan and filters).
#[derive(Clone)]
pub struct MelExtractor {
    n_mels: usize,
    fft: Arc<dyn Fft<f32>>,
    window: Vec<f32>,
    filters: Vec<Filter>,
}

impl std::fmt::Debug for MelExtractor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MelExtractor")
            .field("n_mels", &self.n_mels)
            .finish()
    }
}

impl MelExtractor {
    /// An extractor for `n_mels` bins at 16 kHz.
    pub fn new(n_mels: usize) -> Self {
        let fft = FftPlanner::<f32>::new().plan_fft_forward(N_FFT);
        // Periodic Hann: 0.5 − 0.5·cos(2πn/N).
        let window = (0..N_FFT)
            .map(|n| {
                (0.5 - 0.5 * (2.0 * std::f64::consts::PI * n as f64 / N_FFT as f64).cos()) as f32
            })
            .collect();
        Self {
            n_mels,
            fft,
            window,
            filters: slaney_filters(n_mels.max(1), 16_000.0, N_FFT),
        }
    }

    /// The log-mel spectrogram of `samples` (16 kHz mono).
    pub fn compute(&self, samples: &[f32]) -> LogMel {
        let pad = N_FFT / 2;
        // Samples + 160 zeros, reflect-padded by 200 on both sides.
        let core_len = samples.len() + HOP;
        let at = |i: usize| -> f32 { samples.get(i).copied().unwrap_or(0.0) };
        let reflect = |i: isize| -> f32 {
            let n = core_len as isize;
            if n <= 1 {
                return at(0);
            }
            let mut j = i;
            // Reflection without repeating the edge sample, like numpy's "reflect".
            let period = 2 * (n - 1);
            j = j.rem_euclid(period);
            if j >= n {
                j = period - j;
            }
            at(j as usize)
        };
        // Frames with center padding: 1 + core_len / HOP, minus the last one.
        let frames = core_len / HOP;
        let bins = N_FFT / 2 + 1;
        let mut data = vec![0.0f32; self.n_mels * frames];
        let mut buf = vec![Complex32::new(0.0, 0.0); N_FFT];
        let mut scratch = vec![Complex32::new(0.0, 0.0); self.fft.get_inplace_scratch_len()];
        let mut power = vec![0.0f32; bins];
        for f in 0..frames {
            let start = (f * HOP) as isize - pad as isize;
            for (k, b) in buf.iter_mut().enumerate() {
                let idx = start + k as isize;
                let s = if idx >= 0 && (idx as usize) < core_len {
                    at(idx as usize)
                } else {
                    reflect(idx)
                };
                *b = Complex32::new(s * self.window[k], 0.0);
            }
            self.fft.process_with_scratch(&mut buf, &mut scratch);
            for (p, c) in power.iter_mut().zip(&buf) {
                *p = c.norm_sqr();
            }
            for (m, filt) in self.filters.iter().enumerate() {
                let v: f32 = filt
                    .weights
                    .iter()
                    .zip(&power[filt.first_bin..])
                    .map(|(w, p)| w * p)
                    .sum();
                data[m * frames + f] = v.max(1e-10).log10();
            }
        }
        let max = data.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let floor = max - 8.0;
        for v in &mut data {
            *v = (v.max(floor) + 4.0) / 4.0;
        }
        LogMel {
            n_mels: self.n_mels,
            frames,
            data,
        }
    }
}

fn hz_to_mel(f: f64) -> f64 {
    let f_sp = 200.0 / 3.0;
    let min_log_hz = 1000.0;
    let min_log_mel = min_log_hz / f_sp;
    let logstep = 6.4f64.ln() / 27.0;
    if f >= min_log_hz {
        min_log_mel + (f / min_log_hz).ln() / logstep
    } else {
        f / f_sp
    }
}

fn mel_to_hz(m: f64) -> f64 {
    let f_sp = 200.0 / 3.0;
    let min_log_hz = 1000.0;
    let min_log_mel = min_log_hz / f_sp;
    let logstep = 6.4f64.ln() / 27.0;
    if m >= min_log_mel {
        min_log_hz * (logstep * (m - min_log_mel)).exp()
    } else {
        f_sp * m
    }
}

/// librosa's Slaney mel filter bank, stored sparsely.
fn slaney_filters(n_mels: usize, sr: f64, n_fft: usize) -> Vec<Filter> {
    let bins = n_fft / 2 + 1;
    let fft_freqs: Vec<f64> = (0..bins).map(|k| k as f64 * sr / n_fft as f64).collect();
    let (lo, hi) = (hz_to_mel(0.0), hz_to_mel(sr / 2.0));
    let mel_f: Vec<f64> = (0..n_mels + 2)
        .map(|i| mel_to_hz(lo + (hi - lo) * i as f64 / (n_mels + 1) as f64))
        .collect();
    (0..n_mels)
        .map(|i| {
            let (l, c, r) = (mel_f[i], mel_f[i + 1], mel_f[i + 2]);
            let enorm = 2.0 / (r - l);
            let w: Vec<f64> = fft_freqs
                .iter()
                .map(|&f| {
                    let lower = (f - l) / (c - l);
                    let upper = (r - f) / (r - c);
                    lower.min(upper).max(0.0) * enorm
                })
                .collect();
            let first = w.iter().position(|v| *v > 0.0).unwrap_or(0);
            let last = w.iter().rposition(|v| *v > 0.0).unwrap_or(first);
            Filter {
                first_bin: first,
                weights: w[first..=last].iter().map(|v| *v as f32).collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_count_and_layout() {
        let m = MelExtractor::new(80);
        let one_second = vec![0.0f32; 16_000];
        let mel = m.compute(&one_second);
        assert_eq!(mel.frames, 101);
        assert_eq!(mel.data.len(), 80 * 101);
        // Silence: everything at the clamp floor, (-10 + 4) / 4.
        assert!(mel.data.iter().all(|v| (*v - (-1.5)).abs() < 1e-6));
        let w = mel.window(50);
        assert_eq!(w.len(), 80 * WINDOW_FRAMES);
        assert_eq!(w[51], 0.0, "padding after the content is zero");
    }

    #[test]
    fn a_tone_lights_the_right_mel_bin() {
        let m = MelExtractor::new(80);
        let tone: Vec<f32> = (0..16_000)
            .map(|i| (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / 16_000.0).sin() * 0.5)
            .collect();
        let mel = m.compute(&tone);
        let f = 50;
        let col: Vec<f32> = (0..80).map(|b| mel.data[b * mel.frames + f]).collect();
        let best = col
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(i, _)| i);
        // 1 kHz sits at mel 15 of 0..45.25 (Slaney), i.e. bin ≈ 15/45.25·81 − 1 ≈ 26.
        let b = best.unwrap_or(0);
        assert!((25..=27).contains(&b), "peak at bin {b}");
        // Global max − 8 clamp and (x + 4) / 4 scaling.
        let max = mel.data.iter().copied().fold(f32::MIN, f32::max);
        let min = mel.data.iter().copied().fold(f32::MAX, f32::min);
        assert!((max - min - 2.0).abs() < 1e-4, "range {min}..{max}");
    }

    #[test]
    fn filters_match_librosa_shape() {
        let f = slaney_filters(80, 16_000.0, 400);
        assert_eq!(f.len(), 80);
        // Slaney normalisation: each filter's area in Hz is 1 (up to binning).
        for filt in &f {
            assert!(!filt.weights.is_empty());
        }
        // First filter starts at DC; the last ends at or below Nyquist.
        assert_eq!(f[0].first_bin, 1);
        assert!(f[79].first_bin + f[79].weights.len() <= 201);
    }

    /// Values from faster-whisper 1.2's `FeatureExtractor(feature_size=80)`
    /// on the same synthetic signal (script in docs/PERFORMANCE.md, "Log-mel
    /// parity").
    #[test]
    fn matches_faster_whisper_features() {
        let n = 16_000 * 3 + 123;
        let x: Vec<f32> = (0..n)
            .map(|i| {
                let i = i as f64;
                let tau = 2.0 * std::f64::consts::PI;
                (0.3 * (tau * 440.0 * i / 16_000.0).sin()
                    + 0.1 * (tau * 3000.0 * i / 16_000.0 + i * 1e-4).sin() * (i / 2000.0).sin())
                    as f32
            })
            .collect();
        let mel = MelExtractor::new(80).compute(&x);
        assert_eq!(mel.frames, 301);
        let expected = [
            (8, 0, 1.101035),
            (9, 10, 1.048467),
            (10, 100, 1.237814),
            (45, 150, -0.6727206),
            (9, 300, 1.060356),
            (20, 77, -0.6727206),
            (0, 0, 0.8723545),
            (79, 300, -0.03688669),
        ];
        for (m, t, v) in expected {
            let got = mel.data[m * mel.frames + t];
            assert!((got - v).abs() < 1e-3, "mel {m} frame {t}: {got} vs {v}");
        }
        let sum: f64 = mel.data.iter().map(|v| f64::from(*v)).sum();
        assert!((sum - -12730.366).abs() < 1.0, "sum {sum}");
    }
}
