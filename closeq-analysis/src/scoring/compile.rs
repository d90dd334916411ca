//! Compiling a rubric once: every phrase of every cue goes into one
//! Aho-Corasick automaton (with simple inflections), benchmark thresholds
//! are resolved, and cues become a tree of indices.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use closeq_core::{Comparison, Criterion, Cue, Error, EvidenceSide, MetricKey, Result, Rubric};

use crate::metrics::BenchmarkPack;
use crate::rubric::rubric_hash;

/// One pattern in the automaton.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PatternInfo {
    /// The phrase set (one per `phrases` cue) it belongs to.
    pub set: u32,
    /// Whether the match must end at a word boundary (false for `stem*`).
    pub whole_word_end: bool,
    /// Whether the pattern starts with a letter or digit (then the match
    /// must start at a word boundary).
    pub alnum_start: bool,
    /// Whether the pattern ends with a letter or digit.
    pub alnum_end: bool,
}

/// A compiled cue.
#[derive(Debug, Clone)]
pub(crate) enum CompiledCue {
    Phrases {
        set: u32,
        side: EvidenceSide,
        as_question: bool,
        min_hits: u32,
    },
    Metric {
        metric: MetricKey,
        op: Comparison,
        threshold: f64,
        benchmark: Option<String>,
    },
    NextStep {
        side: EvidenceSide,
    },
    All(Vec<CompiledCue>),
    Any(Vec<CompiledCue>),
    AtLeast(u32, Vec<CompiledCue>),
}

/// A compiled criterion.
#[derive(Debug, Clone)]
pub(crate) struct CompiledCriterion {
    pub id: String,
    pub title: String,
    pub weight: f64,
    pub met_when: Option<CompiledCue>,
    pub partial_when: Option<CompiledCue>,
    pub applies_when: Option<CompiledCue>,
    pub children: Vec<CompiledCriterion>,
    pub judge_question: Option<String>,
}

/// A rubric ready for the heuristic scorer. Compile once, score many calls.
#[derive(Debug, Clone)]
pub struct CompiledRubric {
    pub(crate) rubric: Rubric,
    pub(crate) hash: String,
    pub(crate) automaton: Option<AhoCorasick>,
    pub(crate) patterns: Vec<PatternInfo>,
    pub(crate) sets: u32,
    pub(crate) criteria: Vec<CompiledCriterion>,
    /// The pattern strings, for merging into a [`CompiledSet`].
    pub(crate) pattern_strings: Vec<String>,
}

/// Several compiled rubrics sharing one automaton, so scoring a call
/// against all of them reads its text once.
#[derive(Debug, Clone)]
pub struct CompiledSet {
    pub(crate) rubrics: Vec<std::sync::Arc<CompiledRubric>>,
    pub(crate) automaton: Option<AhoCorasick>,
    /// For each distinct pattern: every (rubric index, pattern info) using it.
    pub(crate) owners: Vec<Vec<(u32, PatternInfo)>>,
}

impl CompiledSet {
    /// Merges compiled rubrics.
    pub fn new(rubrics: Vec<std::sync::Arc<CompiledRubric>>) -> Result<Self> {
        let mut index: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        let mut patterns: Vec<&str> = Vec::new();
        let mut owners: Vec<Vec<(u32, PatternInfo)>> = Vec::new();
        for (ri, r) in rubrics.iter().enumerate() {
            for (p, info) in r.pattern_strings.iter().zip(&r.patterns) {
                let k = *index.entry(p.as_str()).or_insert_with(|| {
                    patterns.push(p.as_str());
                    owners.push(Vec::new());
                    patterns.len() - 1
                });
                owners[k].push((ri as u32, *info));
            }
        }
        let automaton = if patterns.is_empty() {
            None
        } else {
            Some(
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(&patterns)
                    .map_err(|e| {
                        Error::invalid(
                            "criteria",
                            format!("cannot compile the rubrics' phrases: {e}"),
                        )
                    })?,
            )
        };
        drop(index);
        Ok(Self {
            rubrics,
            automaton,
            owners,
        })
    }

    /// The rubrics, in order.
    pub fn rubrics(&self) -> &[std::sync::Arc<CompiledRubric>] {
        &self.rubrics
    }
}

/// The inflected forms of a phrase: the phrase, and its last word with
/// -s, -es, -ed, -d, -ing, -ies/-ied (for -y), and -ing without a final -e.
fn inflections(phrase: &str) -> Vec<String> {
    let mut out = vec![phrase.to_owned()];
    let last = phrase.rsplit(' ').next().unwrap_or(phrase);
    if last.chars().count() < 3 || !last.chars().all(|c| c.is_ascii_alphabetic()) {
        return out;
    }
    let stem = &phrase[..phrase.len() - last.len()];
    let mut forms = vec![
        format!("{last}s"),
        format!("{last}es"),
        format!("{last}ed"),
        format!("{last}ing"),
    ];
    if let Some(base) = last.strip_suffix('e') {
        forms.push(format!("{last}d"));
        forms.push(format!("{base}ing"));
    }
    if let Some(base) = last.strip_suffix('y') {
        forms.push(format!("{base}ies"));
        forms.push(format!("{base}ied"));
    }
    out.extend(forms.into_iter().map(|f| format!("{stem}{f}")));
    out
}

struct Builder<'p> {
    pack: &'p BenchmarkPack,
    patterns: Vec<String>,
    infos: Vec<PatternInfo>,
    sets: u32,
}

impl Builder<'_> {
    fn cue(&mut self, cue: &Cue, path: &str) -> Result<CompiledCue> {
        Ok(match cue {
            Cue::Phrases {
                side,
                phrases,
                as_question,
                min_hits,
            } => {
                let set = self.sets;
                self.sets += 1;
                for (i, raw) in phrases.iter().enumerate() {
                    let p = raw.trim().to_ascii_lowercase();
                    let (p, prefix) = match p.strip_suffix('*') {
                        Some(s) => (s.trim_end().to_owned(), true),
                        None => (p, false),
                    };
                    if p.is_empty() || p.contains('*') || p.len() > 200 {
                        return Err(Error::invalid(
                            format!("{path}.phrases[{i}]"),
                            "cannot compile: a phrase is 1-200 characters and may end with a single `*`",
                        ));
                    }
                    let alnum_start = p.starts_with(|c: char| c.is_alphanumeric());
                    let alnum_end = p.ends_with(|c: char| c.is_alphanumeric());
                    let forms = if prefix { vec![p] } else { inflections(&p) };
                    for f in forms {
                        self.patterns.push(f);
                        self.infos.push(PatternInfo {
                            set,
                            whole_word_end: !prefix,
                            alnum_start,
                            alnum_end,
                        });
                    }
                }
                CompiledCue::Phrases {
                    set,
                    side: *side,
                    as_question: *as_question,
                    min_hits: *min_hits,
                }
            }
            Cue::Metric {
                metric,
                op,
                value,
                benchmark,
            } => {
                let threshold = match (value, benchmark) {
                    (Some(v), _) => *v,
                    (None, Some(b)) => self.pack.get(b).map(|bm| bm.value).ok_or_else(|| {
                        Error::invalid(format!("{path}.benchmark"), "unknown benchmark key")
                    })?,
                    (None, None) => {
                        return Err(Error::invalid(
                            format!("{path}.value"),
                            "a metric cue needs a value or a benchmark",
                        ));
                    }
                };
                CompiledCue::Metric {
                    metric: *metric,
                    op: *op,
                    threshold,
                    benchmark: benchmark.clone(),
                }
            }
            Cue::NextStep { side } => CompiledCue::NextStep { side: *side },
            Cue::All { cues } => CompiledCue::All(self.cues(cues, path)?),
            Cue::Any { cues } => CompiledCue::Any(self.cues(cues, path)?),
            Cue::AtLeast { n, cues } => CompiledCue::AtLeast(*n, self.cues(cues, path)?),
        })
    }

    fn cues(&mut self, cues: &[Cue], path: &str) -> Result<Vec<CompiledCue>> {
        cues.iter()
            .enumerate()
            .map(|(i, c)| self.cue(c, &format!("{path}.cues[{i}]")))
            .collect()
    }

    fn criterion(&mut self, c: &Criterion, path: &str) -> Result<CompiledCriterion> {
        let opt = |b: &mut Self, cue: &Option<Cue>, name: &str| -> Result<Option<CompiledCue>> {
            cue.as_ref()
                .map(|c| b.cue(c, &format!("{path}.{name}")))
                .transpose()
        };
        Ok(CompiledCriterion {
            id: c.id.clone(),
            title: c.title.clone(),
            weight: c.weight,
            met_when: opt(self, &c.met_when, "met_when")?,
            partial_when: opt(self, &c.partial_when, "partial_when")?,
            applies_when: opt(self, &c.applies_when, "applies_when")?,
            children: c
                .sub_criteria
                .iter()
                .enumerate()
                .map(|(i, s)| self.criterion(s, &format!("{path}.sub_criteria[{i}]")))
                .collect::<Result<_>>()?,
            judge_question: c.judge.as_ref().map(|j| j.question.clone()),
        })
    }
}

impl CompiledRubric {
    /// Compiles `rubric`, resolving benchmark thresholds from `pack`.
    pub fn compile(rubric: &Rubric, pack: &BenchmarkPack) -> Result<Self> {
        let mut b = Builder {
            pack,
            patterns: Vec::new(),
            infos: Vec::new(),
            sets: 0,
        };
        let criteria = rubric
            .criteria
            .iter()
            .enumerate()
            .map(|(i, c)| b.criterion(c, &format!("criteria[{i}]")))
            .collect::<Result<Vec<_>>>()?;
        let automaton = if b.patterns.is_empty() {
            None
        } else {
            Some(
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(&b.patterns)
                    .map_err(|e| {
                        Error::invalid(
                            "criteria",
                            format!("cannot compile the rubric's phrases: {e}"),
                        )
                    })?,
            )
        };
        Ok(Self {
            hash: rubric_hash(rubric),
            rubric: rubric.clone(),
            automaton,
            patterns: b.infos,
            sets: b.sets,
            criteria,
            pattern_strings: b.patterns,
        })
    }

    /// The rubric.
    pub fn rubric(&self) -> &Rubric {
        &self.rubric
    }

    /// Its identity hash.
    pub fn hash(&self) -> &str {
        &self.hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inflected_forms() {
        let f = inflections("ask about budget");
        assert!(f.contains(&"ask about budgets".to_owned()));
        assert!(f.contains(&"ask about budgeted".to_owned()));
        let f = inflections("schedule");
        assert!(f.contains(&"scheduling".to_owned()) && f.contains(&"scheduled".to_owned()));
        let f = inflections("reply");
        assert!(f.contains(&"replies".to_owned()) && f.contains(&"replied".to_owned()));
    }
}
