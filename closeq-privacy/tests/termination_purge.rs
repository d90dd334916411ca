//! The termination purge, with a canary scan: a workspace holding one of
//! every kind of record (and audio, and an object no call holds) is
//! purged; afterwards no identifier of it is in the SQLite file or its
//! WAL, in a `pg_dump` of the PostgreSQL database, or in the audio
//! folder, and a second workspace reads back exactly as before.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use chrono::Duration;
use closeq_core::ports::{AudioStore, ByteStream};
use closeq_core::testing::every_record::every_kind_of_record;
use closeq_core::testing::workspace_store::snapshot;
use closeq_core::testing::{Stores, World, base_time};
use closeq_core::{Error, ManualClock, PurgeReason, Subject};
use closeq_privacy::request::SubjectRequests;
use closeq_privacy::termination::{PurgeStatus, WorkspacePurge};
use closeq_storage::{
    InMemoryStore, ObjectAudioStore, PostgresStore, SigningKey, SqliteStore, SubjectHasher,
    UrlSigner,
};

fn body() -> ByteStream {
    Box::pin(futures::stream::iter(vec![Ok(Bytes::from_static(
        b"RIFF....WAVEfmt ",
    ))]))
}

/// Fills `w`, gives its calls audio, and leaves one object no call holds.
async fn fill(s: &Stores, audio: &ObjectAudioStore, w: &World) -> Vec<String> {
    let filled = every_kind_of_record(s, w).await;
    for c in &filled.calls {
        let mut c = s.calls.get_call(&w.owner, c.id).await.unwrap();
        let key = format!("calls/{}.wav", c.id);
        c.audio = Some(
            audio
                .put(&w.owner, &c, &key, "audio/wav", body())
                .await
                .unwrap(),
        );
        s.calls.update_call(&w.owner, &c).await.unwrap();
    }
    let never_stored = w.call(&w.rep_a, Some(w.team_a), 30);
    let key = format!("calls/{}.wav", never_stored.id);
    audio
        .put(&w.rep_a, &never_stored, &key, "audio/wav", body())
        .await
        .unwrap();
    let mut canaries = filled.canaries;
    canaries.push(never_stored.id.as_uuid().hyphenated().to_string());
    canaries
}

fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        out.push(p.clone());
        if p.is_dir() {
            out.extend(files(&p));
        }
    }
    out
}

fn assert_absent(what: &str, haystack: &[u8], canaries: &[String]) {
    for c in canaries {
        assert!(
            !haystack.windows(c.len()).any(|w| w == c.as_bytes()),
            "{what} still holds {c}"
        );
    }
}

struct Case {
    stores: Stores,
    audio: Arc<ObjectAudioStore>,
    clock: Arc<ManualClock>,
    dir: tempfile::TempDir,
}

fn case(stores: Stores, dir: tempfile::TempDir) -> Case {
    let clock = Arc::new(ManualClock::new(base_time()));
    let audio = Arc::new(
        ObjectAudioStore::local(
            &dir.path().join("audio"),
            UrlSigner::new("https://x/a", SigningKey::new("k", [2; 32]), clock.clone()),
            stores.calls.clone(),
        )
        .unwrap(),
    );
    Case {
        stores,
        audio,
        clock,
        dir,
    }
}

impl Case {
    fn purge(&self) -> WorkspacePurge {
        WorkspacePurge::new(
            self.stores.calls.clone(),
            self.stores.workspaces.clone(),
            self.stores.privacy.clone(),
            self.audio.clone(),
            self.clock.clone(),
        )
    }

    /// Purges `a` at its owner's request; `b` must read back unchanged.
    async fn purge_one_of_two(&self) -> (World, World, Vec<String>) {
        let (a, b) = (
            World::create(&self.stores).await,
            World::create(&self.stores).await,
        );
        let canaries = fill(&self.stores, &self.audio, &a).await;
        fill(&self.stores, &self.audio, &b).await;
        let before = snapshot(&self.stores, &b).await;
        let audio_before = files(&self.dir.path().join("audio")).len();
        let receipt = self.purge().purge_now(&a.owner).await.unwrap();
        assert_eq!(receipt.reason, PurgeReason::OwnerRequest);
        assert_eq!((receipt.calls, receipt.audio_objects), (2, 3));
        assert_absent(
            "the receipt",
            &serde_json::to_vec(&receipt).unwrap(),
            &canaries,
        );
        assert_eq!(snapshot(&self.stores, &b).await, before);
        for c in self
            .stores
            .calls
            .list_calls(
                &b.owner,
                &Default::default(),
                &closeq_core::ports::PageRequest::first(10),
            )
            .await
            .unwrap()
            .items
        {
            if let Some(a) = c.audio {
                assert!(self.audio.exists(&b.owner, c.id, &a.key).await.unwrap());
            }
        }
        assert!(files(&self.dir.path().join("audio")).len() < audio_before);
        (a, b, canaries)
    }

    /// No canary in any file or path of the folder; `kept` (the other
    /// workspace's id) still is, so the scan can see.
    fn scan_folder(&self, canaries: &[String], kept: &str) {
        let mut seen = false;
        for p in files(self.dir.path()) {
            seen |= p.display().to_string().contains(kept);
            if p.is_file() {
                let b = std::fs::read(&p).unwrap();
                seen |= b.windows(kept.len()).any(|w| w == kept.as_bytes());
            }
            assert_absent(
                &p.display().to_string(),
                p.display().to_string().as_bytes(),
                canaries,
            );
            if p.is_file() {
                assert_absent(
                    &p.display().to_string(),
                    &std::fs::read(&p).unwrap(),
                    canaries,
                );
            }
        }
        assert!(seen, "the scan never saw the other workspace");
    }
}

#[tokio::test]
async fn sqlite_purge_leaves_no_identifier_in_the_file_the_wal_or_the_audio_folder() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        SqliteStore::open(dir.path().join("q.db"), SubjectHasher::new([3; 32], "44"))
            .await
            .unwrap(),
    );
    let c = case(Stores::of(store), dir);
    let (_, b, canaries) = c.purge_one_of_two().await;
    c.scan_folder(
        &canaries,
        &b.workspace.id.as_uuid().hyphenated().to_string(),
    );
}

#[tokio::test]
async fn postgres_purge_leaves_no_identifier_in_a_pg_dump() {
    let Some(db) = closeq_storage::testing::postgres_test_database() else {
        return;
    };
    let store = Arc::new(
        PostgresStore::connect(&db.runtime_url, SubjectHasher::new([3; 32], "44"))
            .await
            .unwrap(),
    );
    let c = case(Stores::of(store), tempfile::tempdir().unwrap());
    let (_, b, canaries) = c.purge_one_of_two().await;
    let dump = pg_dump(&db.admin_url);
    assert!(
        dump.windows(36)
            .any(|w| w == b.workspace.id.as_uuid().hyphenated().to_string().as_bytes()),
        "the dump holds the other workspace"
    );
    assert_absent("pg_dump", &dump, &canaries);
    c.scan_folder(
        &canaries,
        &b.workspace.id.as_uuid().hyphenated().to_string(),
    );
}

fn pg_dump(url: &str) -> Vec<u8> {
    let bin = std::fs::read_dir("/usr/lib/postgresql")
        .ok()
        .and_then(|d| {
            let mut v: Vec<_> = d.flatten().map(|e| e.path().join("bin/pg_dump")).collect();
            v.sort();
            v.pop()
        })
        .filter(|p| p.exists())
        .unwrap_or_else(|| "pg_dump".into());
    let out = std::process::Command::new(bin)
        .args(["--data-only", "--no-owner", "--dbname", url])
        .output()
        .expect("pg_dump runs (it comes with the PostgreSQL server the tests use)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Scheduled: nothing at the policy's window −1 s, the purge at 0; a
/// legal hold holds it back; only the owner schedules or purges.
#[tokio::test]
async fn a_scheduled_purge_runs_at_the_end_of_the_window_unless_held() {
    let store = Arc::new(InMemoryStore::new(SubjectHasher::new([3; 32], "44")));
    let c = case(Stores::of(store), tempfile::tempdir().unwrap());
    let w = World::create(&c.stores).await;
    fill(&c.stores, &c.audio, &w).await;
    let purge = c.purge();
    assert_eq!(
        purge.purge_if_due(&w.owner).await.unwrap(),
        PurgeStatus::NotScheduled
    );
    for who in [&w.admin, &w.manager, &w.rep_a] {
        assert!(matches!(
            purge.schedule(who).await,
            Err(Error::Forbidden { .. })
        ));
        assert!(matches!(
            purge.purge_now(who).await,
            Err(Error::Forbidden { .. })
        ));
    }
    let due = purge.schedule(&w.owner).await.unwrap();
    assert_eq!(due, base_time() + Duration::days(90));
    assert_eq!(
        purge.schedule(&w.owner).await.unwrap(),
        due,
        "the first end stays"
    );
    c.clock.set(due - Duration::seconds(1));
    assert_eq!(
        purge.purge_if_due(&w.owner).await.unwrap(),
        PurgeStatus::Due(due)
    );
    // Held for legal claims: refused at the deadline.
    let call = c
        .stores
        .calls
        .list_calls(
            &w.owner,
            &Default::default(),
            &closeq_core::ports::PageRequest::first(1),
        )
        .await
        .unwrap()
        .items
        .remove(0);
    let requests = SubjectRequests::new(
        c.stores.privacy.clone(),
        c.stores.workspaces.clone(),
        c.clock.clone(),
    );
    let client = Subject::Email(call.client.email.clone().unwrap());
    requests
        .restrict_for_legal_claims(&w.owner, client.clone())
        .await
        .unwrap();
    c.clock.set(due);
    let r = purge.purge_if_due(&w.owner).await;
    assert!(
        matches!(&r, Err(Error::Compliance { rule, .. }) if rule == "GDPR Art. 18(1)(c)"),
        "{r:?}"
    );
    c.stores.workspaces.get_workspace(&w.owner).await.unwrap();
    requests.lift_restriction(&w.owner, &client).await.unwrap();
    c.clock.set(due + Duration::seconds(1));
    match purge.purge_if_due(&w.owner).await.unwrap() {
        PurgeStatus::Purged(r) => assert_eq!(r.reason, PurgeReason::Termination),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        c.stores.workspaces.get_workspace(&w.owner).await,
        Err(Error::NotFound { .. })
    ));
}
