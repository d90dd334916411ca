//! Rectification (GDPR Art. 16) of a client contact's details on every call
//! they were on. The subject index is rebuilt by the store, so the subject
//! is found under the corrected identifiers afterwards and no longer under
//! the old ones. And of a member's own account data ([`rectify_member`]):
//! name, e-mail, time zone, preferences, recorded as a request about them.

use closeq_core::ports::{CallStore, WorkspaceStore};
use closeq_core::{
    AuditRecord, Clock, EmailAddress, Error, PhoneNumber, Preferences, RequestKind, Result, Scope,
    Subject, SubjectRequest, TimeZoneName, UserId,
};

use crate::request::SubjectRequests;

/// The corrected fields; `None` leaves a field as it is.
#[derive(Clone, Default)]
pub struct ContactCorrection {
    /// The corrected name.
    pub name: Option<String>,
    /// The corrected e-mail address.
    pub email: Option<EmailAddress>,
    /// The corrected phone number.
    pub phone: Option<PhoneNumber>,
}

impl std::fmt::Debug for ContactCorrection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContactCorrection")
            .field("name", &self.name.as_ref().map(|_| "<redacted>"))
            .field("email", &self.email)
            .field("phone", &self.phone)
            .finish()
    }
}

/// Applies `correction` to every call `subject` (a client contact) was on;
/// returns how many calls changed. Leaves an audit record with the count.
pub async fn rectify_contact(
    calls: &dyn CallStore,
    workspaces: &dyn WorkspaceStore,
    clock: &dyn Clock,
    scope: &Scope,
    subject: &Subject,
    correction: &ContactCorrection,
) -> Result<u32> {
    if matches!(subject, Subject::User(_)) {
        return Err(Error::invalid(
            "subject",
            "a user's details are rectified in their member record, not on calls",
        ));
    }
    if correction.name.is_none() && correction.email.is_none() && correction.phone.is_none() {
        return Err(Error::invalid("correction", "nothing to correct"));
    }
    if correction
        .name
        .as_ref()
        .is_some_and(|n| n.trim().is_empty())
    {
        return Err(Error::invalid("correction.name", "must not be empty"));
    }
    let mut changed = 0u32;
    for id in calls.find_calls_by_subject(scope, subject).await? {
        let mut call = match calls.get_call(scope, id).await {
            Ok(c) => c,
            Err(Error::NotFound { .. }) => continue,
            Err(e) => return Err(e),
        };
        if let Some(n) = &correction.name {
            call.client.name = Some(n.trim().to_owned().into());
        }
        if let Some(e) = &correction.email {
            call.client.email = Some(e.clone());
        }
        if let Some(p) = &correction.phone {
            call.client.phone = Some(p.clone());
        }
        calls.update_call(scope, &call).await?;
        changed += 1;
    }
    workspaces
        .append_audit(
            scope,
            &AuditRecord {
                seq: 0,
                workspace_id: scope.workspace_id,
                at: clock.now(),
                actor: Some(scope.user_id),
                action: "dsr.rectify".into(),
                target: None,
                details: serde_json::json!({ "calls": changed }),
            },
        )
        .await?;
    Ok(changed)
}

/// A member's corrected account data; `None` leaves a field as it is.
#[derive(Clone, Default)]
pub struct MemberCorrection {
    /// The corrected display name.
    pub display_name: Option<String>,
    /// The corrected e-mail address.
    pub email: Option<EmailAddress>,
    /// The corrected time zone.
    pub time_zone: Option<TimeZoneName>,
    /// The corrected interface preferences.
    pub preferences: Option<Preferences>,
}

impl std::fmt::Debug for MemberCorrection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemberCorrection")
            .field("fields", &self.fields())
            .finish()
    }
}

impl MemberCorrection {
    /// The names of the fields it corrects.
    pub fn fields(&self) -> Vec<&'static str> {
        [
            ("display_name", self.display_name.is_some()),
            ("email", self.email.is_some()),
            ("time_zone", self.time_zone.is_some()),
            ("preferences", self.preferences.is_some()),
        ]
        .into_iter()
        .filter_map(|(n, set)| set.then_some(n))
        .collect()
    }
}

/// Rectification of a member's account data (Art. 16) at their request:
/// recorded as a rectification request about them (who asked, when) — the
/// oldest open one they filed themselves ([`rectify_own_account`]), else a
/// new one —, applied to their member record, completed, and audited with the names
/// of the fields changed (never the values). Owners and admins carry it
/// out; an invalid value changes nothing and leaves no request; a write
/// the store refuses closes the request as rejected, with the reason.
/// The record is read, changed and written back: a concurrent membership
/// change between the read and the write is overwritten (the member store
/// has no compare-and-swap yet).
pub async fn rectify_member(
    requests: &SubjectRequests,
    workspaces: &dyn WorkspaceStore,
    scope: &Scope,
    user: UserId,
    correction: &MemberCorrection,
) -> Result<SubjectRequest> {
    let fields = correction.fields();
    if fields.is_empty() {
        return Err(Error::invalid("correction", "nothing to correct"));
    }
    let mut member = workspaces.get_member(scope, user).await?;
    if let Some(n) = &correction.display_name {
        member.display_name = Some(n.trim().to_owned().into());
    }
    if let Some(e) = &correction.email {
        member.email = Some(e.clone());
    }
    if let Some(t) = &correction.time_zone {
        member.time_zone = Some(t.clone());
    }
    if let Some(p) = &correction.preferences {
        member.preferences = p.clone();
    }
    member.validate()?;
    // A correction the member filed themselves (rectify_own_account) is
    // the request this answers; otherwise a new one is received.
    let about = Subject::User(user);
    let filed = requests
        .all(scope)
        .await?
        .into_iter()
        .filter(|r| {
            r.kind == RequestKind::Rectification
                && r.subject.as_ref() == Some(&about)
                && r.state == closeq_core::RequestState::Received
        })
        .min_by_key(|r| r.received_at);
    let request = match filed {
        Some(r) => r,
        None => {
            requests
                .receive(scope, about, RequestKind::Rectification)
                .await?
        }
    };
    requests.start(scope, request.id).await?;
    if let Err(e) = workspaces.put_member(scope, &member).await {
        // Refused (an admin correcting an owner, a stale scope): the
        // request is closed as rejected with the reason, not left open.
        requests.reject(scope, request.id, &e.to_string()).await?;
        return Err(e);
    }
    requests
        .audit(
            scope,
            "dsr.rectify_member",
            Some(request.id.to_string()),
            serde_json::json!({ "fields": fields }),
        )
        .await?;
    requests.complete(scope, request.id).await
}

/// What [`rectify_own_account`] did.
#[derive(Debug, Clone)]
pub struct OwnCorrection {
    /// The completed request of the fields applied at once (time zone,
    /// preferences), if any.
    pub applied: Option<SubjectRequest>,
    /// The names of those fields.
    pub applied_fields: Vec<&'static str>,
    /// The open request filed for an owner or admin to verify and apply
    /// (name, e-mail address), if any: `dsr rectify --user` completes it.
    pub filed: Option<SubjectRequest>,
    /// The names of those fields (the values are not stored; the member
    /// tells the admin).
    pub filed_fields: Vec<&'static str>,
}

/// A member's correction of their own account data (GDPR Art. 16,
/// self-service): any member, for their own record. Time zone and
/// preferences are applied at once, recorded as a completed rectification
/// request about them and audited (field names, never values) — record,
/// request and audit record in one transaction
/// ([`WorkspaceStore::rectify_own_account`]). A corrected name or e-mail
/// address is not applied by the member: those identify them elsewhere (a
/// member's erasure redacts their name and address in every call;
/// invitations are matched by address), so an unverified value could make
/// an erasure redact other people's words or hand them someone else's
/// invitations. It is filed as an open rectification request about them,
/// audited, for an owner or admin to verify and apply with
/// [`rectify_member`], which completes it.
///
/// Errors: `InvalidInput` naming `correction` when nothing is corrected, or
/// the invalid value's field; `NotFound` when the member is gone.
pub async fn rectify_own_account(
    workspaces: &dyn WorkspaceStore,
    clock: &dyn Clock,
    scope: &Scope,
    correction: &MemberCorrection,
) -> Result<OwnCorrection> {
    let fields = correction.fields();
    if fields.is_empty() {
        return Err(Error::invalid("correction", "nothing to correct"));
    }
    let stored = workspaces.get_member(scope, scope.user_id).await?;
    let mut member = stored.clone();
    if let Some(t) = &correction.time_zone {
        member.time_zone = Some(t.clone());
    }
    if let Some(p) = &correction.preferences {
        member.preferences = p.clone();
    }
    member.validate()?;
    if let Some(e) = &correction.email {
        // Checked now, so a bad address is refused before anything is filed.
        let mut probe = stored.clone();
        probe.email = Some(e.clone());
        probe.validate()?;
    }
    let (applied_fields, filed_fields): (Vec<_>, Vec<_>) = fields
        .into_iter()
        .partition(|f| matches!(*f, "time_zone" | "preferences"));
    let mut out = OwnCorrection {
        applied: None,
        applied_fields,
        filed: None,
        filed_fields,
    };
    let own = |fields: &[&str], complete: bool| -> Result<(SubjectRequest, AuditRecord)> {
        let now = clock.now();
        let mut request = SubjectRequest::received(
            scope.workspace_id,
            Subject::User(scope.user_id),
            RequestKind::Rectification,
            now,
            30,
        )?;
        if complete {
            request.start()?;
            request.complete(now)?;
        }
        let audit = AuditRecord {
            seq: 0,
            workspace_id: scope.workspace_id,
            at: now,
            actor: Some(scope.user_id),
            action: "dsr.rectify_own_account".into(),
            target: Some(request.id.to_string()),
            details: serde_json::json!({
                "fields": fields,
                "state": if complete { "applied" } else { "awaiting_admin" },
            }),
        };
        Ok((request, audit))
    };
    if !out.applied_fields.is_empty() {
        let (request, audit) = own(&out.applied_fields, true)?;
        workspaces
            .rectify_own_account(scope, &member, &request, &audit)
            .await?;
        out.applied = Some(request);
    }
    if !out.filed_fields.is_empty() {
        let current = if out.applied.is_some() {
            &member
        } else {
            &stored
        };
        let (request, audit) = own(&out.filed_fields, false)?;
        workspaces
            .rectify_own_account(scope, current, &request, &audit)
            .await?;
        out.filed = Some(request);
    }
    Ok(out)
}
