//! Wake-ups for idle workers on PostgreSQL: `closeq_job_enqueue` sends a
//! `NOTIFY closeq_jobs` when it queues a job, and
//! [`PostgresJobQueue::wake_ups`] turns those into a [`Notify`] a
//! [`Worker`](https://docs.rs/closeq-pipeline) waits on beside its polling
//! fallback (a notification lost while the listener reconnects costs one
//! poll interval, never a job).

use std::sync::Arc;
use std::time::Duration;

use closeq_core::{Error, Result};
use sqlx::postgres::PgListener;
use tokio::sync::Notify;

use crate::PostgresJobQueue;

/// The channel `closeq_job_enqueue` notifies.
pub const JOB_CHANNEL: &str = "closeq_jobs";

impl PostgresJobQueue {
    /// Listens for newly queued jobs on a connection of its own (from the
    /// store's pool) and wakes the returned [`Notify`] for each. The
    /// listener stops when every clone of the `Notify` is dropped (checked
    /// at the next notification). Must be called inside a Tokio runtime.
    ///
    /// Errors: [`Error::Unavailable`] when the connection or the `LISTEN`
    /// fails.
    pub async fn wake_ups(&self) -> Result<Arc<Notify>> {
        let unavailable = |_| Error::Unavailable {
            service: "postgres".into(),
            reason: "cannot listen for job notifications".into(),
        };
        let mut listener = PgListener::connect_with(self.store().pool())
            .await
            .map_err(unavailable)?;
        listener.listen(JOB_CHANNEL).await.map_err(unavailable)?;
        let notify = Arc::new(Notify::new());
        let weak = Arc::downgrade(&notify);
        tokio::spawn(async move {
            loop {
                let received = listener.recv().await;
                let Some(notify) = weak.upgrade() else { return };
                match received {
                    Ok(_) => {
                        // Every waiting worker looks; one that is busy finds
                        // a permit when it next waits.
                        notify.notify_waiters();
                        notify.notify_one();
                    }
                    Err(e) => {
                        // PgListener reconnects on the next recv; meanwhile
                        // the workers poll.
                        let e = crate::sql::from_sqlx::<crate::PostgresDialect>("listen_jobs", e);
                        tracing::warn!(error = %e, "job notifications interrupted");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        });
        Ok(notify)
    }
}
