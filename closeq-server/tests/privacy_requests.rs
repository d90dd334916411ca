//! Data-subject requests over HTTP: an admin exports, restricts, rectifies
//! and erases a client's data; the request list shows status and due
//! date; a rep may not run requests; another workspace's request is 404.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use serde_json::{Value, json};
use support::{Server, meta, start};

async fn request(s: &Server, who: &str, body: Value) -> (u16, Value) {
    let r = s
        .http
        .post(s.url("/v1/privacy/requests"))
        .bearer_auth(s.key(who))
        .json(&body)
        .send()
        .await
        .unwrap();
    let st = r.status().as_u16();
    (st, r.json().await.unwrap())
}

fn jane() -> Value {
    json!({"kind": "email", "value": "jane.client@example.com"})
}

#[tokio::test]
async fn an_admin_exports_restricts_rectifies_and_erases_a_client() {
    let s = start().await;
    let call = s
        .analysed_call("rep_a", meta(&s.w.rep_a, Some(s.w.team_a)))
        .await;

    let (st, v) = request(&s, "admin", json!({"kind": "export", "subject": jane()})).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["request"]["state"]["state"], "completed", "{v}");
    assert_eq!(v["open"], false);
    assert_eq!(v["export"]["calls"].as_array().unwrap().len(), 1, "{v}");
    assert!(v["due_at"].is_string());

    let (st, v) = request(&s, "admin", json!({"kind": "restrict", "subject": jane()})).await;
    assert_eq!(st, 200, "{v}");
    // Restricted: the recording-less call is still readable, but a new
    // upload about her is refused by the gates.
    let up = s
        .upload_script("rep_a", meta(&s.w.rep_a, Some(s.w.team_a)))
        .await;
    assert_eq!(
        up.status(),
        422,
        "a restricted subject's call is not processed"
    );

    let (st, v) = request(
        &s,
        "admin",
        json!({"kind": "rectify", "subject": jane(), "correction": {"name": "Jane Doe-Client"}}),
    )
    .await;
    assert_eq!((st, v["calls_rectified"].as_u64()), (200, Some(1)), "{v}");

    let (st, v) = request(
        &s,
        "owner",
        json!({"kind": "erase", "subject": jane(), "mode": "anonymize"}),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["erased"]["calls"], 1, "{v}");
    let c: Value = s
        .http
        .get(s.url(&format!("/v1/calls/{call}")))
        .bearer_auth(s.key("owner"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(c["client"]["email"].is_null(), "{c}");

    // The list: four requests, newest first, each with a due date.
    let list: Value = s
        .http
        .get(s.url("/v1/privacy/requests"))
        .bearer_auth(s.key("admin"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 4, "{list:?}");
    assert!(list.iter().all(|r| r["due_at"].is_string()));
    // After the erasure, earlier requests keep only the kind of identifier.
    assert!(
        !Value::Array(list.clone())
            .to_string()
            .contains("jane.client"),
        "{list:?}"
    );
    let id = list[0]["request"]["id"].as_str().unwrap();
    let r = s
        .http
        .get(s.url(&format!("/v1/privacy/requests/{id}")))
        .bearer_auth(s.key("admin"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = s
        .http
        .get(s.url(&format!("/v1/privacy/requests/{id}")))
        .bearer_auth(s.key("other_owner"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        404,
        "another workspace's request is a missing one"
    );
}

#[tokio::test]
async fn a_rep_or_manager_may_not_run_requests() {
    let s = start().await;
    for who in ["rep_a", "manager"] {
        let (st, v) = request(&s, who, json!({"kind": "export", "subject": jane()})).await;
        assert_eq!(st, 403, "{who}: {v}");
        let r = s
            .http
            .get(s.url("/v1/privacy/requests"))
            .bearer_auth(s.key(who))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{who}");
    }
    let (st, v) = request(
        &s,
        "admin",
        json!({"kind": "export", "subject": {"kind": "email", "value": "not an email"}}),
    )
    .await;
    assert_eq!(st, 422, "{v}");
    assert!(v["field"].as_str().unwrap().starts_with("body"), "{v}");
    assert!(!v.to_string().contains("not an email"));
}
