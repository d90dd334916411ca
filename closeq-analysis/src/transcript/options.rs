/// How an import builds turns and decides speaker roles.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ImportOptions {
    /// Consecutive words or segments of one speaker separated by at most
    /// this many ms are merged into one turn (default 2,000 ms).
    pub max_gap_ms: u64,
    /// In multichannel input, the rep's channel: speakers on it are the rep,
    /// speakers on other channels the client.
    pub rep_channel: Option<u8>,
    /// The rep's speaker label (`spk_0`, `A`, `0`) or name.
    pub rep_speaker: Option<String>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            max_gap_ms: 2_000,
            rep_channel: None,
            rep_speaker: None,
        }
    }
}

impl ImportOptions {
    /// Builder: maximum gap inside a turn.
    #[must_use]
    pub fn with_max_gap_ms(mut self, ms: u64) -> Self {
        self.max_gap_ms = ms;
        self
    }

    /// Builder: the rep's channel.
    #[must_use]
    pub fn with_rep_channel(mut self, channel: u8) -> Self {
        self.rep_channel = Some(channel);
        self
    }

    /// Builder: the rep's label or name.
    #[must_use]
    pub fn with_rep_speaker(mut self, label: impl Into<String>) -> Self {
        self.rep_speaker = Some(label.into());
        self
    }
}
