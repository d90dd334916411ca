//! Signed audio URLs for stores without native presigning (local files,
//! memory): an HMAC-SHA256 token binding the method, workspace, object key
//! and expiry, with a key id so keys can rotate (old keys stay valid for
//! verification as fallbacks), a default lifetime of 15 minutes and a hard
//! cap of one hour. Verification is constant-time and every failure gives
//! one uniform error, so a forger learns nothing from it.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use closeq_core::ports::SignedMethod;
use closeq_core::{Clock, Error, Result, WorkspaceId};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Longest lifetime a signed URL may have.
pub const MAX_URL_LIFETIME: Duration = Duration::from_secs(3600);
/// Lifetime used when none is asked for.
pub const DEFAULT_URL_LIFETIME: Duration = Duration::from_secs(900);

/// A signing key with its id.
#[derive(Clone)]
pub struct SigningKey {
    /// Key id, embedded in every URL it signs (`k1`).
    pub id: String,
    secret: [u8; 32],
}

impl SigningKey {
    /// A key.
    pub fn new(id: impl Into<String>, secret: [u8; 32]) -> Self {
        Self {
            id: id.into(),
            secret,
        }
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// What a verified URL grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The workspace.
    pub workspace_id: WorkspaceId,
    /// The object key inside it.
    pub key: String,
    /// The method.
    pub method: SignedMethod,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
}

/// Signs and verifies audio URLs.
#[derive(Clone)]
pub struct UrlSigner {
    base_url: String,
    current: SigningKey,
    fallbacks: Vec<SigningKey>,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for UrlSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UrlSigner")
            .field("base_url", &self.base_url)
            .field("key_id", &self.current.id)
            .finish_non_exhaustive()
    }
}

fn method_str(m: SignedMethod) -> &'static str {
    match m {
        SignedMethod::Get => "GET",
        SignedMethod::Put => "PUT",
    }
}

/// The uniform refusal of a signed URL.
pub(super) fn refused() -> Error {
    Error::Forbidden {
        action: "signed_url".into(),
        reason: "the URL is invalid, expired or no longer grants access".into(),
    }
}

impl UrlSigner {
    /// A signer issuing URLs under `base_url` (e.g. `https://app.example/audio`).
    pub fn new(base_url: impl Into<String>, current: SigningKey, clock: Arc<dyn Clock>) -> Self {
        Self {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            current,
            fallbacks: Vec::new(),
            clock,
        }
    }

    /// Keys still accepted for verification after a rotation.
    #[must_use]
    pub fn with_fallback_keys(mut self, keys: Vec<SigningKey>) -> Self {
        self.fallbacks = keys;
        self
    }

    fn mac(
        key: &SigningKey,
        method: SignedMethod,
        ws: WorkspaceId,
        obj: &str,
        exp: i64,
    ) -> Vec<u8> {
        let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(&key.secret) {
            Ok(m) => m,
            Err(_) => return Vec::new(),
        };
        for part in [
            method_str(method),
            &ws.to_string(),
            obj,
            &exp.to_string(),
            &key.id,
        ] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        mac.finalize().into_bytes().to_vec()
    }

    /// A URL granting `method` on `obj` of `ws` for `ttl` (at most one hour).
    pub fn sign(
        &self,
        method: SignedMethod,
        ws: WorkspaceId,
        obj: &str,
        ttl: Duration,
    ) -> Result<(String, DateTime<Utc>)> {
        if ttl.is_zero() || ttl > MAX_URL_LIFETIME {
            return Err(Error::invalid("ttl", "must be between 1 second and 1 hour"));
        }
        let expires_at = self.clock.now()
            + chrono::Duration::from_std(ttl).map_err(|_| Error::invalid("ttl", "too long"))?;
        let exp = expires_at.timestamp();
        let sig = URL_SAFE_NO_PAD.encode(Self::mac(&self.current, method, ws, obj, exp));
        let token = URL_SAFE_NO_PAD.encode(format!(
            "{}|{ws}|{obj}|{exp}|{}",
            method_str(method),
            self.current.id
        ));
        Ok((format!("{}/{token}.{sig}", self.base_url), expires_at))
    }

    /// Verifies a URL for `method`. Any defect — tampering, an unknown key
    /// id, expiry (the expiry second itself is already expired), another
    /// method — gives the same `Forbidden` error.
    pub fn verify(&self, url: &str, method: SignedMethod) -> Result<Grant> {
        let rest = url
            .strip_prefix(&self.base_url)
            .and_then(|r| r.strip_prefix('/'))
            .ok_or_else(refused)?;
        let (token, sig) = rest.split_once('.').ok_or_else(refused)?;
        let claims = URL_SAFE_NO_PAD.decode(token).map_err(|_| refused())?;
        let claims = String::from_utf8(claims).map_err(|_| refused())?;
        let parts: Vec<&str> = claims.split('|').collect();
        let [m, ws, obj, exp, kid] = parts.as_slice() else {
            return Err(refused());
        };
        let sig = URL_SAFE_NO_PAD.decode(sig).map_err(|_| refused())?;
        let ws: WorkspaceId = ws.parse().map_err(|_| refused())?;
        let exp: i64 = exp.parse().map_err(|_| refused())?;
        let key = std::iter::once(&self.current)
            .chain(&self.fallbacks)
            .find(|k| k.id == *kid)
            .ok_or_else(refused)?;
        let claimed = match *m {
            "GET" => SignedMethod::Get,
            "PUT" => SignedMethod::Put,
            _ => return Err(refused()),
        };
        let expected = Self::mac(key, claimed, ws, obj, exp);
        let ok: bool = expected.ct_eq(&sig).into();
        if !ok || expected.is_empty() || claimed != method || self.clock.now().timestamp() >= exp {
            return Err(refused());
        }
        let expires_at = DateTime::<Utc>::from_timestamp(exp, 0).ok_or_else(refused)?;
        Ok(Grant {
            workspace_id: ws,
            key: (*obj).to_owned(),
            method,
            expires_at,
        })
    }
}
