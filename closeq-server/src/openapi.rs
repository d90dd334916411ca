//! The OpenAPI 3.1 document, generated from the code: the operations are
//! listed once here with the request and response types the handlers use,
//! and every schema is derived from those types by `schemars` (JSON Schema
//! 2020-12, OpenAPI 3.1's dialect). A test checks the table against the
//! router, and CI compares the document with the committed snapshot.

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Map, Value, json};

use crate::auth::{
    AudioRead, CallsRead, CallsWrite, DashboardRead, Permission, PrivacyAdmin, ScorecardsReview,
};
use crate::problem::{PROBLEM_JSON, Problem};
use crate::routes::{
    Accepted, AudioUrl, CallMetadata, CallPage, DashboardQuery, Fulfilled, IssueQuery, ListQuery,
    NewRequest, RequestView, ReviewBody, RubricCheck, RubricSummary, RubricVerdict,
};
use crate::webhooks::EventType;

/// One operation.
struct Op {
    method: &'static str,
    path: &'static str,
    id: &'static str,
    summary: &'static str,
    scope: Option<&'static str>,
    query: Option<Value>,
    body: Option<(&'static str, Value)>,
    ok: (u16, &'static str, Option<(&'static str, Value)>),
    errors: &'static [u16],
}

fn schema<T: JsonSchema>(g: &mut SchemaGenerator) -> Value {
    g.subschema_for::<T>().to_value()
}

/// Query parameters of `T`, one per property.
fn query_params<T: JsonSchema>(g: &mut SchemaGenerator) -> Value {
    let root = g.root_schema_for::<T>().to_value();
    let props = root
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let required: Vec<&str> = root
        .get("required")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    Value::Array(
        props
            .into_iter()
            .map(|(name, mut s)| {
                let description = s
                    .as_object_mut()
                    .and_then(|o| o.remove("description"))
                    .unwrap_or(Value::Null);
                let mut p = json!({
                    "name": name,
                    "in": "query",
                    "required": required.contains(&name.as_str()),
                    "schema": s,
                });
                if let Value::String(d) = description {
                    p["description"] = Value::String(d);
                }
                p
            })
            .collect(),
    )
}

fn ops(g: &mut SchemaGenerator) -> Vec<Op> {
    let any_object = json!({"type": "object"});
    vec![
        Op {
            method: "get",
            path: "/healthz",
            id: "healthz",
            summary: "The process serves.",
            scope: None,
            query: None,
            body: None,
            ok: (
                200,
                "Alive.",
                Some(("application/json", any_object.clone())),
            ),
            errors: &[],
        },
        Op {
            method: "get",
            path: "/readyz",
            id: "readyz",
            summary: "The database answers.",
            scope: None,
            query: None,
            body: None,
            ok: (
                200,
                "Ready.",
                Some(("application/json", any_object.clone())),
            ),
            errors: &[503],
        },
        Op {
            method: "post",
            path: "/v1/calls",
            id: "uploadCall",
            summary: "Upload a call: a recording or transcript file with its metadata; stored with its first job, answered 202.",
            scope: Some(CallsWrite::SCOPE),
            query: None,
            body: Some((
                "multipart/form-data",
                json!({
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "metadata": schema::<CallMetadata>(g),
                        "file": {"type": "string", "contentMediaType": "application/octet-stream",
                                 "description": "A recording (audio/*) or a transcript file (text/*, application/json)."},
                    },
                }),
            )),
            ok: (
                202,
                "Accepted: the call is queued.",
                Some(("application/json", schema::<Accepted>(g))),
            ),
            errors: &[400, 401, 403, 408, 413, 415, 422, 429, 503],
        },
        Op {
            method: "get",
            path: "/v1/calls",
            id: "listCalls",
            summary: "Calls the key's member may see, newest first, a page at a time.",
            scope: Some(CallsRead::SCOPE),
            query: Some(query_params::<ListQuery>(g)),
            body: None,
            ok: (
                200,
                "A page.",
                Some(("application/json", schema::<CallPage>(g))),
            ),
            errors: &[401, 403, 422, 429],
        },
        Op {
            method: "get",
            path: "/v1/calls/{id}",
            id: "getCall",
            summary: "One call: status, stage, metadata.",
            scope: Some(CallsRead::SCOPE),
            query: None,
            body: None,
            ok: (
                200,
                "The call.",
                Some(("application/json", schema::<closeq_core::Call>(g))),
            ),
            errors: &[401, 403, 404, 429],
        },
        Op {
            method: "get",
            path: "/v1/calls/{id}/transcript",
            id: "getTranscript",
            summary: "A call's transcript.",
            scope: Some(CallsRead::SCOPE),
            query: None,
            body: None,
            ok: (
                200,
                "The transcript.",
                Some(("application/json", schema::<closeq_core::Transcript>(g))),
            ),
            errors: &[401, 403, 404, 429],
        },
        Op {
            method: "get",
            path: "/v1/calls/{id}/metrics",
            id: "getMetrics",
            summary: "An analysed call's conversation metrics.",
            scope: Some(CallsRead::SCOPE),
            query: None,
            body: None,
            ok: (
                200,
                "The metrics.",
                Some((
                    "application/json",
                    schema::<closeq_core::ConversationMetrics>(g),
                )),
            ),
            errors: &[401, 403, 404, 429],
        },
        Op {
            method: "get",
            path: "/v1/calls/{id}/scorecards",
            id: "listScorecards",
            summary: "A call's scorecards with their review state.",
            scope: Some(CallsRead::SCOPE),
            query: None,
            body: None,
            ok: (
                200,
                "The scorecards.",
                Some(("application/json", schema::<Vec<closeq_core::Scorecard>>(g))),
            ),
            errors: &[401, 403, 404, 429],
        },
        Op {
            method: "post",
            path: "/v1/calls/{id}/audio-url",
            id: "issueAudioUrl",
            summary: "A short-lived signed URL for a call's recording.",
            scope: Some(AudioRead::SCOPE),
            query: Some(query_params::<IssueQuery>(g)),
            body: None,
            ok: (
                201,
                "The URL.",
                Some(("application/json", schema::<AudioUrl>(g))),
            ),
            errors: &[401, 403, 404, 422, 429],
        },
        Op {
            method: "get",
            path: "/v1/audio/{token}",
            id: "getAudio",
            summary: "A recording through a signed URL (no key): whole, or one byte range.",
            scope: None,
            query: None,
            body: None,
            ok: (
                200,
                "The recording (206 for a range).",
                Some((
                    "application/octet-stream",
                    json!({"type": "string", "contentMediaType": "application/octet-stream"}),
                )),
            ),
            errors: &[403, 416],
        },
        Op {
            method: "post",
            path: "/v1/scorecards/{id}/review",
            id: "reviewScorecard",
            summary: "Accept, override or reject a scorecard.",
            scope: Some(ScorecardsReview::SCOPE),
            query: None,
            body: Some(("application/json", schema::<ReviewBody>(g))),
            ok: (
                200,
                "The reviewed scorecard.",
                Some(("application/json", schema::<closeq_core::Scorecard>(g))),
            ),
            errors: &[401, 403, 404, 409, 413, 415, 422, 429],
        },
        Op {
            method: "get",
            path: "/v1/dashboard",
            id: "dashboard",
            summary: "Aggregates of reviewed scores by rep or team.",
            scope: Some(DashboardRead::SCOPE),
            query: Some(query_params::<DashboardQuery>(g)),
            body: None,
            ok: (
                200,
                "One row per group.",
                Some((
                    "application/json",
                    schema::<Vec<closeq_core::ports::AggregateRow>>(g),
                )),
            ),
            errors: &[401, 403, 422, 429],
        },
        Op {
            method: "get",
            path: "/v1/rubrics",
            id: "listRubrics",
            summary: "The rubrics uploads may name.",
            scope: Some(CallsRead::SCOPE),
            query: None,
            body: None,
            ok: (
                200,
                "The rubrics.",
                Some(("application/json", schema::<Vec<RubricSummary>>(g))),
            ),
            errors: &[401, 403, 429],
        },
        Op {
            method: "post",
            path: "/v1/rubrics/validate",
            id: "validateRubric",
            summary: "Checks a rubric file.",
            scope: Some(CallsRead::SCOPE),
            query: None,
            body: Some(("application/json", schema::<RubricCheck>(g))),
            ok: (
                200,
                "The verdict.",
                Some(("application/json", schema::<RubricVerdict>(g))),
            ),
            errors: &[401, 403, 413, 415, 422, 429],
        },
        Op {
            method: "post",
            path: "/v1/privacy/requests",
            id: "fulfilRequest",
            summary: "Fulfil a data-subject request (export, erase, rectify, restrict, object, withdraw consent) at once; owners and admins.",
            scope: Some(PrivacyAdmin::SCOPE),
            query: None,
            body: Some(("application/json", schema::<NewRequest>(g))),
            ok: (
                200,
                "The request as it now stands, with what was done.",
                Some(("application/json", schema::<Fulfilled>(g))),
            ),
            errors: &[401, 403, 404, 409, 413, 415, 422, 429],
        },
        Op {
            method: "get",
            path: "/v1/privacy/requests",
            id: "listRequests",
            summary: "The workspace's data-subject requests, newest first, with status and due date.",
            scope: Some(PrivacyAdmin::SCOPE),
            query: None,
            body: None,
            ok: (
                200,
                "The requests.",
                Some(("application/json", schema::<Vec<RequestView>>(g))),
            ),
            errors: &[401, 403, 404, 429],
        },
        Op {
            method: "get",
            path: "/v1/privacy/requests/{id}",
            id: "getRequest",
            summary: "One data-subject request with status and due date.",
            scope: Some(PrivacyAdmin::SCOPE),
            query: None,
            body: None,
            ok: (
                200,
                "The request.",
                Some(("application/json", schema::<RequestView>(g))),
            ),
            errors: &[401, 403, 404, 429],
        },
        Op {
            method: "get",
            path: "/v1/subprocessors",
            id: "listSubprocessors",
            summary: "The public sub-processor list.",
            scope: None,
            query: None,
            body: None,
            ok: (
                200,
                "The list.",
                Some(("application/json", any_object.clone())),
            ),
            errors: &[],
        },
        Op {
            method: "get",
            path: "/v1/openapi.json",
            id: "openapi",
            summary: "This document.",
            scope: None,
            query: None,
            body: None,
            ok: (200, "The document.", Some(("application/json", any_object))),
            errors: &[],
        },
    ]
}

/// `(method, path)` of every documented operation.
pub fn operations() -> Vec<(&'static str, &'static str)> {
    let mut g = generator();
    ops(&mut g).iter().map(|o| (o.method, o.path)).collect()
}

fn generator() -> SchemaGenerator {
    SchemaSettings::draft2020_12()
        .with(|s| s.definitions_path = "/components/schemas".into())
        .into_generator()
}

/// The events sent to webhook endpoints (OpenAPI 3.1 `webhooks`): each a
/// POST of `{type, timestamp, data}` signed per Standard Webhooks.
fn webhooks() -> Value {
    let id = json!({"type": "string", "format": "uuid"});
    let events = [
        (
            EventType::CallAnalyzed,
            "A call was analysed: its scorecards await review.",
            json!({"call_id": id}),
        ),
        (
            EventType::CallFailed,
            "A call's processing failed for good.",
            json!({"call_id": id, "stage": {"type": "string", "enum": ["transcribe", "analyze"]}, "retryable": {"type": "boolean"}}),
        ),
        (
            EventType::ScorecardReviewed,
            "A person accepted, overrode or rejected a scorecard.",
            json!({"scorecard_id": id, "call_id": id, "decision": {"type": "string", "enum": ["accepted", "overridden", "rejected"]}}),
        ),
        (
            EventType::DsrCompleted,
            "A data-subject request was fulfilled or refused.",
            json!({"request_id": id, "kind": {"type": "string"}, "state": {"type": "string"}}),
        ),
    ];
    let mut out = Map::new();
    for (event, summary, fields) in events {
        let mut props = fields.as_object().cloned().unwrap_or_default();
        props.insert("workspace_id".into(), id.clone());
        let required: Vec<String> = props.keys().cloned().collect();
        let header = |name: &str, description: &str| json!({"name": name, "in": "header", "required": true, "description": description, "schema": {"type": "string"}});
        out.insert(
            event.name().to_owned(),
            json!({"post": {
                "summary": summary,
                "parameters": [
                    header("webhook-id", "The message id (msg_...), the same on every attempt."),
                    header("webhook-timestamp", "Unix seconds of this attempt."),
                    header("webhook-signature", "v1,<base64 HMAC-SHA256 of id.timestamp.body>, one per secret, space-separated."),
                ],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {
                    "type": "object",
                    "required": ["type", "timestamp", "data"],
                    "properties": {
                        "type": {"const": event.name()},
                        "timestamp": {"type": "string", "format": "date-time"},
                        "data": {"type": "object", "required": required, "properties": props},
                    },
                }}}},
                "responses": {"2XX": {"description": "Delivered; any other answer is retried with backoff."}},
            }}),
        );
    }
    Value::Object(out)
}

/// The OpenAPI 3.1 document.
pub fn document() -> Value {
    let mut g = generator();
    let problem = schema::<Problem>(&mut g);
    let mut paths = Map::new();
    for op in ops(&mut g) {
        let mut o = json!({
            "operationId": op.id,
            "summary": op.summary,
            "responses": {},
        });
        let mut params: Vec<Value> = Vec::new();
        for name in ["id", "token"] {
            if op.path.contains(&format!("{{{name}}}")) {
                params.push(json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}));
            }
        }
        if let Some(Value::Array(q)) = op.query {
            params.extend(q);
        }
        if !params.is_empty() {
            o["parameters"] = Value::Array(params);
        }
        match op.scope {
            Some(scope) => {
                o["security"] = json!([{"apiKey": []}]);
                o["x-closeq-scope"] = json!(scope);
            }
            None => o["security"] = json!([]),
        }
        if let Some((media, s)) = op.body {
            o["requestBody"] = json!({"required": true, "content": {media: {"schema": s}}});
        }
        let (status, desc, content) = op.ok;
        let mut ok = json!({"description": desc});
        if let Some((media, s)) = content {
            ok["content"] = json!({media: {"schema": s}});
        }
        if op.path == "/v1/audio/{token}" {
            o["responses"]["206"] = json!({"description": "A byte range of the recording.",
                "content": {"application/octet-stream": {"schema": {"type": "string", "contentMediaType": "application/octet-stream"}}}});
        }
        o["responses"][status.to_string()] = ok;
        let mut errors: Vec<u16> = op.errors.to_vec();
        errors.extend([405, 500]);
        if op.scope.is_some() || !op.errors.is_empty() {
            errors.push(503);
        }
        errors.sort_unstable();
        errors.dedup();
        for e in errors {
            o["responses"][e.to_string()] = json!({
                "description": http::StatusCode::from_u16(e).ok().and_then(|s| s.canonical_reason()).unwrap_or("Error"),
                "content": {PROBLEM_JSON: {"schema": problem.clone()}},
            });
        }
        let entry = paths.entry(op.path.to_owned()).or_insert_with(|| json!({}));
        entry[op.method] = o;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "CloseQ API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Upload sales calls, read their analysis and scorecards, review scorecards, fetch signed audio. Errors are RFC 9457 problem details; every response carries x-request-id.",
        },
        "paths": paths,
        "webhooks": webhooks(),
        "components": {
            "securitySchemes": {
                "apiKey": {"type": "http", "scheme": "bearer", "description": "An API key: cq_live_... (cq_test_... on a test installation). Each operation names the key scope it needs in x-closeq-scope."}
            },
            "schemas": Value::Object(g.take_definitions(true)),
        },
    })
}
