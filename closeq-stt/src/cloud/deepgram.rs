//! Deepgram pre-recorded audio: `POST /v1/listen` with diarization (mono)
//! or one transcript per channel (two-channel calls), utterances and
//! smart formatting.

use async_trait::async_trait;
use closeq_analysis::http::{RetryPolicy, send};
use closeq_analysis::transcript::Format;
use closeq_core::ports::{
    AudioInput, SpeechToText, SttCapabilities, SubProcessor, TranscribeOptions,
};
use closeq_core::{ChannelLayout, Error, Result, SubProcessorInfo, Transcript, TransferMechanism};

use super::endpoint::{
    Endpoint, base_url_from_env, body, check_upload, content_type, normalize, stt_vendor,
};

const PROVIDER: &str = "deepgram";

/// Deepgram's limit for pre-recorded uploads: 2 GB.
pub const DEEPGRAM_MAX_BYTES: u64 = 2 * 1000 * 1000 * 1000;

/// Deepgram pre-recorded transcription.
#[derive(Clone)]
pub struct DeepgramStt {
    endpoint: Endpoint,
    model: String,
    sub_processor: SubProcessorInfo,
}

impl std::fmt::Debug for DeepgramStt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeepgramStt")
            .field("model", &self.model)
            .finish_non_exhaustive()
    }
}

impl DeepgramStt {
    /// A client for `model` (`nova-3`) at `base_url`
    /// (`https://api.deepgram.com`, or `https://api.eu.deepgram.com` to keep
    /// processing in the EU).
    pub fn new(
        base_url: impl Into<String>,
        api_key: impl Into<String>,
        model: impl Into<String>,
    ) -> Result<Self> {
        let model = model.into();
        if model.trim().is_empty()
            || !model
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return Err(Error::invalid(
                "model",
                "must be a Deepgram model name such as nova-3",
            ));
        }
        let endpoint = Endpoint::new(base_url, api_key)?;
        let sub_processor = stt_vendor(
            "Deepgram",
            "Deepgram, Inc.",
            &endpoint.base_url,
            TransferMechanism::StandardContractualClauses,
        );
        Ok(Self {
            endpoint,
            model,
            sub_processor,
        })
    }

    /// From `CLOSEQ_DEEPGRAM_API_KEY`, `CLOSEQ_DEEPGRAM_BASE_URL` (default
    /// `https://api.deepgram.com`) and `CLOSEQ_DEEPGRAM_MODEL` (default
    /// `nova-3`).
    pub fn from_env() -> Result<Self> {
        let key = std::env::var("CLOSEQ_DEEPGRAM_API_KEY")
            .map_err(|_| Error::invalid("CLOSEQ_DEEPGRAM_API_KEY", "is not set"))?;
        let base = base_url_from_env("CLOSEQ_DEEPGRAM_BASE_URL", "https://api.deepgram.com")?;
        let model = std::env::var("CLOSEQ_DEEPGRAM_MODEL").unwrap_or_else(|_| "nova-3".into());
        Self::new(base, key, model)
    }

    /// Builder: retry policy.
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Result<Self> {
        self.endpoint.set_policy(policy)?;
        Ok(self)
    }

    /// Builder: the sub-processor declaration (entity, region, mechanism).
    #[must_use]
    pub fn with_sub_processor(mut self, info: SubProcessorInfo) -> Self {
        self.sub_processor = info;
        self
    }
}

impl SubProcessor for DeepgramStt {
    fn sub_processor(&self) -> Option<SubProcessorInfo> {
        Some(self.sub_processor.clone())
    }
}

#[async_trait]
impl SpeechToText for DeepgramStt {
    fn name(&self) -> &str {
        PROVIDER
    }

    fn capabilities(&self) -> SttCapabilities {
        SttCapabilities::none()
            .with_diarization(true)
            .with_multichannel(true)
            .with_word_timestamps(true)
            .with_max_input_bytes(Some(DEEPGRAM_MAX_BYTES))
    }

    async fn transcribe(&self, audio: AudioInput, opts: &TranscribeOptions) -> Result<Transcript> {
        check_upload(&audio, Some(DEEPGRAM_MAX_BYTES))?;
        let mime = content_type(&audio);
        let mut query: Vec<(&str, String)> = vec![
            ("model", self.model.clone()),
            ("punctuate", "true".into()),
            ("smart_format", "true".into()),
            ("utterances", "true".into()),
        ];
        match audio.channels {
            ChannelLayout::Stereo { .. } => query.push(("multichannel", "true".into())),
            ChannelLayout::Mono => query.push(("diarize", "true".into())),
        }
        match &opts.language {
            Some(l) => query.push(("language", l.clone())),
            None => query.push(("detect_language", "true".into())),
        }
        let url = self.endpoint.url("/v1/listen");
        let payload = body(&audio);
        let (_, body) = send(PROVIDER, &self.endpoint.policy, || {
            self.endpoint
                .client
                .post(&url)
                .query(&query)
                .header(
                    "authorization",
                    format!("Token {}", self.endpoint.api_key.as_str()),
                )
                .header("content-type", mime.as_str())
                .body(payload.clone())
        })
        .await?;
        let mut t = normalize(PROVIDER, &body, Format::Deepgram, audio.channels)?;
        if let Some(p) = &mut t.provider {
            p.model.get_or_insert_with(|| self.model.clone());
        }
        Ok(t)
    }
}
