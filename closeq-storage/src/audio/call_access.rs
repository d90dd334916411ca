//! How [`ObjectAudioStore`] ties objects to calls: the key names the call,
//! the call (as stored, read with the acting scope) decides who may do
//! what, the gate decides whether a recording may be served, and uploads
//! land only on free keys.

use closeq_core::ports::key_belongs_to;
use closeq_core::{Action, Call, CallId, Error, Result, Scope, WorkspaceId, access};
use object_store::path::Path;

use super::{ObjectAudioStore, storage};

impl ObjectAudioStore {
    /// The object path of `key` of `call` in the scope's workspace;
    /// `InvalidInput` naming `key` for a key that is not the call's.
    pub(super) fn object(&self, scope: &Scope, call: CallId, key: &str) -> Result<Path> {
        let path = Self::path(scope.workspace_id, key)?;
        if !key_belongs_to(key, call) {
            return Err(Error::invalid(
                "key",
                "must be calls/<call id>.<ext> or calls/<call id>/<name> of the call given",
            ));
        }
        Ok(path)
    }

    /// The stored call, if `scope` sees it (else `NotFound`) and may take
    /// `action` on it (else `Forbidden`).
    pub(super) async fn stored_call(
        &self,
        scope: &Scope,
        call: CallId,
        action: Action,
    ) -> Result<Call> {
        let c = self.calls.get_call(scope, call).await?;
        access::check(
            scope,
            action,
            scope.relation_to_call(c.workspace_id, c.rep_id, c.team_id),
        )?;
        Ok(c)
    }

    /// Checks `upload_call` on the stored call, or, for a call not stored
    /// yet (the pipeline stores the recording first), on `call` as given.
    pub(super) async fn may_upload(&self, scope: &Scope, call: &Call) -> Result<()> {
        match self.stored_call(scope, call.id, Action::UploadCall).await {
            Ok(_) => Ok(()),
            Err(Error::NotFound { .. }) => {
                if call.workspace_id != scope.workspace_id {
                    return Err(Error::not_found("call", call.id));
                }
                call.validate()?;
                access::check(
                    scope,
                    Action::UploadCall,
                    scope.relation_to_call(call.workspace_id, call.rep_id, call.team_id),
                )
            }
            Err(e) => Err(e),
        }
    }

    /// Checks that recording `key` of `call` may be served to `scope`: the
    /// scope may view the call, the call holds `key` as its recording (an
    /// erased or expired recording is `NotFound`), and the gate agrees.
    pub(super) async fn may_serve(&self, scope: &Scope, call: CallId, key: &str) -> Result<()> {
        let c = self.stored_call(scope, call, Action::ViewCall).await?;
        if c.audio.as_ref().is_none_or(|a| a.key != key) {
            return Err(Error::not_found("call audio", call));
        }
        if let Some(gate) = &self.gate {
            gate.check_serve(scope.workspace_id, call, key).await?;
        }
        Ok(())
    }

    /// Whether an object exists at `path`.
    pub(super) async fn head(&self, path: &Path) -> Result<bool> {
        match self.store.head(path).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(storage(self.name, "exists", e)),
        }
    }

    /// A fresh staging path for an upload in `ws` (outside every call's
    /// keys, so never served).
    pub(super) fn staging(ws: WorkspaceId) -> Result<Path> {
        Path::parse(format!("workspaces/{ws}/staging/{}", uuid::Uuid::now_v7()))
            .map_err(|_| Error::invalid("key", "not a valid object path"))
    }

    /// Moves a finished upload from `staging` to `path` unless `path` is
    /// taken (`AlreadyExists`). Where the backend cannot copy conditionally
    /// (S3 without a configured conditional copy), the key is checked just
    /// before the copy instead.
    pub(super) async fn place(&self, staging: &Path, path: &Path) -> Result<()> {
        match self.store.copy_if_not_exists(staging, path).await {
            Ok(()) => Ok(()),
            Err(object_store::Error::NotImplemented)
            | Err(object_store::Error::NotSupported { .. }) => {
                if self.head(path).await? {
                    return Err(Error::already_exists("audio object", "key"));
                }
                self.store
                    .copy(staging, path)
                    .await
                    .map_err(|e| storage(self.name, "put", e))
            }
            Err(e) => Err(storage(self.name, "put", e)),
        }
    }
}
