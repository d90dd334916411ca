//! The statistics of a benchmark run against the human labels.

use std::collections::{BTreeMap, BTreeSet};

use closeq_core::ports::TokenUsage;
use closeq_core::{Rubric, Verdict};
use serde::{Deserialize, Serialize};

use super::runner::{Measurement, labelled_for};
use crate::agreement::{
    Interval, Level, Stat, Weights, bias, cohen_kappa, cohen_kappa_indexed, exact_agreement,
    fleiss_kappa, icc2_1, icc3_1, interval, kendall_tau_b, krippendorff_alpha, mae, pearson,
    pearson_indexed, quantile, rmse, spearman, within,
};
use crate::dataset::Dataset;
use crate::llm::Pricing;

/// The report format's version; bumped on any breaking change.
pub const REPORT_VERSION: u32 = 1;

/// A statistic with its seeded bootstrap interval (95 %), or why there is none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatWithCi {
    /// The value over all calls.
    pub value: Stat,
    /// The interval.
    pub ci: Option<Interval>,
    /// Why there is no interval.
    pub ci_undefined: Option<String>,
}

impl StatWithCi {
    fn new(value: Stat, ci: Result<Interval, Stat>) -> Self {
        match ci {
            Ok(i) => Self {
                value,
                ci: Some(i),
                ci_undefined: None,
            },
            Err(e) => Self {
                value,
                ci: None,
                ci_undefined: Some(match e {
                    Stat::Undefined(r) => r,
                    Stat::Value(_) => "no interval".into(),
                }),
            },
        }
    }
}

/// Overall scores: the scorer's first run against the mean human score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverallReport {
    /// Calls with both scores.
    pub n: usize,
    /// Mean absolute error.
    pub mae: StatWithCi,
    /// Root mean squared error.
    pub rmse: Stat,
    /// Mean of scorer − human.
    pub bias: Stat,
    /// Pearson's r.
    pub pearson: StatWithCi,
    /// Spearman's rho.
    pub spearman: Stat,
    /// Kendall's tau-b.
    pub kendall_tau_b: Stat,
    /// Share within `within_k` points.
    pub within_k: Stat,
    /// The k of `within_k`.
    pub k: f64,
    /// ICC(2,1) of (human, scorer).
    pub icc2_1: StatWithCi,
    /// ICC(3,1) of (human, scorer).
    pub icc3_1: Stat,
}

/// Agreement among the human raters: the ceiling a scorer is read against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HumanCeiling {
    /// The two raters compared pairwise (the first two of the dataset).
    pub raters: Vec<String>,
    /// Items both labelled.
    pub n: usize,
    /// Cohen's kappa, quadratic weights, first vs second rater.
    pub kappa_quadratic: Stat,
    /// Fleiss' kappa across all raters (items every rater labelled).
    pub fleiss: Stat,
    /// Krippendorff's alpha, ordinal, missing values allowed.
    pub alpha_ordinal: Stat,
}

/// One criterion: the scorer's first run against the first rater.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriterionReport {
    /// The criterion id.
    pub criterion: String,
    /// Pairs compared.
    pub n: usize,
    /// Share of identical verdicts.
    pub exact: Stat,
    /// Cohen's kappa, unweighted.
    pub kappa: Stat,
    /// Linear weights.
    pub kappa_linear: Stat,
    /// Quadratic weights, with its interval.
    pub kappa_quadratic: StatWithCi,
    /// Rows: human missed, partial, met; columns: scorer.
    pub confusion: [[u32; 3]; 3],
    /// The raters among themselves on this criterion.
    pub human: HumanCeiling,
}

/// Test–retest across repeats of the same scorer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetestReport {
    /// Runs per call.
    pub repeats: u32,
    /// ICC(2,1) with repeats as raters.
    pub icc2_1: Stat,
    /// Pass/fail threshold.
    pub threshold: f64,
    /// Share of calls whose pass/fail differs between repeats.
    pub flip_rate: Stat,
    /// Mean per-call standard deviation of the score.
    pub mean_sd: Stat,
    /// Per call: (id, standard deviation).
    pub per_call_sd: Vec<(String, f64)>,
}

/// Request latency, in milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatencyStats {
    /// Mean.
    pub mean_ms: f64,
    /// Median.
    pub p50_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// Slowest.
    pub max_ms: f64,
}

/// One scorer on one rubric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairReport {
    /// The scorer.
    pub scorer: String,
    /// The rubric id.
    pub rubric: String,
    /// Calls labelled for the rubric.
    pub calls: usize,
    /// Requests that failed.
    pub errors: usize,
    /// Overall score agreement.
    pub overall: OverallReport,
    /// The raters among themselves on overall scores (ICC(2,1)).
    pub human_overall_icc2_1: Stat,
    /// Mean of the per-criterion quadratic kappas (defined ones).
    pub mean_kappa_quadratic: Stat,
    /// Per criterion.
    pub criteria: Vec<CriterionReport>,
    /// Across repeats, when there were two or more.
    pub retest: Option<RetestReport>,
    /// Latency.
    pub latency: LatencyStats,
    /// Tokens used in all.
    pub tokens: TokenUsage,
    /// USD, when the scorer has a price.
    pub cost_usd: Option<f64>,
    /// (call id, human mean, scorer first run), for charts.
    pub points: Vec<(String, f64, f64)>,
}

/// How to compute the report.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// Bootstrap resamples (1,000 by default).
    pub resamples: u32,
    /// Bootstrap seed.
    pub seed: u64,
    /// Pass/fail threshold for test–retest (70).
    pub threshold: f64,
    /// Points for `within_k` (10).
    pub within_k: f64,
}

impl Default for ReportOptions {
    fn default() -> Self {
        Self {
            resamples: 1000,
            seed: 7,
            threshold: 70.0,
            within_k: 10.0,
        }
    }
}

/// The whole benchmark.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchReport {
    /// [`REPORT_VERSION`].
    pub version: u32,
    /// Calls in the dataset.
    pub dataset_calls: usize,
    /// Raters in the dataset.
    pub raters: Vec<String>,
    /// Bootstrap resamples and seed.
    pub resamples: u32,
    /// The seed.
    pub seed: u64,
    /// Every scorer × rubric.
    pub pairs: Vec<PairReport>,
}

/// Ordinal level of a verdict: missed 0, partial 1, met 2; insufficient
/// evidence counts as missed; n/a has none.
fn level(v: Verdict) -> Option<usize> {
    match v {
        Verdict::Missed | Verdict::InsufficientEvidence => Some(0),
        Verdict::Partial => Some(1),
        Verdict::Met => Some(2),
        Verdict::NotApplicable => None,
    }
}

fn latency(ms: &[f64]) -> LatencyStats {
    let mut s = ms.to_vec();
    s.sort_by(f64::total_cmp);
    LatencyStats {
        mean_ms: if s.is_empty() {
            0.0
        } else {
            s.iter().sum::<f64>() / s.len() as f64
        },
        p50_ms: quantile(&s, 0.5),
        p95_ms: quantile(&s, 0.95),
        max_ms: s.last().copied().unwrap_or(0.0),
    }
}

fn sd(v: &[f64]) -> f64 {
    if v.len() < 2 {
        return 0.0;
    }
    let m = v.iter().sum::<f64>() / v.len() as f64;
    (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
}

impl BenchReport {
    /// Computes the report for `rubrics` from the dataset's labels and the
    /// measurements of [`run`](super::run).
    pub fn build(
        dataset: &Dataset,
        rubrics: &[Rubric],
        measurements: &[Measurement],
        opts: &ReportOptions,
    ) -> Self {
        let raters = dataset.raters();
        let mut pairs = Vec::new();
        let mut keys: Vec<(String, String)> = Vec::new();
        for m in measurements {
            let k = (m.scorer.clone(), m.rubric.clone());
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        for (scorer, rubric_id) in keys {
            let Some(rubric) = rubrics.iter().find(|r| r.id.as_str() == rubric_id) else {
                continue;
            };
            let ms: Vec<&Measurement> = measurements
                .iter()
                .filter(|m| m.scorer == scorer && m.rubric == rubric_id)
                .collect();
            pairs.push(pair(dataset, rubric, &scorer, &ms, &raters, opts));
        }
        Self {
            version: REPORT_VERSION,
            dataset_calls: dataset.calls.len(),
            raters,
            resamples: opts.resamples,
            seed: opts.seed,
            pairs,
        }
    }

    /// The JSON report.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

fn pair(
    dataset: &Dataset,
    rubric: &Rubric,
    scorer: &str,
    ms: &[&Measurement],
    raters: &[String],
    opts: &ReportOptions,
) -> PairReport {
    let calls: Vec<_> = dataset
        .calls
        .iter()
        .filter(|c| labelled_for(c, rubric))
        .collect();
    let first = |id: &str| {
        ms.iter()
            .find(|m| m.call_id == id && m.repeat == 0)
            .copied()
    };
    // Overall: human mean vs the scorer's first run.
    let (mut h, mut s, mut points) = (Vec::new(), Vec::new(), Vec::new());
    let mut rater_matrix = Vec::new();
    for c in &calls {
        let overall: Vec<f64> = c.labels.iter().filter_map(|l| l.overall).collect();
        if let (false, Some(score)) = (overall.is_empty(), first(&c.id).and_then(|m| m.score)) {
            let mean = overall.iter().sum::<f64>() / overall.len() as f64;
            h.push(mean);
            s.push(score);
            points.push((c.id.clone(), mean, score));
        }
        let per_rater: Option<Vec<f64>> = raters
            .iter()
            .map(|r| {
                c.labels
                    .iter()
                    .find(|l| &l.rater == r)
                    .and_then(|l| l.overall)
            })
            .collect();
        if let Some(row) = per_rater.filter(|r| r.len() >= 2) {
            rater_matrix.push(row);
        }
    }
    let n = h.len();
    let boot = |seed: u64, f: &dyn Fn(&[usize]) -> Stat| {
        interval(n, opts.resamples, 0.95, seed, |idx| f(idx))
    };
    let sub = |v: &[f64], idx: &[usize]| idx.iter().map(|&i| v[i]).collect::<Vec<f64>>();
    let pairs_of =
        |idx: &[usize]| -> Vec<Vec<f64>> { idx.iter().map(|&i| vec![h[i], s[i]]).collect() };
    let all: Vec<usize> = (0..n).collect();
    let overall = OverallReport {
        n,
        mae: StatWithCi::new(
            mae(&h, &s),
            boot(opts.seed, &|idx| mae(&sub(&h, idx), &sub(&s, idx))),
        ),
        rmse: rmse(&h, &s),
        bias: bias(&h, &s),
        pearson: StatWithCi::new(
            pearson(&h, &s),
            boot(opts.seed + 1, &|idx| pearson_indexed(&h, &s, idx)),
        ),
        spearman: spearman(&h, &s),
        kendall_tau_b: kendall_tau_b(&h, &s),
        within_k: within(&h, &s, opts.within_k),
        k: opts.within_k,
        icc2_1: StatWithCi::new(
            icc2_1(&pairs_of(&all)),
            boot(opts.seed + 2, &|idx| icc2_1(&pairs_of(idx))),
        ),
        icc3_1: icc3_1(&pairs_of(&all)),
    };
    // Criteria.
    let mut criteria = Vec::new();
    for (ci, crit) in rubric.criteria.iter().enumerate() {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let mut confusion = [[0u32; 3]; 3];
        for c in &calls {
            let human = c
                .labels
                .first()
                .and_then(|l| l.criteria.get(&crit.id))
                .and_then(|v| level(*v));
            let machine = first(&c.id)
                .and_then(|m| m.verdicts.get(&crit.id))
                .and_then(|v| level(*v));
            if let (Some(x), Some(y)) = (human, machine) {
                a.push(x);
                b.push(y);
                confusion[x][y] += 1;
            }
        }
        if a.is_empty() {
            continue;
        }
        let qk = cohen_kappa(&a, &b, 3, Weights::Quadratic);
        let ci_q = interval(
            a.len(),
            opts.resamples,
            0.95,
            opts.seed + 10 + ci as u64,
            |idx| cohen_kappa_indexed(&a, &b, idx, 3, Weights::Quadratic),
        );
        criteria.push(CriterionReport {
            criterion: crit.id.clone(),
            n: a.len(),
            exact: exact_agreement(&a, &b),
            kappa: cohen_kappa(&a, &b, 3, Weights::Unweighted),
            kappa_linear: cohen_kappa(&a, &b, 3, Weights::Linear),
            kappa_quadratic: StatWithCi::new(qk, ci_q),
            confusion,
            human: human_ceiling(&calls, &crit.id, raters),
        });
    }
    let defined: Vec<f64> = criteria
        .iter()
        .filter_map(|c| c.kappa_quadratic.value.value())
        .collect();
    let mean_kappa_quadratic = if defined.is_empty() {
        Stat::undefined("no criterion has a defined kappa")
    } else {
        Stat::Value(defined.iter().sum::<f64>() / defined.len() as f64)
    };
    // Test–retest.
    let repeats = ms.iter().map(|m| m.repeat + 1).max().unwrap_or(0);
    let retest = (repeats >= 2).then(|| {
        let mut matrix = Vec::new();
        let mut per_call_sd = Vec::new();
        let mut flips = 0usize;
        for c in &calls {
            let row: Option<Vec<f64>> = (0..repeats)
                .map(|k| {
                    ms.iter()
                        .find(|m| m.call_id == c.id && m.repeat == k)
                        .and_then(|m| m.score)
                })
                .collect();
            if let Some(row) = row {
                let passes: BTreeSet<bool> = row.iter().map(|v| *v >= opts.threshold).collect();
                if passes.len() > 1 {
                    flips += 1;
                }
                per_call_sd.push((c.id.clone(), sd(&row)));
                matrix.push(row);
            }
        }
        let k = matrix.len();
        RetestReport {
            repeats,
            icc2_1: icc2_1(&matrix),
            threshold: opts.threshold,
            flip_rate: if k == 0 {
                Stat::undefined("no call has every repeat")
            } else {
                Stat::Value(flips as f64 / k as f64)
            },
            mean_sd: if k == 0 {
                Stat::undefined("no call has every repeat")
            } else {
                Stat::Value(per_call_sd.iter().map(|x| x.1).sum::<f64>() / k as f64)
            },
            per_call_sd,
        }
    });
    let lat: Vec<f64> = ms.iter().map(|m| m.latency_ms).collect();
    let tokens = ms.iter().fold(TokenUsage::default(), |t, m| TokenUsage {
        input_tokens: t.input_tokens + m.tokens.input_tokens,
        output_tokens: t.output_tokens + m.tokens.output_tokens,
    });
    PairReport {
        scorer: scorer.to_owned(),
        rubric: rubric.id.as_str().to_owned(),
        calls: calls.len(),
        errors: ms.iter().filter(|m| m.error.is_some()).count(),
        overall,
        human_overall_icc2_1: icc2_1(&rater_matrix),
        mean_kappa_quadratic,
        criteria,
        retest,
        latency: latency(&lat),
        tokens,
        cost_usd: None,
        points,
    }
}

fn human_ceiling(
    calls: &[&crate::dataset::LabelledCall],
    criterion: &str,
    raters: &[String],
) -> HumanCeiling {
    let label = |c: &crate::dataset::LabelledCall, r: &str| {
        c.labels
            .iter()
            .find(|l| l.rater == r)
            .and_then(|l| l.criteria.get(criterion))
            .and_then(|v| level(*v))
    };
    let (mut a, mut b) = (Vec::new(), Vec::new());
    if let [r1, r2, ..] = raters {
        for c in calls {
            if let (Some(x), Some(y)) = (label(c, r1), label(c, r2)) {
                a.push(x);
                b.push(y);
            }
        }
    }
    let mut counts = Vec::new();
    for c in calls {
        let ls: Option<Vec<usize>> = raters.iter().map(|r| label(c, r)).collect();
        if let Some(ls) = ls {
            let mut row = vec![0u32; 3];
            for l in ls {
                row[l] += 1;
            }
            counts.push(row);
        }
    }
    let data: Vec<Vec<Option<f64>>> = raters
        .iter()
        .map(|r| {
            calls
                .iter()
                .map(|c| label(c, r).map(|l| l as f64))
                .collect()
        })
        .collect();
    HumanCeiling {
        raters: raters.iter().take(2).cloned().collect(),
        n: a.len(),
        kappa_quadratic: if raters.len() < 2 {
            Stat::undefined("the dataset has one rater")
        } else {
            cohen_kappa(&a, &b, 3, Weights::Quadratic)
        },
        fleiss: if raters.len() < 2 {
            Stat::undefined("the dataset has one rater")
        } else {
            fleiss_kappa(&counts)
        },
        alpha_ordinal: krippendorff_alpha(&data, Level::Ordinal),
    }
}

impl BenchReport {
    /// Sets each pair's cost from its scorer's token prices.
    pub fn price(&mut self, prices: &BTreeMap<String, Pricing>) {
        for p in &mut self.pairs {
            p.cost_usd = prices.get(&p.scorer).map(|pr| pr.cost(p.tokens));
        }
    }
}
