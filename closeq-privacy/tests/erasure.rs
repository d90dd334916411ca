//! Erasure, checked the way an auditor would: after erasing a client, the
//! bytes of the SQLite database file (and its WAL) — or a `pg_dump` of the
//! PostgreSQL database — and the audio folder are scanned for the client's
//! identifiers, and none may be found.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use chrono::{TimeZone, Utc};
use closeq_core::ports::{AudioStore, ByteStream};
use closeq_core::testing::call_store::{sample_scorecard, sample_transcript};
use closeq_core::testing::{Stores, World, base_time};
use closeq_core::{Call, CoachingNote, ManualClock, Subject, Verdict};
use closeq_privacy::erasure::{Eraser, ErasureMode, ErasureReport};
use closeq_storage::{
    ObjectAudioStore, PostgresStore, SigningKey, SqliteStore, SubjectHasher, UrlSigner,
};

#[path = "../../closeq-storage/tests/support/mod.rs"]
mod support;

/// Where the rows live.
#[derive(Debug, Clone, Copy)]
enum Backend {
    Sqlite,
    Postgres,
}

/// Every file under `dir`, recursively, as bytes.
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

fn spoken(d: i64) -> &'static str {
    [
        "oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    ][d as usize]
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn canaries(c: &Call) -> Vec<String> {
    vec![
        c.client.email.as_ref().unwrap().as_str().to_owned(),
        c.client.phone.as_ref().unwrap().as_str().to_owned(),
        c.client.name.as_ref().unwrap().as_str().to_owned(),
    ]
}

/// A plain-text dump of the PostgreSQL test database, taken as superuser
/// (every row, RLS bypassed).
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
        "pg_dump failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The stores, the SQLite store when it is one, and PostgreSQL's admin URL
/// when it is that.
type Opened = (Stores, Option<Arc<SqliteStore>>, Option<String>);

async fn run(backend: Backend, mode: ErasureMode) {
    let dir = tempfile::tempdir().unwrap();
    let (stores, sqlite, admin_url): Opened = match backend {
        Backend::Sqlite => {
            let s = Arc::new(
                SqliteStore::open(
                    dir.path().join("closeq.db"),
                    SubjectHasher::new([3; 32], "44"),
                )
                .await
                .unwrap(),
            );
            (Stores::of(s.clone()), Some(s), None)
        }
        Backend::Postgres => {
            let Some(db) = support::db() else { return };
            let s = Arc::new(
                PostgresStore::connect(&db.runtime_url, SubjectHasher::new([3; 32], "44"))
                    .await
                    .unwrap(),
            );
            (Stores::of(s), None, Some(db.admin_url.clone()))
        }
    };
    // Everything a scan must cover: the files under `dir` and, for
    // PostgreSQL, a dump.
    let scan = || async {
        let mut files = all_bytes(dir.path());
        if let Some(url) = &admin_url {
            files.push(("pg_dump".into(), pg_dump(url)));
        }
        files
    };
    let (calls, workspaces) = (stores.calls.clone(), stores.workspaces.clone());
    let store = calls.clone();
    let w = World::create(&stores).await;
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap(),
    ));
    let audio = Arc::new(
        ObjectAudioStore::local(
            &dir.path().join("audio"),
            UrlSigner::new("https://x/a", SigningKey::new("k", [2; 32]), clock.clone()),
            store.clone(),
        )
        .unwrap(),
    );

    // The subject's call (audio carries the canary, as a voice recording
    // carries the voice) and someone else's call.
    // Distinct minutes per mode give distinct names and phone numbers, so
    // tests sharing one PostgreSQL database never see each other's canaries.
    let minute = match mode {
        ErasureMode::Anonymize => 7,
        _ => 17,
    };
    let mut subject_call = w.call(&w.rep_a, Some(w.team_a), minute);
    let other = w.call(&w.rep_b, Some(w.team_b), minute + 1);
    let canary = canaries(&subject_call);
    for c in [&mut subject_call] {
        let body: ByteStream = Box::pin(futures::stream::iter(vec![Ok(Bytes::from(format!(
            "RIFF....{}",
            canary.join("|")
        )))]));
        c.audio = Some(
            audio
                .put(
                    &w.owner,
                    c,
                    &format!("calls/{}.wav", c.id),
                    "audio/wav",
                    body,
                )
                .await
                .unwrap(),
        );
    }
    for c in [&subject_call, &other] {
        store.insert_call(&w.owner, c).await.unwrap();
        let mut t = sample_transcript();
        t.utterances[1].text = format!(
            "Write to {} or call {}, my card is 4111 1111 1111 1111",
            c.client.email.as_ref().unwrap().as_str(),
            c.client.phone.as_ref().unwrap().as_str()
        )
        .into();
        if c.id == other.id {
            // The other call mentions the subject: name, e-mail, and the
            // phone number spoken in its national form.
            t.utterances[0].text = format!(
                "Ask {} at {} or ring oh two oh, seven nine four six, oh oh {} {}.",
                subject_call.client.name.as_ref().unwrap().as_str(),
                subject_call.client.email.as_ref().unwrap().as_str(),
                spoken(minute / 10),
                spoken(minute % 10)
            )
            .into();
        }
        store.put_transcript(&w.owner, c.id, &t).await.unwrap();
        let mut card = sample_scorecard(c, 70.0, &[("budget", Verdict::Met)]);
        card.coaching_notes.push(CoachingNote {
            text: format!(
                "Follow up with {}",
                c.client.name.as_ref().unwrap().as_str()
            )
            .into(),
            about: None,
            source: None,
            at_ms: vec![],
        });
        if c.id == other.id {
            // The subject is named in the other call's coaching notes and
            // rep comments too.
            card.coaching_notes.push(CoachingNote {
                text: format!(
                    "{} referred them; mention {}",
                    subject_call.client.name.as_ref().unwrap().as_str(),
                    subject_call.client.phone.as_ref().unwrap().as_str()
                )
                .into(),
                about: None,
                source: None,
                at_ms: vec![],
            });
            let mut commented = c.clone();
            commented.rep_comments = Some(
                format!(
                    "Met via {}",
                    subject_call.client.email.as_ref().unwrap().as_str()
                )
                .into(),
            );
            store.update_call(&w.owner, &commented).await.unwrap();
        }
        store.insert_scorecard(&w.owner, &card).await.unwrap();
        // A reviewer's reason names the subject on every card.
        card.reject(
            w.owner.user_id,
            base_time(),
            format!(
                "wrong call: {} is not on it",
                subject_call.client.name.as_ref().unwrap().as_str()
            ),
        )
        .unwrap();
        store.save_review(&w.owner, &card).await.unwrap();
    }
    // The canaries are really there before erasure (the scan can fail).
    let before = scan().await;
    assert!(
        canary
            .iter()
            .all(|c| before.iter().any(|(_, b)| contains(b, c.as_bytes()))),
        "every canary is stored before erasure"
    );

    let eraser = Eraser::new(
        calls.clone(),
        workspaces.clone(),
        stores.privacy.clone(),
        audio.clone(),
        clock.clone(),
    );
    let subject = Subject::Email(subject_call.client.email.clone().unwrap());
    let report = eraser.erase(&w.owner, &subject, mode).await.unwrap();
    assert_eq!(
        report,
        ErasureReport {
            calls: 1,
            audio_objects: 1,
            mentions_redacted_in: 1,
            api_keys_deleted: 0,
        }
    );
    // Idempotent.
    assert_eq!(
        eraser.erase(&w.owner, &subject, mode).await.unwrap(),
        ErasureReport::default()
    );

    // Flush SQLite's WAL into the main file, then scan every byte on disk
    // (and the dump).
    if let Some(s) = &sqlite {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(s.pool())
            .await
            .unwrap();
    }
    for (path, bytes) in scan().await {
        for (i, c) in canary.iter().enumerate() {
            assert!(
                !contains(&bytes, c.as_bytes()),
                "{mode:?}: subject identifier #{i} survived erasure in {path}"
            );
        }
    }
    // The other client's data is untouched; the mention of the subject in
    // it is gone, spoken phone number included.
    let kept = store.get_transcript(&w.owner, other.id).await.unwrap();
    let mention = kept.utterances[0].text.as_str();
    assert!(
        mention.starts_with("Ask [ERASED] at [ERASED] or ring [ERASED]"),
        "{mention}"
    );
    assert!(!mention.contains("seven nine four six"), "{mention}");
    let comments = store
        .get_call(&w.owner, other.id)
        .await
        .unwrap()
        .rep_comments;
    assert_eq!(
        comments.as_deref().map(String::as_str),
        Some("Met via [ERASED]")
    );
    let card = &store.list_scorecards(&w.owner, other.id).await.unwrap()[0];
    assert_eq!(
        card.coaching_notes[1].text.as_str(),
        "[ERASED] referred them; mention [ERASED]"
    );
    // (The other call names the subject in full, so single name parts
    // count in it too; the other client's made-up name shares two words
    // with the subject's, so its own note is not checked here. Strangers
    // with the subject's first name: tests/adversarial_erasure.rs.)
    match card.review() {
        closeq_core::ReviewState::Rejected { reason, .. } => {
            assert_eq!(reason.as_str(), "wrong call: [ERASED] is not on it")
        }
        r => panic!("{r:?}"),
    }
    assert!(
        kept.utterances[1]
            .text
            .as_str()
            .contains(other.client.email.as_ref().unwrap().as_str())
    );
    // What is left of the subject's call.
    match mode {
        ErasureMode::Delete => assert!(store.get_call(&w.owner, subject_call.id).await.is_err()),
        ErasureMode::Anonymize => {
            let c = store.get_call(&w.owner, subject_call.id).await.unwrap();
            assert!(c.client.email.is_none() && c.audio.is_none());
            assert!(
                store
                    .get_transcript(&w.owner, subject_call.id)
                    .await
                    .is_err()
            );
        }
    }
    // An audit record, without the identifiers.
    let audit = workspaces.list_audit(&w.owner, 0, 100).await.unwrap();
    let rec = audit.iter().find(|a| a.action == "dsr.erase").unwrap();
    let text = serde_json::to_string(rec).unwrap();
    assert!(canary.iter().all(|c| !text.contains(c.as_str())));
}

#[tokio::test]
async fn anonymizing_erasure_leaves_no_identifier_on_disk() {
    run(Backend::Sqlite, ErasureMode::Anonymize).await;
}

#[tokio::test]
async fn deleting_erasure_leaves_no_identifier_on_disk() {
    run(Backend::Sqlite, ErasureMode::Delete).await;
}

#[tokio::test]
async fn anonymizing_erasure_leaves_no_identifier_in_a_postgres_dump() {
    run(Backend::Postgres, ErasureMode::Anonymize).await;
}

#[tokio::test]
async fn deleting_erasure_leaves_no_identifier_in_a_postgres_dump() {
    run(Backend::Postgres, ErasureMode::Delete).await;
}
