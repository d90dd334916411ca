//! Token accounting for language models: a decorator that counts what one
//! scorer request used.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use closeq_core::ports::{Completion, CompletionRequest, LanguageModel, SubProcessor, TokenUsage};
use closeq_core::{Result, SubProcessorInfo};

/// Tokens used so far.
#[derive(Debug, Default)]
pub struct UsageMeter {
    input: AtomicU64,
    output: AtomicU64,
    requests: AtomicU64,
}

impl UsageMeter {
    /// The totals.
    pub fn usage(&self) -> TokenUsage {
        TokenUsage {
            input_tokens: self.input.load(Ordering::Relaxed),
            output_tokens: self.output.load(Ordering::Relaxed),
        }
    }

    /// Completions run.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}

/// A language model whose token usage is added to a [`UsageMeter`].
#[derive(Debug)]
pub struct MeteredModel {
    inner: Arc<dyn LanguageModel>,
    meter: Arc<UsageMeter>,
}

impl MeteredModel {
    /// Counts `inner`'s usage into `meter`.
    pub fn new(inner: Arc<dyn LanguageModel>, meter: Arc<UsageMeter>) -> Self {
        Self { inner, meter }
    }
}

impl SubProcessor for MeteredModel {
    fn sub_processor(&self) -> Option<SubProcessorInfo> {
        self.inner.sub_processor()
    }
}

#[async_trait]
impl LanguageModel for MeteredModel {
    fn model(&self) -> &str {
        self.inner.model()
    }

    async fn complete(&self, req: CompletionRequest) -> Result<Completion> {
        let out = self.inner.complete(req).await?;
        self.meter
            .input
            .fetch_add(out.usage.input_tokens, Ordering::Relaxed);
        self.meter
            .output
            .fetch_add(out.usage.output_tokens, Ordering::Relaxed);
        self.meter.requests.fetch_add(1, Ordering::Relaxed);
        Ok(out)
    }
}
