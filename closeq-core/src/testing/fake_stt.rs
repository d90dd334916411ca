use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;

use crate::error::{Error, Result};
use crate::ports::{AudioInput, SpeechToText, SttCapabilities, SubProcessor, TranscribeOptions};
use crate::subprocessor::SubProcessorInfo;
use crate::transcript::Transcript;

/// A speech-to-text engine that answers from a script: a transcript per
/// known audio payload, plus queued errors to inject faults.
///
/// Empty audio gives `InvalidInput { field: "audio" }`; audio it has no
/// script for is treated as undecodable (`InvalidInput` too), which is what
/// a real engine must do with corrupt input.
#[derive(Debug, Default)]
pub struct ScriptedStt {
    capabilities: SttCapabilities,
    scripts: Vec<(Vec<u8>, Transcript)>,
    faults: Mutex<VecDeque<Error>>,
    sub_processor: Option<SubProcessorInfo>,
    calls: AtomicUsize,
}

impl ScriptedStt {
    /// An engine with no scripts and no capabilities.
    pub fn new() -> Self {
        Self::default()
    }

    /// Declares capabilities.
    #[must_use]
    pub fn with_capabilities(mut self, caps: SttCapabilities) -> Self {
        self.capabilities = caps;
        self
    }

    /// Answers `audio` with `transcript`.
    #[must_use]
    pub fn with_transcript(mut self, audio: impl Into<Vec<u8>>, transcript: Transcript) -> Self {
        self.scripts.push((audio.into(), transcript));
        self
    }

    /// Declares itself a sub-processor.
    #[must_use]
    pub fn with_sub_processor(mut self, info: SubProcessorInfo) -> Self {
        self.sub_processor = Some(info);
        self
    }

    /// The next call fails with `error` (queued; one per call).
    pub fn fail_next(&self, error: Error) {
        self.faults
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push_back(error);
    }

    /// How many times `transcribe` was called.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl SubProcessor for ScriptedStt {
    fn sub_processor(&self) -> Option<SubProcessorInfo> {
        self.sub_processor.clone()
    }
}

#[async_trait]
impl SpeechToText for ScriptedStt {
    fn name(&self) -> &str {
        "scripted"
    }

    fn capabilities(&self) -> SttCapabilities {
        self.capabilities.clone()
    }

    async fn transcribe(&self, audio: AudioInput, _opts: &TranscribeOptions) -> Result<Transcript> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if let Some(e) = self
            .faults
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop_front()
        {
            return Err(e);
        }
        if audio.data.is_empty() {
            return Err(Error::invalid("audio", "is empty"));
        }
        if let Some(max) = self.capabilities.max_input_bytes
            && audio.data.len() as u64 > max
        {
            return Err(Error::invalid(
                "audio",
                format!("is larger than {max} bytes"),
            ));
        }
        self.scripts
            .iter()
            .find(|(a, _)| a.as_slice() == &*audio.data)
            .map(|(_, t)| t.clone())
            .ok_or_else(|| Error::invalid("audio", "could not be decoded"))
    }
}
