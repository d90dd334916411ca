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

async fn store(calls: Arc<dyn CallStore>) -> Option<(ObjectAudioStore, String)> {
    let endpoint = required_service_url("CLOSEQ_TEST_S3_ENDPOINT")?;
    let s3 = audio_fixture::fresh_bucket(&endpoint).await;
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

/// What botocore (the AWS SDK for Python, an independent SigV4
/// implementation) presigns for a `PUT` of `base` carrying
/// `If-None-Match: *`, at `date` (`YYYYMMDDTHHMMSSZ`), for `expires`
/// seconds; `None` (after a visible SKIPPED line) where botocore is
/// missing outside CI.
fn botocore_presigned_put(base: &str, date: &str, expires: u64) -> Option<String> {
    const SCRIPT: &str = r#"
import datetime, sys
from unittest import mock
import botocore.auth
from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
url, date, expires = sys.argv[1], sys.argv[2], int(sys.argv[3])
at = datetime.datetime.strptime(date, "%Y%m%dT%H%M%SZ")
with mock.patch.object(botocore.auth, "get_current_datetime", return_value=at):
    req = AWSRequest(method="PUT", url=url, headers={"If-None-Match": "*"})
    S3SigV4QueryAuth(Credentials("testing", "testing"), "s3", "us-east-1", expires=expires).add_auth(req)
print(req.url)
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", SCRIPT, base, date, &expires.to_string()])
        .output();
    match out {
        Ok(o) if o.status.success() => Some(String::from_utf8(o.stdout).unwrap().trim().to_owned()),
        other => {
            let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
            assert!(
                !ci,
                "botocore (python3, installed with moto) failed: {other:?}"
            );
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr().lock(),
                "SKIPPED (no botocore: pip install botocore)"
            );
            None
        }
    }
}

/// The query of `url` as sorted (name, value) pairs.
fn query_of(url: &str) -> Vec<(String, String)> {
    let mut q: Vec<(String, String)> = reqwest::Url::parse(url)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    q.sort();
    q
}

/// An upload URL signs `If-None-Match: *` exactly as AWS's own SDK does,
/// so S3 refuses an upload that leaves the header out (the signature no
/// longer matches) and, with it, one over an existing recording (412).
/// moto does not verify signatures, so the signature is checked against
/// botocore's for the same request.
#[tokio::test]
async fn upload_urls_sign_if_none_match_as_botocore_does() {
    let fx = Fx::new().await;
    let Some((_, endpoint)) = store(fx.calls()).await else {
        return;
    };
    let at = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 3, 2, 9, 0, 0).unwrap();
    let clock = Arc::new(closeq_core::ManualClock::new(at));
    let s3 = audio_fixture::fresh_bucket(&endpoint).await;
    let store = ObjectAudioStore::s3(s3, clock, fx.calls());
    let call = fx.call(&fx.w.rep_a).await;
    let k = audio_fixture::key(&call, "wav");
    let url = store
        .signed_url(
            &fx.w.rep_a,
            call.id,
            &k,
            SignedMethod::Put,
            Duration::from_secs(600),
        )
        .await
        .unwrap();
    assert_eq!(
        url.required_headers,
        vec![("If-None-Match".to_owned(), "*".to_owned())]
    );
    let url = url.url.expose().clone();
    let base = &url[..url.find('?').unwrap()];
    let Some(reference) = botocore_presigned_put(base, "20260302T090000Z", 600) else {
        return;
    };
    assert_eq!(query_of(&url), query_of(&reference));
    assert!(query_of(&url).contains(&("X-Amz-SignedHeaders".into(), "host;if-none-match".into())));
    // And the URL works: the first upload with the header lands.
    let (name, value) = closeq_storage::UPLOAD_CONDITION;
    let r = reqwest::Client::new()
        .put(&url)
        .header(name, value)
        .body(vec![1u8; 16])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
}

#[tokio::test]
async fn a_prefix_keeps_every_object_and_presigned_url_under_it() {
    let fx = Fx::new().await;
    let Some(endpoint) = required_service_url("CLOSEQ_TEST_S3_ENDPOINT") else {
        return;
    };
    let s3 = audio_fixture::fresh_bucket(&endpoint).await;
    let raw: Arc<dyn object_store::ObjectStore> = Arc::new(s3.clone());
    let spare = s3.clone();
    let store =
        ObjectAudioStore::s3_with_prefix(s3, "/team-a/closeq/", Arc::new(SystemClock), fx.calls())
            .unwrap();
    let a = fx.w.rep_a.clone();
    let mut call = fx.call(&a).await;
    let k = format!("calls/{}.mp3", call.id);
    call.audio = Some(
        store
            .put(&a, &call, &k, "audio/mpeg", body(1000))
            .await
            .unwrap(),
    );
    fx.stores.calls.update_call(&a, &call).await.unwrap();
    // The bucket holds the object under the prefix, and nothing else.
    let listed: Vec<_> = raw
        .list(None)
        .map(|m| m.unwrap().location.to_string())
        .collect()
        .await;
    assert_eq!(
        listed,
        vec![format!("team-a/closeq/workspaces/{}/{k}", a.workspace_id)]
    );
    assert!(store.exists(&a, call.id, &k).await.unwrap());
    // A presigned GET names the prefixed object and fetches it.
    let url = store
        .signed_url(&a, call.id, &k, SignedMethod::Get, Duration::from_secs(60))
        .await
        .unwrap();
    let url = url.url.expose().clone();
    assert!(url.contains("/team-a/closeq/workspaces/"), "unprefixed URL");
    let resp = reqwest::get(&url).await.unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    assert_eq!(resp.bytes().await.unwrap().len(), 1000);
    for bad in ["a/../b", "a//b", "a b"] {
        assert!(matches!(
            ObjectAudioStore::s3_with_prefix(spare.clone(), bad, Arc::new(SystemClock), fx.calls()),
            Err(Error::InvalidInput { .. })
        ));
    }
}
