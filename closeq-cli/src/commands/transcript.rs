//! `closeq transcript inspect`.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use closeq_analysis::metrics::{MetricsConfig, compute};
use closeq_analysis::transcript::{Format, ImportOptions, import};
use closeq_core::{ConversationMetrics, RoleDecision, Transcript};

/// Transcript commands.
#[derive(Debug, Subcommand)]
pub enum TranscriptCommand {
    /// Import a transcript and print its speakers, roles and metrics.
    Inspect(InspectArgs),
}

/// The `--format` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    /// Detect the format.
    Auto,
    /// WebVTT.
    Vtt,
    /// SubRip.
    Srt,
    /// `Speaker: text` script.
    Script,
    /// CloseQ JSON.
    Closeq,
    /// Deepgram JSON.
    Deepgram,
    /// AssemblyAI JSON.
    Assemblyai,
    /// OpenAI verbose_json / diarized_json.
    Openai,
    /// AWS Transcribe JSON.
    Aws,
    /// Speechmatics json-v2.
    Speechmatics,
    /// Rev.ai JSON.
    Revai,
}

impl FormatArg {
    fn format(self) -> Option<Format> {
        Some(match self {
            Self::Auto => return None,
            Self::Vtt => Format::WebVtt,
            Self::Srt => Format::Srt,
            Self::Script => Format::Script,
            Self::Closeq => Format::CloseQ,
            Self::Deepgram => Format::Deepgram,
            Self::Assemblyai => Format::AssemblyAi,
            Self::Openai => Format::OpenAi,
            Self::Aws => Format::AwsTranscribe,
            Self::Speechmatics => Format::Speechmatics,
            Self::Revai => Format::RevAi,
        })
    }
}

/// How to import a transcript file.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The transcript file.
    pub file: PathBuf,
    /// Its format.
    #[arg(long, value_enum, default_value = "auto")]
    pub format: FormatArg,
    /// The rep's audio channel in multichannel transcripts.
    #[arg(long, conflicts_with = "rep_speaker")]
    pub rep_channel: Option<u8>,
    /// The rep's speaker label (`spk_0`, `A`, `0`) or name.
    #[arg(long)]
    pub rep_speaker: Option<String>,
}

impl ImportArgs {
    /// Reads and imports the file.
    pub fn load(&self) -> anyhow::Result<Transcript> {
        let bytes = std::fs::read(&self.file)
            .with_context(|| format!("cannot read {}", self.file.display()))?;
        let mut opts = ImportOptions::default();
        opts.rep_channel = self.rep_channel;
        opts.rep_speaker.clone_from(&self.rep_speaker);
        import(&bytes, self.format.format(), &opts)
            .with_context(|| format!("cannot import {}", self.file.display()))
    }
}

/// `closeq transcript inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    #[command(flatten)]
    import: ImportArgs,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// Runs a transcript command.
pub fn run(cmd: TranscriptCommand) -> anyhow::Result<()> {
    match cmd {
        TranscriptCommand::Inspect(args) => inspect(&args),
    }
}

fn decided(d: &RoleDecision) -> String {
    match d {
        RoleDecision::Provided => "provided by the source".into(),
        RoleDecision::ChannelMap { channel } => format!("channel map (channel {channel})"),
        RoleDecision::KnownRep { matched_on } => format!("known rep ({matched_on})"),
        RoleDecision::Heuristic { rule, confidence } => {
            format!("heuristic {rule} (confidence {confidence:.2})")
        }
        RoleDecision::Undecided => "undecided".into(),
    }
}

fn inspect(args: &InspectArgs) -> anyhow::Result<()> {
    let t = args.import.load()?;
    let m = compute(&t, &MetricsConfig::default());
    if args.json {
        let speakers: Vec<_> = t
            .speakers
            .iter()
            .map(|s| {
                serde_json::json!({
                    "id": s.id, "label": s.label, "role": s.role, "decided_by": s.decided_by,
                })
            })
            .collect();
        let out = serde_json::json!({
            "format": t.provider.as_ref().map(|p| p.name.clone()),
            "duration_ms": t.duration_ms,
            "utterances": t.utterances.len(),
            "language": t.language,
            "speakers": speakers,
            "warnings": t.warnings,
            "metrics": m,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    print_table(&t, &m);
    Ok(())
}

fn secs(ms: u64) -> String {
    format!("{}:{:02}", ms / 60_000, (ms / 1000) % 60)
}

fn opt_secs(ms: Option<f64>) -> String {
    ms.map_or_else(|| "n/a".into(), |v| format!("{:.2} s", v / 1000.0))
}

fn print_table(t: &Transcript, m: &ConversationMetrics) {
    let source = t.provider.as_ref().map_or("?", |p| p.name.as_str());
    println!("source      {source}");
    println!("duration    {}", secs(t.duration_ms));
    println!("utterances  {}", t.utterances.len());
    if let Some(l) = &t.language {
        println!("language    {}", l.tag);
    }
    println!();
    println!(
        "{:<4} {:<16} {:<8} how the role was decided",
        "id", "label", "role"
    );
    for s in &t.speakers {
        let role = serde_json::to_value(s.role)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        println!(
            "{:<4} {:<16} {:<8} {}",
            s.id.0,
            s.label.as_str(),
            role,
            decided(&s.decided_by)
        );
    }
    for w in &t.warnings {
        println!("warning: {} ({})", w.message, w.code);
    }
    println!();
    println!(
        "{:<32} {:>10} {:>10} {:>10}",
        "metric", "rep", "client", "other"
    );
    let row3 = |name: &str, r: String, c: String, o: String| {
        println!("{name:<32} {r:>10} {c:>10} {o:>10}");
    };
    let pct = |v: f64| format!("{:.1}%", v * 100.0);
    row3(
        "talk ratio",
        pct(m.talk_ratio.rep),
        pct(m.talk_ratio.client),
        pct(m.talk_ratio.other),
    );
    row3(
        "talk time",
        secs(m.talk_ms.rep),
        secs(m.talk_ms.client),
        secs(m.talk_ms.other),
    );
    row3(
        "questions",
        m.questions.rep.to_string(),
        m.questions.client.to_string(),
        m.questions.other.to_string(),
    );
    row3(
        "words",
        m.words.rep.to_string(),
        m.words.client.to_string(),
        m.words.other.to_string(),
    );
    let f1 = |v: f64| format!("{v:.1}");
    row3(
        "words per minute",
        f1(m.words_per_minute.rep),
        f1(m.words_per_minute.client),
        f1(m.words_per_minute.other),
    );
    row3(
        "fillers per 100 words",
        f1(m.fillers_per_100_words.rep),
        f1(m.fillers_per_100_words.client),
        f1(m.fillers_per_100_words.other),
    );
    row3(
        "interruptions",
        m.interruptions.rep.to_string(),
        m.interruptions.client.to_string(),
        m.interruptions.other.to_string(),
    );
    let q = m.questions_by_third;
    row3(
        "questions by third",
        format!("{:?}", q.rep),
        format!("{:?}", q.client),
        format!("{:?}", q.other),
    );
    println!();
    println!(
        "{:<32} {}",
        "longest rep monologue",
        secs(m.longest_rep_monologue_ms)
    );
    println!(
        "{:<32} {}",
        "longest customer story",
        secs(m.longest_customer_story_ms)
    );
    println!(
        "{:<32} {:.2}",
        "interactivity (switches/min)", m.interactivity_per_min
    );
    println!(
        "{:<32} mean {} · median {} · p90 {} ({} handovers)",
        "patience",
        opt_secs(m.patience.mean_ms),
        opt_secs(m.patience.median_ms),
        opt_secs(m.patience.p90_ms),
        m.patience.samples
    );
    println!("{:<32} {:.1}%", "silence", m.silence_share * 100.0);
    println!("{:<32} {:.1} s", "overlap", m.overlap_ms as f64 / 1000.0);
    println!("{:<32} {}", "speakers", m.speaker_count);
}
