//! `closeq bench`: every scorer × rubric over a labelled dataset, compared
//! with the human raters, reported as JSON, Markdown and HTML, with
//! optional CI gates.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use closeq_analysis::bench::{
    BenchConfig, BenchReport, BenchScorer, Gate, HeuristicBench, LlmBench, ReportOptions,
    SYNTHETIC_DATASET, render_html, render_markdown, run,
};
use closeq_analysis::dataset::Dataset;
use closeq_analysis::llm::{ModelSpec, Pricing};
use closeq_core::ports::LanguageModel;
use closeq_core::{Clock, SystemClock};
use indicatif::{ProgressBar, ProgressStyle};

/// `closeq bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// A labelled-call dataset (JSONL); the bundled SYNTHETIC set when omitted.
    #[arg(long)]
    dataset: Option<PathBuf>,
    /// Rubrics (built-in id or file); repeat the flag. Default: spin, bant, meddpicc.
    #[arg(long = "rubric")]
    rubrics: Vec<String>,
    /// Scorers: `heuristic`, `llm:openai:MODEL`, `llm:anthropic:MODEL`
    /// (keys from CLOSEQ_OPENAI_API_KEY / CLOSEQ_ANTHROPIC_API_KEY, base
    /// URLs from CLOSEQ_OPENAI_BASE_URL / CLOSEQ_ANTHROPIC_BASE_URL), or
    /// `llm:local:PATH.gguf` (in process, no network; CLOSEQ_LLM_LOCAL_*);
    /// repeat the flag. Default: heuristic.
    #[arg(long = "scorer")]
    scorers: Vec<String>,
    /// Runs per call (2 or more: test–retest; repeats never share a cache).
    #[arg(long, default_value_t = 1)]
    repeats: u32,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Write report.json, report.md and report.html here.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Fail (exit 1) unless every scorer × rubric meets this, e.g.
    /// `pearson>=0.7`, `mae<=15`, `mean_kappa_quadratic>=0.5`; repeatable.
    #[arg(long = "gate")]
    gates: Vec<String>,
    /// Pass/fail threshold for the test–retest flip rate.
    #[arg(long, default_value_t = 70.0)]
    threshold: f64,
    /// Bootstrap resamples.
    #[arg(long, default_value_t = 1000)]
    resamples: u32,
    /// Bootstrap seed.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// USD per million input tokens (LLM scorers), for cost.
    #[arg(long)]
    price_in: Option<f64>,
    /// USD per million output tokens.
    #[arg(long)]
    price_out: Option<f64>,
}

fn scorer(
    spec: &str,
    clock: Arc<dyn Clock>,
    pricing: Option<Pricing>,
) -> anyhow::Result<Arc<dyn BenchScorer>> {
    if spec == "heuristic" {
        return Ok(Arc::new(HeuristicBench::new(clock)));
    }
    let model: Arc<dyn LanguageModel> = match spec.strip_prefix("llm:") {
        Some(model) => model
            .parse::<ModelSpec>()
            .with_context(|| format!("--scorer {spec}"))?
            .build_from_env()?,
        None => anyhow::bail!(
            "--scorer `{spec}`: use heuristic, llm:openai:MODEL, llm:anthropic:MODEL or llm:local:PATH.gguf"
        ),
    };
    let mut b = LlmBench::new(spec, model, clock);
    if let Some(p) = pricing {
        b = b.with_pricing(p);
    }
    Ok(Arc::new(b))
}

fn write_reports(dir: &Path, report: &BenchReport) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    super::files::write_all_or_nothing(
        dir,
        &[
            (
                "report.json",
                serde_json::to_string_pretty(&report.to_json())?,
            ),
            ("report.md", render_markdown(report)),
            ("report.html", render_html(report)),
        ],
    )
}

/// Runs the benchmark; `Ok(false)` when a gate failed.
pub fn run_bench(args: BenchArgs) -> anyhow::Result<bool> {
    let gates: Vec<Gate> = args
        .gates
        .iter()
        .map(|g| {
            g.parse::<Gate>()
                .map_err(|e| anyhow::anyhow!("--gate {g}: {e}"))
        })
        .collect::<anyhow::Result<_>>()?;
    if !(0.0..=100.0).contains(&args.threshold) {
        anyhow::bail!("--threshold must be a score from 0 to 100");
    }
    let (text, base) = match &args.dataset {
        Some(p) => (
            std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?,
            p.parent()
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
        ),
        None => (SYNTHETIC_DATASET.to_owned(), PathBuf::from(".")),
    };
    let dataset = Dataset::parse(&text).map_err(|e| {
        anyhow::anyhow!(
            "{}: {e}",
            args.dataset
                .as_ref()
                .map_or_else(|| "bundled dataset".into(), |p| p.display().to_string())
        )
    })?;
    let ids = if args.rubrics.is_empty() {
        vec!["spin".to_owned(), "bant".into(), "meddpicc".into()]
    } else {
        args.rubrics.clone()
    };
    let rubrics = ids
        .iter()
        .map(|r| super::rubric::resolve(r))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let pricing = match (args.price_in, args.price_out) {
        (Some(i), Some(o)) if i >= 0.0 && o >= 0.0 => Some(Pricing {
            input_per_million: i,
            output_per_million: o,
        }),
        (None, None) => None,
        _ => anyhow::bail!("--price-in and --price-out go together and are not negative"),
    };
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let specs = if args.scorers.is_empty() {
        vec!["heuristic".to_owned()]
    } else {
        args.scorers.clone()
    };
    let scorers = specs
        .iter()
        .map(|s| scorer(s, clock.clone(), pricing))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} requests ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let progress_bar = bar.clone();
    let progress: closeq_analysis::bench::Progress = Arc::new(move |done, total| {
        progress_bar.set_length(total);
        progress_bar.set_position(done);
    });
    let config = BenchConfig {
        repeats: args.repeats,
        concurrency: args.concurrency,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let measurements = rt.block_on(run(
        &dataset,
        &base,
        &rubrics,
        &scorers,
        &config,
        Some(progress),
    ))?;
    bar.finish_and_clear();
    let mut report = BenchReport::build(
        &dataset,
        &rubrics,
        &measurements,
        &ReportOptions {
            resamples: args.resamples,
            seed: args.seed,
            threshold: args.threshold,
            ..ReportOptions::default()
        },
    );
    let prices: BTreeMap<String, Pricing> = scorers
        .iter()
        .filter_map(|s| s.pricing().map(|p| (s.name().to_owned(), p)))
        .collect();
    report.price(&prices);
    print!("{}", render_markdown(&report));
    if let Some(dir) = &args.out {
        write_reports(dir, &report)?;
        println!("\nreports written to {}", dir.display());
    }
    let mut ok = true;
    for g in &gates {
        for o in g.check(&report) {
            let value = o
                .value
                .value()
                .map_or_else(|| "undefined".to_owned(), |v| format!("{v:.3}"));
            println!(
                "gate {} on {} / {}: {} ({value})",
                o.gate,
                o.scorer,
                o.rubric,
                if o.passed { "pass" } else { "FAIL" }
            );
            ok &= o.passed;
        }
    }
    Ok(ok)
}
