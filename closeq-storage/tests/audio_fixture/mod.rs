//! Shared setup for the audio suites: calls in a memory store (the audio
//! store applies their access policy), recordings put and held by them.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use bytes::Bytes;
use closeq_core::ports::{AudioStore, ByteStream, CallStore};
use closeq_core::testing::{Stores, World};
use closeq_core::{AudioRef, Call, Scope};
use closeq_storage::{InMemoryStore, SubjectHasher};
use futures::StreamExt;

/// A memory store with one world in it.
pub struct Fx {
    pub store: Arc<InMemoryStore>,
    pub stores: Stores,
    pub w: World,
}

impl Fx {
    pub async fn new() -> Self {
        let store = Arc::new(InMemoryStore::new(SubjectHasher::new([4; 32], "44")));
        let stores = Stores::of(store.clone());
        let w = World::create(&stores).await;
        Self { store, stores, w }
    }

    /// The call store, for building audio stores.
    pub fn calls(&self) -> Arc<dyn CallStore> {
        self.store.clone()
    }

    /// A new stored call of `rep` (a scope of the world), in `rep`'s team.
    pub async fn call(&self, rep: &Scope) -> Call {
        let team = rep.team_ids.iter().next().copied();
        let c = self.w.call(rep, team, 1);
        self.stores.calls.insert_call(rep, &c).await.unwrap();
        c
    }

    /// Puts a recording for `call` under `calls/<id>.<ext>` and makes the
    /// call hold it.
    pub async fn record(
        &self,
        audio: &dyn AudioStore,
        scope: &Scope,
        call: &mut Call,
        ext: &str,
        body: ByteStream,
    ) -> AudioRef {
        let r = audio
            .put(scope, call, &key(call, ext), "audio/wav", body)
            .await
            .unwrap();
        call.audio = Some(r.clone());
        self.stores.calls.update_call(scope, call).await.unwrap();
        r
    }
}

/// The key of `call`'s recording with extension `ext`.
pub fn key(call: &Call, ext: &str) -> String {
    format!("calls/{}.{ext}", call.id)
}

/// `total` bytes in chunks of `chunk`.
pub fn body(total: usize, chunk: usize) -> ByteStream {
    let chunks: Vec<closeq_core::Result<Bytes>> = (0..total.div_ceil(chunk))
        .map(|i| {
            Ok(Bytes::from(vec![
                (i % 251) as u8;
                chunk.min(total - i * chunk)
            ]))
        })
        .collect();
    Box::pin(futures::stream::iter(chunks))
}

/// One byte value repeated `n` times.
pub fn filled(byte: u8, n: usize) -> ByteStream {
    Box::pin(futures::stream::iter(vec![Ok(Bytes::from(vec![byte; n]))]))
}

pub async fn read_all(s: ByteStream) -> Vec<u8> {
    s.fold(Vec::new(), |mut acc, c| async move {
        acc.extend_from_slice(&c.unwrap());
        acc
    })
    .await
}

/// A fresh, empty bucket on the S3 stand-in at `endpoint` (moto accepts
/// any credentials), as an `object_store` client.
#[cfg(feature = "audio-s3")]
pub async fn fresh_bucket(endpoint: &str) -> object_store::aws::AmazonS3 {
    let bucket = format!("closeq-{}", uuid::Uuid::new_v4().simple());
    let r = reqwest::Client::new()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "create bucket: {}", r.status());
    object_store::aws::AmazonS3Builder::new()
        .with_endpoint(endpoint)
        .with_bucket_name(&bucket)
        .with_region("us-east-1")
        .with_access_key_id("testing")
        .with_secret_access_key("testing")
        .with_allow_http(true)
        .with_virtual_hosted_style_request(false)
        .build()
        .unwrap()
}
