//! OpenAI-compatible `POST /v1/audio/transcriptions`: OpenAI (`whisper-1`
//! with `verbose_json` segments and words, `gpt-4o-transcribe-diarize` with
//! `diarized_json`) and local servers that speak the same API
//! (faster-whisper-server, LocalAI, whisper.cpp's server).

use async_trait::async_trait;
use closeq_analysis::http::{RetryPolicy, send};
use closeq_analysis::transcript::Format;
use closeq_core::ports::{
    AudioInput, SpeechToText, SttCapabilities, SubProcessor, TranscribeOptions,
};
use closeq_core::{Error, Result, SubProcessorInfo, Transcript, TransferMechanism};
use reqwest::multipart::{Form, Part};

use super::endpoint::{
    Endpoint, base_url_from_env, body, check_upload, content_type, extension, normalize, stt_vendor,
};

const PROVIDER: &str = "openai";

/// OpenAI's upload limit: 25 MB.
pub const OPENAI_MAX_BYTES: u64 = 25 * 1024 * 1024;

/// OpenAI-compatible transcription.
#[derive(Clone)]
pub struct OpenAiStt {
    endpoint: Endpoint,
    model: String,
    max_bytes: Option<u64>,
    sub_processor: Option<SubProcessorInfo>,
}

impl std::fmt::Debug for OpenAiStt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiStt")
            .field("model", &self.model)
            .finish_non_exhaustive()
    }
}

impl OpenAiStt {
    /// A client for `model` at `base_url` (`https://api.openai.com/v1`, or
    /// a local server's `http://localhost:8000/v1`).
    pub fn new(
        base_url: impl Into<String>,
        api_key: impl Into<String>,
        model: impl Into<String>,
    ) -> Result<Self> {
        let model = model.into();
        if model.trim().is_empty() {
            return Err(Error::invalid("model", "must not be empty"));
        }
        Ok(Self {
            endpoint: Endpoint::new(base_url, api_key)?,
            model,
            max_bytes: Some(OPENAI_MAX_BYTES),
            sub_processor: Some(stt_vendor(
                "OpenAI",
                "OpenAI Ireland Ltd",
                "https://api.openai.com",
                TransferMechanism::EuUsDataPrivacyFramework,
            )),
        })
    }

    /// From `CLOSEQ_OPENAI_API_KEY`, `CLOSEQ_OPENAI_BASE_URL` (default
    /// `https://api.openai.com/v1`) and `CLOSEQ_OPENAI_STT_MODEL` (default
    /// `whisper-1`).
    pub fn from_env() -> Result<Self> {
        let key = std::env::var("CLOSEQ_OPENAI_API_KEY")
            .map_err(|_| Error::invalid("CLOSEQ_OPENAI_API_KEY", "is not set"))?;
        let base = base_url_from_env("CLOSEQ_OPENAI_BASE_URL", "https://api.openai.com/v1")?;
        let model = std::env::var("CLOSEQ_OPENAI_STT_MODEL").unwrap_or_else(|_| "whisper-1".into());
        Self::new(base, key, model)
    }

    /// Builder: retry policy.
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Result<Self> {
        self.endpoint.set_policy(policy)?;
        Ok(self)
    }

    /// Builder: the upload limit (`None` for servers without one).
    #[must_use]
    pub fn with_max_bytes(mut self, max: Option<u64>) -> Self {
        self.max_bytes = max;
        self
    }

    /// Builder: the sub-processor declaration for the server actually
    /// used; `None` for a server you run yourself.
    #[must_use]
    pub fn with_sub_processor(mut self, info: Option<SubProcessorInfo>) -> Self {
        self.sub_processor = info;
        self
    }

    fn diarizing_model(&self) -> bool {
        self.model.contains("diarize")
    }
}

impl SubProcessor for OpenAiStt {
    fn sub_processor(&self) -> Option<SubProcessorInfo> {
        self.sub_processor.clone()
    }
}

#[async_trait]
impl SpeechToText for OpenAiStt {
    fn name(&self) -> &str {
        "openai"
    }

    fn capabilities(&self) -> SttCapabilities {
        SttCapabilities::none()
            .with_diarization(self.diarizing_model())
            .with_word_timestamps(!self.diarizing_model())
            .with_max_input_bytes(self.max_bytes)
    }

    async fn transcribe(&self, audio: AudioInput, opts: &TranscribeOptions) -> Result<Transcript> {
        check_upload(&audio, self.max_bytes)?;
        let mime = content_type(&audio);
        let file_name = format!("audio.{}", extension(&mime));
        let diarize = self.diarizing_model();
        let url = self.endpoint.url("/audio/transcriptions");
        let payload = body(&audio);
        let (_, body) = send(PROVIDER, &self.endpoint.policy, || {
            let part = || {
                Part::stream_with_length(payload.clone(), payload.len() as u64)
                    .file_name(file_name.clone())
            };
            let part = part().mime_str(&mime).unwrap_or_else(|_| part());
            let mut form = Form::new()
                .part("file", part)
                .text("model", self.model.clone());
            if diarize {
                form = form
                    .text("response_format", "diarized_json")
                    .text("chunking_strategy", "auto");
            } else {
                form = form
                    .text("response_format", "verbose_json")
                    .text("timestamp_granularities[]", "segment")
                    .text("timestamp_granularities[]", "word")
                    .text("temperature", "0");
            }
            if let Some(lang) = &opts.language {
                let primary = lang
                    .split(['-', '_'])
                    .next()
                    .unwrap_or(lang)
                    .to_ascii_lowercase();
                form = form.text("language", primary);
            }
            self.endpoint
                .client
                .post(&url)
                .bearer_auth(self.endpoint.api_key.as_str())
                .multipart(form)
        })
        .await?;
        let mut t = normalize(PROVIDER, &body, Format::OpenAi, audio.channels)?;
        if let Some(p) = &mut t.provider {
            p.name = PROVIDER.into();
            p.model = Some(self.model.clone());
        }
        Ok(t)
    }
}
