//! [`Webhooks`]: events in, one `webhook` job per event and endpoint out;
//! and the same events raised by workers when a call's job completes or
//! dies ([`JobEvents`]).

use std::sync::Arc;

use async_trait::async_trait;
use closeq_core::ports::{JobKind, JobQueue, JobSpec, LeasedJob};
use closeq_core::{Clock, Error, Result, Scope};
use closeq_pipeline::worker::{JobEvents, JobHandler};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::delivery::Delivery;
use super::{EventType, WebhookEndpoint};

/// Attempts a delivery gets (with the queue's exponential backoff and
/// jitter, up to an hour apart: about six hours in all) before its job is
/// dead — kept, listed and retried by `closeq jobs dead|retry`.
pub const WEBHOOK_ATTEMPTS: u32 = 12;

/// What a `webhook` job carries: the endpoint's id (never its URL or
/// secret) and the message.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Message {
    pub(crate) endpoint: String,
    /// The message id (`msg_<uuid>`): the same on every attempt, so a
    /// receiver can drop duplicates.
    pub(crate) id: String,
    #[serde(rename = "type")]
    pub(crate) kind: EventType,
    pub(crate) timestamp: chrono::DateTime<chrono::Utc>,
    pub(crate) data: Value,
}

/// The installation's webhook endpoints, the queue deliveries go through
/// and the clock events are dated by.
#[derive(Debug, Clone)]
pub struct Webhooks {
    endpoints: Arc<Vec<WebhookEndpoint>>,
    queue: Arc<dyn JobQueue>,
    clock: Arc<dyn Clock>,
}

impl Webhooks {
    /// Deliveries to `endpoints` through `queue`. Errors: `InvalidInput`
    /// naming `endpoints` when two share an id.
    pub fn new(
        endpoints: Vec<WebhookEndpoint>,
        queue: Arc<dyn JobQueue>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self> {
        let mut ids: Vec<&str> = endpoints.iter().map(WebhookEndpoint::id).collect();
        ids.sort_unstable();
        if ids.windows(2).any(|w| w[0] == w[1]) {
            return Err(Error::invalid("endpoints", "two endpoints share an id"));
        }
        Ok(Self {
            endpoints: Arc::new(endpoints),
            queue,
            clock,
        })
    }

    /// Queues `event` with `data` (ids and states, never personal data)
    /// for every endpoint that takes it, in the scope's workspace (the
    /// data name it as `workspace_id`). Returns how many deliveries were
    /// queued.
    pub async fn emit(&self, scope: &Scope, event: EventType, data: Value) -> Result<usize> {
        let mut data = data;
        if let Value::Object(m) = &mut data {
            m.insert("workspace_id".into(), json!(scope.workspace_id));
        }
        let timestamp = self.clock.now();
        let mut n = 0;
        for e in self.endpoints.iter().filter(|e| e.takes(event)) {
            let message = Message {
                endpoint: e.id().to_owned(),
                id: format!("msg_{}", uuid::Uuid::now_v7().simple()),
                kind: event,
                timestamp,
                data: data.clone(),
            };
            let spec = JobSpec {
                kind: JobKind::Webhook,
                call_id: None,
                payload: serde_json::to_value(&message)
                    .map_err(|e| Error::internal(e.to_string()))?,
                max_attempts: WEBHOOK_ATTEMPTS,
                run_after: None,
                every: None,
            };
            self.queue.enqueue(scope, spec).await?;
            n += 1;
        }
        Ok(n)
    }

    /// [`emit`](Self::emit) for a request handler: a failure to queue is
    /// logged, not returned (the work it reports is done).
    pub(crate) async fn emit_logged(&self, scope: &Scope, event: EventType, data: Value) {
        if let Err(e) = self.emit(scope, event, data).await {
            tracing::error!(event = event.name(), error = %e, "a webhook could not be queued");
        }
    }

    /// The handler of `webhook` jobs, for a worker
    /// (`WorkerBuilder::handler(JobKind::Webhook, ...)`). Errors:
    /// `Internal` when no HTTP client can be built.
    pub fn delivery(&self) -> Result<Arc<dyn JobHandler>> {
        Ok(Arc::new(Delivery::new(
            self.endpoints.clone(),
            self.clock.clone(),
        )?))
    }

    /// The hook that raises `call.analyzed` and `call.failed` from a
    /// worker (`WorkerBuilder::events`).
    pub fn job_events(&self) -> Arc<dyn JobEvents> {
        Arc::new(self.clone())
    }
}

#[async_trait]
impl JobEvents for Webhooks {
    async fn completed(&self, scope: &Scope, job: &LeasedJob) {
        if let (JobKind::Analyze, Some(call)) = (job.spec.kind, job.spec.call_id) {
            self.emit_logged(scope, EventType::CallAnalyzed, json!({"call_id": call}))
                .await;
        }
    }

    async fn dead(&self, scope: &Scope, job: &LeasedJob, error: &Error) {
        if let (JobKind::Transcribe | JobKind::Analyze, Some(call)) =
            (job.spec.kind, job.spec.call_id)
        {
            let stage = if job.spec.kind == JobKind::Transcribe {
                "transcribe"
            } else {
                "analyze"
            };
            // No error text: a provider's or embedder's message may quote
            // what it was working on. The stage and whether a retry may
            // help; the call's status says the rest to a reader of the API.
            let data = json!({
                "call_id": call,
                "stage": stage,
                "retryable": error.is_retryable(),
            });
            self.emit_logged(scope, EventType::CallFailed, data).await;
        }
    }
}
