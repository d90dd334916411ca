//! A worker host set up with the installation's defaults but without its
//! key files: before the fix it made new keys silently, and its subject
//! index then matched no stored subject — a restriction or objection filed
//! on another host was not seen by its workers. Now a key missing from an
//! installation that exists is refused, naming the file, and no new key is
//! written.
#![cfg(feature = "store-sqlite")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use closeq_core::Error;
use closeq_pipeline::LocalInstallation;

#[tokio::test]
async fn a_missing_key_of_an_existing_installation_is_refused_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let first = LocalInstallation::open_at(dir.path(), None).await.unwrap();
    let workspace = first.owner_scope().workspace_id;
    drop(first);
    for key in ["subject-index.key", "audio-url.key", "redaction.key"] {
        let path = dir.path().join(key);
        let kept = std::fs::read(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        let r = LocalInstallation::open_at(dir.path(), None).await;
        match r {
            Err(Error::InvalidInput { field, reason }) => {
                assert!(field.contains(key), "{field}");
                assert!(reason.contains("copy the key files"), "{reason}");
            }
            other => panic!("{key}: {:?}", other.map(|_| "opened")),
        }
        assert!(!path.exists(), "{key}: no new key was written");
        std::fs::write(&path, kept).unwrap();
    }
    // With every key back, the installation opens as before.
    let again = LocalInstallation::open_at(dir.path(), None).await.unwrap();
    assert_eq!(again.owner_scope().workspace_id, workspace);
}

/// A host that starts with none of the files — a fresh folder pointed at
/// the installation's database (here: the SQLite database restored without
/// its key files and defaults) — made new keys and a new workspace before
/// the fix; its workers then leased every workspace's jobs with a subject
/// index that matched none of the stored subjects. The database now keeps
/// a fingerprint of each key and refuses a process whose keys differ.
#[tokio::test]
async fn a_host_with_other_keys_is_refused_by_the_database() {
    let dir = tempfile::tempdir().unwrap();
    drop(LocalInstallation::open_at(dir.path(), None).await.unwrap());
    for file in [
        "subject-index.key",
        "audio-url.key",
        "redaction.key",
        "defaults.json",
    ] {
        std::fs::remove_file(dir.path().join(file)).unwrap();
    }
    match LocalInstallation::open_at(dir.path(), None).await {
        Err(Error::Compliance { rule, reason }) => {
            assert_eq!(rule, "installation keys");
            assert!(reason.contains("subject-index.key"), "{reason}");
        }
        other => panic!("{:?}", other.map(|_| "opened")),
    }
    assert!(
        !dir.path().join("defaults.json").exists(),
        "no second workspace"
    );
}
