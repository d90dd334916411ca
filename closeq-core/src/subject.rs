//! Data subjects: the people whose data a data-subject request or an
//! erasure is about.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::contact::{EmailAddress, PhoneNumber};
use crate::error::Result;
use crate::id::UserId;

/// A data subject, identified by an e-mail address, a phone number or a
/// user id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Subject {
    /// A client contact by e-mail.
    Email(EmailAddress),
    /// A client contact by phone.
    Phone(PhoneNumber),
    /// A user (rep) of the workspace.
    User(UserId),
}

/// How a subject is identified, without the identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    /// By e-mail address.
    Email,
    /// By phone number.
    Phone,
    /// By user id.
    User,
}

impl SubjectKind {
    /// The snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Phone => "phone",
            Self::User => "user",
        }
    }
}

/// A data subject's standing objections to processing, as stored per
/// subject (by keyed hash, never the identifier).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SubjectFlags {
    /// Processing is restricted (GDPR Art. 18): nothing but storage until lifted.
    pub restricted: bool,
    /// The subject objected (Art. 21): no further AI analysis.
    pub objected: bool,
    /// The restriction is for the establishment, exercise or defence of
    /// legal claims (Art. 18(1)(c)): the retention sweep keeps the
    /// subject's calls and audio until it is lifted. Only meaningful with
    /// `restricted`; an ordinary restriction does not hold retention back.
    #[serde(default)]
    pub legal_hold: bool,
}

impl SubjectFlags {
    /// Either flag set in `self` or `other` (a call is held back when any
    /// of its subjects is).
    pub fn union(self, other: Self) -> Self {
        Self {
            restricted: self.restricted || other.restricted,
            objected: self.objected || other.objected,
            legal_hold: self.legal_hold || other.legal_hold,
        }
    }

    /// The flags as stored: a legal hold only with a restriction.
    pub fn normalized(self) -> Self {
        Self {
            legal_hold: self.legal_hold && self.restricted,
            ..self
        }
    }

    /// Whether retention must hold the data back: a restriction for legal
    /// claims is in force.
    pub fn holds_retention(self) -> bool {
        self.restricted && self.legal_hold
    }
}

impl Subject {
    /// How it is identified.
    pub fn kind(&self) -> SubjectKind {
        match self {
            Self::Email(_) => SubjectKind::Email,
            Self::Phone(_) => SubjectKind::Phone,
            Self::User(_) => SubjectKind::User,
        }
    }

    /// The subjects a call holds: its rep, and the client by e-mail and by
    /// phone where known.
    pub fn of_call(call: &crate::call::Call) -> Vec<Subject> {
        let mut subjects = vec![Subject::User(call.rep_id)];
        if let Some(e) = &call.client.email {
            subjects.push(Subject::Email(e.clone()));
        }
        if let Some(p) = &call.client.phone {
            subjects.push(Subject::Phone(p.clone()));
        }
        subjects
    }

    /// The normalized identifier that subject indexes key on:
    /// `email:<lower-case address>`, `phone:<E.164>` (national numbers take
    /// `default_country_code`), `user:<uuid>`. This string is personal data:
    /// stores keep only a keyed hash of it.
    pub fn index_key(&self, default_country_code: &str) -> Result<String> {
        Ok(match self {
            Self::Email(e) => format!("email:{}", e.normalized()),
            Self::Phone(p) => format!("phone:{}", p.to_e164(default_country_code)?),
            Self::User(u) => format!("user:{u}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_keys_normalize() {
        let a = Subject::Email(EmailAddress::parse("Jane@Example.com").unwrap());
        assert_eq!(a.index_key("44").unwrap(), "email:jane@example.com");
        let p = Subject::Phone(PhoneNumber::parse("020 7946 0958").unwrap());
        assert_eq!(p.index_key("44").unwrap(), "phone:+442079460958");
        let q = Subject::Phone(PhoneNumber::parse("+44 20 7946 0958").unwrap());
        assert_eq!(p.index_key("44").unwrap(), q.index_key("1").unwrap());
    }
}
