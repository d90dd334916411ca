//! One blocking generation with llama.cpp: the prompt decoded in batches,
//! then one token at a time, sampled greedily (temperature 0) or with a
//! seeded distribution, constrained by a grammar when there is one.

use std::num::NonZeroU32;

use closeq_core::ports::FinishReason;
use closeq_core::{Error, Result};
use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;

use super::LocalModelConfig;

/// What one generation produced.
#[derive(Debug)]
pub(crate) struct Generated {
    pub text: String,
    pub prompt_tokens: u64,
    pub output_tokens: u64,
    pub finish: FinishReason,
}

/// The sampling settings of one request.
pub(crate) struct Sampling<'a> {
    pub grammar: Option<&'a str>,
    pub max_tokens: u32,
    pub temperature: f32,
    pub seed: u32,
}

/// The prompt's tokens, as generation will see them (BOS added when the
/// model wants one, special tokens of the chat template parsed).
pub(crate) fn tokenize(model: &LlamaModel, prompt: &str) -> Vec<LlamaToken> {
    model.vocab().tokenize(prompt.as_bytes(), true, true)
}

fn failed(what: &'static str) -> Error {
    Error::Provider {
        provider: "llama.cpp".into(),
        status: None,
        reason: what.into(),
    }
}

/// Runs one generation. The context is sized for the prompt plus
/// `max_tokens` (never more than `config.context_tokens`), so memory is
/// bounded before any work starts.
pub(crate) fn generate(
    backend: &LlamaBackend,
    model: &LlamaModel,
    config: &LocalModelConfig,
    prompt: &str,
    sampling: &Sampling<'_>,
) -> Result<Generated> {
    let tokens = tokenize(model, prompt);
    let prompt_tokens = tokens.len() as u64;
    let needed = prompt_tokens.saturating_add(u64::from(sampling.max_tokens));
    if tokens.is_empty() || needed > u64::from(config.context_tokens) {
        return Err(Error::invalid(
            "prompt",
            format!(
                "{prompt_tokens} prompt tokens + {} answer tokens do not fit the local model's context of {} tokens",
                sampling.max_tokens, config.context_tokens
            ),
        ));
    }
    let mut sampler = sampler(model, sampling)?;
    if sampling.max_tokens == 0 {
        return Ok(Generated {
            text: String::new(),
            prompt_tokens,
            output_tokens: 0,
            finish: FinishReason::Length,
        });
    }
    let n_ctx = u32::try_from(needed)
        .ok()
        .and_then(NonZeroU32::new)
        .ok_or_else(|| failed("context size out of range"))?;
    let threads = i32::try_from(config.threads.max(1)).unwrap_or(1);
    let batch_size = config.batch_tokens.max(1);
    let params = LlamaContextParams::default()
        .with_n_ctx(Some(n_ctx))
        .with_n_batch(batch_size)
        .with_n_ubatch(batch_size)
        .with_n_threads(threads)
        .with_n_threads_batch(threads);
    let mut ctx = model
        .new_context(backend, params)
        .map_err(|_| failed("cannot create a llama.cpp context"))?;
    let mut batch = LlamaBatch::new(batch_size as usize, 1);
    let last = tokens.len() - 1;
    for (chunk_no, chunk) in tokens.chunks(batch_size as usize).enumerate() {
        batch.clear();
        for (i, t) in chunk.iter().enumerate() {
            let at = chunk_no * batch_size as usize + i;
            let pos = i32::try_from(at).map_err(|_| failed("prompt position out of range"))?;
            batch
                .add(*t, pos, &[0], at == last)
                .map_err(|_| failed("cannot fill the prompt batch"))?;
        }
        ctx.decode(&mut batch)
            .map_err(|_| failed("decoding the prompt failed"))?;
    }
    let vocab = model.vocab();
    let mut bytes = Vec::new();
    let mut pos = i32::try_from(tokens.len()).map_err(|_| failed("prompt too long"))?;
    let mut output_tokens = 0u64;
    let mut finish = FinishReason::Length;
    while output_tokens < u64::from(sampling.max_tokens) {
        // Samples from the last output of the previous decode and accepts
        // the token into the sampler chain (grammar state included).
        let token = sampler.sample(&ctx, -1);
        if vocab.is_eog(token) {
            finish = FinishReason::Stop;
            break;
        }
        output_tokens += 1;
        bytes.extend_from_slice(&vocab.token_to_piece(token, false, None));
        batch.clear();
        batch
            .add(token, pos, &[0], true)
            .map_err(|_| failed("cannot fill the generation batch"))?;
        pos = pos
            .checked_add(1)
            .ok_or_else(|| failed("position overflow"))?;
        ctx.decode(&mut batch)
            .map_err(|_| failed("decoding a generated token failed"))?;
    }
    Ok(Generated {
        text: String::from_utf8_lossy(&bytes).into_owned(),
        prompt_tokens,
        output_tokens,
        finish,
    })
}

fn sampler(model: &LlamaModel, sampling: &Sampling<'_>) -> Result<LlamaSampler> {
    let mut chain = Vec::with_capacity(3);
    if let Some(g) = sampling.grammar {
        chain.push(LlamaSampler::grammar(model, g, "root").map_err(|_| {
            Error::invalid(
                "response_schema",
                "llama.cpp cannot use the grammar made from this schema",
            )
        })?);
    }
    if sampling.temperature > 0.0 && sampling.temperature.is_finite() {
        chain.push(LlamaSampler::temp(sampling.temperature));
        chain.push(LlamaSampler::dist(sampling.seed));
    } else {
        chain.push(LlamaSampler::greedy());
    }
    Ok(LlamaSampler::chain_simple(chain))
}
