//! # closeq-storage
//!
//! Implementations of CloseQ's store traits ([`closeq_core::ports`]):
//! [`InMemoryStore`] (the reference model), [`SqliteStore`] (the embedded
//! default) and, with feature `store-postgres`, `PostgresStore` with
//! Row-Level Security. The two SQL stores are one code base, `SqlStore`,
//! over a small sealed dialect. All enforce the same access policy and pass
//! the same conformance suites (`closeq_core::testing::{call_store,
//! workspace_store, privacy_store}`).
//!
//! ```
//! use closeq_storage::{InMemoryStore, SubjectHasher};
//! let store = InMemoryStore::new(SubjectHasher::new([7; 32], "44"));
//! # let _ = store;
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod access_log;
mod aggregate;
mod anonymize;
pub mod audio;
mod bundle;
#[cfg(any(feature = "store-sqlite", feature = "store-postgres"))]
mod codec;
mod cursor;
mod filter;
#[cfg(feature = "store-postgres")]
mod job_wake_ups;
mod memory;
mod policy;
#[cfg(feature = "store-postgres")]
mod postgres;
#[cfg(feature = "store-postgres")]
pub mod postgres_setup;
mod privacy;
mod review;
#[cfg(any(feature = "store-sqlite", feature = "store-postgres"))]
mod rollup;
#[cfg(any(feature = "store-sqlite", feature = "store-postgres"))]
mod sql;
#[cfg(feature = "store-sqlite")]
mod sqlite;
mod subject_index;
#[cfg(feature = "testing")]
pub mod testing;
#[cfg(any(feature = "store-sqlite", feature = "store-postgres"))]
mod word_codec;

pub use access_log::{
    AccessLogConfig, AccessLoggedAudioStore, AccessLoggedCallStore, AccessRecorder,
};
#[cfg(feature = "audio-s3")]
pub use audio::UPLOAD_CONDITION;
pub use audio::{ObjectAudioStore, SignedDownload, SigningKey, UrlSigner};
pub use closeq_core::ports::CallBundle;
#[cfg(feature = "store-postgres")]
pub use job_wake_ups::JOB_CHANNEL;
pub use memory::{InMemoryJobQueue, InMemoryStore};
#[cfg(feature = "store-postgres")]
pub use postgres::{PostgresDialect, PostgresJobQueue, PostgresStore};
#[cfg(any(feature = "store-sqlite", feature = "store-postgres"))]
pub use sql::{Dialect, SqlJobQueue, SqlStore};
#[cfg(feature = "store-sqlite")]
pub use sqlite::{SqliteDialect, SqliteJobQueue, SqliteStore};
pub use subject_index::SubjectHasher;

use closeq_core::{Error, Member, Result, Role, Scope, Workspace, WorkspaceId};

fn validate_owner(workspace: &Workspace, owner: &Member) -> Result<()> {
    if owner.role != Role::Owner || owner.workspace_id != workspace.id {
        return Err(Error::invalid(
            "owner",
            "the first member must be the new workspace's owner",
        ));
    }
    owner.validate()
}

fn same_workspace(scope: &Scope, ws: WorkspaceId) -> Result<()> {
    if scope.workspace_id == ws {
        Ok(())
    } else {
        Err(Error::Forbidden {
            action: "write".into(),
            reason: "the record belongs to another workspace".into(),
        })
    }
}
