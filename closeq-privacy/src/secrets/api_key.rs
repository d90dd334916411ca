//! API keys for data ingestion.
//!
//! A key looks like `cq_live_<43 base62 chars>_<6 base62 chars>`: a
//! recognizable prefix naming its environment (so secret scanners can find
//! leaked keys, and a test key is told from a live one), a random secret of
//! 32 bytes, and a CRC-32 checksum of everything before it. The checksum
//! catches typos before any database lookup; it does not stop forgeries —
//! anyone can compute it for a made-up key. What rejects a forged or
//! altered key is the lookup: only the SHA-256 of each issued key is
//! stored (with a short display prefix), and a key is accepted only if its
//! SHA-256 is found, compared in constant time. The key itself is shown
//! once, at creation.
//!
//! An installation runs in one [`KeyEnvironment`]: [`ApiKeys`] issues keys
//! of that environment only and refuses the other environment's keys
//! before the lookup, so a `cq_test_` key never works on a live
//! installation.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use closeq_core::ports::{ApiKeyRecord, WorkspaceStore};
use closeq_core::{ApiKeyId, Clock, Error, Member, Result, Role, Scope};
use rand::{CryptoRng, RngCore};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const SECRET_CHARS: usize = 43; // 62^43 > 2^256
const CHECK_CHARS: usize = 6; // 62^6 > 2^32

/// Where a key may be used: the environment of the installation that
/// issued it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyEnvironment {
    /// Production: `cq_live_`.
    Live,
    /// Test mode: `cq_test_`.
    Test,
}

impl KeyEnvironment {
    /// The prefix of its keys (`cq_live_`, `cq_test_`).
    pub fn prefix(self) -> &'static str {
        match self {
            Self::Live => "cq_live_",
            Self::Test => "cq_test_",
        }
    }

    /// `live` or `test`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Live => "live",
            Self::Test => "test",
        }
    }
}

/// A full API key, shown once. `Debug` never prints it.
pub struct ApiKeySecret(String);

impl ApiKeySecret {
    /// The key, to show the user once.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKeySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKeySecret(<redacted>)")
    }
}

fn base62(mut bytes: Vec<u8>, chars: usize) -> String {
    // Big-number base conversion, most significant digit first.
    let mut out = Vec::with_capacity(chars);
    for _ in 0..chars {
        let mut rem = 0u32;
        for b in bytes.iter_mut() {
            let acc = (rem << 8) | u32::from(*b);
            *b = (acc / 62) as u8;
            rem = acc % 62;
        }
        out.push(ALPHABET[rem as usize]);
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

fn checksum(body: &str) -> String {
    base62(
        crc32fast::hash(body.as_bytes()).to_be_bytes().to_vec(),
        CHECK_CHARS,
    )
}

/// The SHA-256 stored for a key.
pub fn key_hash(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// Generates a new key.
pub fn generate(env: KeyEnvironment, rng: &mut (impl RngCore + CryptoRng)) -> ApiKeySecret {
    let mut secret = [0u8; 32];
    rng.fill_bytes(&mut secret);
    let body = format!("{}{}", env.prefix(), base62(secret.to_vec(), SECRET_CHARS));
    let check = checksum(&body);
    ApiKeySecret(format!("{body}_{check}"))
}

/// Checks a key's shape and checksum (no lookup) and returns its
/// environment. This catches typos only: a made-up key with a correct
/// checksum passes, and is rejected by [`ApiKeys::verify`]'s lookup. The
/// error never echoes the key.
pub fn check_format(key: &str) -> Result<KeyEnvironment> {
    let bad = || Error::Unauthenticated {
        service: "api-key".into(),
    };
    let env = if key.starts_with(KeyEnvironment::Live.prefix()) {
        KeyEnvironment::Live
    } else if key.starts_with(KeyEnvironment::Test.prefix()) {
        KeyEnvironment::Test
    } else {
        return Err(bad());
    };
    let (body, check) = key.rsplit_once('_').ok_or_else(bad)?;
    let secret = body.get(env.prefix().len()..).ok_or_else(bad)?;
    let ok = secret.len() == SECRET_CHARS
        && check.len() == CHECK_CHARS
        && secret
            .bytes()
            .chain(check.bytes())
            .all(|b| b.is_ascii_alphanumeric());
    let expected = checksum(body);
    if !ok || !bool::from(expected.as_bytes().ct_eq(check.as_bytes())) {
        return Err(bad());
    }
    Ok(env)
}

/// How stale a key's stored `last_used_at` may be: a key used again
/// within this interval of its last recorded use is not written again, so
/// authentication costs no write per request.
pub const LAST_USED_RESOLUTION: chrono::Duration = chrono::Duration::seconds(60);

/// The most keys whose last recorded use is remembered (beyond it the
/// memory is cleared and the next use of each key is written again).
const TOUCHES_REMEMBERED: usize = 100_000;

/// A verified key and the member it acts as.
#[derive(Debug, Clone)]
pub struct AuthenticatedKey {
    /// The key's record, `last_used_at` as of this use.
    pub record: ApiKeyRecord,
    /// The key's creator, with their current role and teams: the key acts
    /// with their rights.
    pub member: Member,
}

impl AuthenticatedKey {
    /// The scope the key acts with: its creator's role and teams.
    pub fn scope(&self) -> Scope {
        Scope::of_member(&self.member)
    }
}

/// Creates, verifies and revokes API keys against a [`WorkspaceStore`],
/// for an installation running in one [`KeyEnvironment`].
#[derive(Debug, Clone)]
pub struct ApiKeys {
    store: Arc<dyn WorkspaceStore>,
    clock: Arc<dyn Clock>,
    environment: KeyEnvironment,
    /// When each key's use was last written (by key hash).
    touched: Arc<Mutex<HashMap<[u8; 32], DateTime<Utc>>>>,
}

impl ApiKeys {
    /// Keys kept in `store`, for an installation running in `environment`:
    /// it issues keys of that environment and refuses any other's.
    pub fn new(
        store: Arc<dyn WorkspaceStore>,
        clock: Arc<dyn Clock>,
        environment: KeyEnvironment,
    ) -> Self {
        Self {
            store,
            clock,
            environment,
            touched: Arc::default(),
        }
    }

    /// The installation's environment.
    pub fn environment(&self) -> KeyEnvironment {
        self.environment
    }

    /// Creates a key of the installation's environment with `scopes`
    /// (`calls:write`, ...). Returns the key — to be shown once — and the
    /// stored record.
    pub async fn create(
        &self,
        scope: &Scope,
        name: &str,
        scopes: Vec<String>,
    ) -> Result<(ApiKeySecret, ApiKeyRecord)> {
        if name.trim().is_empty() || name.chars().count() > 100 {
            return Err(Error::invalid("name", "must be 1-100 characters"));
        }
        if scopes.is_empty()
            || scopes.iter().any(|s| {
                s.is_empty()
                    || !s
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b == b':' || b == b'_')
            })
        {
            return Err(Error::invalid(
                "scopes",
                "need at least one scope like calls:write",
            ));
        }
        let env = self.environment;
        let key = generate(env, &mut rand::rngs::OsRng);
        let record = ApiKeyRecord {
            id: ApiKeyId::new(),
            workspace_id: scope.workspace_id,
            name: name.trim().to_owned(),
            display_prefix: key
                .expose()
                .get(..env.prefix().len() + 4)
                .unwrap_or_default()
                .to_owned(),
            secret_sha256: key_hash(key.expose()),
            scopes,
            created_by: scope.user_id,
            created_at: self.clock.now(),
            last_used_at: None,
            revoked_at: None,
        };
        self.store.insert_api_key(scope, &record).await?;
        Ok((key, record))
    }

    /// Authenticates `key` for `required_scope`, in order: format and
    /// checksum (no lookup for a mistyped key); the key's environment
    /// against the installation's (no lookup for the other environment's
    /// key); the stored SHA-256, compared in constant time (what rejects a
    /// forged key); revocation; that the key's creator is still a member
    /// (a key acts with its creator's rights); scope. Records the use.
    ///
    /// Errors: [`Error::Unauthenticated`] for a malformed, unknown or
    /// revoked key, or one whose creator is no longer a member; [`Error::Forbidden`] with action `use an API key` for a
    /// key of the other environment (`cq_test_` on a live installation or
    /// `cq_live_` on a test one), and for a key lacking `required_scope`.
    pub async fn verify(&self, key: &str, required_scope: &str) -> Result<ApiKeyRecord> {
        Ok(self.authenticate(key, required_scope).await?.record)
    }

    /// [`verify`](Self::verify), returning the member the key acts as too.
    /// The use is written at most once per [`LAST_USED_RESOLUTION`] per key
    /// by this `ApiKeys` (and its clones), so a busy key costs no write per
    /// request; `last_used_at` is then accurate to that resolution.
    pub async fn authenticate(&self, key: &str, required_scope: &str) -> Result<AuthenticatedKey> {
        let env = check_format(key)?;
        if env != self.environment {
            return Err(Error::Forbidden {
                action: "use an API key".into(),
                reason: format!(
                    "the key is a {} key ({}) and this installation is {}; use a {} key ({})",
                    env.name(),
                    env.prefix(),
                    self.environment.name(),
                    self.environment.name(),
                    self.environment.prefix(),
                )
                .into(),
            });
        }
        let hash = key_hash(key);
        let denied = || Error::Unauthenticated {
            service: "api-key".into(),
        };
        let record = match self.store.find_api_key(hash).await {
            Ok(r) => r,
            Err(Error::NotFound { .. }) => return Err(denied()),
            Err(e) => return Err(e),
        };
        if !bool::from(record.secret_sha256.ct_eq(&hash)) || record.revoked_at.is_some() {
            return Err(denied());
        }
        // A key acts with its creator's rights: a creator who is no longer
        // a member (removed, erased) leaves keys that authenticate nobody.
        let creator = Scope::new(record.workspace_id, record.created_by, Role::Member);
        let member = match self.store.get_member(&creator, record.created_by).await {
            Ok(m) => m,
            Err(Error::NotFound { .. }) => return Err(denied()),
            Err(e) => return Err(e),
        };
        if !record.scopes.iter().any(|s| s == required_scope) {
            return Err(Error::Forbidden {
                action: required_scope.to_owned().into(),
                reason: "the API key lacks this scope".into(),
            });
        }
        let now: DateTime<Utc> = self.clock.now();
        if self.due_for_touch(hash, now)
            && let Err(e) = self.store.touch_api_key(hash, now).await
        {
            self.forget_touch(hash);
            return Err(e);
        }
        Ok(AuthenticatedKey {
            record: ApiKeyRecord {
                last_used_at: Some(now),
                ..record
            },
            member,
        })
    }

    /// Whether this use must be written (none written within
    /// [`LAST_USED_RESOLUTION`]); if so, remembers it as written.
    fn due_for_touch(&self, hash: [u8; 32], now: DateTime<Utc>) -> bool {
        let mut touched = self.touched.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(at) = touched.get(&hash)
            && now >= *at
            && now - *at < LAST_USED_RESOLUTION
        {
            return false;
        }
        if touched.len() >= TOUCHES_REMEMBERED {
            touched.clear();
        }
        touched.insert(hash, now);
        true
    }

    fn forget_touch(&self, hash: [u8; 32]) {
        let mut touched = self.touched.lock().unwrap_or_else(|p| p.into_inner());
        touched.remove(&hash);
    }

    /// Revokes a key.
    pub async fn revoke(&self, scope: &Scope, id: ApiKeyId) -> Result<()> {
        self.store.revoke_api_key(scope, id, self.clock.now()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn format_and_checksum() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let k = generate(KeyEnvironment::Live, &mut rng);
        let s = k.expose();
        assert!(s.starts_with("cq_live_"));
        assert_eq!(s.len(), 8 + 43 + 1 + 6);
        assert_eq!(check_format(s).unwrap(), KeyEnvironment::Live);
        assert!(!format!("{k:?}").contains(&s[8..20]));
        // Every single-character change breaks the checksum or the shape.
        for i in 8..s.len() {
            let mut b = s.as_bytes().to_vec();
            b[i] = if b[i] == b'A' { b'B' } else { b'A' };
            let t = String::from_utf8(b).unwrap();
            assert!(check_format(&t).is_err(), "position {i}");
        }
        assert!(check_format("cq_live_short_abc").is_err());
        assert!(check_format("ghp_whatever").is_err());
    }
}
