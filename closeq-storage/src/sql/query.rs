//! Statements as the shared store writes them: SQL text with `$n`
//! placeholders (both SQLite and PostgreSQL read them) and typed arguments
//! that each [`Dialect`](super::Dialect) binds its own way (an id is a
//! `uuid` on PostgreSQL and hyphenated text on SQLite; a time is a
//! `timestamptz` or microseconds since the epoch).

use chrono::{DateTime, Utc};
use closeq_core::{
    ApiKeyId, CallId, DataSubjectRequestId, IntegrationId, InvitationId, JobId, Result,
    ScorecardId, TeamId, UserId, WorkspaceId,
};
use uuid::Uuid;

/// One argument of a statement.
#[derive(Debug, Clone)]
pub enum Arg {
    /// An id (`NULL` when `None`).
    Id(Option<Uuid>),
    /// Text (`NULL` when `None`).
    Text(Option<String>),
    /// A 64-bit integer.
    Int(i64),
    /// A 64-bit integer or `NULL`.
    OptInt(Option<i64>),
    /// A float (`NULL` when `None`).
    Float(Option<f64>),
    /// A boolean.
    Bool(bool),
    /// Bytes (keyed hashes).
    Bytes(Vec<u8>),
    /// A point in time.
    Time(DateTime<Utc>),
    /// A point in time or `NULL`.
    OptTime(Option<DateTime<Utc>>),
}

/// The most rows one multi-row `INSERT` carries (SQLite allows 32,766
/// arguments per statement, PostgreSQL 65,535).
pub(crate) const ROWS_PER_INSERT: usize = 500;

/// `($1, …, $w), ($w+1, …)`: `rows` rows of `width` placeholders, for one
/// multi-row `INSERT` (one round trip to the database instead of `rows`).
pub(crate) fn value_rows(rows: usize, width: usize) -> String {
    let mut out = String::with_capacity(rows * width * 5);
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for c in 0..width {
            if c > 0 {
                out.push_str(", ");
            }
            out.push('$');
            out.push_str(&(r * width + c + 1).to_string());
        }
        out.push(')');
    }
    out
}

/// A statement and its arguments.
#[derive(Debug, Clone, Default)]
pub struct Sql {
    pub(crate) text: String,
    pub(crate) args: Vec<Arg>,
}

impl Sql {
    /// A statement whose placeholders `$1`, `$2`, … take the arguments
    /// given to [`Sql::bind`], in order.
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            args: Vec::new(),
        }
    }

    /// Adds the next argument.
    #[must_use]
    pub fn bind(mut self, arg: impl Into<Arg>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Appends text.
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `arg` (numbered after those already bound).
    pub fn push_bind(&mut self, arg: impl Into<Arg>) -> &mut Self {
        self.args.push(arg.into());
        self.text.push('$');
        self.text.push_str(&self.args.len().to_string());
        self
    }
}

/// Reads a result row's columns by position.
pub trait SqlRow {
    /// Text.
    fn text(&self, i: usize) -> Result<&str>;
    /// Text or `NULL`.
    fn opt_text(&self, i: usize) -> Result<Option<&str>>;
    /// An integer.
    fn int(&self, i: usize) -> Result<i64>;
    /// An integer or `NULL`.
    fn opt_int(&self, i: usize) -> Result<Option<i64>>;
    /// A float.
    fn float(&self, i: usize) -> Result<f64>;
    /// A float or `NULL`.
    fn opt_float(&self, i: usize) -> Result<Option<f64>>;
    /// A boolean.
    fn flag(&self, i: usize) -> Result<bool>;
    /// An id.
    fn id(&self, i: usize) -> Result<Uuid>;
    /// An id or `NULL`.
    fn opt_id(&self, i: usize) -> Result<Option<Uuid>>;
    /// A point in time.
    fn time(&self, i: usize) -> Result<DateTime<Utc>>;
    /// A point in time or `NULL`.
    fn opt_time(&self, i: usize) -> Result<Option<DateTime<Utc>>>;
    /// Bytes (`bytea`, `BLOB`).
    fn bytes(&self, i: usize) -> Result<&[u8]>;
    /// Bytes or `NULL`.
    fn opt_bytes(&self, i: usize) -> Result<Option<&[u8]>>;
}

macro_rules! args {
    ($($t:ty => |$v:ident| $e:expr),* $(,)?) => {$(
        impl From<$t> for Arg {
            fn from($v: $t) -> Self {
                $e
            }
        }
    )*};
}
args!(
    WorkspaceId => |v| Arg::Id(Some(v.as_uuid())),
    TeamId => |v| Arg::Id(Some(v.as_uuid())),
    UserId => |v| Arg::Id(Some(v.as_uuid())),
    CallId => |v| Arg::Id(Some(v.as_uuid())),
    ScorecardId => |v| Arg::Id(Some(v.as_uuid())),
    InvitationId => |v| Arg::Id(Some(v.as_uuid())),
    ApiKeyId => |v| Arg::Id(Some(v.as_uuid())),
    IntegrationId => |v| Arg::Id(Some(v.as_uuid())),
    DataSubjectRequestId => |v| Arg::Id(Some(v.as_uuid())),
    JobId => |v| Arg::Id(Some(v.as_uuid())),
    Option<CallId> => |v| Arg::Id(v.map(|c| c.as_uuid())),
    Option<DateTime<Utc>> => |v| Arg::OptTime(v),
    Option<TeamId> => |v| Arg::Id(v.map(|t| t.as_uuid())),
    Uuid => |v| Arg::Id(Some(v)),
    &str => |v| Arg::Text(Some(v.to_owned())),
    String => |v| Arg::Text(Some(v)),
    Option<String> => |v| Arg::Text(v),
    Option<&str> => |v| Arg::Text(v.map(str::to_owned)),
    i64 => |v| Arg::Int(v),
    Option<i64> => |v| Arg::OptInt(v),
    f64 => |v| Arg::Float(Some(v)),
    Option<f64> => |v| Arg::Float(v),
    bool => |v| Arg::Bool(v),
    &[u8] => |v| Arg::Bytes(v.to_vec()),
    Vec<u8> => |v| Arg::Bytes(v),
    DateTime<Utc> => |v| Arg::Time(v),
);
