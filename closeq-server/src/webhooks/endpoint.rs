//! Where events go: an endpoint's URL (`https://`, or `http://` on
//! loopback only), its one or two secrets, and the events it takes.

use closeq_core::{Error, Result};
use serde::{Deserialize, Serialize};

use super::WebhookSecret;

/// An event type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventType {
    /// A call was analysed: its scorecards are ready for review.
    #[serde(rename = "call.analyzed")]
    CallAnalyzed,
    /// A call's processing failed for good (its job is dead).
    #[serde(rename = "call.failed")]
    CallFailed,
    /// A person accepted, overrode or rejected a scorecard.
    #[serde(rename = "scorecard.reviewed")]
    ScorecardReviewed,
    /// A data-subject request was fulfilled (or refused).
    #[serde(rename = "dsr.completed")]
    DsrCompleted,
}

impl EventType {
    /// Every event type.
    pub const ALL: [EventType; 4] = [
        Self::CallAnalyzed,
        Self::CallFailed,
        Self::ScorecardReviewed,
        Self::DsrCompleted,
    ];

    /// Its name (`call.analyzed`).
    pub fn name(self) -> &'static str {
        match self {
            Self::CallAnalyzed => "call.analyzed",
            Self::CallFailed => "call.failed",
            Self::ScorecardReviewed => "scorecard.reviewed",
            Self::DsrCompleted => "dsr.completed",
        }
    }
}

/// One receiving endpoint. `Debug` shows its id and host, never the path
/// (which often carries a token) or the secrets.
#[derive(Clone)]
pub struct WebhookEndpoint {
    id: String,
    url: url::Url,
    secrets: Vec<WebhookSecret>,
    events: Vec<EventType>,
}

impl std::fmt::Debug for WebhookEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookEndpoint")
            .field("id", &self.id)
            .field("host", &self.url.host_str())
            .field("events", &self.events)
            .finish_non_exhaustive()
    }
}

fn loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

impl WebhookEndpoint {
    /// An endpoint named `id` (1–64 of `a-z 0-9 - _`; jobs refer to it by
    /// it) at `url`, signing with `secrets` (one, or two during a
    /// rotation), for `events` (all when empty). Errors: `InvalidInput`
    /// naming `id`, `url` (not `https://`, or `http://` off loopback; with
    /// credentials in it) or `secrets`.
    pub fn new(
        id: &str,
        url: &str,
        secrets: Vec<WebhookSecret>,
        events: Vec<EventType>,
    ) -> Result<Self> {
        if id.is_empty()
            || id.len() > 64
            || !id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        {
            return Err(Error::invalid("id", "1-64 of a-z 0-9 - _"));
        }
        let url = url::Url::parse(url).map_err(|_| Error::invalid("url", "not a URL"))?;
        let ok = match url.scheme() {
            "https" => url.host().is_some(),
            "http" => loopback(&url),
            _ => false,
        };
        if !ok {
            return Err(Error::invalid(
                "url",
                "must be https:// (http:// only on loopback: 127.0.0.1, ::1, localhost)",
            ));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Error::invalid("url", "must not carry credentials"));
        }
        if secrets.is_empty() || secrets.len() > 2 {
            return Err(Error::invalid(
                "secrets",
                "one secret, or two while rotating",
            ));
        }
        let events = if events.is_empty() {
            EventType::ALL.to_vec()
        } else {
            events
        };
        Ok(Self {
            id: id.to_owned(),
            url,
            secrets,
            events,
        })
    }

    /// Its id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Its URL.
    pub fn url(&self) -> &url::Url {
        &self.url
    }

    /// Its secrets.
    pub fn secrets(&self) -> &[WebhookSecret] {
        &self.secrets
    }

    /// Whether it takes `event`.
    pub fn takes(&self, event: EventType) -> bool {
        self.events.contains(&event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_loopback_http() {
        let s = || vec![WebhookSecret::generate()];
        for ok in [
            "https://hooks.example/x",
            "http://127.0.0.1:9000/h",
            "http://[::1]/h",
            "http://localhost:1/h",
        ] {
            assert!(WebhookEndpoint::new("a", ok, s(), vec![]).is_ok(), "{ok}");
        }
        for bad in [
            "http://hooks.example/x",
            "http://10.0.0.1/h",
            "ftp://x/y",
            "https://u:p@hooks.example/",
            "nonsense",
        ] {
            let e = WebhookEndpoint::new("a", bad, s(), vec![]).unwrap_err();
            assert_eq!(e.field(), Some("url"), "{bad}");
        }
        assert!(WebhookEndpoint::new("a", "https://h.example", vec![], vec![]).is_err());
        assert!(WebhookEndpoint::new("A B", "https://h.example", s(), vec![]).is_err());
    }
}
