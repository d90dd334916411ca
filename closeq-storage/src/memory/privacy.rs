use async_trait::async_trait;
use closeq_core::ports::PrivacyStore;
use closeq_core::{
    Action, CallId, ConsentRecord, DataSubjectRequestId, Error, Result, Scope, Subject,
    SubjectFlags, SubjectRequest,
};

use super::InMemoryStore;
use crate::policy;

#[async_trait]
impl PrivacyStore for InMemoryStore {
    async fn insert_request(&self, scope: &Scope, request: &SubjectRequest) -> Result<()> {
        crate::privacy::check_request(scope, request)?;
        let mut s = self.write();
        if s.requests.contains_key(&request.id) {
            return Err(Error::already_exists("subject request", request.id));
        }
        s.requests.insert(request.id, request.clone());
        Ok(())
    }

    async fn update_request(&self, scope: &Scope, request: &SubjectRequest) -> Result<()> {
        crate::privacy::check_request(scope, request)?;
        let mut s = self.write();
        match s.requests.get_mut(&request.id) {
            Some(r) if r.workspace_id == scope.workspace_id => {
                *r = request.clone();
                Ok(())
            }
            _ => Err(Error::not_found("subject request", request.id)),
        }
    }

    async fn get_request(&self, scope: &Scope, id: DataSubjectRequestId) -> Result<SubjectRequest> {
        policy::check_workspace(scope, Action::RunDataSubjectRequests)?;
        self.read()
            .requests
            .get(&id)
            .filter(|r| r.workspace_id == scope.workspace_id)
            .cloned()
            .ok_or_else(|| Error::not_found("subject request", id))
    }

    async fn list_requests_before(
        &self,
        scope: &Scope,
        before: Option<closeq_core::DataSubjectRequestId>,
        limit: u32,
    ) -> Result<Vec<SubjectRequest>> {
        policy::check_workspace(scope, Action::RunDataSubjectRequests)?;
        crate::privacy::check_limit(limit)?;
        let s = self.read();
        let mut out: Vec<SubjectRequest> = s
            .requests
            .values()
            .filter(|r| r.workspace_id == scope.workspace_id && before.is_none_or(|b| r.id < b))
            .cloned()
            .collect();
        out.sort_by_key(|r| std::cmp::Reverse(r.id));
        out.truncate(limit as usize);
        Ok(out)
    }

    async fn list_requests(&self, scope: &Scope, limit: u32) -> Result<Vec<SubjectRequest>> {
        policy::check_workspace(scope, Action::RunDataSubjectRequests)?;
        crate::privacy::check_limit(limit)?;
        let s = self.read();
        let mut out: Vec<SubjectRequest> = s
            .requests
            .values()
            .filter(|r| r.workspace_id == scope.workspace_id)
            .cloned()
            .collect();
        out.sort_by_key(|r| std::cmp::Reverse((r.received_at, r.id)));
        out.truncate(limit as usize);
        Ok(out)
    }

    async fn set_subject_flags(
        &self,
        scope: &Scope,
        subject: &Subject,
        flags: SubjectFlags,
    ) -> Result<()> {
        policy::check_workspace(scope, Action::RunDataSubjectRequests)?;
        let key = (scope.workspace_id, self.hasher.hash(subject)?);
        let flags = flags.normalized();
        let mut s = self.write();
        if flags == SubjectFlags::default() {
            s.subject_flags.remove(&key);
        } else {
            s.subject_flags.insert(key, flags);
        }
        Ok(())
    }

    async fn subject_flags(&self, scope: &Scope, subjects: &[Subject]) -> Result<SubjectFlags> {
        let mut keys = Vec::with_capacity(subjects.len());
        for subject in subjects {
            keys.push((scope.workspace_id, self.hasher.hash(subject)?));
        }
        let s = self.read();
        Ok(keys
            .iter()
            .filter_map(|k| s.subject_flags.get(k))
            .fold(SubjectFlags::default(), |a, b| a.union(*b)))
    }

    async fn put_consent(&self, scope: &Scope, record: &ConsentRecord) -> Result<()> {
        let mut s = self.write();
        s.call_for(scope, record.call_id, Action::UploadCall)?;
        if let Some(stored) = s.consents.get(&record.call_id) {
            crate::policy::check_consent_replacement(scope, stored, record)?;
        }
        s.consents.insert(record.call_id, record.clone());
        Ok(())
    }

    async fn get_consent(&self, scope: &Scope, call: CallId) -> Result<Option<ConsentRecord>> {
        let s = self.read();
        s.call_for(scope, call, Action::ViewCall)?;
        Ok(s.consents.get(&call).cloned())
    }
}
