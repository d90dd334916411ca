//! Building a [`CoachingReport`] from a period's scored calls.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use closeq_core::ports::ScoredCall;
use closeq_core::{
    Error, MetricKey, Result, ReviewState, Rubric, Scorecard, Sensitive, UserId, Verdict,
};

use super::report::{
    CallRef, CoachingReport, CriterionTrend, Highlight, MetricComparison, Moment, Oversight,
    REPORT_FORMAT, REPORT_VERSION, RepRow, ReportSubject, RubricRef,
};
use super::stats::{changes, mean, median};
use crate::metrics::BenchmarkPack;

/// The longest period a report covers, in days (three years).
pub const MAX_REPORT_DAYS: i64 = 1_100;

/// Moments per highlight.
const MOMENTS: usize = 3;

/// What [`build`] reads. `Debug` shows counts, not the calls or names.
#[derive(Clone, Copy)]
pub struct ReportInput<'a> {
    /// Who the report is about.
    pub subject: &'a ReportSubject,
    /// The subject's calls in the period, each with its scorecards (the
    /// report reads each call's latest reviewed card of the rubric, else its
    /// latest card of the rubric).
    pub calls: &'a [&'a ScoredCall],
    /// The comparison group's calls in the period (they may include the
    /// subject's).
    pub peer_calls: &'a [&'a ScoredCall],
    /// What the comparison group is (`team`, `workspace`).
    pub peers: &'a str,
    /// The rubric the figures are about: cards of other rubrics are
    /// counted apart.
    pub rubric: &'a Rubric,
    /// The metric benchmarks.
    pub benchmarks: &'a BenchmarkPack,
    /// First instant of the period.
    pub from: DateTime<Utc>,
    /// End of the period (exclusive).
    pub to: DateTime<Utc>,
    /// When the report is made.
    pub generated_at: DateTime<Utc>,
    /// Display names of reps, for a team report's rows.
    pub rep_names: &'a BTreeMap<UserId, String>,
    /// Seed of the bootstrap intervals.
    pub seed: u64,
}

impl std::fmt::Debug for ReportInput<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReportInput")
            .field("calls", &self.calls.len())
            .field("peer_calls", &self.peer_calls.len())
            .field("peers", &self.peers)
            .field("from", &self.from)
            .field("to", &self.to)
            .finish_non_exhaustive()
    }
}

/// Per-criterion reviewed scores (0–100) of a scorecard, in the card's
/// order: `None` unless a reviewer accepted or overrode it (a rejected or
/// unreviewed card counts for nothing). A reviewer's score for a criterion
/// replaces the verdict's; otherwise met is 100, partly met 50, missed 0;
/// not applicable and insufficient evidence give no score.
pub fn criterion_scores(card: &Scorecard) -> Option<Vec<(&str, f64)>> {
    let changes = match card.review() {
        ReviewState::Accepted { .. } => &[][..],
        ReviewState::Overridden { changes, .. } => changes.as_slice(),
        ReviewState::Suggested | ReviewState::Rejected { .. } => return None,
    };
    let verdicts = card.effective_verdicts()?;
    Some(
        verdicts
            .into_iter()
            .filter_map(|(id, verdict)| {
                let set = changes.iter().rev().find_map(|c| {
                    (c.criterion_id.as_deref() == Some(id))
                        .then_some(c.score)
                        .flatten()
                });
                let score = match (set, verdict) {
                    (Some(s), _) => s.value(),
                    (None, Verdict::Met) => 100.0,
                    (None, Verdict::Partial) => 50.0,
                    (None, Verdict::Missed) => 0.0,
                    (None, Verdict::NotApplicable | Verdict::InsufficientEvidence) => return None,
                };
                Some((id, score))
            })
            .collect(),
    )
}

/// The week slots of a period: the first day of each.
fn weeks(from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<NaiveDate>> {
    if to <= from {
        return Err(Error::invalid("to", "must be after from"));
    }
    let days = (to - from).num_days();
    if days > MAX_REPORT_DAYS {
        return Err(Error::invalid(
            "to",
            format!("a report covers at most {MAX_REPORT_DAYS} days"),
        ));
    }
    let secs = (to - from).num_seconds();
    let n = (secs + 7 * 86_400 - 1) / (7 * 86_400);
    Ok((0..n)
        .map(|k| (from + Duration::days(7 * k)).date_naive())
        .collect())
}

/// How one call's latest card stands.
enum Standing<'a> {
    Unscored,
    OtherRubric,
    Unreviewed,
    Rejected,
    Reviewed(&'a Scorecard, Vec<(&'a str, f64)>),
}

/// The card of `rubric` a report reads for a call: its latest reviewed
/// one, else its latest (a rescore does not hide a review).
pub(crate) fn card_for<'a>(c: &'a ScoredCall, rubric: &Rubric) -> Option<&'a Scorecard> {
    let of_rubric = || {
        c.scorecards
            .iter()
            .rev()
            .filter(|s| s.provenance.rubric_id == rubric.id)
    };
    of_rubric()
        .find(|s| s.review().is_reviewed())
        .or_else(|| of_rubric().next())
}

fn standing<'a>(c: &'a ScoredCall, rubric: &Rubric) -> Standing<'a> {
    if c.scorecards.is_empty() {
        return Standing::Unscored;
    }
    let Some(card) = card_for(c, rubric) else {
        return Standing::OtherRubric;
    };
    match card.review() {
        ReviewState::Suggested => Standing::Unreviewed,
        ReviewState::Rejected { .. } => Standing::Rejected,
        _ => criterion_scores(card).map_or(Standing::Rejected, |s| Standing::Reviewed(card, s)),
    }
}

/// Builds the report; calls outside `[from, to)` are left out. Errors: `InvalidInput` naming `to` for an empty or
/// overlong period.
pub fn build(input: ReportInput<'_>) -> Result<CoachingReport> {
    let weeks = weeks(input.from, input.to)?;
    let in_period =
        |c: &&&ScoredCall| c.call.started_at >= input.from && c.call.started_at < input.to;
    let week_of = |t: DateTime<Utc>| {
        usize::try_from((t - input.from).num_seconds().div_euclid(7 * 86_400))
            .ok()
            .filter(|w| *w < weeks.len())
    };
    let mid = input.from + (input.to - input.from) / 2;
    let criteria: Vec<_> = input.rubric.criteria.iter().collect();
    let slot: HashMap<&str, usize> = criteria
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();

    // Per criterion: per-week values of the subject and of the peers, and
    // the subject's (late, score) items for the change.
    let mut subject_weekly = vec![vec![Vec::new(); weeks.len()]; criteria.len()];
    let mut peer_weekly = vec![vec![Vec::new(); weeks.len()]; criteria.len()];
    let mut items = vec![Vec::new(); criteria.len()];
    let mut o = Oversight {
        calls: 0,
        reviewed: 0,
        overridden: 0,
        rejected: 0,
        unreviewed: 0,
        unscored: 0,
        other_rubric: 0,
        unreviewed_calls: Vec::new(),
        statement: String::new(),
    };
    let mut reviewed: Vec<Reviewed<'_>> = Vec::new();
    for c in input.calls.iter().filter(in_period) {
        o.calls += 1;
        match standing(c, input.rubric) {
            Standing::Unscored => o.unscored += 1,
            Standing::OtherRubric => o.other_rubric += 1,
            Standing::Rejected => o.rejected += 1,
            Standing::Unreviewed => {
                o.unreviewed += 1;
                o.unreviewed_calls.push(call_ref(c));
            }
            Standing::Reviewed(card, scores) => {
                o.reviewed += 1;
                if matches!(card.review(), ReviewState::Overridden { .. }) {
                    o.overridden += 1;
                }
                for (id, v) in &scores {
                    let Some(&i) = slot.get(id) else { continue };
                    if let Some(w) = week_of(c.call.started_at) {
                        subject_weekly[i][w].push(*v);
                    }
                    items[i].push((c.call.started_at >= mid, *v));
                }
                reviewed.push((c, card, scores));
            }
        }
    }
    o.statement = statement(&o);
    for c in input.peer_calls.iter().filter(in_period) {
        if let (Standing::Reviewed(_, scores), Some(w)) =
            (standing(c, input.rubric), week_of(c.call.started_at))
        {
            for (id, v) in scores {
                if let Some(&i) = slot.get(id) {
                    peer_weekly[i][w].push(v);
                }
            }
        }
    }

    let mut changes = changes(&items, input.seed).into_iter();
    let trends: Vec<CriterionTrend> = criteria
        .iter()
        .enumerate()
        .map(|(i, crit)| {
            let mut peer_all: Vec<f64> = peer_weekly[i].iter().flatten().copied().collect();
            CriterionTrend {
                criterion_id: crit.id.clone(),
                title: crit.title.clone(),
                weekly: subject_weekly[i].iter().map(|v| mean(v)).collect(),
                peer_weekly_median: peer_weekly[i].iter_mut().map(|v| median(v)).collect(),
                mean: mean(&items[i].iter().map(|x| x.1).collect::<Vec<_>>()),
                peer_median: median(&mut peer_all),
                reviewed_calls: u32::try_from(items[i].len()).unwrap_or(u32::MAX),
                change: changes.next().flatten(),
            }
        })
        .collect();

    let (strongest, weakest) = highlights(&trends, &criteria, &reviewed);
    Ok(CoachingReport {
        format: REPORT_FORMAT.into(),
        version: REPORT_VERSION,
        subject: input.subject.clone(),
        peers: input.peers.into(),
        from: input.from,
        to: input.to,
        generated_at: input.generated_at,
        rubric: RubricRef {
            id: input.rubric.id.as_str().into(),
            version: input.rubric.version.clone(),
            title: input.rubric.name.clone(),
        },
        metrics: metrics(input.calls, input.benchmarks),
        reps: match input.subject {
            ReportSubject::Team { .. } => rep_rows(input.calls, input.rubric, input.rep_names),
            ReportSubject::Rep { .. } => Vec::new(),
        },
        oversight: o,
        weeks,
        criteria: trends,
        strongest,
        weakest,
    })
}

fn call_ref(c: &ScoredCall) -> CallRef {
    CallRef {
        call_id: c.call.id,
        started_at: c.call.started_at,
        rep_id: c.call.rep_id,
    }
}

fn statement(o: &Oversight) -> String {
    format!(
        "Score figures count only human-reviewed scorecards: {} of {} calls ({} overridden by a reviewer, whose verdicts replace the AI's). \
         {} calls are unreviewed AI suggestions and are not counted; they are listed at the end. \
         {} calls were rejected by a reviewer and are excluded. {} calls have no scorecard, {} were scored against another rubric.",
        o.reviewed, o.calls, o.overridden, o.unreviewed, o.rejected, o.unscored, o.other_rubric
    )
}

type Reviewed<'a> = (&'a ScoredCall, &'a Scorecard, Vec<(&'a str, f64)>);

/// The strongest and weakest criteria by the subject's reviewed mean, with
/// moments from reviewed cards (newest call first, one per call).
fn highlights(
    trends: &[CriterionTrend],
    criteria: &[&closeq_core::Criterion],
    reviewed: &[Reviewed<'_>],
) -> (Vec<Highlight>, Vec<Highlight>) {
    let mut ranked: Vec<(usize, f64)> = trends
        .iter()
        .enumerate()
        .filter_map(|(i, t)| t.mean.map(|m| (i, m)))
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let n = ranked.len();
    let strong_n = n.div_ceil(2).min(MOMENTS);
    let weak_n = (n / 2).min(MOMENTS);
    let make = |&(i, m): &(usize, f64), strong: bool| {
        let crit = criteria[i];
        let moments = reviewed
            .iter()
            .rev()
            .filter_map(|(c, card, scores)| {
                let score = scores.iter().find(|s| s.0 == crit.id)?.1;
                let fits = if strong {
                    score >= 100.0
                } else {
                    score < 100.0
                };
                if !fits {
                    return None;
                }
                let r = card.criteria.iter().find(|r| r.criterion_id == crit.id)?;
                let e = r.evidence.first()?;
                Some(Moment {
                    call_id: c.call.id,
                    call_started_at: c.call.started_at,
                    utterance_id: e.utterance_id,
                    speaker: e.speaker_role,
                    at_ms: e.start_ms,
                    quote: e.quote.clone(),
                    audio_url: None,
                })
            })
            .take(MOMENTS)
            .collect();
        Highlight {
            criterion_id: crit.id.clone(),
            title: crit.title.clone(),
            mean: m,
            reviewed_calls: trends[i].reviewed_calls,
            moments,
            focus: (!strong).then(|| focus(crit)),
        }
    };
    let strongest = ranked[..strong_n].iter().map(|x| make(x, true)).collect();
    let weakest = ranked[n - weak_n..]
        .iter()
        .rev()
        .map(|x| make(x, false))
        .collect();
    (strongest, weakest)
}

/// What to work on for a weak criterion, from the rubric's guidance (the
/// judge's guidance, else the description, else the question).
fn focus(c: &closeq_core::Criterion) -> String {
    let guidance = c.judge.as_ref().map(|j| j.guidance.trim()).unwrap_or("");
    let question = c.judge.as_ref().map(|j| j.question.trim()).unwrap_or("");
    let text = [guidance, c.description.trim(), question]
        .into_iter()
        .find(|t| !t.is_empty())
        .unwrap_or(c.title.as_str());
    format!("{}: {}", c.title, text)
}

/// The metrics compared, with the benchmark keys of their bounds: (metric,
/// label, unit, low, target, high).
type Compared = (
    MetricKey,
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
);

const COMPARED: [Compared; 5] = [
    (
        MetricKey::RepTalkRatio,
        "Rep's share of talk time",
        "share",
        None,
        Some("rep_talk_ratio_target"),
        Some("rep_talk_ratio_max"),
    ),
    (
        MetricKey::LongestRepMonologueSecs,
        "Longest rep monologue",
        "s",
        None,
        None,
        Some("rep_monologue_max_secs"),
    ),
    (
        MetricKey::LongestCustomerStorySecs,
        "Longest client story",
        "s",
        None,
        Some("customer_story_secs"),
        None,
    ),
    (
        MetricKey::PatienceSecs,
        "Patience (pause before answering)",
        "s",
        None,
        Some("patience_secs"),
        None,
    ),
    (
        MetricKey::RepQuestions,
        "Questions asked by the rep",
        "questions",
        Some("discovery_questions_min"),
        None,
        Some("discovery_questions_max"),
    ),
];

/// The subject's metrics (every call with a metrics snapshot, reviewed or
/// not: they are measurements, not AI judgements) against the pack.
fn metrics(calls: &[&ScoredCall], pack: &BenchmarkPack) -> Vec<MetricComparison> {
    COMPARED
        .iter()
        .filter_map(|&(metric, label, unit, low, target, high)| {
            let values: Vec<f64> = calls
                .iter()
                .filter_map(|c| c.scorecards.last()?.metrics.as_ref()?.get(metric))
                .collect();
            let value = mean(&values)?;
            let bench = |k: Option<&str>| k.and_then(|k| pack.get(k));
            let (low, target, high) = (bench(low), bench(target), bench(high));
            let mut sources: Vec<String> = [low, target, high]
                .into_iter()
                .flatten()
                .map(|b| b.source.clone())
                .collect();
            sources.dedup();
            let (low, target, high) = (
                low.map(|b| b.value),
                target.map(|b| b.value),
                high.map(|b| b.value),
            );
            let within = (low.is_some() || high.is_some())
                .then(|| low.is_none_or(|l| value >= l) && high.is_none_or(|h| value <= h));
            Some(MetricComparison {
                metric,
                label: label.into(),
                unit: unit.into(),
                value,
                calls: u32::try_from(values.len()).unwrap_or(u32::MAX),
                low,
                target,
                high,
                within,
                sources,
            })
        })
        .collect()
}

/// A team report's reps, by name then id: never ordered by a score.
fn rep_rows(
    calls: &[&ScoredCall],
    rubric: &Rubric,
    names: &BTreeMap<UserId, String>,
) -> Vec<RepRow> {
    let mut by_rep: BTreeMap<UserId, (u32, u32, u32, Vec<f64>)> = BTreeMap::new();
    for c in calls {
        let e = by_rep.entry(c.call.rep_id).or_default();
        e.0 += 1;
        match standing(c, rubric) {
            Standing::Reviewed(_, scores) => {
                e.1 += 1;
                // The reviewed criterion scores, not the card's overall
                // score, which a verdict-only override leaves at the AI's.
                if let Some(m) = mean(&scores.iter().map(|s| s.1).collect::<Vec<_>>()) {
                    e.3.push(m);
                }
            }
            Standing::Unreviewed => e.2 += 1,
            _ => {}
        }
    }
    let mut rows: Vec<RepRow> = by_rep
        .into_iter()
        .map(|(rep_id, (calls, reviewed, unreviewed, scores))| RepRow {
            rep_id,
            name: Sensitive::new(
                names
                    .get(&rep_id)
                    .cloned()
                    .unwrap_or_else(|| "(former member)".into()),
            ),
            calls,
            reviewed,
            unreviewed,
            mean_reviewed_score: mean(&scores),
        })
        .collect();
    rows.sort_by(|a, b| {
        a.name
            .as_str()
            .cmp(b.name.as_str())
            .then(a.rep_id.cmp(&b.rep_id))
    });
    rows
}
