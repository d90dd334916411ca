//! The coaching report's data: plain serde structs, the JSON rendering.

use chrono::{DateTime, NaiveDate, Utc};
use closeq_core::{CallId, MetricKey, Sensitive, SpeakerRole, TeamId, UserId, UtteranceId};
use serde::{Deserialize, Serialize};

/// The `format` field of every report.
pub const REPORT_FORMAT: &str = "closeq.coaching-report";
/// The version of the report's JSON form. Bumped on any change a reader
/// would notice.
pub const REPORT_VERSION: u32 = 1;

/// Who a report is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ReportSubject {
    /// One rep, compared with the teams their calls were filed in.
    Rep {
        /// The rep.
        id: UserId,
        /// Their display name (personal data).
        name: Sensitive<String>,
    },
    /// One team, compared with every call the reader can see.
    Team {
        /// The team.
        id: TeamId,
        /// Its name.
        name: String,
    },
}

/// The rubric the figures are about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RubricRef {
    /// Its id.
    pub id: String,
    /// Its version.
    pub version: String,
    /// Its title.
    pub title: String,
}

/// A call named in a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallRef {
    /// The call.
    pub call_id: CallId,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// Its rep.
    pub rep_id: UserId,
}

/// What the figures are drawn from, stated in the report's header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Oversight {
    /// The subject's calls in the period.
    pub calls: u32,
    /// Calls whose latest scorecard a reviewer accepted or overrode: the
    /// only ones counted in score figures.
    pub reviewed: u32,
    /// Of those, overridden (the reviewer's verdicts and scores replace
    /// the AI's).
    pub overridden: u32,
    /// Calls whose latest scorecard a reviewer rejected: excluded.
    pub rejected: u32,
    /// Calls scored but not reviewed yet: not counted, listed in
    /// [`unreviewed_calls`](Self::unreviewed_calls).
    pub unreviewed: u32,
    /// Calls without a scorecard (not analysed yet, or failed).
    pub unscored: u32,
    /// Calls scored against another rubric.
    pub other_rubric: u32,
    /// The unreviewed calls, oldest first (no AI score is shown for them).
    pub unreviewed_calls: Vec<CallRef>,
    /// The header's statement of the above, in words.
    pub statement: String,
}

/// A change over the period: the mean of the later half of the period
/// against the earlier half, with a seeded 95 % bootstrap interval over
/// calls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// Mean of the earlier half.
    pub early_mean: f64,
    /// Mean of the later half.
    pub late_mean: f64,
    /// `late_mean − early_mean`.
    pub delta: f64,
    /// 95 % percentile bootstrap interval of the delta; `None` when too few
    /// resamples had calls in both halves.
    pub interval: Option<(f64, f64)>,
    /// Calls in the earlier and the later half.
    pub calls: (u32, u32),
}

/// One criterion over the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriterionTrend {
    /// The criterion's id.
    pub criterion_id: String,
    /// Its title.
    pub title: String,
    /// The subject's mean reviewed score (0–100) per week; `None`: no
    /// reviewed call that week.
    pub weekly: Vec<Option<f64>>,
    /// The comparison group's median reviewed score per week.
    pub peer_weekly_median: Vec<Option<f64>>,
    /// The subject's mean over the period.
    pub mean: Option<f64>,
    /// The comparison group's median over the period.
    pub peer_median: Option<f64>,
    /// Reviewed calls with a score for this criterion.
    pub reviewed_calls: u32,
    /// Later half against earlier half; `None` when either half has no
    /// reviewed call.
    pub change: Option<Change>,
}

/// A conversation metric against the benchmark pack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricComparison {
    /// The metric.
    pub metric: MetricKey,
    /// What it is, in words.
    pub label: String,
    /// Its unit (`share`, `s`, `questions`).
    pub unit: String,
    /// Mean over the subject's calls that measured it.
    pub value: f64,
    /// Calls measured.
    pub calls: u32,
    /// The benchmark's lower bound, if it has one.
    pub low: Option<f64>,
    /// The benchmark's target, if it has one.
    pub target: Option<f64>,
    /// The benchmark's upper bound, if it has one.
    pub high: Option<f64>,
    /// Whether the value is within the bounds (`None`: no bounds, only a
    /// target).
    pub within: Option<bool>,
    /// Where the benchmark figures come from.
    pub sources: Vec<String>,
}

/// A moment of a call to listen to: a verified evidence quote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Moment {
    /// The call.
    pub call_id: CallId,
    /// When the call started.
    pub call_started_at: DateTime<Utc>,
    /// The utterance quoted.
    pub utterance_id: UtteranceId,
    /// Who spoke.
    pub speaker: SpeakerRole,
    /// Where in the call, in milliseconds.
    pub at_ms: u64,
    /// The quote (personal data).
    pub quote: Sensitive<String>,
    /// A signed link to the recording at that second, when the report was
    /// rendered for a person and the call has audio.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_url: Option<Sensitive<String>>,
}

/// One of the strongest or weakest criteria.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Highlight {
    /// The criterion.
    pub criterion_id: String,
    /// Its title.
    pub title: String,
    /// The subject's mean reviewed score.
    pub mean: f64,
    /// Reviewed calls behind the mean.
    pub reviewed_calls: u32,
    /// Up to three moments: for a strength where it was met, for a
    /// weakness where it was missed or partly met.
    pub moments: Vec<Moment>,
    /// For a weakness: what to work on, from the rubric's guidance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub focus: Option<String>,
}

/// One rep of a team report, listed by name (never ranked).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepRow {
    /// The rep.
    pub rep_id: UserId,
    /// Their name (personal data).
    pub name: Sensitive<String>,
    /// Their calls in the period.
    pub calls: u32,
    /// Reviewed calls.
    pub reviewed: u32,
    /// Unreviewed calls.
    pub unreviewed: u32,
    /// Mean over their reviewed calls of each call's mean reviewed
    /// criterion score (0–100); `None` without reviewed calls.
    pub mean_reviewed_score: Option<f64>,
}

/// A coaching report for a rep or a team over a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoachingReport {
    /// Always [`REPORT_FORMAT`].
    pub format: String,
    /// [`REPORT_VERSION`] when written.
    pub version: u32,
    /// Who it is about.
    pub subject: ReportSubject,
    /// What the comparison figures are drawn from (`team`, `workspace`).
    pub peers: String,
    /// First instant of the period.
    pub from: DateTime<Utc>,
    /// End of the period (exclusive).
    pub to: DateTime<Utc>,
    /// When it was made.
    pub generated_at: DateTime<Utc>,
    /// The rubric.
    pub rubric: RubricRef,
    /// What the figures are drawn from.
    pub oversight: Oversight,
    /// The first day of each week of the period.
    pub weeks: Vec<NaiveDate>,
    /// Per criterion of the rubric, in its order.
    pub criteria: Vec<CriterionTrend>,
    /// Conversation metrics against the benchmark pack.
    pub metrics: Vec<MetricComparison>,
    /// Up to three strongest criteria, strongest first.
    pub strongest: Vec<Highlight>,
    /// Up to three weakest criteria, weakest first.
    pub weakest: Vec<Highlight>,
    /// For a team report: its reps, by name.
    pub reps: Vec<RepRow>,
}
