//! Attacks on a withdrawn consent (GDPR Art. 7(3)) through the library
//! pipeline: a retry of the original request (same call id, the same
//! consent method) and a rescore must not process the call again. Before
//! withdrawal existed the retry re-stored a fresh consent and analysed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use closeq_core::{ClientContact, ConsentMethod, EmailAddress, Error, Subject};
use closeq_pipeline::AnalyzeRequest;
use closeq_privacy::request::SubjectRequests;
use support::{Backend, Ctx, discovery, discovery_v2, sample_transcript};

on_every_backend!(a_withdrawn_consent_stops_retries_and_rescoring);

fn request() -> AnalyzeRequest {
    AnalyzeRequest::transcript(sample_transcript(), discovery())
        .with_client(ClientContact {
            email: Some(EmailAddress::parse("jane.roe@client.example").unwrap()),
            ..ClientContact::default()
        })
        .with_consent(ConsentMethod::Verbal)
}

fn is_withdrawal(r: &Result<closeq_pipeline::Analysed, Error>) -> bool {
    matches!(r, Err(Error::Compliance { rule, .. }) if rule == "GDPR Art. 7(3)")
}

async fn a_withdrawn_consent_stops_retries_and_rescoring(b: Backend) {
    let ctx = Ctx::new(b).await;
    let analyzer = ctx.builder().scorer(ctx.heuristic()).build().unwrap();
    let first = analyzer.analyze(&ctx.world.rep_a, request()).await.unwrap();
    let call = first.call.clone();
    let requests = SubjectRequests::new(
        ctx.stores.privacy.clone(),
        ctx.stores.workspaces.clone(),
        ctx.clock.clone(),
    );
    ctx.clock.advance(chrono::Duration::minutes(5));
    let client = Subject::Email(EmailAddress::parse("Jane.Roe@client.example").unwrap());
    requests
        .withdraw_consent(&ctx.world.admin, client, &call)
        .await
        .unwrap();
    ctx.clock.advance(chrono::Duration::minutes(5));
    // The retry carries a consent "given now", after the withdrawal.
    let retry = analyzer
        .analyze(&ctx.world.rep_a, request().with_call_id(call.id))
        .await;
    assert!(is_withdrawal(&retry), "{retry:?}");
    let rescore = analyzer
        .rescore(&ctx.world.rep_a, call.id, &discovery_v2())
        .await;
    assert!(is_withdrawal(&rescore), "{rescore:?}");
    // Nothing new was stored; what was done before is kept.
    let cards = ctx
        .calls()
        .list_scorecards(&ctx.world.owner, call.id)
        .await
        .unwrap();
    assert_eq!(cards.len(), first.scorecards.len());
    let consent = ctx
        .stores
        .privacy
        .get_consent(&ctx.world.owner, call.id)
        .await
        .unwrap()
        .unwrap();
    assert!(consent.is_withdrawn());
}
