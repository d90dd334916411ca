//! Scorecards: the result of scoring a call against a rubric, and their
//! human review (EU AI Act Art. 14: every AI output is a suggestion until a
//! human has reviewed it).

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::id::{CallId, ScorecardId, UserId, WorkspaceId};
use crate::metrics::ConversationMetrics;
use crate::rubric::RubricKey;
use crate::sensitive::Sensitive;
use crate::transcript::{SpeakerRole, UtteranceId};

/// A 0–100 quality score. Construction refuses anything outside the range
/// or not finite.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "f64", into = "f64")]
pub struct Score(f64);

impl Score {
    /// A score; `InvalidInput { field: "score" }` outside `0..=100`.
    pub fn new(value: f64) -> Result<Self> {
        if value.is_finite() && (0.0..=100.0).contains(&value) {
            Ok(Self(value))
        } else {
            Err(Error::invalid(
                "score",
                "must be a number between 0 and 100",
            ))
        }
    }

    /// The value.
    pub fn value(self) -> f64 {
        self.0
    }
}

impl TryFrom<f64> for Score {
    type Error = Error;
    fn try_from(v: f64) -> Result<Self> {
        Self::new(v)
    }
}

impl From<Score> for f64 {
    fn from(s: Score) -> f64 {
        s.0
    }
}

/// A criterion's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Fully met, with evidence.
    Met,
    /// Partly met, with evidence.
    Partial,
    /// Not met.
    Missed,
    /// Did not apply to this call (excluded from the score).
    NotApplicable,
    /// The scorer could not verify evidence either way (scores as missed,
    /// flagged for review).
    InsufficientEvidence,
}

/// A cited stretch of the transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EvidenceSpan {
    /// The utterance cited.
    pub utterance_id: UtteranceId,
    /// Character range (Unicode scalar values, half-open) in the utterance text.
    pub char_start: u32,
    /// End of the character range (exclusive).
    pub char_end: u32,
    /// Start of the utterance, ms.
    pub start_ms: u64,
    /// End of the utterance, ms.
    pub end_ms: u64,
    /// The quoted text (personal data).
    pub quote: Sensitive<String>,
    /// Who said it.
    pub speaker_role: SpeakerRole,
}

/// The result for one criterion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CriterionResult {
    /// The rubric criterion's id.
    pub criterion_id: String,
    /// The verdict.
    pub verdict: Verdict,
    /// The criterion's weight.
    pub weight: f64,
    /// Points earned out of `weight` (0 for not applicable).
    pub points: f64,
    /// What was cited.
    #[serde(default)]
    pub evidence: Vec<EvidenceSpan>,
    /// Why (may quote the transcript, so it is personal data).
    #[serde(default)]
    pub rationale: Sensitive<String>,
}

/// How serious an identified issue or coaching note is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Worth working on.
    Warning,
    /// Needs attention.
    Critical,
}

/// A coaching note for the rep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CoachingNote {
    /// The note (may reference what was said).
    pub text: Sensitive<String>,
    /// The criterion or metric it is about.
    #[serde(default)]
    pub about: Option<String>,
    /// Public source of the benchmark it cites, if any.
    #[serde(default)]
    pub source: Option<String>,
    /// Where in the call, ms.
    #[serde(default)]
    pub at_ms: Vec<u64>,
}

/// A recommendation for next time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Recommendation {
    /// What to do.
    pub text: Sensitive<String>,
    /// The criterion or metric it is about.
    #[serde(default)]
    pub about: Option<String>,
}

/// A problem found in the call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentifiedIssue {
    /// A stable code (`no_next_step`, `monologue`, `budget_not_discussed`).
    pub kind: String,
    /// How serious.
    pub severity: Severity,
    /// Explanation.
    pub text: Sensitive<String>,
    /// Supporting evidence.
    #[serde(default)]
    pub evidence: Vec<EvidenceSpan>,
}

/// One node of the score's explanation: criterion → weight → verdict → points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreExplanation {
    /// The criterion.
    pub criterion_id: String,
    /// Its weight.
    pub weight: f64,
    /// Its verdict.
    pub verdict: Verdict,
    /// Points earned.
    pub points: f64,
    /// Points possible (0 when excluded as not applicable).
    pub possible: f64,
    /// Sub-criteria.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<ScoreExplanation>,
}

/// Where a scorecard came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// Scorer name (`heuristic`, `llm-judge`).
    pub scorer: String,
    /// Model, for LLM scorers.
    #[serde(default)]
    pub model: Option<String>,
    /// The rubric's key.
    pub rubric_id: RubricKey,
    /// The rubric's version.
    pub rubric_version: String,
    /// Hash of the rubric's canonical form.
    pub rubric_hash: String,
    /// Prompt version, for LLM scorers.
    #[serde(default)]
    pub prompt_version: Option<String>,
    /// Hash of the transcript scored.
    pub transcript_hash: String,
    /// When it was produced.
    pub generated_at: DateTime<Utc>,
}

/// A change a reviewer made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewChange {
    /// The criterion changed, or `None` for the overall score.
    #[serde(default)]
    pub criterion_id: Option<String>,
    /// The new verdict (criterion changes).
    #[serde(default)]
    pub verdict: Option<Verdict>,
    /// The new score (overall changes).
    #[serde(default)]
    pub score: Option<Score>,
}

/// Human review state. Every scorecard starts `Suggested`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum ReviewState {
    /// An AI suggestion nobody has reviewed.
    Suggested,
    /// A reviewer agreed.
    Accepted {
        /// Who.
        by: UserId,
        /// When.
        at: DateTime<Utc>,
    },
    /// A reviewer changed verdicts or the score; the AI's original stays in
    /// the scorecard.
    Overridden {
        /// Who.
        by: UserId,
        /// When.
        at: DateTime<Utc>,
        /// What changed.
        changes: Vec<ReviewChange>,
        /// Why (personal data: may describe the call).
        reason: Sensitive<String>,
    },
    /// A reviewer rejected the scorecard.
    Rejected {
        /// Who.
        by: UserId,
        /// When.
        at: DateTime<Utc>,
        /// Why.
        reason: Sensitive<String>,
    },
}

impl ReviewState {
    /// The snake_case name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Suggested => "suggested",
            Self::Accepted { .. } => "accepted",
            Self::Overridden { .. } => "overridden",
            Self::Rejected { .. } => "rejected",
        }
    }

    /// Whether a human has reviewed it.
    pub fn is_reviewed(&self) -> bool {
        !matches!(self, Self::Suggested)
    }
}

/// The parts of a scorecard a scorer produces.
#[derive(Debug, Clone, PartialEq)]
pub struct ScorecardDraft {
    /// The call scored.
    pub call_id: CallId,
    /// Its workspace.
    pub workspace_id: WorkspaceId,
    /// The overall score.
    pub score: Score,
    /// Per-criterion results.
    pub criteria: Vec<CriterionResult>,
    /// Explanation tree of the roll-up.
    pub explanation: Vec<ScoreExplanation>,
    /// Coaching notes.
    pub coaching_notes: Vec<CoachingNote>,
    /// Recommendations.
    pub recommendations: Vec<Recommendation>,
    /// Identified issues.
    pub issues: Vec<IdentifiedIssue>,
    /// Metrics at scoring time.
    pub metrics: Option<ConversationMetrics>,
    /// What the call was about, each line citing its utterance.
    pub summary: Option<crate::summary::CallSummary>,
    /// Provenance.
    pub provenance: Provenance,
}

/// A scored call.
///
/// Fields are public for reading and serde; a scorecard can only be
/// *created* through [`Scorecard::suggested`], so AI output always starts
/// unreviewed, and its review state only moves through [`Scorecard::accept`],
/// [`Scorecard::override_with`] and [`Scorecard::reject`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scorecard {
    /// Its id.
    pub id: ScorecardId,
    /// The call scored.
    pub call_id: CallId,
    /// Its workspace.
    pub workspace_id: WorkspaceId,
    /// The overall score, as the scorer computed it.
    pub score: Score,
    /// Per-criterion results, as the scorer produced them.
    pub criteria: Vec<CriterionResult>,
    /// The roll-up explained.
    #[serde(default)]
    pub explanation: Vec<ScoreExplanation>,
    /// Coaching notes.
    #[serde(default)]
    pub coaching_notes: Vec<CoachingNote>,
    /// Recommendations.
    #[serde(default)]
    pub recommendations: Vec<Recommendation>,
    /// Identified issues.
    #[serde(default)]
    pub issues: Vec<IdentifiedIssue>,
    /// Metrics snapshot.
    #[serde(default)]
    pub metrics: Option<ConversationMetrics>,
    /// What the call was about, each line citing its utterance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<crate::summary::CallSummary>,
    /// Where it came from.
    pub provenance: Provenance,
    review: ReviewState,
}

impl Scorecard {
    /// A new, unreviewed scorecard.
    pub fn suggested(draft: ScorecardDraft) -> Self {
        Self {
            id: ScorecardId::new(),
            call_id: draft.call_id,
            workspace_id: draft.workspace_id,
            score: draft.score,
            criteria: draft.criteria,
            explanation: draft.explanation,
            coaching_notes: draft.coaching_notes,
            recommendations: draft.recommendations,
            issues: draft.issues,
            metrics: draft.metrics,
            summary: draft.summary,
            provenance: draft.provenance,
            review: ReviewState::Suggested,
        }
    }

    /// The review state.
    pub fn review(&self) -> &ReviewState {
        &self.review
    }

    fn reviewable(&self, to: &'static str) -> Result<()> {
        if self.review.is_reviewed() {
            return Err(Error::InvalidTransition {
                resource: "scorecard review",
                from: self.review.name().into(),
                to: to.into(),
            });
        }
        Ok(())
    }

    /// A reviewer accepts the suggestion.
    pub fn accept(&mut self, by: UserId, at: DateTime<Utc>) -> Result<()> {
        self.reviewable("accepted")?;
        self.review = ReviewState::Accepted { by, at };
        Ok(())
    }

    /// A reviewer overrides verdicts and/or the score. Each change must name
    /// a criterion of this scorecard with a new verdict, or the overall score
    /// with a new score; a reason is required.
    pub fn override_with(
        &mut self,
        by: UserId,
        at: DateTime<Utc>,
        changes: Vec<ReviewChange>,
        reason: impl Into<String>,
    ) -> Result<()> {
        self.reviewable("overridden")?;
        let reason = reason.into();
        crate::validate::text("reason", &reason, 1, 2000)?;
        if changes.is_empty() {
            return Err(Error::invalid("changes", "must not be empty"));
        }
        for (i, c) in changes.iter().enumerate() {
            let field = |n: &str| format!("changes[{i}].{n}");
            match (&c.criterion_id, c.verdict, c.score) {
                (Some(id), Some(_), None) => {
                    if !self.criteria.iter().any(|r| &r.criterion_id == id) {
                        return Err(Error::invalid(
                            field("criterion_id"),
                            "not in this scorecard",
                        ));
                    }
                }
                (None, None, Some(_)) => {}
                _ => {
                    return Err(Error::invalid(
                        field("criterion_id"),
                        "a change sets either a criterion's verdict or the overall score",
                    ));
                }
            }
        }
        self.review = ReviewState::Overridden {
            by,
            at,
            changes,
            reason: reason.into(),
        };
        Ok(())
    }

    /// A reviewer rejects the suggestion.
    pub fn reject(
        &mut self,
        by: UserId,
        at: DateTime<Utc>,
        reason: impl Into<String>,
    ) -> Result<()> {
        self.reviewable("rejected")?;
        let reason = reason.into();
        crate::validate::text("reason", &reason, 1, 2000)?;
        self.review = ReviewState::Rejected {
            by,
            at,
            reason: reason.into(),
        };
        Ok(())
    }

    /// Refuses a card that does not say `suggested`: the state every card
    /// enters a store in. A deserialized card can carry any review state
    /// (the field is private but reachable through serde); stores call
    /// this on every insert, so a review enters only through
    /// [`apply_review`](Self::apply_review). `InvalidInput` naming `review`.
    pub fn check_suggested(&self) -> Result<()> {
        if self.review.is_reviewed() {
            return Err(Error::invalid(
                "review",
                "a scorecard enters the store as an unreviewed suggestion; review it with save_review",
            ));
        }
        Ok(())
    }

    /// Replays `state` (a review a caller made, e.g. with
    /// [`accept`](Self::accept) on a copy) on this card through the review
    /// methods, so every rule they check holds for it: the card must be
    /// unreviewed, an override's changes must name this card's criteria and
    /// carry a reason, a rejection a reason. Stores apply the caller's review
    /// to *their* copy this way; the caller's other fields are ignored.
    /// `state` must be a review (not `suggested`).
    pub fn apply_review(&mut self, state: &ReviewState) -> Result<()> {
        match state {
            ReviewState::Suggested => {
                Err(Error::invalid("review", "the scorecard carries no review"))
            }
            ReviewState::Accepted { by, at } => self.accept(*by, *at),
            ReviewState::Overridden {
                by,
                at,
                changes,
                reason,
            } => self.override_with(*by, *at, changes.clone(), reason.as_str()),
            ReviewState::Rejected { by, at, reason } => self.reject(*by, *at, reason.as_str()),
        }
    }

    /// The reviewer, when the card is reviewed.
    pub fn reviewed_by(&self) -> Option<UserId> {
        match &self.review {
            ReviewState::Suggested => None,
            ReviewState::Accepted { by, .. }
            | ReviewState::Overridden { by, .. }
            | ReviewState::Rejected { by, .. } => Some(*by),
        }
    }

    /// The verdicts after review, per criterion in the card's order: a
    /// reviewer's verdict replaces the scorer's (the last change for a
    /// criterion wins); `None` when the card was rejected.
    pub fn effective_verdicts(&self) -> Option<Vec<(&str, Verdict)>> {
        let changes: &[ReviewChange] = match &self.review {
            ReviewState::Rejected { .. } => return None,
            ReviewState::Overridden { changes, .. } => changes,
            _ => &[],
        };
        Some(
            self.criteria
                .iter()
                .map(|r| {
                    let reviewed = changes.iter().rev().find_map(|c| {
                        (c.criterion_id.as_deref() == Some(r.criterion_id.as_str()))
                            .then_some(c.verdict)
                            .flatten()
                    });
                    (r.criterion_id.as_str(), reviewed.unwrap_or(r.verdict))
                })
                .collect(),
        )
    }

    /// The score after review: the reviewer's overall score when one was
    /// set, `None` when rejected, otherwise the scorer's.
    pub fn effective_score(&self) -> Option<Score> {
        match &self.review {
            ReviewState::Rejected { .. } => None,
            ReviewState::Overridden { changes, .. } => Some(
                changes
                    .iter()
                    .rev()
                    .find_map(|c| c.score.filter(|_| c.criterion_id.is_none()))
                    .unwrap_or(self.score),
            ),
            _ => Some(self.score),
        }
    }

    /// Rewrites every free text of the scorecard — rationales, evidence
    /// quotes, coaching notes, recommendations, issue texts, summary lines and
    /// their quotes, a review's
    /// reason — with `f`, which returns the replacement or `None` to keep a
    /// text. Returns whether anything changed. Verdicts, points, scores and
    /// the review decision are untouched.
    pub fn rewrite_text(&mut self, mut f: impl FnMut(&str) -> Option<String>) -> bool {
        let mut changed = false;
        let mut apply = |t: &mut Sensitive<String>| {
            if let Some(new) = f(t.as_str()) {
                *t = new.into();
                changed = true;
            }
        };
        for r in &mut self.criteria {
            apply(&mut r.rationale);
            for e in &mut r.evidence {
                apply(&mut e.quote);
            }
        }
        for n in &mut self.coaching_notes {
            apply(&mut n.text);
        }
        for r in &mut self.recommendations {
            apply(&mut r.text);
        }
        for i in &mut self.issues {
            apply(&mut i.text);
            for e in &mut i.evidence {
                apply(&mut e.quote);
            }
        }
        for l in self.summary.iter_mut().flat_map(|s| s.lines.iter_mut()) {
            apply(&mut l.text);
            if let Some(e) = &mut l.cite {
                apply(&mut e.quote);
            }
        }
        match &mut self.review {
            ReviewState::Overridden { reason, .. } | ReviewState::Rejected { reason, .. } => {
                apply(reason)
            }
            ReviewState::Suggested | ReviewState::Accepted { .. } => {}
        }
        changed
    }

    /// Whether `other` differs from `self` in free text only (see
    /// [`rewrite_text`](Self::rewrite_text)).
    pub fn same_except_text(&self, other: &Scorecard) -> bool {
        let blank = |s: &Scorecard| {
            let mut s = s.clone();
            s.rewrite_text(|_| Some(String::new()));
            s
        };
        blank(self) == blank(other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn card() -> Scorecard {
        let t = Utc.with_ymd_and_hms(2026, 6, 1, 10, 0, 0).unwrap();
        Scorecard::suggested(ScorecardDraft {
            call_id: CallId::new(),
            workspace_id: WorkspaceId::new(),
            score: Score::new(72.5).unwrap(),
            criteria: vec![CriterionResult {
                criterion_id: "budget".into(),
                verdict: Verdict::Met,
                weight: 1.0,
                points: 1.0,
                evidence: vec![EvidenceSpan {
                    utterance_id: UtteranceId(3),
                    char_start: 0,
                    char_end: 10,
                    start_ms: 1000,
                    end_ms: 2000,
                    quote: "our budget".into(),
                    speaker_role: SpeakerRole::Client,
                }],
                rationale: "client named a budget".into(),
            }],
            explanation: vec![],
            coaching_notes: vec![],
            recommendations: vec![],
            issues: vec![],
            metrics: Some(ConversationMetrics::default()),
            summary: None,
            provenance: Provenance {
                scorer: "heuristic".into(),
                model: None,
                rubric_id: RubricKey::parse("bant").unwrap(),
                rubric_version: "1".into(),
                rubric_hash: "abc".into(),
                prompt_version: None,
                transcript_hash: "def".into(),
                generated_at: t,
            },
        })
    }

    #[test]
    fn score_range() {
        assert!(Score::new(0.0).is_ok() && Score::new(100.0).is_ok());
        for bad in [-0.1, 100.1, f64::NAN, f64::INFINITY] {
            assert_eq!(Score::new(bad).unwrap_err().field(), Some("score"));
        }
        assert!(serde_json::from_str::<Score>("101").is_err());
    }

    #[test]
    fn created_suggested_and_round_trips() {
        let c = card();
        assert_eq!(c.review(), &ReviewState::Suggested);
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<Scorecard>(&json).unwrap(), c);
        assert!(!format!("{c:?}").contains("our budget"));
    }

    #[test]
    fn review_transitions() {
        let who = UserId::new();
        let at = Utc.with_ymd_and_hms(2026, 6, 2, 10, 0, 0).unwrap();
        let mut c = card();
        c.accept(who, at).unwrap();
        assert!(c.review().is_reviewed());
        assert!(matches!(
            c.reject(who, at, "x"),
            Err(Error::InvalidTransition { .. })
        ));

        let mut c = card();
        let err = c
            .override_with(
                who,
                at,
                vec![ReviewChange {
                    criterion_id: Some("nope".into()),
                    verdict: Some(Verdict::Missed),
                    score: None,
                }],
                "wrong",
            )
            .unwrap_err();
        assert_eq!(err.field(), Some("changes[0].criterion_id"));
        assert_eq!(
            c.override_with(who, at, vec![], "r").unwrap_err().field(),
            Some("changes")
        );
        let overall = ReviewChange {
            criterion_id: None,
            verdict: None,
            score: Some(Score::new(60.0).unwrap()),
        };
        assert_eq!(
            c.override_with(who, at, vec![overall.clone()], "")
                .unwrap_err()
                .field(),
            Some("reason")
        );
        c.override_with(who, at, vec![overall], "client never confirmed budget")
            .unwrap();
        assert_eq!(c.effective_score().unwrap().value(), 60.0);
        assert_eq!(c.score.value(), 72.5, "the AI's original is kept");

        let mut c = card();
        c.reject(who, at, "wrong call").unwrap();
        assert_eq!(c.effective_score(), None);
        assert_eq!(c.effective_verdicts(), None);
    }

    #[test]
    fn reviews_replay_through_the_methods() {
        let who = UserId::new();
        let at = Utc.with_ymd_and_hms(2026, 6, 2, 10, 0, 0).unwrap();
        let fresh = card();
        assert!(fresh.check_suggested().is_ok());
        let mut reviewed = fresh.clone();
        reviewed
            .override_with(
                who,
                at,
                vec![ReviewChange {
                    criterion_id: Some("budget".into()),
                    verdict: Some(Verdict::Missed),
                    score: None,
                }],
                "no budget",
            )
            .unwrap();
        assert_eq!(
            reviewed.check_suggested().unwrap_err().field(),
            Some("review")
        );
        assert_eq!(
            reviewed.effective_verdicts().unwrap(),
            vec![("budget", Verdict::Missed)]
        );
        assert_eq!(reviewed.reviewed_by(), Some(who));
        let mut copy = fresh.clone();
        copy.apply_review(reviewed.review()).unwrap();
        assert_eq!(copy, reviewed);
        // A smuggled override naming a criterion the card lacks is refused.
        let mut json = serde_json::to_value(&fresh).unwrap();
        json["review"] = serde_json::json!({"state": "overridden", "by": who, "at": at,
            "changes": [{"criterion_id": "nope", "verdict": "met"}], "reason": "x"});
        let forged: Scorecard = serde_json::from_value(json).unwrap();
        assert!(forged.check_suggested().is_err());
        let mut copy = fresh.clone();
        assert_eq!(
            copy.apply_review(forged.review()).unwrap_err().field(),
            Some("changes[0].criterion_id")
        );
        assert!(copy.apply_review(&ReviewState::Suggested).is_err());
    }
}
