//! Validated contact identifiers: e-mail addresses and phone numbers.
//! Both are personal data, so their `Debug` output is redacted.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

use crate::error::{Error, Result};

/// An e-mail address, syntactically checked (one `@`, a non-empty local
/// part, a dotted domain, no whitespace, at most 254 bytes).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, JsonSchema)]
#[serde(transparent)]
#[schemars(transparent)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Parses and checks an address; surrounding whitespace is trimmed.
    pub fn parse(raw: &str) -> Result<Self> {
        let s = raw.trim();
        let invalid = |reason| Error::invalid("email", reason);
        if s.is_empty() {
            return Err(invalid("is empty"));
        }
        if s.len() > 254 {
            return Err(invalid("is longer than 254 bytes"));
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid("contains whitespace or control characters"));
        }
        let (local, domain) = s.split_once('@').ok_or_else(|| invalid("has no '@'"))?;
        if local.is_empty() || domain.contains('@') {
            return Err(invalid(
                "must have exactly one '@' after a non-empty local part",
            ));
        }
        let labels_ok = domain.split('.').count() >= 2
            && domain
                .split('.')
                .all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'));
        if !labels_ok {
            return Err(invalid("domain must be dotted, with non-empty labels"));
        }
        Ok(Self(s.to_owned()))
    }

    /// The address as given (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address lower-cased: the form used for matching a data subject.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

impl<'de> Deserialize<'de> for EmailAddress {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EmailAddress(<redacted>)")
    }
}

/// A phone number as written (`+44 20 7946 0958`, `(555) 010-9999`): digits
/// with optional leading `+` and the separators space, `-`, `.`, `(`, `)`;
/// 6 to 15 digits (E.164 allows at most 15).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, JsonSchema)]
#[serde(transparent)]
#[schemars(transparent)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Parses and checks a phone number; surrounding whitespace is trimmed.
    pub fn parse(raw: &str) -> Result<Self> {
        let s = raw.trim();
        let invalid = |reason| Error::invalid("phone", reason);
        if s.is_empty() {
            return Err(invalid("is empty"));
        }
        let mut digits = 0usize;
        for (i, c) in s.chars().enumerate() {
            match c {
                '0'..='9' => digits += 1,
                '+' if i == 0 => {}
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => {
                    return Err(invalid(
                        "may hold only digits, a leading '+' and separators",
                    ));
                }
            }
        }
        if !(6..=15).contains(&digits) {
            return Err(invalid("must have between 6 and 15 digits"));
        }
        Ok(Self(s.to_owned()))
    }

    /// The number as written (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Only the digits, with a leading `+` when the number had one.
    pub fn digits(&self) -> String {
        let plus = self.0.starts_with('+');
        let mut out = String::with_capacity(self.0.len());
        if plus {
            out.push('+');
        }
        out.extend(self.0.chars().filter(char::is_ascii_digit));
        out
    }

    /// The number in E.164 form (`+442079460958`). A number written without
    /// `+` is taken as national and gets `default_country_code` (digits only,
    /// e.g. `"44"`); a national trunk prefix `0` is dropped. `00` is read as
    /// an international prefix.
    pub fn to_e164(&self, default_country_code: &str) -> Result<String> {
        if default_country_code.is_empty()
            || default_country_code.len() > 3
            || !default_country_code.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(Error::invalid(
                "default_country_code",
                "must be 1 to 3 digits",
            ));
        }
        let d = self.digits();
        let e164 = if let Some(rest) = d.strip_prefix('+') {
            format!("+{rest}")
        } else if let Some(rest) = d.strip_prefix("00") {
            format!("+{rest}")
        } else {
            let national = d.strip_prefix('0').unwrap_or(&d);
            format!("+{default_country_code}{national}")
        };
        if e164.len() - 1 > 15 {
            return Err(Error::invalid(
                "phone",
                "has more than 15 digits in E.164 form",
            ));
        }
        Ok(e164)
    }
}

impl<'de> Deserialize<'de> for PhoneNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PhoneNumber(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert!(EmailAddress::parse(" Jane.Doe@Example.com ").is_ok());
        for bad in [
            "",
            "jane",
            "@x.com",
            "a@b",
            "a@@b.com",
            "a b@c.com",
            "a@-b.com",
            "a@b..com",
        ] {
            let e = EmailAddress::parse(bad).unwrap_err();
            assert_eq!(e.field(), Some("email"), "{bad}");
        }
        assert_eq!(
            EmailAddress::parse("Jane@Example.COM")
                .unwrap()
                .normalized(),
            "jane@example.com"
        );
    }

    #[test]
    fn email_debug_and_errors_hide_the_address() {
        let e = EmailAddress::parse("secret.person@example.com").unwrap();
        assert!(!format!("{e:?}").contains("secret"));
        let err = EmailAddress::parse("secret.person@").unwrap_err();
        assert!(!err.to_string().contains("secret"));
    }

    #[test]
    fn phones() {
        let p = PhoneNumber::parse("+44 20 7946 0958").unwrap();
        assert_eq!(p.to_e164("1").unwrap(), "+442079460958");
        let p = PhoneNumber::parse("020 7946 0958").unwrap();
        assert_eq!(p.to_e164("44").unwrap(), "+442079460958");
        let p = PhoneNumber::parse("0044 20 7946 0958").unwrap();
        assert_eq!(p.to_e164("1").unwrap(), "+442079460958");
        assert!(p.to_e164("x").is_err());
        for bad in ["", "12345", "+1 555 abc", "1+555123456", "1234567890123456"] {
            assert_eq!(
                PhoneNumber::parse(bad).unwrap_err().field(),
                Some("phone"),
                "{bad}"
            );
        }
        assert!(!format!("{p:?}").contains("7946"));
    }
}
