//! The CTranslate2 Whisper model and the long-form decode loop.

use std::path::Path;

use closeq_core::{Error, Result};
use ct2rs::sys::{self, Device, StorageView, WhisperOptions};

use super::config::{ComputeType, WhisperConfig};
use super::mel::{HOP, LogMel, MelExtractor, WINDOW_FRAMES};
use super::segments::split_window;
use super::vocab::Vocabulary;
use super::words::{SegmentSpan, align_words, time_window};

/// A decoded word, in samples of the decoded signal.
#[derive(Clone, PartialEq)]
pub(crate) struct DecodedWord {
    pub text: String,
    pub start: usize,
    pub end: usize,
    pub probability: Option<f32>,
}

/// A decoded segment, in samples of the decoded signal.
#[derive(Clone, PartialEq)]
pub(crate) struct DecodedSegment {
    pub text: String,
    pub start: usize,
    pub end: usize,
    pub words: Vec<DecodedWord>,
}

/// A loaded model.
///
/// One `sys::Whisper` per concurrent decode, each loaded from the model
/// directory on its own: CTranslate2's own multi-replica loading on the CPU
/// (`device_indices = [0, 0]`) copies the first replica with `copy_to`,
/// and the prebuilt engine's oneMKL int8/float32 GEMM then crashes
/// (SIGFPE/SIGSEGV, reproduced with the Python wheel as well). Separate
/// loads cost one more copy of the weights (about 40 MB for tiny.en int8).
pub(crate) struct WhisperEngine {
    models: Vec<sys::Whisper>,
    vocab: Vocabulary,
    mel: MelExtractor,
    replicas: usize,
    options: WhisperOptions,
    no_speech_threshold: f32,
    alignment_heads_known: bool,
}

impl std::fmt::Debug for WhisperEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhisperEngine")
            .field("vocab", &self.vocab)
            .finish_non_exhaustive()
    }
}

fn model_error(what: &str) -> Error {
    Error::invalid("model_dir", what.to_owned())
}

impl WhisperEngine {
    pub(crate) fn load(cfg: &WhisperConfig) -> Result<Self> {
        let dir = &cfg.model_dir;
        for f in ["model.bin", "config.json", "vocabulary.txt"] {
            if !dir.join(f).is_file() {
                return Err(model_error(&format!(
                    "{} has no {f}; point it at a CTranslate2 Whisper model directory (see scripts/fetch-whisper-model)",
                    dir.display()
                )));
            }
        }
        let vocab_text = std::fs::read_to_string(dir.join("vocabulary.txt"))
            .map_err(|_| model_error("vocabulary.txt cannot be read"))?;
        let vocab = Vocabulary::parse(&vocab_text)
            .map_err(|t| model_error(&format!("vocabulary.txt lacks the token {t}")))?;
        let alignment_heads_known = read_has_alignment_heads(dir);
        // Two replicas when channels are decoded concurrently (and there
        // are threads for both).
        let replicas = if cfg.parallel_channels && cfg.effective_threads() >= 2 {
            2
        } else {
            1
        };
        let config = sys::Config {
            device: Device::CPU,
            compute_type: match cfg.compute_type {
                ComputeType::Default => sys::ComputeType::DEFAULT,
                ComputeType::Auto => sys::ComputeType::AUTO,
                ComputeType::Float32 => sys::ComputeType::FLOAT32,
                ComputeType::Int8 => sys::ComputeType::INT8,
                ComputeType::Int8Float32 => sys::ComputeType::INT8_FLOAT32,
                ComputeType::Int16 => sys::ComputeType::INT16,
            },
            device_indices: vec![0],
            num_threads_per_replica: threads_per_replica(cfg.effective_threads(), replicas),
            ..sys::Config::default()
        };
        let mut models = Vec::with_capacity(replicas);
        for _ in 0..replicas {
            models.push(sys::Whisper::new(dir, config.clone()).map_err(|_| {
                model_error("model.bin cannot be loaded as a CTranslate2 Whisper model")
            })?);
        }
        let Some(first) = models.first() else {
            return Err(Error::internal("no Whisper replica was loaded"));
        };
        let mel = MelExtractor::new(first.n_mels());
        let options = WhisperOptions {
            beam_size: cfg.beam_size.max(1),
            return_scores: true,
            return_no_speech_prob: true,
            ..WhisperOptions::default()
        };
        Ok(Self {
            models,
            vocab,
            mel,
            replicas,
            options,
            no_speech_threshold: cfg.no_speech_threshold,
            alignment_heads_known,
        })
    }

    /// How many decodes can run at once.
    pub(crate) fn replicas(&self) -> usize {
        self.replicas
    }

    /// The model for decode slot `slot` (`0..replicas()`).
    fn model(&self, slot: usize) -> &sys::Whisper {
        // `load` guarantees at least one model.
        &self.models[slot % self.models.len()]
    }

    pub(crate) fn is_multilingual(&self) -> bool {
        self.model(0).is_multilingual()
    }

    /// The language token for a BCP-47 tag, if the model has one.
    pub(crate) fn language_token(&self, tag: &str) -> Option<String> {
        let primary = tag.split(['-', '_']).next()?.to_ascii_lowercase();
        let t = format!("<|{primary}|>");
        self.vocab.id(&t).map(|_| t)
    }

    /// Detects the language of the first window (multilingual models).
    pub(crate) fn detect_language(&self, slot: usize, mel: &LogMel) -> Result<Option<String>> {
        let mut window = mel.window(0);
        let features = StorageView::new(&[1, mel.n_mels, WINDOW_FRAMES], &mut window, Device::CPU)
            .map_err(|_| Error::internal("cannot build the feature tensor"))?;
        let found = self
            .model(slot)
            .detect_language(&features)
            .map_err(|_| Error::internal("language detection failed"))?;
        // DetectionResult's fields are private in ct2rs 0.10; its Debug
        // output names the token first.
        Ok(found.first().and_then(|r| r.first()).and_then(|d| {
            let dbg = format!("{d:?}");
            let start = dbg.find("<|")?;
            let end = dbg[start..].find("|>")? + start + 2;
            Some(dbg[start..end].to_owned())
        }))
    }

    /// Decodes 16 kHz `samples` window by window on the model of decode
    /// slot `slot` (one slot per thread decoding at once). `progress` gets
    /// the fraction done. Returns the segments and, for multilingual
    /// models, the language token used (given or detected).
    pub(crate) fn decode(
        &self,
        slot: usize,
        samples: &[f32],
        language_token: Option<&str>,
        progress: &mut dyn FnMut(f32),
    ) -> Result<(Vec<DecodedSegment>, Option<String>)> {
        if samples.is_empty() {
            return Ok((Vec::new(), None));
        }
        let mel = self.mel.compute(samples);
        let mut prompt: Vec<String> = vec!["<|startoftranscript|>".into()];
        let mut language = None;
        let model = self.model(slot);
        if model.is_multilingual() {
            let lang = match language_token {
                Some(t) => Some(t.to_owned()),
                None => self.detect_language(slot, &mel)?,
            }
            .unwrap_or_else(|| "<|en|>".into());
            prompt.push(lang.clone());
            prompt.push("<|transcribe|>".into());
            language = Some(lang);
        }
        let prompt_ids: Vec<usize> = prompt.iter().filter_map(|t| self.vocab.id(t)).collect();
        // As faster-whisper: the last frame is padding.
        let content_total = mel.frames.saturating_sub(1).max(1);
        let mut seek = 0;
        let mut out = Vec::new();
        // The end of the last speech heard, seconds (faster-whisper's
        // `last_speech_timestamp`).
        let mut last_speech = 0.0f64;
        while seek < content_total {
            let content = (content_total - seek).min(WINDOW_FRAMES);
            let mut window = mel.window(seek);
            let features =
                StorageView::new(&[1, mel.n_mels, WINDOW_FRAMES], &mut window, Device::CPU)
                    .map_err(|_| Error::internal("cannot build the feature tensor"))?;
            let encoded = model
                .encode(&features, false)
                .map_err(|_| Error::internal("the Whisper encoder failed"))?;
            let result = model
                .generate(&encoded, std::slice::from_ref(&prompt), &self.options)
                .map_err(|_| Error::internal("Whisper decoding failed"))?;
            let Some(r) = result.into_iter().next() else {
                seek += content;
                continue;
            };
            let ids = r.sequences_ids.into_iter().next().unwrap_or_default();
            let n = ids.len().max(1) as f32;
            let avg_logprob = r.scores.first().map_or(0.0, |s| s * n / (n + 1.0));
            // As faster-whisper: skip when no speech is likely and the text
            // is not confident.
            if r.no_speech_prob > self.no_speech_threshold && avg_logprob <= -1.0 {
                seek += content;
                progress(seek as f32 / content_total as f32);
                continue;
            }
            let split = split_window(&ids, self.vocab.timestamp_begin, self.vocab.eot, content);
            let text_tokens: Vec<usize> = split
                .segments
                .iter()
                .flat_map(|s| s.tokens.iter().copied())
                .collect();
            let alignment = if text_tokens.is_empty() || !self.alignment_heads_known {
                None
            } else {
                self.align(model, &encoded, &prompt_ids, &text_tokens, content)
                    .ok()
            };
            let offset = seek * HOP;
            let time_offset = seek as f64 / FRAMES_PER_SECOND;
            let mut spans: Vec<SegmentSpan> = split
                .segments
                .iter()
                .map(|seg| SegmentSpan {
                    start: time_offset + seg.start_frame as f64 / FRAMES_PER_SECOND,
                    end: time_offset + seg.end_frame as f64 / FRAMES_PER_SECOND,
                    text_tokens: seg.tokens.len(),
                })
                .collect();
            // Word times as faster-whisper computes them (see `words`);
            // without alignment heads, words share their segment's span.
            let timed = alignment.map(|(frames, probs)| {
                let words = align_words(&self.vocab, &text_tokens, &frames, &probs);
                time_window(words, &mut spans, time_offset, &mut last_speech)
            });
            for (i, seg) in split.segments.iter().enumerate() {
                let start = offset + seg.start_frame * HOP;
                let end = offset + seg.end_frame * HOP;
                let words = match &timed {
                    Some(t) => t.get(i).map_or_else(Vec::new, |ws| joined_words(ws)),
                    None => self.words_of(&seg.tokens, (start, end)),
                };
                let text = self.vocab.decode(&seg.tokens).trim().to_owned();
                if text.is_empty() {
                    continue;
                }
                out.push(DecodedSegment {
                    text,
                    start,
                    end,
                    words,
                });
            }
            // As faster-whisper with word timestamps: unless the output ended
            // on a single timestamp, the next window starts where the last
            // word ended.
            let last_word_end = timed
                .as_ref()
                .and_then(|t| t.iter().rev().flat_map(|ws| ws.iter().rev()).next())
                .map(|w| w.end);
            seek = match last_word_end {
                Some(end) if !split.single_ending && end > time_offset => {
                    ((end * FRAMES_PER_SECOND).round() as usize).max(seek + 1)
                }
                _ => seek + split.advance,
            };
            progress((seek as f32 / content_total as f32).min(1.0));
        }
        Ok((out, language))
    }

    /// For each text token (and one past the end), the first encoder frame
    /// (20 ms) the alignment path spends on it.
    fn align(
        &self,
        model: &sys::Whisper,
        encoded: &StorageView,
        prompt_ids: &[usize],
        text_tokens: &[usize],
        content_frames: usize,
    ) -> Result<(Vec<usize>, Vec<f32>)> {
        let res = model
            .align(
                encoded,
                prompt_ids,
                &[text_tokens.to_vec()],
                &[content_frames],
                7,
            )
            .map_err(|_| Error::internal("word alignment failed"))?;
        let Some(a) = res.into_iter().next() else {
            return Err(Error::internal("word alignment returned nothing"));
        };
        let n = text_tokens.len() + 1;
        let mut first = vec![usize::MAX; n];
        for step in &a.alignments {
            if let (Ok(t), Ok(f)) = (usize::try_from(step.token_x), usize::try_from(step.frame_x))
                && t < n
            {
                first[t] = first[t].min(f);
            }
        }
        // Tokens the path skipped inherit the next known frame.
        let last = content_frames / 2;
        let mut next = last;
        for v in first.iter_mut().rev() {
            if *v == usize::MAX {
                *v = next;
            } else {
                *v = (*v).min(last);
                next = *v;
            }
        }
        Ok((first, a.text_token_probs))
    }

    /// Without an alignment (a model without alignment heads): the
    /// segment's tokens grouped into words at leading spaces, sharing the
    /// segment's span in proportion to their length.
    fn words_of(&self, tokens: &[usize], (seg_start, seg_end): (usize, usize)) -> Vec<DecodedWord> {
        let mut groups: Vec<(usize, usize)> = Vec::new();
        for (i, &t) in tokens.iter().enumerate() {
            let text = self.vocab.decode(&[t]);
            let punct = !text.is_empty() && text.chars().all(|c| c.is_ascii_punctuation());
            if groups.is_empty() || (self.vocab.starts_word(t) && !punct) {
                groups.push((i, i + 1));
            } else if let Some(g) = groups.last_mut() {
                g.1 = i + 1;
            }
        }
        let texts: Vec<String> = groups
            .iter()
            .map(|&(a, b)| self.vocab.decode(&tokens[a..b]).trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect();
        let total_chars: usize = texts.iter().map(|t| t.chars().count().max(1)).sum();
        let span = seg_end.saturating_sub(seg_start);
        let mut chars_before = 0;
        let mut words = Vec::with_capacity(texts.len());
        for text in texts {
            let len = text.chars().count().max(1);
            let start = seg_start + span * chars_before / total_chars.max(1);
            let end = seg_start + span * (chars_before + len) / total_chars.max(1);
            chars_before += len;
            words.push(DecodedWord {
                text,
                start,
                end: end.max(start),
                probability: None,
            });
        }
        words
    }
}

/// Timed words as transcript words: a word that does not start with a
/// space (`,000` after `40`) joins the one before it, so the text reads as
/// decoded (`40,000`).
fn joined_words(words: &[super::words::TimedWord]) -> Vec<DecodedWord> {
    let mut out: Vec<DecodedWord> = Vec::with_capacity(words.len());
    for w in words {
        let text = w.text.trim();
        if text.is_empty() {
            continue;
        }
        let (start, end) = (
            seconds_to_samples(w.start),
            seconds_to_samples(w.end.max(w.start)),
        );
        match out.last_mut() {
            Some(prev) if !w.text.starts_with(' ') => {
                prev.text.push_str(text);
                prev.end = prev.end.max(end);
            }
            _ => out.push(DecodedWord {
                text: text.to_owned(),
                start,
                end,
                probability: Some(w.probability),
            }),
        }
    }
    out
}

/// Mel frames per second (10 ms hop).
const FRAMES_PER_SECOND: f64 = 100.0;

/// Seconds of the decoded signal to a sample index at 16 kHz.
fn seconds_to_samples(s: f64) -> usize {
    (s.max(0.0) * 16_000.0).round() as usize
}

/// Threads for each replica. With OpenMP told to sleep rather than spin
/// (`OMP_WAIT_POLICY=PASSIVE`), replicas may share the cores: a decode
/// running alone then uses all of them, and two at once cost little. With
/// spinning threads that oversubscription is slow, so the cores are split.
fn threads_per_replica(threads: usize, replicas: usize) -> usize {
    let passive = std::env::var("OMP_WAIT_POLICY").is_ok_and(|v| v.eq_ignore_ascii_case("passive"));
    if passive {
        threads.max(1)
    } else {
        (threads / replicas.max(1)).max(1)
    }
}

/// Whether `config.json` lists alignment heads (needed for word times).
fn read_has_alignment_heads(dir: &Path) -> bool {
    std::fs::read(dir.join("config.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| v.get("alignment_heads").map(|h| h.is_array()))
        .unwrap_or(false)
}
