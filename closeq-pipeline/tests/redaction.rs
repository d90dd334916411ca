//! Redaction before remote processing, end to end with the real OpenAI
//! adapter and LLM judge at a stand-in server that records every request
//! body: with the workspace setting on, no canary (e-mail, phone written
//! and spoken, card number, the client's and the rep's names) reaches the
//! model, and the stored evidence quotes are the transcript's own words;
//! with it off, the canaries do reach it (so the test can fail).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;

use closeq_analysis::llm::openai::OpenAiChat;
use closeq_analysis::scoring::LlmJudge;
use closeq_core::{ClientContact, Clock, EmailAddress, EvidenceSide, Member, Verdict};
use closeq_pipeline::AnalyzeRequest;
use serde_json::{Value, json};
use support::{Backend, Ctx, discovery, transcript};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const CALL: &str = "\
[00:00:00] Rep: Hi, this is Rob Quill from Acme. What problem are you trying to solve?
[00:00:06] Client: Reports take too long. Write to me at jane.canary@client-example.org or call 07700 900461.
[00:00:14] Client: My direct line is zero seven seven zero zero nine zero zero four six one.
[00:00:20] Client: We would pay with card 4111 1111 1111 1111 once Jane Canary signs off.
[00:00:27] Rep: Who else is involved in the decision?
[00:00:31] Client: Only me. Let's talk next Tuesday at 3pm.
";

const CANARIES: &[&str] = &[
    "jane.canary@client-example.org",
    "07700 900461",
    "zero seven seven zero zero",
    "4111 1111 1111 1111",
    "Jane Canary",
    "Canary",
    "Rob Quill",
];

/// Answers like a model would: cites the client utterance that mentions
/// the e-mail (as the model saw it) for a client-side criterion.
struct Judge {
    criterion: String,
}

impl Respond for Judge {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
        let prompt = body["messages"].as_array().map_or(String::new(), |m| {
            m.iter()
                .filter_map(|x| x["content"].as_str())
                .collect::<Vec<_>>()
                .join("\n")
        });
        // Transcript lines look like `C2 text`.
        let (id, text) = prompt
            .lines()
            .find_map(|l| {
                let rest = l.strip_prefix('C')?;
                let (id, text) = rest.split_once(' ')?;
                (text.contains("Write to me")).then(|| (id.parse::<u32>().ok(), text.to_owned()))
            })
            .unwrap_or((None, String::new()));
        let answer = json!({
            "criteria": [{
                "criterion_id": self.criterion,
                "verdict": "met",
                "citations": [{"utterance": id.unwrap_or(0), "quote": text}],
                "rationale": "The client named the pain.",
            }],
            "coaching_notes": ["Confirm the details the client gave."],
            "recommendations": [],
        });
        ResponseTemplate::new(200).set_body_json(json!({
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": 0,
            "model": "gpt-test",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.to_string()}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150},
        }))
    }
}

async fn run(b: Backend, redact: bool) -> (Vec<String>, Ctx, closeq_pipeline::Analysed) {
    let ctx = Ctx::new(b).await;
    let mut settings = ctx
        .stores
        .workspaces
        .get_workspace(&ctx.world.owner)
        .await
        .unwrap()
        .settings;
    settings.redact_before_remote_processing = redact;
    ctx.stores
        .workspaces
        .update_settings(&ctx.world.owner, &settings)
        .await
        .unwrap();
    // The rep's display name is known to the workspace.
    let mut rep = Member::new(
        ctx.world.workspace.id,
        ctx.world.rep_a.user_id,
        closeq_core::Role::Member,
        ctx.clock.now(),
    );
    rep.team_ids = [ctx.world.team_a].into();
    rep.display_name = Some("Rob Quill".to_owned().into());
    ctx.stores
        .workspaces
        .put_member(&ctx.world.owner, &rep)
        .await
        .unwrap();

    let rubric = discovery();
    let criterion = rubric
        .all_criteria()
        .into_iter()
        .find(|c| c.evidence == EvidenceSide::Client)
        .expect("a client-side criterion")
        .id
        .clone();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(Judge { criterion })
        .mount(&server)
        .await;
    let chat = OpenAiChat::new(format!("{}/v1", server.uri()), "sk-test", "gpt-test").unwrap();
    let judge = LlmJudge::new(Arc::new(chat), ctx.clock.clone() as Arc<dyn Clock>);
    let analyzer = ctx.builder().scorer(Arc::new(judge)).build().unwrap();
    let client = ClientContact {
        name: Some("Jane Canary".to_owned().into()),
        email: Some(EmailAddress::parse("jane.canary@client-example.org").unwrap()),
        ..ClientContact::default()
    };
    let done = analyzer
        .analyze(
            &ctx.world.rep_a,
            AnalyzeRequest::transcript(transcript(CALL), rubric).with_client(client),
        )
        .await
        .unwrap();
    let bodies = server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .collect();
    (bodies, ctx, done)
}

on_every_backend!(
    with_the_setting_on_no_canary_leaves_and_quotes_verify,
    with_the_setting_off_the_canaries_leave
);

async fn with_the_setting_on_no_canary_leaves_and_quotes_verify(b: Backend) {
    let (bodies, ctx, done) = run(b, true).await;
    assert!(!bodies.is_empty());
    for body in &bodies {
        for canary in CANARIES {
            assert!(!body.contains(canary), "{canary} reached the model");
        }
        assert!(body.contains("[EMAIL_"), "the model saw the pseudonym");
    }
    // The stored card cites the stored transcript's own words.
    let scope = &ctx.world.rep_a;
    let stored = ctx
        .calls()
        .get_transcript(scope, done.call.id)
        .await
        .unwrap();
    let cards = ctx
        .calls()
        .list_scorecards(scope, done.call.id)
        .await
        .unwrap();
    let cited: Vec<_> = cards[0]
        .criteria
        .iter()
        .filter(|c| c.verdict == Verdict::Met)
        .flat_map(|c| &c.evidence)
        .collect();
    assert_eq!(cited.len(), 1, "{:?}", cards[0].criteria);
    for e in cited {
        let u = stored.utterance(e.utterance_id).unwrap();
        let span: String = u
            .text
            .chars()
            .skip(e.char_start as usize)
            .take((e.char_end - e.char_start) as usize)
            .collect();
        assert_eq!(span, e.quote.as_str());
        assert!(
            e.quote.contains("jane.canary@client-example.org"),
            "{}",
            e.quote.as_str()
        );
        assert!(!e.quote.contains("[EMAIL_"));
    }
}

async fn with_the_setting_off_the_canaries_leave(b: Backend) {
    let (bodies, ..) = run(b, false).await;
    let all = bodies.join("\n");
    for canary in [
        "jane.canary@client-example.org",
        "4111 1111 1111 1111",
        "07700 900461",
    ] {
        assert!(
            all.contains(canary),
            "{canary} should reach the model when redaction is off"
        );
    }
}
