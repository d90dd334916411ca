//! Every gate and transfer rule, with real provider adapters pointed at
//! local stand-in servers: a refused call reaches no provider (the servers
//! record zero requests), stores nothing, and the error names the rule.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;

use closeq_analysis::llm::openai::OpenAiChat;
use closeq_analysis::scoring::LlmJudge;
use closeq_core::ports::{CallFilter, PageRequest, SpeechToText};
use closeq_core::{
    ChannelLayout, ClientContact, Clock, EmailAddress, Error, Subject, SubjectFlags,
    TransferPolicy, WorkspaceSettings,
};
use closeq_pipeline::{AnalyzeRequest, Analyzer};
use closeq_stt::cloud::DeepgramStt;
use closeq_stt::samples::SAMPLE_CALLS;
use support::{Backend, Ctx, discovery, sample_transcript};
use wiremock::MockServer;

struct Servers {
    stt: MockServer,
    llm: MockServer,
}

impl Servers {
    async fn start() -> Self {
        Self {
            stt: MockServer::start().await,
            llm: MockServer::start().await,
        }
    }

    async fn requests(&self) -> usize {
        self.stt.received_requests().await.unwrap_or_default().len()
            + self.llm.received_requests().await.unwrap_or_default().len()
    }
}

fn analyzer(
    ctx: &Ctx,
    s: &Servers,
    stt_info: Option<closeq_core::SubProcessorInfo>,
    llm_info: Option<closeq_core::SubProcessorInfo>,
) -> Analyzer {
    let mut deepgram = DeepgramStt::new(s.stt.uri(), "dg-test-key", "nova-3").unwrap();
    if let Some(i) = stt_info {
        deepgram = deepgram.with_sub_processor(i);
    }
    let mut chat = OpenAiChat::new(format!("{}/v1", s.llm.uri()), "sk-test", "gpt-test").unwrap();
    if let Some(i) = llm_info {
        chat = chat.with_sub_processor(i);
    }
    let judge = LlmJudge::new(Arc::new(chat), ctx.clock.clone() as Arc<dyn Clock>);
    ctx.builder()
        .speech_to_text(Arc::new(deepgram) as Arc<dyn SpeechToText>)
        .scorer(Arc::new(judge))
        .build()
        .unwrap()
}

const CLIENT: &str = "jane.roe@client.example";

fn with_client(req: AnalyzeRequest) -> AnalyzeRequest {
    req.with_client(ClientContact {
        email: Some(EmailAddress::parse(CLIENT).unwrap()),
        ..ClientContact::default()
    })
}

fn requests() -> Vec<AnalyzeRequest> {
    vec![
        with_client(AnalyzeRequest::audio(
            SAMPLE_CALLS[2].audio,
            ChannelLayout::Stereo { rep_channel: 0 },
            discovery(),
        )),
        with_client(AnalyzeRequest::transcript(sample_transcript(), discovery())),
    ]
}

async fn set(ctx: &Ctx, f: impl FnOnce(&mut WorkspaceSettings)) {
    let mut settings = ctx
        .stores
        .workspaces
        .get_workspace(&ctx.world.owner)
        .await
        .unwrap()
        .settings;
    f(&mut settings);
    ctx.stores
        .workspaces
        .update_settings(&ctx.world.owner, &settings)
        .await
        .unwrap();
}

/// Every request is refused by `rule`, nothing reaches a provider, and
/// nothing is stored.
async fn refused(ctx: &Ctx, s: &Servers, a: &Analyzer, rule: &str, names: &[&str]) {
    for req in requests() {
        match a.analyze(&ctx.world.rep_a, req).await {
            Err(Error::Compliance { rule: r, reason }) => {
                assert_eq!(r, rule, "{reason}");
                for n in names {
                    assert!(reason.contains(n), "{reason} should name {n}");
                }
            }
            other => panic!("expected the {rule} refusal, got {other:?}"),
        }
    }
    assert_eq!(s.requests().await, 0, "a refused call reached a provider");
    assert_eq!(ctx.audio_files(), 0);
    let calls = ctx
        .calls()
        .list_calls(
            &ctx.world.owner,
            &CallFilter::default(),
            &PageRequest::first(10),
        )
        .await
        .unwrap();
    assert!(calls.items.is_empty());
}

on_every_backend!(
    the_ai_switch_off_refuses,
    missing_consent_refuses_when_required,
    a_restricted_client_refuses,
    an_objecting_rep_refuses,
    eea_only_refuses_us_speech_to_text_and_llm,
    a_sub_processor_without_dpa_refuses,
    a_sub_processor_training_on_data_refuses,
);

async fn the_ai_switch_off_refuses(b: Backend) {
    let (ctx, s) = (Ctx::new(b).await, Servers::start().await);
    set(&ctx, |w| w.ai_analysis_enabled = false).await;
    let a = analyzer(&ctx, &s, None, None);
    refused(&ctx, &s, &a, "workspace AI switch", &[]).await;
}

async fn missing_consent_refuses_when_required(b: Backend) {
    let (ctx, s) = (Ctx::new(b).await, Servers::start().await);
    set(&ctx, |w| w.consent_required = true).await;
    let a = analyzer(&ctx, &s, None, None);
    refused(&ctx, &s, &a, "recording consent", &[]).await;
}

async fn a_restricted_client_refuses(b: Backend) {
    let (ctx, s) = (Ctx::new(b).await, Servers::start().await);
    let subject = Subject::Email(EmailAddress::parse(CLIENT).unwrap());
    let flags = SubjectFlags {
        restricted: true,
        objected: false,
        legal_hold: false,
    };
    ctx.stores
        .privacy
        .set_subject_flags(&ctx.world.owner, &subject, flags)
        .await
        .unwrap();
    let a = analyzer(&ctx, &s, None, None);
    refused(&ctx, &s, &a, "GDPR Art. 18", &[]).await;
}

async fn an_objecting_rep_refuses(b: Backend) {
    let (ctx, s) = (Ctx::new(b).await, Servers::start().await);
    let subject = Subject::User(ctx.world.rep_a.user_id);
    let flags = SubjectFlags {
        restricted: false,
        objected: true,
        legal_hold: false,
    };
    ctx.stores
        .privacy
        .set_subject_flags(&ctx.world.owner, &subject, flags)
        .await
        .unwrap();
    let a = analyzer(&ctx, &s, None, None);
    refused(&ctx, &s, &a, "GDPR Art. 21", &[]).await;
}

async fn eea_only_refuses_us_speech_to_text_and_llm(b: Backend) {
    let (ctx, s) = (Ctx::new(b).await, Servers::start().await);
    set(&ctx, |w| w.transfer_policy = TransferPolicy::eea_only()).await;
    let a = analyzer(&ctx, &s, None, None);
    // Audio: Deepgram (US) is refused first; transcript: OpenAI (US).
    let audio = with_client(AnalyzeRequest::audio(
        SAMPLE_CALLS[2].audio,
        ChannelLayout::Stereo { rep_channel: 0 },
        discovery(),
    ));
    let e = a
        .analyze(&ctx.world.rep_a, audio)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("transfer-policy") && e.contains("Deepgram") && e.contains("speech-to-text"),
        "{e}"
    );
    let text = with_client(AnalyzeRequest::transcript(sample_transcript(), discovery()));
    let e = a
        .analyze(&ctx.world.rep_a, text)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("transfer-policy") && e.contains("OpenAI") && e.contains("scoring"),
        "{e}"
    );
    refused(&ctx, &s, &a, "transfer-policy", &[]).await;
}

fn vendor(dpa: bool, trains: bool) -> closeq_core::SubProcessorInfo {
    closeq_core::SubProcessorInfo {
        vendor: "Stand-in Vendor".into(),
        legal_entity: "Stand-in Vendor GmbH".into(),
        purpose: "testing".into(),
        data_categories: [closeq_core::DataCategory::Transcript].into(),
        region: closeq_core::Region::parse("DE").unwrap(),
        transfer_mechanism: closeq_core::TransferMechanism::WithinEea,
        dpa_in_place: dpa,
        trains_on_customer_data: trains,
    }
}

async fn a_sub_processor_without_dpa_refuses(b: Backend) {
    let (ctx, s) = (Ctx::new(b).await, Servers::start().await);
    let a = analyzer(
        &ctx,
        &s,
        Some(vendor(false, false)),
        Some(vendor(false, false)),
    );
    refused(
        &ctx,
        &s,
        &a,
        "transfer-policy",
        &["Stand-in Vendor", "data-processing agreement"],
    )
    .await;
}

async fn a_sub_processor_training_on_data_refuses(b: Backend) {
    let (ctx, s) = (Ctx::new(b).await, Servers::start().await);
    let a = analyzer(&ctx, &s, Some(vendor(true, true)), Some(vendor(true, true)));
    refused(
        &ctx,
        &s,
        &a,
        "transfer-policy",
        &["Stand-in Vendor", "trains on customer data"],
    )
    .await;
}
