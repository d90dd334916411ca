//! Integration tokens sealed with AES-256-GCM in an envelope: each token
//! gets a fresh random data key; the data key is wrapped by a key-encryption
//! key (KEK) named by a key id. The associated data binds the workspace and
//! integration ids, so a ciphertext copied to another row does not open.
//! Rotation re-wraps only the data key; the token ciphertext is untouched.
//!
//! Envelope (version 1):
//! `0x01 | kid_len u8 | kid | wrap_nonce[12] | wrapped_dek[48] | nonce[12] | ciphertext+tag`.

use std::collections::BTreeMap;
use std::fmt;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use closeq_core::{Error, IntegrationId, Result, Sensitive, WorkspaceId};
use rand::RngCore;

const VERSION: u8 = 1;

/// The parts of a sealed token.
struct Envelope<'a> {
    kid: &'a str,
    wn: &'a [u8],
    wrapped: &'a [u8],
    n: &'a [u8],
    data: &'a [u8],
}

/// Seals and opens integration tokens.
#[derive(Clone)]
pub struct TokenSealer {
    keks: BTreeMap<String, [u8; 32]>,
    current: String,
}

impl fmt::Debug for TokenSealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSealer")
            .field("current_key_id", &self.current)
            .field("key_ids", &self.keks.keys().collect::<Vec<_>>())
            .finish()
    }
}

fn sealed_err() -> Error {
    Error::Compliance {
        rule: "token sealing".into(),
        reason: "the sealed token does not open with this key, workspace and integration".into(),
    }
}

fn aad(ws: WorkspaceId, integration: IntegrationId, kid: &str) -> Vec<u8> {
    format!("closeq-token-v1|{ws}|{integration}|{kid}").into_bytes()
}

impl TokenSealer {
    /// A sealer whose current KEK is `current_id` (which must be in `keks`).
    pub fn new(keks: BTreeMap<String, [u8; 32]>, current_id: &str) -> Result<Self> {
        if !keks.contains_key(current_id) {
            return Err(Error::invalid("current_key_id", "is not among the keys"));
        }
        if keks.keys().any(|k| k.is_empty() || k.len() > 64) {
            return Err(Error::invalid("key_id", "must be 1-64 bytes"));
        }
        Ok(Self {
            keks,
            current: current_id.to_owned(),
        })
    }

    /// The current key id.
    pub fn current_key_id(&self) -> &str {
        &self.current
    }

    fn cipher(&self, kid: &str) -> Result<Aes256Gcm> {
        let k = self.keks.get(kid).ok_or_else(sealed_err)?;
        Aes256Gcm::new_from_slice(k).map_err(|_| Error::internal("AES key length"))
    }

    /// Seals `token` for one integration of one workspace.
    pub fn seal(
        &self,
        ws: WorkspaceId,
        integration: IntegrationId,
        token: &str,
    ) -> Result<Vec<u8>> {
        let mut rng = rand::rngs::OsRng;
        let mut dek = [0u8; 32];
        rng.fill_bytes(&mut dek);
        let mut wrap_nonce = [0u8; 12];
        rng.fill_bytes(&mut wrap_nonce);
        let mut nonce = [0u8; 12];
        rng.fill_bytes(&mut nonce);
        let kid = self.current.as_str();
        let ad = aad(ws, integration, kid);
        let wrapped = self
            .cipher(kid)?
            .encrypt(
                Nonce::from_slice(&wrap_nonce),
                Payload {
                    msg: &dek,
                    aad: &ad,
                },
            )
            .map_err(|_| Error::internal("wrap failed"))?;
        let data = Aes256Gcm::new_from_slice(&dek)
            .map_err(|_| Error::internal("AES key length"))?
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: token.as_bytes(),
                    aad: &aad(ws, integration, ""),
                },
            )
            .map_err(|_| Error::internal("seal failed"))?;
        let mut out = Vec::with_capacity(2 + kid.len() + 12 + wrapped.len() + 12 + data.len());
        out.push(VERSION);
        out.push(kid.len() as u8);
        out.extend_from_slice(kid.as_bytes());
        out.extend_from_slice(&wrap_nonce);
        out.extend_from_slice(&wrapped);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&data);
        Ok(out)
    }

    fn parse(blob: &[u8]) -> Result<Envelope<'_>> {
        if blob.len() < 2 || blob[0] != VERSION {
            return Err(sealed_err());
        }
        let kl = blob[1] as usize;
        let rest = blob.get(2..).ok_or_else(sealed_err)?;
        let kid = std::str::from_utf8(rest.get(..kl).ok_or_else(sealed_err)?)
            .map_err(|_| sealed_err())?;
        let rest = &rest[kl..];
        if rest.len() < 12 + 48 + 12 + 16 {
            return Err(sealed_err());
        }
        let (wn, rest) = rest.split_at(12);
        let (wrapped, rest) = rest.split_at(48);
        let (n, data) = rest.split_at(12);
        Ok(Envelope {
            kid,
            wn,
            wrapped,
            n,
            data,
        })
    }

    fn unwrap_dek(
        &self,
        ws: WorkspaceId,
        integration: IntegrationId,
        kid: &str,
        wn: &[u8],
        wrapped: &[u8],
    ) -> Result<Vec<u8>> {
        self.cipher(kid)?
            .decrypt(
                Nonce::from_slice(wn),
                Payload {
                    msg: wrapped,
                    aad: &aad(ws, integration, kid),
                },
            )
            .map_err(|_| sealed_err())
    }

    /// Opens a sealed token; any tampering, another workspace or
    /// integration, or an unknown key gives one `Compliance` error.
    pub fn open(
        &self,
        ws: WorkspaceId,
        integration: IntegrationId,
        blob: &[u8],
    ) -> Result<Sensitive<String>> {
        let Envelope {
            kid,
            wn,
            wrapped,
            n,
            data,
        } = Self::parse(blob)?;
        let dek = self.unwrap_dek(ws, integration, kid, wn, wrapped)?;
        let plain = Aes256Gcm::new_from_slice(&dek)
            .map_err(|_| sealed_err())?
            .decrypt(
                Nonce::from_slice(n),
                Payload {
                    msg: data,
                    aad: &aad(ws, integration, ""),
                },
            )
            .map_err(|_| sealed_err())?;
        String::from_utf8(plain)
            .map(Sensitive::new)
            .map_err(|_| sealed_err())
    }

    /// Re-wraps the data key under the current KEK; the token ciphertext is
    /// kept byte for byte. Returns the new blob.
    pub fn rewrap(
        &self,
        ws: WorkspaceId,
        integration: IntegrationId,
        blob: &[u8],
    ) -> Result<Vec<u8>> {
        let Envelope {
            kid,
            wn,
            wrapped,
            n,
            data,
        } = Self::parse(blob)?;
        let dek = self.unwrap_dek(ws, integration, kid, wn, wrapped)?;
        let mut wrap_nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut wrap_nonce);
        let cur = self.current.as_str();
        let new_wrapped = self
            .cipher(cur)?
            .encrypt(
                Nonce::from_slice(&wrap_nonce),
                Payload {
                    msg: &dek,
                    aad: &aad(ws, integration, cur),
                },
            )
            .map_err(|_| Error::internal("wrap failed"))?;
        let mut out = vec![VERSION, cur.len() as u8];
        out.extend_from_slice(cur.as_bytes());
        out.extend_from_slice(&wrap_nonce);
        out.extend_from_slice(&new_wrapped);
        out.extend_from_slice(n);
        out.extend_from_slice(data);
        Ok(out)
    }

    /// The key id a blob is wrapped with.
    pub fn key_id_of(blob: &[u8]) -> Result<String> {
        Self::parse(blob).map(|p| p.kid.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer(current: &str) -> TokenSealer {
        let keks = BTreeMap::from([
            ("kek-1".to_owned(), [1u8; 32]),
            ("kek-2".to_owned(), [2u8; 32]),
        ]);
        TokenSealer::new(keks, current).unwrap()
    }

    #[test]
    fn seal_open_rotate() {
        let (ws, int) = (WorkspaceId::new(), IntegrationId::new());
        let s1 = sealer("kek-1");
        let blob = s1.seal(ws, int, "xoxb-secret-token").unwrap();
        assert!(!blob.windows(6).any(|w| w == b"secret"));
        assert_eq!(
            s1.open(ws, int, &blob).unwrap().as_str(),
            "xoxb-secret-token"
        );
        let s2 = sealer("kek-2");
        let rotated = s2.rewrap(ws, int, &blob).unwrap();
        assert_eq!(TokenSealer::key_id_of(&rotated).unwrap(), "kek-2");
        assert_eq!(
            &rotated[rotated.len() - 12 - 16 - 17..],
            &blob[blob.len() - 12 - 16 - 17..],
            "the token ciphertext is untouched"
        );
        assert_eq!(
            s2.open(ws, int, &rotated).unwrap().as_str(),
            "xoxb-secret-token"
        );
        // After the old key is dropped, only the rotated blob opens.
        let only2 =
            TokenSealer::new(BTreeMap::from([("kek-2".to_owned(), [2u8; 32])]), "kek-2").unwrap();
        assert!(only2.open(ws, int, &blob).is_err());
        assert!(only2.open(ws, int, &rotated).is_ok());
        assert!(!format!("{only2:?}").contains("2, 2"));
    }

    #[test]
    fn moved_swapped_or_corrupted_ciphertexts_do_not_open() {
        let s = sealer("kek-1");
        let (ws, int) = (WorkspaceId::new(), IntegrationId::new());
        let blob = s.seal(ws, int, "token-a").unwrap();
        let other = s.seal(ws, IntegrationId::new(), "token-b").unwrap();
        assert!(
            s.open(WorkspaceId::new(), int, &blob).is_err(),
            "moved to another workspace"
        );
        assert!(
            s.open(ws, IntegrationId::new(), &blob).is_err(),
            "moved to another integration"
        );
        assert!(s.open(ws, int, &other).is_err(), "swapped rows");
        for i in 0..blob.len() {
            let mut b = blob.clone();
            b[i] ^= 0x01;
            assert!(s.open(ws, int, &b).is_err(), "flipped bit in byte {i}");
        }
        assert!(s.open(ws, int, &blob[..blob.len() - 1]).is_err());
        assert!(s.open(ws, int, &[]).is_err());
    }
}
