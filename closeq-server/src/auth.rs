//! API-key authentication: `Authorization: Bearer cq_live_...`. A key acts
//! as the member who created it — their current role and teams — within
//! the scopes it was given; each endpoint names the scope it needs with a
//! [`Permission`] type, so a handler cannot forget to check. Verification
//! is `closeq_privacy`'s (checksum, environment, constant-time hash lookup,
//! revocation, membership); a per-key token bucket answers 429 with
//! `Retry-After` when a key goes over its rate.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use closeq_core::{ApiKeyId, Error, Result, Scope};
use closeq_pipeline::RateLimit;

use crate::api::Api;
use crate::problem::Problem;

/// What an endpoint requires of a key: one of its scopes.
pub trait Permission: Send + Sync + 'static {
    /// The scope (`calls:read`).
    const SCOPE: &'static str;
}

macro_rules! permissions {
    ($($(#[$doc:meta])* $name:ident = $scope:literal;)*) => {
        $(
            $(#[$doc])*
            #[derive(Debug, Clone, Copy)]
            pub struct $name;
            impl Permission for $name {
                const SCOPE: &'static str = $scope;
            }
        )*
        /// Every scope an endpoint requires, for key creation and docs.
        pub const SCOPES: &[&str] = &[$($scope),*];
    };
}

permissions! {
    /// `calls:read`: list and read calls, transcripts, metrics, scorecards, rubrics.
    CallsRead = "calls:read";
    /// `calls:write`: upload calls.
    CallsWrite = "calls:write";
    /// `scorecards:review`: accept, override or reject scorecards.
    ScorecardsReview = "scorecards:review";
    /// `audio:read`: issue signed audio URLs.
    AudioRead = "audio:read";
    /// `dashboard:read`: aggregates of reviewed scores.
    DashboardRead = "dashboard:read";
    /// `privacy:admin`: data-subject requests (the member must also be an
    /// owner or admin).
    PrivacyAdmin = "privacy:admin";
}

/// The authenticated caller of an endpoint needing `P`: the key's member's
/// scope. Extracting it answers 401 (no, malformed, unknown or revoked
/// key), 403 (a key of the other environment, or without `P`'s scope) or
/// 429 (over the key's rate).
#[derive(Debug, Clone)]
pub struct Caller<P> {
    /// The member's scope (workspace, user, role, teams).
    pub scope: Scope,
    /// The key used.
    pub key: ApiKeyId,
    _permission: PhantomData<P>,
}

impl<P: Permission> FromRequestParts<Api> for Caller<P> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, api: &Api) -> Result<Self, Problem> {
        let key = bearer(parts).ok_or_else(|| {
            Problem::from(Error::Unauthenticated {
                service: "api-key".into(),
            })
        })?;
        let authed = api.keys().authenticate(key, P::SCOPE).await?;
        api.key_limits().take(authed.record.id)?;
        let scope = authed.scope();
        tracing::Span::current().record("workspace", tracing::field::display(scope.workspace_id));
        Ok(Self {
            scope,
            key: authed.record.id,
            _permission: PhantomData,
        })
    }
}

/// The key of `Authorization: Bearer <key>` (scheme case-insensitive).
fn bearer(parts: &Parts) -> Option<&str> {
    let v = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, key) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| key.trim())
        .filter(|k| !k.is_empty())
}

/// Requests a minute and burst for each key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyRate {
    /// Sustained requests a minute.
    pub per_minute: u32,
    /// Requests at once.
    pub burst: u32,
}

impl Default for KeyRate {
    /// 600 a minute, 100 at once.
    fn default() -> Self {
        Self {
            per_minute: 600,
            burst: 100,
        }
    }
}

/// One token bucket per key (kept in this process: with several server
/// processes each allows the rate).
#[derive(Debug)]
pub(crate) struct KeyLimits {
    rate: KeyRate,
    buckets: Mutex<HashMap<ApiKeyId, Arc<RateLimit>>>,
}

impl KeyLimits {
    pub(crate) fn new(rate: KeyRate) -> Result<Self> {
        RateLimit::new(rate.per_minute, rate.burst)?;
        Ok(Self {
            rate,
            buckets: Mutex::default(),
        })
    }

    /// Takes one request of `key`'s rate, or 429 with how long to wait.
    pub(crate) fn take(&self, key: ApiKeyId) -> Result<(), Problem> {
        let bucket = {
            let mut b = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
            match b.get(&key) {
                Some(l) => l.clone(),
                None => {
                    let l = Arc::new(
                        RateLimit::new(self.rate.per_minute, self.rate.burst)
                            .map_err(Problem::from)?,
                    );
                    b.insert(key, l.clone());
                    l
                }
            }
        };
        bucket.try_take().map_err(|wait| {
            Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                format!(
                    "this API key is over its rate of {} requests a minute",
                    self.rate.per_minute
                ),
            )
            .with_retry_after(wait)
        })
    }
}
