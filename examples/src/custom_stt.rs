//! A custom speech-to-text adapter: the template for integrators.
//!
//! It talks to a self-hosted engine that takes audio at `POST /transcribe`
//! and answers WebVTT with `<v Rep>` / `<v Client>` voice tags. It checks
//! the audio locally first (corrupt or empty input never leaves), skips the
//! upload when nobody speaks, and normalizes the answer with CloseQ's
//! importer. `tests/custom_stt_conformance.rs` runs the conformance suite
//! against it.

use async_trait::async_trait;
use closeq_analysis::transcript::{Format, ImportOptions, import};
use closeq_core::ports::{
    AudioInput, SpeechToText, SttCapabilities, SubProcessor, TranscribeOptions,
};
use closeq_core::{Error, Result, SubProcessorInfo, Transcript};
use closeq_stt::audio::{DecodeLimits, VadOptions, load_16k, speech_regions};

/// A self-hosted WebVTT transcription server.
#[derive(Debug, Clone)]
pub struct VttServerStt {
    base_url: String,
    client: reqwest::Client,
}

impl VttServerStt {
    /// The server at `base_url` (`http://localhost:9000`).
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            client: reqwest::Client::new(),
        }
    }
}

impl SubProcessor for VttServerStt {
    /// Self-hosted: no data leaves for a third party.
    fn sub_processor(&self) -> Option<SubProcessorInfo> {
        None
    }
}

#[async_trait]
impl SpeechToText for VttServerStt {
    fn name(&self) -> &str {
        "vtt-server"
    }

    fn capabilities(&self) -> SttCapabilities {
        SttCapabilities::none().with_diarization(true)
    }

    async fn transcribe(&self, audio: AudioInput, _opts: &TranscribeOptions) -> Result<Transcript> {
        // 1. Validate locally: undecodable audio is InvalidInput, before any upload.
        let pcm = load_16k(&audio.data, &DecodeLimits::default())?;
        // 2. Nobody speaks: an empty transcript, no request.
        let vad = VadOptions::default();
        if pcm
            .channels
            .iter()
            .all(|c| speech_regions(c, pcm.sample_rate, &vad).is_empty())
        {
            return Ok(Transcript::empty(pcm.duration_ms().max(1)));
        }
        // 3. Send it; map failures to CloseQ's retryable/non-retryable errors.
        let resp = self
            .client
            .post(format!("{}/transcribe", self.base_url))
            .body(audio.data.to_vec())
            .send()
            .await
            .map_err(|_| Error::Unavailable {
                service: "vtt-server".into(),
                reason: "request failed".into(),
            })?;
        let status = resp.status().as_u16();
        if status != 200 {
            return Err(Error::Provider {
                provider: "vtt-server".into(),
                status: Some(status),
                reason: "request rejected".into(),
            });
        }
        let body = resp.bytes().await.map_err(|_| Error::Unavailable {
            service: "vtt-server".into(),
            reason: "response cut off".into(),
        })?;
        // 4. Normalize: turns, roles (the `Rep` voice is the rep), validation.
        let opts = ImportOptions::default().with_rep_speaker("Rep");
        let mut t = import(&body, Some(Format::WebVtt), &opts).map_err(|e| Error::Provider {
            provider: "vtt-server".into(),
            status: Some(200),
            reason: format!("unreadable transcript: {e}").into(),
        })?;
        t.duration_ms = t.duration_ms.max(pcm.duration_ms());
        Ok(t)
    }
}
