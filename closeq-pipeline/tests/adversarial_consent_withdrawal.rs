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

on_every_backend!(
    a_withdrawn_consent_stops_retries_and_rescoring,
    a_withdrawal_during_scoring_keeps_no_result
);

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

/// A scorer during whose work the consent is withdrawn (as a concurrent
/// data-subject request would).
#[derive(Debug)]
struct WithdrawingScorer {
    inner: std::sync::Arc<closeq_analysis::scoring::HeuristicScorer>,
    privacy: std::sync::Arc<dyn closeq_core::ports::PrivacyStore>,
    admin: closeq_core::Scope,
    at: chrono::DateTime<chrono::Utc>,
}

#[async_trait::async_trait]
impl closeq_core::ports::Scorer for WithdrawingScorer {
    fn name(&self) -> &str {
        "withdrawing"
    }
    fn sub_processors(&self) -> Vec<closeq_core::SubProcessorInfo> {
        Vec::new()
    }
    async fn score(
        &self,
        input: &closeq_core::ports::ScoringInput<'_>,
        rubric: &closeq_core::Rubric,
    ) -> closeq_core::Result<closeq_core::Scorecard> {
        let mut c = self
            .privacy
            .get_consent(&self.admin, input.call.id)
            .await?
            .expect("consent");
        c.withdraw(self.at);
        self.privacy.put_consent(&self.admin, &c).await?;
        self.inner.score(input, rubric).await
    }
}

/// Withdrawn while the call is being scored: the results are not kept
/// (before the second gate check they were stored after the withdrawal).
async fn a_withdrawal_during_scoring_keeps_no_result(b: Backend) {
    use closeq_core::Clock;
    let ctx = Ctx::new(b).await;
    let analyzer = ctx.builder().scorer(ctx.heuristic()).build().unwrap();
    let first = analyzer.analyze(&ctx.world.rep_a, request()).await.unwrap();
    let withdrawing = std::sync::Arc::new(WithdrawingScorer {
        inner: ctx.heuristic(),
        privacy: ctx.stores.privacy.clone(),
        admin: ctx.world.admin.clone(),
        at: ctx.clock.now(),
    });
    let racing = ctx.builder().scorer(withdrawing).build().unwrap();
    let r = racing
        .rescore(&ctx.world.rep_a, first.call.id, &discovery_v2())
        .await;
    assert!(is_withdrawal(&r), "{r:?}");
    let cards = ctx
        .calls()
        .list_scorecards(&ctx.world.owner, first.call.id)
        .await
        .unwrap();
    assert_eq!(cards.len(), first.scorecards.len(), "a card was kept");
}
