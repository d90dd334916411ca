//! What every cloud adapter holds: a base URL, a key, a retrying client.

use std::collections::BTreeSet;

use bytes::Bytes;
use closeq_analysis::http::{RetryPolicy, build_client};
use closeq_analysis::transcript::{Format, ImportOptions, import};
use closeq_core::ports::AudioInput;
use closeq_core::transport::check_remote_base_url;
use closeq_core::{
    ChannelLayout, DataCategory, Error, Region, Result, Sensitive, SubProcessorInfo, Transcript,
    TransferMechanism,
};

use crate::audio::AudioKind;

/// A provider's endpoint and credentials.
#[derive(Clone)]
pub(crate) struct Endpoint {
    pub client: reqwest::Client,
    pub base_url: String,
    pub api_key: Sensitive<String>,
    pub policy: RetryPolicy,
}

impl Endpoint {
    /// An endpoint at `base_url`, which must be `https://` (or `http://`
    /// to a loopback address: [`check_remote_base_url`]).
    pub(crate) fn new(base_url: impl Into<String>, api_key: impl Into<String>) -> Result<Self> {
        let policy = RetryPolicy::default();
        let base_url = base_url.into().trim().trim_end_matches('/').to_owned();
        check_remote_base_url("base_url", &base_url)?;
        let api_key = api_key.into();
        if api_key.trim().is_empty() {
            return Err(Error::invalid("api_key", "must not be empty"));
        }
        Ok(Self {
            client: build_client(&policy)?,
            base_url,
            api_key: Sensitive::new(api_key),
            policy,
        })
    }

    pub(crate) fn set_policy(&mut self, policy: RetryPolicy) -> Result<()> {
        self.client = build_client(&policy)?;
        self.policy = policy;
        Ok(())
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }
}

/// The base URL in environment variable `var`, or `default`; checked
/// here so the error names the variable.
pub(crate) fn base_url_from_env(var: &str, default: &str) -> Result<String> {
    let url = std::env::var(var).unwrap_or_else(|_| default.to_owned());
    check_remote_base_url(var, &url)?;
    Ok(url)
}

/// Refuses empty or oversized audio before anything is sent.
pub(crate) fn check_upload(audio: &AudioInput, max_bytes: Option<u64>) -> Result<()> {
    if audio.data.is_empty() {
        return Err(Error::invalid("audio", "the audio is empty"));
    }
    if let Some(max) = max_bytes
        && audio.data.len() as u64 > max
    {
        return Err(Error::invalid(
            "audio",
            format!(
                "the audio is {} bytes, over the provider's limit of {max} bytes; compress it or split the call",
                audio.data.len()
            ),
        ));
    }
    Ok(())
}

/// The MIME type to send: the caller's, or one sniffed from the bytes.
pub(crate) fn content_type(audio: &AudioInput) -> String {
    audio.content_type.clone().unwrap_or_else(|| {
        AudioKind::sniff(&audio.data)
            .map_or("application/octet-stream", AudioKind::mime)
            .to_owned()
    })
}

#[cfg(feature = "stt-openai")]
/// A file extension matching [`content_type`].
pub(crate) fn extension(content_type: &str) -> &'static str {
    AudioKind::from_mime(content_type).map_or("bin", AudioKind::extension)
}

/// The request body: the caller's bytes, shared, not copied per attempt.
pub(crate) fn body(audio: &AudioInput) -> Bytes {
    Bytes::from_owner(audio.data.clone())
}

/// A speech-to-text vendor's declaration: call audio and transcripts, a
/// DPA, no training on customer data. An EU endpoint (`.eu.` in the base
/// URL) keeps processing in the EEA; otherwise the data goes to the US
/// under `us_mechanism`.
pub(crate) fn stt_vendor(
    vendor: &str,
    legal_entity: &str,
    base_url: &str,
    us_mechanism: TransferMechanism,
) -> SubProcessorInfo {
    let eu = base_url.contains(".eu.");
    SubProcessorInfo {
        vendor: vendor.into(),
        legal_entity: legal_entity.into(),
        purpose: "speech-to-text transcription of call audio".into(),
        data_categories: BTreeSet::from([DataCategory::CallAudio, DataCategory::Transcript]),
        region: if eu {
            Region::eu()
        } else {
            Region::parse("US").unwrap_or_else(|_| Region::eu())
        },
        transfer_mechanism: if eu {
            TransferMechanism::WithinEea
        } else {
            us_mechanism
        },
        dpa_in_place: true,
        trains_on_customer_data: false,
    }
}

/// Normalizes a provider payload with closeq-analysis's importer; the
/// channel layout decides roles.
pub(crate) fn normalize(
    provider: &'static str,
    body: &[u8],
    format: Format,
    layout: ChannelLayout,
) -> Result<Transcript> {
    let mut opts = ImportOptions::default();
    if let ChannelLayout::Stereo { rep_channel } = layout {
        opts = opts.with_rep_channel(rep_channel);
    }
    import(body, Some(format), &opts).map_err(|e| Error::Provider {
        provider: provider.into(),
        status: None,
        reason: format!("the transcript cannot be read: {e}").into(),
    })
}
