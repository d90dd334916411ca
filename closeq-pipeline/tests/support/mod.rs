//! Shared set-up for the pipeline suites: a fresh workspace on a chosen
//! backend, a manual clock, a local audio folder, sample inputs.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use closeq_analysis::rubric::builtin_rubric;
use closeq_analysis::scoring::HeuristicScorer;
use closeq_analysis::transcript::{Format, ImportOptions, import};
use closeq_core::ports::{AudioStore, CallStore};
use closeq_core::testing::{Stores, World, base_time};
use closeq_core::{Clock, ManualClock, Rubric, Transcript};
use closeq_pipeline::{Analyzer, AnalyzerBuilder};
use closeq_storage::{
    InMemoryStore, ObjectAudioStore, SigningKey, SqliteStore, SubjectHasher, UrlSigner,
};

/// The backends every end-to-end case runs on.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Memory,
    Sqlite,
    /// Through the RLS-bound runtime role of a migrated test database.
    Postgres,
}

pub struct Ctx {
    pub stores: Stores,
    /// A job queue in the same database (memory: its own).
    pub queue: Arc<dyn closeq_core::ports::JobQueue>,
    pub world: World,
    pub clock: Arc<ManualClock>,
    pub audio: Arc<ObjectAudioStore>,
    pub audio_dir: tempfile::TempDir,
    _db_dir: tempfile::TempDir,
}

fn hasher() -> SubjectHasher {
    SubjectHasher::new([9; 32], "48")
}

impl Ctx {
    pub async fn new(b: Backend) -> Ctx {
        let db_dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(base_time()));
        let retry = closeq_core::RetryPolicy::default();
        let (stores, queue): (Stores, Arc<dyn closeq_core::ports::JobQueue>) = match b {
            Backend::Memory => (
                Stores::of(Arc::new(InMemoryStore::new(hasher()))),
                Arc::new(closeq_storage::InMemoryJobQueue::new(clock.clone(), retry)),
            ),
            Backend::Sqlite => {
                let s = SqliteStore::open(db_dir.path().join("t.db"), hasher())
                    .await
                    .unwrap();
                let q = closeq_storage::SqliteJobQueue::new(s.clone(), clock.clone(), retry);
                (Stores::of(Arc::new(s)), Arc::new(q))
            }
            Backend::Postgres => {
                // A database per case: workers lease across workspaces.
                let db = closeq_storage::testing::postgres_fresh_database()
                    .await
                    .expect("the postgres cases check for a server first");
                let s = closeq_storage::PostgresStore::connect(&db.runtime_url, hasher())
                    .await
                    .unwrap();
                let q = closeq_storage::PostgresJobQueue::new(s.clone(), clock.clone(), retry);
                (Stores::of(Arc::new(s)), Arc::new(q))
            }
        };
        let world = World::create(&stores).await;
        let audio_dir = tempfile::tempdir().unwrap();
        let signer = UrlSigner::new(
            "http://127.0.0.1/audio",
            SigningKey::new("k", [3; 32]),
            clock.clone(),
        );
        let audio = Arc::new(
            ObjectAudioStore::local(audio_dir.path(), signer, stores.calls.clone()).unwrap(),
        );
        Ctx {
            stores,
            queue,
            world,
            clock,
            audio,
            audio_dir,
            _db_dir: db_dir,
        }
    }

    /// A builder with the stores, the audio folder, the clock and the
    /// heuristic scorer.
    pub fn builder(&self) -> AnalyzerBuilder {
        Analyzer::builder()
            .call_store(self.stores.calls.clone())
            .workspace_store(self.stores.workspaces.clone())
            .privacy_store(self.stores.privacy.clone())
            .audio_store(self.audio.clone() as Arc<dyn AudioStore>)
            .clock(self.clock.clone() as Arc<dyn Clock>)
    }

    pub fn heuristic(&self) -> Arc<HeuristicScorer> {
        Arc::new(HeuristicScorer::new(self.clock.clone()))
    }

    pub fn calls(&self) -> &Arc<dyn CallStore> {
        &self.stores.calls
    }

    /// Files in the audio folder.
    pub fn audio_files(&self) -> usize {
        walk(self.audio_dir.path())
    }
}

fn walk(p: &std::path::Path) -> usize {
    std::fs::read_dir(p).map_or(0, |d| {
        d.flatten()
            .map(|e| {
                if e.path().is_dir() {
                    walk(&e.path())
                } else {
                    1
                }
            })
            .sum()
    })
}

pub const SAMPLE: &str = include_str!("../../../closeq-cli/samples/01_discovery_won.txt");

pub fn transcript(text: &str) -> Transcript {
    import(
        text.as_bytes(),
        Some(Format::Script),
        &ImportOptions::default().with_rep_speaker("Rep"),
    )
    .unwrap()
}

pub fn sample_transcript() -> Transcript {
    transcript(SAMPLE)
}

pub fn discovery() -> Rubric {
    builtin_rubric("discovery").unwrap()
}

/// The discovery rubric with another version (a rescore target).
pub fn discovery_v2() -> Rubric {
    let mut r = discovery();
    r.version = format!("{}-b", r.version);
    r
}

/// Runs each named case (an `async fn(Backend)`) on every backend.
#[macro_export]
macro_rules! on_every_backend {
    ($($case:ident),* $(,)?) => {
        mod memory {
            $( #[tokio::test] async fn $case() { super::$case(super::support::Backend::Memory).await } )*
        }
        mod sqlite {
            $( #[tokio::test] async fn $case() { super::$case(super::support::Backend::Sqlite).await } )*
        }
        mod postgres {
            $( #[tokio::test] async fn $case() {
                // A visible SKIPPED line without a server (a failure under CI=true).
                if closeq_storage::testing::postgres_test_database().is_none() {
                    return;
                }
                super::$case(super::support::Backend::Postgres).await
            } )*
        }
    };
}
