//! The LLM judge: one request per (call, rubric), a JSON-Schema answer,
//! every citation verified against the transcript, one repair retry for a
//! malformed answer, and a cache so identical input is never sent twice.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use closeq_core::ports::{
    CompletionRequest, FinishReason, LanguageModel, Message, MessageRole, ResponseSchema, Scorer,
    ScoringInput,
};
use closeq_core::{
    Clock, CoachingNote, Criterion, CriterionResult, Error, EvidenceSide, Provenance,
    Recommendation, Result, Rubric, Score, ScoreExplanation, Scorecard, ScorecardDraft, Transcript,
    UtteranceId, Verdict,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::facts::transcript_fingerprint;
use super::utterance_label::{utterance_id_rule, utterance_label};
use super::verify::{MIN_QUOTE_WORDS, verify};
use crate::rubric::rubric_hash;

/// The prompt's version, recorded on scorecards and part of the cache key.
pub const PROMPT_VERSION: &str = "judge-v3";

/// A verdict the judge may give.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum JudgeVerdict {
    /// Fully met.
    Met,
    /// Partly met.
    Partial,
    /// Not met.
    Missed,
    /// Does not apply to this call.
    NotApplicable,
}

/// A quote from the transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JudgeCitation {
    /// The utterance id; the schema describes it with
    /// [`utterance_id_rule`](super::utterance_id_rule), as the prompt does.
    pub utterance: u32,
    /// Words copied exactly from that utterance.
    pub quote: String,
}

/// The judge's answer for one criterion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JudgeCriterion {
    /// The criterion's id.
    pub criterion_id: String,
    /// The verdict.
    pub verdict: JudgeVerdict,
    /// Supporting quotes (required for met and partial).
    pub citations: Vec<JudgeCitation>,
    /// One or two sentences of reasoning.
    pub rationale: String,
}

/// The whole answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JudgeAnswer {
    /// One entry per criterion.
    pub criteria: Vec<JudgeCriterion>,
    /// Coaching notes for the rep.
    pub coaching_notes: Vec<String>,
    /// Recommendations for next time.
    pub recommendations: Vec<String>,
}

/// The transcript, compactly: one line per utterance, `R12 text`, where
/// the letter is the speaker's side (R rep, C client, O other, U unknown)
/// and the number the utterance id. About two tokens per utterance on top
/// of the words themselves, so the prompt stays within 1.1 × the
/// transcript's tokens + 2,000.
pub fn render_transcript(t: &Transcript) -> String {
    let mut out = String::with_capacity(t.utterances.iter().map(|u| u.text.len() + 8).sum());
    for u in &t.utterances {
        let label = utterance_label(t.role_of(u.speaker), u.id);
        let _ = writeln!(out, "{label} {}", u.text.as_str());
    }
    out
}

fn side_name(s: EvidenceSide) -> &'static str {
    match s {
        EvidenceSide::Rep => "the rep",
        EvidenceSide::Client => "the client",
        EvidenceSide::Either => "either side",
    }
}

fn render_rubric(r: &Rubric) -> String {
    let mut out = String::new();
    for c in r.all_criteria() {
        let q = c
            .judge
            .as_ref()
            .map_or(c.title.as_str(), |j| j.question.as_str());
        let _ = write!(
            out,
            "- {}: {q} (evidence from {})",
            c.id,
            side_name(c.evidence)
        );
        if let Some(g) = c
            .judge
            .as_ref()
            .map(|j| j.guidance.as_str())
            .filter(|g| !g.is_empty())
        {
            let _ = write!(out, " Guidance: {g}");
        }
        out.push('\n');
    }
    out
}

const SYSTEM: &str = "You review sales calls against a rubric. For each criterion, decide met, partial, missed or not_applicable, \
and cite the transcript: every citation names an utterance id and copies at least three consecutive words \
exactly from that utterance (or the whole utterance, when it is shorter). A verdict of met or partial without an exact quote will be discarded. Judge only what was said; never infer anyone's \
emotions, mood or other affective state. Answer with the JSON object described by the schema.";
// The system prompt states the verifier's minimum in words.
const _: () = assert!(
    MIN_QUOTE_WORDS == 3,
    "update SYSTEM's \"three consecutive words\""
);

/// The answer's JSON Schema for `rubric`: [`JudgeAnswer`]'s, with each
/// `criterion_id` restricted to the rubric's criterion ids (so a model
/// constrained by the schema cannot answer for a criterion that does not
/// exist, and strict structured output rejects one that does not),
/// utterance ids to the range they are read into, and the utterance id
/// described by [`utterance_id_rule`], the sentence the prompt uses.
pub fn answer_schema(rubric: &Rubric) -> serde_json::Value {
    let mut schema = serde_json::to_value(schemars::schema_for!(JudgeAnswer)).unwrap_or_default();
    let ids: Vec<serde_json::Value> = rubric
        .all_criteria()
        .into_iter()
        .map(|c| serde_json::Value::from(c.id.as_str()))
        .collect();
    // A u32: a larger id cannot be read, so the schema must not allow one.
    if let Some(o) = schema
        .pointer_mut("/$defs/JudgeCitation/properties/utterance")
        .and_then(serde_json::Value::as_object_mut)
    {
        o.insert("maximum".into(), serde_json::Value::from(u32::MAX));
        o.insert(
            "description".into(),
            serde_json::Value::from(utterance_id_rule()),
        );
    }
    if let Some(id) = schema.pointer_mut("/$defs/JudgeCriterion/properties/criterion_id")
        && let Some(o) = id.as_object_mut()
        && !ids.is_empty()
    {
        o.insert("enum".into(), serde_json::Value::Array(ids));
    }
    schema
}

/// Builds the request for one call and rubric.
pub fn build_request(t: &Transcript, rubric: &Rubric) -> CompletionRequest {
    let schema = answer_schema(rubric);
    let user = format!(
        "Rubric: {} ({})\nCriteria:\n{}\nTranscript, one utterance per line: a letter for the side (R rep, C client, O other, U unknown), the utterance id, the words. Cite each utterance by its id, a number. {}\n{}",
        rubric.name,
        rubric.version,
        render_rubric(rubric),
        utterance_id_rule(),
        render_transcript(t)
    );
    CompletionRequest {
        system: SYSTEM.into(),
        messages: vec![Message {
            role: MessageRole::User,
            content: user.into(),
        }],
        response_schema: Some(ResponseSchema {
            name: "scorecard_answer".into(),
            schema,
        }),
        temperature: 0.0,
        seed: Some(0),
        max_tokens: 4_096,
    }
}

/// Scores calls with a language model, verifying every citation.
#[derive(Debug)]
pub struct LlmJudge {
    model: Arc<dyn LanguageModel>,
    clock: Arc<dyn Clock>,
    cache: Mutex<HashMap<String, JudgeAnswer>>,
}

impl LlmJudge {
    /// A judge using `model`.
    pub fn new(model: Arc<dyn LanguageModel>, clock: Arc<dyn Clock>) -> Self {
        Self {
            model,
            clock,
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn cache_key(&self, fingerprint: &str, rubric: &Rubric) -> String {
        let mut h = Sha256::new();
        for part in [
            fingerprint,
            &rubric_hash(rubric),
            &rubric.version,
            self.model.model(),
            PROMPT_VERSION,
        ] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
        hex::encode(h.finalize())
    }

    async fn ask(&self, t: &Transcript, rubric: &Rubric) -> Result<JudgeAnswer> {
        let mut req = build_request(t, rubric);
        let mut last_problem = String::new();
        for attempt in 0..2 {
            let c = self.model.complete(req.clone()).await?;
            match c.finish_reason {
                FinishReason::Refusal | FinishReason::ContentFilter => {
                    return Err(Error::Provider {
                        provider: self.model.model().to_owned().into(),
                        status: None,
                        reason: "the model refused to score the call".into(),
                    });
                }
                _ => {}
            }
            let parsed = if c.finish_reason == FinishReason::Length {
                Err("the answer was cut off at the token limit".to_owned())
            } else {
                serde_json::from_str::<JudgeAnswer>(c.content.as_str()).map_err(|e| {
                    format!(
                        "the answer does not match the schema ({})",
                        crate::transcript::sanitize(&e.to_string())
                    )
                })
            };
            match parsed {
                Ok(a) => return Ok(a),
                Err(problem) if attempt == 0 => {
                    last_problem = problem.clone();
                    req.messages.push(Message {
                        role: MessageRole::Assistant,
                        content: c.content.clone(),
                    });
                    req.messages.push(Message {
                        role: MessageRole::User,
                        content: format!("{problem}. Answer again with only the JSON object the schema describes, keeping it short.").into(),
                    });
                }
                Err(problem) => last_problem = problem,
            }
        }
        Err(Error::Provider {
            provider: self.model.model().to_owned().into(),
            status: None,
            reason: format!("invalid answer after one repair attempt: {last_problem}").into(),
        })
    }
}

fn result_for(
    t: &Transcript,
    c: &Criterion,
    a: Option<&JudgeCriterion>,
    partial_credit: f64,
) -> CriterionResult {
    let mut r = CriterionResult {
        criterion_id: c.id.clone(),
        verdict: Verdict::InsufficientEvidence,
        weight: c.weight,
        points: 0.0,
        evidence: Vec::new(),
        rationale: String::new().into(),
    };
    let Some(a) = a else {
        r.rationale = "the judge gave no verdict for this criterion"
            .to_owned()
            .into();
        return r;
    };
    let mut refused = Vec::new();
    for cit in &a.citations {
        match verify(t, c.evidence, cit.utterance, &cit.quote) {
            Ok(span) => r.evidence.push(span),
            Err(why) => {
                let id = UtteranceId(cit.utterance);
                let label = t.utterance(id).map_or_else(
                    || cit.utterance.to_string(),
                    |u| utterance_label(t.role_of(u.speaker), id),
                );
                refused.push(format!("{label}: {why}"));
            }
        }
    }
    let refused_note = if refused.is_empty() {
        String::new()
    } else {
        format!(" [unverifiable citations dropped: {}]", refused.join("; "))
    };
    r.verdict = match a.verdict {
        JudgeVerdict::NotApplicable => Verdict::NotApplicable,
        JudgeVerdict::Missed => Verdict::Missed,
        JudgeVerdict::Met | JudgeVerdict::Partial if r.evidence.is_empty() => {
            r.rationale = format!("insufficient evidence: the judge said {:?} but no citation could be verified{refused_note}", a.verdict)
                .to_lowercase()
                .into();
            return r;
        }
        JudgeVerdict::Met => Verdict::Met,
        JudgeVerdict::Partial => Verdict::Partial,
    };
    r.points = match r.verdict {
        Verdict::Met => c.weight,
        Verdict::Partial => c.weight * partial_credit,
        _ => 0.0,
    };
    r.rationale = format!("{}{refused_note}", a.rationale).into();
    r
}

#[async_trait]
impl Scorer for LlmJudge {
    fn name(&self) -> &str {
        "llm-judge"
    }

    /// The language model's provider, when it runs outside the process.
    fn sub_processors(&self) -> Vec<closeq_core::SubProcessorInfo> {
        self.model.sub_processor().into_iter().collect()
    }

    async fn score(&self, input: &ScoringInput<'_>, rubric: &Rubric) -> Result<Scorecard> {
        let t = input.transcript;
        let fingerprint = transcript_fingerprint(t);
        let key = self.cache_key(&fingerprint, rubric);
        let cached = self
            .cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .cloned();
        let answer = match cached {
            Some(a) => a,
            None => {
                let a = self.ask(t, rubric).await?;
                self.cache
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(key, a.clone());
                a
            }
        };
        let mut results = Vec::new();
        let mut explanation = Vec::new();
        for c in rubric.all_criteria() {
            let a = answer.criteria.iter().find(|x| x.criterion_id == c.id);
            results.push(result_for(t, c, a, rubric.partial_credit));
        }
        for c in &rubric.criteria {
            if let Some(r) = results.iter().find(|r| r.criterion_id == c.id) {
                let possible = if r.verdict == Verdict::NotApplicable {
                    0.0
                } else {
                    c.weight
                };
                explanation.push(ScoreExplanation {
                    criterion_id: c.id.clone(),
                    weight: c.weight,
                    verdict: r.verdict,
                    points: r.points,
                    possible,
                    children: Vec::new(),
                });
            }
        }
        let (earned, possible) = explanation
            .iter()
            .fold((0.0, 0.0), |(e, p), x| (e + x.points, p + x.possible));
        let score = if possible > 0.0 {
            100.0 * earned / possible
        } else {
            0.0
        };
        Ok(Scorecard::suggested(ScorecardDraft {
            call_id: input.call.id,
            workspace_id: input.call.workspace_id,
            score: Score::new((score * 10.0).round() / 10.0)?,
            criteria: results,
            explanation,
            coaching_notes: answer
                .coaching_notes
                .iter()
                .map(|n| CoachingNote {
                    text: n.clone().into(),
                    about: None,
                    source: None,
                    at_ms: Vec::new(),
                })
                .collect(),
            recommendations: answer
                .recommendations
                .iter()
                .map(|n| Recommendation {
                    text: n.clone().into(),
                    about: None,
                })
                .collect(),
            issues: Vec::new(),
            metrics: Some(input.metrics.clone()),
            summary: None,
            provenance: Provenance {
                scorer: "llm-judge".into(),
                model: Some(self.model.model().to_owned()),
                rubric_id: rubric.id.clone(),
                rubric_version: rubric.version.clone(),
                rubric_hash: rubric_hash(rubric),
                prompt_version: Some(PROMPT_VERSION.into()),
                transcript_hash: fingerprint,
                generated_at: self.clock.now(),
            },
        }))
    }
}
