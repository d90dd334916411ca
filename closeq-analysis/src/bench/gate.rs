//! CI gates: `pearson>=0.7`, `mae<=12`, ... checked on every scorer ×
//! rubric of a report. An undefined statistic fails its gate.

use std::fmt;
use std::str::FromStr;

use closeq_core::Error;
use serde::Serialize;

use super::report::{BenchReport, PairReport};
use crate::agreement::Stat;

/// The statistics a gate may name.
pub const GATE_STATISTICS: &[&str] = &[
    "mae",
    "rmse",
    "pearson",
    "spearman",
    "kendall_tau_b",
    "within_k",
    "icc2_1",
    "icc3_1",
    "mean_kappa_quadratic",
    "retest_icc2_1",
    "flip_rate",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
enum Op {
    AtLeast,
    AtMost,
}

/// One gate: a statistic, `>=` or `<=`, a threshold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gate {
    statistic: String,
    op: Op,
    threshold: f64,
}

impl FromStr for Gate {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let (name, op, value) = if let Some((a, b)) = s.split_once(">=") {
            (a, Op::AtLeast, b)
        } else if let Some((a, b)) = s.split_once("<=") {
            (a, Op::AtMost, b)
        } else {
            return Err(Error::invalid(
                "gate",
                "write STATISTIC>=VALUE or STATISTIC<=VALUE, e.g. pearson>=0.7",
            ));
        };
        let name = name.trim();
        if !GATE_STATISTICS.contains(&name) {
            return Err(Error::invalid(
                "gate",
                format!(
                    "unknown statistic `{name}`; one of {}",
                    GATE_STATISTICS.join(", ")
                ),
            ));
        }
        let threshold: f64 = value
            .trim()
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| Error::invalid("gate", format!("`{}` is not a number", value.trim())))?;
        Ok(Self {
            statistic: name.to_owned(),
            op,
            threshold,
        })
    }
}

impl fmt::Display for Gate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = match self.op {
            Op::AtLeast => ">=",
            Op::AtMost => "<=",
        };
        write!(f, "{}{op}{}", self.statistic, self.threshold)
    }
}

/// A gate's result on one scorer × rubric.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateOutcome {
    /// The gate as written.
    pub gate: String,
    /// Scorer.
    pub scorer: String,
    /// Rubric.
    pub rubric: String,
    /// The statistic's value, or why it is undefined.
    pub value: Stat,
    /// Whether it passed.
    pub passed: bool,
}

fn statistic(p: &PairReport, name: &str) -> Stat {
    let o = &p.overall;
    match name {
        "mae" => o.mae.value.clone(),
        "rmse" => o.rmse.clone(),
        "pearson" => o.pearson.value.clone(),
        "spearman" => o.spearman.clone(),
        "kendall_tau_b" => o.kendall_tau_b.clone(),
        "within_k" => o.within_k.clone(),
        "icc2_1" => o.icc2_1.value.clone(),
        "icc3_1" => o.icc3_1.clone(),
        "mean_kappa_quadratic" => p.mean_kappa_quadratic.clone(),
        "retest_icc2_1" => p.retest.as_ref().map_or_else(
            || Stat::undefined("needs --repeats 2 or more"),
            |r| r.icc2_1.clone(),
        ),
        "flip_rate" => p.retest.as_ref().map_or_else(
            || Stat::undefined("needs --repeats 2 or more"),
            |r| r.flip_rate.clone(),
        ),
        _ => Stat::undefined("unknown statistic"),
    }
}

impl Gate {
    /// Checks every pair of the report.
    pub fn check(&self, report: &BenchReport) -> Vec<GateOutcome> {
        report
            .pairs
            .iter()
            .map(|p| {
                let value = statistic(p, &self.statistic);
                let passed = value.value().is_some_and(|v| match self.op {
                    Op::AtLeast => v >= self.threshold,
                    Op::AtMost => v <= self.threshold,
                });
                GateOutcome {
                    gate: self.to_string(),
                    scorer: p.scorer.clone(),
                    rubric: p.rubric.clone(),
                    value,
                    passed,
                }
            })
            .collect()
    }
}
