//! The role-visibility rule as SQL, for `calls` and the tables that carry a
//! call's workspace, rep and team (the rollups): owners and admins see the
//! workspace, managers their teams' calls and their own, members their own.
//! The same rule as `policy::visible` and PostgreSQL's `visible` policies.

use closeq_core::{Role, Scope};

use super::Sql;

/// Appends the rule for the table aliased `alias`.
pub(crate) fn push(q: &mut Sql, alias: &str, scope: &Scope) {
    q.push(&format!("{alias}.workspace_id = "))
        .push_bind(scope.workspace_id);
    match scope.role {
        Role::Owner | Role::Admin => {}
        Role::Manager => {
            q.push(&format!(" AND ({alias}.rep_id = "))
                .push_bind(scope.user_id);
            if !scope.team_ids.is_empty() {
                q.push(&format!(" OR {alias}.team_id IN ("));
                for (i, t) in scope.team_ids.iter().enumerate() {
                    if i > 0 {
                        q.push(", ");
                    }
                    q.push_bind(*t);
                }
                q.push(")");
            }
            q.push(")");
        }
        Role::Member => {
            q.push(&format!(" AND {alias}.rep_id = "))
                .push_bind(scope.user_id);
        }
    }
}
