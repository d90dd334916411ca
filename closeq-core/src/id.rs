//! Typed identifiers: newtypes over UUID v7 (time-ordered, so keys sort by
//! creation time and index well).

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use crate::error::Error;

macro_rules! uuid_v7_id {
    ($(#[$doc:meta])* $name:ident, $field:literal) => {
        $(#[$doc])*
        ///
        /// A UUID v7. [`Display`](std::fmt::Display) and
        /// [`FromStr`](std::str::FromStr) round-trip through the hyphenated
        /// lowercase form; parsing rejects anything that is not a UUID v7.
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Uuid);

        impl $name {
            /// The name of this id in error messages.
            pub const FIELD: &'static str = $field;

            /// A new, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// Wraps an existing UUID, which must be version 7.
            pub fn from_uuid(uuid: Uuid) -> Result<Self, Error> {
                if uuid.get_version_num() == 7 {
                    Ok(Self(uuid))
                } else {
                    Err(Error::invalid($field, "must be a UUID v7"))
                }
            }

            /// The underlying UUID.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0.hyphenated())
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self, Error> {
                let uuid = Uuid::try_parse(s)
                    .map_err(|_| Error::invalid($field, "not a UUID"))?;
                Self::from_uuid(uuid)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(&self.0.hyphenated())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }

        impl JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({
                    "type": "string",
                    "format": "uuid",
                    "description": concat!("A UUID v7 identifying a ", $field, ".")
                })
            }
        }
    };
}

uuid_v7_id!(
    /// Identifies a workspace (a tenant).
    WorkspaceId,
    "workspace_id"
);
uuid_v7_id!(
    /// Identifies a team inside a workspace.
    TeamId,
    "team_id"
);
uuid_v7_id!(
    /// Identifies a user (a rep, manager, admin or owner).
    UserId,
    "user_id"
);
uuid_v7_id!(
    /// Identifies a call.
    CallId,
    "call_id"
);
uuid_v7_id!(
    /// Identifies a transcript.
    TranscriptId,
    "transcript_id"
);
uuid_v7_id!(
    /// Identifies a scorecard.
    ScorecardId,
    "scorecard_id"
);
uuid_v7_id!(
    /// Identifies a rubric stored in a workspace (built-in rubrics are
    /// identified by their [`RubricKey`](crate::RubricKey) and content hash).
    RubricId,
    "rubric_id"
);
uuid_v7_id!(
    /// Identifies a background job.
    JobId,
    "job_id"
);
uuid_v7_id!(
    /// Identifies an API key (never the key's secret).
    ApiKeyId,
    "api_key_id"
);
uuid_v7_id!(
    /// Identifies an integration (a connected dialer or CRM).
    IntegrationId,
    "integration_id"
);
uuid_v7_id!(
    /// Identifies an invitation to join a workspace.
    InvitationId,
    "invitation_id"
);
uuid_v7_id!(
    /// Identifies a data-subject request (access, erasure, ...).
    DataSubjectRequestId,
    "data_subject_request_id"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_from_str_round_trip() {
        let id = CallId::new();
        let parsed: CallId = id.to_string().parse().unwrap();
        assert_eq!(id, parsed);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{id}\""));
        assert_eq!(serde_json::from_str::<CallId>(&json).unwrap(), id);
    }

    #[test]
    fn rejects_non_v7_and_garbage_naming_the_field() {
        let v4 = "6f1c2a8e-5b1d-4c3e-9a7b-2d4e6f8a0b1c";
        let err = v4.parse::<TeamId>().unwrap_err();
        assert_eq!(err.field(), Some("team_id"));
        let err = "nope".parse::<WorkspaceId>().unwrap_err();
        assert_eq!(err.field(), Some("workspace_id"));
        assert!(serde_json::from_str::<UserId>("\"nope\"").is_err());
    }

    #[test]
    fn ids_are_time_ordered() {
        let a = JobId::new();
        let b = JobId::new();
        assert!(a < b);
    }
}
