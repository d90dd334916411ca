//! The Markdown rendering of a coaching report.

use std::fmt::Write;

use super::report::{Change, CoachingReport, Highlight, MetricComparison, Moment, ReportSubject};

/// `m:ss` of a millisecond offset.
pub(super) fn clock(ms: u64) -> String {
    let s = ms / 1000;
    format!("{}:{:02}", s / 60, s % 60)
}

/// A figure with one decimal, `—` when absent.
pub(super) fn figure(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |v| format!("{v:.1}"))
}

/// A change as `+12.5 (95 % CI +3.1 to +20.0)`.
pub(super) fn change_text(c: Option<&Change>) -> String {
    match c {
        None => "— (a half of the period has no reviewed call)".into(),
        Some(c) => match c.interval {
            Some((lo, hi)) => format!("{:+.1} (95 % CI {lo:+.1} to {hi:+.1})", c.delta),
            None => format!("{:+.1} (interval undefined)", c.delta),
        },
    }
}

/// The report's title line.
pub(super) fn title(r: &CoachingReport) -> String {
    let who = match &r.subject {
        ReportSubject::Rep { name, .. } => format!("rep {}", name.as_str()),
        ReportSubject::Team { name, .. } => format!("team {name}"),
    };
    format!(
        "Coaching report: {who}, {} to {}",
        r.from.date_naive(),
        r.to.date_naive()
    )
}

/// A metric's reference in words.
pub(super) fn reference(m: &MetricComparison) -> String {
    let mut parts = Vec::new();
    if let Some(l) = m.low {
        parts.push(format!("at least {l}"));
    }
    if let Some(t) = m.target {
        parts.push(format!("about {t}"));
    }
    if let Some(h) = m.high {
        parts.push(format!("at most {h}"));
    }
    parts.join(", ")
}

/// Text as Markdown that renders as itself: every character Markdown or
/// inline HTML gives meaning to is backslash-escaped (quotes, names and
/// rubric texts come from transcripts and members), line breaks become
/// spaces.
pub(super) fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '+' | '-' | '.'
            | '!' | '|' | '<' | '>' | '&' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// A link only to an `https://` or `http://` URL (a signed audio link);
/// anything else is not a link.
pub(super) fn safe_url(url: &str) -> Option<&str> {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")).then_some(url)
}

fn moment_line(out: &mut String, m: &Moment) {
    let at = clock(m.at_ms);
    let place = match m.audio_url.as_ref().and_then(|u| safe_url(u.as_str())) {
        Some(url) => format!("[{at}](<{}>)", url.replace(['<', '>', ' '], "")),
        None => at,
    };
    let _ = writeln!(
        out,
        "  - call {} ({}) at {place}, {:?}: “{}”",
        m.call_id,
        m.call_started_at.date_naive(),
        m.speaker,
        md(m.quote.as_str())
    );
}

fn highlights(out: &mut String, heading: &str, list: &[Highlight]) {
    let _ = writeln!(out, "\n## {heading}\n");
    if list.is_empty() {
        let _ = writeln!(out, "No criterion has a reviewed score yet.");
    }
    for h in list {
        let _ = writeln!(
            out,
            "- **{}**: mean {:.1} over {} reviewed calls",
            md(&h.title),
            h.mean,
            h.reviewed_calls
        );
        for m in &h.moments {
            moment_line(out, m);
        }
        if let Some(f) = &h.focus {
            let _ = writeln!(out, "  - Focus: {}", md(f));
        }
    }
}

/// Renders the report as Markdown.
pub fn markdown(r: &CoachingReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", md(&title(r)));
    let _ = writeln!(
        out,
        "Rubric {} {} ({}). Compared with the {} median. Generated {}.\n",
        md(&r.rubric.id),
        md(&r.rubric.version),
        md(&r.rubric.title),
        md(&r.peers),
        r.generated_at.format("%Y-%m-%d %H:%M UTC")
    );
    let _ = writeln!(
        out,
        "> **Human oversight.** {}\n",
        md(&r.oversight.statement)
    );
    let _ = writeln!(out, "## Criteria\n");
    let _ = writeln!(
        out,
        "| Criterion | Mean | {} median | Change (later half − earlier half) | Reviewed calls |\n|---|---:|---:|---|---:|",
        md(&r.peers)
    );
    for c in &r.criteria {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            md(&c.title),
            figure(c.mean),
            figure(c.peer_median),
            change_text(c.change.as_ref()),
            c.reviewed_calls
        );
    }
    highlights(&mut out, "Strongest criteria", &r.strongest);
    highlights(&mut out, "Weakest criteria", &r.weakest);
    let _ = writeln!(out, "\n## Conversation metrics\n");
    let _ = writeln!(
        out,
        "| Metric | Mean | Calls | Benchmark | Within |\n|---|---:|---:|---|---|"
    );
    for m in &r.metrics {
        let _ = writeln!(
            out,
            "| {} ({}) | {:.2} | {} | {} | {} |",
            md(&m.label),
            md(&m.unit),
            m.value,
            m.calls,
            reference(m),
            match m.within {
                Some(true) => "yes",
                Some(false) => "no",
                None => "—",
            }
        );
    }
    let mut sources: Vec<&str> = r
        .metrics
        .iter()
        .flat_map(|m| m.sources.iter().map(String::as_str))
        .collect();
    sources.sort_unstable();
    sources.dedup();
    for s in sources {
        let _ = writeln!(out, "\nSource: {}", md(s));
    }
    if !r.reps.is_empty() {
        let _ = writeln!(out, "\n## Reps (by name)\n");
        let _ = writeln!(
            out,
            "| Rep | Calls | Reviewed | Unreviewed | Mean reviewed criterion score |\n|---|---:|---:|---:|---:|"
        );
        for p in &r.reps {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                md(p.name.as_str()),
                p.calls,
                p.reviewed,
                p.unreviewed,
                figure(p.mean_reviewed_score)
            );
        }
    }
    let _ = writeln!(out, "\n## Unreviewed calls (not counted)\n");
    if r.oversight.unreviewed_calls.is_empty() {
        let _ = writeln!(out, "None.");
    }
    for c in &r.oversight.unreviewed_calls {
        let _ = writeln!(out, "- call {} ({})", c.call_id, c.started_at.date_naive());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_renders_as_itself() {
        let hostile = "<img src=//x/y> [a](javascript:alert(1)) ![t](//x) **b** | `c`\nnext";
        let out = md(hostile);
        assert!(!out.contains('\n'));
        let chars: Vec<char> = out.chars().collect();
        for (i, c) in chars.iter().enumerate() {
            if "<>[]()!*`|".contains(*c) {
                assert!(i > 0 && chars[i - 1] == '\\', "an unescaped {c} in {out}");
            }
        }
        assert_eq!(safe_url("javascript:alert(1)"), None);
        assert_eq!(safe_url("HTTPS://a.example/x"), Some("HTTPS://a.example/x"));
    }
}
