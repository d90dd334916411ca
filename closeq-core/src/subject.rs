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

impl Subject {
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
