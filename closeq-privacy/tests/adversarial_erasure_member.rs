//! Erasing a member (`Subject::User`) must erase that member. Before the
//! fix the eraser anonymized the member's calls — the *clients'* contact
//! details, transcripts and scorecard texts — and left the member's own
//! record, name, e-mail address and `rep_id` in place.
//!
//! Checked as the client erasure is (tests/erasure.rs): after erasing, the
//! bytes of the SQLite database file — or a `pg_dump` of PostgreSQL — and,
//! for every backend, everything the stores return, are scanned for the
//! member's name, e-mail address and user id; none may be found. The
//! clients on the member's calls and the other members keep their data
//! byte-for-byte, and the dashboards keep the member's figures under one
//! tombstone id.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use closeq_core::ports::{AggregateQuery, CallFilter, GroupBy, PageRequest};
use closeq_core::testing::call_store::{sample_scorecard, sample_transcript};
use closeq_core::testing::{Stores, World, base_time};
use closeq_core::{
    CoachingNote, EmailAddress, Error, Invitation, ManualClock, Member, Role, Subject, Verdict,
    invitation_token_sha256,
};
use closeq_privacy::erasure::{Eraser, ErasureMode, ErasureReport};
use closeq_storage::{
    InMemoryStore, ObjectAudioStore, PostgresStore, SigningKey, SqliteStore, SubjectHasher,
    UrlSigner,
};

#[path = "../../closeq-storage/tests/support/mod.rs"]
mod support;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Memory,
    Sqlite,
    Postgres,
}

const ERASED: &str = "[ERASED]";

fn all_bytes(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(all_bytes(&p));
        } else {
            out.push((p.display().to_string(), std::fs::read(&p).unwrap()));
        }
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn pg_dump(admin_url: &str) -> Vec<u8> {
    let candidates = std::fs::read_dir("/usr/lib/postgresql")
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path().join("bin/pg_dump"))
                .filter(|p| p.exists())
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let bin = candidates
        .last()
        .cloned()
        .unwrap_or_else(|| "pg_dump".into());
    let out = std::process::Command::new(bin)
        .args(["--data-only", "--no-owner", "-d", admin_url])
        .output()
        .expect("run pg_dump");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn json<T: serde::Serialize + ?Sized>(v: &T) -> String {
    serde_json::to_string(v).unwrap()
}

/// Everything of the workspace the owner can read through the stores.
async fn readable(stores: &Stores, w: &World) -> Vec<(String, String)> {
    let mut out = vec![(
        "members".to_owned(),
        json(&stores.workspaces.list_members(&w.owner).await.unwrap()),
    )];
    out.push((
        "audit".into(),
        json(
            &stores
                .workspaces
                .list_audit(&w.owner, 0, 1000)
                .await
                .unwrap(),
        ),
    ));
    let calls = stores
        .calls
        .list_calls(&w.owner, &CallFilter::default(), &PageRequest::first(500))
        .await
        .unwrap()
        .items;
    for c in calls {
        out.push((format!("call {}", c.id), json(&c)));
        if let Ok(t) = stores.calls.get_transcript(&w.owner, c.id).await {
            out.push((format!("transcript {}", c.id), json(&t)));
        }
        for card in stores.calls.list_scorecards(&w.owner, c.id).await.unwrap() {
            let history = stores
                .calls
                .review_history(&w.owner, card.id)
                .await
                .unwrap();
            out.push((format!("card {}", card.id), json(&card)));
            out.push((format!("history {}", card.id), json(&history)));
        }
    }
    out
}

async fn dashboards(
    stores: &Stores,
    w: &World,
    group_by: GroupBy,
) -> Vec<closeq_core::ports::AggregateRow> {
    let t = base_time();
    stores
        .calls
        .aggregate(
            &w.owner,
            &AggregateQuery {
                group_by,
                from: t - Duration::days(1),
                to: t + Duration::days(1),
            },
        )
        .await
        .unwrap()
}

async fn run(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let hasher = || SubjectHasher::new([9; 32], "49");
    let (stores, sqlite, admin_url) = match backend {
        Backend::Memory => (
            Stores::of(Arc::new(InMemoryStore::new(hasher()))),
            None,
            None,
        ),
        Backend::Sqlite => {
            let s = Arc::new(
                SqliteStore::open(dir.path().join("closeq.db"), hasher())
                    .await
                    .unwrap(),
            );
            (Stores::of(s.clone()), Some(s), None)
        }
        Backend::Postgres => {
            let Some(db) = support::db() else { return };
            let s = Arc::new(
                PostgresStore::connect(&db.runtime_url, hasher())
                    .await
                    .unwrap(),
            );
            (Stores::of(s), None, Some(db.admin_url.clone()))
        }
    };
    let (store, workspaces) = (stores.calls.clone(), stores.workspaces.clone());
    let w = World::create(&stores).await;
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 3, 9, 9, 0, 0).unwrap(),
    ));
    let audio = Arc::new(
        ObjectAudioStore::local(
            &dir.path().join("audio"),
            UrlSigner::new("https://x/a", SigningKey::new("k", [2; 32]), clock.clone()),
            store.clone(),
        )
        .unwrap(),
    );

    // The member to erase (rep A) and a colleague (rep B), with names and
    // addresses of their own. Distinct per backend: one PostgreSQL
    // database is shared by the tests of this binary.
    let tag = format!("{backend:?}").to_lowercase();
    let name = format!("Mirko Canary{tag}");
    let email = format!("mirko.canary.{tag}@staff.example");
    let mut member = workspaces
        .get_member(&w.owner, w.rep_a.user_id)
        .await
        .unwrap();
    member.display_name = Some(name.clone().into());
    member.email = Some(EmailAddress::parse(&email).unwrap());
    workspaces.put_member(&w.owner, &member).await.unwrap();
    let mut colleague = workspaces
        .get_member(&w.owner, w.rep_b.user_id)
        .await
        .unwrap();
    colleague.display_name = Some("Jonas Keeper".to_owned().into());
    workspaces.put_member(&w.owner, &colleague).await.unwrap();
    // The invitation that brought the member in, and one to a stranger.
    let t = base_time();
    for (to, token) in [
        (email.as_str(), "member-token"),
        ("stranger@else.example", "other"),
    ] {
        let mut inv = Invitation::new(
            w.workspace.id,
            EmailAddress::parse(to).unwrap(),
            Role::Member,
            w.owner.user_id,
            t,
            t + Duration::days(7),
        )
        .unwrap();
        inv.team_ids.insert(w.team_a);
        workspaces
            .insert_invitation(
                &w.owner,
                &inv,
                invitation_token_sha256(&format!("{tag}-{token}")).unwrap(),
            )
            .await
            .unwrap();
    }

    // The member's call: the client is someone else, the rep speaker is
    // named, and the member introduces themselves.
    let mut own = w.call(&w.rep_a, Some(w.team_a), 1);
    own.rep_comments = Some(format!("{name} will call back").into());
    let other = w.call(&w.rep_b, Some(w.team_b), 2);
    for c in [&own, &other] {
        store.insert_call(&w.owner, c).await.unwrap();
        let mut tr = sample_transcript();
        if c.id == own.id {
            tr.speakers[0].name = Some(name.clone().into());
            tr.utterances[0].text =
                format!("Hi, this is {name} from Acme, write to {email}.").into();
        } else {
            tr.utterances[0].text = format!("My colleague {name} sends regards.").into();
        }
        store.put_transcript(&w.owner, c.id, &tr).await.unwrap();
        let mut card = sample_scorecard(c, 70.0, &[("budget", Verdict::Met)]);
        card.coaching_notes.push(CoachingNote {
            text: format!("{name} should ask about the budget").into(),
            about: None,
            source: None,
            at_ms: vec![],
        });
        store.insert_scorecard(&w.owner, &card).await.unwrap();
    }
    let by_rep_before = dashboards(&stores, &w, GroupBy::Rep).await;
    let by_team_before = dashboards(&stores, &w, GroupBy::Team).await;
    let own_before = store.get_call(&w.owner, own.id).await.unwrap();
    let own_transcript_before = store.get_transcript(&w.owner, own.id).await.unwrap();
    let other_before = store.get_call(&w.owner, other.id).await.unwrap();
    let other_transcript_before = store.get_transcript(&w.owner, other.id).await.unwrap();
    let others_before: Vec<Member> = workspaces
        .list_members(&w.owner)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.user_id != w.rep_a.user_id)
        .collect();

    let canaries = [
        name.clone(),
        email.clone(),
        w.rep_a.user_id.to_string(),
        w.rep_a.user_id.as_uuid().simple().to_string(),
    ];
    let scan = || async {
        let mut found: Vec<(String, Vec<u8>)> = readable(&stores, &w)
            .await
            .into_iter()
            .map(|(k, v)| (k, v.into_bytes()))
            .collect();
        if let Some(s) = &sqlite {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(s.pool())
                .await
                .unwrap();
            found.extend(all_bytes(dir.path()));
        }
        if let Some(url) = &admin_url {
            found.push(("pg_dump".into(), pg_dump(url)));
        }
        found
    };
    // The canaries are there before (the scan can fail).
    let before = scan().await;
    for c in &canaries[..3] {
        assert!(
            before.iter().any(|(_, b)| contains(b, c.as_bytes())),
            "{backend:?}: {c} stored before erasure"
        );
    }

    // The only owner cannot be erased: a typed refusal, nothing changed.
    let eraser = Eraser::new(
        store.clone(),
        workspaces.clone(),
        stores.privacy.clone(),
        audio,
        clock,
    );
    let refused = eraser
        .erase(
            &w.owner,
            &Subject::User(w.owner.user_id),
            ErasureMode::Anonymize,
        )
        .await;
    assert!(
        matches!(refused, Err(Error::Forbidden { .. })),
        "{refused:?}"
    );
    assert!(
        workspaces
            .get_member(&w.owner, w.owner.user_id)
            .await
            .is_ok()
    );

    let subject = Subject::User(w.rep_a.user_id);
    let report = eraser
        .erase(&w.owner, &subject, ErasureMode::Anonymize)
        .await
        .unwrap();
    assert_eq!(
        report,
        ErasureReport {
            calls: 1,
            audio_objects: 0,
            mentions_redacted_in: 2,
            api_keys_deleted: 0,
        },
        "{backend:?}"
    );
    // Idempotent.
    assert_eq!(
        eraser
            .erase(&w.owner, &subject, ErasureMode::Anonymize)
            .await
            .unwrap(),
        ErasureReport::default()
    );

    // Nothing of the member is left anywhere.
    for (path, bytes) in scan().await {
        for (i, c) in canaries.iter().enumerate() {
            assert!(
                !contains(&bytes, c.as_bytes()),
                "{backend:?}: member identifier #{i} survived erasure in {path}"
            );
        }
    }
    assert!(matches!(
        workspaces.get_member(&w.owner, w.rep_a.user_id).await,
        Err(Error::NotFound { .. })
    ));
    assert!(
        store
            .find_calls_by_subject(&w.owner, &subject)
            .await
            .unwrap()
            .is_empty()
    );

    // The member's call: a tombstone rep, the client's data byte-for-byte.
    let own_after = store.get_call(&w.owner, own.id).await.unwrap();
    let tombstone = own_after.rep_id;
    assert_ne!(tombstone, w.rep_a.user_id);
    assert!(
        workspaces
            .list_members(&w.owner)
            .await
            .unwrap()
            .iter()
            .all(|m| m.user_id != tombstone),
        "a tombstone is nobody"
    );
    assert_eq!(json(&own_after.client), json(&own_before.client));
    assert_eq!(own_after.team_id, own_before.team_id);
    assert_eq!(
        own_after.rep_comments.as_deref().map(String::as_str),
        Some("[ERASED] will call back")
    );
    let own_transcript = store.get_transcript(&w.owner, own.id).await.unwrap();
    assert_eq!(
        own_transcript.utterances[0].text.as_str(),
        format!("Hi, this is {ERASED} from Acme, write to {ERASED}.")
    );
    assert_eq!(
        own_transcript.speakers[0]
            .name
            .as_deref()
            .map(String::as_str),
        Some(ERASED)
    );
    assert_eq!(
        json(&own_transcript.utterances[1..]),
        json(&own_transcript_before.utterances[1..]),
        "the client's words stay"
    );
    assert_eq!(
        json(&own_transcript.speakers[1]),
        json(&own_transcript_before.speakers[1])
    );
    let own_card = &store.list_scorecards(&w.owner, own.id).await.unwrap()[0];
    assert_eq!(
        own_card.coaching_notes.last().unwrap().text.as_str(),
        "[ERASED] should ask about the budget"
    );
    assert_eq!(
        own_card.score,
        store.list_scorecards(&w.owner, own.id).await.unwrap()[0].score
    );

    // The colleague's call: only the mention changed.
    let other_after = store.get_call(&w.owner, other.id).await.unwrap();
    assert_eq!(json(&other_after), json(&other_before));
    let other_transcript = store.get_transcript(&w.owner, other.id).await.unwrap();
    assert_eq!(
        other_transcript.utterances[0].text.as_str(),
        "My colleague [ERASED] sends regards."
    );
    assert_eq!(
        json(&other_transcript.utterances[1..]),
        json(&other_transcript_before.utterances[1..])
    );
    assert_eq!(
        json(&other_transcript.speakers),
        json(&other_transcript_before.speakers)
    );
    // The other members byte-for-byte.
    let others_after: Vec<Member> = workspaces.list_members(&w.owner).await.unwrap();
    assert_eq!(json(&others_after), json(&others_before));

    // Dashboards: the same figures, the member's under the tombstone.
    let key = |id: closeq_core::UserId| Some(id.to_string());
    let renamed: Vec<_> = by_rep_before
        .into_iter()
        .map(|mut r| {
            if r.key == key(w.rep_a.user_id) {
                r.key = key(tombstone);
            }
            r
        })
        .collect();
    let mut by_rep_after = dashboards(&stores, &w, GroupBy::Rep).await;
    let sort = |v: &mut Vec<closeq_core::ports::AggregateRow>| v.sort_by(|a, b| a.key.cmp(&b.key));
    let mut renamed = renamed;
    sort(&mut renamed);
    sort(&mut by_rep_after);
    assert_eq!(json(&by_rep_after), json(&renamed));
    assert_eq!(
        json(&dashboards(&stores, &w, GroupBy::Team).await),
        json(&by_team_before)
    );

    // One audit record, without the member's identifiers.
    let audit = workspaces.list_audit(&w.owner, 0, 100).await.unwrap();
    let rec = audit.iter().find(|a| a.action == "dsr.erase").unwrap();
    let text = json(rec);
    assert!(
        canaries.iter().all(|c| !text.contains(c.as_str())),
        "{text}"
    );
}

#[tokio::test]
async fn erasing_a_member_erases_the_member_in_memory() {
    run(Backend::Memory).await;
}

#[tokio::test]
async fn erasing_a_member_erases_the_member_in_sqlite() {
    run(Backend::Sqlite).await;
}

#[tokio::test]
async fn erasing_a_member_erases_the_member_in_postgres() {
    run(Backend::Postgres).await;
}
