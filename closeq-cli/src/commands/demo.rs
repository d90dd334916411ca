//! `closeq demo`: analyse the bundled sample calls end to end on the
//! embedded defaults — import, metrics, heuristic scorecards, stored in the
//! local SQLite database — and print the scorecards side by side.

use std::sync::Arc;

use anyhow::Context;
use closeq_analysis::metrics::{MetricsConfig, compute};
use closeq_analysis::rubric::builtin_rubric;
use closeq_analysis::scoring::HeuristicScorer;
use closeq_analysis::transcript::{Format, ImportOptions, import};
use closeq_core::ports::{CallStore, ScoringInput};
use closeq_core::{
    Call, CallDirection, CallOutcome, CallSource, CallStatus, Clock, SystemClock, Verdict,
};

use super::local::LocalState;

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

/// Runs the demo.
pub fn run() -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let state = LocalState::open().await?;
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let scorer = HeuristicScorer::new(clock.clone());
        println!(
            "CloseQ demo — embedded defaults: SQLite at {}, heuristic scorer, no network.",
            state.db_path.display()
        );
        println!("(Speech-to-text is not built yet: the samples are transcripts.)\n");
        let settings = {
            use closeq_core::ports::WorkspaceStore;
            state.store.get_workspace(&state.scope).await?.settings
        };
        let mut columns = Vec::new();
        for (name, text, outcome, call_type) in SAMPLES {
            let rubric = builtin_rubric(call_type)?;
            let t = import(
                text.as_bytes(),
                Some(Format::Script),
                &ImportOptions::default().with_rep_speaker("Rep"),
            )
            .with_context(|| format!("sample {name}"))?;
            let now = clock.now();
            let mut call = Call::new(
                state.scope.workspace_id,
                state.scope.user_id,
                now,
                CallDirection::Outbound,
                CallSource::Upload,
                now,
            );
            call.outcome = *outcome;
            call.call_type = Some((*call_type).to_owned());
            call.duration_ms = Some(t.duration_ms.max(1));
            call.status = CallStatus::Transcribed;
            // The workspace's AI switch and consent rules apply to the demo too.
            closeq_privacy::gates::check_analysis(
                &settings,
                call.id,
                None,
                closeq_privacy::gates::SubjectState::default(),
            )?;
            let m = compute(&t, &MetricsConfig::default());
            let card = {
                let compiled = scorer.compile(&rubric)?;
                scorer.score_compiled(
                    &ScoringInput {
                        call: &call,
                        transcript: &t,
                        metrics: &m,
                    },
                    &compiled,
                )?
            };
            state.store.insert_call(&state.scope, &call).await?;
            state
                .store
                .put_transcript(&state.scope, call.id, &t)
                .await?;
            state.store.insert_scorecard(&state.scope, &card).await?;
            state
                .store
                .transition_call(&state.scope, call.id, CallStatus::Analyzing)
                .await?;
            state
                .store
                .transition_call(&state.scope, call.id, CallStatus::Analyzed)
                .await?;
            columns.push((name.to_string(), rubric, card, m, *outcome));
        }
        // Side by side.
        let w = 22;
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
        for (name, rubric, card, _, _) in &columns {
            println!("{name} — {} {:.1}/100", rubric.name, card.score.value());
            for r in &card.criteria {
                let title = rubric
                    .all_criteria()
                    .into_iter()
                    .find(|c| c.id == r.criterion_id)
                    .map_or(r.criterion_id.clone(), |c| c.title.clone());
                let quote = r
                    .evidence
                    .first()
                    .map(|e| format!(" — “{}”", e.quote.as_str()))
                    .unwrap_or_default();
                println!("  {:<8} {title}{quote}", mark(r.verdict));
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
            state.db_path.display()
        );
        Ok(())
    })
}
