//! Your own providers, under the same rules: an in-memory store standing in
//! for your storage (any `CallStore` + `WorkspaceStore` + `PrivacyStore`),
//! and an OpenAI-compatible LLM judge. The workspace allows processing
//! inside the EEA only, so the judge — declared as OpenAI in the US by
//! default — is refused before a single byte leaves, with the vendor and
//! the rule named. Declared as what it really is (here: a server you run in
//! Germany under a DPA), it is allowed.
//!
//! Run: `cargo run -p closeq-examples --example own_providers`
//! With `CLOSEQ_OPENAI_BASE_URL` (e.g. `http://127.0.0.1:8080/v1`, a
//! llama.cpp or vLLM server) and `CLOSEQ_OPENAI_MODEL` set, the allowed
//! judge then really scores the call; without them the example stops after
//! showing the refusal.

use std::collections::BTreeSet;
use std::sync::Arc;

use closeq_analysis::llm::openai::OpenAiChat;
use closeq_analysis::rubric::builtin_rubric;
use closeq_analysis::scoring::LlmJudge;
use closeq_analysis::transcript::{Format, ImportOptions, import};
use closeq_core::ports::WorkspaceStore;
use closeq_core::{
    Clock, DataCategory, Member, Region, Role, Scope, SubProcessorInfo, SystemClock,
    TransferMechanism, TransferPolicy, UserId, Workspace,
};
use closeq_pipeline::{AnalyzeRequest, Analyzer, render_scorecard};
use closeq_storage::{InMemoryStore, SubjectHasher};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    // Your storage: here, the in-memory reference store.
    let store = Arc::new(InMemoryStore::new(SubjectHasher::new([1; 32], "49")));
    let mut ws = Workspace::new("Example GmbH", clock.now())?;
    ws.settings.transfer_policy = TransferPolicy::eea_only();
    let owner = Member::new(ws.id, UserId::new(), Role::Owner, clock.now());
    store.create_workspace(&ws, &owner).await?;
    let scope = Scope::new(ws.id, owner.user_id, Role::Owner);

    let base =
        std::env::var("CLOSEQ_OPENAI_BASE_URL").unwrap_or("https://api.openai.com/v1".into());
    let model = std::env::var("CLOSEQ_OPENAI_MODEL").unwrap_or("gpt-4.1-mini".into());
    let key = std::env::var("CLOSEQ_OPENAI_API_KEY").unwrap_or_default();
    let transcript = import(
        include_bytes!("../../closeq-cli/samples/03_demo_follow_up.txt"),
        Some(Format::Script),
        &ImportOptions::default().with_rep_speaker("Rep"),
    )?;
    let rubric = builtin_rubric("demo")?;
    let analyzer = |chat: OpenAiChat| {
        Analyzer::builder()
            .store(store.clone())
            .scorer(Arc::new(LlmJudge::new(Arc::new(chat), clock.clone())))
            .clock(clock.clone())
            .build()
    };

    // 1. Declared as OpenAI (US): refused by the workspace's EEA-only rule.
    let as_openai = analyzer(OpenAiChat::new(&base, &key, &model)?)?;
    let req = AnalyzeRequest::transcript(transcript.clone(), rubric.clone());
    match as_openai.analyze(&scope, req).await {
        Err(e) => println!("refused, nothing sent: {e}"),
        Ok(_) => anyhow::bail!("an EEA-only workspace must refuse a US processor"),
    }

    // 2. Declared as what it is: a self-hosted server in Germany.
    let own_server = SubProcessorInfo {
        vendor: "Our own inference server".into(),
        legal_entity: "Example GmbH".into(),
        purpose: "scoring call transcripts".into(),
        data_categories: BTreeSet::from([DataCategory::Transcript, DataCategory::AiAnalysis]),
        region: Region::parse("DE")?,
        transfer_mechanism: TransferMechanism::WithinEea,
        dpa_in_place: true,
        trains_on_customer_data: false,
    };
    let allowed = analyzer(OpenAiChat::new(&base, &key, &model)?.with_sub_processor(own_server))?;
    if std::env::var_os("CLOSEQ_OPENAI_BASE_URL").is_none() {
        println!(
            "allowed when declared as a server in Germany; set CLOSEQ_OPENAI_BASE_URL and CLOSEQ_OPENAI_MODEL to score with it"
        );
        return Ok(());
    }
    let done = allowed
        .analyze(
            &scope,
            AnalyzeRequest::transcript(transcript, rubric.clone()),
        )
        .await?;
    print!("{}", render_scorecard(&done.scorecards[0], &rubric));
    Ok(())
}
