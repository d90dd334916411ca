//! The transport rule for remote processors' base URLs, against URLs built
//! to look local or secure while sending call data elsewhere in clear.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use closeq_core::Error;
use closeq_core::transport::{check_remote_base_url, is_secure_remote_base_url};

#[test]
fn https_anywhere_and_http_only_to_loopback() {
    for ok in [
        "https://api.deepgram.com",
        "https://api.eu.deepgram.com/",
        "https://api.openai.com/v1",
        "HTTPS://API.OPENAI.COM/v1",
        "https://10.0.0.5:8443/v1",
        "http://127.0.0.1:8080",
        "http://127.1.2.3/v1",
        "http://127.1",
        "http://0x7f.1",
        "http://2130706433/",
        "http://[::1]:11434/v1",
        "http://[::ffff:127.0.0.1]/",
        "http://localhost:11434/v1",
        "http://LocalHost/",
        "  https://api.assemblyai.com  ",
    ] {
        assert!(is_secure_remote_base_url(ok), "{ok} must be accepted");
    }
}

#[test]
fn cleartext_to_anything_but_loopback_is_refused() {
    for bad in [
        "http://api.deepgram.com",
        "http://10.0.0.5:8080",
        "http://192.168.1.10/v1",
        "http://0.0.0.0:8080",
        "http://[::]/",
        "http://128.0.0.1",
        // Looks local, is not.
        "http://localhost.evil.example/",
        "http://127.0.0.1.nip.io/",
        "http://127.0.0.1@evil.example/",
        "http://localhost:80@evil.example/",
        "http://evil.example/http://127.0.0.1/",
        "http://evil.example#@127.0.0.1",
        "http://[::ffff:10.0.0.1]/",
        "http://sub.localhost/",
        // Not HTTP(S) at all.
        "ftp://127.0.0.1/",
        "ws://127.0.0.1/",
        "file:///etc/passwd",
        "api.deepgram.com",
        "//api.deepgram.com",
        "",
        "https://",
    ] {
        assert!(!is_secure_remote_base_url(bad), "{bad} must be refused");
    }
}

#[test]
fn the_error_names_the_setting_and_never_repeats_the_url() {
    let url = "http://user:s3cret-token@api.example.com/v1";
    match check_remote_base_url("CLOSEQ_OPENAI_BASE_URL", url) {
        Err(Error::InvalidInput { field, reason }) => {
            assert_eq!(field, "CLOSEQ_OPENAI_BASE_URL");
            assert!(reason.contains("https://"), "{reason}");
            assert!(!reason.contains("s3cret") && !reason.contains("example"));
        }
        other => panic!("{other:?}"),
    }
}
