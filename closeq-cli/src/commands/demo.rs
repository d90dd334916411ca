//! `closeq demo`: analyse the bundled sample calls end to end on the
//! embedded defaults — audio, local Whisper, transcript, metrics, heuristic
//! scorecards, stored in the local SQLite database and audio folder — and
//! print the scorecards side by side.

use std::sync::Arc;

use anyhow::Context;
use closeq_analysis::rubric::builtin_rubric;
use closeq_analysis::scoring::HeuristicScorer;
use closeq_analysis::transcript::{Format, ImportOptions, import};
use closeq_core::{CallOutcome, ChannelLayout, Clock, SystemClock, Verdict};
use closeq_pipeline::AnalyzeRequest;
use closeq_stt::samples::SAMPLE_CALLS;

use closeq_pipeline::LocalInstallation;

/// The bundled sample calls: (file name, transcript, outcome, call type).
const SAMPLES: &[(&str, &str, CallOutcome, &str)] = &[
    (
        "01_discovery_won",
        include_str!("../../samples/01_discovery_won.txt"),
        CallOutcome::Won,
        "discovery",
    ),
    (
        "02_discovery_lost",
        include_str!("../../samples/02_discovery_lost.txt"),
        CallOutcome::Lost,
        "discovery",
    ),
    (
        "03_demo_follow_up",
        include_str!("../../samples/03_demo_follow_up.txt"),
        CallOutcome::NextStepBooked,
        "demo",
    ),
    (
        "04_qualification_backchannels",
        include_str!("../../samples/04_qualification_backchannels.txt"),
        CallOutcome::NextStepBooked,
        "discovery",
    ),
    (
        "05_demo_fast_talker",
        include_str!("../../samples/05_demo_fast_talker.txt"),
        CallOutcome::NextStepBooked,
        "demo",
    ),
];

fn mark(v: Verdict) -> &'static str {
    match v {
        Verdict::Met => "met",
        Verdict::Partial => "partial",
        Verdict::Missed => "MISSED",
        Verdict::NotApplicable => "n/a",
        Verdict::InsufficientEvidence => "unverified",
    }
}

/// `closeq demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Start from the sample transcripts instead of the audio (no
    /// speech-to-text, no model needed).
    #[arg(long)]
    pub transcripts: bool,
    #[command(flatten)]
    pub stt: super::audio::SttArgs,
}

/// Runs the demo.
pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let state = LocalInstallation::open().await?;
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let stt = if args.transcripts {
            None
        } else {
            Some(super::audio::engine(&args.stt)?)
        };
        println!(
            "CloseQ demo — embedded defaults: SQLite at {}, {}, heuristic scorer, no network.",
            state.db_label(),
            if stt.is_some() {
                "local Whisper"
            } else {
                "sample transcripts (no speech-to-text)"
            }
        );
        println!("The sample calls are synthetic: espeak-ng voices reading scripted calls.\n");
        let mut columns = Vec::new();
        for (i, (name, text, outcome, call_type)) in SAMPLES.iter().enumerate() {
            let rubric = builtin_rubric(call_type)?;
            let bar = super::audio::progress_bar(name);
            let mut builder = state
                .analyzer()?
                .scorer(Arc::new(HeuristicScorer::new(clock.clone())))
                .on_progress(super::audio::on_progress(bar.clone()));
            let sample = SAMPLE_CALLS.get(i).filter(|_| stt.is_some());
            let mut req = match (sample, &stt) {
                (Some(sample), Some(stt)) => {
                    builder = builder.speech_to_text(stt.clone());
                    let layout = ChannelLayout::Stereo {
                        rep_channel: sample.reference().rep_channel,
                    };
                    AnalyzeRequest::audio(sample.audio, layout, rubric.clone())
                }
                _ => {
                    let t = import(
                        text.as_bytes(),
                        Some(Format::Script),
                        &ImportOptions::default().with_rep_speaker("Rep"),
                    )
                    .with_context(|| format!("sample {name}"))?;
                    AnalyzeRequest::transcript(t, rubric.clone())
                }
            };
            req.call.outcome = *outcome;
            req.call.call_type = Some((*call_type).to_owned());
            let analysed = builder
                .build()?
                .analyze(state.owner_scope(), req)
                .await
                .with_context(|| format!("sample {name}"));
            bar.finish_and_clear();
            let analysed = analysed?;
            // How well speech-to-text heard the scripted call.
            let wer = sample.map(|sample| {
                let heard: Vec<&str> = analysed
                    .transcript
                    .utterances
                    .iter()
                    .map(|u| u.text.as_str())
                    .collect();
                closeq_core::word_error_rate(&sample.reference().text(), &heard.join(" "))
            });
            let rtf = analysed
                .transcript
                .provider
                .as_ref()
                .and_then(|p| p.processing.as_ref())
                .and_then(|p| p.real_time_factor);
            let card = analysed
                .scorecards
                .into_iter()
                .next()
                .with_context(|| format!("sample {name}: no scorecard"))?;
            columns.push((
                name.to_string(),
                rubric,
                card,
                analysed.metrics,
                *outcome,
                wer,
                rtf,
            ));
        }
        // Side by side.
        let w = columns
            .iter()
            .map(|c| c.0.len() + 2)
            .max()
            .unwrap_or(0)
            .max(22);
        print!("{:<28}", "");
        for (name, ..) in &columns {
            print!("{name:<w$}");
        }
        println!();
        let row = |label: &str, cells: Vec<String>| {
            print!("{label:<28}");
            for c in cells {
                print!("{c:<w$}");
            }
            println!();
        };
        row(
            "outcome",
            columns.iter().map(|c| format!("{:?}", c.4)).collect(),
        );
        row("rubric", columns.iter().map(|c| c.1.name.clone()).collect());
        row(
            "score /100",
            columns
                .iter()
                .map(|c| format!("{:.1}", c.2.score.value()))
                .collect(),
        );
        if columns.iter().any(|c| c.5.is_some()) {
            row(
                "word error rate",
                columns
                    .iter()
                    .map(|c| c.5.map_or("-".into(), |w| format!("{:.1}%", w * 100.0)))
                    .collect(),
            );
            row(
                "real-time factor",
                columns
                    .iter()
                    .map(|c| c.6.map_or("-".into(), |r| format!("{r:.1}x")))
                    .collect(),
            );
        }
        row(
            "review",
            columns.iter().map(|_| "AI suggestion".to_owned()).collect(),
        );
        row(
            "rep talk ratio",
            columns
                .iter()
                .map(|c| format!("{:.0}%", c.3.talk_ratio.rep * 100.0))
                .collect(),
        );
        row(
            "rep questions",
            columns
                .iter()
                .map(|c| c.3.questions.rep.to_string())
                .collect(),
        );
        row(
            "longest rep monologue",
            columns
                .iter()
                .map(|c| format!("{:.0} s", c.3.longest_rep_monologue_ms as f64 / 1000.0))
                .collect(),
        );
        println!();
        for (name, rubric, card, ..) in &columns {
            println!("{name} — {} {:.1}/100", rubric.name, card.score.value());
            for r in &card.criteria {
                let criterion = rubric
                    .all_criteria()
                    .into_iter()
                    .find(|c| c.id == r.criterion_id);
                let title = criterion.map_or(r.criterion_id.clone(), |c| c.title.clone());
                // A metric verdict says what was measured and where; any
                // other cites its first quote with its time.
                let metric = criterion
                    .is_some_and(|c| matches!(c.met_when, Some(closeq_core::Cue::Metric { .. })));
                let why = if metric {
                    let text = r.rationale.as_str();
                    let text = text.split_once(": ").map_or(text, |(_, rest)| rest);
                    format!(" — {text}")
                } else {
                    r.evidence
                        .first()
                        .map(|e| {
                            let s = e.start_ms / 1000;
                            format!(" — [{}:{:02}] “{}”", s / 60, s % 60, e.quote.as_str())
                        })
                        .unwrap_or_default()
                };
                println!("  {:<8} {title}{why}", mark(r.verdict));
            }
            for n in &card.coaching_notes {
                println!("  coaching: {}", n.text.as_str());
            }
            for i in card.issues.iter().filter(|i| i.kind == "no_next_step") {
                println!("  issue: {}", i.text.as_str());
            }
            println!();
        }
        println!(
            "Stored {} calls with transcripts and scorecards in {}.",
            columns.len(),
            state.db_label()
        );
        Ok(())
    })
}
