//! The bundled sample calls: two-channel recordings (rep on channel 0)
//! rendered with espeak-ng from the scripts in `closeq-cli/samples`, with
//! reference text and turn times. They are synthetic — espeak-ng voices,
//! not people — and accuracy on them does not predict accuracy on real
//! calls. `scripts/make-sample-audio` regenerates them.

use serde::Deserialize;

/// One bundled call.
#[derive(Debug, Clone, Copy)]
pub struct SampleCall {
    /// File stem (`01_discovery_won`).
    pub name: &'static str,
    /// Ogg Vorbis, 16 kHz, two channels.
    pub audio: &'static [u8],
    /// The reference (JSON).
    reference: &'static str,
}

/// What is said in a sample call, turn by turn.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Reference {
    /// Length of the audio, ms.
    pub duration_ms: u64,
    /// The rep's channel.
    pub rep_channel: u8,
    /// The turns in order.
    pub turns: Vec<ReferenceTurn>,
}

/// One turn of a [`Reference`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ReferenceTurn {
    /// `rep` or `client`.
    pub speaker: String,
    /// The channel it is on.
    pub channel: u8,
    /// Start, ms.
    pub start_ms: u64,
    /// End, ms.
    pub end_ms: u64,
    /// What is said.
    pub text: String,
    /// A backchannel ("Mm-hmm.") spoken over the other side's turn.
    #[serde(default)]
    pub backchannel: bool,
}

impl Reference {
    /// Everything said on `channel`, in order.
    pub fn text_of_channel(&self, channel: u8) -> String {
        self.turns
            .iter()
            .filter(|t| t.channel == channel)
            .map(|t| t.text.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The order in which the sides hold the floor: the channels of the
    /// turns that are not backchannels, with repeats merged.
    pub fn floor_order(&self) -> Vec<u8> {
        let mut order: Vec<u8> = self
            .turns
            .iter()
            .filter(|t| !t.backchannel)
            .map(|t| t.channel)
            .collect();
        order.dedup();
        order
    }

    /// Everything said, in order.
    pub fn text(&self) -> String {
        self.turns
            .iter()
            .map(|t| t.text.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl SampleCall {
    /// The parsed reference.
    pub fn reference(&self) -> Reference {
        // The files are generated and checked by the tests; a broken one is
        // a build defect, reported as an empty reference rather than a panic.
        serde_json::from_str(self.reference).unwrap_or(Reference {
            duration_ms: 0,
            rep_channel: 0,
            turns: Vec::new(),
        })
    }
}

/// The three sample calls: a won discovery call, a lost one (a rep
/// monologue), and a demo follow-up.
pub const SAMPLE_CALLS: [SampleCall; 5] = [
    SampleCall {
        name: "01_discovery_won",
        audio: include_bytes!("../samples/01_discovery_won.ogg"),
        reference: include_str!("../samples/01_discovery_won.json"),
    },
    SampleCall {
        name: "02_discovery_lost",
        audio: include_bytes!("../samples/02_discovery_lost.ogg"),
        reference: include_str!("../samples/02_discovery_lost.json"),
    },
    SampleCall {
        name: "03_demo_follow_up",
        audio: include_bytes!("../samples/03_demo_follow_up.ogg"),
        reference: include_str!("../samples/03_demo_follow_up.json"),
    },
    SampleCall {
        name: "04_qualification_backchannels",
        audio: include_bytes!("../samples/04_qualification_backchannels.ogg"),
        reference: include_str!("../samples/04_qualification_backchannels.json"),
    },
    SampleCall {
        name: "05_demo_fast_talker",
        audio: include_bytes!("../samples/05_demo_fast_talker.ogg"),
        reference: include_str!("../samples/05_demo_fast_talker.json"),
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse_and_alternate_channels() {
        for s in SAMPLE_CALLS {
            let r = s.reference();
            assert!(!r.turns.is_empty(), "{}", s.name);
            assert!(r.turns.windows(2).all(|w| w[0].start_ms <= w[1].start_ms));
            assert!(r.turns.iter().all(|t| t.end_ms <= r.duration_ms));
            assert!(r.turns.iter().any(|t| t.channel == 1));
        }
    }
}
