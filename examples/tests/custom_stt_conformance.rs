//! The template adapter passes the speech-to-text conformance suite, with
//! a local stand-in for the WebVTT server that answers with the sample
//! call's reference turns.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use closeq_examples::custom_stt::VttServerStt;
use closeq_stt::samples::SAMPLE_CALLS;
use closeq_stt::testing::sample_call_fixture;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn vtt_of_reference() -> String {
    let r = SAMPLE_CALLS[0].reference();
    let ts = |ms: u64| format!("{:02}:{:02}.{:03}", ms / 60_000, ms / 1000 % 60, ms % 1000);
    let mut out = String::from("WEBVTT\n\n");
    for t in &r.turns {
        let voice = if t.channel == r.rep_channel {
            "Rep"
        } else {
            "Client"
        };
        out.push_str(&format!(
            "{} --> {}\n<v {voice}>{}\n\n",
            ts(t.start_ms),
            ts(t.end_ms),
            t.text
        ));
    }
    out
}

async fn server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/transcribe"))
        .respond_with(ResponseTemplate::new(200).set_body_string(vtt_of_reference()))
        .mount(&server)
        .await;
    server
}

mod conformance {
    use super::*;

    async fn make() -> VttServerStt {
        // Kept alive for the rest of the test process.
        let server: &'static MockServer = Box::leak(Box::new(server().await));
        VttServerStt::new(server.uri())
    }

    closeq_core::stt_conformance!(
        make = std::sync::Arc::new(make().await),
        fixture = sample_call_fixture(&SAMPLE_CALLS[0], 0.05)
    );
}
