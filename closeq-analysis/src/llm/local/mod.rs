//! An in-process language model: llama.cpp (through the `llama-cpp-2`
//! crate) over a GGUF file. Nothing leaves the process, so it is no
//! sub-processor and needs no transfer check — an EEA-only workspace can
//! still use the LLM judge.
//!
//! With a response schema the answer is constrained by a grammar made from
//! the schema (llama.cpp's `json_schema_to_grammar`), after bounding every
//! string and array the schema leaves unbounded
//! ([`LocalModelConfig::max_string_chars`], [`LocalModelConfig::max_array_items`])
//! so a constrained answer always ends within the token limit a caller can
//! afford. The grammar guarantees the shape, not the content: quotes and
//! utterance ids are whatever the model writes, which is why the judge
//! verifies every citation.
//!
//! The test model of this repository (`scripts/fetch-judge-model`, Gemma 3
//! 270M, a base model) exercises this machinery, not the judgement: its
//! verdicts and quotes mean nothing.

mod generate;
mod schema_bounds;

use std::fmt;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use closeq_core::ports::{
    Completion, CompletionRequest, LanguageModel, MessageRole, SubProcessor, TokenUsage,
};
use closeq_core::{Error, Result, SubProcessorInfo};
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::{LlamaChatMessage, LlamaChatTemplate, LlamaModel};

pub use schema_bounds::bound_schema;

/// Settings of the in-process model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalModelConfig {
    /// CPU threads for prompt processing and generation.
    pub threads: u32,
    /// The largest context (prompt + answer tokens) a request may use; the
    /// memory of one request is bounded by it.
    pub context_tokens: u32,
    /// Prompt tokens decoded per batch.
    pub batch_tokens: u32,
    /// The answer's token limit is the request's `max_tokens`, capped here.
    pub max_output_tokens: u32,
    /// `maxLength` given to every schema string without one.
    pub max_string_chars: u32,
    /// `maxItems` given to every schema array without one.
    pub max_array_items: u32,
}

impl Default for LocalModelConfig {
    fn default() -> Self {
        Self {
            threads: std::thread::available_parallelism()
                .map_or(2, |n| u32::try_from(n.get()).unwrap_or(2))
                .min(8),
            context_tokens: 8_192,
            batch_tokens: 512,
            max_output_tokens: 2_048,
            max_string_chars: 300,
            max_array_items: 8,
        }
    }
}

impl LocalModelConfig {
    /// The defaults, overridden by `CLOSEQ_LLM_LOCAL_THREADS`,
    /// `CLOSEQ_LLM_LOCAL_CONTEXT` and `CLOSEQ_LLM_LOCAL_MAX_TOKENS` when set
    /// (positive integers; anything else is an [`Error::InvalidInput`]
    /// naming the variable).
    pub fn from_env() -> Result<Self> {
        let mut c = Self::default();
        for (name, slot) in [
            ("CLOSEQ_LLM_LOCAL_THREADS", &mut c.threads),
            ("CLOSEQ_LLM_LOCAL_CONTEXT", &mut c.context_tokens),
            ("CLOSEQ_LLM_LOCAL_MAX_TOKENS", &mut c.max_output_tokens),
        ] {
            if let Ok(v) = std::env::var(name) {
                *slot = v
                    .trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| Error::invalid(name, "must be a positive integer"))?;
            }
        }
        Ok(c)
    }
}

/// llama.cpp's backend may be initialised once per process.
fn backend() -> Result<&'static LlamaBackend> {
    static BACKEND: OnceLock<Option<LlamaBackend>> = OnceLock::new();
    BACKEND
        .get_or_init(|| {
            llama_cpp_2::send_logs_to_tracing(llama_cpp_2::LogOptions::default());
            LlamaBackend::init().ok()
        })
        .as_ref()
        .ok_or_else(|| Error::Unavailable {
            service: "llama.cpp".into(),
            reason: "the backend was initialised elsewhere in this process".into(),
        })
}

/// A GGUF model run in process by llama.cpp.
pub struct LlamaCppModel {
    model: Arc<LlamaModel>,
    template: Option<LlamaChatTemplate>,
    name: String,
    config: LocalModelConfig,
    gate: tokio::sync::Semaphore,
}

impl fmt::Debug for LlamaCppModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LlamaCppModel")
            .field("name", &self.name)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

const GGUF_MAGIC: &[u8; 4] = b"GGUF";

impl LlamaCppModel {
    /// Loads the GGUF file at `path` (blocking: it reads the file; call it
    /// before starting work, or inside `spawn_blocking`). A missing file or
    /// one that is not GGUF is an [`Error::InvalidInput`] for `model_path`.
    pub fn load(path: impl AsRef<Path>, config: LocalModelConfig) -> Result<Self> {
        let path = path.as_ref();
        if config.context_tokens == 0 || config.batch_tokens == 0 || config.threads == 0 {
            return Err(Error::invalid(
                "config",
                "threads, context_tokens and batch_tokens must be positive",
            ));
        }
        let mut magic = [0u8; 4];
        std::fs::File::open(path)
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
            .map_err(|_| Error::invalid("model_path", "cannot read the model file"))?;
        if &magic != GGUF_MAGIC {
            return Err(Error::invalid("model_path", "not a GGUF model file"));
        }
        let backend = backend()?;
        let model = LlamaModel::load_from_file(backend, path, &LlamaModelParams::default())
            .map_err(|_| Error::invalid("model_path", "llama.cpp cannot load this GGUF file"))?;
        let template = model.chat_template(None).ok();
        let name = format!(
            "local:{}",
            path.file_stem()
                .map_or_else(|| "model".into(), |s| s.to_string_lossy().into_owned())
        );
        Ok(Self {
            model: Arc::new(model),
            template,
            name,
            config,
            gate: tokio::sync::Semaphore::new(1),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &LocalModelConfig {
        &self.config
    }

    /// The number of tokens `text` has for this model (BOS included when
    /// the model adds one).
    pub fn count_tokens(&self, text: &str) -> u64 {
        generate::tokenize(&self.model, text).len() as u64
    }

    /// The exact prompt text a request becomes: the model's own chat
    /// template when the GGUF has one, else plain `role:` turns.
    pub fn render_prompt(&self, req: &CompletionRequest) -> Result<String> {
        let turns: Vec<(&str, &str)> = std::iter::once(("system", req.system.as_str()))
            .chain(req.messages.iter().map(|m| {
                (
                    match m.role {
                        MessageRole::User => "user",
                        MessageRole::Assistant => "assistant",
                    },
                    m.content.as_str(),
                )
            }))
            .collect();
        if let Some(t) = &self.template {
            let chat = turns
                .iter()
                .map(|(role, content)| {
                    LlamaChatMessage::new((*role).to_owned(), (*content).to_owned())
                })
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|_| Error::invalid("messages", "contains a NUL character"))?;
            if let Ok(p) = self.model.apply_chat_template(t, &chat, true) {
                return Ok(p);
            }
        }
        let mut p = String::new();
        for (role, content) in &turns {
            p.push_str(role);
            p.push_str(": ");
            p.push_str(content);
            p.push_str("\n\n");
        }
        p.push_str("assistant: ");
        Ok(p)
    }

    /// The GBNF grammar an answer following `schema` is constrained by.
    pub fn grammar_for(&self, schema: &serde_json::Value) -> Result<String> {
        let bounded = bound_schema(
            schema,
            self.config.max_string_chars,
            self.config.max_array_items,
        );
        llama_cpp_2::json_schema_to_grammar(&bounded.to_string()).map_err(|_| {
            Error::invalid(
                "response_schema",
                "llama.cpp cannot make a grammar from this schema",
            )
        })
    }
}

impl SubProcessor for LlamaCppModel {
    /// None: the model runs in this process.
    fn sub_processor(&self) -> Option<SubProcessorInfo> {
        None
    }
}

#[async_trait]
impl LanguageModel for LlamaCppModel {
    fn model(&self) -> &str {
        &self.name
    }

    /// One generation at a time per model (the threads are the
    /// configuration's); usage counts the prompt's and the answer's tokens
    /// exactly as llama.cpp processed them; cost is `None` (no price).
    async fn complete(&self, req: CompletionRequest) -> Result<Completion> {
        let prompt = self.render_prompt(&req)?;
        let grammar = req
            .response_schema
            .as_ref()
            .map(|s| self.grammar_for(&s.schema))
            .transpose()?;
        let max_tokens = req.max_tokens.min(self.config.max_output_tokens);
        let seed = req.seed.map_or(0, |s| (s & u64::from(u32::MAX)) as u32);
        let temperature = req.temperature;
        let _turn = self
            .gate
            .acquire()
            .await
            .map_err(|_| Error::internal("the local model's gate is closed"))?;
        let model = Arc::clone(&self.model);
        let config = self.config.clone();
        let backend = backend()?;
        let out = tokio::task::spawn_blocking(move || {
            generate::generate(
                backend,
                &model,
                &config,
                &prompt,
                &generate::Sampling {
                    grammar: grammar.as_deref(),
                    max_tokens,
                    temperature,
                    seed,
                },
            )
        })
        .await
        .map_err(|_| Error::internal("the local model's generation thread failed"))??;
        Ok(Completion {
            content: out.text.into(),
            finish_reason: out.finish,
            usage: TokenUsage {
                input_tokens: out.prompt_tokens,
                output_tokens: out.output_tokens,
            },
            cost_usd: None,
            model: self.name.clone(),
            request_id: None,
        })
    }
}
