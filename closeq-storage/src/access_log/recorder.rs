//! [`AccessRecorder`]: the write side of the access log, batched.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use closeq_core::ports::WorkspaceStore;
use closeq_core::{AccessAction, AccessRecord, Clock, Error, MAX_ACCESS_RESOURCES, Result, Scope};
use uuid::Uuid;

/// How an [`AccessRecorder`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessLogConfig {
    /// Records written per batch: the reader that fills a batch writes it
    /// before its read returns (1: every record is written before its read
    /// returns).
    pub batch: usize,
    /// A pending record older than this (by the recorder's clock) is
    /// written with the next record, however few wait. Nothing writes on a
    /// timer: in an idle process records wait for the next read or for
    /// [`AccessRecorder::flush`].
    pub max_delay: chrono::Duration,
    /// How many records may be unwritten at once (waiting, or being
    /// written) while the log cannot be written; at that many every read
    /// fails until the log can be written again.
    pub max_pending: usize,
}

impl AccessLogConfig {
    /// Every record written before its read returns, and a read whose
    /// record cannot be written fails: for short-lived processes (the CLI)
    /// and wherever no record may be lost.
    pub const WRITE_THROUGH: Self = Self {
        batch: 1,
        max_delay: chrono::Duration::zero(),
        max_pending: 1,
    };
}

impl Default for AccessLogConfig {
    /// Batches of 1,000 records, written with the next read once one is a
    /// second old; 16,384 unwritten records at most. What is pending when
    /// the process stops without [`AccessRecorder::flush`] is lost: up to
    /// 999 records normally, up to 16,383 while the log cannot be written.
    fn default() -> Self {
        Self {
            batch: 1_000,
            max_delay: chrono::Duration::seconds(1),
            max_pending: 16_384,
        }
    }
}

#[derive(Debug, Default)]
struct Pending {
    records: Vec<(Scope, AccessRecord)>,
    oldest: Option<DateTime<Utc>>,
    /// Records taken out to be written and not yet written or put back.
    inflight: usize,
}

impl Pending {
    fn unwritten(&self) -> usize {
        self.records.len() + self.inflight
    }
}

/// Collects access records from the access-logged stores
/// ([`AccessLoggedCallStore`](super::AccessLoggedCallStore),
/// [`AccessLoggedAudioStore`](super::AccessLoggedAudioStore)) and appends
/// them to the workspace store's access log
/// ([`WorkspaceStore::append_access`]) in batches, one transaction per
/// acting member. Call [`flush`](Self::flush) periodically and before the
/// process ends (see [`AccessLogConfig`] for what is lost otherwise).
///
/// Records a store refuses for good — their workspace was purged, the
/// store calls them forbidden or invalid — are dropped and counted
/// ([`dropped`](Self::dropped)) so they cannot block everyone else's;
/// any other failure keeps them for the next write. A write cancelled
/// midway (its read's future dropped) puts its records back.
#[derive(Debug)]
pub struct AccessRecorder {
    log: Arc<dyn WorkspaceStore>,
    clock: Arc<dyn Clock>,
    config: AccessLogConfig,
    pending: Mutex<Pending>,
    dropped: AtomicU64,
}

/// Records taken out of the pending list to be written, by member; on
/// drop, those not written go back (a cancelled write loses nothing).
struct Taken<'a> {
    recorder: &'a AccessRecorder,
    groups: Vec<(Scope, Vec<AccessRecord>)>,
    count: usize,
}

impl Drop for Taken<'_> {
    fn drop(&mut self) {
        let mut p = self.recorder.lock();
        p.inflight = p.inflight.saturating_sub(self.count);
        let mut back: Vec<(Scope, AccessRecord)> = Vec::new();
        for (scope, records) in self.groups.drain(..) {
            back.extend(records.into_iter().map(|r| (scope.clone(), r)));
        }
        if back.is_empty() {
            return;
        }
        let oldest = back.iter().map(|(_, r)| r.at).min();
        back.append(&mut p.records);
        p.records = back;
        p.oldest = match (p.oldest, oldest) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
}

/// Failures that will not go away by retrying the same records.
fn permanent(e: &Error) -> bool {
    matches!(
        e,
        Error::NotFound { .. } | Error::Forbidden { .. } | Error::InvalidInput { .. }
    )
}

impl AccessRecorder {
    /// A recorder appending to `log`, timing records with `clock`.
    ///
    /// Errors: [`Error::InvalidInput`] naming `batch` or `max_pending`
    /// when the batch is zero or exceeds the pending bound.
    pub fn new(
        log: Arc<dyn WorkspaceStore>,
        clock: Arc<dyn Clock>,
        config: AccessLogConfig,
    ) -> Result<Self> {
        if config.batch == 0 {
            return Err(Error::invalid("batch", "must be at least 1"));
        }
        if config.max_pending < config.batch {
            return Err(Error::invalid(
                "max_pending",
                "must be at least the batch size",
            ));
        }
        Ok(Self {
            log,
            clock,
            config,
            pending: Mutex::new(Pending::default()),
            dropped: AtomicU64::new(0),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Pending> {
        // A panic elsewhere while holding the lock leaves a valid list.
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes every pending record out, grouped by acting member.
    fn take(&self, p: &mut Pending) -> Taken<'_> {
        let records = std::mem::take(&mut p.records);
        p.oldest = None;
        p.inflight += records.len();
        let count = records.len();
        let mut groups: Vec<(Scope, Vec<AccessRecord>)> = Vec::new();
        for (scope, record) in records {
            match groups
                .iter_mut()
                .find(|(s, _)| s.workspace_id == scope.workspace_id && s.user_id == scope.user_id)
            {
                Some((_, records)) => records.push(record),
                None => groups.push((scope, vec![record])),
            }
        }
        Taken {
            recorder: self,
            groups,
            count,
        }
    }

    /// The refusal of a read while `max_pending` records are unwritten.
    fn full(&self, cause: Option<Error>) -> Error {
        cause.unwrap_or_else(|| Error::Unavailable {
            service: "access log".into(),
            reason: "too many access records are unwritten; reads are refused until the log can be written".into(),
        })
    }

    /// Records that `scope` did `action` on `resources`, now (one record
    /// per 1,000 ids); writes the pending batch when it is full or old.
    ///
    /// Errors: when `max_pending` records are unwritten after trying to
    /// write them — the store's error, or [`Error::Unavailable`] while
    /// another write is in flight. The read must then fail: it would go
    /// unrecorded.
    pub async fn record(
        &self,
        scope: &Scope,
        action: AccessAction,
        resources: Vec<Uuid>,
    ) -> Result<()> {
        let now = self.clock.now();
        let records: Vec<AccessRecord> = if resources.is_empty() {
            vec![AccessRecord::new(scope, action, resources, now)]
        } else {
            resources
                .chunks(MAX_ACCESS_RESOURCES)
                .map(|ids| AccessRecord::new(scope, action, ids.to_vec(), now))
                .collect()
        };
        for r in &records {
            r.check_author(scope)?;
        }
        // A full backlog is retried first; while it still fails (or
        // another write holds it), reads fail.
        let backlog = {
            let mut p = self.lock();
            (p.unwritten() >= self.config.max_pending).then(|| self.take(&mut p))
        };
        let mut cause = None;
        if let Some(t) = backlog {
            cause = self.write(t).await;
        }
        let due = {
            let mut p = self.lock();
            if p.unwritten() >= self.config.max_pending {
                return Err(self.full(cause));
            }
            p.records
                .extend(records.into_iter().map(|r| (scope.clone(), r)));
            let oldest = *p.oldest.get_or_insert(now);
            (p.records.len() >= self.config.batch || now - oldest >= self.config.max_delay)
                .then(|| self.take(&mut p))
        };
        let Some(t) = due else { return Ok(()) };
        match self.write(t).await {
            Some(e) if self.lock().unwritten() >= self.config.max_pending => Err(e),
            // Room remains: the read succeeds, its record waits.
            _ => Ok(()),
        }
    }

    /// Writes every pending record.
    ///
    /// Errors: the store's, when any record is left unwritten (it stays
    /// pending).
    pub async fn flush(&self) -> Result<()> {
        let t = {
            let mut p = self.lock();
            self.take(&mut p)
        };
        match self.write(t).await {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// How many records are unwritten (waiting, or being written).
    pub fn pending(&self) -> usize {
        self.lock().unwritten()
    }

    /// How many records the store refused for good and were dropped.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Appends what `t` holds, one transaction per member; returns the
    /// last error of what could not be written (it goes back to pending
    /// when `t` drops, as it does if this future is dropped midway).
    async fn write(&self, mut t: Taken<'_>) -> Option<Error> {
        let mut error = None;
        let mut i = 0;
        while i < t.groups.len() {
            let result = {
                let (scope, records) = &t.groups[i];
                self.log.append_access(scope, records).await
            };
            match result {
                Ok(()) => {
                    t.groups.swap_remove(i);
                }
                Err(e) if permanent(&e) => {
                    let (_, records) = t.groups.swap_remove(i);
                    let n = u64::try_from(records.len()).unwrap_or(u64::MAX);
                    self.dropped.fetch_add(n, Ordering::Relaxed);
                }
                Err(e) => {
                    error = Some(e);
                    i += 1;
                }
            }
        }
        error
    }
}
