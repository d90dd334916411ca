//! A real server on loopback over a SQLite store, a local audio folder and
//! the SQLite job queue, with two workspaces of members (owner, admin,
//! manager of team A, a rep in each team) and a key for each.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::TimeZone;
use closeq_analysis::scoring::HeuristicScorer;
use closeq_core::ports::{CallStore, JobQueue, PrivacyStore, WorkspaceStore};
use closeq_core::testing::{Stores, World};
use closeq_core::{Clock, ManualClock, RetryPolicy, Scope, WorkspaceId};
use closeq_pipeline::worker::builtin_rubrics;
use closeq_pipeline::{Analyzer, Worker};
use closeq_privacy::fulfilment::RequestFulfilment;
use closeq_privacy::gates::PrivacyAudioGate;
use closeq_privacy::request::SubjectRequests;
use closeq_privacy::secrets::{ApiKeys, KeyEnvironment};
use closeq_server::webhooks::{WebhookEndpoint, Webhooks};
use closeq_server::{Api, KeyRate, SCOPES, UploadLimits};
use closeq_storage::{
    ObjectAudioStore, SigningKey, SqliteJobQueue, SqliteStore, SubjectHasher, UrlSigner,
};

/// The server and what it runs on.
pub struct Server {
    pub base: String,
    pub http: reqwest::Client,
    pub store: Arc<SqliteStore>,
    pub queue: Arc<dyn JobQueue>,
    pub clock: Arc<ManualClock>,
    pub analyzer: Arc<Analyzer>,
    pub w: World,
    pub other: World,
    /// A live key with every scope per member of `w` (by role name:
    /// owner, admin, manager, rep_a, rep_b) and of `other` (`other_owner`).
    pub keys: HashMap<&'static str, String>,
    pub key_admin: ApiKeys,
    pub test_keys: ApiKeys,
    pub webhooks: Option<Webhooks>,
    _dir: tempfile::TempDir,
}

/// Options.
#[derive(Clone)]
pub struct Options {
    pub uploads: UploadLimits,
    pub rate: KeyRate,
    /// Webhook endpoints (none by default).
    pub webhooks: Vec<WebhookEndpoint>,
    /// Sign webhooks with the system clock (for verifiers that check the
    /// timestamp against the time now) instead of the test's clock.
    pub webhooks_on_system_clock: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            uploads: UploadLimits::default()
                .max_file_bytes(2 << 20)
                .memory_budget(64 << 20)
                .idle_timeout(Duration::from_secs(1)),
            rate: KeyRate {
                per_minute: 100_000,
                burst: 100_000,
            },
            webhooks: Vec::new(),
            webhooks_on_system_clock: false,
        }
    }
}

pub async fn start() -> Server {
    start_with(Options::default()).await
}

pub async fn start_with(opts: Options) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(
        chrono::Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap(),
    ));
    let dyn_clock: Arc<dyn Clock> = clock.clone();
    let store = Arc::new(
        SqliteStore::open(
            dir.path().join("closeq.db"),
            SubjectHasher::new([7; 32], "44"),
        )
        .await
        .unwrap(),
    );
    let stores = Stores::of(store.clone());
    let w = World::create(&stores).await;
    let other = World::create(&stores).await;
    for world in [&w, &other] {
        // Consent is asked for by default; the uploads carry it.
        let _ = world;
    }
    let queue: Arc<dyn JobQueue> = Arc::new(SqliteJobQueue::new(
        (*store).clone(),
        dyn_clock.clone(),
        RetryPolicy::default(),
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let audio_base = format!("{base}/v1/audio");
    let owners: HashMap<WorkspaceId, Scope> = [&w, &other]
        .iter()
        .map(|x| (x.workspace.id, x.owner.clone()))
        .collect();
    let calls: Arc<dyn CallStore> = store.clone();
    let privacy: Arc<dyn PrivacyStore> = store.clone();
    let gate = PrivacyAudioGate::new(calls.clone(), privacy, move |ws| owners.get(&ws).cloned());
    let signer = UrlSigner::new(
        &audio_base,
        SigningKey::new("k1", [9; 32]),
        dyn_clock.clone(),
    );
    let audio = ObjectAudioStore::local(&dir.path().join("audio"), signer, calls.clone())
        .unwrap()
        .with_gate(Arc::new(gate));
    let analyzer = Arc::new(
        Analyzer::builder()
            .store(store.clone())
            .audio_store(Arc::new(audio.clone()))
            .scorer(Arc::new(HeuristicScorer::new(dyn_clock.clone())))
            .clock(dyn_clock.clone())
            .build()
            .unwrap(),
    );
    let workspaces: Arc<dyn WorkspaceStore> = store.clone();
    let key_admin = ApiKeys::new(workspaces.clone(), dyn_clock.clone(), KeyEnvironment::Live);
    let test_keys = ApiKeys::new(workspaces.clone(), dyn_clock.clone(), KeyEnvironment::Test);
    let scopes: Vec<String> = SCOPES.iter().map(|s| (*s).to_owned()).collect();
    let mut keys = HashMap::new();
    for (name, scope) in [
        ("owner", &w.owner),
        ("admin", &w.admin),
        ("manager", &w.manager),
        ("rep_a", &w.rep_a),
        ("rep_b", &w.rep_b),
        ("other_owner", &other.owner),
    ] {
        let (k, _) = key_admin.create(scope, name, scopes.clone()).await.unwrap();
        keys.insert(name, k.expose().to_owned());
    }
    let requests = RequestFulfilment::new(
        SubjectRequests::new(store.clone(), workspaces.clone(), dyn_clock.clone()),
        store.clone(),
        workspaces.clone(),
        store.clone(),
        Arc::new(audio.clone()),
        dyn_clock.clone(),
    );
    let webhooks = (!opts.webhooks.is_empty()).then(|| {
        let clock: Arc<dyn Clock> = if opts.webhooks_on_system_clock {
            Arc::new(closeq_core::SystemClock)
        } else {
            dyn_clock.clone()
        };
        Webhooks::new(opts.webhooks.clone(), queue.clone(), clock).unwrap()
    });
    let mut api = Api::builder();
    if let Some(w) = &webhooks {
        api = api.webhooks(w.clone());
    }
    let api = api
        .subject_requests(requests)
        .call_store(store.clone())
        .analyzer(analyzer.clone())
        .job_queue(queue.clone())
        .api_keys(key_admin.clone())
        .audio_store(Arc::new(audio.clone()))
        .signed_audio(audio, &audio_base)
        .upload_limits(opts.uploads)
        .key_rate(opts.rate)
        .clock(dyn_clock)
        .build()
        .unwrap();
    tokio::spawn(async move {
        axum::serve(listener, api.router()).await.unwrap();
    });
    Server {
        base,
        http: reqwest::Client::builder().build().unwrap(),
        store,
        queue,
        clock,
        analyzer,
        w,
        other,
        keys,
        key_admin,
        test_keys,
        webhooks,
        _dir: dir,
    }
}

/// A plain-script transcript file.
pub const SCRIPT: &str = "Rep: Hi, thanks for joining. What problem are you trying to solve?\n\
Client: Our reports take two days to build and the budget is about ten thousand.\n\
Rep: Who else is involved in the decision, and what is your timeline?\n\
Client: My manager signs off; we want it live by June.\n\
Rep: Shall we book a demo for Tuesday at ten?\n\
Client: Yes, Tuesday works.\n";

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The recordings folder.
    pub fn audio_dir(&self) -> std::path::PathBuf {
        self._dir.path().join("audio")
    }

    pub fn key(&self, who: &str) -> &str {
        &self.keys[who]
    }

    /// Uploads the script as `who`, with `metadata`.
    pub async fn upload_script(&self, who: &str, metadata: serde_json::Value) -> reqwest::Response {
        let form = reqwest::multipart::Form::new()
            .part(
                "metadata",
                reqwest::multipart::Part::text(metadata.to_string())
                    .mime_str("application/json")
                    .unwrap(),
            )
            .part(
                "file",
                reqwest::multipart::Part::text(SCRIPT)
                    .file_name("call.txt")
                    .mime_str("text/plain")
                    .unwrap(),
            );
        self.http
            .post(self.url("/v1/calls"))
            .bearer_auth(self.key(who))
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    /// Uploads the first sample recording as rep A (team A): the call id,
    /// its job a `transcribe` one.
    pub async fn upload_recording(&self) -> String {
        let form = reqwest::multipart::Form::new()
            .part(
                "metadata",
                reqwest::multipart::Part::text(
                    meta(&self.w.rep_a, Some(self.w.team_a)).to_string(),
                )
                .mime_str("application/json")
                .unwrap(),
            )
            .part(
                "file",
                reqwest::multipart::Part::bytes(
                    closeq_stt::samples::SAMPLE_CALLS[0].audio.to_vec(),
                )
                .file_name("call.ogg")
                .mime_str("audio/ogg")
                .unwrap(),
            );
        let r = self
            .http
            .post(self.url("/v1/calls"))
            .bearer_auth(self.key("rep_a"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["job_kind"], "transcribe");
        v["call_id"].as_str().unwrap().to_owned()
    }

    /// A worker running the analysis jobs of this server's queue.
    pub fn worker(&self) -> Worker {
        let mut b = Worker::builder(self.queue.clone(), self.store.clone())
            .pipeline(self.analyzer.clone(), builtin_rubrics());
        if let Some(w) = &self.webhooks {
            b = b
                .handler(closeq_core::ports::JobKind::Webhook, w.delivery().unwrap())
                .events(w.job_events());
        }
        b.build().unwrap()
    }

    /// Runs every runnable job.
    pub async fn drain(&self) -> usize {
        let worker = self.worker();
        let mut n = 0;
        while worker.run_one().await.unwrap().is_some() {
            n += 1;
        }
        n
    }

    /// Uploads the script as `who` (rep `rep` of `team`) and analyses it:
    /// the call id.
    pub async fn analysed_call(&self, who: &str, meta: serde_json::Value) -> String {
        let res = self.upload_script(who, meta).await;
        assert_eq!(res.status(), 202, "{}", res.text().await.unwrap());
        let body: serde_json::Value = res.json().await.unwrap();
        self.drain().await;
        body["call_id"].as_str().unwrap().to_owned()
    }
}

/// Metadata for a call of `rep` in `team` with consent.
pub fn meta(rep: &Scope, team: Option<closeq_core::TeamId>) -> serde_json::Value {
    serde_json::json!({
        "rep_id": rep.user_id,
        "team_id": team,
        "consent": "verbal",
        "client": {"email": "jane.client@example.com", "name": "Jane Client"},
        "rep_speaker": "Rep",
    })
}
