//! Runs every scorer × rubric over a dataset with bounded concurrency.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use chrono::{TimeZone, Utc};
use closeq_core::ports::{LanguageModel, Scorer, ScoringInput, TokenUsage};
use closeq_core::{
    Call, CallDirection, CallSource, Clock, Error, Result, Rubric, Scorecard, Transcript, UserId,
    Verdict, WorkspaceId,
};
use futures::StreamExt;
use serde::{Deserialize, Serialize};

use super::meter::{MeteredModel, UsageMeter};
use crate::dataset::{Dataset, LabelledCall, TranscriptSource};
use crate::llm::Pricing;
use crate::metrics::{MetricsConfig, compute};
use crate::scoring::{HeuristicScorer, LlmJudge};
use crate::transcript::{ImportOptions, import};

/// A scorer under benchmark. Every call of [`score_once`](Self::score_once)
/// is independent: nothing is cached between requests, so repeats measure
/// the scorer's own variability.
#[async_trait]
pub trait BenchScorer: std::fmt::Debug + Send + Sync {
    /// The name in reports (`heuristic`, `llm:openai:gpt-4o-mini`).
    fn name(&self) -> &str;
    /// Scores once; returns the tokens it used.
    async fn score_once(
        &self,
        input: &ScoringInput<'_>,
        rubric: &Rubric,
    ) -> Result<(Scorecard, TokenUsage)>;
    /// Token prices, when known (for cost).
    fn pricing(&self) -> Option<Pricing> {
        None
    }
}

/// The deterministic heuristic scorer (no tokens, no cache).
#[derive(Debug)]
pub struct HeuristicBench {
    scorer: HeuristicScorer,
}

impl HeuristicBench {
    /// With this clock for provenance.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            scorer: HeuristicScorer::new(clock),
        }
    }
}

#[async_trait]
impl BenchScorer for HeuristicBench {
    fn name(&self) -> &str {
        "heuristic"
    }

    async fn score_once(
        &self,
        input: &ScoringInput<'_>,
        rubric: &Rubric,
    ) -> Result<(Scorecard, TokenUsage)> {
        Ok((
            self.scorer.score(input, rubric).await?,
            TokenUsage::default(),
        ))
    }
}

/// An LLM judge. Each request gets a fresh judge (so the judge's answer
/// cache never serves a repeat) over a metered model (so its tokens are
/// counted exactly, even with requests running concurrently).
#[derive(Debug)]
pub struct LlmBench {
    name: String,
    model: Arc<dyn LanguageModel>,
    clock: Arc<dyn Clock>,
    pricing: Option<Pricing>,
}

impl LlmBench {
    /// A judge over `model`, reported as `name`.
    pub fn new(
        name: impl Into<String>,
        model: Arc<dyn LanguageModel>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            name: name.into(),
            model,
            clock,
            pricing: None,
        }
    }

    /// Token prices, for cost.
    pub fn with_pricing(mut self, pricing: Pricing) -> Self {
        self.pricing = Some(pricing);
        self
    }
}

#[async_trait]
impl BenchScorer for LlmBench {
    fn name(&self) -> &str {
        &self.name
    }

    async fn score_once(
        &self,
        input: &ScoringInput<'_>,
        rubric: &Rubric,
    ) -> Result<(Scorecard, TokenUsage)> {
        let meter = Arc::new(UsageMeter::default());
        let model = Arc::new(MeteredModel::new(self.model.clone(), meter.clone()));
        let judge = LlmJudge::new(model, self.clock.clone());
        let card = judge.score(input, rubric).await?;
        Ok((card, meter.usage()))
    }

    fn pricing(&self) -> Option<Pricing> {
        self.pricing
    }
}

/// How to run.
#[derive(Debug, Clone)]
pub struct BenchConfig {
    /// Runs per (scorer, rubric, call); 2 or more measure test–retest.
    pub repeats: u32,
    /// Requests in flight at once.
    pub concurrency: usize,
}

impl Default for BenchConfig {
    fn default() -> Self {
        Self {
            repeats: 1,
            concurrency: 4,
        }
    }
}

/// Called after each request with (done, total).
pub type Progress = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// One scoring request's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    /// The scorer's name.
    pub scorer: String,
    /// The rubric id.
    pub rubric: String,
    /// The dataset call id.
    pub call_id: String,
    /// Which repeat (0-based).
    pub repeat: u32,
    /// The overall score, `None` when the request failed.
    pub score: Option<f64>,
    /// Verdict per criterion.
    pub verdicts: BTreeMap<String, Verdict>,
    /// Wall time of the request, in milliseconds.
    pub latency_ms: f64,
    /// Tokens used.
    pub tokens: TokenUsage,
    /// The error, when it failed (no transcript text).
    pub error: Option<String>,
}

/// Whether `call` is labelled against `rubric` (its labels name at least
/// one of the rubric's criteria).
pub(crate) fn labelled_for(call: &LabelledCall, rubric: &Rubric) -> bool {
    call.labels.iter().any(|l| {
        rubric
            .criteria
            .iter()
            .any(|c| l.criteria.contains_key(&c.id))
    })
}

fn load(call: &LabelledCall, base: &Path) -> Result<Transcript> {
    let opts = ImportOptions::default().with_rep_speaker("Rep");
    let field = || format!("dataset call {}", call.id);
    match &call.transcript {
        TranscriptSource::Inline { format, text } => import(text.as_bytes(), Some(*format), &opts)
            .map_err(|e| Error::invalid(field(), e.to_string())),
        TranscriptSource::File { path, format } => {
            let bytes = std::fs::read(base.join(path)).map_err(|e| {
                Error::invalid(field(), format!("cannot read {}: {e}", path.display()))
            })?;
            import(&bytes, *format, &opts).map_err(|e| Error::invalid(field(), e.to_string()))
        }
    }
}

/// Runs every scorer × rubric × labelled call × repeat, at most
/// `config.concurrency` at once. Transcripts are loaded (and checked)
/// before the first request; a failing request is recorded with its error,
/// not fatal. Measurements come back in a stable order.
pub async fn run(
    dataset: &Dataset,
    base: &Path,
    rubrics: &[Rubric],
    scorers: &[Arc<dyn BenchScorer>],
    config: &BenchConfig,
    progress: Option<Progress>,
) -> Result<Vec<Measurement>> {
    if config.repeats == 0 {
        return Err(Error::invalid("repeats", "must be at least 1"));
    }
    if config.concurrency == 0 {
        return Err(Error::invalid("concurrency", "must be at least 1"));
    }
    let t0 = Utc
        .with_ymd_and_hms(2026, 1, 5, 9, 0, 0)
        .single()
        .unwrap_or_default();
    let (ws, rep) = (WorkspaceId::new(), UserId::new());
    let mut prepared = Vec::new();
    for c in &dataset.calls {
        let transcript = load(c, base)?;
        let metrics = compute(&transcript, &MetricsConfig::default());
        let mut call = Call::new(ws, rep, t0, CallDirection::Outbound, CallSource::Upload, t0);
        call.call_type = Some(c.call_type.clone());
        call.duration_ms = Some(transcript.duration_ms.max(1));
        prepared.push((c, call, transcript, metrics));
    }
    let mut tasks = Vec::new();
    for s in scorers {
        for r in rubrics {
            for (i, (c, ..)) in prepared.iter().enumerate() {
                if labelled_for(c, r) {
                    for k in 0..config.repeats {
                        tasks.push((s.clone(), r, i, k));
                    }
                }
            }
        }
    }
    let total = tasks.len() as u64;
    let done = std::sync::atomic::AtomicU64::new(0);
    let mut out: Vec<(usize, Measurement)> = futures::stream::iter(tasks.into_iter().enumerate())
        .map(|(order, (scorer, rubric, i, repeat))| {
            let (c, call, transcript, metrics) = &prepared[i];
            let (done, progress) = (&done, progress.clone());
            async move {
                let input = ScoringInput {
                    call,
                    transcript,
                    metrics,
                };
                let started = Instant::now();
                let result = scorer.score_once(&input, rubric).await;
                let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
                let mut m = Measurement {
                    scorer: scorer.name().to_owned(),
                    rubric: rubric.id.as_str().to_owned(),
                    call_id: c.id.clone(),
                    repeat,
                    score: None,
                    verdicts: BTreeMap::new(),
                    latency_ms,
                    tokens: TokenUsage::default(),
                    error: None,
                };
                match result {
                    Ok((card, tokens)) => {
                        m.score = Some(card.score.value());
                        m.verdicts = card
                            .criteria
                            .iter()
                            .map(|r| (r.criterion_id.clone(), r.verdict))
                            .collect();
                        m.tokens = tokens;
                    }
                    Err(e) => m.error = Some(e.to_string()),
                }
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                if let Some(p) = &progress {
                    p(n, total);
                }
                (order, m)
            }
        })
        .buffer_unordered(config.concurrency)
        .collect()
        .await;
    out.sort_by_key(|(order, _)| *order);
    Ok(out.into_iter().map(|(_, m)| m).collect())
}
