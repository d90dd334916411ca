//! Where call data may be sent: the rule every adapter applies to the base
//! URL of a remote processor (speech-to-text, language models) before it
//! sends audio, transcripts or an API key there.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

use crate::error::{Error, Result};

/// Checks `url`, the value of the setting named `setting` (a builder
/// argument such as `base_url`, or an environment variable such as
/// `CLOSEQ_DEEPGRAM_BASE_URL`), as the base URL of a remote processor that
/// will receive call data and an API key.
///
/// It must be `https://`; `http://` is accepted only for a loopback host —
/// an IPv4 address in 127.0.0.0/8, `::1` (or `::ffff:127.x.x.x`), or
/// `localhost` — for local servers and test stand-ins. The URL is parsed
/// as HTTP clients parse it (WHATWG, the `url` crate behind reqwest), so
/// the host checked is the host a client connects to:
/// `http://127.0.0.1@evil.example` is `evil.example` and refused,
/// `http://localhost.evil.example` is not `localhost`, `http://0x7f.1` is
/// 127.0.0.1.
///
/// Errors: [`Error::InvalidInput`] with `field` = `setting`. The message
/// never repeats the URL (it may carry credentials).
///
/// ```
/// use closeq_core::transport::check_remote_base_url;
/// assert!(check_remote_base_url("base_url", "https://api.deepgram.com").is_ok());
/// assert!(check_remote_base_url("base_url", "http://127.0.0.1:8080/v1").is_ok());
/// let e = check_remote_base_url("CLOSEQ_DEEPGRAM_BASE_URL", "http://api.deepgram.com").unwrap_err();
/// assert!(e.to_string().starts_with("invalid CLOSEQ_DEEPGRAM_BASE_URL: "));
/// ```
pub fn check_remote_base_url(setting: &str, url: &str) -> Result<()> {
    let invalid = |reason: &'static str| Error::invalid(setting.to_owned(), reason);
    let parsed = Url::parse(url.trim()).map_err(|_| invalid("is not a URL"))?;
    match parsed.scheme() {
        "https" => {
            if parsed.host().is_none() {
                return Err(invalid("must be an https:// URL with a host"));
            }
            Ok(())
        }
        "http" => match parsed.host() {
            Some(host) if is_loopback(&host) => Ok(()),
            _ => Err(invalid(
                "must be an https:// URL; http:// is allowed only for loopback addresses (127.0.0.0/8, ::1, localhost)",
            )),
        },
        _ => Err(invalid("must be an https:// URL")),
    }
}

/// Whether `url` passes [`check_remote_base_url`].
pub fn is_secure_remote_base_url(url: &str) -> bool {
    check_remote_base_url("url", url).is_ok()
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(a) => v4_loopback(*a),
        Host::Ipv6(a) => v6_loopback(*a),
    }
}

fn v4_loopback(a: Ipv4Addr) -> bool {
    IpAddr::V4(a).is_loopback()
}

fn v6_loopback(a: Ipv6Addr) -> bool {
    a.is_loopback() || a.to_ipv4_mapped().is_some_and(v4_loopback)
}
