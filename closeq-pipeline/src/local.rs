//! The embedded defaults: a local data folder with the SQLite database,
//! the installation's keys and a default workspace created on first use,
//! so CloseQ works on a fresh machine without set-up. `closeq` and
//! embedders open it the same way.
//!
//! `CLOSEQ_DATABASE_URL=postgres://...` (feature `store-postgres`) puts
//! calls, workspaces and privacy records in PostgreSQL instead, connected
//! as the RLS-bound runtime role. Keys, `defaults.json` and audio stay in
//! the data folder.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use closeq_core::ports::{AudioStore, CallStore, JobQueue, PrivacyStore, WorkspaceStore};
use closeq_core::{
    Clock, Error, Member, Result, Role, Scope, SystemClock, UserId, Workspace, WorkspaceId,
};
use closeq_privacy::gates::PrivacyAudioGate;
use closeq_storage::{
    AccessLogConfig, AccessLoggedAudioStore, AccessLoggedCallStore, AccessRecorder,
    ObjectAudioStore, SigningKey, SqliteStore, SubjectHasher, UrlSigner,
};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::Analyzer;
use crate::analyzer::AnalyzerBuilder;

/// The country calling code national phone numbers are read in when no
/// workspace setting says otherwise (kept for installations made before
/// the setting existed).
pub const DEFAULT_PHONE_COUNTRY_CODE: &str = "44";

/// Where signed URLs of the folder's recordings point when no server
/// serves them.
const LOCAL_AUDIO_BASE: &str = "closeq-local://audio";

#[derive(Serialize, Deserialize)]
struct Defaults {
    workspace_id: WorkspaceId,
    owner_id: UserId,
}

/// The local installation.
pub struct LocalInstallation {
    /// Reads recorded in the access log.
    calls: Arc<dyn CallStore>,
    /// The same store unlogged, for CloseQ's own processing.
    unlogged_calls: Arc<dyn CallStore>,
    access: Arc<AccessRecorder>,
    workspaces: Arc<dyn WorkspaceStore>,
    privacy: Arc<dyn PrivacyStore>,
    jobs: Arc<dyn JobQueue>,
    /// The queue again when it is PostgreSQL's (for its wake-ups).
    #[cfg(feature = "store-postgres")]
    pg_jobs: Option<closeq_storage::PostgresJobQueue>,
    scope: Scope,
    dir: PathBuf,
    /// Where recordings go: `None` for the data folder, else an S3 bucket.
    audio_bucket: Option<(String, String)>,
    db_label: String,
    url_key: [u8; 32],
    redaction_key: [u8; 32],
}

/// The job queue, and on PostgreSQL the concrete queue for its wake-ups.
struct QueueHandle {
    queue: Arc<dyn JobQueue>,
    #[cfg(feature = "store-postgres")]
    pg: Option<closeq_storage::PostgresJobQueue>,
}

impl std::fmt::Debug for LocalInstallation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalInstallation")
            .field("dir", &self.dir)
            .field("database", &self.db_label)
            .finish_non_exhaustive()
    }
}

/// `$CLOSEQ_DATA_DIR`, else `$XDG_DATA_HOME/closeq`, else
/// `~/.local/share/closeq`.
pub fn default_data_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("CLOSEQ_DATA_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(d).join("closeq");
    }
    let home = std::env::var_os("HOME").unwrap_or_else(|| ".".into());
    PathBuf::from(home).join(".local/share/closeq")
}

fn io_error(what: &str, path: &Path, e: &std::io::Error) -> Error {
    Error::Unavailable {
        service: "local data folder".into(),
        reason: format!("cannot {what} {}: {}", path.display(), e.kind()).into(),
    }
}

/// Writes `bytes` to a new file created readable by the owner only (never
/// readable by others, not even for a moment).
fn write_new_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options
        .open(path)
        .map_err(|e| io_error("create", path, &e))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| io_error("write", path, &e))
}

/// Writes `bytes` readable by the owner only.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).map_err(|e| io_error("write", path, &e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| io_error("restrict", path, &e))?;
    }
    Ok(())
}

/// Creates `path` with `bytes`, readable by the owner only, unless it
/// exists: written whole to a private temporary file, then linked into
/// place, which fails when another process got there first. `false` when
/// the file existed (its contents are the other process's).
fn create_private(path: &Path, bytes: &[u8]) -> Result<bool> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut n = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut n);
    let tmp = dir.join(format!(".closeq-new-{:016x}", u64::from_le_bytes(n)));
    if let Err(e) = write_new_private(&tmp, bytes) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(io_error("create", path, &e)),
    }
}

/// The installation's three keys.
struct Keys {
    subject: [u8; 32],
    url: [u8; 32],
    redaction: [u8; 32],
}

impl Keys {
    /// Each key by the name of its file, for the database's check that
    /// every process of the installation uses the same ones.
    fn named(&self) -> [(&'static str, &[u8; 32]); 3] {
        [
            ("subject-index.key", &self.subject),
            ("audio-url.key", &self.url),
            ("redaction.key", &self.redaction),
        ]
    }
}

/// A 32-byte secret kept in a private file, created on first use (by
/// exactly one of several processes starting at once: all use its key) —
/// only while the installation is new (`may_create`): a key missing from
/// an installation that exists is an error, never a new key, which would
/// match none of the data stored with the old one.
fn key_file(path: &Path, may_create: bool) -> Result<[u8; 32]> {
    match std::fs::read(path) {
        Ok(k) => k
            .try_into()
            .map_err(|_| Error::invalid(path.display().to_string(), "is not a 32-byte key file")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !may_create => Err(Error::invalid(
            path.display().to_string(),
            "is missing, but the installation exists (defaults.json): copy the key files from \
             the host that set it up; a new key would match none of the stored data",
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut k = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut k);
            if create_private(path, &k)? {
                Ok(k)
            } else {
                key_file(path, false)
            }
        }
        Err(e) => Err(io_error("read", path, &e)),
    }
}

/// The bucket and prefix `CLOSEQ_AUDIO_URL` names (`s3://BUCKET` or
/// `s3://BUCKET/PREFIX`), or `None` for the data folder.
fn audio_bucket() -> Result<Option<(String, String)>> {
    let Some(url) = std::env::var("CLOSEQ_AUDIO_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
    else {
        return Ok(None);
    };
    let bad = |why: &str| Error::invalid("CLOSEQ_AUDIO_URL", why.to_owned());
    let rest = url.strip_prefix("s3://").ok_or_else(|| {
        bad("must be s3://BUCKET or s3://BUCKET/PREFIX (unset it for the data folder)")
    })?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    let valid = (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
    if !valid {
        return Err(bad("the bucket name must be 3-63 of a-z 0-9 - ."));
    }
    #[cfg(not(feature = "audio-s3"))]
    {
        let _ = prefix;
        Err(Error::Unsupported {
            what: "CLOSEQ_AUDIO_URL (build closeq-pipeline with feature audio-s3)".into(),
        })
    }
    #[cfg(feature = "audio-s3")]
    {
        ObjectAudioStore::check_bucket_prefix(prefix).map_err(|_| {
            bad("the prefix must be segments of A-Z a-z 0-9 - _ . separated by /, without . or ..")
        })?;
        Ok(Some((bucket.to_owned(), prefix.to_owned())))
    }
}

impl LocalInstallation {
    /// Opens the installation in [`default_data_dir`], on the database
    /// named by `CLOSEQ_DATABASE_URL` (SQLite in the folder when unset),
    /// creating it on first use.
    pub async fn open() -> Result<Self> {
        let url = std::env::var("CLOSEQ_DATABASE_URL")
            .ok()
            .filter(|u| !u.trim().is_empty());
        Self::open_at(&default_data_dir(), url.as_deref()).await
    }

    /// Opens (or creates) the installation in `dir`, on `database_url`
    /// (`postgres://...`) or SQLite in `dir` when `None`.
    pub async fn open_at(dir: &Path, database_url: Option<&str>) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| io_error("create", dir, &e))?;
        let defaults_path = dir.join("defaults.json");
        // Keys are made with the installation, written before its
        // defaults: once defaults.json exists, they must too.
        let new = !defaults_path.exists();
        let keys = Keys {
            subject: key_file(&dir.join("subject-index.key"), new)?,
            url: key_file(&dir.join("audio-url.key"), new)?,
            redaction: key_file(&dir.join("redaction.key"), new)?,
        };
        let (mut stores, mut db_label) =
            Self::stores(dir, database_url, &keys, DEFAULT_PHONE_COUNTRY_CODE).await?;
        let parse = |b: &[u8]| -> Result<Defaults> {
            serde_json::from_slice(b).map_err(|_| {
                Error::invalid(
                    defaults_path.display().to_string(),
                    "is damaged (not the JSON CloseQ wrote)",
                )
            })
        };
        let defaults: Defaults = match std::fs::read(&defaults_path) {
            Ok(b) => parse(&b)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let now = SystemClock.now();
                let ws = Workspace::new("Default workspace", now)?;
                let owner = Member::new(ws.id, UserId::new(), Role::Owner, now);
                stores.1.create_workspace(&ws, &owner).await?;
                let d = Defaults {
                    workspace_id: ws.id,
                    owner_id: owner.user_id,
                };
                let json =
                    serde_json::to_vec_pretty(&d).map_err(|e| Error::internal(e.to_string()))?;
                if create_private(&defaults_path, &json)? {
                    d
                } else {
                    // Another process started at the same moment and its
                    // workspace is the installation's (ours stays empty).
                    let b = std::fs::read(&defaults_path)
                        .map_err(|e| io_error("read", &defaults_path, &e))?;
                    parse(&b)?
                }
            }
            Err(e) => return Err(io_error("read", &defaults_path, &e)),
        };
        let scope = Scope::new(defaults.workspace_id, defaults.owner_id, Role::Owner);
        // The subject index reads phone numbers in the workspace's country.
        let settings = stores.1.get_workspace(&scope).await?.settings;
        if settings.phone_country_code != DEFAULT_PHONE_COUNTRY_CODE {
            (stores, db_label) =
                Self::stores(dir, database_url, &keys, &settings.phone_country_code).await?;
        }
        let (unlogged_calls, workspaces, privacy, jobs) = stores;
        // Every record written before its read returns: a command is a
        // short-lived process.
        let access = Arc::new(AccessRecorder::new(
            workspaces.clone(),
            Arc::new(SystemClock),
            AccessLogConfig::WRITE_THROUGH,
        )?);
        Ok(Self {
            calls: Arc::new(AccessLoggedCallStore::new(
                unlogged_calls.clone(),
                access.clone(),
            )),
            unlogged_calls,
            access,
            workspaces,
            privacy,
            #[cfg(feature = "store-postgres")]
            pg_jobs: jobs.pg.clone(),
            jobs: jobs.queue,
            scope,
            audio_bucket: audio_bucket()?,
            dir: dir.to_owned(),
            db_label,
            url_key: keys.url,
            redaction_key: keys.redaction,
        })
    }

    #[allow(clippy::type_complexity)]
    async fn stores(
        dir: &Path,
        database_url: Option<&str>,
        keys: &Keys,
        country: &str,
    ) -> Result<(
        (
            Arc<dyn CallStore>,
            Arc<dyn WorkspaceStore>,
            Arc<dyn PrivacyStore>,
            QueueHandle,
        ),
        String,
    )> {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let retry = closeq_core::RetryPolicy::default();
        let hasher = SubjectHasher::new(keys.subject, country);
        match database_url {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                #[cfg(feature = "store-postgres")]
                {
                    let s = closeq_storage::PostgresStore::connect(url, hasher).await?;
                    s.check_installation_keys(&keys.named()).await?;
                    let pg = closeq_storage::PostgresJobQueue::new(s.clone(), clock, retry);
                    let q = QueueHandle {
                        queue: Arc::new(pg.clone()),
                        pg: Some(pg),
                    };
                    let s = Arc::new(s);
                    Ok((
                        (s.clone(), s.clone(), s, q),
                        "PostgreSQL (CLOSEQ_DATABASE_URL)".to_owned(),
                    ))
                }
                #[cfg(not(feature = "store-postgres"))]
                Err(Error::Unsupported {
                    what: "PostgreSQL (build closeq-pipeline with feature store-postgres)".into(),
                })
            }
            Some(_) => Err(Error::invalid(
                "CLOSEQ_DATABASE_URL",
                "must be a postgres:// URL (unset it for SQLite in the data folder)",
            )),
            None => {
                let path = dir.join("closeq.db");
                let s = SqliteStore::open(&path, hasher).await?;
                s.check_installation_keys(&keys.named()).await?;
                let q = QueueHandle {
                    queue: Arc::new(closeq_storage::SqliteJobQueue::new(s.clone(), clock, retry)),
                    #[cfg(feature = "store-postgres")]
                    pg: None,
                };
                let s = Arc::new(s);
                Ok(((s.clone(), s.clone(), s, q), path.display().to_string()))
            }
        }
    }

    /// The job queue, in the same database as the stores.
    pub fn jobs(&self) -> &Arc<dyn JobQueue> {
        &self.jobs
    }

    /// Wakes for idle workers when jobs are queued: PostgreSQL's
    /// LISTEN/NOTIFY (`PostgresJobQueue::wake_ups`); `None` on SQLite
    /// (one process: workers poll).
    pub async fn job_wake_ups(&self) -> Result<Option<Arc<tokio::sync::Notify>>> {
        #[cfg(feature = "store-postgres")]
        if let Some(pg) = &self.pg_jobs {
            return Ok(Some(pg.wake_ups().await?));
        }
        Ok(None)
    }

    /// The default workspace's owner.
    pub fn owner_scope(&self) -> &Scope {
        &self.scope
    }

    /// After the default workspace was purged: forgets it (removes
    /// `defaults.json`, which names it), so the next [`open`](Self::open)
    /// starts a new one.
    pub fn forget_workspace(self) -> Result<()> {
        let path = self.dir.join("defaults.json");
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error("remove", &path, &e)),
        }
    }

    /// The data folder.
    pub fn data_dir(&self) -> &Path {
        &self.dir
    }

    /// Where the database is (a path, or `PostgreSQL ...`).
    pub fn db_label(&self) -> &str {
        &self.db_label
    }

    /// The call store, its reads of calls, transcripts and scorecards
    /// recorded in the workspace's access log (for reads people see).
    pub fn calls(&self) -> &Arc<dyn CallStore> {
        &self.calls
    }

    /// The call store without access logging, for CloseQ's own processing
    /// (the pipeline, retention, the termination purge), which reads
    /// calls to act on them, not to show them.
    pub fn calls_unlogged(&self) -> &Arc<dyn CallStore> {
        &self.unlogged_calls
    }

    /// The recorder behind [`calls`](Self::calls) and
    /// [`audio_store`](Self::audio_store) (write-through: nothing waits).
    pub fn access_recorder(&self) -> &Arc<AccessRecorder> {
        &self.access
    }

    /// The workspace store.
    pub fn workspaces(&self) -> &Arc<dyn WorkspaceStore> {
        &self.workspaces
    }

    /// The privacy store.
    pub fn privacy(&self) -> &Arc<dyn PrivacyStore> {
        &self.privacy
    }

    /// The recordings folder (`<data dir>/audio`), or the S3 bucket
    /// `CLOSEQ_AUDIO_URL=s3://BUCKET[/PREFIX]` names (feature `audio-s3`; endpoint,
    /// region and credentials from the standard `AWS_*` variables), for the
    /// installation's calls (their access policy applies to every
    /// recording), with URLs signed by the installation's key (S3:
    /// presigned by the bucket's credentials) and the privacy engine's gate
    /// ([`PrivacyAudioGate`], reading as the owner): a restricted subject's
    /// or an erased call's recording is not served.
    /// Recordings streamed and signed URLs issued through it are recorded
    /// in the access log.
    pub fn audio_store(&self, clock: Arc<dyn Clock>) -> Result<Arc<dyn AudioStore>> {
        Ok(Arc::new(AccessLoggedAudioStore::new(
            Arc::new(self.object_audio_store(clock)?),
            self.access.clone(),
        )))
    }

    /// [`audio_store`](Self::audio_store) as its concrete type (for
    /// verifying signed URLs).
    pub fn object_audio_store(&self, clock: Arc<dyn Clock>) -> Result<ObjectAudioStore> {
        self.served_audio_store(LOCAL_AUDIO_BASE, clock)
    }

    /// [`object_audio_store`](Self::object_audio_store) with download
    /// URLs signed under `base_url` — the public address an HTTP server
    /// serves them at (`https://api.example/v1/audio`). A bucket's URLs are
    /// presigned by the bucket whatever the base.
    pub fn served_audio_store(
        &self,
        base_url: &str,
        clock: Arc<dyn Clock>,
    ) -> Result<ObjectAudioStore> {
        let gate = PrivacyAudioGate::for_workspace(
            self.unlogged_calls.clone(),
            self.privacy.clone(),
            self.scope.clone(),
        );
        Ok(self.recordings(base_url, clock)?.with_gate(Arc::new(gate)))
    }

    /// Whether recordings live in a bucket (`CLOSEQ_AUDIO_URL`), whose
    /// signed URLs point at the bucket, not at an HTTP server.
    pub fn audio_in_bucket(&self) -> bool {
        self.audio_bucket.is_some()
    }

    /// The retention sweeper over this installation's stores and
    /// recordings (CloseQ's own processing: reads act on calls, not show
    /// them, so they are not in the access log).
    pub fn sweeper(&self, clock: Arc<dyn Clock>) -> Result<closeq_privacy::retention::Sweeper> {
        let audio: Arc<dyn AudioStore> = Arc::new(self.object_audio_store(clock.clone())?);
        Ok(closeq_privacy::retention::Sweeper::new(
            self.unlogged_calls.clone(),
            self.workspaces.clone(),
            self.privacy.clone(),
            audio,
            clock,
        ))
    }

    /// Data-subject requests fulfilled over this installation: erasure and
    /// rectification through the unlogged store and the recordings,
    /// exports read through the access-logged store.
    pub fn subject_requests(
        &self,
        clock: Arc<dyn Clock>,
    ) -> Result<closeq_privacy::fulfilment::RequestFulfilment> {
        let requests = closeq_privacy::request::SubjectRequests::new(
            self.privacy.clone(),
            self.workspaces.clone(),
            clock.clone(),
        );
        let audio: Arc<dyn AudioStore> = Arc::new(self.object_audio_store(clock.clone())?);
        Ok(closeq_privacy::fulfilment::RequestFulfilment::new(
            requests,
            self.unlogged_calls.clone(),
            self.workspaces.clone(),
            self.privacy.clone(),
            audio,
            clock,
        )
        .with_export_reads(self.calls.clone()))
    }

    /// What this installation's scheduled jobs run with: its sweeper and
    /// its data-subject requests.
    pub fn scheduled_work(&self, clock: Arc<dyn Clock>) -> Result<crate::ScheduledWork> {
        let requests = closeq_privacy::request::SubjectRequests::new(
            self.privacy.clone(),
            self.workspaces.clone(),
            clock.clone(),
        );
        Ok(crate::ScheduledWork::new(
            self.sweeper(clock.clone())?,
            requests,
            clock,
        ))
    }

    /// The recordings, folder or bucket, without a serving gate.
    fn recordings(&self, base_url: &str, clock: Arc<dyn Clock>) -> Result<ObjectAudioStore> {
        let signer = UrlSigner::new(
            base_url,
            SigningKey::new("local", self.url_key),
            clock.clone(),
        );
        let store = match &self.audio_bucket {
            None => ObjectAudioStore::local(
                &self.dir.join("audio"),
                signer,
                self.unlogged_calls.clone(),
            )?,
            #[cfg(feature = "audio-s3")]
            Some((bucket, prefix)) => {
                let s3 = object_store::aws::AmazonS3Builder::from_env()
                    .with_bucket_name(bucket)
                    .build()
                    .map_err(|_| {
                        Error::invalid(
                            "CLOSEQ_AUDIO_URL",
                            "cannot configure the bucket's client (see the AWS_* environment variables)",
                        )
                    })?;
                let _ = signer;
                ObjectAudioStore::s3_with_prefix(s3, prefix, clock, self.unlogged_calls.clone())?
            }
            #[cfg(not(feature = "audio-s3"))]
            Some(_) => {
                return Err(Error::Unsupported {
                    what: "CLOSEQ_AUDIO_URL (build closeq-pipeline with feature audio-s3)".into(),
                });
            }
        };
        Ok(store)
    }

    /// An analyzer builder wired to this installation: its stores, its
    /// recordings (folder or bucket), its redaction key and the system
    /// clock. Add a scorer (and speech-to-text for recordings) and build.
    ///
    /// The recordings are read without the serving gate of
    /// [`audio_store`](Self::audio_store), which answers for this
    /// installation's workspace only: the analyzer runs the same checks
    /// (restriction, objection, consent) itself before it reads a
    /// recording, for the workspace of the call at hand — a worker's jobs
    /// come from every workspace.
    pub fn analyzer(&self) -> Result<AnalyzerBuilder> {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        Ok(Analyzer::builder()
            .call_store(self.unlogged_calls.clone())
            .workspace_store(self.workspaces.clone())
            .privacy_store(self.privacy.clone())
            .audio_store(Arc::new(self.recordings(LOCAL_AUDIO_BASE, clock.clone())?))
            .redaction_key(self.redaction_key)
            .clock(clock))
    }
}
