//! Erasure, checked the way an auditor would: after erasing a client, the
//! bytes of the SQLite database file (and its WAL) and the audio folder are
//! scanned for the client's identifiers, and none may be found.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use chrono::{TimeZone, Utc};
use closeq_core::ports::{AudioStore, ByteStream, CallStore, WorkspaceStore};
use closeq_core::testing::call_store::{sample_scorecard, sample_transcript};
use closeq_core::testing::{Stores, World};
use closeq_core::{Call, CoachingNote, ManualClock, Subject, Verdict};
use closeq_privacy::erasure::{Eraser, ErasureMode, ErasureReport};
use closeq_storage::{ObjectAudioStore, SigningKey, SqliteStore, SubjectHasher, UrlSigner};

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

async fn run(mode: ErasureMode) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        SqliteStore::open(
            dir.path().join("closeq.db"),
            SubjectHasher::new([3; 32], "44"),
        )
        .await
        .unwrap(),
    );
    let stores = Stores {
        calls: store.clone(),
        workspaces: store.clone(),
    };
    let w = World::create(&stores).await;
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap(),
    ));
    let audio = Arc::new(
        ObjectAudioStore::local(
            &dir.path().join("audio"),
            UrlSigner::new("https://x/a", SigningKey::new("k", [2; 32]), clock.clone()),
        )
        .unwrap(),
    );

    // The subject's call (audio carries the canary, as a voice recording
    // carries the voice) and someone else's call.
    let mut subject_call = w.call(&w.rep_a, Some(w.team_a), 7);
    let other = w.call(&w.rep_b, Some(w.team_b), 8);
    let canary = canaries(&subject_call);
    for c in [&mut subject_call] {
        let body: ByteStream = Box::pin(futures::stream::iter(vec![Ok(Bytes::from(format!(
            "RIFF....{}",
            canary.join("|")
        )))]));
        c.audio = Some(
            audio
                .put(&w.owner, &format!("calls/{}.wav", c.id), "audio/wav", body)
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
        store.insert_scorecard(&w.owner, &card).await.unwrap();
    }
    // The canaries are really there before erasure (the scan can fail).
    let before = all_bytes(dir.path());
    assert!(
        canary
            .iter()
            .all(|c| before.iter().any(|(_, b)| contains(b, c.as_bytes()))),
        "every canary is stored before erasure"
    );

    let eraser = Eraser::new(store.clone(), store.clone(), audio.clone(), clock.clone());
    let subject = Subject::Email(subject_call.client.email.clone().unwrap());
    let report = eraser.erase(&w.owner, &subject, mode).await.unwrap();
    assert_eq!(
        report,
        ErasureReport {
            calls: 1,
            audio_objects: 1
        }
    );
    // Idempotent.
    assert_eq!(
        eraser.erase(&w.owner, &subject, mode).await.unwrap(),
        ErasureReport::default()
    );

    // Flush the WAL into the main file, then scan every byte on disk.
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(store.pool())
        .await
        .unwrap();
    for (path, bytes) in all_bytes(dir.path()) {
        for (i, c) in canary.iter().enumerate() {
            assert!(
                !contains(&bytes, c.as_bytes()),
                "{mode:?}: subject identifier #{i} survived erasure in {path}"
            );
        }
    }
    // The other client's data is untouched.
    let kept = store.get_transcript(&w.owner, other.id).await.unwrap();
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
    let audit = store.list_audit(&w.owner, 0, 100).await.unwrap();
    let rec = audit.iter().find(|a| a.action == "dsr.erase").unwrap();
    let text = serde_json::to_string(rec).unwrap();
    assert!(canary.iter().all(|c| !text.contains(c.as_str())));
}

#[tokio::test]
async fn anonymizing_erasure_leaves_no_identifier_on_disk() {
    run(ErasureMode::Anonymize).await;
}

#[tokio::test]
async fn deleting_erasure_leaves_no_identifier_on_disk() {
    run(ErasureMode::Delete).await;
}
