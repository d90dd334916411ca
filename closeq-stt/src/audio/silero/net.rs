//! The Silero VAD v6 network (16 kHz), as its ONNX graph computes it:
//!
//! ```text
//! input [N, 576] (64 samples of context + a 512-sample frame)
//!   reflect-pad 128 both sides, STFT (256-point periodic-Hann DFT, hop 128,
//!   first of 5 windows dropped) -> magnitude [129 x 4]
//!   conv 129->128 k3 p1 s1, ReLU -> conv 128->64 k3 p1 s2, ReLU
//!   -> conv 64->64 k3 p1 s2, ReLU -> conv 64->128 k3 p1 s1, ReLU  -> [128]
//!   LSTM(128) over the N frames (ONNX gate order i, o, f, c)
//!   ReLU, 1x1 conv 128->1, sigmoid -> speech probability per frame
//! ```
//!
//! The STFT runs as FFTs; the loader checks that the model's stored
//! basis is exactly that DFT. Convolutions and the LSTM's input projection
//! are matrix products over a batch of frames (the encoder sees each frame
//! on its own); only the LSTM recurrence is sequential.

use std::collections::HashMap;
use std::sync::Arc;

use rustfft::num_complex::Complex32;
use rustfft::{Fft, FftPlanner};

use super::onnx::Tensor;

/// Samples in one frame at 16 kHz.
pub(crate) const FRAME: usize = 512;
/// Samples of the previous frame prepended to each frame.
pub(crate) const CONTEXT: usize = 64;
const INPUT: usize = FRAME + CONTEXT;
const N_FFT: usize = 256;
const HOP: usize = 128;
const BINS: usize = N_FFT / 2 + 1;
const PAD: usize = 128;
const WINDOWS: usize = 4;
const HIDDEN: usize = 128;
const GATES: usize = 4 * HIDDEN;
/// Frames whose encoder runs as one batch.
const BATCH: usize = 256;

/// A weight matrix stored transposed, `[k][n]`, for `out += x · W`.
struct Affine {
    k: usize,
    n: usize,
    wt: Vec<f32>,
    bias: Vec<f32>,
}

impl Affine {
    /// From an ONNX conv weight `[out, in, 3]`, keeping kernel taps `taps`.
    fn conv(w: &Tensor, b: &Tensor, taps: std::ops::Range<usize>) -> Result<Self, &'static str> {
        let [out, inp, 3] = w.dims[..] else {
            return Err("a convolution weight is not [out, in, 3]");
        };
        if b.data.len() != out {
            return Err("a convolution bias does not match its weight");
        }
        let nt = taps.len();
        let k = inp * nt;
        let mut wt = vec![0.0; k * out];
        for o in 0..out {
            for i in 0..inp {
                for (j, tap) in taps.clone().enumerate() {
                    wt[(i * nt + j) * out + o] = w.data[(o * inp + i) * 3 + tap];
                }
            }
        }
        Ok(Self {
            k,
            n: out,
            wt,
            bias: b.data.clone(),
        })
    }

    /// `out[r] = bias + x[r] · W` for each row, then ReLU when asked.
    fn apply(&self, x: &[f32], out: &mut Vec<f32>, relu: bool) {
        let rows = x.len() / self.k;
        out.clear();
        out.resize(rows * self.n, 0.0);
        for (xr, or) in x.chunks_exact(self.k).zip(out.chunks_exact_mut(self.n)) {
            or.copy_from_slice(&self.bias);
            for (&a, wr) in xr.iter().zip(self.wt.chunks_exact(self.n)) {
                if a != 0.0 {
                    for (o, &w) in or.iter_mut().zip(wr) {
                        *o += a * w;
                    }
                }
            }
            if relu {
                or.iter_mut().for_each(|v| *v = v.max(0.0));
            }
        }
    }
}

/// The loaded network.
pub(crate) struct Net {
    fft: Arc<dyn Fft<f32>>,
    window: Vec<f32>,
    conv0: Affine,
    conv1: Affine,
    conv2: Affine,
    conv3: Affine,
    /// Input projection `x · Wᵀ + Wb + Rb`, `[128][512]`.
    lstm_in: Affine,
    /// Recurrent weights transposed, `[128][512]`.
    lstm_rt: Vec<f32>,
    dec_w: Vec<f32>,
    dec_b: f32,
}

impl std::fmt::Debug for Net {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SileroNet").finish_non_exhaustive()
    }
}

fn get<'a>(w: &'a HashMap<String, Tensor>, name: &str) -> Result<&'a Tensor, &'static str> {
    w.get(name).ok_or("the model lacks a Silero VAD v6 weight")
}

fn periodic_hann() -> Vec<f32> {
    (0..N_FFT)
        .map(|n| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * n as f64 / N_FFT as f64).cos())
        .map(|v| v as f32)
        .collect()
}

impl Net {
    pub(crate) fn from_weights(w: &HashMap<String, Tensor>) -> Result<Self, &'static str> {
        // The STFT basis must be the periodic-Hann DFT the FFT computes.
        let basis = get(w, "encoder.feature_extractor.forward_basis_buffer")?;
        if basis.dims != [2 * BINS, 1, N_FFT] {
            return Err("the STFT basis is not [258, 1, 256]");
        }
        let window = periodic_hann();
        for k in 0..BINS {
            for (n, &win) in window.iter().enumerate() {
                let angle = 2.0 * std::f64::consts::PI * ((k * n) % N_FFT) as f64 / N_FFT as f64;
                let re = (angle.cos() * f64::from(win)) as f32;
                let im = (angle.sin() * f64::from(win)) as f32;
                let (br, bi) = (
                    basis.data[k * N_FFT + n],
                    basis.data[(BINS + k) * N_FFT + n],
                );
                if (br - re).abs() > 1e-5 || (bi.abs() - im.abs()).abs() > 1e-5 {
                    return Err("the STFT basis is not a periodic-Hann DFT");
                }
            }
        }
        let conv = |i: usize, taps| {
            Affine::conv(
                get(w, &format!("encoder.conv_layers.{i}.weight"))?,
                get(w, &format!("encoder.conv_layers.{i}.bias"))?,
                taps,
            )
        };
        let (lw, lr, lb) = (
            get(w, "onnx::LSTM_209")?,
            get(w, "onnx::LSTM_210")?,
            get(w, "onnx::LSTM_211")?,
        );
        if lw.dims != [1, GATES, HIDDEN]
            || lr.dims != [1, GATES, HIDDEN]
            || lb.dims != [1, 2 * GATES]
        {
            return Err("the LSTM weights are not 128 hidden units");
        }
        let transpose = |m: &[f32]| {
            let mut t = vec![0.0; HIDDEN * GATES];
            for g in 0..GATES {
                for j in 0..HIDDEN {
                    t[j * GATES + g] = m[g * HIDDEN + j];
                }
            }
            t
        };
        let bias: Vec<f32> = (0..GATES)
            .map(|g| lb.data[g] + lb.data[GATES + g])
            .collect();
        let (dw, db) = (
            get(w, "decoder.conv1d.weight")?,
            get(w, "decoder.conv1d.bias")?,
        );
        if dw.data.len() != HIDDEN || db.data.len() != 1 {
            return Err("the decoder is not a 128 -> 1 convolution");
        }
        let net = Self {
            fft: FftPlanner::new().plan_fft_forward(N_FFT),
            window,
            conv0: conv(0, 0..3)?,
            conv1: conv(1, 0..3)?,
            conv2: conv(2, 1..3)?,
            conv3: conv(3, 1..2)?,
            lstm_in: Affine {
                k: HIDDEN,
                n: GATES,
                wt: transpose(&lw.data),
                bias,
            },
            lstm_rt: transpose(&lr.data),
            dec_w: dw.data.clone(),
            dec_b: db.data[0],
        };
        let shapes = [
            (&net.conv0, BINS * 3, 128),
            (&net.conv1, 128 * 3, 64),
            (&net.conv2, 64 * 2, 64),
            (&net.conv3, 64, HIDDEN),
        ];
        if shapes.iter().any(|(a, k, n)| a.k != *k || a.n != *n) {
            return Err("the encoder's layer sizes are not Silero VAD v6's");
        }
        Ok(net)
    }

    /// Speech probabilities of consecutive 576-sample inputs (`inputs.len()`
    /// a multiple of 576), the LSTM state carried from frame to frame.
    pub(crate) fn run(&self, inputs: &[f32]) -> Vec<f32> {
        let frames = inputs.len() / INPUT;
        let mut probs = Vec::with_capacity(frames);
        let (mut h, mut c) = (vec![0.0f32; HIDDEN], vec![0.0f32; HIDDEN]);
        let mut scratch = Scratch::default();
        let mut gates = Vec::new();
        for batch in inputs.chunks(BATCH * INPUT) {
            let x = self.encode(batch, &mut scratch);
            self.lstm_in.apply(x, &mut gates, false);
            for g in gates.chunks_exact_mut(GATES) {
                for (j, &hj) in h.iter().enumerate() {
                    if hj != 0.0 {
                        for (gv, &r) in g.iter_mut().zip(&self.lstm_rt[j * GATES..(j + 1) * GATES])
                        {
                            *gv += hj * r;
                        }
                    }
                }
                let mut logit = self.dec_b;
                for j in 0..HIDDEN {
                    let i = sigmoid(g[j]);
                    let o = sigmoid(g[HIDDEN + j]);
                    let f = sigmoid(g[2 * HIDDEN + j]);
                    let cand = g[3 * HIDDEN + j].tanh();
                    c[j] = f * c[j] + i * cand;
                    h[j] = o * c[j].tanh();
                    logit += h[j].max(0.0) * self.dec_w[j];
                }
                probs.push(sigmoid(logit));
            }
        }
        probs
    }

    /// The encoder over a batch of inputs: `[frames][128]` in `scratch.x3`.
    fn encode<'s>(&self, batch: &[f32], s: &'s mut Scratch) -> &'s [f32] {
        let frames = batch.len() / INPUT;
        // STFT magnitudes, [frame][bin][window].
        s.mag.clear();
        s.mag.resize(frames * BINS * WINDOWS, 0.0);
        let mut buf = vec![Complex32::default(); N_FFT];
        for (input, mag) in batch
            .chunks_exact(INPUT)
            .zip(s.mag.chunks_exact_mut(BINS * WINDOWS))
        {
            for w in 0..WINDOWS {
                let start = (w + 1) * HOP;
                for (n, b) in buf.iter_mut().enumerate() {
                    *b = Complex32::new(reflect(input, start + n) * self.window[n], 0.0);
                }
                self.fft.process(&mut buf);
                for (k, v) in buf.iter().take(BINS).enumerate() {
                    mag[k * WINDOWS + w] = v.norm();
                }
            }
        }
        // conv0 (k3, p1, s1): 4 positions per frame.
        s.patch.clear();
        for m in s.mag.chunks_exact(BINS * WINDOWS) {
            for t in 0..WINDOWS {
                for bin in m.chunks_exact(WINDOWS) {
                    for tap in 0..3 {
                        s.patch.push(tap_at(bin, t + tap, 1));
                    }
                }
            }
        }
        self.conv0.apply(&s.patch, &mut s.x0, true);
        // conv1 (k3, p1, s2): 4 -> 2 positions; x0 is [frame][t][128].
        strided_patches(&s.x0, 128, WINDOWS, 2, 0..3, &mut s.patch);
        self.conv1.apply(&s.patch, &mut s.x1, true);
        // conv2 (k3, p1, s2): 2 -> 1 position; tap 0 falls on padding.
        strided_patches(&s.x1, 64, 2, 1, 1..3, &mut s.patch);
        self.conv2.apply(&s.patch, &mut s.x2, true);
        // conv3 (k3, p1, s1) on one position: only the centre tap is data.
        self.conv3.apply(&s.x2, &mut s.x3, true);
        &s.x3
    }
}

#[derive(Default)]
struct Scratch {
    mag: Vec<f32>,
    patch: Vec<f32>,
    x0: Vec<f32>,
    x1: Vec<f32>,
    x2: Vec<f32>,
    x3: Vec<f32>,
}

/// Sample `i` of `input` reflect-padded by [`PAD`] on both sides.
fn reflect(input: &[f32], i: usize) -> f32 {
    let n = input.len();
    let j = if i < PAD {
        PAD - i
    } else if i - PAD < n {
        i - PAD
    } else {
        2 * (n - 1) - (i - PAD)
    };
    input.get(j).copied().unwrap_or(0.0)
}

/// `row[t - pad]`, zero outside the row.
fn tap_at(row: &[f32], t: usize, pad: usize) -> f32 {
    t.checked_sub(pad)
        .and_then(|i| row.get(i))
        .copied()
        .unwrap_or(0.0)
}

/// Patches for a stride-2, pad-1, kernel-3 convolution over `[frame][t][ch]`
/// activations: for each frame and output position, `[ch][tap]` for the
/// kept taps.
fn strided_patches(
    x: &[f32],
    ch: usize,
    len: usize,
    out_len: usize,
    taps: std::ops::Range<usize>,
    patch: &mut Vec<f32>,
) {
    patch.clear();
    for frame in x.chunks_exact(ch * len) {
        for t in 0..out_len {
            for c in 0..ch {
                for tap in taps.clone() {
                    let v = (2 * t + tap)
                        .checked_sub(1)
                        .filter(|&i| i < len)
                        .map_or(0.0, |i| frame[i * ch + c]);
                    patch.push(v);
                }
            }
        }
    }
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}
