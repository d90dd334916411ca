use std::collections::VecDeque;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::error::{Error, Result};
use crate::ports::{Completion, CompletionRequest, LanguageModel, SubProcessor};
use crate::subprocessor::SubProcessorInfo;

/// A language model that answers from a queue of scripted results and
/// records every request it receives.
#[derive(Debug, Default)]
pub struct ScriptedLanguageModel {
    model: String,
    answers: Mutex<VecDeque<Result<Completion>>>,
    requests: Mutex<Vec<CompletionRequest>>,
    sub_processor: Option<SubProcessorInfo>,
}

impl ScriptedLanguageModel {
    /// A model named `model` with an empty script.
    pub fn new(model: impl Into<String>) -> Self {
        Self {
            model: model.into(),
            ..Self::default()
        }
    }

    /// Declares itself a sub-processor.
    #[must_use]
    pub fn with_sub_processor(mut self, info: SubProcessorInfo) -> Self {
        self.sub_processor = Some(info);
        self
    }

    /// Queues the next answer.
    pub fn push(&self, answer: Result<Completion>) {
        self.answers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push_back(answer);
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<CompletionRequest> {
        self.requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl SubProcessor for ScriptedLanguageModel {
    fn sub_processor(&self) -> Option<SubProcessorInfo> {
        self.sub_processor.clone()
    }
}

#[async_trait]
impl LanguageModel for ScriptedLanguageModel {
    fn model(&self) -> &str {
        &self.model
    }

    async fn complete(&self, req: CompletionRequest) -> Result<Completion> {
        self.requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(req);
        self.answers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop_front()
            .unwrap_or_else(|| {
                Err(Error::internal(
                    "scripted language model has no answer left",
                ))
            })
    }
}
