//! `closeq agreement FILE.csv --a COL --b COL [--scale 0..100|LIST] [--json]`:
//! agreement statistics for any two rating columns of a CSV file.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use closeq_analysis::agreement::{
    Level, Stat, Weights, bias, cohen_kappa, exact_agreement, icc2_1, icc3_1, interval,
    kendall_tau_b, krippendorff_alpha, mae, pearson, pearson_indexed, rmse, spearman, within,
};
use serde_json::json;

/// `closeq agreement`.
#[derive(Debug, Args)]
pub struct AgreementArgs {
    /// The CSV file (with a header row).
    file: PathBuf,
    /// The first rating column.
    #[arg(long)]
    a: String,
    /// The second rating column.
    #[arg(long)]
    b: String,
    /// The rating scale: a numeric range `LOW..HIGH` (interval data) or a
    /// comma-separated list of ordered labels (categorical data).
    #[arg(long, default_value = "0..100")]
    scale: String,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

enum Scale {
    Numeric(f64, f64),
    Labels(Vec<String>),
}

fn parse_scale(s: &str) -> anyhow::Result<Scale> {
    if let Some((lo, hi)) = s.split_once("..") {
        let (lo, hi): (f64, f64) = (
            lo.trim().parse().context("--scale LOW")?,
            hi.trim().parse().context("--scale HIGH")?,
        );
        if !lo.is_finite() || !hi.is_finite() || lo >= hi {
            bail!("--scale must be LOW..HIGH with LOW < HIGH");
        }
        return Ok(Scale::Numeric(lo, hi));
    }
    let labels: Vec<String> = s
        .split(',')
        .map(|x| x.trim().to_owned())
        .filter(|x| !x.is_empty())
        .collect();
    if labels.len() < 2 {
        bail!("--scale needs a range like 0..100 or at least two labels like met,partial,missed");
    }
    Ok(Scale::Labels(labels))
}

fn show(s: &Stat) -> serde_json::Value {
    match s {
        Stat::Value(v) => json!(v),
        Stat::Undefined(r) => json!({ "undefined": r }),
    }
}

/// Runs the command.
pub fn run(args: AgreementArgs) -> anyhow::Result<()> {
    let scale = parse_scale(&args.scale)?;
    let mut rdr = csv::Reader::from_path(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let headers = rdr.headers()?.clone();
    let col = |name: &str| {
        headers.iter().position(|h| h == name).with_context(|| {
            format!(
                "column `{name}` not found (columns: {})",
                headers.iter().collect::<Vec<_>>().join(", ")
            )
        })
    };
    let (ia, ib) = (col(&args.a)?, col(&args.b)?);
    let mut a_raw = Vec::new();
    let mut b_raw = Vec::new();
    for (line, rec) in rdr.records().enumerate() {
        let rec = rec.with_context(|| {
            format!(
                "{}: malformed CSV at record {}",
                args.file.display(),
                line + 2
            )
        })?;
        a_raw.push(rec.get(ia).unwrap_or("").trim().to_owned());
        b_raw.push(rec.get(ib).unwrap_or("").trim().to_owned());
    }
    let rows = a_raw.len();
    let mut out = serde_json::Map::new();
    out.insert("rows".into(), json!(rows));
    match &scale {
        Scale::Numeric(lo, hi) => {
            let parse = |v: &str, col: &str, i: usize| -> anyhow::Result<Option<f64>> {
                if v.is_empty() {
                    return Ok(None);
                }
                let x: f64 = v
                    .parse()
                    .with_context(|| format!("record {}: `{col}` is not a number", i + 2))?;
                if x < *lo || x > *hi {
                    bail!("record {}: `{col}` is outside the scale {lo}..{hi}", i + 2);
                }
                Ok(Some(x))
            };
            let mut x = Vec::new();
            let mut y = Vec::new();
            let mut kd = vec![Vec::new(), Vec::new()];
            for i in 0..rows {
                let (p, q) = (parse(&a_raw[i], &args.a, i)?, parse(&b_raw[i], &args.b, i)?);
                kd[0].push(p);
                kd[1].push(q);
                if let (Some(p), Some(q)) = (p, q) {
                    x.push(p);
                    y.push(q);
                }
            }
            let pairs: Vec<Vec<f64>> = x.iter().zip(&y).map(|(p, q)| vec![*p, *q]).collect();
            let ci = interval(x.len(), 1000, 0.95, 1, |idx| pearson_indexed(&x, &y, idx));
            out.insert("pairs".into(), json!(x.len()));
            for (name, s) in [
                ("mae", mae(&x, &y)),
                ("rmse", rmse(&x, &y)),
                ("mean_bias_b_minus_a", bias(&x, &y)),
                ("pearson", pearson(&x, &y)),
                ("spearman", spearman(&x, &y)),
                ("kendall_tau_b", kendall_tau_b(&x, &y)),
                ("within_5", within(&x, &y, 5.0)),
                ("within_10", within(&x, &y, 10.0)),
                ("icc_2_1", icc2_1(&pairs)),
                ("icc_3_1", icc3_1(&pairs)),
                (
                    "krippendorff_alpha_interval",
                    krippendorff_alpha(&kd, Level::Interval),
                ),
            ] {
                out.insert(name.into(), show(&s));
            }
            out.insert(
                "pearson_95ci".into(),
                match ci {
                    Ok(i) => json!({"low": i.low, "high": i.high, "resamples": i.resamples, "dropped": i.dropped, "seed": 1}),
                    Err(s) => show(&s),
                },
            );
        }
        Scale::Labels(labels) => {
            let idx = |v: &str, col: &str, i: usize| -> anyhow::Result<Option<usize>> {
                if v.is_empty() {
                    return Ok(None);
                }
                labels
                    .iter()
                    .position(|l| l == v)
                    .map(Some)
                    .with_context(|| {
                        format!("record {}: `{col}` is not one of the scale's labels", i + 2)
                    })
            };
            let mut a = Vec::new();
            let mut b = Vec::new();
            let mut kd = vec![Vec::new(), Vec::new()];
            for i in 0..rows {
                let (p, q) = (idx(&a_raw[i], &args.a, i)?, idx(&b_raw[i], &args.b, i)?);
                kd[0].push(p.map(|v| v as f64));
                kd[1].push(q.map(|v| v as f64));
                if let (Some(p), Some(q)) = (p, q) {
                    a.push(p);
                    b.push(q);
                }
            }
            out.insert("pairs".into(), json!(a.len()));
            out.insert("scale".into(), json!(labels));
            for (name, s) in [
                ("exact_agreement", exact_agreement(&a, &b)),
                (
                    "cohen_kappa",
                    cohen_kappa(&a, &b, labels.len(), Weights::Unweighted),
                ),
                (
                    "cohen_kappa_linear",
                    cohen_kappa(&a, &b, labels.len(), Weights::Linear),
                ),
                (
                    "cohen_kappa_quadratic",
                    cohen_kappa(&a, &b, labels.len(), Weights::Quadratic),
                ),
                (
                    "krippendorff_alpha_nominal",
                    krippendorff_alpha(&kd, Level::Nominal),
                ),
                (
                    "krippendorff_alpha_ordinal",
                    krippendorff_alpha(&kd, Level::Ordinal),
                ),
            ] {
                out.insert(name.into(), show(&s));
            }
        }
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::Value::Object(out))?
        );
    } else {
        println!("{} vs {} in {}", args.a, args.b, args.file.display());
        for (k, v) in &out {
            let shown = match v {
                serde_json::Value::Number(n) => n.as_f64().map_or_else(
                    || n.to_string(),
                    |f| {
                        if f.fract() == 0.0 {
                            format!("{f}")
                        } else {
                            format!("{f:.4}")
                        }
                    },
                ),
                other => other.to_string(),
            };
            println!("  {k:<30} {shown}");
        }
    }
    Ok(())
}
