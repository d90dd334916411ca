//! [`WhisperLocalStt`]: Whisper in-process, the default speech-to-text.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use closeq_analysis::transcript::{EngineOutput, EngineWord, ImportOptions, from_engine};
use closeq_core::ports::{
    AudioInput, SpeechToText, SttCapabilities, SubProcessor, TranscribeOptions,
};
use closeq_core::{
    ChannelLayout, Error, ProcessingInfo, ProviderInfo, Result, RoleDecision, SpeakerRole,
    SubProcessorInfo, Transcript, TranscriptWarning,
};

use super::config::WhisperConfig;
use super::engine::WhisperEngine;
use super::pack::PackedSpeech;
use crate::audio::{PcmAudio, SileroVad, SpeechDetection, WHISPER_SAMPLE_RATE, load_16k_shared};

/// One channel's samples, with its index (`None` for mono).
type Track<'a> = (Option<u8>, Cow<'a, [f32]>);

/// Whisper running in this process on a CTranslate2 model: no network, no
/// sub-processor.
///
/// Two-channel calls are transcribed channel by channel (speech regions
/// only, found by the configured [`SpeechDetection`], Silero VAD v6 by
/// default) and merged by time, so speakers and roles are exact; mono
/// audio gives one speaker of unknown role and a `mono_audio` warning.
#[derive(Clone)]
pub struct WhisperLocalStt {
    engine: Arc<WhisperEngine>,
    /// The learned speech detector, when configured and loadable.
    silero: Option<Arc<SileroVad>>,
    config: WhisperConfig,
    model_name: String,
}

impl std::fmt::Debug for WhisperLocalStt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhisperLocalStt")
            .field("model", &self.model_name)
            .field("compute_type", &self.config.compute_type)
            .field("beam_size", &self.config.beam_size)
            .field("threads", &self.config.threads)
            .finish()
    }
}

impl WhisperLocalStt {
    /// Loads the model. Errors name what is missing from the directory.
    pub fn new(config: WhisperConfig) -> Result<Self> {
        let engine = WhisperEngine::load(&config)?;
        let model_name = config
            .model_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .filter(|n| n != "model")
            .or_else(|| {
                config
                    .model_dir
                    .parent()
                    .and_then(|p| p.file_name())
                    .map(|n| n.to_string_lossy().into_owned())
            })
            .unwrap_or_else(|| "whisper".into());
        // The bundled model is checked by the tests; should it ever fail to
        // load, the energy detector stands in and transcripts say so.
        let silero = match config.speech {
            SpeechDetection::Silero(_) => SileroVad::bundled().ok().map(Arc::new),
            SpeechDetection::Energy(_) => None,
        };
        Ok(Self {
            engine: Arc::new(engine),
            silero,
            config,
            model_name,
        })
    }

    /// The settings in use.
    pub fn config(&self) -> &WhisperConfig {
        &self.config
    }

    /// Transcribes already-decoded 16 kHz audio (blocking; call from a
    /// blocking thread).
    pub fn transcribe_pcm(
        &self,
        pcm: &PcmAudio,
        layout: ChannelLayout,
        opts: &TranscribeOptions,
    ) -> Result<Transcript> {
        if pcm.sample_rate != WHISPER_SAMPLE_RATE {
            return Err(Error::invalid("audio", "must be resampled to 16 kHz first"));
        }
        let started = Instant::now();
        let duration_ms = pcm.duration_ms();
        let mut warnings = Vec::new();
        let (tracks, rep_channel): (Vec<Track<'_>>, Option<u8>) = match (pcm.channels.len(), layout)
        {
            (2, ChannelLayout::Stereo { rep_channel }) => (
                pcm.channels
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (Some(i as u8), Cow::Borrowed(c.as_slice())))
                    .collect(),
                Some(rep_channel),
            ),
            (n, layout) => {
                if matches!(layout, ChannelLayout::Stereo { .. }) {
                    warnings.push(TranscriptWarning::new(
                            "expected_two_channels",
                            "the call is marked two-channel but the audio has one channel; transcribed as mono",
                        ));
                }
                let mono: Cow<'_, [f32]> = if n == 2 {
                    Cow::Owned(
                        pcm.channels[0]
                            .iter()
                            .zip(&pcm.channels[1])
                            .map(|(a, b)| (a + b) / 2.0)
                            .collect(),
                    )
                } else {
                    Cow::Borrowed(pcm.channels.first().map_or(&[][..], Vec::as_slice))
                };
                warnings.push(TranscriptWarning::new(
                        "mono_audio",
                        "mono audio: one speaker of unknown role; record calls with one channel per side for exact speakers and roles",
                    ));
                (vec![(None, mono)], None)
            }
        };

        let language_token = match &opts.language {
            Some(tag) if self.engine.is_multilingual() => Some(
                self.engine
                    .language_token(tag)
                    .ok_or_else(|| Error::invalid("language", "the model has no such language"))?,
            ),
            _ => None,
        };

        let gap = (WHISPER_SAMPLE_RATE as usize * self.config.region_gap_ms as usize) / 1000;
        // Each channel's speech, packed; the channels are independent
        // decodes, run at once on two model replicas.
        if matches!(self.config.speech, SpeechDetection::Silero(_)) && self.silero.is_none() {
            warnings.push(TranscriptWarning::new(
                "vad_fallback",
                "the learned speech detector could not be loaded; speech was found by the energy detector",
            ));
        }
        // Speech detection runs per channel, the channels at once.
        let detect = |samples: &[f32]| {
            self.config
                .speech
                .regions(self.silero.as_deref(), samples, WHISPER_SAMPLE_RATE)
        };
        let regions: Vec<Vec<crate::audio::SpeechRegion>> = if tracks.len() > 1 {
            std::thread::scope(|s| {
                let handles: Vec<_> = tracks
                    .iter()
                    .map(|(_, samples)| s.spawn(|| detect(samples)))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_default())
                    .collect()
            })
        } else {
            tracks.iter().map(|(_, samples)| detect(samples)).collect()
        };
        let packed: Vec<(Option<u8>, PackedSpeech)> = tracks
            .iter()
            .zip(&regions)
            .map(|((ch, samples), r)| (*ch, PackedSpeech::new(samples, r, gap)))
            .collect();
        // Longest first, so the last task to start is a short one.
        let mut order: Vec<usize> = (0..packed.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(packed[i].1.samples.len()));
        let total: usize = packed
            .iter()
            .map(|(_, p)| p.samples.len())
            .sum::<usize>()
            .max(1);
        // Progress across tasks decoded at once: each task's share updated
        // under one lock, so reported values never go backwards.
        let progress = std::sync::Mutex::new((vec![0.0f32; packed.len()], 0.0f32));
        let report = |i: usize, f: f32| {
            let Some(cb) = &opts.progress else { return };
            if let Ok(mut g) = progress.lock() {
                g.0[i] = f * packed[i].1.samples.len() as f32 / total as f32;
                let sum: f32 = g.0.iter().sum::<f32>().clamp(0.0, 1.0);
                if sum > g.1 {
                    g.1 = sum;
                    cb(sum);
                }
            }
        };
        let decode_one = |slot: usize, i: usize| {
            let mut rep = |f: f32| report(i, f);
            self.engine.decode(
                slot,
                &packed[i].1.samples,
                language_token.as_deref(),
                &mut rep,
            )
        };
        type Decoded = Result<(Vec<super::engine::DecodedSegment>, Option<String>)>;
        let workers = self.engine.replicas().min(packed.len()).max(1);
        let next = std::sync::atomic::AtomicUsize::new(0);
        let slots: Vec<std::sync::Mutex<Option<Decoded>>> = (0..packed.len())
            .map(|_| std::sync::Mutex::new(None))
            .collect();
        let work = |slot: usize| {
            loop {
                let k = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some(&i) = order.get(k) else { break };
                let r = decode_one(slot, i);
                if let Ok(mut slot) = slots[i].lock() {
                    *slot = Some(r);
                }
            }
        };
        if workers > 1 {
            std::thread::scope(|s| {
                for slot in 0..workers {
                    let work = &work;
                    s.spawn(move || work(slot));
                }
            });
        } else {
            work(0);
        }
        let decoded: Vec<Decoded> = slots
            .into_iter()
            .map(|m| {
                m.into_inner()
                    .ok()
                    .flatten()
                    .unwrap_or_else(|| Err(Error::internal("a decoding thread failed")))
            })
            .collect();
        let mut words = Vec::new();
        let mut detected: Option<String> = None;
        for ((ch, p), result) in packed.iter().zip(decoded) {
            let (segments, lang) = result?;
            if detected.is_none() {
                detected = lang;
            }
            let ms = |s: usize| (s as u64 * 1000) / u64::from(WHISPER_SAMPLE_RATE);
            for seg in segments {
                for w in seg.words {
                    // Both ends through the region the word's middle is in,
                    // as faster-whisper restores times after its VAD.
                    let region = p.region_of(w.start + (w.end.saturating_sub(w.start)) / 2);
                    let start = ms(p.to_original_in(region, w.start));
                    let end = ms(p.to_original_in(region, w.end.max(w.start))).max(start);
                    let mut word = EngineWord::new(w.text, start, end.min(duration_ms).max(start));
                    word.channel = *ch;
                    word.confidence = w.probability;
                    words.push(word);
                }
            }
        }
        if let Some(cb) = &opts.progress {
            cb(1.0);
        }
        let wall = started.elapsed();
        let rtf = if wall.as_secs_f64() > 0.0 {
            duration_ms as f64 / 1000.0 / wall.as_secs_f64()
        } else {
            0.0
        };
        let language = if self.engine.is_multilingual() {
            // `<|de|>` → `de`: the language asked for, or detected on the
            // first channel with speech.
            detected
                .map(|t| t.trim_start_matches("<|").trim_end_matches("|>").to_owned())
                .or_else(|| opts.language.clone())
        } else {
            Some("en".to_owned())
        };
        let mut output = EngineOutput::new(
            duration_ms,
            ProviderInfo {
                name: "whisper-local".into(),
                model: Some(self.model_name.clone()),
                request_id: None,
                processing: Some(ProcessingInfo {
                    compute_type: Some(self.config.compute_type.as_str().into()),
                    threads: Some(self.config.effective_threads() as u32),
                    beam_size: Some(self.config.beam_size as u32),
                    real_time_factor: Some(rtf),
                    wall_ms: Some(wall.as_millis() as u64),
                }),
            },
        );
        output.words = words;
        output.language = language;
        output.warnings = warnings;
        let mut import = ImportOptions::default();
        if let Some(rc) = rep_channel {
            import = import.with_rep_channel(rc);
        }
        let mut t = from_engine(output, &import).map_err(|e| Error::internal(e.to_string()))?;
        if rep_channel.is_none() {
            // Mono: the engine cannot tell who speaks; say so rather than guess.
            for s in &mut t.speakers {
                s.role = SpeakerRole::Unknown;
                s.decided_by = RoleDecision::Undecided;
            }
        }
        Ok(t)
    }
}

impl SubProcessor for WhisperLocalStt {
    fn sub_processor(&self) -> Option<SubProcessorInfo> {
        None
    }
}

#[async_trait]
impl SpeechToText for WhisperLocalStt {
    fn name(&self) -> &str {
        "whisper-local"
    }

    fn capabilities(&self) -> SttCapabilities {
        SttCapabilities::none()
            .with_multichannel(true)
            .with_word_timestamps(true)
            .with_max_input_bytes(Some(self.config.limits.max_bytes))
    }

    async fn transcribe(&self, audio: AudioInput, opts: &TranscribeOptions) -> Result<Transcript> {
        let this = self.clone();
        let opts = opts.clone();
        tokio::task::spawn_blocking(move || {
            let pcm = load_16k_shared(audio.data.clone(), &this.config.limits)?;
            this.transcribe_pcm(&pcm, audio.channels, &opts)
        })
        .await
        .map_err(|_| Error::internal("the transcription task failed"))?
    }
}
