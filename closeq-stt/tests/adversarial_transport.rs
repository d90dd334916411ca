//! Cleartext transport: a speech-to-text adapter configured with an
//! `http://` base URL sent the call audio and the provider key unencrypted
//! to any host. Now only `https://` is accepted, or `http://` to a loopback
//! address; the error names the setting (the builder's `base_url`, or the
//! environment variable `from_env` read).
#![cfg(all(
    feature = "stt-openai",
    feature = "stt-deepgram",
    feature = "stt-assemblyai"
))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use closeq_stt::cloud::{AssemblyAiStt, DeepgramStt, OpenAiStt};

use closeq_core::testing::refused_transport_field as field_of;

const CLEARTEXT: [&str; 3] = [
    "http://api.deepgram.com",
    "http://10.1.2.3:8080/v1",
    "http://127.0.0.1@stt.evil.example",
];

#[test]
fn every_adapter_refuses_a_cleartext_base_url() {
    for url in CLEARTEXT {
        assert_eq!(field_of(DeepgramStt::new(url, "k", "nova-3")), "base_url");
        assert_eq!(field_of(OpenAiStt::new(url, "k", "whisper-1")), "base_url");
        assert_eq!(field_of(AssemblyAiStt::new(url, "k")), "base_url");
    }
}

#[test]
fn https_and_loopback_http_are_accepted() {
    for url in [
        "https://api.deepgram.com",
        "http://127.0.0.1:9000",
        "http://localhost:8000/v1",
        "http://[::1]:9000",
    ] {
        DeepgramStt::new(url, "k", "nova-3").unwrap();
        OpenAiStt::new(url, "k", "whisper-1").unwrap();
        AssemblyAiStt::new(url, "k").unwrap();
    }
}

/// Builds each adapter from the environment (run in a child process with
/// the variables set, since tests may not change their own environment).
#[test]
#[ignore = "run by from_env_names_the_environment_variable in a child process"]
fn child_from_env() {
    assert_eq!(
        field_of(DeepgramStt::from_env()),
        "CLOSEQ_DEEPGRAM_BASE_URL"
    );
    assert_eq!(field_of(OpenAiStt::from_env()), "CLOSEQ_OPENAI_BASE_URL");
    assert_eq!(
        field_of(AssemblyAiStt::from_env()),
        "CLOSEQ_ASSEMBLYAI_BASE_URL"
    );
}

#[test]
fn from_env_names_the_environment_variable() {
    let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", "child_from_env", "--ignored"]);
    for vendor in ["DEEPGRAM", "OPENAI", "ASSEMBLYAI"] {
        cmd.env(format!("CLOSEQ_{vendor}_API_KEY"), "k");
        cmd.env(
            format!("CLOSEQ_{vendor}_BASE_URL"),
            "http://stt.example.com",
        );
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 passed"));
}
