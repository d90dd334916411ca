//! Objects no stored call holds ([`AudioStore::unreferenced`]): what a
//! failed first write, a made-up call id or an interrupted upload leaves
//! behind, for retention.
//!
//! [`AudioStore::unreferenced`]: closeq_core::ports::AudioStore::unreferenced

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use chrono::{DateTime, Utc};
use closeq_core::ports::{UnreferencedObject, key_call};
use closeq_core::{Action, CallId, Error, Relation, Result, Scope, access};
use futures::StreamExt;
use object_store::path::Path;

use super::{ObjectAudioStore, storage};

impl ObjectAudioStore {
    /// Owners and admins only: they see every call, so "no call holds it"
    /// is a fact for them, not a visibility limit.
    fn may_sweep(scope: &Scope) -> Result<()> {
        if access::permits(scope.role, Action::DeleteCall, Relation::OtherInWorkspace) {
            return Ok(());
        }
        Err(Error::Forbidden {
            action: "sweep unreferenced audio".into(),
            reason: "needs a scope that sees and may delete every call (owners, admins)".into(),
        })
    }

    /// The recording `call` holds, if the call is stored.
    async fn held(&self, scope: &Scope, call: CallId) -> Result<Option<String>> {
        match self.calls.get_call(scope, call).await {
            Ok(c) => Ok(c.audio.map(|a| a.key)),
            Err(Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub(super) async fn list_unreferenced(
        &self,
        scope: &Scope,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<UnreferencedObject>> {
        Self::may_sweep(scope)?;
        let root = format!("workspaces/{}/", scope.workspace_id);
        let mut found = Vec::new();
        for area in ["calls", "staging"] {
            let prefix = Path::parse(format!("{root}{area}"))
                .map_err(|_| Error::invalid("key", "not a valid object path"))?;
            let mut listing = self.store.list(Some(&prefix));
            // The recording each call holds (`None`: no call, or none held).
            let mut held: HashMap<CallId, Option<String>> = HashMap::new();
            while let Some(meta) = listing.next().await {
                if found.len() >= limit as usize {
                    return Ok(found);
                }
                let meta = meta.map_err(|e| storage(self.name, "list", e))?;
                if meta.last_modified >= before {
                    continue;
                }
                let Some(key) = meta.location.as_ref().strip_prefix(&root) else {
                    continue;
                };
                let call = if area == "staging" {
                    None
                } else {
                    let Some(call) = key_call(key) else {
                        continue;
                    };
                    let recording = match held.entry(call) {
                        Entry::Occupied(e) => e.into_mut(),
                        Entry::Vacant(e) => e.insert(self.held(scope, call).await?),
                    };
                    if recording.as_deref() == Some(key) {
                        continue;
                    }
                    Some(call)
                };
                found.push(UnreferencedObject {
                    call,
                    key: key.to_owned(),
                    size_bytes: meta.size,
                });
            }
        }
        Ok(found)
    }

    pub(super) async fn remove_unreferenced(
        &self,
        scope: &Scope,
        object: &UnreferencedObject,
    ) -> Result<bool> {
        Self::may_sweep(scope)?;
        let path = match object.call {
            Some(call) => {
                let path = self.object(scope, call, &object.key)?;
                // Checked again now: a call may have taken the object as
                // its recording since it was listed.
                if self.held(scope, call).await?.as_deref() == Some(object.key.as_str()) {
                    return Ok(false);
                }
                path
            }
            None => {
                let rest = object.key.strip_prefix("staging/").unwrap_or_default();
                if rest.is_empty() || rest.contains('/') || rest.contains("..") {
                    return Err(Error::invalid("key", "not a staging object"));
                }
                Path::parse(format!("workspaces/{}/{}", scope.workspace_id, object.key))
                    .map_err(|_| Error::invalid("key", "not a valid object path"))?
            }
        };
        match self.store.delete(&path).await {
            Ok(()) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(storage(self.name, "delete", e)),
        }
    }
}
