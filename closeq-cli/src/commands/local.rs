//! The embedded defaults: a local data folder with the SQLite database, the
//! subject-index key and a default workspace created on first use, so every
//! command works on a fresh machine without set-up flags.
//!
//! `CLOSEQ_DATABASE_URL=postgres://...` puts the calls, workspaces and
//! privacy records in PostgreSQL instead (connected as the RLS-bound
//! runtime role; the database must be migrated with
//! `closeq_storage::PostgresStore::migrate`). Keys and audio stay in the
//! data folder.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use closeq_core::ports::{CallStore, PrivacyStore, WorkspaceStore};
use closeq_core::{Clock, Member, Role, Scope, SystemClock, UserId, Workspace};
use closeq_storage::{CallBundle, PostgresStore, SqliteStore, SubjectHasher};
use rand::RngCore;
use serde::{Deserialize, Serialize};

/// The database behind the installation.
#[derive(Clone)]
enum Backend {
    Sqlite(Arc<SqliteStore>),
    Postgres(Arc<PostgresStore>),
}

/// The local installation.
pub struct LocalState {
    backend: Backend,
    /// Calls, transcripts, scorecards.
    pub calls: Arc<dyn CallStore>,
    /// Workspaces, members, keys, audit.
    pub workspaces: Arc<dyn WorkspaceStore>,
    /// Data-subject requests, subject flags, consent.
    pub privacy: Arc<dyn PrivacyStore>,
    /// The default workspace's owner scope.
    pub scope: Scope,
    /// Where the database lives (a path, or `PostgreSQL`).
    pub db_label: String,
    /// The key signing local audio URLs.
    pub url_key: [u8; 32],
}

#[derive(Serialize, Deserialize)]
struct Defaults {
    workspace_id: closeq_core::WorkspaceId,
    owner_id: UserId,
}

/// `$CLOSEQ_DATA_DIR`, else `$XDG_DATA_HOME/closeq`, else `~/.local/share/closeq`.
pub fn data_dir() -> PathBuf {
    if let Ok(d) = std::env::var("CLOSEQ_DATA_DIR") {
        return PathBuf::from(d);
    }
    if let Ok(d) = std::env::var("XDG_DATA_HOME") {
        return PathBuf::from(d).join("closeq");
    }
    let home = std::env::var("HOME").unwrap_or_else(|_| ".".into());
    PathBuf::from(home).join(".local/share/closeq")
}

pub(crate) fn write_private(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    std::fs::write(path, bytes)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

/// A 32-byte secret kept in a private file, created on first use.
fn load_or_create_key(path: &std::path::Path) -> anyhow::Result<[u8; 32]> {
    match std::fs::read(path) {
        Ok(k) if k.len() == 32 => k.try_into().map_err(|_| anyhow::anyhow!("bad key file")),
        Ok(_) => anyhow::bail!("{} is not a 32-byte key", path.display()),
        Err(_) => {
            let mut k = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut k);
            write_private(path, &k)?;
            Ok(k)
        }
    }
}

impl LocalState {
    /// Opens the local installation, creating it on first use.
    pub async fn open() -> anyhow::Result<Self> {
        let dir = data_dir();
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let key = load_or_create_key(&dir.join("subject-index.key"))?;
        let url_key = load_or_create_key(&dir.join("audio-url.key"))?;
        let hasher = SubjectHasher::new(key, "44");
        let (backend, db_label) = match std::env::var("CLOSEQ_DATABASE_URL") {
            Ok(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => (
                Backend::Postgres(Arc::new(
                    PostgresStore::connect(&url, hasher)
                        .await
                        .context("cannot connect to CLOSEQ_DATABASE_URL")?,
                )),
                "PostgreSQL (CLOSEQ_DATABASE_URL)".to_owned(),
            ),
            Ok(url) if !url.trim().is_empty() => {
                anyhow::bail!("CLOSEQ_DATABASE_URL must be a postgres:// URL (unset it for SQLite)")
            }
            _ => {
                let db_path = dir.join("closeq.db");
                (
                    Backend::Sqlite(Arc::new(SqliteStore::open(&db_path, hasher).await?)),
                    db_path.display().to_string(),
                )
            }
        };
        let (calls, workspaces, privacy): (
            Arc<dyn CallStore>,
            Arc<dyn WorkspaceStore>,
            Arc<dyn PrivacyStore>,
        ) = match &backend {
            Backend::Sqlite(s) => (s.clone(), s.clone(), s.clone()),
            Backend::Postgres(s) => (s.clone(), s.clone(), s.clone()),
        };
        let defaults_path = dir.join("defaults.json");
        let defaults: Defaults = match std::fs::read(&defaults_path) {
            Ok(b) => serde_json::from_slice(&b).context("defaults.json is damaged")?,
            Err(_) => {
                let now = SystemClock.now();
                let ws = Workspace::new("Default workspace", now)?;
                let owner = Member {
                    workspace_id: ws.id,
                    user_id: UserId::new(),
                    role: Role::Owner,
                    team_ids: Default::default(),
                    display_name: None,
                    email: None,
                    joined_at: now,
                };
                workspaces.create_workspace(&ws, &owner).await?;
                let d = Defaults {
                    workspace_id: ws.id,
                    owner_id: owner.user_id,
                };
                write_private(&defaults_path, &serde_json::to_vec_pretty(&d)?)?;
                d
            }
        };
        Ok(Self {
            backend,
            calls,
            workspaces,
            privacy,
            scope: Scope::new(defaults.workspace_id, defaults.owner_id, Role::Owner),
            db_label,
            url_key,
        })
    }

    /// After an erasure: SQLite's write-ahead log is folded into the file
    /// and truncated, so no old page with the erased data survives in it.
    /// (PostgreSQL keeps old row versions until VACUUM.)
    pub async fn flush_erased(&self) -> anyhow::Result<()> {
        if let Backend::Sqlite(s) = &self.backend {
            s.checkpoint().await?;
        }
        Ok(())
    }

    /// Stores calls with their transcripts, scorecards and consent in one
    /// transaction.
    pub async fn ingest(&self, batch: &[CallBundle]) -> anyhow::Result<()> {
        match &self.backend {
            Backend::Sqlite(s) => s.ingest(&self.scope, batch).await?,
            Backend::Postgres(s) => s.ingest(&self.scope, batch).await?,
        }
        Ok(())
    }
}

impl LocalState {
    /// The local audio folder (`<data dir>/audio`), with URLs signed by the
    /// installation's key.
    pub fn audio_store(
        &self,
        clock: std::sync::Arc<dyn Clock>,
    ) -> anyhow::Result<closeq_storage::ObjectAudioStore> {
        let signer = closeq_storage::UrlSigner::new(
            "closeq-local://audio",
            closeq_storage::SigningKey::new("local", self.url_key),
            clock,
        );
        Ok(closeq_storage::ObjectAudioStore::local(
            &data_dir().join("audio"),
            signer,
        )?)
    }
}

/// Writes every file under a temporary name first and renames them into
/// place only when all were written, so a failed export leaves no partial
/// set of files behind.
pub(crate) fn write_all_or_nothing(
    dir: &std::path::Path,
    files: &[(&str, String)],
) -> anyhow::Result<()> {
    let partial = |name: &str| dir.join(format!(".{name}.partial"));
    let written = files
        .iter()
        .try_for_each(|(name, body)| write_private(&partial(name), body.as_bytes()));
    if let Err(e) = written {
        for (name, _) in files {
            let _ = std::fs::remove_file(partial(name));
        }
        return Err(e);
    }
    for (name, _) in files {
        std::fs::rename(partial(name), dir.join(name))
            .with_context(|| format!("cannot write {name} in {}", dir.display()))?;
    }
    Ok(())
}
