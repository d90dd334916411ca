//! The installation's keys, checked against the database: every process of
//! one installation must use the same subject-index, redaction and URL
//! keys, or its subject index matches none of the stored subjects (a
//! restriction or objection filed through another host would not be seen)
//! and its pseudonyms and signed URLs differ. The first process records a
//! fingerprint of each key; every later one must match it.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use closeq_core::{Error, Result};

use super::{Acting, Dialect, Sql, SqlRow, SqlStore};

/// What a key's fingerprint is made from: HMAC-SHA256 under the key of this
/// label, so the fingerprint reveals nothing of the key.
const LABEL: &[u8] = b"closeq installation key check v1";

fn fingerprint(key: &[u8; 32]) -> Result<Vec<u8>> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .map_err(|_| Error::internal("HMAC refused a 32-byte key"))?;
    mac.update(LABEL);
    Ok(mac.finalize().into_bytes().to_vec())
}

impl<D: Dialect> SqlStore<D> {
    /// Records each named key's fingerprint the first time, and checks it
    /// every later time. Errors: [`Error::Compliance`] naming the key whose
    /// fingerprint differs (nothing is changed then).
    pub async fn check_installation_keys(&self, keys: &[(&str, &[u8; 32])]) -> Result<()> {
        for (name, key) in keys {
            let print = fingerprint(key)?;
            let mut tx = self
                .begin("check_installation_keys", Acting::Worker)
                .await?;
            tx.exec(
                Sql::new(
                    "INSERT INTO installation_keys (name, fingerprint) VALUES ($1, $2) \
                     ON CONFLICT (name) DO NOTHING",
                )
                .bind(*name)
                .bind(print.clone()),
            )
            .await?;
            let row = tx
                .row(
                    Sql::new("SELECT fingerprint FROM installation_keys WHERE name = $1")
                        .bind(*name),
                )
                .await?
                .ok_or_else(|| Error::internal("an installation key's fingerprint vanished"))?;
            let stored = row.bytes(0)?.to_vec();
            tx.commit().await?;
            if stored != print {
                return Err(Error::Compliance {
                    rule: "installation keys".into(),
                    reason: format!(
                        "this host's {name} key is not the one this database was set up with: \
                         copy the key files from a host of this installation (a new key would \
                         match none of the stored data)"
                    )
                    .into(),
                });
            }
        }
        Ok(())
    }
}
