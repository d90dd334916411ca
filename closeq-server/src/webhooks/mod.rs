//! Webhooks: signed event notifications to the installation's endpoints,
//! per the Standard Webhooks specification — `webhook-id`,
//! `webhook-timestamp` and `webhook-signature` headers, HMAC-SHA256 over
//! `id.timestamp.body` with a `whsec_` secret, two secrets signing at once
//! during a rotation — delivered through the job queue (one `webhook` job
//! per event and endpoint) with its retries and backoff; a delivery that
//! runs out of attempts stays as a dead job, listed and retried with
//! `closeq jobs dead|retry`.
//!
//! Events: `call.analyzed`, `call.failed`, `scorecard.reviewed`,
//! `dsr.completed`. Their data are ids and states, never personal data or
//! transcript text: a receiver reads the rest through the API.

mod delivery;
mod endpoint;
mod outbox;
mod signing;

pub use endpoint::{EventType, WebhookEndpoint};
pub use outbox::{WEBHOOK_ATTEMPTS, Webhooks};
pub use signing::{WebhookSecret, sign};
