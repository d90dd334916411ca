//! `closeq subprocessors [--json]`: the public sub-processor list of the
//! adapters this build can use, as configured in the environment.

use closeq_core::ports::SubProcessor;
use closeq_privacy::subprocessors::Register;

/// Prints the list.
pub fn run(json: bool) -> anyhow::Result<()> {
    let mut adapters: Vec<Box<dyn SubProcessor>> = Vec::new();
    // Adapters declare themselves; the defaults (local Whisper, heuristic
    // scorer) run in-process and are no sub-processors. Configured cloud
    // adapters are listed.
    if let Ok(lm) = closeq_analysis::llm::openai::OpenAiChat::from_env() {
        adapters.push(Box::new(lm));
    }
    if let Ok(lm) = closeq_analysis::llm::anthropic::AnthropicMessages::from_env() {
        adapters.push(Box::new(lm));
    }
    let refs: Vec<&dyn SubProcessor> = adapters
        .iter()
        .map(|a| a.as_ref() as &dyn SubProcessor)
        .collect();
    let reg = Register::from_adapters(&refs)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&reg.to_json())?);
    } else {
        print!("{}", reg.to_markdown());
    }
    Ok(())
}
