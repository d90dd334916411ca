//! AssemblyAI: upload the audio, submit a transcript job, poll it with
//! backoff until it completes, fails or a deadline passes. The job id is
//! returned by [`AssemblyAiStt::submit`] and recorded in the transcript,
//! so a caller that stopped waiting can [`AssemblyAiStt::wait`] again.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use closeq_analysis::http::{RetryPolicy, send, send_for_json};
use closeq_analysis::transcript::Format;
use closeq_core::ports::{
    AudioInput, SpeechToText, SttCapabilities, SubProcessor, TranscribeOptions,
};
use closeq_core::{ChannelLayout, Error, Result, SubProcessorInfo, Transcript, TransferMechanism};
use rand::Rng;
use serde::Deserialize;

use super::endpoint::{Endpoint, base_url_from_env, body, check_upload, normalize, stt_vendor};

const PROVIDER: &str = "assemblyai";

/// AssemblyAI's upload limit: 2.2 GB.
pub const ASSEMBLYAI_MAX_BYTES: u64 = 2_200_000_000;

/// How a job is polled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PollPolicy {
    /// First wait between polls (default 3 s).
    pub initial_interval: Duration,
    /// Longest wait between polls; the wait grows 1.5× per poll with
    /// ±20 % jitter (default 15 s).
    pub max_interval: Duration,
    /// Give up waiting after this long (default 30 min); the job goes on
    /// at AssemblyAI and can be waited for again.
    pub deadline: Duration,
}

impl Default for PollPolicy {
    fn default() -> Self {
        Self {
            initial_interval: Duration::from_secs(3),
            max_interval: Duration::from_secs(15),
            deadline: Duration::from_secs(30 * 60),
        }
    }
}

impl PollPolicy {
    /// A policy with these intervals and deadline.
    pub fn new(initial_interval: Duration, max_interval: Duration, deadline: Duration) -> Self {
        Self {
            initial_interval,
            max_interval,
            deadline,
        }
    }
}

/// A submitted AssemblyAI job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssemblyAiJob {
    /// The transcript id.
    pub id: String,
    /// How the audio's channels map to speakers.
    pub channels: ChannelLayout,
}

/// AssemblyAI transcription.
#[derive(Clone)]
pub struct AssemblyAiStt {
    endpoint: Endpoint,
    poll: PollPolicy,
    sub_processor: SubProcessorInfo,
}

impl std::fmt::Debug for AssemblyAiStt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AssemblyAiStt")
            .field("poll", &self.poll)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct Upload {
    upload_url: String,
}

#[derive(Deserialize)]
struct JobStatus {
    id: String,
    status: String,
    #[serde(default)]
    error: Option<String>,
}

impl AssemblyAiStt {
    /// A client at `base_url` (`https://api.assemblyai.com`, or
    /// `https://api.eu.assemblyai.com` to keep processing in the EU).
    pub fn new(base_url: impl Into<String>, api_key: impl Into<String>) -> Result<Self> {
        let endpoint = Endpoint::new(base_url, api_key)?;
        let sub_processor = stt_vendor(
            "AssemblyAI",
            "AssemblyAI, Inc.",
            &endpoint.base_url,
            TransferMechanism::StandardContractualClauses,
        );
        Ok(Self {
            endpoint,
            poll: PollPolicy::default(),
            sub_processor,
        })
    }

    /// From `CLOSEQ_ASSEMBLYAI_API_KEY` and `CLOSEQ_ASSEMBLYAI_BASE_URL`
    /// (default `https://api.assemblyai.com`).
    pub fn from_env() -> Result<Self> {
        let key = std::env::var("CLOSEQ_ASSEMBLYAI_API_KEY")
            .map_err(|_| Error::invalid("CLOSEQ_ASSEMBLYAI_API_KEY", "is not set"))?;
        let base = base_url_from_env("CLOSEQ_ASSEMBLYAI_BASE_URL", "https://api.assemblyai.com")?;
        Self::new(base, key)
    }

    /// Builder: retry policy for each request.
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Result<Self> {
        self.endpoint.set_policy(policy)?;
        Ok(self)
    }

    /// Builder: polling.
    #[must_use]
    pub fn with_poll_policy(mut self, poll: PollPolicy) -> Self {
        self.poll = poll;
        self
    }

    /// Builder: the sub-processor declaration.
    #[must_use]
    pub fn with_sub_processor(mut self, info: SubProcessorInfo) -> Self {
        self.sub_processor = info;
        self
    }

    /// Uploads the audio and submits a job; returns at once with its id.
    pub async fn submit(
        &self,
        audio: &AudioInput,
        opts: &TranscribeOptions,
    ) -> Result<AssemblyAiJob> {
        check_upload(audio, Some(ASSEMBLYAI_MAX_BYTES))?;
        let key = self.endpoint.api_key.as_str();
        let upload_url = self.endpoint.url("/v2/upload");
        let payload = body(audio);
        let upload: Upload =
            send_for_json(PROVIDER, &self.endpoint.policy, "an upload result", || {
                self.endpoint
                    .client
                    .post(&upload_url)
                    .header("authorization", key)
                    .header("content-type", "application/octet-stream")
                    .body(payload.clone())
            })
            .await?;
        let mut req = serde_json::json!({ "audio_url": upload.upload_url });
        match audio.channels {
            ChannelLayout::Stereo { .. } => req["multichannel"] = true.into(),
            ChannelLayout::Mono => req["speaker_labels"] = true.into(),
        }
        match &opts.language {
            Some(l) => req["language_code"] = l.replace('-', "_").to_ascii_lowercase().into(),
            None => req["language_detection"] = true.into(),
        }
        let submit_url = self.endpoint.url("/v2/transcript");
        let job: JobStatus =
            send_for_json(PROVIDER, &self.endpoint.policy, "a transcript job", || {
                self.endpoint
                    .client
                    .post(&submit_url)
                    .header("authorization", key)
                    .json(&req)
            })
            .await?;
        if job.status == "error" {
            return Err(job_failed(&job));
        }
        Ok(AssemblyAiJob {
            id: job.id,
            channels: audio.channels,
        })
    }

    /// Polls `job` until it completes (its transcript), fails
    /// ([`Error::Provider`]) or the deadline passes ([`Error::Timeout`],
    /// naming the job id so the caller can wait again).
    pub async fn wait(&self, job: &AssemblyAiJob) -> Result<Transcript> {
        if job.id.is_empty()
            || !job
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(Error::invalid(
                "job.id",
                "is not an AssemblyAI transcript id",
            ));
        }
        let started = Instant::now();
        let url = self.endpoint.url(&format!("/v2/transcript/{}", job.id));
        let key = self.endpoint.api_key.as_str();
        let mut interval = self.poll.initial_interval;
        loop {
            let (_, body) = send(PROVIDER, &self.endpoint.policy, || {
                self.endpoint.client.get(&url).header("authorization", key)
            })
            .await?;
            let status: JobStatus = serde_json::from_slice(&body).map_err(|_| Error::Provider {
                provider: PROVIDER.into(),
                status: Some(200),
                reason: "the response body is not a transcript job".into(),
            })?;
            match status.status.as_str() {
                "completed" => {
                    let mut t = normalize(PROVIDER, &body, Format::AssemblyAi, job.channels)?;
                    if let Some(p) = &mut t.provider {
                        p.request_id = Some(job.id.clone());
                    }
                    return Ok(t);
                }
                "error" => return Err(job_failed(&status)),
                "queued" | "processing" => {}
                _ => {
                    return Err(Error::Provider {
                        provider: PROVIDER.into(),
                        status: None,
                        reason: "the job has an unknown status".into(),
                    });
                }
            }
            let elapsed = started.elapsed();
            if elapsed >= self.poll.deadline {
                return Err(Error::Timeout {
                    operation: format!("waiting for AssemblyAI transcript {}", job.id).into(),
                    elapsed,
                });
            }
            let jitter = rand::thread_rng().gen_range(0.8..1.2);
            let wait = interval
                .mul_f64(jitter)
                .min(self.poll.deadline.saturating_sub(elapsed));
            tokio::time::sleep(wait).await;
            interval = interval.mul_f64(1.5).min(self.poll.max_interval);
        }
    }
}

fn job_failed(job: &JobStatus) -> Error {
    // AssemblyAI's error text describes the job (download failed, audio too
    // short); it holds no transcript. Keep it short anyway.
    let detail: String = job
        .error
        .as_deref()
        .unwrap_or("no reason given")
        .chars()
        .take(200)
        .collect();
    Error::Provider {
        provider: PROVIDER.into(),
        status: None,
        reason: format!("transcript job {} failed: {detail}", job.id).into(),
    }
}

impl SubProcessor for AssemblyAiStt {
    fn sub_processor(&self) -> Option<SubProcessorInfo> {
        Some(self.sub_processor.clone())
    }
}

#[async_trait]
impl SpeechToText for AssemblyAiStt {
    fn name(&self) -> &str {
        PROVIDER
    }

    fn capabilities(&self) -> SttCapabilities {
        SttCapabilities::none()
            .with_diarization(true)
            .with_multichannel(true)
            .with_word_timestamps(true)
            .with_max_input_bytes(Some(ASSEMBLYAI_MAX_BYTES))
    }

    async fn transcribe(&self, audio: AudioInput, opts: &TranscribeOptions) -> Result<Transcript> {
        let job = self.submit(&audio, opts).await?;
        self.wait(&job).await
    }
}
