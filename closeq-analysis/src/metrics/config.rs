/// Tunables of the metrics. Defaults are documented per field.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct MetricsConfig {
    /// An utterance of at most this many words is a backchannel ("uh-huh",
    /// "right", "got it"): it does not interrupt, and it does not break a
    /// customer story. Default 3.
    pub backchannel_max_words: usize,
    /// A silence longer than this ends a monologue or a customer story.
    /// Default 5,000 ms.
    pub max_pause_in_stretch_ms: u64,
    /// Language of the filler lexicon and question openers (BCP-47 primary
    /// subtag). Only `en` ships; other languages count `?` only and no fillers.
    pub language: String,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self {
            backchannel_max_words: 3,
            max_pause_in_stretch_ms: 5_000,
            language: "en".into(),
        }
    }
}

impl MetricsConfig {
    /// Builder: backchannel length.
    #[must_use]
    pub fn with_backchannel_max_words(mut self, n: usize) -> Self {
        self.backchannel_max_words = n;
        self
    }

    /// Builder: pause that ends a stretch.
    #[must_use]
    pub fn with_max_pause_in_stretch_ms(mut self, ms: u64) -> Self {
        self.max_pause_in_stretch_ms = ms;
        self
    }
}
