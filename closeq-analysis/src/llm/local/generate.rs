//! One blocking generation with llama.cpp: the prompt decoded in batches,
//! then one token at a time, sampled greedily (temperature 0) or with a
//! seeded distribution, constrained by a grammar when there is one.

use std::num::NonZeroU32;

use closeq_core::ports::FinishReason;
use closeq_core::{Error, Result};
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;
use llama_cpp_2::token::data::LlamaTokenData;
use llama_cpp_2::token::data_array::LlamaTokenDataArray;

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
    let mut sampler = Sampler::new(model, sampling)?;
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
        let token = sampler.next(&ctx)?;
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

/// How many of the likeliest tokens are checked against the grammar before
/// the whole vocabulary is (Gemma 3 has 262,144 tokens; checking them all
/// costs far more than a forward pass of a small model).
const GRAMMAR_SHORTLIST: usize = 64;

/// Picks the next token. Greedy decoding with a grammar takes the likeliest
/// token the grammar allows: first among a shortlist of the likeliest
/// tokens, and only when none of them is allowed among all tokens — the
/// same token as applying the grammar to the whole vocabulary, found
/// without doing so at most steps (llama.cpp's own sampler does the same).
enum Sampler {
    Greedy { grammar: Option<LlamaSampler> },
    Chain(LlamaSampler),
}

impl Sampler {
    fn new(model: &LlamaModel, sampling: &Sampling<'_>) -> Result<Self> {
        let grammar = sampling
            .grammar
            .map(|g| {
                LlamaSampler::grammar(model, g, "root").map_err(|_| {
                    Error::invalid(
                        "response_schema",
                        "llama.cpp cannot use the grammar made from this schema",
                    )
                })
            })
            .transpose()?;
        if sampling.temperature > 0.0 && sampling.temperature.is_finite() {
            let mut chain = Vec::with_capacity(3);
            chain.extend(grammar);
            chain.push(LlamaSampler::temp(sampling.temperature));
            chain.push(LlamaSampler::dist(sampling.seed));
            Ok(Self::Chain(LlamaSampler::chain_simple(chain)))
        } else {
            Ok(Self::Greedy { grammar })
        }
    }

    /// The next token after the last decode; accepted into the grammar.
    fn next(&mut self, ctx: &LlamaContext<'_>) -> Result<LlamaToken> {
        let grammar = match self {
            // Samples from the last output and accepts the token.
            Self::Chain(chain) => return Ok(chain.sample(ctx, -1)),
            Self::Greedy { grammar } => grammar,
        };
        let logits = ctx.get_logits_ith(-1);
        let Some(grammar) = grammar else {
            return best(logits.iter().copied().enumerate())
                .ok_or_else(|| failed("the model produced no finite logit"));
        };
        let mut ranked: Vec<(usize, f32)> = logits
            .iter()
            .copied()
            .enumerate()
            .filter(|(_, l)| l.is_finite())
            .collect();
        let cut = GRAMMAR_SHORTLIST.min(ranked.len());
        if cut > 0 && cut < ranked.len() {
            ranked.select_nth_unstable_by(cut - 1, |a, b| b.1.total_cmp(&a.1));
        }
        let allowed = |grammar: &mut LlamaSampler, cands: &[(usize, f32)]| {
            let mut arr = LlamaTokenDataArray::new(
                cands
                    .iter()
                    .filter_map(|(id, l)| {
                        i32::try_from(*id)
                            .ok()
                            .map(|id| LlamaTokenData::new(LlamaToken(id), *l, 0.0))
                    })
                    .collect(),
                false,
            );
            grammar.apply(&mut arr);
            best(
                arr.data
                    .iter()
                    .filter_map(|d| usize::try_from(d.id().0).ok().map(|id| (id, d.logit()))),
            )
        };
        let token = allowed(grammar, &ranked[..cut])
            .or_else(|| allowed(grammar, &ranked[cut..]))
            .ok_or_else(|| failed("the grammar allows no token"))?;
        grammar
            .try_accept(token)
            .map_err(|_| failed("the grammar refused the token it allowed"))?;
        Ok(token)
    }
}

/// The token with the highest finite logit.
fn best(cands: impl Iterator<Item = (usize, f32)>) -> Option<LlamaToken> {
    cands
        .filter(|(_, l)| l.is_finite())
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .and_then(|(id, _)| i32::try_from(id).ok())
        .map(LlamaToken)
}
