//! The HTML rendering of a coaching report: one self-contained page
//! (inline CSS and SVG, no script, no outside resource).

use std::fmt::Write;

use super::markdown::{change_text, clock, figure, reference, safe_url, title};
use super::report::{CoachingReport, Highlight};
use crate::chart::{Measured, Series, esc, measured_against, trend};

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#1a202c}\
.oversight{background:#fefcbf;border-left:4px solid #d69e2e;padding:.6em 1em}\
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #cbd5e0;padding:.3em .6em;text-align:left}\
td.n{text-align:right}.charts{display:flex;flex-wrap:wrap;gap:12px}figure{margin:0}figcaption{font-weight:600;font-size:.9em}.quote{font-style:italic}";

fn highlights(out: &mut String, heading: &str, list: &[Highlight]) {
    let _ = write!(out, "<h2>{}</h2>", esc(heading));
    if list.is_empty() {
        out.push_str("<p>No criterion has a reviewed score yet.</p>");
        return;
    }
    out.push_str("<ul>");
    for h in list {
        let _ = write!(
            out,
            "<li><strong>{}</strong>: mean {:.1} over {} reviewed calls<ul>",
            esc(&h.title),
            h.mean,
            h.reviewed_calls
        );
        for m in &h.moments {
            let at = esc(&clock(m.at_ms));
            let place = match m.audio_url.as_ref().and_then(|u| safe_url(u.as_str())) {
                Some(url) => format!(r#"<a href="{}">{at}</a>"#, esc(url)),
                None => at,
            };
            let _ = write!(
                out,
                r#"<li>call {} ({}) at {place}, {:?}: <span class="quote">“{}”</span></li>"#,
                m.call_id,
                m.call_started_at.date_naive(),
                m.speaker,
                esc(m.quote.as_str())
            );
        }
        if let Some(f) = &h.focus {
            let _ = write!(out, "<li>Focus: {}</li>", esc(f));
        }
        out.push_str("</ul></li>");
    }
    out.push_str("</ul>");
}

/// Renders the report as one self-contained HTML page with a trend chart
/// per criterion (the subject's weekly mean and the comparison group's
/// weekly median; the `<svg>` ids are `trend-` and the criterion id) and a
/// metrics chart (`metrics`).
pub fn html(r: &CoachingReport) -> String {
    let t = title(r);
    let mut out = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>",
        esc(&t)
    );
    let _ = write!(
        out,
        "<h1>{}</h1><p>Rubric {} {} ({}). Compared with the {} median. Generated {}.</p>",
        esc(&t),
        esc(&r.rubric.id),
        esc(&r.rubric.version),
        esc(&r.rubric.title),
        esc(&r.peers),
        r.generated_at.format("%Y-%m-%d %H:%M UTC")
    );
    let _ = write!(
        out,
        r#"<p class="oversight" id="oversight"><strong>Human oversight.</strong> {}</p>"#,
        esc(&r.oversight.statement)
    );
    let slots: Vec<String> = r.weeks.iter().map(|d| d.to_string()).collect();
    out.push_str(r#"<h2>Criteria</h2><div class="charts">"#);
    for c in &r.criteria {
        let series = [
            Series {
                name: "reviewed mean".into(),
                colour: "#2b6cb0",
                values: c.weekly.clone(),
                dashed: false,
            },
            Series {
                name: format!("{} median", r.peers),
                colour: "#dd6b20",
                values: c.peer_weekly_median.clone(),
                dashed: true,
            },
        ];
        let _ = write!(
            out,
            "<figure><figcaption>{}</figcaption>{}</figure>",
            esc(&c.title),
            trend(
                &format!("trend-{}", c.criterion_id),
                &series,
                &slots,
                &c.title,
                "reviewed score",
            )
        );
    }
    out.push_str("</div>");
    let _ = write!(
        out,
        "<table><tr><th>Criterion</th><th>Mean</th><th>{} median</th><th>Change (later half − earlier half)</th><th>Reviewed calls</th></tr>",
        esc(&r.peers)
    );
    for c in &r.criteria {
        let _ = write!(
            out,
            r#"<tr><td>{}</td><td class="n">{}</td><td class="n">{}</td><td>{}</td><td class="n">{}</td></tr>"#,
            esc(&c.title),
            figure(c.mean),
            figure(c.peer_median),
            esc(&change_text(c.change.as_ref())),
            c.reviewed_calls
        );
    }
    out.push_str("</table>");
    highlights(&mut out, "Strongest criteria", &r.strongest);
    highlights(&mut out, "Weakest criteria", &r.weakest);

    out.push_str("<h2>Conversation metrics</h2>");
    if !r.metrics.is_empty() {
        let rows: Vec<Measured> = r
            .metrics
            .iter()
            .map(|m| {
                let refs: Vec<f64> = [m.low, m.target, m.high].into_iter().flatten().collect();
                let low = refs.iter().copied().fold(f64::INFINITY, f64::min);
                let high = refs.iter().copied().fold(0.0, f64::max);
                Measured {
                    label: format!("{} ({})", m.label, m.unit),
                    value: m.value,
                    low: if low.is_finite() { low } else { 0.0 },
                    high,
                }
            })
            .collect();
        out.push_str(&measured_against(
            "metrics",
            &rows,
            "Conversation metrics against the benchmark",
        ));
    }
    out.push_str("<table><tr><th>Metric</th><th>Mean</th><th>Calls</th><th>Benchmark</th><th>Source</th></tr>");
    for m in &r.metrics {
        let _ = write!(
            out,
            r#"<tr><td>{} ({})</td><td class="n">{:.2}</td><td class="n">{}</td><td>{}</td><td>{}</td></tr>"#,
            esc(&m.label),
            esc(&m.unit),
            m.value,
            m.calls,
            esc(&reference(m)),
            esc(&m.sources.join("; "))
        );
    }
    out.push_str("</table>");
    if !r.reps.is_empty() {
        out.push_str("<h2>Reps (by name)</h2><table><tr><th>Rep</th><th>Calls</th><th>Reviewed</th><th>Unreviewed</th><th>Mean reviewed criterion score</th></tr>");
        for p in &r.reps {
            let _ = write!(
                out,
                r#"<tr><td>{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td></tr>"#,
                esc(p.name.as_str()),
                p.calls,
                p.reviewed,
                p.unreviewed,
                figure(p.mean_reviewed_score)
            );
        }
        out.push_str("</table>");
    }
    out.push_str(r#"<h2>Unreviewed calls (not counted)</h2><ul id="unreviewed">"#);
    if r.oversight.unreviewed_calls.is_empty() {
        out.push_str("<li>None.</li>");
    }
    for c in &r.oversight.unreviewed_calls {
        let _ = write!(
            out,
            "<li>call {} ({})</li>",
            c.call_id,
            c.started_at.date_naive()
        );
    }
    out.push_str("</ul></body></html>");
    out
}
