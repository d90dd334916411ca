//! Coaching reports: where a rep or a team stands per criterion over weeks,
//! what changed, which moments to listen to and what to work on next.
//!
//! [`build`] turns the calls of a period — each with its latest scorecard,
//! as [`CallStore::scored_calls`](closeq_core::ports::CallStore::scored_calls)
//! reads them — into a [`CoachingReport`]; [`markdown`] and [`html`] render
//! it (the HTML page is self-contained, with the inline SVG charts of
//! [`crate::chart`]); the JSON form is the report's serde form, versioned
//! by [`REPORT_FORMAT`] and [`REPORT_VERSION`].
//!
//! Human oversight is built in: only reviewed scores count toward the
//! figures (a reviewer's override replaces the AI's verdict or score, a
//! rejected scorecard is excluded); unreviewed calls are counted and listed
//! apart, the report's header says so, and no figure, order or highlight
//! is drawn from an unreviewed AI score. Conversation metrics are
//! deterministic measurements, not AI judgements, and count for every
//! scored call.

mod compute;
mod html;
mod markdown;
mod report;
mod stats;

pub use compute::{MAX_REPORT_DAYS, ReportInput, build, criterion_scores};
pub use html::html;
pub use markdown::markdown;
pub use report::{
    CallRef, Change, CoachingReport, CriterionTrend, Highlight, MetricComparison, Moment,
    Oversight, REPORT_FORMAT, REPORT_VERSION, RepRow, ReportSubject, RubricRef,
};
