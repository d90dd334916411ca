//! Attacks on the job queue through its reference model: before, any
//! member could queue a retention sweep or a data-subject request and read
//! every job; a job parked far in the future, or a dead one, blocked its
//! call's processing for good; a job dated 1970 jumped every other
//! workspace's queue; payloads and `Retry-After` were unbounded; a leased
//! job's `Debug` printed its lease token.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use closeq_core::ports::{JobKind, JobQueue, JobSpec};
use closeq_core::{
    CallId, Clock, Error, JobId, JobState, ManualClock, RetryPolicy, Role, Scope, UserId,
    WorkspaceId,
};
use closeq_storage::InMemoryJobQueue;

fn queue() -> (Arc<ManualClock>, InMemoryJobQueue) {
    let clock = Arc::new(ManualClock::new(closeq_core::testing::base_time()));
    (
        clock.clone(),
        InMemoryJobQueue::new(clock, RetryPolicy::default()),
    )
}

fn spec(kind: JobKind, call: Option<CallId>) -> JobSpec {
    JobSpec {
        kind,
        call_id: call,
        payload: serde_json::json!({}),
        max_attempts: 1,
        run_after: None,
        every: None,
    }
}

const LEASE: Duration = Duration::from_secs(30);

#[tokio::test]
async fn a_member_queues_only_call_work_and_reads_no_job() {
    let (_, q) = queue();
    let ws = WorkspaceId::new();
    let (owner, rep) = (
        Scope::new(ws, UserId::new(), Role::Owner),
        Scope::new(ws, UserId::new(), Role::Member),
    );
    for kind in [JobKind::RetentionSweep, JobKind::DataSubjectRequest] {
        let r = q.enqueue(&rep, spec(kind, None)).await;
        assert!(matches!(r, Err(Error::Forbidden { .. })), "{kind:?}: {r:?}");
    }
    let id = q
        .enqueue(&rep, spec(JobKind::Analyze, Some(CallId::new())))
        .await
        .unwrap();
    let r = q.get_job(&rep, id).await;
    assert!(matches!(r, Err(Error::Forbidden { .. })), "{r:?}");
    let job = q.get_job(&owner, id).await.unwrap();
    assert_eq!(job.enqueued_by, rep.user_id, "the worker acts as the rep");
}

#[tokio::test]
async fn no_job_parks_a_call_or_jumps_the_queue() {
    let (clock, q) = queue();
    let (a, b) = (
        Scope::new(WorkspaceId::new(), UserId::new(), Role::Owner),
        Scope::new(WorkspaceId::new(), UserId::new(), Role::Owner),
    );
    let call = CallId::new();
    let mut parked = spec(JobKind::Transcribe, Some(call));
    parked.run_after = Some(DateTime::<Utc>::MAX_UTC);
    let r = q.enqueue(&a, parked).await;
    assert!(matches!(r, Err(Error::InvalidInput { .. })), "{r:?}");
    let big = JobSpec {
        payload: serde_json::json!("x".repeat(50_000)),
        ..spec(JobKind::Analyze, None)
    };
    let r = q.enqueue(&a, big).await;
    assert!(matches!(r, Err(Error::InvalidInput { .. })), "{r:?}");

    let theirs = q.enqueue(&b, spec(JobKind::Analyze, None)).await.unwrap();
    let mut early = spec(JobKind::Analyze, None);
    early.run_after = Some(DateTime::<Utc>::UNIX_EPOCH);
    q.enqueue(&a, early).await.unwrap();
    let first = q
        .lease("w", &[JobKind::Analyze], LEASE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.id, theirs, "a job dated 1970 jumped the queue");
    assert_eq!(
        first.lease_until,
        clock.now() + chrono::Duration::seconds(30)
    );

    // A dead job does not block its call's next one.
    let dead: JobId = q
        .enqueue(&a, spec(JobKind::Transcribe, Some(call)))
        .await
        .unwrap();
    let job = q
        .lease("w", &[JobKind::Transcribe], LEASE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.id, dead);
    let state = q
        .fail(&job, &Error::invalid("audio", "empty"))
        .await
        .unwrap();
    assert_eq!(state, JobState::Dead);
    let next = q
        .enqueue(&a, spec(JobKind::Transcribe, Some(call)))
        .await
        .unwrap();
    assert_ne!(next, dead);
}

#[test]
fn retry_times_stay_bounded_and_never_in_the_past() {
    let now = closeq_core::testing::base_time();
    let job = JobId::new();
    let limited = Error::RateLimited {
        provider: "llm".into(),
        retry_after: Some(Duration::from_secs(1_000_000_000_000_000)),
    };
    let at = RetryPolicy::default().next_run(job, 1, &limited, now);
    assert!(at > now && at <= now + chrono::Duration::days(1), "{at}");
    let backwards = RetryPolicy {
        base: chrono::Duration::seconds(-10),
        max: chrono::Duration::seconds(-1),
    };
    assert!(backwards.next_run(job, 1, &Error::internal("x"), now) >= now);
}

#[tokio::test]
async fn a_leased_jobs_debug_hides_its_token() {
    let (_, q) = queue();
    let a = Scope::new(WorkspaceId::new(), UserId::new(), Role::Owner);
    q.enqueue(&a, spec(JobKind::Analyze, None)).await.unwrap();
    let job = q
        .lease("w", &[JobKind::Analyze], LEASE)
        .await
        .unwrap()
        .unwrap();
    let dbg = format!("{job:?}");
    assert!(!dbg.contains(&job.lease_token), "{dbg}");
}
