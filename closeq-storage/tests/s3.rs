//! Audio in an S3-compatible store, against a local S3 server (moto, started
//! by scripts/test), with real presigned URLs fetched over HTTP. (The
//! stand-in does not check signatures; S3 itself does. Signature tampering
//! is tested on the HMAC signer, tests/audio.rs.)
#![cfg(feature = "audio-s3")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
mod audio_fixture;

use audio_fixture::Fx;
use closeq_core::ports::{AudioStore, ByteStream, CallStore, SignedMethod};
use closeq_core::testing::required_service_url;
use closeq_core::{Error, SystemClock};
use closeq_storage::ObjectAudioStore;
use futures::StreamExt;
use object_store::aws::AmazonS3Builder;

async fn store(calls: Arc<dyn CallStore>) -> Option<(ObjectAudioStore, String)> {
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
    Some((
        ObjectAudioStore::s3(s3, Arc::new(SystemClock), calls),
        endpoint,
    ))
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
    let fx = Fx::new().await;
    let Some((store, _)) = store(fx.calls()).await else {
        return;
    };
    let a = fx.w.rep_a.clone();
    let b = closeq_core::testing::World::create(&fx.stores).await.owner;
    let mut call = fx.call(&a).await;
    let k = format!("calls/{}.mp3", call.id);
    let total = 11 * 1024 * 1024;
    let r = store
        .put(&a, &call, &k, "audio/mpeg", body(total))
        .await
        .unwrap();
    assert_eq!(r.size_bytes, total as u64);
    call.audio = Some(r);
    fx.stores.calls.update_call(&a, &call).await.unwrap();
    // Never overwritten.
    assert!(matches!(
        store.put(&a, &call, &k, "audio/mpeg", body(10)).await,
        Err(Error::AlreadyExists { .. })
    ));
    let got: usize = store
        .get(&a, call.id, &k)
        .await
        .unwrap()
        .map(|c| c.unwrap().len())
        .fold(0, |x, y| async move { x + y })
        .await;
    assert_eq!(got, total);
    assert!(matches!(
        store.exists(&b, call.id, &k).await,
        Err(Error::NotFound { .. })
    ));
    // A presigned GET works over plain HTTP.
    let url = store
        .signed_url(&a, call.id, &k, SignedMethod::Get, Duration::from_secs(60))
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
                call.id,
                &k,
                SignedMethod::Get,
                Duration::from_secs(7200)
            )
            .await,
        Err(Error::InvalidInput { .. })
    ));
    store.delete(&a, call.id, &k).await.unwrap();
    store.delete(&a, call.id, &k).await.unwrap();
    assert!(!store.exists(&a, call.id, &k).await.unwrap());
}
