//! Coaching notes, recommendations and identified issues, derived from the
//! verdicts and the metrics against the benchmark pack. Every note that
//! cites a benchmark carries its public source; every note points at the
//! moments in the call it is about.

use closeq_core::{
    CoachingNote, ConversationMetrics, CriterionResult, IdentifiedIssue, Recommendation, Rubric,
    Severity, Transcript, Verdict,
};

use super::compile::CompiledCriterion;
use super::evidence::cite_utterance;
use super::facts::CallFacts;
use crate::metrics::BenchmarkPack;

fn flatten<'a>(cs: &'a [CompiledCriterion], out: &mut Vec<&'a CompiledCriterion>) {
    for c in cs {
        out.push(c);
        flatten(&c.children, out);
    }
}

fn pct(v: f64) -> String {
    format!("{:.0}%", v * 100.0)
}

/// Derives notes, recommendations and issues.
#[allow(clippy::too_many_arguments)]
pub(crate) fn derive(
    t: &Transcript,
    m: &ConversationMetrics,
    pack: &BenchmarkPack,
    rubric: &Rubric,
    criteria: &[CompiledCriterion],
    results: &[CriterionResult],
    facts: &CallFacts,
    call_type: Option<&str>,
) -> (Vec<CoachingNote>, Vec<Recommendation>, Vec<IdentifiedIssue>) {
    let mut notes = Vec::new();
    let mut recs = Vec::new();
    let mut issues = Vec::new();
    let spoke = m.talk_ms.rep + m.talk_ms.client > 0;
    let rep_start: Vec<u64> = facts
        .longest_rep
        .and_then(|i| t.utterances.get(i as usize))
        .map(|u| vec![u.start_ms])
        .unwrap_or_default();

    if let (Some(target), Some(max)) = (
        pack.get("rep_talk_ratio_target"),
        pack.get("rep_talk_ratio_max"),
    ) && spoke
        && m.talk_ratio.rep > max.value
    {
        notes.push(CoachingNote {
                text: format!(
                    "You talked {} of the call; top performers stay near {}. Ask an open question and let the client tell the story.",
                    pct(m.talk_ratio.rep),
                    pct(target.value)
                )
                .into(),
                about: Some("rep_talk_ratio".into()),
                source: Some(target.source.clone()),
                at_ms: rep_start.clone(),
            });
        issues.push(IdentifiedIssue {
            kind: "rep_dominated_conversation".into(),
            severity: Severity::Warning,
            text: format!(
                "rep talk ratio {} is above {}",
                pct(m.talk_ratio.rep),
                pct(max.value)
            )
            .into(),
            evidence: facts
                .longest_rep
                .and_then(|i| cite_utterance(t, &facts.roles, i))
                .into_iter()
                .collect(),
        });
    }
    if let Some(b) = pack.get("rep_monologue_max_secs") {
        let secs = m.longest_rep_monologue_ms as f64 / 1000.0;
        if secs > b.value {
            notes.push(CoachingNote {
                text: format!(
                    "Your longest monologue ran {secs:.0} s; keep the pitch under {:.0} s at a stretch and check in with a question.",
                    b.value
                )
                .into(),
                about: Some("longest_rep_monologue".into()),
                source: Some(b.source.clone()),
                at_ms: rep_start.clone(),
            });
            issues.push(IdentifiedIssue {
                kind: "long_monologue".into(),
                severity: Severity::Warning,
                text: format!("a rep monologue of {secs:.0} s").into(),
                evidence: facts
                    .longest_rep
                    .and_then(|i| cite_utterance(t, &facts.roles, i))
                    .into_iter()
                    .collect(),
            });
        }
    }
    let discovery =
        call_type == Some("discovery") || rubric.call_types.iter().any(|c| c == "discovery");
    if discovery
        && spoke
        && let (Some(lo), Some(hi)) = (
            pack.get("discovery_questions_min"),
            pack.get("discovery_questions_max"),
        )
    {
        let q = f64::from(m.questions.rep);
        if q < lo.value {
            notes.push(CoachingNote {
                text: format!(
                    "You asked {} question(s); in discovery calls top performers ask {:.0}–{:.0}.",
                    m.questions.rep, lo.value, hi.value
                )
                .into(),
                about: Some("rep_questions".into()),
                source: Some(lo.source.clone()),
                at_ms: Vec::new(),
            });
        }
    }
    if let (Some(b), Some(mean)) = (pack.get("patience_secs"), m.patience.mean_ms)
        && mean / 1000.0 < b.value * 0.5
        && m.patience.samples >= 3
    {
        notes.push(CoachingNote {
                text: format!(
                    "You answered {:.1} s after the client stopped on average; pausing about {:.0} s invites them to say more.",
                    mean / 1000.0,
                    b.value
                )
                .into(),
                about: Some("patience".into()),
                source: Some(b.source.clone()),
                at_ms: Vec::new(),
            });
    }

    let mut all = Vec::new();
    flatten(criteria, &mut all);
    for (c, r) in all.iter().zip(results) {
        if !matches!(r.verdict, Verdict::Missed) {
            continue;
        }
        let is_next_step = c.id.contains("next_step");
        recs.push(Recommendation {
            text: match &c.judge_question {
                Some(q) => format!("Cover “{}” next time. A reviewer would ask: {q}", c.title),
                None => format!("Cover “{}” next time.", c.title),
            }
            .into(),
            about: Some(c.id.clone()),
        });
        issues.push(IdentifiedIssue {
            kind: if is_next_step {
                "no_next_step".into()
            } else {
                format!("{}_not_covered", c.id)
            },
            severity: if is_next_step {
                Severity::Critical
            } else {
                Severity::Warning
            },
            text: if is_next_step {
                "no concrete next step with a date or time was agreed"
                    .to_owned()
                    .into()
            } else {
                format!("{} was not covered", c.title).into()
            },
            evidence: Vec::new(),
        });
    }
    (notes, recs, issues)
}
