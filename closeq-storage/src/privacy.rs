//! Checks shared by every backend's `PrivacyStore`.

use closeq_core::{Action, Error, Result, Scope, SubjectRequest};

use crate::policy;

/// A request may be written by someone who runs data-subject requests, in
/// their own workspace.
pub(crate) fn check_request(scope: &Scope, request: &SubjectRequest) -> Result<()> {
    policy::check_workspace(scope, Action::RunDataSubjectRequests)?;
    if request.workspace_id != scope.workspace_id {
        return Err(Error::invalid(
            "workspace_id",
            "a request belongs to the acting scope's workspace",
        ));
    }
    Ok(())
}

/// A listing limit of 1 to 1000.
pub(crate) fn check_limit(limit: u32) -> Result<()> {
    if !(1..=1000).contains(&limit) {
        return Err(Error::invalid("limit", "must be between 1 and 1000"));
    }
    Ok(())
}
