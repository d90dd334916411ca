//! The deterministic heuristic scorer (the default: no network).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use closeq_core::ports::{Scorer, ScoringInput};
use closeq_core::{
    Clock, ConversationMetrics, CriterionResult, EvidenceSide, EvidenceSpan, MetricKey, Provenance,
    Result, Rubric, Score, ScoreExplanation, Scorecard, ScorecardDraft, SpeakerRole, Transcript,
    Verdict,
};

use super::compile::{CompiledCriterion, CompiledCue, CompiledRubric, CompiledSet, PatternInfo};
use super::evidence::{cite, cite_utterance};
use super::facts::{CallFacts, SpanRef, word_bounded};
use super::report;
use crate::metrics::BenchmarkPack;
use crate::rubric::rubric_hash;
use crate::text::is_question_at_with;

/// At most this many quotes are cited per cue.
const MAX_EVIDENCE: usize = 3;

/// A phrase hit.
#[derive(Debug, Clone, Copy)]
struct Hit {
    span: SpanRef,
    question: bool,
}

/// The outcome of evaluating a cue.
struct Eval {
    ok: bool,
    evidence: Vec<SpanRef>,
    /// Whole utterances cited (metric witnesses).
    witnesses: Vec<u32>,
    notes: Vec<String>,
}

impl Eval {
    fn new(ok: bool) -> Self {
        Self {
            ok,
            evidence: Vec::new(),
            witnesses: Vec::new(),
            notes: Vec::new(),
        }
    }
    fn has_evidence(&self) -> bool {
        !self.evidence.is_empty() || !self.witnesses.is_empty()
    }
}

/// Scores calls against rubrics with phrase, question, metric and next-step
/// cues. Deterministic: the same transcript, metrics and rubric always give
/// the same scorecard (up to its id and `generated_at`).
///
/// Compile a rubric once ([`HeuristicScorer::compile`], cached by rubric
/// hash) and reuse it; [`HeuristicScorer::score_all`] scores one call
/// against many rubrics, sharing the per-call work.
#[derive(Debug)]
pub struct HeuristicScorer {
    clock: Arc<dyn Clock>,
    pack: BenchmarkPack,
    cache: Mutex<HashMap<String, Arc<CompiledRubric>>>,
}

impl HeuristicScorer {
    /// A scorer with the default benchmark pack.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self::with_pack(clock, BenchmarkPack::default_pack())
    }

    /// A scorer reading thresholds from `pack`.
    pub fn with_pack(clock: Arc<dyn Clock>, pack: BenchmarkPack) -> Self {
        Self {
            clock,
            pack,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The benchmark pack.
    pub fn pack(&self) -> &BenchmarkPack {
        &self.pack
    }

    /// Compiles `rubric` (or returns the cached compilation).
    pub fn compile(&self, rubric: &Rubric) -> Result<Arc<CompiledRubric>> {
        let hash = rubric_hash(rubric);
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = cache.get(&hash) {
            return Ok(c.clone());
        }
        let c = Arc::new(CompiledRubric::compile(rubric, &self.pack)?);
        cache.insert(hash, c.clone());
        Ok(c)
    }

    /// Scores one call against one compiled rubric.
    pub fn score_compiled(
        &self,
        input: &ScoringInput<'_>,
        rubric: &CompiledRubric,
    ) -> Result<Scorecard> {
        let facts = CallFacts::new(input.transcript);
        self.score_with_facts(input, rubric, &facts)
    }

    /// Compiles several rubrics into one set sharing one automaton.
    pub fn compile_set(&self, rubrics: &[Rubric]) -> Result<CompiledSet> {
        CompiledSet::new(
            rubrics
                .iter()
                .map(|r| self.compile(r))
                .collect::<Result<_>>()?,
        )
    }

    /// Scores one call against every rubric of a set: the per-call facts
    /// (roles, fingerprint, next steps) and the phrase search run once.
    pub fn score_all(&self, input: &ScoringInput<'_>, set: &CompiledSet) -> Result<Vec<Scorecard>> {
        let facts = CallFacts::new(input.transcript);
        let all_hits = find_hits_set(input.transcript, set, &facts);
        set.rubrics
            .iter()
            .zip(all_hits)
            .map(|(r, hits)| self.score_with_hits(input, r, &facts, hits))
            .collect()
    }

    fn score_with_facts(
        &self,
        input: &ScoringInput<'_>,
        rubric: &CompiledRubric,
        facts: &CallFacts,
    ) -> Result<Scorecard> {
        let hits = find_hits(input.transcript, rubric, facts);
        self.score_with_hits(input, rubric, facts, hits)
    }

    fn score_with_hits(
        &self,
        input: &ScoringInput<'_>,
        rubric: &CompiledRubric,
        facts: &CallFacts,
        hits: Vec<Vec<Hit>>,
    ) -> Result<Scorecard> {
        let t = input.transcript;
        let ctx = Ctx {
            t,
            m: input.metrics,
            facts,
            hits: &hits,
        };
        let partial_credit = rubric.rubric.partial_credit;
        let mut results = Vec::new();
        let mut explanation = Vec::new();
        for c in &rubric.criteria {
            explanation.push(ctx.criterion(c, partial_credit, &mut results));
        }
        let (earned, possible) = explanation
            .iter()
            .fold((0.0, 0.0), |(e, p), x| (e + x.points, p + x.possible));
        let score = if possible > 0.0 {
            100.0 * earned / possible
        } else {
            0.0
        };
        let score = Score::new((score * 10.0).round() / 10.0)?;
        let (coaching_notes, recommendations, issues) = report::derive(
            t,
            input.metrics,
            &self.pack,
            &rubric.rubric,
            &rubric.criteria,
            &results,
            facts,
            input.call.call_type.as_deref(),
        );
        Ok(Scorecard::suggested(ScorecardDraft {
            call_id: input.call.id,
            workspace_id: input.call.workspace_id,
            score,
            criteria: results,
            explanation,
            coaching_notes,
            recommendations,
            issues,
            metrics: Some(input.metrics.clone()),
            summary: Some(super::summary::summarize_with(t, facts)),
            provenance: Provenance {
                scorer: "heuristic".into(),
                model: None,
                rubric_id: rubric.rubric.id.clone(),
                rubric_version: rubric.rubric.version.clone(),
                rubric_hash: rubric.hash.clone(),
                prompt_version: None,
                transcript_hash: facts.fingerprint.clone(),
                generated_at: self.clock.now(),
            },
        }))
    }
}

#[async_trait]
impl Scorer for HeuristicScorer {
    fn name(&self) -> &str {
        "heuristic"
    }

    /// None: the heuristic scorer never leaves the process.
    fn sub_processors(&self) -> Vec<closeq_core::SubProcessorInfo> {
        Vec::new()
    }

    async fn score(&self, input: &ScoringInput<'_>, rubric: &Rubric) -> Result<Scorecard> {
        let compiled = self.compile(rubric)?;
        self.score_compiled(input, &compiled)
    }
}

/// Every phrase hit of the rubric's automaton, per phrase set, with word
/// boundaries checked and overlaps within a set removed.
fn find_hits(t: &Transcript, rubric: &CompiledRubric, facts: &CallFacts) -> Vec<Vec<Hit>> {
    let mut hits: Vec<Vec<Hit>> = vec![Vec::new(); rubric.sets as usize];
    let Some(ac) = &rubric.automaton else {
        return hits;
    };
    for (ui, u) in t.utterances.iter().enumerate() {
        let text = u.text.as_str();
        let bytes = text.as_bytes();
        for m in ac.find_overlapping_iter(text) {
            let info = rubric.patterns[m.pattern().as_usize()];
            let start_ok = !info.alnum_start
                || m.start() == 0
                || !bytes[m.start() - 1].is_ascii_alphanumeric();
            let end_ok = !info.alnum_end
                || !info.whole_word_end
                || word_bounded(bytes, m.start(), m.end(), true);
            if !(start_ok && end_ok) {
                continue;
            }
            let list = &mut hits[info.set as usize];
            if let Some(last) = list.last()
                && last.span.utt == ui as u32
                && (m.start() as u32) < last.span.end
                && (m.end() as u32) > last.span.start
            {
                continue;
            }
            list.push(Hit {
                span: SpanRef {
                    utt: ui as u32,
                    start: m.start() as u32,
                    end: m.end() as u32,
                },
                question: is_question_at_with(
                    text,
                    m.start(),
                    facts.punctuated[ui],
                    facts.opener[ui],
                ),
            });
        }
    }
    hits
}

fn accept(bytes: &[u8], info: &PatternInfo, start: usize, end: usize) -> bool {
    let start_ok = !info.alnum_start || start == 0 || !bytes[start - 1].is_ascii_alphanumeric();
    let end_ok = !info.alnum_end || !info.whole_word_end || word_bounded(bytes, start, end, true);
    start_ok && end_ok
}

fn push_hit(list: &mut Vec<Hit>, hit: Hit) {
    if let Some(last) = list.last()
        && last.span.utt == hit.span.utt
        && hit.span.start < last.span.end
        && hit.span.end > last.span.start
    {
        return;
    }
    list.push(hit);
}

/// [`find_hits`] for a whole set, in one pass over the text.
fn find_hits_set(t: &Transcript, set: &CompiledSet, facts: &CallFacts) -> Vec<Vec<Vec<Hit>>> {
    let mut hits: Vec<Vec<Vec<Hit>>> = set
        .rubrics
        .iter()
        .map(|r| vec![Vec::new(); r.sets as usize])
        .collect();
    let Some(ac) = &set.automaton else {
        return hits;
    };
    for (ui, u) in t.utterances.iter().enumerate() {
        let text = u.text.as_str();
        let bytes = text.as_bytes();
        for m in ac.find_overlapping_iter(text) {
            let mut question = None;
            for (ri, info) in &set.owners[m.pattern().as_usize()] {
                if !accept(bytes, info, m.start(), m.end()) {
                    continue;
                }
                let q = *question.get_or_insert_with(|| {
                    is_question_at_with(text, m.start(), facts.punctuated[ui], facts.opener[ui])
                });
                push_hit(
                    &mut hits[*ri as usize][info.set as usize],
                    Hit {
                        span: SpanRef {
                            utt: ui as u32,
                            start: m.start() as u32,
                            end: m.end() as u32,
                        },
                        question: q,
                    },
                );
            }
        }
    }
    hits
}

fn side_matches(side: EvidenceSide, role: SpeakerRole) -> bool {
    match side {
        EvidenceSide::Rep => role == SpeakerRole::Rep,
        EvidenceSide::Client => role == SpeakerRole::Client,
        EvidenceSide::Either => true,
    }
}

/// A metric in words.
fn metric_label(k: MetricKey) -> &'static str {
    match k {
        MetricKey::RepTalkRatio => "the rep's share of talk time",
        MetricKey::ClientTalkRatio => "the client's share of talk time",
        MetricKey::LongestRepMonologueSecs => "the rep's longest monologue",
        MetricKey::LongestCustomerStorySecs => "the client's longest story",
        MetricKey::InteractivityPerMin => "speaker switches per minute",
        MetricKey::PatienceSecs => "the rep's mean pause before answering",
        MetricKey::RepQuestions => "questions asked by the rep",
        MetricKey::ClientQuestions => "questions asked by the client",
        MetricKey::RepFillersPer100Words => "the rep's filler words per 100 words",
        MetricKey::RepWordsPerMinute => "the rep's words per minute",
        MetricKey::RepInterruptions => "the rep's interruptions",
        MetricKey::SilenceShare => "the share of silence",
    }
}

/// A metric's value with its unit.
fn metric_value(k: MetricKey, v: f64) -> String {
    match k {
        MetricKey::RepTalkRatio | MetricKey::ClientTalkRatio | MetricKey::SilenceShare => {
            format!("{:.0} %", v * 100.0)
        }
        MetricKey::LongestRepMonologueSecs
        | MetricKey::LongestCustomerStorySecs
        | MetricKey::PatienceSecs => format!("{v:.1} s"),
        MetricKey::RepQuestions | MetricKey::ClientQuestions | MetricKey::RepInterruptions => {
            format!("{v:.0}")
        }
        _ => format!("{v:.1}"),
    }
}

fn op_symbol(op: closeq_core::Comparison) -> &'static str {
    match op {
        closeq_core::Comparison::Lt => "<",
        closeq_core::Comparison::Le => "≤",
        closeq_core::Comparison::Gt => ">",
        closeq_core::Comparison::Ge => "≥",
    }
}

/// `m:ss`.
fn clock(ms: u64) -> String {
    format!("{}:{:02}", ms / 60_000, ms / 1000 % 60)
}

struct Ctx<'a> {
    t: &'a Transcript,
    m: &'a ConversationMetrics,
    facts: &'a CallFacts,
    hits: &'a [Vec<Hit>],
}

impl Ctx<'_> {
    /// The utterances behind a metric, to cite, and what they are, in words.
    fn behind(&self, metric: MetricKey) -> (Vec<u32>, Vec<String>) {
        let questions = |side: SpeakerRole| {
            let asked: Vec<u32> = self.facts.questions_by(side).collect();
            let at: Vec<String> = asked
                .iter()
                .filter_map(|&u| self.t.utterances.get(u as usize))
                .map(|u| clock(u.start_ms))
                .collect();
            let words = if at.is_empty() {
                "no question asked".to_owned()
            } else {
                format!("questions at {}", at.join(", "))
            };
            (asked.into_iter().take(MAX_EVIDENCE).collect(), vec![words])
        };
        // A stretch is cited by its side's two longest utterances in it, in
        // time order (its first may be a greeting that explains nothing).
        let stretch = |s: Option<crate::metrics::Stretch>, side: SpeakerRole, what: &str| {
            s.map(|s| {
                let mut own: Vec<usize> = (s.first..=s.last)
                    .filter(|&i| self.facts.roles.get(i) == Some(&side))
                    .collect();
                let length = |i: &usize| {
                    self.t
                        .utterances
                        .get(*i)
                        .map_or(0, |u| u.end_ms.saturating_sub(u.start_ms))
                };
                own.sort_by_key(|i| std::cmp::Reverse(length(i)));
                own.truncate(2);
                own.sort_unstable();
                (
                    own.into_iter().map(|i| i as u32).collect::<Vec<u32>>(),
                    format!(
                        "{what} {}–{} ({:.1} s)",
                        clock(s.start_ms),
                        clock(s.end_ms),
                        s.end_ms.saturating_sub(s.start_ms) as f64 / 1000.0
                    ),
                )
            })
        };
        let own = matches!(
            metric,
            MetricKey::LongestRepMonologueSecs | MetricKey::LongestCustomerStorySecs
        );
        let monologue = || {
            let what = if own {
                "it runs"
            } else {
                "the longest rep monologue runs"
            };
            stretch(self.facts.stretches.rep, SpeakerRole::Rep, what)
        };
        let story = || {
            let what = if own {
                "it runs"
            } else {
                "the longest client story runs"
            };
            stretch(self.facts.stretches.client, SpeakerRole::Client, what)
        };
        let parts: Vec<(Vec<u32>, String)> = match metric {
            MetricKey::RepQuestions => return questions(SpeakerRole::Rep),
            MetricKey::ClientQuestions => return questions(SpeakerRole::Client),
            MetricKey::RepTalkRatio | MetricKey::ClientTalkRatio => {
                monologue().into_iter().chain(story()).collect()
            }
            MetricKey::LongestCustomerStorySecs => story().into_iter().collect(),
            MetricKey::SilenceShare | MetricKey::InteractivityPerMin => {
                story().or_else(monologue).into_iter().collect()
            }
            _ => monologue().into_iter().collect(),
        };
        let (cited, words): (Vec<Vec<u32>>, Vec<String>) = parts.into_iter().unzip();
        (cited.into_iter().flatten().collect(), words)
    }

    fn eval(&self, cue: &CompiledCue) -> Eval {
        match cue {
            CompiledCue::Phrases {
                set,
                side,
                as_question,
                min_hits,
            } => {
                let good: Vec<&Hit> = self.hits[*set as usize]
                    .iter()
                    .filter(|h| side_matches(*side, self.facts.roles[h.span.utt as usize]))
                    .filter(|h| !as_question || h.question)
                    .collect();
                let mut e = Eval::new(good.len() as u32 >= *min_hits);
                e.evidence = good.iter().take(MAX_EVIDENCE).map(|h| h.span).collect();
                e.notes.push(format!(
                    "{} matching phrase(s){} by {}, {} needed",
                    good.len(),
                    if *as_question {
                        " asked as questions"
                    } else {
                        ""
                    },
                    match side {
                        EvidenceSide::Rep => "the rep",
                        EvidenceSide::Client => "the client",
                        EvidenceSide::Either => "either side",
                    },
                    min_hits
                ));
                e
            }
            CompiledCue::Metric {
                metric,
                op,
                threshold,
                benchmark,
            } => {
                let value = self.m.get(*metric);
                let ok = value.is_some_and(|v| op.holds(v, *threshold));
                let mut e = Eval::new(ok);
                // The moments behind the metric: the questions asked, or
                // the monologue and the story it measures.
                let (witnesses, behind) = self.behind(*metric);
                e.witnesses.extend(witnesses);
                let src = benchmark
                    .as_ref()
                    .map(|b| format!(", benchmark {b}"))
                    .unwrap_or_default();
                let behind = if behind.is_empty() {
                    String::new()
                } else {
                    format!("; {}", behind.join("; "))
                };
                e.notes.push(match value {
                    Some(v) => format!(
                        "{}: {} (needs {} {}{src}){behind}",
                        metric_label(*metric),
                        metric_value(*metric, v),
                        op_symbol(*op),
                        metric_value(*metric, *threshold),
                    ),
                    None => format!("{} is undefined for this call", metric_label(*metric)),
                });
                e
            }
            CompiledCue::NextStep { side } => {
                let spans: Vec<SpanRef> = self
                    .facts
                    .next_steps
                    .iter()
                    .filter(|(role, _)| side_matches(*side, *role))
                    .map(|(_, s)| *s)
                    .collect();
                let mut e = Eval::new(!spans.is_empty());
                e.notes.push(if spans.is_empty() {
                    "no commitment with a date or time found".into()
                } else {
                    format!("{} dated next-step commitment(s)", spans.len())
                });
                e.evidence = spans.into_iter().take(MAX_EVIDENCE).collect();
                e
            }
            CompiledCue::All(cues) => self.combine(cues, |ok, n| ok == n),
            CompiledCue::Any(cues) => self.combine(cues, |ok, _| ok >= 1),
            CompiledCue::AtLeast(k, cues) => self.combine(cues, |ok, _| ok >= *k as usize),
        }
    }

    fn combine(&self, cues: &[CompiledCue], rule: impl Fn(usize, usize) -> bool) -> Eval {
        let evals: Vec<Eval> = cues.iter().map(|c| self.eval(c)).collect();
        let ok_count = evals.iter().filter(|e| e.ok).count();
        let mut out = Eval::new(rule(ok_count, evals.len()));
        for e in evals {
            if e.ok {
                out.evidence.extend(e.evidence);
                out.witnesses.extend(e.witnesses);
            }
            out.notes.extend(e.notes);
        }
        out.evidence.truncate(MAX_EVIDENCE * 2);
        out
    }

    fn spans(&self, e: &Eval) -> Vec<EvidenceSpan> {
        let mut out: Vec<EvidenceSpan> = e
            .evidence
            .iter()
            .filter_map(|s| cite(self.t, &self.facts.roles, *s))
            .chain(
                e.witnesses
                    .iter()
                    .filter_map(|u| cite_utterance(self.t, &self.facts.roles, *u)),
            )
            .collect();
        out.dedup_by(|a, b| a.utterance_id == b.utterance_id && a.char_start == b.char_start);
        out
    }

    /// Scores one criterion (and its children), pushing results depth first.
    fn criterion(
        &self,
        c: &CompiledCriterion,
        partial_credit: f64,
        out: &mut Vec<CriterionResult>,
    ) -> ScoreExplanation {
        let index = out.len();
        out.push(CriterionResult {
            criterion_id: c.id.clone(),
            verdict: Verdict::Missed,
            weight: c.weight,
            points: 0.0,
            evidence: Vec::new(),
            rationale: String::new().into(),
        });
        let children: Vec<ScoreExplanation> = c
            .children
            .iter()
            .map(|ch| self.criterion(ch, partial_credit, out))
            .collect();

        let (verdict, evidence, rationale) = if let Some(applies) = &c.applies_when {
            let a = self.eval(applies);
            if !a.ok {
                (
                    Verdict::NotApplicable,
                    Vec::new(),
                    format!("does not apply: {}", a.notes.join("; ")),
                )
            } else {
                self.decide(c, &children)
            }
        } else {
            self.decide(c, &children)
        };
        let (points, possible) = match verdict {
            Verdict::NotApplicable => (0.0, 0.0),
            Verdict::Met => (c.weight, c.weight),
            Verdict::Partial => {
                let frac = if c.met_when.is_none() && !children.is_empty() {
                    children_fraction(&children)
                } else {
                    partial_credit
                };
                (c.weight * frac, c.weight)
            }
            Verdict::Missed | Verdict::InsufficientEvidence => (0.0, c.weight),
        };
        out[index].verdict = verdict;
        out[index].points = points;
        out[index].evidence = evidence;
        out[index].rationale = rationale.into();
        ScoreExplanation {
            criterion_id: c.id.clone(),
            weight: c.weight,
            verdict,
            points,
            possible,
            children,
        }
    }

    fn decide(
        &self,
        c: &CompiledCriterion,
        children: &[ScoreExplanation],
    ) -> (Verdict, Vec<EvidenceSpan>, String) {
        let Some(met_when) = &c.met_when else {
            if children.is_empty() {
                return (
                    Verdict::InsufficientEvidence,
                    Vec::new(),
                    "no heuristic cues: this criterion needs the LLM judge or a human reviewer"
                        .into(),
                );
            }
            let applicable: Vec<&ScoreExplanation> = children
                .iter()
                .filter(|x| x.verdict != Verdict::NotApplicable)
                .collect();
            if applicable.is_empty() {
                return (
                    Verdict::NotApplicable,
                    Vec::new(),
                    "no sub-criterion applies".into(),
                );
            }
            let frac = children_fraction(children);
            let v = if frac >= 1.0 {
                Verdict::Met
            } else if frac > 0.0 {
                Verdict::Partial
            } else {
                Verdict::Missed
            };
            return (
                v,
                Vec::new(),
                format!("{:.0}% of the sub-criteria's points", frac * 100.0),
            );
        };
        let met = self.eval(met_when);
        if met.ok && met.has_evidence() {
            let ev = self.spans(&met);
            if !ev.is_empty() {
                return (Verdict::Met, ev, format!("met: {}", met.notes.join("; ")));
            }
        }
        if let Some(p) = &c.partial_when {
            let part = self.eval(p);
            if part.ok && part.has_evidence() {
                let ev = self.spans(&part);
                if !ev.is_empty() {
                    return (
                        Verdict::Partial,
                        ev,
                        format!("partly met: {}", part.notes.join("; ")),
                    );
                }
            }
        }
        let why = if met.ok {
            "the cue held but nothing quotable supports it, so it is not counted".to_owned()
        } else {
            format!("missed: {}", met.notes.join("; "))
        };
        (Verdict::Missed, Vec::new(), why)
    }
}

fn children_fraction(children: &[ScoreExplanation]) -> f64 {
    let (e, p) = children
        .iter()
        .fold((0.0, 0.0), |(e, p), x| (e + x.points, p + x.possible));
    if p > 0.0 { e / p } else { 0.0 }
}
