//! The one error type shared by every CloseQ crate.
//!
//! Messages name the field, resource or rule that was wrong. They never carry
//! transcript text, personal data, keys or signed URLs: identifiers in errors
//! are opaque ids (UUIDs, slugs), never e-mail addresses or phone numbers.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Result alias used throughout CloseQ.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in CloseQ, by meaning rather than by origin.
///
/// Backends keep private error types and map them into one of these variants,
/// so a caller (or a retry layer) can decide what to do without knowing which
/// backend produced it. Use [`Error::is_retryable`] to decide on retries.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A value failed validation. `field` names it (a struct field, a JSON
    /// pointer, or `file:line:column`), `reason` says what was wrong.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// The field, JSON path or file position that was wrong.
        field: Cow<'static, str>,
        /// What was wrong with it (never the offending personal data).
        reason: Cow<'static, str>,
    },

    /// A state machine was asked for a transition it does not allow.
    #[error("{resource} cannot go from {from} to {to}")]
    InvalidTransition {
        /// The kind of thing whose state was changed (`call`, `invitation`, ...).
        resource: &'static str,
        /// The state it was in.
        from: Cow<'static, str>,
        /// The state that was requested.
        to: Cow<'static, str>,
    },

    /// The resource does not exist, or is not visible in the caller's scope.
    /// Stores deliberately do not distinguish the two, so existence of other
    /// tenants' data never leaks.
    #[error("{resource} {id} not found")]
    NotFound {
        /// The kind of resource (`call`, `workspace`, ...).
        resource: &'static str,
        /// Its opaque id.
        id: String,
    },

    /// A resource with the same identity already exists.
    #[error("{resource} {id} already exists")]
    AlreadyExists {
        /// The kind of resource.
        resource: &'static str,
        /// Its opaque id.
        id: String,
    },

    /// A concurrent writer changed the resource first (optimistic locking,
    /// a lost lease, ...). Re-read and try again.
    #[error("conflict on {resource}: {reason}")]
    Conflict {
        /// The kind of resource.
        resource: &'static str,
        /// What conflicted.
        reason: Cow<'static, str>,
    },

    /// The access policy denies the action in the caller's scope.
    #[error("forbidden: {action} ({reason})")]
    Forbidden {
        /// The action that was attempted.
        action: Cow<'static, str>,
        /// Why it was refused.
        reason: Cow<'static, str>,
    },

    /// A compliance rule (GDPR, EU AI Act, the workspace's own policy)
    /// forbids the operation, e.g. a restricted data subject or a
    /// sub-processor outside the allowed transfer mechanisms.
    #[error("refused by compliance rule {rule}: {reason}")]
    Compliance {
        /// The rule that refused, e.g. `GDPR Art. 18` or `transfer-policy`.
        rule: Cow<'static, str>,
        /// Why.
        reason: Cow<'static, str>,
    },

    /// A provider asked us to slow down.
    #[error("rate limited by {provider}{}", retry_after.map(|d| format!(" (retry after {} ms)", d.as_millis())).unwrap_or_default())]
    RateLimited {
        /// The provider's name.
        provider: Cow<'static, str>,
        /// How long the provider asked us to wait, when it said.
        retry_after: Option<Duration>,
    },

    /// A dependency (database, object store, provider) is temporarily down.
    #[error("{service} unavailable: {reason}")]
    Unavailable {
        /// The service.
        service: Cow<'static, str>,
        /// Why, without URLs or credentials.
        reason: Cow<'static, str>,
    },

    /// An operation did not finish in time.
    #[error("{operation} timed out after {} ms", elapsed.as_millis())]
    Timeout {
        /// What timed out.
        operation: Cow<'static, str>,
        /// After how long.
        elapsed: Duration,
    },

    /// A provider answered with an error or with something we cannot use.
    #[error("provider {provider} failed{}: {reason}", status.map(|s| format!(" with HTTP {s}")).unwrap_or_default())]
    Provider {
        /// The provider's name.
        provider: Cow<'static, str>,
        /// HTTP status when there was one.
        status: Option<u16>,
        /// What went wrong, without request bodies, URLs or keys.
        reason: Cow<'static, str>,
    },

    /// Authentication with a provider or service failed (bad or missing key).
    /// Never retried.
    #[error("authentication with {service} failed")]
    Unauthenticated {
        /// The service that refused.
        service: Cow<'static, str>,
    },

    /// The implementation does not support this operation or input.
    #[error("unsupported: {what}")]
    Unsupported {
        /// What is not supported.
        what: Cow<'static, str>,
    },

    /// A storage backend failed in a way that is not the caller's fault.
    ///
    /// Says what was being done and where, with the database's own code and
    /// constraint name when there was a database error, never data values;
    /// the driver's error is kept in `source` (see [`StorageSource`]).
    #[error("{backend} {operation} failed: {reason}{}", storage_cause(source.as_ref()))]
    Storage {
        /// The backend (`sqlite`, `postgres`, `s3`, ...).
        backend: &'static str,
        /// What was being done: the store method (`list_calls`) or the step
        /// (`open`, `migrate`).
        operation: &'static str,
        /// What failed, without data values.
        reason: Cow<'static, str>,
        /// Whether retrying may help (connection loss, serialization failure).
        retryable: bool,
        /// The driver's error behind it, with the database's code and
        /// constraint name, when there was one.
        source: Option<StorageSource>,
    },

    /// A bug or broken invariant inside CloseQ. Please report it.
    #[error("internal error: {reason}")]
    Internal {
        /// What invariant broke.
        reason: Cow<'static, str>,
    },
}

impl Error {
    /// An [`Error::InvalidInput`] for `field`.
    pub fn invalid(
        field: impl Into<Cow<'static, str>>,
        reason: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::InvalidInput {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// An [`Error::NotFound`] for `resource` `id`.
    pub fn not_found(resource: &'static str, id: impl ToString) -> Self {
        Self::NotFound {
            resource,
            id: id.to_string(),
        }
    }

    /// An [`Error::AlreadyExists`] for `resource` `id`.
    pub fn already_exists(resource: &'static str, id: impl ToString) -> Self {
        Self::AlreadyExists {
            resource,
            id: id.to_string(),
        }
    }

    /// An [`Error::Storage`] with no database code and no source.
    pub fn storage(
        backend: &'static str,
        operation: &'static str,
        reason: impl Into<Cow<'static, str>>,
        retryable: bool,
    ) -> Self {
        Self::Storage {
            backend,
            operation,
            reason: reason.into(),
            retryable,
            source: None,
        }
    }

    /// This error with `source` as its driver error, if it is an
    /// [`Error::Storage`] (any other error is returned as it is).
    #[must_use]
    pub fn with_source(mut self, source: StorageSource) -> Self {
        if let Self::Storage { source: s, .. } = &mut self {
            *s = Some(source);
        }
        self
    }

    /// An [`Error::Internal`].
    pub fn internal(reason: impl Into<Cow<'static, str>>) -> Self {
        Self::Internal {
            reason: reason.into(),
        }
    }

    /// Whether retrying the same operation later may succeed.
    ///
    /// Rate limits, unavailability, timeouts, provider 5xx / 408 / 429
    /// answers, conflicts and retryable storage errors are retryable;
    /// validation, access, compliance and authentication errors never are.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::RateLimited { .. }
            | Self::Unavailable { .. }
            | Self::Timeout { .. }
            | Self::Conflict { .. } => true,
            Self::Provider { status, .. } => match status {
                Some(s) => *s >= 500 || *s == 408 || *s == 429,
                None => false,
            },
            Self::Storage { retryable, .. } => *retryable,
            Self::InvalidInput { .. }
            | Self::InvalidTransition { .. }
            | Self::NotFound { .. }
            | Self::AlreadyExists { .. }
            | Self::Forbidden { .. }
            | Self::Compliance { .. }
            | Self::Unauthenticated { .. }
            | Self::Unsupported { .. }
            | Self::Internal { .. } => false,
        }
    }

    /// How long to wait before retrying, when the error says.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The field an [`Error::InvalidInput`] names, if this is one.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::InvalidInput { field, .. } => Some(field),
            _ => None,
        }
    }

    /// Prefixes the field of an [`Error::InvalidInput`] with `parent.`, so a
    /// nested validation error names its full path (`call.client.email`).
    #[must_use]
    pub fn in_field(self, parent: &str) -> Self {
        match self {
            Self::InvalidInput { field, reason } => Self::InvalidInput {
                field: Cow::Owned(join_field(parent, &field)),
                reason,
            },
            other => other,
        }
    }
}

/// The driver error behind an [`Error::Storage`], with the database's
/// error code and constraint name when it gave them; shared behind an
/// [`Arc`] so that [`Error`] stays `Clone` (and small).
///
/// Its `Display` and `Debug` print only the summary the backend gave, the
/// code and the constraint: driver messages and details can quote stored
/// values (PostgreSQL's `DETAIL: Key (…)=(…)`, a failing row). The driver's
/// own error is reachable on purpose, through [`StorageSource::get_ref`]
/// (e.g. to downcast to `sqlx::Error` while debugging); do not log it.
/// [`std::error::Error::source`] of a `StorageSource` is `None` for the same
/// reason, so error-chain printers stop here.
#[derive(Clone)]
pub struct StorageSource(Arc<SourceInner>);

struct SourceInner {
    summary: Cow<'static, str>,
    code: Option<String>,
    constraint: Option<String>,
    error: Box<dyn std::error::Error + Send + Sync + 'static>,
}

impl StorageSource {
    /// Wraps a driver error, with a summary that holds no data values.
    pub fn new(
        summary: impl Into<Cow<'static, str>>,
        error: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::database(summary, None, None, error)
    }

    /// Wraps a database error with its code (the SQLSTATE on PostgreSQL,
    /// the extended result code on SQLite) and the constraint (or
    /// `table.column`) it names.
    pub fn database(
        summary: impl Into<Cow<'static, str>>,
        code: Option<String>,
        constraint: Option<String>,
        error: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self(Arc::new(SourceInner {
            summary: summary.into(),
            code,
            constraint,
            error: Box::new(error),
        }))
    }

    /// The summary the backend gave.
    pub fn summary(&self) -> &str {
        &self.0.summary
    }

    /// The database's error code, when it gave one (`23505`, `2067`).
    pub fn code(&self) -> Option<&str> {
        self.0.code.as_deref()
    }

    /// The constraint the database named, when it named one.
    pub fn constraint(&self) -> Option<&str> {
        self.0.constraint.as_deref()
    }

    /// The driver's error itself. It may quote stored values: for
    /// debugging, not for logs.
    pub fn get_ref(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        &*self.0.error
    }
}

impl fmt::Display for StorageSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.summary)
    }
}

impl fmt::Debug for StorageSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StorageSource")
            .field("summary", &self.0.summary)
            .field("code", &self.0.code)
            .field("constraint", &self.0.constraint)
            .finish_non_exhaustive()
    }
}

impl std::error::Error for StorageSource {}

/// Two sources are equal when they are the same error (clones of one).
impl PartialEq for StorageSource {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

fn storage_cause(source: Option<&StorageSource>) -> String {
    match source.map(|s| (s.code(), s.constraint())) {
        Some((Some(c), Some(k))) => format!(" (code {c}, constraint {k})"),
        Some((Some(c), None)) => format!(" (code {c})"),
        Some((None, Some(k))) => format!(" (constraint {k})"),
        _ => String::new(),
    }
}

fn join_field(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_owned()
    } else if child.starts_with('[') {
        format!("{parent}{child}")
    } else {
        format!("{parent}.{child}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryability_by_kind() {
        assert!(
            Error::RateLimited {
                provider: "x".into(),
                retry_after: None
            }
            .is_retryable()
        );
        assert!(
            Error::Provider {
                provider: "x".into(),
                status: Some(503),
                reason: "down".into()
            }
            .is_retryable()
        );
        assert!(
            !Error::Provider {
                provider: "x".into(),
                status: Some(400),
                reason: "bad".into()
            }
            .is_retryable()
        );
        assert!(
            !Error::Unauthenticated {
                service: "x".into()
            }
            .is_retryable()
        );
        assert!(!Error::invalid("a", "b").is_retryable());
    }

    #[derive(Debug)]
    struct DriverError;
    impl std::fmt::Display for DriverError {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("Key (email)=(ada@example.com) already exists")
        }
    }
    impl std::error::Error for DriverError {}

    #[test]
    fn storage_errors_keep_their_cause_but_print_no_values() {
        let source = StorageSource::database(
            "sqlx: error returned from database",
            Some("23514".into()),
            Some("calls_score_range".into()),
            DriverError,
        );
        let e =
            Error::storage("postgres", "list_calls", "database error", false).with_source(source);
        assert_eq!(
            e.to_string(),
            "postgres list_calls failed: database error (code 23514, constraint calls_score_range)"
        );
        let copy = e.clone();
        assert_eq!(copy, e, "a clone shares the source");
        let src = std::error::Error::source(&e).map(ToString::to_string);
        assert_eq!(src.as_deref(), Some("sqlx: error returned from database"));
        for text in [format!("{e:?}"), format!("{e}"), src.unwrap_or_default()] {
            assert!(!text.contains("ada@"), "{text}");
        }
        let Error::Storage {
            source: Some(s), ..
        } = &e
        else {
            unreachable!()
        };
        assert!(s.get_ref().downcast_ref::<DriverError>().is_some());
        assert!(s.get_ref().to_string().contains("ada@"));
        let other = Error::storage("sqlite", "open", "cannot open the file", false);
        assert_eq!(
            other.to_string(),
            "sqlite open failed: cannot open the file"
        );
        assert_ne!(other, e);
    }

    #[test]
    fn nested_field_paths() {
        let e = Error::invalid("email", "not an address")
            .in_field("client")
            .in_field("call");
        assert_eq!(e.field(), Some("call.client.email"));
        let e = Error::invalid("[3].end_ms", "negative").in_field("utterances");
        assert_eq!(e.field(), Some("utterances[3].end_ms"));
    }

    #[test]
    fn messages_name_the_field() {
        let e = Error::invalid("duration_ms", "must be positive");
        assert_eq!(e.to_string(), "invalid duration_ms: must be positive");
        let e = Error::RateLimited {
            provider: "deepgram".into(),
            retry_after: Some(Duration::from_secs(2)),
        };
        assert_eq!(
            e.to_string(),
            "rate limited by deepgram (retry after 2000 ms)"
        );
    }
}
