//! `closeq demo` on a fresh data folder: the main job end to end.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

#[test]
fn demo_transcribes_scores_and_stores_the_sample_calls() {
    // The real main job: audio, local Whisper, scorecards.
    let Some(model) = closeq_core::testing::required_service_url("CLOSEQ_WHISPER_MODEL") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_closeq"))
        .env("CLOSEQ_DATA_DIR", dir.path())
        .env("CLOSEQ_WHISPER_MODEL", model)
        .arg("demo")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.contains("local Whisper"), "{s}");
    assert!(s.contains("word error rate"), "{s}");
    let names = [
        "01_discovery_won",
        "02_discovery_lost",
        "03_demo_follow_up",
        "04_qualification_backchannels",
        "05_demo_fast_talker",
    ];
    for name in names {
        assert!(s.contains(name), "{s}");
    }
    assert!(s.contains("Stored 5 calls"), "{s}");
    assert!(
        s.contains("no concrete next step"),
        "the lost call is flagged: {s}"
    );
    // The audio went to the local audio folder, one object per call.
    let stored: usize = walk(&dir.path().join("audio"));
    assert_eq!(stored, names.len(), "one audio object per sample call");
}

fn walk(p: &std::path::Path) -> usize {
    std::fs::read_dir(p)
        .map(|rd| {
            rd.flatten()
                .map(|e| {
                    if e.path().is_dir() {
                        walk(&e.path())
                    } else {
                        1
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

#[test]
fn demo_from_transcripts_scores_the_samples_and_stores_them() {
    let dir = tempfile::tempdir().unwrap();
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_closeq"))
            .env("CLOSEQ_DATA_DIR", dir.path())
            .args(["demo", "--transcripts"])
            .output()
            .unwrap()
    };
    let out = run();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = String::from_utf8(out.stdout).unwrap();
    let names = [
        "01_discovery_won",
        "02_discovery_lost",
        "03_demo_follow_up",
        "04_qualification_backchannels",
        "05_demo_fast_talker",
    ];
    for name in names {
        assert!(s.contains(name), "{s}");
    }
    assert!(s.contains("Stored 5 calls"), "{s}");
    assert!(
        s.contains("no concrete next step"),
        "the lost call is flagged: {s}"
    );
    assert!(dir.path().join("closeq.db").exists());
    // A second run reuses the workspace and adds three more calls.
    assert!(run().status.success());
}

#[test]
fn retention_plan_and_run_on_a_fresh_installation() {
    let dir = tempfile::tempdir().unwrap();
    let closeq = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_closeq"))
            .env("CLOSEQ_DATA_DIR", dir.path())
            .args(args)
            .output()
            .unwrap()
    };
    assert!(closeq(&["demo", "--transcripts"]).status.success());
    let out = closeq(&["retention", "plan", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["counts"],
        serde_json::json!({}),
        "nothing is due for calls made today"
    );
    let out = closeq(&["retention", "run"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("nothing is due"));
}

#[test]
fn processing_record_on_a_fresh_installation() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_closeq"))
        .env("CLOSEQ_DATA_DIR", dir.path())
        .args(["processing-record", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["categories"].as_array().unwrap().len(), 10);
}

#[test]
fn keys_create_list_revoke() {
    let dir = tempfile::tempdir().unwrap();
    let closeq = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_closeq"))
            .env("CLOSEQ_DATA_DIR", dir.path())
            .args(args)
            .output()
            .unwrap()
    };
    let out = closeq(&["keys", "create", "dialer"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(key.starts_with("cq_live_"));
    let list = String::from_utf8(closeq(&["keys", "list"]).stdout).unwrap();
    assert!(list.contains("dialer") && list.contains("active"));
    assert!(!list.contains(&key[8..]), "the secret is never listed");
    let id = list.split_whitespace().next().unwrap().to_owned();
    assert!(closeq(&["keys", "revoke", &id]).status.success());
    assert!(
        String::from_utf8(closeq(&["keys", "list"]).stdout)
            .unwrap()
            .contains("revoked")
    );
    // The database file holds no key material, only its hash.
    let db = std::fs::read(dir.path().join("closeq.db")).unwrap();
    let wal = std::fs::read(dir.path().join("closeq.db-wal")).unwrap_or_default();
    let secret = &key.as_bytes()[8..40];
    assert!(
        !db.windows(secret.len()).any(|w| w == secret)
            && !wal.windows(secret.len()).any(|w| w == secret)
    );
}

#[test]
fn analyze_audio_transcribes_locally_and_stores_the_call() {
    let Some(model) = closeq_core::testing::required_service_url("CLOSEQ_WHISPER_MODEL") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let audio = format!(
        "{}/../closeq-stt/samples/03_demo_follow_up.ogg",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = Command::new(env!("CARGO_BIN_EXE_closeq"))
        .env("CLOSEQ_DATA_DIR", dir.path())
        .env("CLOSEQ_WHISPER_MODEL", model)
        .args(["analyze", &audio, "--rubric", "demo", "--rep-channel", "0"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.contains("transcribed by whisper-local"), "{s}");
    assert!(s.contains("score"), "{s}");
    assert!(s.contains("AI suggestion"), "{s}");
    assert!(s.contains("stored as call"), "{s}");
}

#[test]
fn analyze_audio_without_a_model_says_how_to_get_one() {
    let dir = tempfile::tempdir().unwrap();
    let audio = format!(
        "{}/../closeq-stt/samples/03_demo_follow_up.ogg",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = Command::new(env!("CARGO_BIN_EXE_closeq"))
        .env("CLOSEQ_DATA_DIR", dir.path())
        .env_remove("CLOSEQ_WHISPER_MODEL")
        .env("CLOSEQ_MODEL_CACHE", dir.path().join("no-models"))
        .args(["analyze", &audio])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("fetch-whisper-model"), "{err}");
    // Nothing was stored.
    assert!(!dir.path().join("audio").exists());
}
