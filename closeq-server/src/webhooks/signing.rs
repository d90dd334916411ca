//! Standard Webhooks signatures: `v1,` + base64(HMAC-SHA256(secret,
//! `{id}.{timestamp}.{body}`)), one per secret, space-separated.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use closeq_core::{Error, Result};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// A signing secret: `whsec_` and the base64 of 24 to 64 random bytes.
/// `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(Vec<u8>);

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(<redacted>)")
    }
}

impl WebhookSecret {
    /// Parses `whsec_<base64>`. Errors: `InvalidInput` naming `secret`
    /// (never echoing it).
    pub fn parse(s: &str) -> Result<Self> {
        let bad = || {
            Error::invalid(
                "secret",
                "must be whsec_ followed by the base64 of 24 to 64 bytes",
            )
        };
        let b64 = s.trim().strip_prefix("whsec_").ok_or_else(bad)?;
        let key = STANDARD.decode(b64).map_err(|_| bad())?;
        if !(24..=64).contains(&key.len()) {
            return Err(bad());
        }
        Ok(Self(key))
    }

    /// A new random secret.
    pub fn generate() -> Self {
        use rand::RngCore;
        let mut key = vec![0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        Self(key)
    }

    /// The `whsec_...` form, to give the receiver.
    pub fn expose(&self) -> String {
        format!("whsec_{}", STANDARD.encode(&self.0))
    }
}

/// The `webhook-signature` header's value for a message: one `v1,<sig>`
/// per secret (two during a rotation; a receiver holding either
/// verifies it).
pub fn sign(secrets: &[WebhookSecret], id: &str, timestamp: i64, body: &[u8]) -> String {
    secrets
        .iter()
        .filter_map(|s| {
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&s.0).ok()?;
            mac.update(id.as_bytes());
            mac.update(b".");
            mac.update(timestamp.to_string().as_bytes());
            mac.update(b".");
            mac.update(body);
            Some(format!(
                "v1,{}",
                STANDARD.encode(mac.finalize().into_bytes())
            ))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks reference libraries.
    #[test]
    fn signs_the_specifications_example() {
        let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let sig = sign(
            &[secret],
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn a_secret_is_never_printed_and_must_be_well_formed() {
        let s = WebhookSecret::generate();
        assert!(!format!("{s:?}").contains(&s.expose()[6..]));
        assert_eq!(WebhookSecret::parse(&s.expose()).unwrap(), s);
        for bad in [
            "",
            "whsec_",
            "whsec_!!",
            "secret_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "whsec_AAAA",
        ] {
            assert!(WebhookSecret::parse(bad).is_err(), "{bad}");
        }
    }
}
