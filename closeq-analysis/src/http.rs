//! Retries and error mapping for provider HTTP calls, shared by the LLM
//! adapters here and the speech-to-text adapters in `closeq-stt`.
//!
//! The sending half needs the `http` feature.

use std::time::Duration;

/// How provider calls are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total (at least 1).
    pub max_attempts: u32,
    /// First backoff; doubles per attempt, with ±50 % jitter.
    pub base_backoff: Duration,
    /// Longest backoff, and longest `Retry-After` honoured.
    pub max_backoff: Duration,
    /// Timeout of one request.
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            request_timeout: Duration::from_secs(120),
        }
    }
}

#[cfg(feature = "http")]
pub use imp::*;

#[cfg(feature = "http")]
mod imp {
    use std::borrow::Cow;
    use std::time::Duration;

    use closeq_core::{Error, Result};
    use rand::Rng;

    use super::RetryPolicy;

    impl RetryPolicy {
        /// The jittered delay before retry number `attempt` (0-based).
        pub fn backoff(&self, attempt: u32) -> Duration {
            let exp = self.base_backoff.saturating_mul(1u32 << attempt.min(16));
            let capped = exp.min(self.max_backoff);
            let jitter = rand::thread_rng().gen_range(0.5..1.5);
            capped.mul_f64(jitter).min(self.max_backoff)
        }
    }

    /// `Retry-After` as seconds (or an HTTP date, which we treat as "soon").
    pub fn retry_after(resp: &reqwest::Response) -> Option<Duration> {
        let v = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)?
            .to_str()
            .ok()?;
        match v.trim().parse::<f64>() {
            Ok(s) if s.is_finite() && s >= 0.0 => Some(Duration::from_secs_f64(s)),
            _ => Some(Duration::from_secs(1)),
        }
    }

    /// What to do with a failed attempt.
    pub enum Outcome<T> {
        /// It worked.
        Done(T),
        /// Try again (after the given delay, when the provider named one).
        Retry(Error, Option<Duration>),
        /// Give up with this error.
        Fail(Error),
    }

    /// Maps transport errors (never including the URL, which may carry keys).
    pub fn transport(provider: &'static str, e: &reqwest::Error, timeout: Duration) -> Error {
        if e.is_timeout() {
            Error::Timeout {
                operation: Cow::Owned(format!("{provider} request")),
                elapsed: timeout,
            }
        } else {
            Error::Unavailable {
                service: provider.into(),
                reason: if e.is_connect() {
                    "connection failed"
                } else {
                    "request failed"
                }
                .into(),
            }
        }
    }

    /// Classifies an HTTP error status. `body` is the provider's error
    /// body, used only to recognise exhausted quota; it is not logged.
    pub fn classify_status(
        provider: &'static str,
        status: u16,
        body: &str,
        retry_after: Option<Duration>,
    ) -> Outcome<()> {
        match status {
            401 | 403 => Outcome::Fail(Error::Unauthenticated {
                service: provider.into(),
            }),
            429 if body.contains("insufficient_quota")
                || body.contains("quota") && body.contains("exceeded") =>
            {
                Outcome::Fail(Error::Provider {
                    provider: provider.into(),
                    status: None,
                    reason: "quota exhausted (HTTP 429); not retried".into(),
                })
            }
            429 => Outcome::Retry(
                Error::RateLimited {
                    provider: provider.into(),
                    retry_after,
                },
                retry_after,
            ),
            408 | 500..=599 => Outcome::Retry(
                Error::Provider {
                    provider: provider.into(),
                    status: Some(status),
                    reason: if status == 529 {
                        "overloaded"
                    } else {
                        "server error"
                    }
                    .into(),
                },
                retry_after,
            ),
            _ => Outcome::Fail(Error::Provider {
                provider: provider.into(),
                status: Some(status),
                reason: "request rejected".into(),
            }),
        }
    }

    /// Sends the request `build` makes, with retries, and returns a 2xx
    /// response's status and body. Statuses are classified by
    /// [`classify_status`]; nothing of the body or the URL goes into errors.
    pub async fn send<B>(
        provider: &'static str,
        policy: &RetryPolicy,
        build: B,
    ) -> Result<(u16, Vec<u8>)>
    where
        B: Fn() -> reqwest::RequestBuilder,
    {
        send_classified(provider, policy, build, |status, body, after| {
            classify_status(provider, status, body, after)
        })
        .await
    }

    /// [`send`] with the adapter's own classifier for error statuses, for
    /// providers whose error bodies say more than the status (a 400 naming
    /// an unsupported parameter, a 500 that is really a validation error).
    /// The classifier sees the body; it must not copy it into errors.
    pub async fn send_classified<B, C>(
        provider: &'static str,
        policy: &RetryPolicy,
        build: B,
        classify: C,
    ) -> Result<(u16, Vec<u8>)>
    where
        B: Fn() -> reqwest::RequestBuilder,
        C: Fn(u16, &str, Option<Duration>) -> Outcome<()>,
    {
        with_retries(policy, || async {
            let resp = match build().send().await {
                Ok(r) => r,
                Err(e) => {
                    return Outcome::Retry(transport(provider, &e, policy.request_timeout), None);
                }
            };
            let status = resp.status().as_u16();
            if !(200..300).contains(&status) {
                let after = retry_after(&resp);
                let text = resp.text().await.unwrap_or_default();
                return match classify(status, &text, after) {
                    Outcome::Retry(e, a) => Outcome::Retry(e, a),
                    Outcome::Fail(e) => Outcome::Fail(e),
                    Outcome::Done(()) => Outcome::Fail(Error::internal("unreachable")),
                };
            }
            match resp.bytes().await {
                Ok(b) => Outcome::Done((status, b.to_vec())),
                Err(e) => Outcome::Retry(transport(provider, &e, policy.request_timeout), None),
            }
        })
        .await
    }

    /// [`send`], then parses the body as `T`; a body that does not parse
    /// fails (not retried) with "the response body is not {what}".
    pub async fn send_for_json<T, B>(
        provider: &'static str,
        policy: &RetryPolicy,
        what: &'static str,
        build: B,
    ) -> Result<T>
    where
        T: serde::de::DeserializeOwned,
        B: Fn() -> reqwest::RequestBuilder,
    {
        let (status, body) = send(provider, policy, build).await?;
        parse_json(provider, what, status, &body)
    }

    /// Parses a 2xx body as `T`, or fails with "the response body is not
    /// {what}" (not retried; nothing of the body in the error).
    pub fn parse_json<T: serde::de::DeserializeOwned>(
        provider: &'static str,
        what: &'static str,
        status: u16,
        body: &[u8],
    ) -> Result<T> {
        serde_json::from_slice::<T>(body).map_err(|_| Error::Provider {
            provider: provider.into(),
            status: Some(status),
            reason: format!("the response body is not {what}").into(),
        })
    }

    /// The HTTP client every adapter uses, with the policy's timeout.
    pub fn build_client(policy: &RetryPolicy) -> Result<reqwest::Client> {
        reqwest::Client::builder()
            .timeout(policy.request_timeout)
            .build()
            .map_err(|_| Error::internal("cannot build the HTTP client"))
    }

    /// Sends with retries: `attempt` builds and sends one request and
    /// classifies its result.
    pub async fn with_retries<T, F, Fut>(policy: &RetryPolicy, mut attempt: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Outcome<T>>,
    {
        let attempts = policy.max_attempts.max(1);
        let mut last = None;
        for n in 0..attempts {
            match attempt().await {
                Outcome::Done(v) => return Ok(v),
                Outcome::Fail(e) => return Err(e),
                Outcome::Retry(e, after) => {
                    if n + 1 < attempts {
                        let wait =
                            after.map_or_else(|| policy.backoff(n), |a| a.min(policy.max_backoff));
                        tokio::time::sleep(wait).await;
                    }
                    last = Some(e);
                }
            }
        }
        Err(last.unwrap_or_else(|| Error::internal("retry loop ended without an attempt")))
    }
}
