//! Scheduled work on every backend: the retention sweep and request
//! reminders scheduled once per workspace as recurring jobs, run by a
//! worker, queued again a day later; a member cannot schedule them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod support;

use std::sync::Arc;

use chrono::Duration;
use closeq_core::ports::{AudioStore, ByteStream, JobKind};
use closeq_core::testing::base_time;
use closeq_core::{Clock, EmailAddress, Error, JobState, RequestKind, Subject};
use closeq_pipeline::worker::{Schedule, ScheduledWork};
use closeq_pipeline::{Worker, WorkerConfig};
use closeq_privacy::reminders::REMINDER_ACTION;
use closeq_privacy::request::SubjectRequests;
use closeq_privacy::retention::Sweeper;
use support::{Backend, Ctx};

on_every_backend!(retention_and_reminders_run_daily_without_an_operator);

async fn retention_and_reminders_run_daily_without_an_operator(b: Backend) {
    let ctx = Ctx::new(b).await;
    let owner = ctx.world.owner.clone();
    let clock: Arc<dyn Clock> = ctx.clock.clone();
    // A recording past the 12-month audio rule, and one within it.
    let mut calls = Vec::new();
    for (n, age) in [(0, 400), (1, 10)] {
        let mut c = ctx.world.call(&ctx.world.rep_a, Some(ctx.world.team_a), n);
        c.started_at = base_time() - Duration::days(age);
        c.created_at = c.started_at;
        let key = format!("calls/{}.wav", c.id);
        let body: ByteStream = Box::pin(futures::stream::iter(vec![Ok(
            bytes::Bytes::from_static(b"RIFFdata"),
        )]));
        c.audio = Some(
            ctx.audio
                .put(&owner, &c, &key, "audio/wav", body)
                .await
                .unwrap(),
        );
        ctx.calls().insert_call(&owner, &c).await.unwrap();
        calls.push(c);
    }
    assert_eq!(ctx.audio_files(), 2);
    // A request received 25 days ago is due in 5 days; one received today
    // is not due for a month.
    let requests = SubjectRequests::new(
        ctx.stores.privacy.clone(),
        ctx.stores.workspaces.clone(),
        clock.clone(),
    );
    ctx.clock.set(base_time() - Duration::days(25));
    let due = requests
        .receive(
            &owner,
            Subject::Email(EmailAddress::parse("a@example.com").unwrap()),
            RequestKind::Access,
        )
        .await
        .unwrap();
    ctx.clock.set(base_time());
    requests
        .receive(
            &owner,
            Subject::Email(EmailAddress::parse("b@example.com").unwrap()),
            RequestKind::Access,
        )
        .await
        .unwrap();

    // Scheduling is for owners and admins, and idempotent.
    let member = ctx.world.rep_a.clone();
    let r = Schedule::default().apply(ctx.queue.as_ref(), &member).await;
    assert!(matches!(r, Err(Error::Forbidden { .. })), "{r:?}");
    let jobs = Schedule::default()
        .apply(ctx.queue.as_ref(), &owner)
        .await
        .unwrap();
    let again = Schedule::default()
        .apply(ctx.queue.as_ref(), &owner)
        .await
        .unwrap();
    assert_eq!(jobs, again, "one schedule per workspace");

    let sweeper = Sweeper::new(
        ctx.stores.calls.clone(),
        ctx.stores.workspaces.clone(),
        ctx.stores.privacy.clone(),
        ctx.audio.clone(),
        clock.clone(),
    );
    let worker = Worker::builder(ctx.queue.clone(), ctx.stores.workspaces.clone())
        .scheduled(ScheduledWork::new(sweeper, requests, clock.clone()))
        .config(WorkerConfig::default().name("scheduled"))
        .build()
        .unwrap();
    let mut ran = Vec::new();
    while let Some(job) = worker.run_one().await.unwrap() {
        ran.push(job);
    }
    assert_eq!(ran.len(), 2, "the sweep and the reminders, once each");

    // The sweep removed the old recording and kept the recent one.
    assert_eq!(ctx.audio_files(), 1);
    let old = ctx.calls().get_call(&owner, calls[0].id).await.unwrap();
    assert!(old.audio.is_none());
    let recent = ctx.calls().get_call(&owner, calls[1].id).await.unwrap();
    assert!(recent.audio.is_some());
    // One reminder, for the request due in 5 days; it names no subject.
    let audit = ctx
        .stores
        .workspaces
        .list_audit(&owner, 0, 1_000)
        .await
        .unwrap();
    let reminders: Vec<_> = audit
        .iter()
        .filter(|r| r.action == REMINDER_ACTION)
        .collect();
    assert_eq!(reminders.len(), 1, "{reminders:?}");
    assert_eq!(
        reminders[0].target.as_deref(),
        Some(due.id.to_string().as_str())
    );
    let text = serde_json::to_string(&reminders[0].details).unwrap();
    assert!(!text.contains("example.com"), "{text}");
    assert!(audit.iter().any(|r| r.action == "retention.sweep"));

    // Both are queued again for a day later, attempts reset.
    for id in [jobs.sweep, jobs.reminders] {
        let j = ctx.queue.get_job(&owner, id).await.unwrap();
        assert_eq!((j.state, j.attempts), (JobState::Queued, 0));
        assert_eq!(j.run_after, base_time() + Duration::days(1));
    }
    assert!(
        worker.run_one().await.unwrap().is_none(),
        "not before a day"
    );
    // A finished job from before the 90-day rule goes with the next sweep.
    let old_job = ctx
        .queue
        .enqueue(
            &owner,
            closeq_core::ports::JobSpec {
                kind: JobKind::Analyze,
                call_id: Some(calls[0].id),
                payload: serde_json::json!({}),
                max_attempts: 1,
                run_after: None,
                every: None,
            },
        )
        .await
        .unwrap();
    let leased = ctx
        .queue
        .lease("t", &[JobKind::Analyze], std::time::Duration::from_secs(30))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(leased.id, old_job);
    ctx.queue.complete(&leased).await.unwrap();
    ctx.clock.advance(Duration::days(91));
    // A day (and more) later they run again: the request is overdue now.
    let mut kinds = Vec::new();
    while let Some(job) = worker.run_one().await.unwrap() {
        kinds.push(job);
    }
    assert_eq!(kinds.len(), 2);
    assert!(
        matches!(
            ctx.queue.get_job(&owner, old_job).await,
            Err(Error::NotFound { .. })
        ),
        "the finished job expired"
    );
    for id in [jobs.sweep, jobs.reminders] {
        ctx.queue.get_job(&owner, id).await.unwrap();
    }
    let audit = ctx
        .stores
        .workspaces
        .list_audit(&owner, 0, 1_000)
        .await
        .unwrap();
    // Both requests are overdue now: a reminder each in this run.
    let now = ctx.clock.now();
    assert_eq!(
        audit
            .iter()
            .filter(|r| r.action == REMINDER_ACTION && r.at == now)
            .count(),
        2
    );
    let listed = ctx.queue.list_jobs(&owner, None, 10).await.unwrap();
    assert!(
        listed
            .iter()
            .filter(|j| j.spec.every.is_some())
            .all(|j| matches!(
                j.spec.kind,
                JobKind::RetentionSweep | JobKind::DataSubjectRequest
            ))
    );
}
