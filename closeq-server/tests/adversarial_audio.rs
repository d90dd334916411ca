//! Signed audio over HTTP: a URL issued for a call's recording serves it
//! whole and by byte range (first bytes, middle, suffix, unsatisfiable),
//! with its content type; a tampered, expired, erased-call or restricted
//! subject's URL gets one uniform refusal; a rep who may not see the call
//! gets no URL (404).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use closeq_core::ports::{CallStore, PrivacyStore};
use closeq_core::{CallId, Subject, SubjectFlags};
use closeq_stt::samples::SAMPLE_CALLS;
use serde_json::Value;
use support::{Server, start};

const RECORDING: &[u8] = SAMPLE_CALLS[0].audio;

async fn issue(s: &Server, who: &str, call: &str) -> (u16, Value) {
    let r = s
        .http
        .post(s.url(&format!("/v1/calls/{call}/audio-url")))
        .bearer_auth(s.key(who))
        .send()
        .await
        .unwrap();
    let st = r.status().as_u16();
    (st, r.json().await.unwrap())
}

async fn fetch(s: &Server, url: &str, range: Option<&str>) -> reqwest::Response {
    let mut req = s.http.get(url);
    if let Some(r) = range {
        req = req.header("range", r);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn a_signed_url_serves_the_recording_whole_and_by_range() {
    let s = start().await;
    let call = s.upload_recording().await;
    let (st, v) = issue(&s, "rep_a", &call).await;
    assert_eq!(st, 201, "{v}");
    let url = v["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with(&s.url("/v1/audio/")), "{url}");
    let n = RECORDING.len();

    let r = fetch(&s, &url, None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "audio/ogg");
    assert_eq!(r.headers()["accept-ranges"], "bytes");
    assert_eq!(r.bytes().await.unwrap().as_ref(), RECORDING);

    for (range, want) in [
        ("bytes=0-9".to_owned(), 0..10),
        (
            format!("bytes={}-{}", n / 2, n / 2 + 99),
            n / 2..n / 2 + 100,
        ),
        ("bytes=-64".to_owned(), n - 64..n),
        (format!("bytes={}-", n - 5), n - 5..n),
    ] {
        let r = fetch(&s, &url, Some(&range)).await;
        assert_eq!(r.status(), 206, "{range}");
        assert_eq!(
            r.headers()["content-range"],
            format!("bytes {}-{}/{n}", want.start, want.end - 1).as_str(),
            "{range}"
        );
        assert_eq!(
            r.bytes().await.unwrap().as_ref(),
            &RECORDING[want],
            "{range}"
        );
    }
    let r = fetch(&s, &url, Some(&format!("bytes={n}-"))).await;
    assert_eq!(r.status(), 416);
    assert_eq!(
        r.headers()["content-range"],
        format!("bytes */{n}").as_str()
    );
    // Several ranges are not served piecemeal: the whole recording.
    let r = fetch(&s, &url, Some("bytes=0-1,5-6")).await;
    assert_eq!(r.status(), 200);

    // A rep who may not see the call gets no URL, as for a missing call.
    let (st, _) = issue(&s, "rep_b", &call).await;
    assert_eq!(st, 404);
    let (st, _) = issue(&s, "other_owner", &call).await;
    assert_eq!(st, 404);
}

#[tokio::test]
async fn tampered_expired_restricted_and_erased_urls_get_one_uniform_refusal() {
    let s = start().await;
    let call = s.upload_recording().await;
    let url = issue(&s, "rep_a", &call).await.1["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let refusal = |r: reqwest::Response| async move {
        let st = r.status().as_u16();
        (st, r.text().await.unwrap())
    };

    // Tampered: one character of the signature, and of the claims.
    let mut sig = url.clone().into_bytes();
    let last = sig.len() - 1;
    sig[last] = if sig[last] == b'A' { b'B' } else { b'A' };
    let tampered_sig = refusal(fetch(&s, &String::from_utf8(sig).unwrap(), None).await).await;
    let cut = url.find("/v1/audio/").unwrap() + "/v1/audio/".len();
    let mut claims = url.clone().into_bytes();
    claims[cut + 3] = if claims[cut + 3] == b'x' { b'y' } else { b'x' };
    let tampered_claims = refusal(fetch(&s, &String::from_utf8(claims).unwrap(), None).await).await;
    assert_eq!(tampered_sig.0, 403);
    assert_eq!(tampered_sig, tampered_claims);

    // Restricted: the client asked to restrict processing (GDPR Art. 18).
    let client =
        Subject::Email(closeq_core::EmailAddress::parse("jane.client@example.com").unwrap());
    let flags = |restricted| SubjectFlags {
        restricted,
        objected: false,
        legal_hold: false,
    };
    s.store
        .set_subject_flags(&s.w.admin, &client, flags(true))
        .await
        .unwrap();
    let restricted = refusal(fetch(&s, &url, None).await).await;
    assert_eq!(restricted, tampered_sig);
    s.store
        .set_subject_flags(&s.w.admin, &client, flags(false))
        .await
        .unwrap();
    assert_eq!(
        fetch(&s, &url, None).await.status(),
        200,
        "served again once lifted"
    );

    // Expired: 15 minutes later.
    s.clock.advance(chrono::Duration::minutes(16));
    let expired = refusal(fetch(&s, &url, None).await).await;
    assert_eq!(expired, tampered_sig);

    // Erased: the call deleted, a fresh URL issued before.
    s.clock.advance(chrono::Duration::minutes(-16));
    let fresh = issue(&s, "rep_a", &call).await.1["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let id: CallId = call.parse().unwrap();
    s.store.delete_call(&s.w.owner, id).await.unwrap();
    let erased = refusal(fetch(&s, &fresh, None).await).await;
    assert_eq!(erased, tampered_sig);
    // Nothing about the token or the call in the refusal.
    assert!(!erased.1.contains(&call));
}
