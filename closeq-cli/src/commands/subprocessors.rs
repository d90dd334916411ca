//! `closeq subprocessors [--json]`: the public sub-processor list of the
//! adapters this build can use, as configured in the environment.

use closeq_core::ports::SubProcessor;
use closeq_privacy::subprocessors::Register;

/// The register of the adapters configured in the environment.
pub(crate) fn register() -> anyhow::Result<Register> {
    let mut adapters: Vec<Box<dyn SubProcessor>> = Vec::new();
    if let Ok(lm) = closeq_analysis::llm::openai::OpenAiChat::from_env() {
        adapters.push(Box::new(lm));
    }
    if let Ok(lm) = closeq_analysis::llm::anthropic::AnthropicMessages::from_env() {
        adapters.push(Box::new(lm));
    }
    if let Ok(stt) = closeq_stt::cloud::OpenAiStt::from_env() {
        adapters.push(Box::new(stt));
    }
    if let Ok(stt) = closeq_stt::cloud::DeepgramStt::from_env() {
        adapters.push(Box::new(stt));
    }
    if let Ok(stt) = closeq_stt::cloud::AssemblyAiStt::from_env() {
        adapters.push(Box::new(stt));
    }
    let refs: Vec<&dyn SubProcessor> = adapters
        .iter()
        .map(|a| a.as_ref() as &dyn SubProcessor)
        .collect();
    Ok(Register::from_adapters(&refs)?)
}

/// Prints the Art. 30 record of processing of the local installation.
pub fn processing_record(json: bool) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let settings = rt.block_on(async {
        let state = closeq_pipeline::LocalInstallation::open().await?;
        Ok::<_, anyhow::Error>(
            state
                .workspaces()
                .get_workspace(state.owner_scope())
                .await?
                .settings,
        )
    })?;
    let rules = closeq_privacy::retention::RetentionRules::defaults(&settings);
    let reg = register()?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&closeq_privacy::data_map::record_of_processing(
                &reg, &rules
            ))?
        );
    } else {
        print!(
            "{}",
            closeq_privacy::data_map::record_of_processing_markdown(&reg, &rules)
        );
    }
    Ok(())
}

/// Prints the list.
pub fn run(json: bool) -> anyhow::Result<()> {
    // Adapters declare themselves; the defaults (local Whisper, heuristic
    // scorer) run in-process and are no sub-processors.
    let reg = register()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&reg.to_json())?);
    } else {
        print!("{}", reg.to_markdown());
    }
    Ok(())
}
