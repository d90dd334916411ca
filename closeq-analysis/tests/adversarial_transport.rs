//! Cleartext transport: a language-model adapter configured with an
//! `http://` base URL sent the transcript and the provider key unencrypted
//! to any host (the adapters accepted any `http://` URL). Now, as for the
//! speech-to-text adapters, only `https://` is accepted, or `http://` to a
//! loopback address ([`closeq_core::transport::check_remote_base_url`]);
//! the error names the setting (the builder's `base_url`, or the
//! environment variable `from_env` read). OpenAI-compatible servers
//! (Azure, Mistral, Groq, vLLM, ...) go through the OpenAI adapter.
#![cfg(all(feature = "llm-openai", feature = "llm-anthropic"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use closeq_analysis::llm::anthropic::AnthropicMessages;
use closeq_analysis::llm::openai::OpenAiChat;
use closeq_core::Error;

use closeq_core::testing::refused_transport_field as field_of;

const CLEARTEXT: [&str; 5] = [
    "http://api.openai.com/v1",
    "http://api.anthropic.com",
    "http://10.1.2.3:8080/v1",
    "http://127.0.0.1@llm.evil.example/v1",
    "http://localhost.evil.example/v1",
];

#[test]
fn every_adapter_refuses_a_cleartext_base_url() {
    for url in CLEARTEXT {
        assert_eq!(
            field_of(OpenAiChat::new(url, "k", "gpt-4o-mini")),
            "base_url"
        );
        assert_eq!(
            field_of(AnthropicMessages::new(url, "k", "claude-sonnet-4")),
            "base_url"
        );
    }
    for url in ["ftp://api.openai.com", "file:///etc/passwd", "not a url"] {
        assert!(matches!(
            OpenAiChat::new(url, "k", "m"),
            Err(Error::InvalidInput { .. })
        ));
        assert!(matches!(
            AnthropicMessages::new(url, "k", "m"),
            Err(Error::InvalidInput { .. })
        ));
    }
}

#[test]
fn https_and_loopback_http_are_accepted() {
    for url in [
        "https://api.openai.com/v1",
        "https://eu1.openai.azure.com/openai/v1",
        "http://127.0.0.1:8080/v1",
        "http://localhost:11434/v1",
        "http://[::1]:9000",
    ] {
        OpenAiChat::new(url, "k", "gpt-4o-mini").unwrap();
        AnthropicMessages::new(url, "k", "claude-sonnet-4").unwrap();
    }
}

/// Builds each adapter from the environment (run in a child process with
/// the variables set, since tests may not change their own environment).
#[test]
#[ignore = "run by from_env_names_the_environment_variable in a child process"]
fn child_from_env() {
    assert_eq!(
        field_of(OpenAiChat::from_env_with_model("gpt-4o-mini")),
        "CLOSEQ_OPENAI_BASE_URL"
    );
    assert_eq!(
        field_of(AnthropicMessages::from_env_with_model("claude-sonnet-4")),
        "CLOSEQ_ANTHROPIC_BASE_URL"
    );
}

#[test]
fn from_env_names_the_environment_variable() {
    let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", "child_from_env", "--ignored"]);
    for vendor in ["OPENAI", "ANTHROPIC"] {
        cmd.env(format!("CLOSEQ_{vendor}_API_KEY"), "k");
        cmd.env(
            format!("CLOSEQ_{vendor}_BASE_URL"),
            "http://llm.example.com/v1",
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
