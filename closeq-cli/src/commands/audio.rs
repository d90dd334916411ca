//! Audio in: choosing and running a speech-to-text engine for the CLI,
//! with a progress bar.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, ValueEnum};
use closeq_core::ChannelLayout;
use closeq_core::ports::SpeechToText;
use closeq_pipeline::{Progress, Stage};
use closeq_stt::whisper::{ComputeType, MODEL_ENV, WhisperConfig, WhisperLocalStt};
use indicatif::{ProgressBar, ProgressStyle};

/// The speech-to-text engines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SttArg {
    /// Whisper in-process (default; offline, no sub-processor).
    Local,
    /// OpenAI-compatible /audio/transcriptions (CLOSEQ_OPENAI_*).
    Openai,
    /// Deepgram pre-recorded (CLOSEQ_DEEPGRAM_*).
    Deepgram,
    /// AssemblyAI (CLOSEQ_ASSEMBLYAI_*).
    Assemblyai,
}

/// Speech-to-text options for audio input.
#[derive(Debug, Clone, Args)]
pub struct SttArgs {
    /// The speech-to-text engine.
    #[arg(long, value_enum, default_value = "local")]
    pub stt: SttArg,
    /// The Whisper model directory (CTranslate2 format). Default:
    /// $CLOSEQ_WHISPER_MODEL, else ~/.cache/closeq/models/whisper-tiny.en
    /// (fetch it with scripts/fetch-whisper-model).
    #[arg(long)]
    pub whisper_model: Option<PathBuf>,
    /// Whisper weight type: int8, int8_float32, float32, int16, auto, default.
    #[arg(long, default_value = "int8")]
    pub compute_type: String,
    /// Whisper beam size (1 = greedy).
    #[arg(long, default_value_t = 1)]
    pub beam_size: usize,
    /// Whisper CPU threads (0 = all cores).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Treat two-channel audio as one mixed channel (roles unknown).
    #[arg(long)]
    pub mono: bool,
}

/// Whether `path` holds audio rather than a transcript (by extension, then
/// by magic bytes).
pub fn is_audio(path: &Path, head: &[u8]) -> bool {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    if let Some(e) = ext.as_deref()
        && matches!(
            e,
            "wav" | "mp3" | "flac" | "ogg" | "oga" | "m4a" | "mp4" | "aac" | "opus" | "webm"
        )
    {
        return true;
    }
    closeq_stt::audio::AudioKind::sniff(head).is_some()
}

/// The model directory: the flag, the environment, or the cache.
pub fn model_dir(flag: Option<&Path>) -> PathBuf {
    if let Some(p) = flag {
        return p.to_owned();
    }
    if let Some(c) = WhisperConfig::from_env() {
        return c.model_dir;
    }
    let cache = std::env::var_os("CLOSEQ_MODEL_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/closeq/models")))
        .unwrap_or_else(|| PathBuf::from(".cache/closeq/models"));
    cache.join("whisper-tiny.en")
}

/// Loads local Whisper as configured.
pub fn local_whisper(args: &SttArgs) -> anyhow::Result<WhisperLocalStt> {
    let dir = model_dir(args.whisper_model.as_deref());
    if !dir.join("model.bin").is_file() {
        anyhow::bail!(
            "no Whisper model at {} — run scripts/fetch-whisper-model, or set {MODEL_ENV} or --whisper-model to a CTranslate2 Whisper model directory",
            dir.display()
        );
    }
    let compute: ComputeType = args
        .compute_type
        .parse()
        .map_err(|e: String| anyhow::anyhow!("--compute-type: {e}"))?;
    let cfg = WhisperConfig::new(dir)
        .with_compute_type(compute)
        .with_beam_size(args.beam_size)
        .with_threads(args.threads);
    Ok(WhisperLocalStt::new(cfg)?)
}

/// The engine the arguments choose.
pub fn engine(args: &SttArgs) -> anyhow::Result<Arc<dyn SpeechToText>> {
    Ok(match args.stt {
        SttArg::Local => Arc::new(local_whisper(args)?),
        SttArg::Openai => Arc::new(closeq_stt::cloud::OpenAiStt::from_env()?),
        SttArg::Deepgram => Arc::new(closeq_stt::cloud::DeepgramStt::from_env()?),
        SttArg::Assemblyai => Arc::new(closeq_stt::cloud::AssemblyAiStt::from_env()?),
    })
}

/// The channel layout for the arguments and the audio.
pub fn layout(args: &SttArgs, rep_channel: Option<u8>, bytes: &[u8]) -> ChannelLayout {
    if args.mono {
        return ChannelLayout::Mono;
    }
    let channels = closeq_stt::audio::probe(bytes, &closeq_stt::audio::DecodeLimits::default())
        .ok()
        .and_then(|i| i.channels);
    match channels {
        Some(2) => ChannelLayout::Stereo {
            rep_channel: rep_channel.unwrap_or(0),
        },
        _ => ChannelLayout::Mono,
    }
}

/// A progress bar for one call's speech-to-text, labelled `label`.
pub fn progress_bar(label: &str) -> ProgressBar {
    let bar = ProgressBar::new(1000);
    bar.set_style(
        ProgressStyle::with_template("{prefix:<20} [{bar:30}] {percent:>3}% {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_prefix(label.to_owned());
    bar
}

/// Moves `bar` with the analyzer's speech-to-text progress.
pub fn on_progress(bar: ProgressBar) -> impl Fn(Progress) + Send + Sync + 'static {
    move |p: Progress| {
        if p.stage == Stage::Transcribing {
            bar.set_position((p.fraction * 1000.0) as u64);
        }
    }
}
