//! Jobs of the [`JobQueue`](crate::ports::JobQueue): their stored state and
//! the retry rule (exponential backoff with jitter, honouring a provider's
//! `Retry-After`).

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::id::{JobId, WorkspaceId};
use crate::ports::JobSpec;

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for `run_after`, then for a worker.
    Queued,
    /// Leased to a worker until its lease lapses.
    Running,
    /// Done.
    Completed,
    /// Out of attempts, or failed for good; listed for an admin to retry.
    Dead,
}

/// A job as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    /// Id.
    pub id: JobId,
    /// Workspace.
    pub workspace_id: WorkspaceId,
    /// What to do.
    pub spec: JobSpec,
    /// Where it stands.
    pub state: JobState,
    /// Attempts started so far.
    pub attempts: u32,
    /// Who enqueued it: a worker acts with this member's scope.
    pub enqueued_by: crate::id::UserId,
    /// Not before.
    pub run_after: DateTime<Utc>,
    /// While running: when the lease lapses.
    pub lease_until: Option<DateTime<Utc>>,
    /// Why the last attempt failed (an error's message: no personal data).
    pub last_error: Option<String>,
}

/// When a failed attempt runs again: `base × 2^(attempt−1)`, at most `max`,
/// scaled by a jitter in [½, 1] drawn deterministically from the job id and
/// attempt (so workers retrying together spread out, and tests repeat); a
/// provider's `Retry-After` ([`Error::RateLimited`]) is honoured as the
/// least delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Delay after the first failed attempt, before jitter.
    pub base: Duration,
    /// The longest delay, before jitter.
    pub max: Duration,
}

impl Default for RetryPolicy {
    /// 10 s, doubling, at most 1 hour.
    fn default() -> Self {
        Self {
            base: Duration::seconds(10),
            max: Duration::hours(1),
        }
    }
}

impl RetryPolicy {
    /// The delay after failed attempt number `attempt` (from 1) of `job`.
    pub fn delay(&self, job: JobId, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(30);
        let raw = self
            .base
            .checked_mul(1i32 << doublings)
            .unwrap_or(self.max)
            .min(self.max);
        // splitmix64 over the id and attempt: a jitter in [0.5, 1].
        let mut x =
            u64::from_le_bytes(job.as_uuid().as_bytes()[8..16].try_into().unwrap_or([0; 8]))
                ^ u64::from(attempt).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        x ^= x >> 31;
        let fraction = 0.5 + 0.5 * ((x >> 11) as f64 / (1u64 << 53) as f64);
        let ms = (raw.num_milliseconds() as f64 * fraction) as i64;
        Duration::milliseconds(ms)
    }

    /// The most a provider's `Retry-After` defers a job: a day.
    pub const MAX_RETRY_AFTER: Duration = Duration::days(1);

    /// When `job` runs again after `error` ended attempt `attempt` at `now`:
    /// never before `now`, never more than a day after it for a
    /// `Retry-After`.
    pub fn next_run(
        &self,
        job: JobId,
        attempt: u32,
        error: &Error,
        now: DateTime<Utc>,
    ) -> DateTime<Utc> {
        let mut wait = self.delay(job, attempt).max(Duration::zero());
        if let Error::RateLimited {
            retry_after: Some(after),
            ..
        } = error
        {
            let after = Duration::from_std(*after)
                .unwrap_or(Self::MAX_RETRY_AFTER)
                .min(Self::MAX_RETRY_AFTER);
            wait = wait.max(after);
        }
        now.checked_add_signed(wait)
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }
}

/// A failure's reason as stored with the job: the error's message, at most
/// 500 bytes (errors carry no personal data).
pub fn failure_reason(error: &Error) -> String {
    let mut s = error.to_string();
    if s.len() > 500 {
        let mut end = 500;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_bounded_jitter_and_honours_retry_after() {
        let p = RetryPolicy::default();
        let job = JobId::new();
        for attempt in 1..=12 {
            let raw = Duration::seconds(10)
                .checked_mul(1 << (attempt - 1))
                .unwrap()
                .min(Duration::hours(1));
            let d = p.delay(job, attempt);
            assert!(d >= raw / 2 && d <= raw, "attempt {attempt}: {d}");
            assert_eq!(d, p.delay(job, attempt), "deterministic");
        }
        assert!(p.delay(job, u32::MAX) <= Duration::hours(1));
        let now = Utc::now();
        let limited = Error::RateLimited {
            provider: "x".into(),
            retry_after: Some(std::time::Duration::from_secs(600)),
        };
        assert!(p.next_run(job, 1, &limited, now) >= now + Duration::seconds(600));
        let long = "é".repeat(400);
        let reason = failure_reason(&Error::invalid("field", long));
        assert!(reason.len() <= 500);
    }
}
