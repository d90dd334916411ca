//! Audio in an S3-compatible store, against a local S3 server (moto, started
//! by scripts/test), with real presigned URLs fetched over HTTP. (The
//! stand-in does not check signatures; S3 itself does. Signature tampering
//! is tested on the HMAC signer, tests/audio.rs.)
#![cfg(feature = "audio-s3")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use closeq_core::ports::{AudioStore, ByteStream, SignedMethod};
use closeq_core::testing::required_service_url;
use closeq_core::{Error, Role, Scope, SystemClock, UserId, WorkspaceId};
use closeq_storage::ObjectAudioStore;
use futures::StreamExt;
use object_store::aws::AmazonS3Builder;

async fn store() -> Option<(ObjectAudioStore, String)> {
    let endpoint = required_service_url("CLOSEQ_TEST_S3_ENDPOINT")?;
    let bucket = format!("closeq-{}", uuid::Uuid::new_v4().simple());
    // Create the bucket (moto accepts any credentials).
    let r = reqwest::Client::new()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "create bucket: {}", r.status());
    let s3 = AmazonS3Builder::new()
        .with_endpoint(&endpoint)
        .with_bucket_name(&bucket)
        .with_region("us-east-1")
        .with_access_key_id("testing")
        .with_secret_access_key("testing")
        .with_allow_http(true)
        .with_virtual_hosted_style_request(false)
        .build()
        .unwrap();
    Some((ObjectAudioStore::s3(s3, Arc::new(SystemClock)), endpoint))
}

fn body(total: usize) -> ByteStream {
    let chunks: Vec<closeq_core::Result<Bytes>> = (0..total.div_ceil(1 << 20))
        .map(|i| {
            Ok(Bytes::from(vec![
                i as u8;
                (1usize << 20).min(total - (i << 20))
            ]))
        })
        .collect();
    Box::pin(futures::stream::iter(chunks))
}

#[tokio::test]
async fn s3_round_trip_namespacing_and_presigned_urls() {
    let Some((store, _)) = store().await else {
        return;
    };
    let a = Scope::new(WorkspaceId::new(), UserId::new(), Role::Member);
    let b = Scope::new(WorkspaceId::new(), UserId::new(), Role::Member);
    let total = 11 * 1024 * 1024;
    let r = store
        .put(&a, "calls/x.mp3", "audio/mpeg", body(total))
        .await
        .unwrap();
    assert_eq!(r.size_bytes, total as u64);
    let got: usize = store
        .get(&a, "calls/x.mp3")
        .await
        .unwrap()
        .map(|c| c.unwrap().len())
        .fold(0, |x, y| async move { x + y })
        .await;
    assert_eq!(got, total);
    assert!(!store.exists(&b, "calls/x.mp3").await.unwrap());
    // A presigned GET works over plain HTTP; a tampered one is refused by S3.
    let url = store
        .signed_url(
            &a,
            "calls/x.mp3",
            SignedMethod::Get,
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    let url = url.url.expose().clone();
    let resp = reqwest::get(&url).await.unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    assert_eq!(resp.bytes().await.unwrap().len(), total);
    // moto does not verify signatures (its auth is off by default), so
    // tampering is not tested here; the URL must carry a SigV4 signature
    // and the asked lifetime.
    assert!(
        url.contains("X-Amz-Signature=") && url.contains("X-Amz-Expires=60"),
        "not a SigV4 presigned URL"
    );
    assert!(matches!(
        store
            .signed_url(
                &a,
                "calls/x.mp3",
                SignedMethod::Get,
                Duration::from_secs(7200)
            )
            .await,
        Err(Error::InvalidInput { .. })
    ));
    store.delete(&a, "calls/x.mp3").await.unwrap();
    store.delete(&a, "calls/x.mp3").await.unwrap();
    assert!(!store.exists(&a, "calls/x.mp3").await.unwrap());
}
