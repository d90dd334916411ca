//! `bench`: the bundled synthetic dataset, the runner (concurrency, repeats
//! without a shared cache, token accounting), the report and its gates.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use closeq_analysis::agreement::Stat;
use closeq_analysis::bench::*;
use closeq_analysis::dataset::Dataset;
use closeq_analysis::llm::Pricing;
use closeq_analysis::rubric::builtin_rubric;
use closeq_core::ports::{Completion, FinishReason, ScoringInput, TokenUsage};
use closeq_core::testing::{ManualClock, ScriptedLanguageModel, base_time};
use closeq_core::{Clock, Result, Rubric, Scorecard, Verdict};
use serde_json::json;

fn dataset() -> Dataset {
    Dataset::parse(SYNTHETIC_DATASET).unwrap()
}

fn rubrics() -> Vec<Rubric> {
    ["spin", "bant", "meddpicc"]
        .iter()
        .map(|r| builtin_rubric(r).unwrap())
        .collect()
}

fn clock() -> Arc<dyn Clock> {
    Arc::new(ManualClock::new(base_time()))
}

#[test]
fn the_synthetic_set_covers_three_frameworks_and_every_level_with_two_raters() {
    let d = dataset();
    assert!(d.calls.len() >= 30);
    assert!(SYNTHETIC_DATASET.starts_with("# SYNTHETIC"), "it says so");
    assert_eq!(d.raters(), ["author", "sim-b"]);
    for r in rubrics() {
        let calls: Vec<_> = d
            .calls
            .iter()
            .filter(|c| c.labels[0].criteria.contains_key(&r.criteria[0].id))
            .collect();
        assert!(
            calls.len() >= 10,
            "{} has {} calls",
            r.id.as_str(),
            calls.len()
        );
        for crit in &r.criteria {
            for v in [Verdict::Met, Verdict::Partial, Verdict::Missed] {
                assert!(
                    calls.iter().any(|c| c.labels[0].criteria[&crit.id] == v),
                    "{} {} never {v:?}",
                    r.id.as_str(),
                    crit.id
                );
            }
        }
        assert!(calls.iter().all(|c| c.labels.len() == 2));
    }
}

#[tokio::test]
async fn heuristic_benchmark_report_json_markdown_html() {
    let d = dataset();
    let rubrics = rubrics();
    let scorers: Vec<Arc<dyn BenchScorer>> = vec![Arc::new(HeuristicBench::new(clock()))];
    let seen = Arc::new(AtomicUsize::new(0));
    let s2 = seen.clone();
    let progress: Progress = Arc::new(move |done, total| {
        assert!(done <= total);
        s2.store(done as usize, Ordering::SeqCst);
    });
    let ms = run(
        &d,
        Path::new("."),
        &rubrics,
        &scorers,
        &BenchConfig::default(),
        Some(progress),
    )
    .await
    .unwrap();
    assert_eq!(
        ms.len(),
        d.calls.len(),
        "each call once, with its own framework"
    );
    assert_eq!(seen.load(Ordering::SeqCst), ms.len());
    assert!(ms.iter().all(|m| m.error.is_none() && m.score.is_some()));
    let report = BenchReport::build(&d, &rubrics, &ms, &ReportOptions::default());
    assert_eq!(report.version, REPORT_VERSION);
    assert_eq!(report.pairs.len(), 3);
    for p in &report.pairs {
        assert_eq!(p.calls, 12);
        assert_eq!(p.overall.n, 12);
        for s in [
            &p.overall.mae.value,
            &p.overall.pearson.value,
            &p.overall.icc2_1.value,
        ] {
            assert!(s.value().is_some(), "{} {}: {s:?}", p.scorer, p.rubric);
        }
        assert!(p.overall.mae.ci.is_some());
        assert!(p.human_overall_icc2_1.value().is_some_and(|v| v > 0.5));
        let criteria = builtin_rubric(&p.rubric).unwrap().criteria.len();
        assert_eq!(p.criteria.len(), criteria);
        for c in &p.criteria {
            assert_eq!(c.confusion.iter().flatten().sum::<u32>() as usize, c.n);
            assert!(c.human.kappa_quadratic.value().is_some());
        }
        assert!(p.retest.is_none());
        assert_eq!(p.tokens, TokenUsage::default());
    }
    // Stable order; the same inputs give the same report.
    let again = run(
        &d,
        Path::new("."),
        &rubrics,
        &scorers,
        &BenchConfig::default(),
        None,
    )
    .await
    .unwrap();
    let r2 = BenchReport::build(&d, &rubrics, &again, &ReportOptions::default());
    assert_eq!(report.pairs[0].overall, r2.pairs[0].overall);

    let json = report.to_json();
    assert_eq!(json["version"], 1);
    assert!(json["pairs"][0]["criteria"][0]["kappa_quadratic"]["value"].is_object());
    let md = render_markdown(&report);
    assert!(md.contains("## heuristic on spin") && md.contains("| Pearson r |"));
    let html = render_html(&report);
    assert!(html.starts_with("<!doctype html>"));
    assert!(html.matches("<svg").count() >= 12, "four charts per pair");
    assert!(
        !html.contains("<script") && !html.contains("src=\"http"),
        "self-contained"
    );
    assert!(html.contains("Bland–Altman") && html.contains("human \\ scorer"));
}

#[tokio::test]
async fn repeats_measure_test_retest() {
    let d = dataset();
    let rubrics = vec![builtin_rubric("bant").unwrap()];
    let scorers: Vec<Arc<dyn BenchScorer>> = vec![Arc::new(HeuristicBench::new(clock()))];
    let ms = run(
        &d,
        Path::new("."),
        &rubrics,
        &scorers,
        &BenchConfig {
            repeats: 3,
            concurrency: 2,
        },
        None,
    )
    .await
    .unwrap();
    assert_eq!(ms.len(), 36);
    let report = BenchReport::build(&d, &rubrics, &ms, &ReportOptions::default());
    let rt = report.pairs[0].retest.as_ref().unwrap();
    assert_eq!(rt.repeats, 3);
    assert_eq!(
        rt.flip_rate,
        Stat::Value(0.0),
        "a deterministic scorer never flips"
    );
    assert_eq!(rt.mean_sd, Stat::Value(0.0));
    assert!(render_html(&report).contains("variance across 3 repeats"));
}

/// A scorer that records how many requests are in flight.
#[derive(Debug, Default)]
struct Slow {
    now: AtomicUsize,
    max: AtomicUsize,
    inner: Option<HeuristicBench>,
}

#[async_trait]
impl BenchScorer for Slow {
    fn name(&self) -> &str {
        "slow"
    }
    async fn score_once(
        &self,
        input: &ScoringInput<'_>,
        rubric: &Rubric,
    ) -> Result<(Scorecard, TokenUsage)> {
        let n = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.max.fetch_max(n, Ordering::SeqCst);
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        self.now.fetch_sub(1, Ordering::SeqCst);
        self.inner.as_ref().unwrap().score_once(input, rubric).await
    }
}

#[tokio::test]
async fn concurrency_is_bounded() {
    let slow = Arc::new(Slow {
        inner: Some(HeuristicBench::new(clock())),
        ..Slow::default()
    });
    let scorers: Vec<Arc<dyn BenchScorer>> = vec![slow.clone()];
    run(
        &dataset(),
        Path::new("."),
        &rubrics(),
        &scorers,
        &BenchConfig {
            repeats: 1,
            concurrency: 3,
        },
        None,
    )
    .await
    .unwrap();
    let max = slow.max.load(Ordering::SeqCst);
    assert!((2..=3).contains(&max), "max in flight {max}");
}

fn completion() -> Completion {
    Completion {
        content: json!({"criteria": [], "coaching_notes": [], "recommendations": []})
            .to_string()
            .into(),
        finish_reason: FinishReason::Stop,
        usage: TokenUsage {
            input_tokens: 1000,
            output_tokens: 200,
        },
        cost_usd: None,
        model: "fake".into(),
        request_id: None,
    }
}

#[tokio::test]
async fn llm_repeats_bypass_the_cache_and_tokens_are_counted() {
    let d = dataset();
    let rubrics = vec![builtin_rubric("spin").unwrap()];
    let lm = Arc::new(ScriptedLanguageModel::new("fake-model"));
    for _ in 0..24 {
        lm.push(Ok(completion()));
    }
    let scorers: Vec<Arc<dyn BenchScorer>> = vec![Arc::new(
        LlmBench::new("llm:fake", lm.clone(), clock()).with_pricing(Pricing {
            input_per_million: 1.0,
            output_per_million: 4.0,
        }),
    )];
    let ms = run(
        &d,
        Path::new("."),
        &rubrics,
        &scorers,
        &BenchConfig {
            repeats: 2,
            concurrency: 4,
        },
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        lm.requests().len(),
        24,
        "12 calls × 2 repeats, none from a cache"
    );
    assert!(
        ms.iter()
            .all(|m| m.tokens.input_tokens == 1000 && m.tokens.output_tokens == 200)
    );
    let mut report = BenchReport::build(&d, &rubrics, &ms, &ReportOptions::default());
    let prices: BTreeMap<String, Pricing> = scorers
        .iter()
        .filter_map(|s| s.pricing().map(|p| (s.name().to_owned(), p)))
        .collect();
    report.price(&prices);
    let p = &report.pairs[0];
    assert_eq!(p.tokens.input_tokens, 24_000);
    let cost = p.cost_usd.unwrap();
    assert!((cost - (24_000.0 * 1.0 + 4_800.0 * 4.0) / 1e6).abs() < 1e-12);
    // The model cited nothing: every verdict counts as missed, so the
    // scorer's column of every confusion matrix is "missed" and its kappa
    // is exactly chance (0).
    for c in &p.criteria {
        assert!(
            c.confusion.iter().all(|row| row[1] == 0 && row[2] == 0),
            "{}",
            c.criterion
        );
        let k = c.kappa.value().unwrap();
        assert!(k.abs() < 1e-12, "{}: {k}", c.criterion);
    }
    // A failing request is recorded, not fatal.
    let ms = run(
        &d,
        Path::new("."),
        &rubrics,
        &scorers,
        &BenchConfig::default(),
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        ms.iter().filter(|m| m.error.is_some()).count(),
        12,
        "the script is empty"
    );
    assert!(
        ms.iter()
            .all(|m| m.error.as_deref().is_some_and(|e| !e.contains("Rep:")))
    );
}

#[tokio::test]
async fn gates_pass_fail_and_undefined_fails() {
    let d = dataset();
    let rubrics = vec![builtin_rubric("bant").unwrap()];
    let scorers: Vec<Arc<dyn BenchScorer>> = vec![Arc::new(HeuristicBench::new(clock()))];
    let ms = run(
        &d,
        Path::new("."),
        &rubrics,
        &scorers,
        &BenchConfig::default(),
        None,
    )
    .await
    .unwrap();
    let report = BenchReport::build(&d, &rubrics, &ms, &ReportOptions::default());
    let mae = report.pairs[0].overall.mae.value.value().unwrap();
    let pass: Gate = format!("mae<={}", mae + 0.01).parse().unwrap();
    let fail: Gate = format!("mae<={}", mae - 0.01).parse().unwrap();
    assert!(pass.check(&report).iter().all(|o| o.passed));
    assert!(fail.check(&report).iter().all(|o| !o.passed));
    let undefined: Gate = "flip_rate<=0.1".parse().unwrap();
    let out = undefined.check(&report);
    assert!(
        !out[0].passed && out[0].value.value().is_none(),
        "needs repeats"
    );
    for bad in ["pearson>0.7", "nonsense>=1", "pearson>=x", "pearson>=NaN"] {
        assert!(bad.parse::<Gate>().is_err(), "{bad}");
    }
}
