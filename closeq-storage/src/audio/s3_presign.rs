//! S3 presigned upload URLs that cannot replace a recording.
//!
//! A presigned `PUT` signs only `host` by default (so does `object_store`'s
//! signer), and S3 then accepts it over an existing object for as long as
//! the URL lives. Here the URL also signs the header `If-None-Match: *`
//! (AWS Signature Version 4, query-string form): S3 recomputes the
//! signature from the headers the request carries, so an upload without
//! that header is refused as a signature mismatch, and one with it is
//! refused (`412 Precondition Failed`) once the key holds an object — S3's
//! conditional writes. The uploader must send `If-None-Match: *`.
//!
//! The endpoint, bucket, path style and region are the ones
//! `object_store` presigns for (read back from its URL), so both agree on
//! where the object lives.

use std::time::Duration;

use chrono::{DateTime, Utc};
use closeq_core::{Error, Result};
use hmac::{Hmac, Mac};
use object_store::aws::AmazonS3;
use object_store::path::Path;
use object_store::signer::Signer;
use sha2::{Digest, Sha256};

use super::storage;

/// The header every upload through the URL must carry.
pub const UPLOAD_CONDITION: (&str, &str) = ("If-None-Match", "*");

/// A presigned `PUT` URL for `path`, valid for `ttl` from `now`, that
/// signs `If-None-Match: *` besides `host`.
pub(super) async fn put_if_absent_url(
    s3: &AmazonS3,
    path: &Path,
    ttl: Duration,
    now: DateTime<Utc>,
) -> Result<String> {
    let plain = s3
        .signed_url(http::Method::PUT, path, ttl)
        .await
        .map_err(|e| storage("s3", "signed_url", e))?;
    let unexpected = || Error::storage("s3", "signed_url", "unexpected presigned URL", false);
    let region = plain
        .query_pairs()
        .find(|(k, _)| k == "X-Amz-Credential")
        // key id / date / region / service / aws4_request: counted from
        // the end, whatever the key id holds.
        .and_then(|(_, v)| v.rsplit('/').nth(2).map(str::to_owned))
        .ok_or_else(unexpected)?;
    let host = plain.host_str().ok_or_else(unexpected)?;
    let host = match plain.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_owned(),
    };
    // Parameters object_store adds besides the signature's own (a
    // requester-pays flag) are kept, and signed.
    let extra: Vec<(String, String)> = plain
        .query_pairs()
        .filter(|(k, _)| !k.starts_with("X-Amz-"))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let credential = s3
        .credentials()
        .get_credential()
        .await
        .map_err(|e| storage("s3", "signed_url", e))?;
    let request = PresignRequest {
        method: "PUT",
        host: &host,
        path: plain.path(),
        region: &region,
        key_id: &credential.key_id,
        secret: &credential.secret_key,
        token: credential.token.as_deref(),
        headers: &[("if-none-match", UPLOAD_CONDITION.1)],
        extra_query: &extra,
        now,
        ttl,
    };
    let query = request.signed_query();
    let base = &plain.as_str()[..plain.as_str().find('?').unwrap_or(plain.as_str().len())];
    Ok(format!("{base}?{query}"))
}

/// What a SigV4 query-string signature covers.
pub(crate) struct PresignRequest<'a> {
    pub method: &'a str,
    /// `host[:port]`, as the client sends it.
    pub host: &'a str,
    /// The URI path, already percent-encoded (S3 does not encode it again).
    pub path: &'a str,
    pub region: &'a str,
    pub key_id: &'a str,
    pub secret: &'a str,
    pub token: Option<&'a str>,
    /// Headers to sign besides `host`: lowercase names, sorted.
    pub headers: &'a [(&'a str, &'a str)],
    /// Query parameters besides the signature's own.
    pub extra_query: &'a [(String, String)],
    pub now: DateTime<Utc>,
    pub ttl: Duration,
}

impl PresignRequest<'_> {
    /// The query string with its `X-Amz-Signature`.
    pub(crate) fn signed_query(&self) -> String {
        let date = self.now.format("%Y%m%dT%H%M%SZ").to_string();
        let day = &date[..8];
        let scope = format!("{day}/{}/s3/aws4_request", self.region);
        let mut names: Vec<&str> = vec!["host"];
        names.extend(self.headers.iter().map(|(n, _)| *n));
        names.sort_unstable();
        let signed_headers = names.join(";");
        let mut params = vec![
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256".to_owned()),
            ("X-Amz-Credential", format!("{}/{scope}", self.key_id)),
            ("X-Amz-Date", date.clone()),
            ("X-Amz-Expires", self.ttl.as_secs().to_string()),
            ("X-Amz-SignedHeaders", signed_headers.clone()),
        ];
        if let Some(t) = self.token {
            params.push(("X-Amz-Security-Token", t.to_owned()));
        }
        let mut encoded: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (uri_encode(k), uri_encode(v)))
            .chain(
                self.extra_query
                    .iter()
                    .map(|(k, v)| (uri_encode(k), uri_encode(v))),
            )
            .collect();
        encoded.sort();
        let query = encoded
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        let mut headers: Vec<(&str, &str)> = vec![("host", self.host)];
        headers.extend(self.headers.iter().copied());
        headers.sort_unstable();
        let canonical_headers: String = headers
            .iter()
            .map(|(n, v)| format!("{n}:{}\n", v.trim()))
            .collect();
        let canonical_request = format!(
            "{}\n{}\n{query}\n{canonical_headers}\n{signed_headers}\nUNSIGNED-PAYLOAD",
            self.method, self.path
        );
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256\n{date}\n{scope}\n{}",
            hex::encode(Sha256::digest(canonical_request.as_bytes()))
        );
        let mut key = hmac(format!("AWS4{}", self.secret).as_bytes(), day.as_bytes());
        for part in [self.region, "s3", "aws4_request"] {
            key = hmac(&key, part.as_bytes());
        }
        let signature = hex::encode(hmac(&key, string_to_sign.as_bytes()));
        format!("{query}&X-Amz-Signature={signature}")
    }
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length: `new_from_slice` cannot fail.
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(key) else {
        return Vec::new();
    };
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// SigV4's URI encoding: unreserved characters stay, every other byte is
/// `%XX` (uppercase).
fn uri_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// AWS's published example of a presigned URL ("Authenticating
    /// Requests: Using Query Parameters (AWS Signature Version 4)",
    /// Amazon S3 API Reference): GET /test.txt from examplebucket.
    #[test]
    fn matches_the_aws_documentation_example() {
        let r = PresignRequest {
            method: "GET",
            host: "examplebucket.s3.amazonaws.com",
            path: "/test.txt",
            region: "us-east-1",
            key_id: "AKIAIOSFODNN7EXAMPLE",
            secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            token: None,
            headers: &[],
            extra_query: &[],
            now: Utc.with_ymd_and_hms(2013, 5, 24, 0, 0, 0).unwrap(),
            ttl: Duration::from_secs(86400),
        };
        let q = r.signed_query();
        assert!(
            q.ends_with(
                "X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
            ),
            "{q}"
        );
    }
}
