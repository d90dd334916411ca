//! Every endpoint over real HTTP on loopback: an upload taken in and
//! analysed by a worker, the reads, a review, the dashboard, rubrics, the
//! public documents; problem details and request ids on every answer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use serde_json::{Value, json};
use support::{meta, start};

#[tokio::test]
async fn an_uploaded_transcript_is_queued_analysed_and_readable() {
    let s = start().await;
    let res = s
        .upload_script("rep_a", meta(&s.w.rep_a, Some(s.w.team_a)))
        .await;
    assert_eq!(res.status(), 202);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(res.headers().contains_key("x-request-id"));
    let body: Value = res.json().await.unwrap();
    let id = body["call_id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/v1/calls/{id}"));
    assert_eq!(body["job_kind"], "analyze");

    // Stored once, with its one job, before any worker ran.
    let call: Value = s
        .http
        .get(s.url(&location))
        .bearer_auth(s.key("rep_a"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(call["status"]["state"], "transcribed", "{call}");
    let jobs = s.queue.list_jobs(&s.w.owner, None, 100).await.unwrap();
    assert_eq!(
        jobs.iter()
            .filter(|j| j.spec.call_id.map(|c| c.to_string()) == Some(id.clone()))
            .count(),
        1
    );

    assert_eq!(s.drain().await, 1);
    let get = |path: String, who: &'static str| {
        let req = s.http.get(s.url(&path)).bearer_auth(s.key(who));
        async move {
            let r = req.send().await.unwrap();
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (st, call) = get(format!("/v1/calls/{id}"), "rep_a").await;
    assert_eq!(
        (st, call["status"]["state"].as_str()),
        (200, Some("analyzed")),
        "{call}"
    );
    let (st, t) = get(format!("/v1/calls/{id}/transcript"), "rep_a").await;
    assert_eq!(st, 200);
    assert_eq!(t["utterances"].as_array().unwrap().len(), 6);
    let (st, m) = get(format!("/v1/calls/{id}/metrics"), "manager").await;
    assert_eq!(st, 200, "{m}");
    assert_eq!(m["speaker_count"], 2, "{m}");
    assert!(m["talk_ratio"]["rep"].as_f64().unwrap() > 0.0, "{m}");
    let (st, cards) = get(format!("/v1/calls/{id}/scorecards"), "manager").await;
    assert_eq!(st, 200);
    let cards = cards.as_array().unwrap().clone();
    assert_eq!(cards.len(), 1);
    let card_id = cards[0]["id"].as_str().unwrap().to_owned();

    // The list, a page at a time.
    let (st, page) = get("/v1/calls?limit=1".into(), "owner").await;
    assert_eq!(st, 200);
    assert_eq!(page["items"].as_array().unwrap().len(), 1);

    // A review by the manager; the rep may not review their own call.
    let review = |who: &'static str, body: Value| {
        s.http
            .post(s.url(&format!("/v1/scorecards/{card_id}/review")))
            .bearer_auth(s.key(who))
            .json(&body)
            .send()
    };
    let r = review("rep_a", json!({"decision": "accept"}))
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = review("manager", json!({"decision": "reject"}))
        .await
        .unwrap();
    assert_eq!(r.status(), 422, "a rejection needs a reason");
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["field"], "body", "{p}");
    let r = review(
        "manager",
        json!({"decision": "reject", "reason": "wrong call type"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let card: Value = r.json().await.unwrap();
    assert_eq!(card["review"]["state"], "rejected", "{card}");
    let r = review("admin", json!({"decision": "accept"}))
        .await
        .unwrap();
    assert_eq!(r.status(), 409, "already reviewed");

    // The dashboard counts the rejection.
    let (st, rows) = get(
        "/v1/dashboard?from=2026-03-01T00:00:00Z&to=2026-03-03T00:00:00Z".into(),
        "owner",
    )
    .await;
    assert_eq!(st, 200, "{rows}");
    assert_eq!(rows[0]["rejected_calls"], 1, "{rows}");
}

#[tokio::test]
async fn rubrics_subprocessors_health_and_openapi_answer() {
    let s = start().await;
    let r = s
        .http
        .get(s.url("/v1/rubrics"))
        .bearer_auth(s.key("rep_b"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let list: Value = r.json().await.unwrap();
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == "discovery")
    );
    let check = |body: Value| {
        s.http
            .post(s.url("/v1/rubrics/validate"))
            .bearer_auth(s.key("rep_b"))
            .json(&body)
            .send()
    };
    let r: Value = check(json!({"format": "toml", "text": "id = \"x\"\nname = [broken"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["valid"], false);
    assert!(r["location"].as_str().unwrap().starts_with("line "), "{r}");
    let r = check(json!({"format": "yaml", "text": ""})).await.unwrap();
    assert_eq!(r.status(), 422);
    for path in [
        "/healthz",
        "/readyz",
        "/v1/subprocessors",
        "/v1/openapi.json",
    ] {
        let r = s.http.get(s.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert!(r.headers().contains_key("x-request-id"), "{path}");
    }
}

#[tokio::test]
async fn errors_are_problem_details_with_request_ids() {
    let s = start().await;
    for (method, path, status) in [
        ("GET", "/nowhere", 404),
        ("DELETE", "/v1/calls", 405),
        ("GET", "/v1/calls", 401),
        ("GET", "/v1/calls?limit=0", 422),
        ("GET", "/v1/calls?bogus=1", 422),
        ("GET", "/v1/calls/not-an-id", 404),
    ] {
        let mut req = s.http.request(method.parse().unwrap(), s.url(path));
        if status != 401 {
            req = req.bearer_auth(s.key("owner"));
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status().as_u16(), status, "{method} {path}");
        assert_eq!(
            r.headers()["content-type"],
            "application/problem+json",
            "{path}"
        );
        let id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert_eq!(id.len(), 36);
        let p: Value = r.json().await.unwrap();
        assert_eq!(p["status"], status);
        assert!(
            p["type"]
                .as_str()
                .unwrap()
                .starts_with("urn:closeq:problem:")
        );
        if status == 401 {
            assert!(p["detail"].as_str().unwrap().contains("Bearer"));
        }
    }
    // Values a client sent are not echoed; an out-of-range date is a 422,
    // not a crash.
    for path in [
        "/v1/calls?outcome=jane.client@example.com",
        "/v1/calls?rep_id=jane.client@example.com",
        "/v1/dashboard?to=-262143-01-01T00:00:00Z",
    ] {
        let r = s
            .http
            .get(s.url(path))
            .bearer_auth(s.key("owner"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "{path}");
        let body = r.text().await.unwrap();
        assert!(!body.contains("jane"), "{path}: {body}");
    }
    // Nothing personal is cached or sniffed.
    let r = s
        .http
        .get(s.url("/v1/calls"))
        .bearer_auth(s.key("owner"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    // A path segment that does not decode is a missing resource.
    let r = s
        .http
        .get(s.url("/v1/calls/%FF%FE"))
        .bearer_auth(s.key("owner"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    // A client's own request id is not taken into the logs.
    let r = s
        .http
        .get(s.url("/healthz"))
        .header("x-request-id", "forged-id")
        .send()
        .await
        .unwrap();
    assert_ne!(r.headers()["x-request-id"], "forged-id");
}
