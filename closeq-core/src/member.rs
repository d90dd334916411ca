//! Teams, members and their roles.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::contact::EmailAddress;
use crate::error::Result;
use crate::id::{TeamId, UserId, WorkspaceId};
use crate::profile::{Preferences, TimeZoneName};
use crate::sensitive::Sensitive;

/// A member's role in a workspace. See [`crate::access`] for what each may do.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Owns the workspace: everything, including billing and ownership.
    Owner,
    /// Administers the workspace: everything inside it.
    Admin,
    /// Manages teams: their teams' calls and their own.
    Manager,
    /// A rep: their own calls.
    Member,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::Manager, Role::Member];

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Manager => "manager",
            Self::Member => "member",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<Self> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| crate::Error::invalid("role", "must be owner, admin, manager or member"))
    }
}

/// A team inside a workspace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Team {
    /// Its id.
    pub id: TeamId,
    /// The workspace it belongs to.
    pub workspace_id: WorkspaceId,
    /// Display name (1–100 characters).
    pub name: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

impl Team {
    /// A new team.
    pub fn new(
        workspace_id: WorkspaceId,
        name: impl Into<String>,
        created_at: DateTime<Utc>,
    ) -> Result<Self> {
        let t = Self {
            id: TeamId::new(),
            workspace_id,
            name: name.into(),
            created_at,
        };
        t.validate()?;
        Ok(t)
    }

    /// Checks every field.
    pub fn validate(&self) -> Result<()> {
        crate::validate::text("name", &self.name, 1, 100)
    }
}

/// A user's membership of a workspace.
///
/// `team_ids` are the teams the user belongs to; for a manager they are the
/// teams they manage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Member {
    /// The workspace.
    pub workspace_id: WorkspaceId,
    /// The user.
    pub user_id: UserId,
    /// Their role.
    pub role: Role,
    /// Their teams.
    #[serde(default)]
    pub team_ids: BTreeSet<TeamId>,
    /// Display name (personal data).
    #[serde(default)]
    pub display_name: Option<Sensitive<String>>,
    /// E-mail address (personal data).
    #[serde(default)]
    pub email: Option<EmailAddress>,
    /// When they joined.
    pub joined_at: DateTime<Utc>,
    /// Their time zone (account data, personal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<TimeZoneName>,
    /// Their interface preferences (account data).
    #[serde(default)]
    pub preferences: Preferences,
}

impl Member {
    /// A member with `role`, in no team, without name or e-mail; set the
    /// other fields as needed.
    pub fn new(
        workspace_id: WorkspaceId,
        user_id: UserId,
        role: Role,
        joined_at: DateTime<Utc>,
    ) -> Self {
        Self {
            workspace_id,
            user_id,
            role,
            team_ids: BTreeSet::new(),
            display_name: None,
            email: None,
            joined_at,
            time_zone: None,
            preferences: Preferences::default(),
        }
    }

    /// Checks every field.
    pub fn validate(&self) -> Result<()> {
        if let Some(name) = &self.display_name {
            crate::validate::text("display_name", name, 1, 200)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn member_round_trip_and_redacted_debug() {
        let m = Member {
            workspace_id: WorkspaceId::new(),
            user_id: UserId::new(),
            role: Role::Manager,
            team_ids: [TeamId::new()].into(),
            display_name: Some("Dana Rep".into()),
            email: Some(EmailAddress::parse("dana@example.com").unwrap()),
            joined_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            time_zone: Some(TimeZoneName::parse("Europe/Warsaw").unwrap()),
            preferences: Preferences::default(),
        };
        m.validate().unwrap();
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<Member>(&json).unwrap(), m);
        let dbg = format!("{m:?}");
        assert!(!dbg.contains("Dana") && !dbg.contains("dana@"), "{dbg}");
        let bad = Member {
            display_name: Some("".into()),
            ..m
        };
        assert_eq!(bad.validate().unwrap_err().field(), Some("display_name"));
    }

    #[test]
    fn roles_parse_and_print() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        assert_eq!("boss".parse::<Role>().unwrap_err().field(), Some("role"));
        let t = Team::new(WorkspaceId::new(), " ", Utc::now());
        assert_eq!(t.unwrap_err().field(), Some("name"));
    }
}
