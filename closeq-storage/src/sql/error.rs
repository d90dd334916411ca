//! Database errors in CloseQ's terms: a duplicate key is `AlreadyExists`, a
//! missing parent `NotFound`, a policy refusal `Forbidden`; everything else
//! is `Storage` with the operation, the database's code and constraint name,
//! and the driver's error kept as the source (printed as a summary only).

use std::borrow::Cow;

use closeq_core::{Error, Scorecard, StorageSource};
use sqlx::error::ErrorKind;
use sqlx::migrate::MigrateError;

use super::Dialect;
use crate::bundle;

/// Names a duplicate key after the record that was being written.
pub(crate) fn dup(resource: &'static str, id: impl ToString) -> impl FnOnce(Error) -> Error {
    move |e| match e {
        Error::AlreadyExists { .. } => Error::already_exists(resource, id.to_string()),
        other => other,
    }
}

/// Names a duplicate scorecard: a second card of its call for the same
/// rubric version and scorer (the unique index `scorecards_one_per_scorer`,
/// which SQLite reports by its columns), or a taken id.
pub(crate) fn dup_card(card: &Scorecard) -> impl FnOnce(Error) -> Error + '_ {
    move |e| match e {
        Error::AlreadyExists { id, .. }
            if id.contains("scorecards_one_per_scorer") || id.contains("rubric_version") =>
        {
            bundle::duplicate(card)
        }
        Error::AlreadyExists { .. } => Error::already_exists("scorecard", card.id),
        other => other,
    }
}

/// Maps a driver error raised during `operation`.
pub(crate) fn from_sqlx<D: Dialect>(operation: &'static str, e: sqlx::Error) -> Error {
    let (reason, retryable): (Cow<'static, str>, bool) = match &e {
        sqlx::Error::Database(db) => match db.kind() {
            ErrorKind::UniqueViolation => {
                // The constraint (schema names only) tells the writer which
                // rule the row broke; see `dup_card`.
                return Error::AlreadyExists {
                    resource: "record",
                    id: D::constraint(db.as_ref()).unwrap_or_else(|| "(duplicate key)".into()),
                };
            }
            ErrorKind::ForeignKeyViolation => {
                return Error::NotFound {
                    resource: "parent record",
                    id: "(foreign key)".into(),
                };
            }
            _ if D::refused_by_policy(db.as_ref()) => {
                return Error::Forbidden {
                    action: "write".into(),
                    reason: "refused by row-level security".into(),
                };
            }
            _ => ("database error".into(), D::retryable(db.as_ref())),
        },
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => ("connection unavailable".into(), true),
        sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::ColumnIndexOutOfBounds { .. }
        | sqlx::Error::Decode(_)
        | sqlx::Error::TypeNotFound { .. } => ("a column does not decode".into(), false),
        // Which migration and how (never data): "migration 3 was previously
        // applied but has been modified".
        sqlx::Error::Migrate(m) => match **m {
            MigrateError::Source(_) => ("cannot read the migrations".into(), false),
            _ => (format!("migration failed: {m}").into(), false),
        },
        _ => ("driver error".into(), false),
    };
    let (code, constraint) = match &e {
        sqlx::Error::Database(db) => (
            db.code().map(|c| c.into_owned()),
            D::constraint(db.as_ref()),
        ),
        _ => (None, None),
    };
    // The message can quote values (a failing row, a key): withheld.
    let source = StorageSource::database("sqlx::Error (message withheld)", code, constraint, e);
    Error::storage(D::NAME, operation, reason, retryable).with_source(source)
}

/// Maps a migration error: a failed statement as the database error it is.
pub(crate) fn from_migrate<D: Dialect>(e: MigrateError) -> Error {
    match e {
        MigrateError::Execute(inner) | MigrateError::ExecuteMigration(inner, _) => {
            from_sqlx::<D>("migrate", inner)
        }
        other => from_sqlx::<D>("migrate", sqlx::Error::Migrate(Box::new(other))),
    }
}
