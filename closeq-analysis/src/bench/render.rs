//! The report as Markdown (for pull requests) and as one self-contained
//! HTML page with inline SVG charts (no scripts, no external files).

use std::fmt::Write;

use super::report::{BenchReport, PairReport, StatWithCi};
use crate::agreement::Stat;
use crate::chart::{Bar, bars_with_ci, bland_altman, esc, histograms, scatter, variance};

fn stat(s: &Stat) -> String {
    match s {
        Stat::Value(v) => format!("{v:.3}"),
        Stat::Undefined(r) => format!("undefined ({r})"),
    }
}

fn with_ci(s: &StatWithCi) -> String {
    match &s.ci {
        Some(ci) => format!("{} [{:.3}, {:.3}]", stat(&s.value), ci.low, ci.high),
        None => stat(&s.value),
    }
}

fn overall_rows(p: &PairReport) -> Vec<(String, String)> {
    let o = &p.overall;
    let mut rows = vec![
        (
            "calls".into(),
            format!("{} ({} failed requests)", o.n, p.errors),
        ),
        ("MAE".into(), with_ci(&o.mae)),
        ("RMSE".into(), stat(&o.rmse)),
        ("mean bias (scorer − human)".into(), stat(&o.bias)),
        ("Pearson r".into(), with_ci(&o.pearson)),
        ("Spearman rho".into(), stat(&o.spearman)),
        ("Kendall tau-b".into(), stat(&o.kendall_tau_b)),
        (format!("within {} points", o.k), stat(&o.within_k)),
        ("ICC(2,1)".into(), with_ci(&o.icc2_1)),
        ("ICC(3,1)".into(), stat(&o.icc3_1)),
        (
            "raters' ICC(2,1) (ceiling)".into(),
            stat(&p.human_overall_icc2_1),
        ),
        ("mean quadratic kappa".into(), stat(&p.mean_kappa_quadratic)),
        (
            "latency p50 / p95".into(),
            format!("{:.1} ms / {:.1} ms", p.latency.p50_ms, p.latency.p95_ms),
        ),
        (
            "tokens in / out".into(),
            format!("{} / {}", p.tokens.input_tokens, p.tokens.output_tokens),
        ),
        (
            "cost".into(),
            p.cost_usd
                .map_or_else(|| "-".into(), |c| format!("${c:.4}")),
        ),
    ];
    if let Some(r) = &p.retest {
        rows.push((
            format!("test–retest ICC(2,1), {} repeats", r.repeats),
            stat(&r.icc2_1),
        ));
        rows.push((
            format!("pass/fail flips at {}", r.threshold),
            stat(&r.flip_rate),
        ));
        rows.push(("mean score SD across repeats".into(), stat(&r.mean_sd)));
    }
    rows
}

/// Markdown: one section per scorer × rubric.
pub fn render_markdown(r: &BenchReport) -> String {
    let mut s = format!(
        "# CloseQ rubric benchmark\n\n{} calls, raters: {}. Intervals: 95 % percentile bootstrap, {} resamples, seed {}.\n",
        r.dataset_calls,
        r.raters.join(", "),
        r.resamples,
        r.seed
    );
    for p in &r.pairs {
        let _ = write!(
            s,
            "\n## {} on {}\n\n| statistic | value |\n|---|---|\n",
            p.scorer, p.rubric
        );
        for (k, v) in overall_rows(p) {
            let _ = writeln!(s, "| {k} | {v} |");
        }
        s.push_str("\n| criterion | n | exact | kappa | linear | quadratic [95 % CI] | raters' quadratic | raters' Fleiss | raters' alpha (ordinal) |\n|---|---|---|---|---|---|---|---|---|\n");
        for c in &p.criteria {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                c.criterion,
                c.n,
                stat(&c.exact),
                stat(&c.kappa),
                stat(&c.kappa_linear),
                with_ci(&c.kappa_quadratic),
                stat(&c.human.kappa_quadratic),
                stat(&c.human.fleiss),
                stat(&c.human.alpha_ordinal)
            );
        }
    }
    s
}

fn confusion_table(m: &[[u32; 3]; 3]) -> String {
    let max = m.iter().flatten().copied().max().unwrap_or(1).max(1) as f64;
    let names = ["missed", "partial", "met"];
    let mut s = String::from(
        "<table class=\"cm\"><tr><th>human \\ scorer</th><th>missed</th><th>partial</th><th>met</th></tr>",
    );
    for (i, row) in m.iter().enumerate() {
        let _ = write!(s, "<tr><th>{}</th>", names[i]);
        for v in row {
            let a = f64::from(*v) / max * 0.8;
            let _ = write!(
                s,
                "<td style=\"background:rgba(43,108,176,{a:.2})\">{v}</td>"
            );
        }
        s.push_str("</tr>");
    }
    s.push_str("</table>");
    s
}

/// One HTML page, viewable offline: tables and inline SVG charts.
pub fn render_html(r: &BenchReport) -> String {
    let mut s = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>CloseQ rubric benchmark</title><style>\
body{font-family:system-ui,sans-serif;margin:2rem;max-width:1200px;color:#1a202c}\
table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{border:1px solid #cbd5e0;padding:.25rem .5rem;font-size:.85rem;text-align:left}\
.charts{display:flex;flex-wrap:wrap;gap:1rem}.cm td{text-align:center;min-width:3rem}\
section{border-top:2px solid #2b6cb0;margin-top:2rem}.cms{display:flex;flex-wrap:wrap;gap:1rem}\
</style></head><body>",
    );
    let _ = write!(
        s,
        "<h1>CloseQ rubric benchmark</h1><p>{} calls; raters: {}. Intervals: 95&nbsp;% percentile bootstrap, {} resamples, seed {}. Report format v{}.</p>",
        r.dataset_calls,
        esc(&r.raters.join(", ")),
        r.resamples,
        r.seed,
        r.version
    );
    for p in &r.pairs {
        let title = format!("{} on {}", p.scorer, p.rubric);
        let _ = write!(s, "<section><h2>{}</h2><table>", esc(&title));
        for (k, v) in overall_rows(p) {
            let _ = write!(s, "<tr><th>{}</th><td>{}</td></tr>", esc(&k), esc(&v));
        }
        s.push_str("</table><div class=\"charts\">");
        s.push_str(&scatter(&p.points, &format!("{title}: human vs scorer")));
        s.push_str(&bland_altman(&p.points, &format!("{title}: Bland–Altman")));
        let bars: Vec<Bar> = p
            .criteria
            .iter()
            .map(|c| {
                (
                    c.criterion.clone(),
                    c.kappa_quadratic.value.value(),
                    c.kappa_quadratic.ci.as_ref().map(|i| (i.low, i.high)),
                )
            })
            .collect();
        let ceiling: Vec<Option<f64>> = p
            .criteria
            .iter()
            .map(|c| c.human.kappa_quadratic.value())
            .collect();
        s.push_str(&bars_with_ci(
            &bars,
            &ceiling,
            &format!("{title}: quadratic kappa per criterion (orange: raters)"),
        ));
        let human: Vec<f64> = p.points.iter().map(|x| x.1).collect();
        let scorer: Vec<f64> = p.points.iter().map(|x| x.2).collect();
        s.push_str(&histograms(
            &human,
            &scorer,
            &format!("{title}: score distributions"),
        ));
        if let Some(rt) = &p.retest {
            s.push_str(&variance(
                &rt.per_call_sd,
                &format!("{title}: variance across {} repeats", rt.repeats),
            ));
        }
        s.push_str("</div><h3>Criteria</h3><table><tr><th>criterion</th><th>n</th><th>exact</th><th>kappa</th><th>linear</th><th>quadratic [95&nbsp;% CI]</th><th>raters' quadratic</th><th>raters' Fleiss</th><th>raters' alpha</th></tr>");
        for c in &p.criteria {
            let _ = write!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&c.criterion),
                c.n,
                esc(&stat(&c.exact)),
                esc(&stat(&c.kappa)),
                esc(&stat(&c.kappa_linear)),
                esc(&with_ci(&c.kappa_quadratic)),
                esc(&stat(&c.human.kappa_quadratic)),
                esc(&stat(&c.human.fleiss)),
                esc(&stat(&c.human.alpha_ordinal))
            );
        }
        s.push_str("</table><h3>Confusion matrices</h3><div class=\"cms\">");
        for c in &p.criteria {
            let _ = write!(
                s,
                "<div><h4>{}</h4>{}</div>",
                esc(&c.criterion),
                confusion_table(&c.confusion)
            );
        }
        s.push_str("</div></section>");
    }
    s.push_str("</body></html>\n");
    s
}
