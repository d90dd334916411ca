//! Webhooks end to end: `call.analyzed`, `scorecard.reviewed`,
//! `dsr.completed` and `call.failed` delivered through the queue to a
//! receiver on loopback, signed per Standard Webhooks with two secrets
//! during a rotation — each signature checked by the independent
//! `standardwebhooks` package from PyPI; a failing receiver gets retries
//! with backoff, the message id stable across attempts, and a delivery
//! out of attempts is kept as a dead job and retried, not lost.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use closeq_core::JobState;
use closeq_core::testing::required_service;
use closeq_server::webhooks::{EventType, WEBHOOK_ATTEMPTS, WebhookEndpoint, WebhookSecret};
use serde_json::{Value, json};
use support::{Options, meta, start_with};

/// One request the receiver got: headers and body.
type Got = (HeaderMap, Vec<u8>);

/// What the receiver got.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Got>>>,
    /// Statuses to answer with, in order; 200 once used up.
    answers: Arc<Mutex<Vec<u16>>>,
}

async fn receive(
    State(r): State<Receiver>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    r.got.lock().unwrap().push((headers, body.to_vec()));
    let mut a = r.answers.lock().unwrap();
    let status = if a.is_empty() { 200 } else { a.remove(0) };
    StatusCode::from_u16(status).unwrap()
}

async fn receiver(answers: Vec<u16>) -> (Receiver, String) {
    let r = Receiver {
        answers: Arc::new(Mutex::new(answers)),
        ..Default::default()
    };
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(r.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (r, url)
}

fn header(h: &HeaderMap, name: &str) -> String {
    h[name].to_str().unwrap().to_owned()
}

/// Verifies one delivery with the `standardwebhooks` package; `Ok` with
/// the parsed payload, or the verifier's complaint.
fn verify_independently(
    python: &PathBuf,
    secret: &str,
    h: &HeaderMap,
    body: &[u8],
) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let body_file = dir.path().join("body");
    std::fs::write(&body_file, body).unwrap();
    let script = "import sys\nfrom standardwebhooks import Webhook\n\
        body = open(sys.argv[2], 'rb').read()\n\
        headers = {'webhook-id': sys.argv[3], 'webhook-timestamp': sys.argv[4], 'webhook-signature': sys.argv[5]}\n\
        Webhook(sys.argv[1]).verify(body, headers)\nprint('verified')\n";
    let out = Command::new(python)
        .args(["-c", script, secret])
        .arg(&body_file)
        .args([
            header(h, "webhook-id"),
            header(h, "webhook-timestamp"),
            header(h, "webhook-signature"),
        ])
        .output()
        .unwrap();
    if out.status.success() && String::from_utf8_lossy(&out.stdout).contains("verified") {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_are_delivered_signed_with_both_rotation_secrets() {
    let (r, url) = receiver(vec![]).await;
    let (old, new) = (WebhookSecret::generate(), WebhookSecret::generate());
    let endpoint =
        WebhookEndpoint::new("crm", &url, vec![new.clone(), old.clone()], vec![]).unwrap();
    let s = start_with(Options {
        webhooks: vec![endpoint],
        webhooks_on_system_clock: true,
        ..Default::default()
    })
    .await;
    // call.analyzed: the worker ran the analyze job, then the delivery.
    let call = s
        .analysed_call("rep_a", meta(&s.w.rep_a, Some(s.w.team_a)))
        .await;
    // scorecard.reviewed.
    let cards: Value = s
        .http
        .get(s.url(&format!("/v1/calls/{call}/scorecards")))
        .bearer_auth(s.key("manager"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let card = cards[0]["id"].as_str().unwrap();
    let res = s
        .http
        .post(s.url(&format!("/v1/scorecards/{card}/review")))
        .bearer_auth(s.key("manager"))
        .json(&json!({"decision": "accept"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // dsr.completed.
    let res = s
        .http
        .post(s.url("/v1/privacy/requests"))
        .bearer_auth(s.key("admin"))
        .json(&json!({"kind": "export", "subject": {"kind": "email", "value": "jane.client@example.com"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    s.drain().await;

    let got = r.got.lock().unwrap().clone();
    let types: Vec<String> = got
        .iter()
        .map(|(_, b)| {
            serde_json::from_slice::<Value>(b).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        types,
        ["call.analyzed", "scorecard.reviewed", "dsr.completed"]
    );
    for (h, b) in &got {
        let v: Value = serde_json::from_slice(b).unwrap();
        assert_eq!(v["data"]["workspace_id"], json!(s.w.workspace.id));
        // Ids and states only: no personal data in a webhook.
        assert!(!String::from_utf8_lossy(b).contains("jane"), "{v}");
        assert!(header(h, "webhook-id").starts_with("msg_"));
        assert_eq!(
            header(h, "webhook-signature").split(' ').count(),
            2,
            "two secrets sign during a rotation"
        );
    }
    let first: Value = serde_json::from_slice(&got[0].1).unwrap();
    assert_eq!(first["data"]["call_id"], call.as_str());

    let Some(tools) = required_service("API checkers", "CLOSEQ_TEST_API_TOOLS") else {
        return;
    };
    let python = PathBuf::from(tools).join("python");
    // Each body conforms to its event's schema in the OpenAPI document's
    // `webhooks` (checked by the `jsonschema` package).
    let doc = closeq_server::openapi::document();
    for (_, b) in &got {
        let v: Value = serde_json::from_slice(b).unwrap();
        let schema = &doc["webhooks"][v["type"].as_str().unwrap()]["post"]["requestBody"]["content"]
            ["application/json"]["schema"];
        assert!(schema.is_object(), "{v}");
        let out = Command::new(&python)
            .args([
                "-c",
                "import json, sys, jsonschema\njsonschema.Draft202012Validator(json.loads(sys.argv[1])).validate(json.loads(sys.argv[2]))\nprint('conforms')",
            ])
            .arg(schema.to_string())
            .arg(v.to_string())
            .output()
            .unwrap();
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("conforms"),
            "{v}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for (h, b) in &got {
        verify_independently(&python, &old.expose(), h, b).unwrap();
        verify_independently(&python, &new.expose(), h, b).unwrap();
        let stranger = WebhookSecret::generate();
        assert!(
            verify_independently(&python, &stranger.expose(), h, b).is_err(),
            "a wrong secret must not verify"
        );
        let mut tampered = b.clone();
        tampered[2] ^= 1;
        assert!(
            verify_independently(&python, &old.expose(), h, &tampered).is_err(),
            "a changed body must not verify"
        );
    }
}

#[tokio::test]
async fn a_failing_receiver_gets_retries_with_backoff_and_nothing_is_lost() {
    let (r, url) = receiver(vec![500, 503]).await;
    let endpoint = WebhookEndpoint::new(
        "crm",
        &url,
        vec![WebhookSecret::generate()],
        vec![EventType::ScorecardReviewed, EventType::CallFailed],
    )
    .unwrap();
    let s = start_with(Options {
        webhooks: vec![endpoint],
        ..Default::default()
    })
    .await;
    let hooks = s.webhooks.clone().unwrap();
    let n = hooks
        .emit(
            &s.w.owner,
            EventType::ScorecardReviewed,
            json!({"scorecard_id": "x"}),
        )
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(
        hooks
            .emit(&s.w.owner, EventType::DsrCompleted, json!({}))
            .await
            .unwrap(),
        0,
        "not subscribed"
    );
    let worker = s.worker();
    // First attempt: 500. The retry waits for its backoff.
    assert!(worker.run_one().await.unwrap().is_some());
    assert!(
        worker.run_one().await.unwrap().is_none(),
        "retried only after the backoff"
    );
    s.clock.advance(chrono::Duration::hours(2));
    assert!(worker.run_one().await.unwrap().is_some()); // 503
    s.clock.advance(chrono::Duration::hours(2));
    assert!(worker.run_one().await.unwrap().is_some()); // 200
    let got = r.got.lock().unwrap().clone();
    assert_eq!(got.len(), 3);
    let ids: Vec<String> = got.iter().map(|(h, _)| header(h, "webhook-id")).collect();
    assert!(
        ids.iter().all(|i| *i == ids[0]),
        "one message id across attempts: {ids:?}"
    );
    let stamps: Vec<i64> = got
        .iter()
        .map(|(h, _)| header(h, "webhook-timestamp").parse().unwrap())
        .collect();
    assert!(
        stamps[0] < stamps[1] && stamps[1] < stamps[2],
        "signed at each attempt: {stamps:?}"
    );

    // A receiver that never answers 2xx: dead after the attempts, kept and
    // retried.
    *r.answers.lock().unwrap() = vec![500; WEBHOOK_ATTEMPTS as usize];
    hooks
        .emit(
            &s.w.owner,
            EventType::ScorecardReviewed,
            json!({"scorecard_id": "y"}),
        )
        .await
        .unwrap();
    for _ in 0..WEBHOOK_ATTEMPTS {
        s.clock.advance(chrono::Duration::hours(2));
        assert!(worker.run_one().await.unwrap().is_some());
    }
    let dead = s.queue.dead_jobs(&s.w.owner, 10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].state, JobState::Dead);
    assert!(
        dead[0]
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("HTTP 500"),
        "{:?}",
        dead[0].last_error
    );
    s.queue.retry_dead(&s.w.owner, dead[0].id).await.unwrap();
    assert!(worker.run_one().await.unwrap().is_some());
    assert!(
        s.queue.dead_jobs(&s.w.owner, 10).await.unwrap().is_empty(),
        "delivered on the retry"
    );
}

#[tokio::test]
async fn a_call_whose_job_dies_raises_call_failed() {
    let (r, url) = receiver(vec![]).await;
    let endpoint = WebhookEndpoint::new(
        "crm",
        &url,
        vec![WebhookSecret::generate()],
        vec![EventType::CallFailed],
    )
    .unwrap();
    let s = start_with(Options {
        webhooks: vec![endpoint],
        ..Default::default()
    })
    .await;
    // A recording, and no speech-to-text in this server's analyzer: the
    // transcribe job fails for good.
    let call = s.upload_recording().await;
    let worker = s.worker();
    for _ in 0..10 {
        s.clock.advance(chrono::Duration::hours(2));
        worker.run_one().await.unwrap();
    }
    let got = r.got.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "one call.failed");
    let v: Value = serde_json::from_slice(&got[0].1).unwrap();
    assert_eq!(
        (
            v["type"].as_str(),
            v["data"]["call_id"].as_str(),
            v["data"]["stage"].as_str()
        ),
        (Some("call.failed"), Some(call.as_str()), Some("transcribe")),
        "{v}"
    );
}
