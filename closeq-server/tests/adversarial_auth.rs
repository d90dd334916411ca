//! The auth matrix: every keyed endpoint × the key's member (owner, admin,
//! manager of team A, a rep in each team, another workspace's owner) × a
//! resource of their own, another team's and another workspace's; and
//! every endpoint with no key, a malformed, revoked, test-environment or
//! under-scoped key. Another workspace's resource answers exactly as a
//! missing one (404, same body); a role without the right answers 403.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use closeq_core::ports::WorkspaceStore;
use reqwest::Method;
use serde_json::{Value, json};
use support::{Server, meta, start};

/// What a request got: status and problem body.
async fn call(
    s: &Server,
    method: &Method,
    path: &str,
    key: Option<&str>,
    body: Option<&Value>,
) -> (u16, Value) {
    let mut req = s.http.request(method.clone(), s.url(path));
    if let Some(k) = key {
        req = req.bearer_auth(k);
    }
    if let Some(b) = body {
        req = req.json(b);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

struct Fixture {
    s: Server,
    /// rep_a's analysed call in team A, and its scorecard.
    call_a: String,
    card_a: String,
    /// rep_b's analysed call in team B, and its scorecard.
    call_b: String,
    card_b: String,
    /// The other workspace's analysed call and card.
    call_o: String,
    card_o: String,
}

async fn fixture() -> Fixture {
    let s = start().await;
    let call_a = s
        .analysed_call("rep_a", meta(&s.w.rep_a, Some(s.w.team_a)))
        .await;
    let call_b = s
        .analysed_call("rep_b", meta(&s.w.rep_b, Some(s.w.team_b)))
        .await;
    let call_o = s
        .analysed_call("other_owner", meta(&s.other.owner, None))
        .await;
    let card = |c: &str, who: &'static str| {
        let path = format!("/v1/calls/{c}/scorecards");
        let s = &s;
        async move {
            let (st, v) = call(s, &Method::GET, &path, Some(s.key(who)), None).await;
            assert_eq!(st, 200);
            v[0]["id"].as_str().unwrap().to_owned()
        }
    };
    let card_a = card(&call_a, "owner").await;
    let card_b = card(&call_b, "owner").await;
    let card_o = card(&call_o, "other_owner").await;
    Fixture {
        s,
        call_a,
        card_a,
        call_b,
        card_b,
        call_o,
        card_o,
    }
}

/// The keyed endpoints on a call (`{c}`) or its card (`{s}`), with a body
/// that gets past validation only to fail on its own content (so a 422
/// means: authenticated, authorized and the resource seen).
fn resource_endpoints() -> Vec<(Method, &'static str, Option<Value>)> {
    vec![
        (Method::GET, "/v1/calls/{c}", None),
        (Method::GET, "/v1/calls/{c}/transcript", None),
        (Method::GET, "/v1/calls/{c}/metrics", None),
        (Method::GET, "/v1/calls/{c}/scorecards", None),
        (
            Method::POST,
            "/v1/calls/{c}/audio-url?ttl_seconds=999999",
            None,
        ),
        (
            Method::POST,
            "/v1/scorecards/{s}/review",
            Some(json!({"decision": "override", "changes": [], "reason": "probe"})),
        ),
    ]
}

#[tokio::test]
async fn every_role_sees_exactly_its_calls_and_another_workspace_is_a_missing_one() {
    let f = fixture().await;
    let s = &f.s;
    // (key, sees call_a, sees call_b, sees call_o)
    let matrix = [
        ("owner", true, true, false),
        ("admin", true, true, false),
        ("manager", true, false, false),
        ("rep_a", true, false, false),
        ("rep_b", false, true, false),
        ("other_owner", false, false, true),
    ];
    let missing = closeq_core::CallId::new().to_string();
    let missing_card = closeq_core::ScorecardId::new().to_string();
    for (method, template, body) in resource_endpoints() {
        // The answer for a resource that does not exist.
        let path = template
            .replace("{c}", &missing)
            .replace("{s}", &missing_card);
        let (st, absent) = call(s, &method, &path, Some(s.key("owner")), body.as_ref()).await;
        assert_eq!(st, 404, "{method} {template} on a missing resource");
        for (who, a, b, o) in matrix {
            for (call_id, card_id, sees) in [
                (&f.call_a, &f.card_a, a),
                (&f.call_b, &f.card_b, b),
                (&f.call_o, &f.card_o, o),
            ] {
                let path = template.replace("{c}", call_id).replace("{s}", card_id);
                let (st, got) = call(s, &method, &path, Some(s.key(who)), body.as_ref()).await;
                if sees {
                    // Transcript-only calls have no recording: 404 audio,
                    // after the call itself was seen; the probe review is
                    // 422 (empty changes).
                    let ok = match template {
                        t if t.contains("audio-url") => {
                            st == 404 && got["detail"] == "audio not found"
                        }
                        t if t.contains("review") => st == 422,
                        _ => st == 200,
                    };
                    assert!(
                        ok,
                        "{who} {method} {template} on a call they see: {st} {got}"
                    );
                } else {
                    assert_eq!(
                        (st, &got),
                        (404, &absent),
                        "{who} {method} {template}: a call they may not see must answer as a missing one"
                    );
                }
            }
        }
    }
    // The list: each key's member sees their calls only.
    for (who, a, b, o) in matrix {
        let (st, page) = call(s, &Method::GET, "/v1/calls", Some(s.key(who)), None).await;
        assert_eq!(st, 200);
        let ids: Vec<&str> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        for (id, sees) in [(&f.call_a, a), (&f.call_b, b), (&f.call_o, o)] {
            assert_eq!(
                ids.contains(&id.as_str()),
                sees,
                "{who} listing {id}: {ids:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_role_without_the_right_gets_403() {
    let f = fixture().await;
    let s = &f.s;
    // Nobody reviews their own call.
    let (st, p) = call(
        s,
        &Method::POST,
        &format!("/v1/scorecards/{}/review", f.card_a),
        Some(s.key("rep_a")),
        Some(&json!({"decision": "accept"})),
    )
    .await;
    assert_eq!(st, 403, "{p}");
    // A rep does not upload in another rep's name.
    let res = s
        .upload_script("rep_a", meta(&s.w.rep_b, Some(s.w.team_b)))
        .await;
    assert_eq!(res.status(), 403);
    let (_, page) = call(s, &Method::GET, "/v1/calls", Some(s.key("owner")), None).await;
    assert_eq!(
        page["items"].as_array().unwrap().len(),
        2,
        "nothing stored by the refused upload"
    );
}

#[tokio::test]
async fn every_keyed_endpoint_refuses_missing_malformed_revoked_test_and_underscoped_keys() {
    let f = fixture().await;
    let s = &f.s;
    let revoked = {
        let (k, rec) = s
            .key_admin
            .create(
                &s.w.owner,
                "to revoke",
                closeq_server::SCOPES
                    .iter()
                    .map(|x| (*x).to_owned())
                    .collect(),
            )
            .await
            .unwrap();
        s.key_admin.revoke(&s.w.owner, rec.id).await.unwrap();
        k.expose().to_owned()
    };
    let test_env = {
        let (k, _) = s
            .test_keys
            .create(
                &s.w.owner,
                "test",
                closeq_server::SCOPES
                    .iter()
                    .map(|x| (*x).to_owned())
                    .collect(),
            )
            .await
            .unwrap();
        k.expose().to_owned()
    };
    let no_scope = {
        let (k, _) = s
            .key_admin
            .create(&s.w.owner, "nothing useful", vec!["unused:scope".into()])
            .await
            .unwrap();
        k.expose().to_owned()
    };
    let malformed = format!("{}x", s.key("owner"));
    let mut endpoints: Vec<(Method, String, Option<Value>)> = resource_endpoints()
        .into_iter()
        .map(|(m, t, b)| (m, t.replace("{c}", &f.call_a).replace("{s}", &f.card_a), b))
        .collect();
    endpoints.extend([
        (Method::GET, "/v1/calls".to_owned(), None),
        (Method::POST, "/v1/calls".to_owned(), None),
        (Method::GET, "/v1/dashboard".to_owned(), None),
        (Method::GET, "/v1/privacy/requests".to_owned(), None),
        (
            Method::POST,
            "/v1/privacy/requests".to_owned(),
            Some(json!({"kind": "object", "subject": {"kind": "email", "value": "jane.client@example.com"}})),
        ),
        (Method::GET, "/v1/rubrics".to_owned(), None),
        (
            Method::POST,
            "/v1/rubrics/validate".to_owned(),
            Some(json!({"format": "toml", "text": ""})),
        ),
    ]);
    for (method, path, body) in &endpoints {
        for (label, key, want) in [
            ("no key", None, 401),
            ("malformed key", Some(malformed.as_str()), 401),
            ("revoked key", Some(revoked.as_str()), 401),
            ("test-environment key", Some(test_env.as_str()), 403),
            ("key without the scope", Some(no_scope.as_str()), 403),
        ] {
            let (st, p) = call(s, method, path, key, body.as_ref()).await;
            assert_eq!(st, want, "{label} on {method} {path}: {p}");
            if let Some(k) = key {
                assert!(!p.to_string().contains(&k[8..20]), "the key is echoed: {p}");
            }
        }
    }
    // A key of a member who left authenticates nobody.
    s.store
        .remove_member(&s.w.owner, s.w.rep_b.user_id)
        .await
        .unwrap();
    let (st, _) = call(s, &Method::GET, "/v1/calls", Some(s.key("rep_b")), None).await;
    assert_eq!(st, 401);
}

#[tokio::test]
async fn a_key_over_its_rate_gets_429_with_retry_after() {
    let s = support::start_with(support::Options {
        rate: closeq_server::KeyRate {
            per_minute: 1,
            burst: 2,
        },
        ..Default::default()
    })
    .await;
    for _ in 0..2 {
        let r = s
            .http
            .get(s.url("/v1/rubrics"))
            .bearer_auth(s.key("owner"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let r = s
        .http
        .get(s.url("/v1/rubrics"))
        .bearer_auth(s.key("owner"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    // Another key is not held back by it.
    let r = s
        .http
        .get(s.url("/v1/rubrics"))
        .bearer_auth(s.key("admin"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// Before the fix a manager could upload a call in another team's rep's
/// name, filed under the manager's own team, then review it: a fabricated,
/// "human-reviewed" score on that rep's record. A member could file their
/// calls under any team.
#[tokio::test]
async fn nobody_files_a_call_under_someone_elses_rep_or_team() {
    let s = start().await;
    let cases = [
        (
            "manager",
            meta(&s.w.rep_b, Some(s.w.team_a)),
            "another team's rep under the manager's team",
        ),
        (
            "manager",
            meta(&s.other.owner, Some(s.w.team_a)),
            "a stranger's id as the rep",
        ),
        (
            "rep_a",
            meta(&s.w.rep_a, Some(s.w.team_b)),
            "a rep's own call under a team they are not in",
        ),
        (
            "admin",
            meta(&s.w.rep_a, Some(s.w.team_b)),
            "a rep's call under a team the rep is not in",
        ),
    ];
    for (who, m, what) in cases {
        let res = s.upload_script(who, m).await;
        let st = res.status().as_u16();
        let p: Value = res.json().await.unwrap();
        assert!(st == 403 || st == 422, "{what}: {st} {p}");
    }
    let (_, page) = call(&s, &Method::GET, "/v1/calls", Some(s.key("owner")), None).await;
    assert!(
        page["items"].as_array().unwrap().is_empty(),
        "nothing stored"
    );
    // What is allowed: the manager files a call of their team's rep.
    let res = s
        .upload_script("manager", meta(&s.w.rep_a, Some(s.w.team_a)))
        .await;
    assert_eq!(res.status(), 202);
}
