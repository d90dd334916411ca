//! Scorecards as text for people.

use std::fmt::Write as _;

use closeq_core::{ReviewState, Rubric, Scorecard, Verdict};

macro_rules! ln {
    ($out:expr, $($arg:tt)*) => {{
        let _ = writeln!($out, $($arg)*);
    }};
}

fn ts(ms: u64) -> String {
    format!("{:02}:{:02}", ms / 60_000, (ms / 1000) % 60)
}

fn verdict(v: Verdict) -> &'static str {
    match v {
        Verdict::Met => "MET",
        Verdict::Partial => "PARTIAL",
        Verdict::Missed => "MISSED",
        Verdict::NotApplicable => "N/A",
        Verdict::InsufficientEvidence => "INSUFFICIENT",
    }
}

/// The review line every output carries (EU AI Act Art. 14).
pub fn review_line(s: &Scorecard) -> String {
    match s.review() {
        ReviewState::Suggested => "AI suggestion — not yet reviewed by a human".into(),
        ReviewState::Accepted { at, .. } => format!("reviewed: accepted on {}", at.date_naive()),
        ReviewState::Overridden { at, .. } => {
            format!("reviewed: overridden on {}", at.date_naive())
        }
        ReviewState::Rejected { at, .. } => format!("reviewed: rejected on {}", at.date_naive()),
    }
}

/// A scorecard as text for people: the score, the review state (every
/// rendering says whether a person has reviewed it), each criterion with
/// up to two quotes, coaching notes, recommendations and issues.
pub fn render_scorecard(s: &Scorecard, rubric: &Rubric) -> String {
    let mut out = String::new();
    ln!(
        out,
        "{} {} — score {:.1}/100  [{}]",
        rubric.name,
        rubric.version,
        s.score.value(),
        review_line(s)
    );
    for r in &s.criteria {
        let title = rubric
            .all_criteria()
            .into_iter()
            .find(|c| c.id == r.criterion_id)
            .map_or(r.criterion_id.as_str(), |c| c.title.as_str());
        ln!(
            out,
            "  {:<12} {:<32} {:.2}/{:.2}",
            verdict(r.verdict),
            title,
            r.points,
            r.weight
        );
        if !r.rationale.is_empty() {
            ln!(out, "      why: {}", r.rationale.as_str());
        }
        for e in r.evidence.iter().take(2) {
            ln!(
                out,
                "      [{}] {:?}: “{}”",
                ts(e.start_ms),
                e.speaker_role,
                e.quote.as_str()
            );
        }
    }
    if !s.coaching_notes.is_empty() {
        ln!(out, "  coaching:");
        for n in &s.coaching_notes {
            let at = n
                .at_ms
                .first()
                .map(|t| format!(" [{}]", ts(*t)))
                .unwrap_or_default();
            ln!(out, "    - {}{at}", n.text.as_str());
            if let Some(src) = &n.source {
                ln!(out, "      source: {src}");
            }
        }
    }
    if !s.recommendations.is_empty() {
        ln!(out, "  recommendations:");
        for r in &s.recommendations {
            ln!(out, "    - {}", r.text.as_str());
        }
    }
    if !s.issues.is_empty() {
        ln!(out, "  issues:");
        for i in &s.issues {
            ln!(
                out,
                "    - [{:?}] {}: {}",
                i.severity,
                i.kind,
                i.text.as_str()
            );
        }
    }
    out
}
