//! [`AccessRecorder`]: the write side of the access log, batched.

use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use closeq_core::ports::WorkspaceStore;
use closeq_core::{AccessAction, AccessRecord, Clock, Error, Result, Scope};
use uuid::Uuid;

/// How an [`AccessRecorder`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessLogConfig {
    /// Records written per batch: the reader that fills a batch writes it
    /// (1: every record is written before the read returns).
    pub batch: usize,
    /// Pending records older than this (by the recorder's clock) are
    /// written with the next record, however few.
    pub max_delay: chrono::Duration,
    /// How many unwritten records may wait while the log cannot be
    /// written; beyond it every read fails (`Unavailable`): no read goes
    /// unrecorded for long.
    pub max_pending: usize,
}

impl AccessLogConfig {
    /// Every record written before its read returns: for short-lived
    /// processes (the CLI) and when no record may ever be lost.
    pub const WRITE_THROUGH: Self = Self {
        batch: 1,
        max_delay: chrono::Duration::zero(),
        max_pending: 1,
    };
}

impl Default for AccessLogConfig {
    /// Batches of 256 records, at most one second old, 16,384 pending at
    /// most: a crash loses at most the unwritten batch.
    fn default() -> Self {
        Self {
            batch: 256,
            max_delay: chrono::Duration::seconds(1),
            max_pending: 16_384,
        }
    }
}

#[derive(Debug, Default)]
struct Pending {
    records: Vec<(Scope, AccessRecord)>,
    oldest: Option<DateTime<Utc>>,
}

/// Collects access records from the access-logged stores
/// ([`AccessLoggedCallStore`](super::AccessLoggedCallStore),
/// [`AccessLoggedAudioStore`](super::AccessLoggedAudioStore)) and appends
/// them to the workspace store's access log
/// ([`WorkspaceStore::append_access`]) in batches, grouped by acting
/// member. Call [`flush`](Self::flush) before the process ends: records
/// still pending then are lost (at most one batch, or `max_delay` of
/// reads).
#[derive(Debug)]
pub struct AccessRecorder {
    log: Arc<dyn WorkspaceStore>,
    clock: Arc<dyn Clock>,
    config: AccessLogConfig,
    pending: Mutex<Pending>,
}

impl AccessRecorder {
    /// A recorder appending to `log`, timing records with `clock`.
    ///
    /// Errors: [`Error::InvalidInput`] naming `batch` or `max_pending`
    /// when one is zero or the batch exceeds the pending bound.
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
        })
    }

    fn lock(&self) -> MutexGuard<'_, Pending> {
        // A panic elsewhere while holding the lock leaves a valid list.
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records that `scope` did `action` on `resources`, now; writes the
    /// pending batch when it is full or old.
    ///
    /// Errors: from the store when the records could not be written and
    /// `max_pending` records wait (the read must then fail: it would go
    /// unrecorded).
    pub async fn record(
        &self,
        scope: &Scope,
        action: AccessAction,
        resources: Vec<Uuid>,
    ) -> Result<()> {
        let now = self.clock.now();
        let record = AccessRecord::new(scope, action, resources, now);
        record.check_author(scope)?;
        // A full backlog (the log could not be written) is retried first;
        // while it still fails, reads fail.
        let backlog = {
            let mut p = self.lock();
            (p.records.len() >= self.config.max_pending).then(|| std::mem::take(&mut *p))
        };
        if let Some(backlog) = backlog {
            self.write(backlog).await?;
        }
        let due = {
            let mut p = self.lock();
            p.records.push((scope.clone(), record));
            let oldest = *p.oldest.get_or_insert(now);
            if p.records.len() >= self.config.batch || now - oldest >= self.config.max_delay {
                Some(std::mem::take(&mut *p))
            } else {
                None
            }
        };
        match due {
            Some(batch) => self.write(batch).await,
            None => Ok(()),
        }
    }

    /// Writes every pending record.
    ///
    /// Errors: from the store (the records stay pending).
    pub async fn flush(&self) -> Result<()> {
        let batch = std::mem::take(&mut *self.lock());
        self.write(batch).await
    }

    /// How many records wait to be written.
    pub fn pending(&self) -> usize {
        self.lock().records.len()
    }

    /// Appends `batch`, one transaction per acting member; what fails goes
    /// back to the pending list.
    async fn write(&self, batch: Pending) -> Result<()> {
        let mut groups: Vec<(Scope, Vec<AccessRecord>)> = Vec::new();
        for (scope, record) in batch.records {
            match groups
                .iter_mut()
                .find(|(s, _)| s.workspace_id == scope.workspace_id && s.user_id == scope.user_id)
            {
                Some((_, records)) => records.push(record),
                None => groups.push((scope, vec![record])),
            }
        }
        let mut failed: Option<Error> = None;
        let mut unwritten = Vec::new();
        for (scope, records) in groups {
            if failed.is_none() {
                match self.log.append_access(&scope, &records).await {
                    Ok(()) => continue,
                    Err(e) => failed = Some(e),
                }
            }
            unwritten.extend(records.into_iter().map(|r| (scope.clone(), r)));
        }
        let Some(error) = failed else { return Ok(()) };
        let mut p = self.lock();
        let oldest = unwritten.iter().map(|(_, r)| r.at).min();
        unwritten.append(&mut p.records);
        p.records = unwritten;
        p.oldest = match (p.oldest, oldest) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if p.records.len() >= self.config.max_pending {
            return Err(error);
        }
        // Room remains: the read succeeds, the records wait for the next
        // batch.
        Ok(())
    }
}
