//! Runs a `webhook` job: POSTs the message to its endpoint, signed at the
//! time of the attempt. A 2xx answer delivers it; anything else — another
//! status, a timeout, a refused connection — fails the attempt, retried
//! with the queue's backoff. No redirects are followed.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use closeq_core::ports::{JobQueue, LeasedJob};
use closeq_core::{Clock, Error, Result, Scope};
use closeq_pipeline::worker::JobHandler;
use serde_json::json;

use super::outbox::Message;
use super::{WebhookEndpoint, sign};

/// How long a receiver has to answer.
const TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) struct Delivery {
    endpoints: Arc<Vec<WebhookEndpoint>>,
    clock: Arc<dyn Clock>,
    http: reqwest::Client,
}

impl Delivery {
    pub(crate) fn new(endpoints: Arc<Vec<WebhookEndpoint>>, clock: Arc<dyn Clock>) -> Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(3))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|_| Error::internal("the webhook HTTP client could not be built"))?;
        Ok(Self {
            endpoints,
            clock,
            http,
        })
    }
}

fn unavailable(reason: String) -> Error {
    Error::Unavailable {
        service: "webhook endpoint".into(),
        reason: reason.into(),
    }
}

#[async_trait]
impl JobHandler for Delivery {
    async fn run(&self, _: &Scope, job: &LeasedJob, _: &dyn JobQueue) -> Result<()> {
        let m: Message = serde_json::from_value(job.spec.payload.clone())
            .map_err(|_| Error::invalid("payload", "not a webhook message"))?;
        let endpoint = self
            .endpoints
            .iter()
            .find(|e| e.id() == m.endpoint)
            .ok_or_else(|| {
                Error::invalid(
                    "endpoint",
                    "no endpoint with this id is configured in this worker",
                )
            })?;
        // The workspace is the job's, whatever the payload says.
        let mut data = m.data;
        if let serde_json::Value::Object(o) = &mut data {
            o.insert("workspace_id".into(), json!(job.workspace_id));
        }
        let body = serde_json::to_vec(&json!({
            "type": m.kind,
            "timestamp": m.timestamp,
            "data": data,
        }))
        .map_err(|e| Error::internal(e.to_string()))?;
        let now = self.clock.now().timestamp();
        let signature = sign(endpoint.secrets(), &m.id, now, &body);
        let res = self
            .http
            .post(endpoint.url().clone())
            .header("content-type", "application/json")
            .header("webhook-id", &m.id)
            .header("webhook-timestamp", now.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await
            .map_err(|e| {
                unavailable(if e.is_timeout() {
                    "the endpoint did not answer in time".to_owned()
                } else {
                    "the endpoint could not be reached".to_owned()
                })
            })?;
        let status = res.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(unavailable(format!(
                "the endpoint answered HTTP {}",
                status.as_u16()
            )))
        }
    }
}
