//! The cloud adapters against local wiremock servers answering in each
//! provider's documented format.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(all(
    feature = "stt-openai",
    feature = "stt-deepgram",
    feature = "stt-assemblyai"
))]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use closeq_core::ports::{AudioInput, SpeechToText, SubProcessor, TranscribeOptions};
use closeq_core::{ChannelLayout, Error, SpeakerRole};
use closeq_stt::cloud::{
    AssemblyAiJob, AssemblyAiStt, DeepgramStt, OpenAiStt, PollPolicy, RetryPolicy,
};
use wiremock::matchers::{body_string_contains, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const DEEPGRAM: &str = include_str!("../../closeq-analysis/tests/fixtures/deepgram.json");
const DEEPGRAM_MULTI: &str =
    include_str!("../../closeq-analysis/tests/fixtures/deepgram_multichannel.json");
const ASSEMBLYAI: &str = include_str!("../../closeq-analysis/tests/fixtures/assemblyai.json");
const OPENAI_VERBOSE: &str =
    include_str!("../../closeq-analysis/tests/fixtures/openai_verbose.json");
const OPENAI_DIARIZED: &str =
    include_str!("../../closeq-analysis/tests/fixtures/openai_diarized.json");
const KEY: &str = "sk-test-SECRET-0123456789";

fn audio(channels: ChannelLayout) -> AudioInput {
    let mut wav = b"RIFF\0\0\0\0WAVEfmt ".to_vec();
    wav.extend(std::iter::repeat_n(7u8, 2_000));
    AudioInput {
        data: wav.into(),
        content_type: None,
        channels,
    }
}

fn policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_secs(3),
        request_timeout: Duration::from_secs(5),
    }
}

/// Answers with each template in turn, then repeats the last.
struct Sequence {
    n: AtomicUsize,
    steps: Vec<ResponseTemplate>,
}

impl Sequence {
    fn new(steps: Vec<ResponseTemplate>) -> Self {
        Self {
            n: AtomicUsize::new(0),
            steps,
        }
    }
}

impl Respond for Sequence {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let i = self
            .n
            .fetch_add(1, Ordering::SeqCst)
            .min(self.steps.len() - 1);
        self.steps[i].clone()
    }
}

fn json(status: u16, body: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.as_bytes().to_vec(), "application/json")
}

fn assert_no_secret(e: &Error) {
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains(KEY), "the key leaked: {shown}");
    assert!(
        !shown.contains("Thanks for taking"),
        "transcript text leaked: {shown}"
    );
}

// ---------------------------------------------------------------- Deepgram

async fn deepgram(server: &MockServer) -> DeepgramStt {
    DeepgramStt::new(server.uri(), KEY, "nova-3")
        .and_then(|d| d.with_retry_policy(policy()))
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn deepgram_mono_diarizes_and_normalizes() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/listen"))
        .and(query_param("diarize", "true"))
        .and(query_param("utterances", "true"))
        .and(query_param("model", "nova-3"))
        .and(header("authorization", format!("Token {KEY}").as_str()))
        .and(header("content-type", "audio/wav"))
        .respond_with(json(200, DEEPGRAM))
        .expect(1)
        .mount(&server)
        .await;
    let stt = deepgram(&server).await;
    let t = stt
        .transcribe(audio(ChannelLayout::Mono), &TranscribeOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(t.speakers.len() >= 2);
    assert!(!t.utterances.is_empty());
    assert_eq!(
        t.provider.as_ref().map(|p| p.name.as_str()),
        Some("deepgram")
    );
    let sp = stt
        .sub_processor()
        .unwrap_or_else(|| panic!("declares a sub-processor"));
    assert_eq!(sp.vendor, "Deepgram");
}

#[tokio::test]
async fn deepgram_stereo_asks_for_multichannel_and_maps_roles_by_channel() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/listen"))
        .and(query_param("multichannel", "true"))
        .respond_with(json(200, DEEPGRAM_MULTI))
        .expect(1)
        .mount(&server)
        .await;
    let t = deepgram(&server)
        .await
        .transcribe(
            audio(ChannelLayout::Stereo { rep_channel: 0 }),
            &TranscribeOptions::default(),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    for u in &t.utterances {
        let role = t.speaker(u.speaker).map(|s| s.role);
        let want = if u.channel == Some(0) {
            SpeakerRole::Rep
        } else {
            SpeakerRole::Client
        };
        assert_eq!(role, Some(want));
    }
}

#[tokio::test]
async fn unauthorized_is_not_retried() {
    for status in [401, 403] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(json(
                status,
                r#"{"err_code":"INVALID_AUTH","err_msg":"Invalid credentials."}"#,
            ))
            .expect(1)
            .mount(&server)
            .await;
        let err = deepgram(&server)
            .await
            .transcribe(audio(ChannelLayout::Mono), &TranscribeOptions::default())
            .await
            .err()
            .unwrap_or_else(|| panic!("{status} must fail"));
        assert!(matches!(err, Error::Unauthenticated { .. }), "{err:?}");
        assert!(!err.is_retryable());
        assert_no_secret(&err);
    }
}

#[tokio::test]
async fn rate_limit_honours_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(Sequence::new(vec![
            json(
                429,
                r#"{"err_code":"TOO_MANY_REQUESTS","err_msg":"Too many requests."}"#,
            )
            .insert_header("retry-after", "1"),
            json(200, DEEPGRAM),
        ]))
        .expect(2)
        .mount(&server)
        .await;
    let started = Instant::now();
    deepgram(&server)
        .await
        .transcribe(audio(ChannelLayout::Mono), &TranscribeOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "Retry-After was not honoured"
    );
}

#[tokio::test]
async fn server_errors_are_retried_a_bounded_number_of_times() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(json(503, r#"{"err_code":"SERVICE_UNAVAILABLE"}"#))
        .expect(3)
        .mount(&server)
        .await;
    let err = deepgram(&server)
        .await
        .transcribe(audio(ChannelLayout::Mono), &TranscribeOptions::default())
        .await
        .err()
        .unwrap_or_else(|| panic!("must fail"));
    assert!(
        matches!(
            err,
            Error::Provider {
                status: Some(503),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_retryable());

    // A 5xx then success recovers.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(Sequence::new(vec![
            json(502, "{}"),
            json(500, "{}"),
            json(200, DEEPGRAM),
        ]))
        .expect(3)
        .mount(&server)
        .await;
    deepgram(&server)
        .await
        .transcribe(audio(ChannelLayout::Mono), &TranscribeOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn a_malformed_body_is_a_provider_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(json(
            200,
            r#"{"metadata": {"request_id": "x"}, "results": "#,
        ))
        .expect(1)
        .mount(&server)
        .await;
    let err = deepgram(&server)
        .await
        .transcribe(audio(ChannelLayout::Mono), &TranscribeOptions::default())
        .await
        .err()
        .unwrap_or_else(|| panic!("must fail"));
    assert!(matches!(err, Error::Provider { .. }), "{err:?}");
    assert_no_secret(&err);
}

// ------------------------------------------------------------------ OpenAI

#[tokio::test]
async fn openai_whisper_asks_for_verbose_json_with_words() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/audio/transcriptions"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(body_string_contains("verbose_json"))
        .and(body_string_contains("timestamp_granularities[]"))
        .and(body_string_contains("whisper-1"))
        .and(body_string_contains("filename=\"audio.wav\""))
        .respond_with(json(200, OPENAI_VERBOSE))
        .expect(1)
        .mount(&server)
        .await;
    let stt = OpenAiStt::new(format!("{}/v1", server.uri()), KEY, "whisper-1")
        .and_then(|s| s.with_retry_policy(policy()))
        .unwrap_or_else(|e| panic!("{e}"));
    let t = stt
        .transcribe(
            audio(ChannelLayout::Mono),
            &TranscribeOptions::default().with_language("en-US"),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!t.utterances.is_empty());
    assert_eq!(
        t.provider.as_ref().and_then(|p| p.model.as_deref()),
        Some("whisper-1")
    );
}

#[tokio::test]
async fn openai_diarize_model_asks_for_diarized_json() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/audio/transcriptions"))
        .and(body_string_contains("diarized_json"))
        .and(body_string_contains("chunking_strategy"))
        .respond_with(json(200, OPENAI_DIARIZED))
        .expect(1)
        .mount(&server)
        .await;
    let stt = OpenAiStt::new(
        format!("{}/v1", server.uri()),
        KEY,
        "gpt-4o-transcribe-diarize",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(stt.capabilities().diarization);
    let t = stt
        .transcribe(audio(ChannelLayout::Mono), &TranscribeOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(t.speakers.len() >= 2);
}

#[tokio::test]
async fn openai_refuses_over_25_mb_before_uploading() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(json(200, OPENAI_VERBOSE))
        .expect(0)
        .mount(&server)
        .await;
    let stt = OpenAiStt::new(server.uri(), KEY, "whisper-1").unwrap_or_else(|e| panic!("{e}"));
    let big = AudioInput {
        data: vec![0u8; 25 * 1024 * 1024 + 1].into(),
        content_type: Some("audio/wav".into()),
        channels: ChannelLayout::Mono,
    };
    let err = stt
        .transcribe(big, &TranscribeOptions::default())
        .await
        .err()
        .unwrap_or_else(|| panic!("must refuse"));
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
    // A local server without the limit takes it.
    assert_eq!(
        stt.with_max_bytes(None).capabilities().max_input_bytes,
        None
    );
}

// -------------------------------------------------------------- AssemblyAI

fn job_body(status: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(ASSEMBLYAI).unwrap_or_default();
    v["status"] = status.into();
    if status != "completed" {
        for k in [
            "text",
            "words",
            "utterances",
            "confidence",
            "audio_duration",
        ] {
            v[k] = serde_json::Value::Null;
        }
    }
    if status == "error" {
        v["error"] = "Download error, unable to download https://example.invalid/x".into();
    }
    v.to_string()
}

async fn assemblyai(server: &MockServer, poll: PollPolicy) -> AssemblyAiStt {
    AssemblyAiStt::new(server.uri(), KEY)
        .and_then(|s| s.with_retry_policy(policy()))
        .map(|s| s.with_poll_policy(poll))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn fast_poll() -> PollPolicy {
    PollPolicy::new(
        Duration::from_millis(10),
        Duration::from_millis(40),
        Duration::from_secs(10),
    )
}

async fn mount_upload_and_submit(server: &MockServer, submit_status: &str) {
    Mock::given(method("POST"))
        .and(path("/v2/upload"))
        .and(header("authorization", KEY))
        .respond_with(json(
            200,
            r#"{"upload_url": "https://cdn.assemblyai.com/upload/abc123"}"#,
        ))
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/transcript"))
        .and(body_string_contains(
            "https://cdn.assemblyai.com/upload/abc123",
        ))
        .respond_with(json(200, &job_body(submit_status)))
        .expect(1)
        .mount(server)
        .await;
}

fn job_path() -> String {
    let v: serde_json::Value = serde_json::from_str(ASSEMBLYAI).unwrap_or_default();
    format!("/v2/transcript/{}", v["id"].as_str().unwrap_or_default())
}

#[tokio::test]
async fn assemblyai_job_goes_queued_processing_completed() {
    let server = MockServer::start().await;
    mount_upload_and_submit(&server, "queued").await;
    Mock::given(method("GET"))
        .and(path(job_path()))
        .respond_with(Sequence::new(vec![
            json(200, &job_body("queued")),
            json(200, &job_body("processing")),
            json(200, &job_body("processing")),
            json(200, &job_body("completed")),
        ]))
        .expect(4)
        .mount(&server)
        .await;
    let stt = assemblyai(&server, fast_poll()).await;
    let t = stt
        .transcribe(audio(ChannelLayout::Mono), &TranscribeOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(t.speakers.len() >= 2);
    assert_eq!(
        t.provider.as_ref().and_then(|p| p.request_id.clone()),
        Some(job_path().trim_start_matches("/v2/transcript/").to_owned()),
        "the job id is kept"
    );
}

#[tokio::test]
async fn assemblyai_job_error_is_a_provider_error() {
    let server = MockServer::start().await;
    mount_upload_and_submit(&server, "queued").await;
    Mock::given(method("GET"))
        .and(path(job_path()))
        .respond_with(Sequence::new(vec![
            json(200, &job_body("processing")),
            json(200, &job_body("error")),
        ]))
        .mount(&server)
        .await;
    let err = assemblyai(&server, fast_poll())
        .await
        .transcribe(audio(ChannelLayout::Mono), &TranscribeOptions::default())
        .await
        .err()
        .unwrap_or_else(|| panic!("must fail"));
    assert!(matches!(err, Error::Provider { .. }), "{err:?}");
    assert!(err.to_string().contains("failed"), "{err}");
    assert_no_secret(&err);
}

#[tokio::test]
async fn assemblyai_poll_deadline_times_out_and_the_job_can_be_resumed() {
    let server = MockServer::start().await;
    mount_upload_and_submit(&server, "queued").await;
    let polls = Mock::given(method("GET"))
        .and(path(job_path()))
        .respond_with(json(200, &job_body("processing")))
        .mount_as_scoped(&server)
        .await;
    let stt = assemblyai(
        &server,
        PollPolicy::new(
            Duration::from_millis(20),
            Duration::from_millis(50),
            Duration::from_millis(300),
        ),
    )
    .await;
    let a = audio(ChannelLayout::Mono);
    let job = stt
        .submit(&a, &TranscribeOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let started = Instant::now();
    let err = stt
        .wait(&job)
        .await
        .err()
        .unwrap_or_else(|| panic!("must time out"));
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&job.id),
        "names the job to resume: {err}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    drop(polls);
    // Later the job completes; waiting again with the same id gets it.
    Mock::given(method("GET"))
        .and(path(job_path()))
        .respond_with(json(200, &job_body("completed")))
        .mount(&server)
        .await;
    let resumed = AssemblyAiJob {
        id: job.id.clone(),
        channels: ChannelLayout::Mono,
    };
    let t = stt.wait(&resumed).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(!t.utterances.is_empty());
}

#[tokio::test]
async fn assemblyai_malformed_poll_body_fails_cleanly() {
    let server = MockServer::start().await;
    mount_upload_and_submit(&server, "queued").await;
    Mock::given(method("GET"))
        .and(path(job_path()))
        .respond_with(json(200, "<html>gateway</html>"))
        .mount(&server)
        .await;
    let err = assemblyai(&server, fast_poll())
        .await
        .transcribe(audio(ChannelLayout::Mono), &TranscribeOptions::default())
        .await
        .err()
        .unwrap_or_else(|| panic!("must fail"));
    assert!(matches!(err, Error::Provider { .. }), "{err:?}");
}

#[tokio::test]
async fn debug_output_never_shows_the_key() {
    let server = MockServer::start().await;
    let shown = format!(
        "{:?} {:?} {:?}",
        deepgram(&server).await,
        assemblyai(&server, fast_poll()).await,
        OpenAiStt::new(server.uri(), KEY, "whisper-1").unwrap_or_else(|e| panic!("{e}"))
    );
    assert!(!shown.contains(KEY), "{shown}");
}
