//! Rubrics (scoring frameworks such as SPIN, BANT, MEDDPICC) as data.
//!
//! This module holds the data model and its structural validation. Loading
//! from TOML/JSON with positions, the EU AI Act guard and the scoring engine
//! live in `closeq-analysis`.

use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::metrics::MetricKey;

/// A rubric's key: a slug such as `spin` or `meddpicc`.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(try_from = "String", into = "String")]
pub struct RubricKey(String);

impl RubricKey {
    /// Parses a slug (1–64 of `a-z 0-9 - _`).
    pub fn parse(s: &str) -> Result<Self> {
        crate::validate::slug("id", s)?;
        Ok(Self(s.to_owned()))
    }

    /// The slug.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for RubricKey {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        crate::validate::slug("id", &s)?;
        Ok(Self(s))
    }
}

impl From<RubricKey> for String {
    fn from(k: RubricKey) -> String {
        k.0
    }
}

impl std::fmt::Display for RubricKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn default_partial_credit() -> f64 {
    0.5
}

/// A scoring framework.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rubric {
    /// The rubric's key (`spin`).
    pub id: RubricKey,
    /// Display name.
    pub name: String,
    /// Version of this rubric (free-form, e.g. `1.2.0`); recorded on scorecards.
    pub version: String,
    /// What it measures.
    #[serde(default)]
    pub description: String,
    /// Call types (`discovery`, `demo`) it applies to; empty means any.
    #[serde(default)]
    pub call_types: Vec<String>,
    /// What a `partial` verdict is worth, between 0 and 1 (default 0.5).
    #[serde(default = "default_partial_credit")]
    pub partial_credit: f64,
    /// The benchmark pack thresholds are read from (`default` when unset).
    #[serde(default)]
    pub benchmark_pack: Option<String>,
    /// The criteria.
    pub criteria: Vec<Criterion>,
}

/// Who must provide a criterion's evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceSide {
    /// The rep must say it.
    Rep,
    /// The client must say it.
    Client,
    /// Either side.
    Either,
}

/// One thing the rubric checks.
///
/// The verdict is decided, in order: `applies_when` false → not applicable;
/// `met_when` true → met; `partial_when` true → partial; otherwise missed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    /// Slug, unique in the rubric.
    pub id: String,
    /// Short title.
    pub title: String,
    /// What it means, for reviewers.
    #[serde(default)]
    pub description: String,
    /// Relative weight (> 0).
    pub weight: f64,
    /// Who must provide the evidence.
    pub evidence: EvidenceSide,
    /// Heuristic: when the criterion is met.
    #[serde(default)]
    pub met_when: Option<Cue>,
    /// Heuristic: when it is partly met.
    #[serde(default)]
    pub partial_when: Option<Cue>,
    /// Heuristic: when it applies at all (absent: always).
    #[serde(default)]
    pub applies_when: Option<Cue>,
    /// What an LLM judge is asked.
    #[serde(default)]
    pub judge: Option<JudgeGuide>,
    /// Finer-grained criteria, reported under this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sub_criteria: Vec<Criterion>,
}

/// The question an LLM judge answers for a criterion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JudgeGuide {
    /// The question (`Did the rep ask about the client's budget?`).
    pub question: String,
    /// How to decide met / partial / missed.
    #[serde(default)]
    pub guidance: String,
}

/// A comparison for metric thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl Comparison {
    /// Applies the comparison.
    pub fn holds(self, lhs: f64, rhs: f64) -> bool {
        match self {
            Self::Lt => lhs < rhs,
            Self::Le => lhs <= rhs,
            Self::Gt => lhs > rhs,
            Self::Ge => lhs >= rhs,
        }
    }
}

/// A heuristic cue: what the deterministic scorer looks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Cue {
    /// Any of the phrases said by `side` (word boundaries, case folded,
    /// simple inflections), at least `min_hits` times; with `as_question`,
    /// only in utterances phrased as questions.
    Phrases {
        /// Who must say it.
        side: EvidenceSide,
        /// The phrases.
        phrases: Vec<String>,
        /// Only count questions.
        #[serde(default)]
        as_question: bool,
        /// Minimum number of hits (default 1).
        #[serde(default = "one")]
        min_hits: u32,
    },
    /// A conversation metric compared with a number or a benchmark value.
    Metric {
        /// The metric.
        metric: MetricKey,
        /// The comparison.
        op: Comparison,
        /// A literal threshold (exactly one of `value` and `benchmark`).
        #[serde(default)]
        value: Option<f64>,
        /// A key in the benchmark pack (exactly one of `value` and `benchmark`).
        #[serde(default)]
        benchmark: Option<String>,
    },
    /// A next step agreed: a commitment phrase plus a date or time expression.
    NextStep {
        /// Who must commit.
        side: EvidenceSide,
    },
    /// All of the cues.
    All {
        /// The cues.
        cues: Vec<Cue>,
    },
    /// Any of the cues.
    Any {
        /// The cues.
        cues: Vec<Cue>,
    },
    /// At least `n` of the cues.
    AtLeast {
        /// How many must hold.
        n: u32,
        /// The cues.
        cues: Vec<Cue>,
    },
}

fn one() -> u32 {
    1
}

impl Cue {
    fn validate(&self) -> Result<()> {
        match self {
            Cue::Phrases {
                phrases, min_hits, ..
            } => {
                if phrases.is_empty() {
                    return Err(Error::invalid("phrases", "must not be empty"));
                }
                if let Some(i) = phrases.iter().position(|p| p.trim().is_empty()) {
                    return Err(Error::invalid(format!("phrases[{i}]"), "must not be blank"));
                }
                if *min_hits == 0 {
                    return Err(Error::invalid("min_hits", "must be at least 1"));
                }
                Ok(())
            }
            Cue::Metric {
                value, benchmark, ..
            } => match (value, benchmark) {
                (Some(v), None) => crate::validate::finite("value", *v),
                (None, Some(b)) if !b.trim().is_empty() => Ok(()),
                (None, Some(_)) => Err(Error::invalid("benchmark", "must not be blank")),
                _ => Err(Error::invalid(
                    "value",
                    "exactly one of value and benchmark must be set",
                )),
            },
            Cue::NextStep { .. } => Ok(()),
            Cue::All { cues } | Cue::Any { cues } => validate_cues(cues),
            Cue::AtLeast { n, cues } => {
                validate_cues(cues)?;
                if *n == 0 || *n as usize > cues.len() {
                    return Err(Error::invalid(
                        "n",
                        "must be between 1 and the number of cues",
                    ));
                }
                Ok(())
            }
        }
    }

    /// Every benchmark key this cue (and its children) refers to.
    pub fn benchmark_keys<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Cue::Metric {
                benchmark: Some(b), ..
            } => out.push(b),
            Cue::All { cues } | Cue::Any { cues } | Cue::AtLeast { cues, .. } => {
                for c in cues {
                    c.benchmark_keys(out);
                }
            }
            _ => {}
        }
    }
}

fn validate_cues(cues: &[Cue]) -> Result<()> {
    if cues.is_empty() {
        return Err(Error::invalid("cues", "must not be empty"));
    }
    for (i, c) in cues.iter().enumerate() {
        c.validate()
            .map_err(|e| e.in_field(&format!("cues[{i}]")))?;
    }
    Ok(())
}

impl Criterion {
    fn validate(&self) -> Result<()> {
        crate::validate::slug("id", &self.id)?;
        crate::validate::text("title", &self.title, 1, 200)?;
        if !(self.weight.is_finite() && self.weight > 0.0) {
            return Err(Error::invalid("weight", "must be a positive number"));
        }
        if self.met_when.is_none() && self.judge.is_none() && self.sub_criteria.is_empty() {
            return Err(Error::invalid(
                "met_when",
                "a criterion needs a heuristic (met_when), a judge question or sub-criteria",
            ));
        }
        for (name, cue) in [
            ("met_when", &self.met_when),
            ("partial_when", &self.partial_when),
            ("applies_when", &self.applies_when),
        ] {
            if let Some(c) = cue {
                c.validate().map_err(|e| e.in_field(name))?;
            }
        }
        if let Some(j) = &self.judge {
            crate::validate::text("question", &j.question, 1, 2000)
                .map_err(|e| e.in_field("judge"))?;
        }
        validate_criteria(&self.sub_criteria, false).map_err(|e| e.in_field("sub_criteria"))
    }
}

fn validate_criteria(criteria: &[Criterion], required: bool) -> Result<()> {
    if required && criteria.is_empty() {
        return Err(Error::invalid("criteria", "must not be empty"));
    }
    let mut ids = BTreeSet::new();
    for (i, c) in criteria.iter().enumerate() {
        c.validate().map_err(|e| e.in_field(&format!("[{i}]")))?;
        if !ids.insert(c.id.as_str()) {
            return Err(Error::invalid(
                format!("[{i}].id"),
                "duplicate criterion id",
            ));
        }
    }
    Ok(())
}

impl Rubric {
    /// Structural validation: names, versions, weights, unique criterion
    /// ids, well-formed cues. The error names the field by path
    /// (`criteria[2].met_when.cues[0].phrases`).
    pub fn validate(&self) -> Result<()> {
        crate::validate::text("name", &self.name, 1, 200)?;
        crate::validate::text("version", &self.version, 1, 50)?;
        for (i, t) in self.call_types.iter().enumerate() {
            crate::validate::slug("call_types", t).map_err(|_| {
                Error::invalid(
                    format!("call_types[{i}]"),
                    "must be a slug (a-z, 0-9, -, _)",
                )
            })?;
        }
        if !(0.0..=1.0).contains(&self.partial_credit) {
            return Err(Error::invalid("partial_credit", "must be between 0 and 1"));
        }
        if self.criteria.is_empty() {
            return Err(Error::invalid("criteria", "must not be empty"));
        }
        validate_criteria(&self.criteria, true).map_err(|e| match e {
            Error::InvalidInput { field, reason } if field == "criteria" => {
                Error::InvalidInput { field, reason }
            }
            e => e.in_field("criteria"),
        })
    }

    /// Every criterion, depth first (parents before their sub-criteria).
    pub fn all_criteria(&self) -> Vec<&Criterion> {
        fn walk<'a>(cs: &'a [Criterion], out: &mut Vec<&'a Criterion>) {
            for c in cs {
                out.push(c);
                walk(&c.sub_criteria, out);
            }
        }
        let mut out = Vec::new();
        walk(&self.criteria, &mut out);
        out
    }

    /// Whether the rubric applies to calls of `call_type` (any, when the
    /// rubric lists none).
    pub fn applies_to(&self, call_type: Option<&str>) -> bool {
        self.call_types.is_empty()
            || call_type.is_some_and(|t| self.call_types.iter().any(|c| c == t))
    }
}

#[cfg(test)]
#[allow(clippy::type_complexity)]
mod tests {
    use super::*;

    fn rubric() -> Rubric {
        serde_json::from_value(serde_json::json!({
            "id": "bant",
            "name": "BANT",
            "version": "1.0.0",
            "call_types": ["discovery"],
            "criteria": [
                {
                    "id": "budget",
                    "title": "Budget",
                    "weight": 2.0,
                    "evidence": "rep",
                    "met_when": {"type": "phrases", "side": "rep", "phrases": ["budget"], "as_question": true},
                    "judge": {"question": "Did the rep ask about budget?"}
                },
                {
                    "id": "talk",
                    "title": "Listening",
                    "weight": 1.0,
                    "evidence": "either",
                    "met_when": {"type": "all", "cues": [
                        {"type": "metric", "metric": "rep_talk_ratio", "op": "le", "benchmark": "talk_ratio_rep_max"},
                        {"type": "next_step", "side": "either"}
                    ]}
                }
            ]
        }))
        .unwrap()
    }

    #[test]
    fn round_trip_and_helpers() {
        let r = rubric();
        r.validate().unwrap();
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<Rubric>(&json).unwrap(), r);
        assert_eq!(r.partial_credit, 0.5);
        assert!(r.applies_to(Some("discovery")));
        assert!(!r.applies_to(Some("demo")));
        let mut keys = vec![];
        r.criteria[1]
            .met_when
            .as_ref()
            .unwrap()
            .benchmark_keys(&mut keys);
        assert_eq!(keys, vec!["talk_ratio_rep_max"]);
    }

    #[test]
    fn every_bad_field_is_named() {
        let cases: Vec<(Box<dyn Fn(&mut Rubric)>, &str)> = vec![
            (Box::new(|r| r.name.clear()), "name"),
            (Box::new(|r| r.version.clear()), "version"),
            (
                Box::new(|r| r.call_types = vec!["Demo Call".into()]),
                "call_types[0]",
            ),
            (Box::new(|r| r.partial_credit = 1.5), "partial_credit"),
            (Box::new(|r| r.criteria.clear()), "criteria"),
            (
                Box::new(|r| r.criteria[1].id = "budget".into()),
                "criteria[1].id",
            ),
            (
                Box::new(|r| r.criteria[0].id = "Budget!".into()),
                "criteria[0].id",
            ),
            (
                Box::new(|r| r.criteria[0].weight = 0.0),
                "criteria[0].weight",
            ),
            (
                Box::new(|r| r.criteria[0].weight = f64::NAN),
                "criteria[0].weight",
            ),
            (
                Box::new(|r| {
                    r.criteria[0].met_when = None;
                    r.criteria[0].judge = None;
                }),
                "criteria[0].met_when",
            ),
            (
                Box::new(|r| {
                    r.criteria[0].met_when = Some(Cue::Phrases {
                        side: EvidenceSide::Rep,
                        phrases: vec![],
                        as_question: false,
                        min_hits: 1,
                    })
                }),
                "criteria[0].met_when.phrases",
            ),
            (
                Box::new(|r| {
                    r.criteria[1].met_when = Some(Cue::AtLeast {
                        n: 3,
                        cues: vec![Cue::NextStep {
                            side: EvidenceSide::Rep,
                        }],
                    })
                }),
                "criteria[1].met_when.n",
            ),
            (
                Box::new(|r| {
                    if let Some(Cue::All { cues }) = &mut r.criteria[1].met_when {
                        cues[0] = Cue::Metric {
                            metric: MetricKey::RepTalkRatio,
                            op: Comparison::Le,
                            value: Some(0.5),
                            benchmark: Some("x".into()),
                        };
                    }
                }),
                "criteria[1].met_when.cues[0].value",
            ),
            (
                Box::new(|r| {
                    r.criteria[0].judge = Some(JudgeGuide {
                        question: " ".into(),
                        guidance: String::new(),
                    })
                }),
                "criteria[0].judge.question",
            ),
        ];
        for (mutate, field) in cases {
            let mut r = rubric();
            mutate(&mut r);
            assert_eq!(r.validate().unwrap_err().field(), Some(field));
        }
        let bad =
            serde_json::json!({"id": "x", "name": "x", "version": "1", "criteria": [], "extra": 1});
        assert!(serde_json::from_value::<Rubric>(bad).is_err());
    }
}
