//! Conformance suite for [`JobQueue`] implementations: lease
//! exclusivity under concurrency, lapse and
//! re-lease, stale tokens, backoff (and `Retry-After`), dead jobs and
//! their retry, uniqueness per (kind, call), tenant isolation, recurring
//! jobs and listing, expiry of finished jobs.

use std::sync::Arc;
use std::time::Duration;

use crate::clock::{Clock, ManualClock};
use crate::error::Error;
use crate::id::{CallId, JobId, UserId, WorkspaceId};
use crate::job::JobState;
use crate::member::Role;
use crate::ports::{JobKind, JobQueue, JobSpec};
use crate::scope::Scope;
use crate::testing::Outcome;

/// A queue under test and the clock it was built on.
#[derive(Debug, Clone)]
pub struct QueueUnderTest {
    /// The queue.
    pub queue: Arc<dyn JobQueue>,
    /// Its clock, moved by the cases.
    pub clock: Arc<ManualClock>,
}

const LEASE: Duration = Duration::from_secs(30);

fn owner() -> Scope {
    Scope::new(WorkspaceId::new(), UserId::new(), Role::Owner)
}

fn spec(kind: JobKind, call: Option<CallId>, max_attempts: u32) -> JobSpec {
    JobSpec {
        kind,
        call_id: call,
        payload: serde_json::json!({}),
        max_attempts,
        run_after: None,
        every: None,
    }
}

fn secs(n: i64) -> chrono::Duration {
    chrono::Duration::seconds(n)
}

/// 24 jobs in two workspaces, leased by 8 workers at once: each job once.
pub async fn lease_exclusivity(q: &QueueUnderTest, _: &()) -> Outcome {
    let (a, b) = (owner(), owner());
    let mut ids = Vec::new();
    for i in 0..24 {
        let scope = if i % 2 == 0 { &a } else { &b };
        let id = q
            .queue
            .enqueue(scope, spec(JobKind::Analyze, Some(CallId::new()), 3))
            .await
            .expect("enqueue");
        ids.push(id);
    }
    let workers: Vec<_> = (0..8)
        .map(|w| {
            let queue = q.queue.clone();
            async move {
                let mut got = Vec::new();
                while let Some(job) = queue
                    .lease(&format!("w{w}"), &[JobKind::Analyze], LEASE)
                    .await
                    .expect("lease")
                {
                    queue.complete(&job).await.expect("complete");
                    got.push(job.id);
                }
                got
            }
        })
        .collect();
    let mut leased: Vec<JobId> = crate::testing::harness::join_all(workers)
        .await
        .into_iter()
        .flatten()
        .collect();
    leased.sort();
    ids.sort();
    assert_eq!(leased, ids, "every job leased exactly once");
    Outcome::Passed
}

/// A lapsed lease makes the job available again, as a new attempt with a
/// new token; the old token heartbeats, completes and fails nothing; a
/// heartbeat keeps a lease from lapsing; kinds not asked for stay.
pub async fn lapse_and_stale_tokens(q: &QueueUnderTest, _: &()) -> Outcome {
    let a = owner();
    let id = q
        .queue
        .enqueue(&a, spec(JobKind::Transcribe, Some(CallId::new()), 3))
        .await
        .expect("enqueue");
    assert!(
        q.queue
            .lease("w", &[JobKind::Analyze], LEASE)
            .await
            .expect("lease")
            .is_none(),
        "another kind"
    );
    let first = q
        .queue
        .lease("w1", &[JobKind::Transcribe], LEASE)
        .await
        .expect("lease")
        .expect("a job");
    assert_eq!((first.id, first.attempt), (id, 1));
    q.clock.advance(secs(20));
    let first = q.queue.heartbeat(&first, LEASE).await.expect("heartbeat");
    q.clock.advance(secs(20));
    assert!(
        q.queue
            .lease("w2", &[JobKind::Transcribe], LEASE)
            .await
            .expect("lease")
            .is_none(),
        "the heartbeat kept the lease"
    );
    q.clock.advance(secs(11));
    let second = q
        .queue
        .lease("w2", &[JobKind::Transcribe], LEASE)
        .await
        .expect("lease")
        .expect("the lapsed job");
    assert_eq!((second.id, second.attempt), (id, 2));
    assert_ne!(second.lease_token, first.lease_token);
    let r = q.queue.heartbeat(&first, LEASE).await;
    assert!(matches!(r, Err(Error::Conflict { .. })), "{r:?}");
    let r = q.queue.complete(&first).await;
    assert!(matches!(r, Err(Error::Conflict { .. })), "{r:?}");
    let r = q.queue.fail(&first, &Error::internal("x")).await;
    assert!(matches!(r, Err(Error::Conflict { .. })), "{r:?}");
    q.queue.complete(&second).await.expect("complete");
    let r = q.queue.complete(&second).await;
    assert!(matches!(r, Err(Error::Conflict { .. })), "twice: {r:?}");
    assert_eq!(
        q.queue.get_job(&a, id).await.expect("job").state,
        JobState::Completed
    );
    Outcome::Passed
}

/// Retryable failures back off (a `Retry-After` is honoured) until
/// `max_attempts`, then the job is dead with its reason; a failure that is
/// not retryable is dead at once; owners and admins list and retry dead
/// jobs; a lease lapsing on the last attempt kills the job too.
pub async fn backoff_and_dead(q: &QueueUnderTest, _: &()) -> Outcome {
    let a = owner();
    let lease = || async {
        q.queue
            .lease("w", &[JobKind::Analyze], LEASE)
            .await
            .expect("lease")
    };
    let id = q
        .queue
        .enqueue(&a, spec(JobKind::Analyze, Some(CallId::new()), 3))
        .await
        .expect("enqueue");
    let job = lease().await.expect("job");
    let unavailable = Error::Unavailable {
        service: "stt".into(),
        reason: "down".into(),
    };
    let state = q.queue.fail(&job, &unavailable).await.expect("fail");
    assert_eq!(state, JobState::Queued);
    let stored = q.queue.get_job(&a, id).await.expect("job");
    let wait = stored.run_after - q.clock.now();
    assert!(wait > chrono::Duration::zero(), "backoff: {wait}");
    assert!(lease().await.is_none(), "not before its time");
    q.clock.advance(wait);
    let job = lease().await.expect("after the backoff");
    assert_eq!(job.attempt, 2);
    let limited = Error::RateLimited {
        provider: "llm".into(),
        retry_after: Some(Duration::from_secs(3_600)),
    };
    q.queue.fail(&job, &limited).await.expect("fail");
    q.clock.advance(secs(3_599));
    assert!(lease().await.is_none(), "Retry-After honoured");
    q.clock.advance(secs(1));
    let job = lease().await.expect("after Retry-After");
    assert_eq!(job.attempt, 3);
    let state = q.queue.fail(&job, &unavailable).await.expect("fail");
    assert_eq!(state, JobState::Dead, "out of attempts");

    let member = Scope::new(a.workspace_id, UserId::new(), Role::Member);
    let r = q.queue.dead_jobs(&member, 10).await;
    assert!(matches!(r, Err(Error::Forbidden { .. })), "{r:?}");
    let dead = q.queue.dead_jobs(&a, 10).await.expect("dead");
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].id, id);
    assert!(
        dead[0]
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("down"))
    );
    let r = q.queue.retry_dead(&member, id).await;
    assert!(matches!(r, Err(Error::Forbidden { .. })), "{r:?}");
    q.queue.retry_dead(&a, id).await.expect("retry");
    let r = q.queue.retry_dead(&a, id).await;
    assert!(matches!(r, Err(Error::Conflict { .. })), "not dead: {r:?}");
    let Some(job) = lease().await else {
        let stored = q.queue.get_job(&a, id).await;
        panic!("retried, not leased: {stored:?} at {}", q.clock.now());
    };
    assert_eq!(job.attempt, 1);
    let state = q
        .queue
        .fail(&job, &Error::invalid("transcript", "empty"))
        .await
        .expect("fail");
    assert_eq!(state, JobState::Dead, "not retryable");

    let once = q
        .queue
        .enqueue(&a, spec(JobKind::Analyze, Some(CallId::new()), 1))
        .await
        .expect("enqueue");
    lease().await.expect("job");
    q.clock.advance(secs(31));
    assert!(lease().await.is_none(), "its one attempt lapsed");
    let dead = q.queue.get_job(&a, once).await.expect("job");
    assert_eq!(dead.state, JobState::Dead);
    assert_eq!(dead.last_error.as_deref(), Some("lease lapsed"));
    Outcome::Passed
}

/// A job about a call is one job per (kind, call) until completed; bad
/// specs are refused; another workspace's job is `NotFound`.
pub async fn uniqueness_and_tenancy(q: &QueueUnderTest, _: &()) -> Outcome {
    let (a, b) = (owner(), owner());
    let call = CallId::new();
    let first = q
        .queue
        .enqueue(&a, spec(JobKind::Transcribe, Some(call), 3))
        .await
        .expect("enqueue");
    let again = q
        .queue
        .enqueue(&a, spec(JobKind::Transcribe, Some(call), 3))
        .await
        .expect("again");
    assert_eq!(first, again, "a double enqueue is one job");
    let analyze = q
        .queue
        .enqueue(&a, spec(JobKind::Analyze, Some(call), 3))
        .await
        .expect("analyze");
    assert_ne!(analyze, first);
    for bad in [0, 101] {
        let r = q.queue.enqueue(&a, spec(JobKind::Analyze, None, bad)).await;
        assert!(matches!(r, Err(Error::InvalidInput { .. })), "{r:?}");
    }
    // Another workspace's job about the same call id is its own.
    let theirs = q
        .queue
        .enqueue(&b, spec(JobKind::Transcribe, Some(call), 3))
        .await
        .expect("another workspace");
    assert_ne!(theirs, first);
    assert_eq!(
        q.queue
            .get_job(&b, theirs)
            .await
            .expect("theirs")
            .workspace_id,
        b.workspace_id
    );
    let r = q.queue.get_job(&b, first).await;
    assert!(matches!(r, Err(Error::NotFound { .. })), "{r:?}");
    let r = q.queue.retry_dead(&b, first).await;
    assert!(matches!(r, Err(Error::NotFound { .. })), "{r:?}");
    assert!(q.queue.dead_jobs(&b, 10).await.expect("dead").is_empty());

    let job = q
        .queue
        .lease("w", &[JobKind::Transcribe], LEASE)
        .await
        .expect("lease")
        .expect("job");
    assert_eq!(job.workspace_id, a.workspace_id);
    q.queue.complete(&job).await.expect("complete");
    let later = q
        .queue
        .enqueue(&a, spec(JobKind::Transcribe, Some(call), 3))
        .await
        .expect("after completion");
    assert_ne!(later, first, "a completed job does not block a new one");
    let r = q
        .queue
        .lease("w", &[JobKind::Transcribe], Duration::ZERO)
        .await;
    assert!(matches!(r, Err(Error::InvalidInput { .. })), "{r:?}");
    Outcome::Passed
}

/// A released job is queued again at once, its attempt not counted, and
/// its old token settles nothing; a dead job is not retried while another
/// job for the same (kind, call) is live.
pub async fn release_and_retry_conflicts(q: &QueueUnderTest, _: &()) -> Outcome {
    let a = owner();
    let call = CallId::new();
    let id = q
        .queue
        .enqueue(&a, spec(JobKind::Analyze, Some(call), 1))
        .await
        .expect("enqueue");
    let job = q
        .queue
        .lease("w", &[JobKind::Analyze], LEASE)
        .await
        .expect("lease")
        .expect("job");
    q.queue.release(&job).await.expect("release");
    let r = q.queue.complete(&job).await;
    assert!(matches!(r, Err(Error::Conflict { .. })), "{r:?}");
    let r = q.queue.release(&job).await;
    assert!(matches!(r, Err(Error::Conflict { .. })), "twice: {r:?}");
    let stored = q.queue.get_job(&a, id).await.expect("job");
    assert_eq!((stored.state, stored.attempts), (JobState::Queued, 0));
    let again = q
        .queue
        .lease("w", &[JobKind::Analyze], LEASE)
        .await
        .expect("lease")
        .expect("released job, at once");
    assert_eq!(
        (again.id, again.attempt),
        (id, 1),
        "its one attempt is intact"
    );
    let state = q
        .queue
        .fail(&again, &Error::invalid("x", "bad"))
        .await
        .expect("fail");
    assert_eq!(state, JobState::Dead);
    let live = q
        .queue
        .enqueue(&a, spec(JobKind::Analyze, Some(call), 1))
        .await
        .expect("a new job for the call");
    assert_ne!(live, id);
    let r = q.queue.retry_dead(&a, id).await;
    assert!(matches!(r, Err(Error::Conflict { .. })), "{r:?}");
    assert_eq!(
        q.queue.get_job(&a, id).await.expect("job").state,
        JobState::Dead,
        "unchanged"
    );
    Outcome::Passed
}

/// A recurring job: one live job per (workspace, kind); completed, it is
/// queued again `every` later with its attempts reset; its interval is
/// checked; `list_jobs` lists the workspace's jobs newest first.
pub async fn recurring_jobs_and_listing(q: &QueueUnderTest, _: &()) -> Outcome {
    let (a, b) = (owner(), owner());
    let every = Duration::from_secs(3600);
    let sweep = JobSpec {
        every: Some(every),
        ..spec(JobKind::RetentionSweep, None, 2)
    };
    let id = q.queue.enqueue(&a, sweep.clone()).await.expect("enqueue");
    assert_eq!(
        q.queue.enqueue(&a, sweep.clone()).await.expect("again"),
        id,
        "one schedule per (workspace, kind)"
    );
    let other = q.queue.enqueue(&b, sweep.clone()).await.expect("b");
    assert_ne!(other, id, "another workspace has its own");
    // A one-off sweep is no schedule: it runs beside it.
    let once = q
        .queue
        .enqueue(&a, spec(JobKind::RetentionSweep, None, 1))
        .await
        .expect("one-off");
    assert_ne!(once, id);
    for bad in [Duration::from_secs(59), Duration::from_secs(31 * 86_400)] {
        let r = q
            .queue
            .enqueue(
                &a,
                JobSpec {
                    every: Some(bad),
                    ..spec(JobKind::DataSubjectRequest, None, 1)
                },
            )
            .await;
        assert!(
            matches!(&r, Err(Error::InvalidInput { field, .. }) if *field == "every"),
            "{bad:?}: {r:?}"
        );
    }
    let r = q
        .queue
        .enqueue(
            &a,
            JobSpec {
                every: Some(every),
                ..spec(JobKind::Analyze, Some(CallId::new()), 1)
            },
        )
        .await;
    assert!(matches!(r, Err(Error::InvalidInput { .. })), "{r:?}");
    // Run it: first a failed attempt (retried), then a success.
    let mut runs = 0;
    while runs < 2 {
        let Some(job) = q
            .queue
            .lease("w", &[JobKind::RetentionSweep], LEASE)
            .await
            .expect("lease")
        else {
            q.clock.advance(secs(600));
            continue;
        };
        if job.id != id {
            q.queue.complete(&job).await.expect("other");
            continue;
        }
        assert_eq!(
            job.spec.every,
            Some(every),
            "the lease carries the interval"
        );
        runs += 1;
        if runs == 1 {
            let e = Error::Unavailable {
                service: "store".into(),
                reason: "down".into(),
            };
            assert_eq!(
                q.queue.fail(&job, &e).await.expect("fail"),
                JobState::Queued
            );
        } else {
            assert_eq!(job.attempt, 2);
            q.queue.complete(&job).await.expect("complete");
        }
    }
    let done_at = q.clock.now();
    let stored = q.queue.get_job(&a, id).await.expect("job");
    assert_eq!(
        (stored.state, stored.attempts, stored.last_error.as_deref()),
        (JobState::Queued, 0, None),
        "queued again, attempts reset"
    );
    assert_eq!(stored.run_after, done_at + secs(3600));
    assert_eq!(
        q.queue.enqueue(&a, sweep).await.expect("again"),
        id,
        "still the one schedule"
    );
    let none = q
        .queue
        .lease("w", &[JobKind::RetentionSweep], LEASE)
        .await
        .expect("lease")
        .filter(|j| j.workspace_id == a.workspace_id);
    assert!(none.is_none(), "not before its interval");
    q.clock.advance(secs(3600));
    let mut next = None;
    while let Some(job) = q
        .queue
        .lease("w", &[JobKind::RetentionSweep], LEASE)
        .await
        .expect("lease")
    {
        if job.id == id {
            next = Some(job);
            break;
        }
        q.queue.complete(&job).await.expect("other");
    }
    let next = next.expect("due again after its interval");
    assert_eq!(next.attempt, 1);
    // Listing: the workspace's own jobs, newest first, by state.
    let all = q.queue.list_jobs(&a, None, 10).await.expect("list");
    let ids: Vec<JobId> = all.iter().map(|j| j.id).collect();
    assert_eq!(ids, vec![once, id], "newest first, a's only");
    let running = q
        .queue
        .list_jobs(&a, Some(JobState::Running), 10)
        .await
        .expect("list");
    assert_eq!(running.len(), 1);
    assert_eq!(running[0].id, id);
    assert_eq!(q.queue.list_jobs(&a, None, 1).await.expect("list").len(), 1);
    let member = Scope::new(a.workspace_id, UserId::new(), Role::Member);
    let r = q.queue.list_jobs(&member, None, 10).await;
    assert!(matches!(r, Err(Error::Forbidden { .. })), "{r:?}");
    Outcome::Passed
}

/// Finished jobs (completed, dead) due at the cutoff or earlier are
/// deleted, queued ones and other workspaces' are kept; members may not.
pub async fn expiry_of_finished_jobs(q: &QueueUnderTest, _: &()) -> Outcome {
    let (a, b) = (owner(), owner());
    let done = q
        .queue
        .enqueue(&a, spec(JobKind::Analyze, Some(CallId::new()), 1))
        .await
        .expect("enqueue");
    let dead = q
        .queue
        .enqueue(&a, spec(JobKind::Transcribe, Some(CallId::new()), 1))
        .await
        .expect("enqueue");
    let other = q
        .queue
        .enqueue(&b, spec(JobKind::Analyze, Some(CallId::new()), 1))
        .await
        .expect("enqueue");
    for _ in 0..3 {
        let job = q
            .queue
            .lease("w", &[JobKind::Analyze, JobKind::Transcribe], LEASE)
            .await
            .expect("lease")
            .expect("job");
        if job.id == dead {
            q.queue
                .fail(&job, &Error::invalid("x", "refused"))
                .await
                .expect("fail");
        } else {
            q.queue.complete(&job).await.expect("complete");
        }
    }
    let cutoff = q.clock.now();
    q.clock.advance(secs(60));
    let waiting = q
        .queue
        .enqueue(&a, spec(JobKind::Analyze, Some(CallId::new()), 1))
        .await
        .expect("enqueue");
    let member = Scope::new(a.workspace_id, UserId::new(), Role::Member);
    let r = q.queue.expire_jobs(&member, cutoff).await;
    assert!(matches!(r, Err(Error::Forbidden { .. })), "{r:?}");
    let gone = q.queue.expire_jobs(&a, cutoff).await.expect("expire");
    assert_eq!(gone, 2, "the completed and the dead job");
    for id in [done, dead] {
        let r = q.queue.get_job(&a, id).await;
        assert!(matches!(r, Err(Error::NotFound { .. })), "{r:?}");
    }
    assert_eq!(
        q.queue.get_job(&a, waiting).await.expect("kept").state,
        JobState::Queued
    );
    assert_eq!(
        q.queue.get_job(&b, other).await.expect("kept").state,
        JobState::Completed,
        "another workspace's finished job stays"
    );
    assert_eq!(q.queue.expire_jobs(&a, cutoff).await.expect("again"), 0);
    Outcome::Passed
}

/// Every kind of job is stored and leased back as itself (a backend's
/// kind codes and constraints know them all), and a lease of some kinds
/// leaves the others.
pub async fn every_kind_round_trips(q: &QueueUnderTest, _: &()) -> Outcome {
    let a = owner();
    let kinds = [
        JobKind::Transcribe,
        JobKind::Analyze,
        JobKind::RetentionSweep,
        JobKind::DataSubjectRequest,
        JobKind::Webhook,
    ];
    for kind in kinds {
        let call = matches!(kind, JobKind::Transcribe | JobKind::Analyze).then(CallId::new);
        q.queue
            .enqueue(&a, spec(kind, call, 2))
            .await
            .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
    }
    let webhook = q
        .queue
        .lease("w", &[JobKind::Webhook], LEASE)
        .await
        .expect("lease")
        .expect("the webhook job");
    assert_eq!(webhook.spec.kind, JobKind::Webhook);
    assert!(
        q.queue
            .lease("w", &[JobKind::Webhook], LEASE)
            .await
            .expect("lease")
            .is_none(),
        "one webhook job"
    );
    q.queue.complete(&webhook).await.expect("complete");
    let mut rest = Vec::new();
    while let Some(job) = q.queue.lease("w", &kinds, LEASE).await.expect("lease") {
        rest.push(job.spec.kind);
        q.queue.complete(&job).await.expect("complete");
    }
    rest.sort_by_key(|k| format!("{k:?}"));
    let mut want = kinds[..4].to_vec();
    want.sort_by_key(|k| format!("{k:?}"));
    assert_eq!(rest, want);
    Outcome::Passed
}

/// Runs every case of the job-queue suite as its own test.
#[macro_export]
macro_rules! job_queue_conformance {
    (make = $make:expr $(,)?) => {
        $crate::conformance_tests!(
            suite = job_queue,
            make = $make,
            fixture = (),
            cases = [
                lease_exclusivity,
                lapse_and_stale_tokens,
                backoff_and_dead,
                uniqueness_and_tenancy,
                release_and_retry_conflicts,
                recurring_jobs_and_listing,
                expiry_of_finished_jobs,
                every_kind_round_trips
            ]
        );
    };
    (make_or_skip = $make:expr $(,)?) => {
        $crate::conformance_tests!(
            suite = job_queue,
            make_or_skip = $make,
            fixture = (),
            cases = [
                lease_exclusivity,
                lapse_and_stale_tokens,
                backoff_and_dead,
                uniqueness_and_tenancy,
                release_and_retry_conflicts,
                recurring_jobs_and_listing,
                expiry_of_finished_jobs,
                every_kind_round_trips
            ]
        );
    };
}
