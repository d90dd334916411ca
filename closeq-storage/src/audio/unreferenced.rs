//! Objects no stored call holds ([`AudioStore::unreferenced`]): what a
//! failed first write or a made-up call id leaves behind, for retention.
//!
//! [`AudioStore::unreferenced`]: closeq_core::ports::AudioStore::unreferenced

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use chrono::{DateTime, Utc};
use closeq_core::ports::{UnreferencedObject, key_call};
use closeq_core::{Action, Error, Relation, Result, Scope, access};
use futures::StreamExt;
use object_store::path::Path;

use super::{ObjectAudioStore, storage};

impl ObjectAudioStore {
    pub(super) async fn list_unreferenced(
        &self,
        scope: &Scope,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<UnreferencedObject>> {
        if !access::permits(scope.role, Action::DeleteCall, Relation::OtherInWorkspace) {
            return Err(Error::Forbidden {
                action: "list unreferenced audio".into(),
                reason: "needs a scope that sees and may delete every call (owners, admins)".into(),
            });
        }
        let root = format!("workspaces/{}/", scope.workspace_id);
        let prefix = Path::parse(format!("{root}calls"))
            .map_err(|_| Error::invalid("key", "not a valid object path"))?;
        let mut listing = self.store.list(Some(&prefix));
        // The recording each call holds (`None`: no call, or none held).
        let mut held: HashMap<closeq_core::CallId, Option<String>> = HashMap::new();
        let mut found = Vec::new();
        while let Some(meta) = listing.next().await {
            if found.len() >= limit as usize {
                break;
            }
            let meta = meta.map_err(|e| storage(self.name, "list", e))?;
            if meta.last_modified >= before {
                continue;
            }
            let Some(key) = meta.location.as_ref().strip_prefix(&root) else {
                continue;
            };
            let Some(call) = key_call(key) else {
                continue;
            };
            let recording = match held.entry(call) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(e) => {
                    let recording = match self.calls.get_call(scope, call).await {
                        Ok(c) => c.audio.map(|a| a.key),
                        Err(Error::NotFound { .. }) => None,
                        Err(e) => return Err(e),
                    };
                    e.insert(recording)
                }
            };
            if recording.as_deref() != Some(key) {
                found.push(UnreferencedObject {
                    call,
                    key: key.to_owned(),
                    size_bytes: meta.size,
                });
            }
        }
        Ok(found)
    }
}
