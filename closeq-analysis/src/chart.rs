//! Small, dependency-free SVG charts for the HTML reports: the scoring
//! benchmark's ([`crate::bench`]) and the coaching reports'
//! ([`crate::coaching`]). Every data point is an element of class `point`
//! carrying its value in `data-value`, so a browser check can count them.

use std::fmt::Write;

/// Escapes text for HTML and SVG (attributes and content).
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// What the axes' ends are labelled with.
#[derive(Clone, Copy)]
enum Ticks<'a> {
    /// The frame's numbers on both axes.
    Numbers,
    /// These labels at the ends of the x axis, numbers on the y axis.
    XLabels(&'a str, &'a str),
    /// No tick labels.
    None,
}

const W: f64 = 360.0;
const H: f64 = 260.0;
const PAD: f64 = 40.0;

struct Frame {
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
}

impl Frame {
    fn x(&self, v: f64) -> f64 {
        PAD + (v - self.x0) / (self.x1 - self.x0).max(1e-9) * (W - 2.0 * PAD)
    }
    fn y(&self, v: f64) -> f64 {
        H - PAD - (v - self.y0) / (self.y1 - self.y0).max(1e-9) * (H - 2.0 * PAD)
    }
    fn open(&self, title: &str, xl: &str, yl: &str) -> String {
        self.open_with_id(None, title, xl, yl, Ticks::Numbers)
    }
    fn open_with_id(
        &self,
        id: Option<&str>,
        title: &str,
        xl: &str,
        yl: &str,
        ticks: Ticks<'_>,
    ) -> String {
        let id = id
            .map(|i| format!(r#" id="{}""#, esc(i)))
            .unwrap_or_default();
        let mut s = format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg"{id} class="chart" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" aria-label="{t}"><title>{t}</title>"#,
            t = esc(title)
        );
        let _ = write!(
            s,
            r##"<rect x="{PAD}" y="{PAD}" width="{w}" height="{h}" fill="none" stroke="#999"/>"##,
            w = W - 2.0 * PAD,
            h = H - 2.0 * PAD
        );
        let x_ends = match ticks {
            Ticks::Numbers => [fmt_num(self.x0), fmt_num(self.x1)],
            Ticks::XLabels(first, last) => [first.to_owned(), last.to_owned()],
            Ticks::None => [String::new(), String::new()],
        };
        for ((v, anchor), label) in [(self.x0, "start"), (self.x1, "end")]
            .into_iter()
            .zip(x_ends)
        {
            let _ = write!(
                s,
                r#"<text x="{}" y="{}" font-size="10" text-anchor="{anchor}">{}</text>"#,
                self.x(v),
                H - PAD + 14.0,
                esc(&label)
            );
        }
        let y_ends = if matches!(ticks, Ticks::None) {
            &[][..]
        } else {
            &[self.y0, self.y1][..]
        };
        for &v in y_ends {
            let _ = write!(
                s,
                r#"<text x="{}" y="{}" font-size="10" text-anchor="end">{}</text>"#,
                PAD - 4.0,
                self.y(v) + 3.0,
                fmt_num(v)
            );
        }
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" font-size="11" text-anchor="middle">{}</text><text x="12" y="{}" font-size="11" text-anchor="middle" transform="rotate(-90 12 {})">{}</text>"#,
            W / 2.0,
            H - 6.0,
            esc(xl),
            H / 2.0,
            H / 2.0,
            esc(yl)
        );
        s
    }
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// Human (x) against scorer (y), 0–100, with the identity line.
pub fn scatter(points: &[(String, f64, f64)], title: &str) -> String {
    let f = Frame {
        x0: 0.0,
        x1: 100.0,
        y0: 0.0,
        y1: 100.0,
    };
    let mut s = f.open(title, "human (mean of raters)", "scorer");
    let _ = write!(
        s,
        r##"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#888" stroke-dasharray="4 3"/>"##,
        f.x(0.0),
        f.y(0.0),
        f.x(100.0),
        f.y(100.0)
    );
    for (id, h, m) in points {
        let _ = write!(
            s,
            r##"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="#2b6cb0" fill-opacity="0.7"><title>{}: human {h:.0}, scorer {m:.0}</title></circle>"##,
            f.x(*h),
            f.y(*m),
            esc(id)
        );
    }
    s.push_str("</svg>");
    s
}

/// Bland–Altman: mean of the two against their difference, with the bias
/// and the 95 % limits of agreement.
pub fn bland_altman(points: &[(String, f64, f64)], title: &str) -> String {
    let d: Vec<f64> = points.iter().map(|p| p.2 - p.1).collect();
    let n = d.len().max(1) as f64;
    let bias = d.iter().sum::<f64>() / n;
    let sd = if d.len() > 1 {
        (d.iter().map(|v| (v - bias).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    let lim = d
        .iter()
        .fold(bias.abs() + 1.96 * sd, |a, v| a.max(v.abs()))
        .max(10.0)
        .ceil();
    let f = Frame {
        x0: 0.0,
        x1: 100.0,
        y0: -lim,
        y1: lim,
    };
    let mut s = f.open(title, "mean of human and scorer", "scorer − human");
    for (v, colour, dash) in [
        (0.0, "#bbb", ""),
        (bias, "#c53030", ""),
        (bias + 1.96 * sd, "#c53030", "4 3"),
        (bias - 1.96 * sd, "#c53030", "4 3"),
    ] {
        let _ = write!(
            s,
            r#"<line x1="{}" y1="{:.1}" x2="{}" y2="{:.1}" stroke="{colour}" stroke-dasharray="{dash}"/>"#,
            f.x(0.0),
            f.y(v),
            f.x(100.0),
            f.y(v)
        );
    }
    for ((id, h, m), dv) in points.iter().zip(&d) {
        let _ = write!(
            s,
            r##"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="#2b6cb0" fill-opacity="0.7"><title>{}: difference {dv:.0}</title></circle>"##,
            f.x((h + m) / 2.0),
            f.y(*dv),
            esc(id)
        );
    }
    let _ = write!(
        s,
        r##"<text x="{}" y="{:.1}" font-size="10" fill="#c53030">bias {bias:.1}, limits ±{:.1}</text></svg>"##,
        PAD + 4.0,
        PAD + 12.0,
        1.96 * sd
    );
    s
}

/// One bar: label, value (`None`: undefined), interval.
pub type Bar = (String, Option<f64>, Option<(f64, f64)>);

/// Bars from −1 to 1 with interval whiskers; `None` values are marked
/// undefined.
pub fn bars_with_ci(bars: &[Bar], ceiling: &[Option<f64>], title: &str) -> String {
    let f = Frame {
        x0: 0.0,
        x1: bars.len().max(1) as f64,
        y0: -1.0,
        y1: 1.0,
    };
    let mut s = f.open(title, "criterion", "quadratic kappa");
    let _ = write!(
        s,
        r##"<line x1="{PAD}" y1="{0:.1}" x2="{1}" y2="{0:.1}" stroke="#bbb"/>"##,
        f.y(0.0),
        W - PAD
    );
    let slot = (W - 2.0 * PAD) / bars.len().max(1) as f64;
    for (i, (label, v, ci)) in bars.iter().enumerate() {
        let cx = PAD + slot * (i as f64 + 0.5);
        match v {
            Some(v) => {
                let (top, bottom) = (f.y(v.max(0.0)), f.y(v.min(0.0)));
                let _ = write!(
                    s,
                    r##"<rect x="{:.1}" y="{top:.1}" width="{:.1}" height="{:.1}" fill="#2b6cb0"><title>{}: {v:.2}</title></rect>"##,
                    cx - slot * 0.3,
                    slot * 0.6,
                    (bottom - top).max(0.5),
                    esc(label)
                );
            }
            None => {
                let _ = write!(
                    s,
                    r#"<text x="{cx:.1}" y="{:.1}" font-size="9" text-anchor="middle">undef.</text>"#,
                    f.y(0.05)
                );
            }
        }
        if let Some((lo, hi)) = ci {
            let _ = write!(
                s,
                r##"<line x1="{cx:.1}" y1="{:.1}" x2="{cx:.1}" y2="{:.1}" stroke="#1a202c"/>"##,
                f.y(*lo),
                f.y(*hi)
            );
        }
        if let Some(Some(c)) = ceiling.get(i) {
            let _ = write!(
                s,
                r##"<line x1="{:.1}" y1="{1:.1}" x2="{2:.1}" y2="{1:.1}" stroke="#dd6b20" stroke-width="2"><title>raters among themselves: {c:.2}</title></line>"##,
                cx - slot * 0.4,
                f.y(*c),
                cx + slot * 0.4
            );
        }
        let _ = write!(
            s,
            r#"<text x="{cx:.1}" y="{:.1}" font-size="8" text-anchor="end" transform="rotate(-35 {cx:.1} {:.1})">{}</text>"#,
            H - PAD + 10.0,
            H - PAD + 10.0,
            esc(label)
        );
    }
    s.push_str("</svg>");
    s
}

/// Two score distributions in ten bins over 0–100.
pub fn histograms(a: &[f64], b: &[f64], title: &str) -> String {
    let bins = |v: &[f64]| {
        let mut c = [0u32; 10];
        for x in v {
            c[((x / 10.0).floor() as usize).min(9)] += 1;
        }
        c
    };
    let (ca, cb) = (bins(a), bins(b));
    let max = ca.iter().chain(&cb).copied().max().unwrap_or(1).max(1) as f64;
    let f = Frame {
        x0: 0.0,
        x1: 100.0,
        y0: 0.0,
        y1: max,
    };
    let mut s = f.open(title, "score (blue: human, orange: scorer)", "calls");
    let w = (W - 2.0 * PAD) / 10.0;
    for (i, (x, y)) in ca.iter().zip(&cb).enumerate() {
        for (k, (n, colour)) in [(*x, "#2b6cb0"), (*y, "#dd6b20")].into_iter().enumerate() {
            let top = f.y(f64::from(n));
            let _ = write!(
                s,
                r#"<rect x="{:.1}" y="{top:.1}" width="{:.1}" height="{:.1}" fill="{colour}" fill-opacity="0.75"><title>{}–{}: {n}</title></rect>"#,
                PAD + w * i as f64 + w * 0.5 * k as f64 + 1.0,
                w * 0.5 - 2.0,
                (H - PAD - top).max(0.0),
                i * 10,
                i * 10 + 10
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// Per-call standard deviation across repeats.
pub fn variance(per_call: &[(String, f64)], title: &str) -> String {
    let max = per_call.iter().map(|x| x.1).fold(1.0, f64::max).ceil();
    let f = Frame {
        x0: 0.0,
        x1: per_call.len().max(1) as f64,
        y0: 0.0,
        y1: max,
    };
    let mut s = f.open(title, "call", "score SD across repeats");
    let w = (W - 2.0 * PAD) / per_call.len().max(1) as f64;
    for (i, (id, v)) in per_call.iter().enumerate() {
        let top = f.y(*v);
        let _ = write!(
            s,
            r##"<rect x="{:.1}" y="{top:.1}" width="{:.1}" height="{:.1}" fill="#805ad5"><title>{}: {v:.1}</title></rect>"##,
            PAD + w * i as f64,
            (w - 1.0).max(1.0),
            (H - PAD - top).max(0.5),
            esc(id)
        );
    }
    s.push_str("</svg>");
    s
}

/// One line of a [`trend`] chart: a name, a colour, and a value (or a gap)
/// per x slot.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Shown in the legend and each point's tooltip.
    pub name: String,
    /// CSS colour.
    pub colour: &'static str,
    /// `None`: no value in that slot (no point is drawn, the line breaks).
    pub values: Vec<Option<f64>>,
    /// Dashed line.
    pub dashed: bool,
}

/// Lines over labelled slots (weeks) on a 0–100 scale, with a point per
/// value; `id` becomes the `<svg>` element's id.
pub fn trend(id: &str, series: &[Series], slots: &[String], title: &str, yl: &str) -> String {
    let f = Frame {
        x0: 0.0,
        x1: slots.len().saturating_sub(1).max(1) as f64,
        y0: 0.0,
        y1: 100.0,
    };
    let first = slots.first().map_or("", String::as_str);
    let last = slots.last().map_or("", String::as_str);
    let mut s = f.open_with_id(
        Some(id),
        title,
        "week starting",
        yl,
        Ticks::XLabels(first, last),
    );
    for (k, line) in series.iter().enumerate() {
        let dash = if line.dashed { "5 3" } else { "" };
        let mut path = String::new();
        let mut pen_down = false;
        for (i, v) in line.values.iter().enumerate() {
            match v {
                Some(v) => {
                    let _ = write!(
                        path,
                        "{}{:.1} {:.1} ",
                        if pen_down { "L" } else { "M" },
                        f.x(i as f64),
                        f.y(*v)
                    );
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        if !path.is_empty() {
            let _ = write!(
                s,
                r#"<path d="{}" fill="none" stroke="{}" stroke-width="1.5" stroke-dasharray="{dash}"/>"#,
                path.trim_end(),
                line.colour
            );
        }
        for (i, v) in line.values.iter().enumerate() {
            if let Some(v) = v {
                let _ = write!(
                    s,
                    r#"<circle class="point" data-series="{}" data-value="{v:.2}" cx="{:.1}" cy="{:.1}" r="3" fill="{}"><title>{}, {}: {v:.1}</title></circle>"#,
                    esc(&line.name),
                    f.x(i as f64),
                    f.y(*v),
                    line.colour,
                    esc(&line.name),
                    esc(slots.get(i).map(String::as_str).unwrap_or(""))
                );
            }
        }
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" font-size="10" fill="{}">{}</text>"#,
            PAD + 4.0 + 110.0 * k as f64,
            PAD - 6.0,
            line.colour,
            esc(&line.name)
        );
    }
    s.push_str("</svg>");
    s
}

/// One row of a [`measured_against`] chart: a label, the measured value,
/// and the reference band (`low`–`high`; equal for a single target).
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    /// What is measured.
    pub label: String,
    /// The value.
    pub value: f64,
    /// Lower end of the reference.
    pub low: f64,
    /// Upper end of the reference.
    pub high: f64,
}

/// One bar per row, each on its own scale (0 to twice the reference's
/// upper end or the value, whichever is larger), with the reference band
/// shaded behind it.
pub fn measured_against(id: &str, rows: &[Measured], title: &str) -> String {
    let f = Frame {
        x0: 0.0,
        x1: 1.0,
        y0: 0.0,
        y1: 1.0,
    };
    let mut s = f.open_with_id(
        Some(id),
        title,
        "each row on its own scale; green: the benchmark",
        "",
        Ticks::None,
    );
    let band = (H - 2.0 * PAD) / rows.len().max(1) as f64;
    for (i, r) in rows.iter().enumerate() {
        let top = PAD + band * i as f64;
        let scale = (r.high * 2.0).max(r.value * 1.1).max(1e-9);
        let x = |v: f64| f.x((v / scale).clamp(0.0, 1.0));
        let _ = write!(
            s,
            r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="#c6f6d5"><title>reference {}–{}</title></rect>"##,
            x(r.low),
            top + 2.0,
            (x(r.high) - x(r.low)).max(2.0),
            band - 4.0,
            fmt_num(r.low),
            fmt_num(r.high)
        );
        let _ = write!(
            s,
            r##"<rect class="point" data-value="{v:.3}" x="{PAD}" y="{:.1}" width="{:.1}" height="{:.1}" fill="#2b6cb0"><title>{}: {v:.2}</title></rect>"##,
            top + band * 0.3,
            (x(r.value) - PAD).max(1.0),
            band * 0.4,
            esc(&r.label),
            v = r.value
        );
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" font-size="9">{}</text>"#,
            PAD + 2.0,
            top + band * 0.25,
            esc(&r.label)
        );
    }
    s.push_str("</svg>");
    s
}
