//! Retention rules at the exact second, and the sweeper: dry run, batches
//! with checkpoints, crash and resume, two sweepers at once, termination.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use bytes::Bytes;
use chrono::{Duration, TimeZone, Utc};
use closeq_core::ports::{
    AudioStore, ByteStream, CallStore, RetentionDecision, RetentionItem, RetentionPolicy,
    WorkspaceStore,
};
use closeq_core::testing::{Stores, World};
use closeq_core::{
    Clock, DataCategory, ManualClock, RetentionPeriod, SubscriptionState, WorkspaceSettings,
};
use closeq_privacy::retention::{RetentionRules, Sweeper};
use closeq_storage::{InMemoryStore, ObjectAudioStore, SigningKey, SubjectHasher, UrlSigner};

fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 15, 10, 0, 0).unwrap()
}

#[test]
fn audio_goes_at_the_deadline_and_not_a_second_earlier() {
    let rules = RetentionRules::defaults(&WorkspaceSettings::default());
    let item = RetentionItem {
        workspace_id: closeq_core::WorkspaceId::new(),
        category: DataCategory::CallAudio,
        call_id: None,
        created_at: t0(),
        subscription: SubscriptionState::Active,
    };
    let deadline = Utc.with_ymd_and_hms(2026, 1, 15, 10, 0, 0).unwrap();
    assert_eq!(rules.deadline(&item), Some(deadline));
    assert_eq!(
        rules.decide(&item, deadline - Duration::seconds(1)),
        RetentionDecision::Keep {
            until: Some(deadline)
        }
    );
    assert_eq!(rules.decide(&item, deadline), RetentionDecision::Delete);
    assert_eq!(
        rules.decide(&item, deadline + Duration::seconds(1)),
        RetentionDecision::Delete
    );
    // Transcripts stay while the subscription runs ...
    let tr = RetentionItem {
        category: DataCategory::Transcript,
        ..item.clone()
    };
    assert_eq!(
        rules.decide(&tr, deadline + Duration::days(3650)),
        RetentionDecision::Keep { until: None }
    );
    // ... and go after it ends; billing stays for 10 years.
    let end = Utc.with_ymd_and_hms(2027, 3, 1, 0, 0, 0).unwrap();
    let tr = RetentionItem {
        subscription: SubscriptionState::Terminated { at: end },
        ..tr
    };
    assert_eq!(
        rules.decide(&tr, end + Duration::days(1) - Duration::seconds(1)),
        RetentionDecision::Keep {
            until: Some(end + Duration::days(1))
        }
    );
    assert_eq!(
        rules.decide(&tr, end + Duration::days(1)),
        RetentionDecision::Delete
    );
    let acc = RetentionItem {
        category: DataCategory::Account,
        ..tr.clone()
    };
    assert_eq!(rules.deadline(&acc), Some(end + Duration::days(90)));
    let bill = RetentionItem {
        category: DataCategory::Billing,
        ..tr
    };
    assert_eq!(rules.deadline(&bill), Some(t0() + chrono::Months::new(120)));
    assert!(
        RetentionRules::defaults(&WorkspaceSettings::default())
            .with_billing_years(4)
            .is_err()
    );
    // Workspace-configured audio retention.
    let s = WorkspaceSettings {
        audio_retention: RetentionPeriod::Months(6),
        ..Default::default()
    };
    assert_eq!(
        RetentionRules::defaults(&s).deadline(&item),
        Some(Utc.with_ymd_and_hms(2025, 7, 15, 10, 0, 0).unwrap())
    );
}

struct Setup {
    calls: Arc<InMemoryStore>,
    audio: Arc<ObjectAudioStore>,
    clock: Arc<ManualClock>,
    world: World,
}

async fn setup() -> Setup {
    let store = Arc::new(InMemoryStore::new(SubjectHasher::new([1; 32], "44")));
    let stores = Stores::of(store.clone());
    let world = World::create(&stores).await;
    let clock = Arc::new(ManualClock::new(t0()));
    let audio = Arc::new(ObjectAudioStore::in_memory(
        UrlSigner::new("https://x/a", SigningKey::new("k", [2; 32]), clock.clone()),
        store.clone(),
    ));
    // Six calls, one per month from January 2025, each with audio.
    for m in 0..6i64 {
        let mut c = world.call(&world.rep_a, Some(world.team_a), 0);
        c.started_at = t0() + Duration::days(31 * m);
        c.created_at = c.started_at;
        let key = format!("calls/{}.wav", c.id);
        let body: ByteStream = Box::pin(futures::stream::iter(vec![Ok(Bytes::from_static(
            b"RIFFdata",
        ))]));
        c.audio = Some(
            audio
                .put(&world.owner, &c, &key, "audio/wav", body)
                .await
                .unwrap(),
        );
        store.insert_call(&world.owner, &c).await.unwrap();
    }
    Setup {
        calls: store,
        audio,
        clock,
        world,
    }
}

fn sweeper(s: &Setup) -> Sweeper {
    Sweeper::new(
        s.calls.clone(),
        s.calls.clone(),
        s.calls.clone(),
        s.audio.clone(),
        s.clock.clone(),
    )
}

async fn audio_left(s: &Setup) -> usize {
    let mut n = 0;
    let page = s
        .calls
        .list_calls(
            &s.world.owner,
            &Default::default(),
            &closeq_core::ports::PageRequest::first(100),
        )
        .await
        .unwrap();
    for c in page.items {
        if let Some(a) = c.audio {
            assert!(s.audio.exists(&s.world.owner, c.id, &a.key).await.unwrap());
            n += 1;
        }
    }
    n
}

#[tokio::test]
async fn plan_then_run_in_batches_with_a_crash_and_two_sweepers() {
    let s = setup().await;
    // 12 months after the third call: the first three recordings are due.
    s.clock
        .set(t0() + Duration::days(62) + chrono::Months::new(12) - Duration::days(0));
    let plan = sweeper(&s).plan(&s.world.owner).await.unwrap();
    assert_eq!(plan.counts.get(&DataCategory::CallAudio), Some(&3));
    assert_eq!(audio_left(&s).await, 6, "a plan changes nothing");
    // Batch of two, then a "crash": a new sweeper resumes at the checkpoint.
    let first = sweeper(&s).run(&s.world.owner, None, 2).await.unwrap();
    assert!(!first.complete);
    assert_eq!(audio_left(&s).await, 4);
    let rest = sweeper(&s)
        .run(&s.world.owner, first.checkpoint, 100)
        .await
        .unwrap();
    assert!(rest.complete);
    assert_eq!(audio_left(&s).await, 3);
    // Two sweepers at once, and a repeat: nothing more goes, nothing fails.
    let (s1, s2) = (sweeper(&s), sweeper(&s));
    let (a, b) = tokio::join!(
        s1.run(&s.world.owner, None, 100),
        s2.run(&s.world.owner, None, 100)
    );
    a.unwrap();
    b.unwrap();
    assert_eq!(audio_left(&s).await, 3);
    // The calls themselves stay while the subscription runs.
    let page = s
        .calls
        .list_calls(
            &s.world.owner,
            &Default::default(),
            &closeq_core::ports::PageRequest::first(100),
        )
        .await
        .unwrap();
    assert_eq!(page.items.len(), 6);
    // Every run left an audit record with counts only.
    let log = s.calls.list_audit(&s.world.owner, 0, 100).await.unwrap();
    assert_eq!(
        log.iter().filter(|r| r.action == "retention.sweep").count(),
        4
    );
    assert_eq!(log[0].details["call_audio"], 2);
}

/// A recording no call holds (a member's upload for a call id never
/// stored) goes with the first complete sweep after the grace period;
/// before this, nothing ever found it.
#[tokio::test]
async fn recordings_no_call_holds_go_after_the_grace_period() {
    let s = setup().await;
    let made_up = s.world.call(&s.world.rep_a, Some(s.world.team_a), 9);
    let key = format!("calls/{}.wav", made_up.id);
    let body: ByteStream = Box::pin(futures::stream::iter(vec![Ok(Bytes::from_static(
        b"RIFFdata",
    ))]));
    s.audio
        .put(&s.world.rep_a, &made_up, &key, "audio/wav", body)
        .await
        .unwrap();
    let audio = s.audio.clone();
    let owner = s.world.owner.clone();
    let unreferenced = |at| {
        let (audio, owner) = (audio.clone(), owner.clone());
        async move { audio.unreferenced(&owner, at, 100).await.unwrap().len() }
    };
    // Within the grace period (the backend's clock is the wall clock).
    s.clock.set(Utc::now());
    let r = sweeper(&s).run(&s.world.owner, None, 100).await.unwrap();
    assert_eq!(r.unreferenced_audio, 0);
    let later = Utc::now() + Duration::hours(2);
    assert_eq!(unreferenced(later).await, 1);
    s.clock.set(later);
    let plan = sweeper(&s).plan(&s.world.owner).await.unwrap();
    assert_eq!(plan.unreferenced_audio, 1);
    assert_eq!(unreferenced(later).await, 1, "a plan changes nothing");
    let r = sweeper(&s).run(&s.world.owner, None, 100).await.unwrap();
    assert!(r.complete);
    assert_eq!(r.unreferenced_audio, 1);
    assert_eq!(unreferenced(later).await, 0);
    let log = s.calls.list_audit(&s.world.owner, 0, 100).await.unwrap();
    let last = log.last().unwrap();
    assert_eq!(last.action, "retention.unreferenced_audio");
    assert_eq!(last.details["deleted"], 1);
    assert_eq!(last.actor, Some(s.world.owner.user_id));
    // A manager's sweep (their teams' calls) leaves unreferenced objects
    // alone: it cannot tell "no call holds it" from "a call it cannot see".
    let r = sweeper(&s).run(&s.world.manager, None, 100).await.unwrap();
    assert_eq!(r.unreferenced_audio, 0);
}

#[tokio::test]
async fn one_second_before_the_deadline_nothing_goes() {
    let s = setup().await;
    s.clock
        .set(t0() + chrono::Months::new(12) - Duration::seconds(1));
    let r = sweeper(&s).run(&s.world.owner, None, 100).await.unwrap();
    assert!(r.counts.is_empty());
    assert_eq!(audio_left(&s).await, 6);
    s.clock.advance(Duration::seconds(1));
    let r = sweeper(&s).run(&s.world.owner, None, 100).await.unwrap();
    assert_eq!(r.counts.get(&DataCategory::CallAudio), Some(&1));
}

#[tokio::test]
async fn after_termination_everything_goes() {
    let s = setup().await;
    let end = t0() + Duration::days(200);
    let mut settings = s
        .calls
        .get_workspace(&s.world.owner)
        .await
        .unwrap()
        .settings;
    settings.subscription = SubscriptionState::Terminated { at: end };
    s.calls
        .update_settings(&s.world.owner, &settings)
        .await
        .unwrap();
    s.clock.set(end + Duration::days(1) - Duration::seconds(1));
    assert!(
        sweeper(&s)
            .run(&s.world.owner, None, 100)
            .await
            .unwrap()
            .counts
            .is_empty()
    );
    s.clock.set(end + Duration::days(1));
    let r = sweeper(&s).run(&s.world.owner, None, 100).await.unwrap();
    assert_eq!(r.counts.get(&DataCategory::CallMetadata), Some(&6));
    let page = s
        .calls
        .list_calls(
            &s.world.owner,
            &Default::default(),
            &closeq_core::ports::PageRequest::first(100),
        )
        .await
        .unwrap();
    assert!(page.items.is_empty());
    let _ = s.clock.now();
}

#[tokio::test]
async fn partial_retention_keeps_a_seeded_share_of_analysed_recordings() {
    let s = setup().await;
    let w = &s.world;
    // 60 more calls, all recent (nothing is due by age), with audio.
    let mut ids = Vec::new();
    for i in 0..60 {
        let mut c = w.call(&w.rep_a, Some(w.team_a), 1000 + i);
        c.started_at = t0() + Duration::days(150);
        c.created_at = c.started_at;
        // Two in three are analysed; the rest are still waiting.
        if i % 3 != 0 {
            use closeq_core::CallStatus::*;
            for next in [Transcribing, Transcribed, Analyzing, Analyzed] {
                c.transition(next).unwrap();
            }
        }
        let body: ByteStream = Box::pin(futures::stream::iter(vec![Ok(Bytes::from_static(
            b"RIFFdata",
        ))]));
        c.audio = Some(
            s.audio
                .put(
                    &w.owner,
                    &c,
                    &format!("calls/{}.wav", c.id),
                    "audio/wav",
                    body,
                )
                .await
                .unwrap(),
        );
        s.calls.insert_call(&w.owner, &c).await.unwrap();
        ids.push((c.id, i % 3 != 0));
    }
    let sample = closeq_core::RecordingSample {
        share: 0.25,
        seed: 42,
    };
    let mut settings = s.calls.get_workspace(&w.owner).await.unwrap().settings;
    settings.recording_sample = Some(sample);
    s.calls.update_settings(&w.owner, &settings).await.unwrap();
    s.clock.set(t0() + Duration::days(160));
    let dropped = ids
        .iter()
        .filter(|(id, analysed)| *analysed && !sample.keeps(*id))
        .count();
    assert!(
        (20..=40).contains(&dropped),
        "{dropped} of 40 analysed dropped"
    );
    let plan = sweeper(&s).plan(&w.owner).await.unwrap();
    assert_eq!(plan.counts[&DataCategory::CallAudio] as usize, dropped);
    let before = audio_left(&s).await;
    let run = sweeper(&s).run(&w.owner, None, 1000).await.unwrap();
    assert!(run.complete);
    assert_eq!(audio_left(&s).await, before - dropped);
    // Exactly the sampled-out analysed calls lost their recording; calls
    // not yet analysed keep theirs until they are.
    for (id, analysed) in &ids {
        let c = s.calls.get_call(&w.owner, *id).await.unwrap();
        assert_eq!(c.audio.is_some(), !analysed || sample.keeps(*id), "{id}");
    }
    // Idempotent.
    let again = sweeper(&s).run(&w.owner, None, 1000).await.unwrap();
    assert!(!again.counts.contains_key(&DataCategory::CallAudio));
    // A share outside 0–1 is refused by name.
    settings.recording_sample = Some(closeq_core::RecordingSample {
        share: 1.2,
        seed: 1,
    });
    let err = s
        .calls
        .update_settings(&w.owner, &settings)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("recording_sample"), "{err}");
}

/// Stores one more call started at `t0()` with audio, whose client is
/// `client{n}@…`.
async fn call_with_audio(s: &Setup, n: i64) -> closeq_core::Call {
    let mut c = s.world.call(&s.world.rep_a, Some(s.world.team_a), n);
    c.started_at = t0();
    c.created_at = t0();
    let key = format!("calls/{}.wav", c.id);
    let body: ByteStream = Box::pin(futures::stream::iter(vec![Ok(Bytes::from_static(
        b"RIFFdata",
    ))]));
    c.audio = Some(
        s.audio
            .put(&s.world.owner, &c, &key, "audio/wav", body)
            .await
            .unwrap(),
    );
    s.calls.insert_call(&s.world.owner, &c).await.unwrap();
    c
}

/// A restriction for legal claims (Art. 18(1)(c)) holds a due recording
/// back until it is lifted; an ordinary restriction holds nothing back.
#[tokio::test]
async fn a_restriction_for_legal_claims_holds_retention_back_until_lifted() {
    use closeq_core::Subject;
    use closeq_privacy::request::{RequestKind, SubjectRequests};
    let s = setup().await;
    let held = call_with_audio(&s, 7).await;
    let ordinary = call_with_audio(&s, 8).await;
    let requests = SubjectRequests::new(s.calls.clone(), s.calls.clone(), s.clock.clone());
    let client = |c: &closeq_core::Call| Subject::Email(c.client.email.clone().unwrap());
    requests
        .restrict_for_legal_claims(&s.world.admin, client(&held))
        .await
        .unwrap();
    requests
        .apply_standing(&s.world.admin, client(&ordinary), RequestKind::Restriction)
        .await
        .unwrap();
    let has_audio = |id| {
        let calls = s.calls.clone();
        let owner = s.world.owner.clone();
        async move { calls.get_call(&owner, id).await.unwrap().audio.is_some() }
    };
    // One second before the deadline nothing is due, so nothing is held.
    let deadline = t0() + chrono::Months::new(12);
    s.clock.set(deadline - Duration::seconds(1));
    let r = sweeper(&s).run(&s.world.owner, None, 100).await.unwrap();
    assert_eq!((r.held, r.counts.len()), (0, 0));
    // At the deadline: the first setup call and the ordinarily restricted
    // call lose their audio; the held one keeps it, in the plan too.
    s.clock.set(deadline);
    let plan = sweeper(&s).plan(&s.world.owner).await.unwrap();
    assert_eq!(plan.held, 1);
    assert_eq!(plan.counts.get(&DataCategory::CallAudio), Some(&2));
    let r = sweeper(&s).run(&s.world.owner, None, 100).await.unwrap();
    assert_eq!(r.held, 1);
    assert_eq!(r.counts.get(&DataCategory::CallAudio), Some(&2));
    assert!(has_audio(held.id).await);
    assert!(!has_audio(ordinary.id).await);
    let log = s.calls.list_audit(&s.world.owner, 0, 100).await.unwrap();
    let sweep = log
        .iter()
        .rev()
        .find(|r| r.action == "retention.sweep")
        .unwrap();
    assert_eq!(sweep.details["held_for_legal_claims"], 1);
    // A second later, still held; once the restriction is lifted it goes.
    s.clock.set(deadline + Duration::seconds(1));
    let r = sweeper(&s).run(&s.world.owner, None, 100).await.unwrap();
    assert_eq!(r.held, 1);
    assert!(has_audio(held.id).await);
    let flags = requests
        .lift_restriction(&s.world.admin, &client(&held))
        .await
        .unwrap();
    assert!(!flags.restricted && !flags.legal_hold);
    let r = sweeper(&s).run(&s.world.owner, None, 100).await.unwrap();
    assert_eq!(r.held, 0);
    assert_eq!(r.counts.get(&DataCategory::CallAudio), Some(&1));
    assert!(!has_audio(held.id).await);
}

/// After termination a held call is kept whole while every other call goes.
#[tokio::test]
async fn a_legal_hold_keeps_a_call_through_the_termination_purge() {
    use closeq_core::Subject;
    use closeq_privacy::request::SubjectRequests;
    let s = setup().await;
    let held = call_with_audio(&s, 7).await;
    let requests = SubjectRequests::new(s.calls.clone(), s.calls.clone(), s.clock.clone());
    requests
        .restrict_for_legal_claims(
            &s.world.owner,
            Subject::Email(held.client.email.clone().unwrap()),
        )
        .await
        .unwrap();
    let end = t0() + Duration::days(200);
    let mut settings = s
        .calls
        .get_workspace(&s.world.owner)
        .await
        .unwrap()
        .settings;
    settings.subscription = SubscriptionState::Terminated { at: end };
    s.calls
        .update_settings(&s.world.owner, &settings)
        .await
        .unwrap();
    s.clock.set(end + Duration::days(1));
    let r = sweeper(&s).run(&s.world.owner, None, 100).await.unwrap();
    assert_eq!(r.counts.get(&DataCategory::CallMetadata), Some(&6));
    assert_eq!(r.held, 1);
    let kept = s.calls.get_call(&s.world.owner, held.id).await.unwrap();
    assert!(kept.audio.is_some());
}

/// Technical logs (the audit log) go 90 days after they were written: at
/// the deadline −1 s nothing, at 0 the record, the sweep's own records
/// kept; planned first, counted the same.
#[tokio::test]
async fn audit_records_expire_at_the_technical_log_deadline() {
    let s = setup().await;
    let old = closeq_core::AuditRecord {
        seq: 0,
        workspace_id: s.world.workspace.id,
        at: t0(),
        actor: Some(s.world.owner.user_id),
        action: "settings.changed".into(),
        target: None,
        details: serde_json::json!({}),
    };
    s.calls.append_audit(&s.world.owner, &old).await.unwrap();
    let deadline = t0() + Duration::days(90);
    s.clock.set(deadline - Duration::seconds(1));
    let r = sweeper(&s).run(&s.world.owner, None, 100).await.unwrap();
    assert_eq!(r.audit_records, 0);
    s.clock.set(deadline);
    let plan = sweeper(&s).plan(&s.world.owner).await.unwrap();
    assert_eq!(plan.audit_records, 1);
    let r = sweeper(&s).run(&s.world.owner, None, 100).await.unwrap();
    assert_eq!(r.audit_records, 1);
    let log = s.calls.list_audit(&s.world.owner, 0, 100).await.unwrap();
    assert!(log.iter().all(|r| r.at > t0()), "{log:?}");
    assert!(log.iter().any(|r| r.action == "retention.technical_logs"));
    s.clock.set(deadline + Duration::seconds(1));
    let r = sweeper(&s).run(&s.world.owner, None, 100).await.unwrap();
    assert_eq!(r.audit_records, 0, "nothing left that old");
    // A manager's sweep does not touch the log.
    let r = sweeper(&s).run(&s.world.manager, None, 100).await.unwrap();
    assert_eq!(r.audit_records, 0);
}
