//! A member's account data beyond name and e-mail, as the privacy policy
//! lists it: their time zone and interface preferences. Personal data of
//! the member (data category `account`): exported with their access
//! request, rectifiable by themselves, erased with them.

use std::borrow::Cow;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

use crate::error::{Error, Result};

/// An IANA time-zone name (`Europe/Warsaw`), checked against the tz
/// database compiled into CloseQ. `Debug` hides it (it is personal data).
#[derive(Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct TimeZoneName(String);

impl TimeZoneName {
    /// Parses an IANA name (exact spelling, as the database has it).
    pub fn parse(name: &str) -> Result<Self> {
        let name = name.trim();
        chrono_tz::Tz::from_str(name).map_err(|_| {
            Error::invalid(
                "time_zone",
                "is not an IANA time-zone name (such as Europe/Warsaw)",
            )
        })?;
        Ok(Self(name.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The zone, for converting times.
    pub fn zone(&self) -> chrono_tz::Tz {
        // Parsed on construction; UTC cannot be reached.
        chrono_tz::Tz::from_str(&self.0).unwrap_or(chrono_tz::Tz::UTC)
    }
}

impl<'de> Deserialize<'de> for TimeZoneName {
    /// Stored names are read back even when this build's tz database no
    /// longer knows them (zones get renamed or dropped): a member record
    /// must stay readable; [`zone`](Self::zone) then falls back to UTC.
    /// Only the shape is checked (1–64 characters of `A-Za-z0-9/_+-`).
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s: Cow<'de, str> = Deserialize::deserialize(d)?;
        let shaped = (1..=64).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/_+-".contains(&b));
        if !shaped {
            return Err(serde::de::Error::custom(
                "invalid time_zone: is not an IANA time-zone name",
            ));
        }
        Ok(Self(s.into_owned()))
    }
}

/// An interface language as a BCP 47 tag of language, optional script and
/// optional region (`pl`, `en-GB`, `zh-Hant-TW`, `es-419`). `Debug` hides
/// it (it is a member's personal preference).
#[derive(Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct Locale(String);

impl Locale {
    /// Parses a tag; the case is normalized (`EN-gb` → `en-GB`).
    pub fn parse(tag: &str) -> Result<Self> {
        let bad = || {
            Error::invalid(
                "locale",
                "must be a language tag such as en, en-GB, zh-Hant-TW or es-419",
            )
        };
        if tag.len() > 64 {
            return Err(bad());
        }
        let mut parts = tag.trim().split(['-', '_']);
        let lang = parts
            .next()
            .filter(|l| (2..=3).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_alphabetic()));
        let mut out = lang.ok_or_else(bad)?.to_ascii_lowercase();
        let mut rest: Vec<&str> = parts.collect();
        if rest.len() > 2 {
            return Err(bad());
        }
        if let Some(script) = rest
            .first()
            .copied()
            .filter(|s| s.len() == 4 && s.bytes().all(|b| b.is_ascii_alphabetic()))
        {
            let mut chars = script.chars();
            out.push('-');
            out.extend(chars.next().map(|c| c.to_ascii_uppercase()));
            out.push_str(&chars.as_str().to_ascii_lowercase());
            rest.remove(0);
        }
        match rest.as_slice() {
            [] => {}
            [r] if r.len() == 2 && r.bytes().all(|b| b.is_ascii_alphabetic()) => {
                out.push('-');
                out.push_str(&r.to_ascii_uppercase());
            }
            [r] if r.len() == 3 && r.bytes().all(|b| b.is_ascii_digit()) => {
                out.push('-');
                out.push_str(r);
            }
            _ => return Err(bad()),
        }
        Ok(Self(out))
    }

    /// The normalized tag.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Locale {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s: Cow<'de, str> = Deserialize::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl std::fmt::Debug for TimeZoneName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TimeZoneName(<redacted>)")
    }
}

impl std::fmt::Debug for Locale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Locale(<redacted>)")
    }
}

/// Which e-mails a member gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Notifications {
    /// A scorecard of their team awaits review (managers, admins).
    pub review_requests: bool,
    /// A weekly summary of their own scores.
    pub weekly_summary: bool,
}

impl Default for Notifications {
    /// Review requests on, weekly summary off.
    fn default() -> Self {
        Self {
            review_requests: true,
            weekly_summary: false,
        }
    }
}

/// A member's interface preferences.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Preferences {
    /// Interface language (`None`: the browser's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<Locale>,
    /// E-mail notifications.
    pub notifications: Notifications,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_zones_are_iana_names() {
        assert_eq!(
            TimeZoneName::parse(" Europe/Warsaw ").unwrap().as_str(),
            "Europe/Warsaw"
        );
        assert_eq!(
            TimeZoneName::parse("UTC").unwrap().zone(),
            chrono_tz::Tz::UTC
        );
        for bad in [
            "",
            "Europe/Atlantis",
            "CEST+2",
            "../../etc/passwd",
            "europe/warsaw\0",
        ] {
            let e = TimeZoneName::parse(bad).unwrap_err();
            assert_eq!(e.field(), Some("time_zone"), "{bad}");
        }
        // Stored names this build no longer knows still load (UTC then).
        let gone: TimeZoneName = serde_json::from_str("\"US/Pacific-New\"").unwrap();
        assert_eq!(gone.zone(), chrono_tz::Tz::UTC);
        for bad in ["\"\"", "\"../etc\\u0000\"", "\"a b\""] {
            assert!(serde_json::from_str::<TimeZoneName>(bad).is_err(), "{bad}");
        }
        let tz = TimeZoneName::parse("Europe/Warsaw").unwrap();
        assert!(!format!("{tz:?}").contains("Warsaw"));
    }

    #[test]
    fn locales_are_language_script_region_tags() {
        for (tag, norm) in [
            ("pl", "pl"),
            ("EN-gb", "en-GB"),
            ("zh_hant_tw", "zh-Hant-TW"),
            ("es-419", "es-419"),
            ("fil", "fil"),
        ] {
            assert_eq!(Locale::parse(tag).unwrap().as_str(), norm);
        }
        for bad in [
            "",
            "e",
            "english",
            "en-",
            "en-GBR",
            "en-GB-x",
            "en-12",
            "ü",
            "en-GB-oed-x",
        ] {
            assert_eq!(
                Locale::parse(bad).unwrap_err().field(),
                Some("locale"),
                "{bad}"
            );
        }
        let p: Preferences = serde_json::from_str(r#"{"locale":"de-AT"}"#).unwrap();
        assert_eq!(p.notifications, Notifications::default());
        assert!(serde_json::from_str::<Preferences>(r#"{"theme":"dark"}"#).is_err());
    }
}
