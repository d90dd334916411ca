//! Partial retention of recordings: every call is analysed, but only a
//! configured, seeded random share of the recordings is kept.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::id::CallId;

/// Keep the recordings of a `share` (0–1) of calls, chosen by a seeded
/// hash of the call id: the same calls on every run and every machine, an
/// independent choice per call, and a different choice per `seed`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordingSample {
    /// The share of recordings kept, 0 to 1.
    pub share: f64,
    /// The seed of the choice.
    pub seed: u64,
}

/// SplitMix64's finalizer: a bijective 64-bit mix.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl RecordingSample {
    /// Checks the share.
    pub fn validate(&self) -> Result<()> {
        if !(0.0..=1.0).contains(&self.share) {
            return Err(Error::invalid("share", "must be between 0 and 1"));
        }
        Ok(())
    }

    /// Whether the recording of `call` is kept.
    pub fn keeps(&self, call: CallId) -> bool {
        let (hi, lo) = call.as_uuid().as_u64_pair();
        let h = mix(mix(self.seed ^ hi) ^ lo);
        // The top 53 bits as a uniform number in [0, 1).
        ((h >> 11) as f64 / (1u64 << 53) as f64) < self.share
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn share_is_met_and_choice_is_stable() {
        let ids: Vec<CallId> = (0..10_000).map(|_| CallId::new()).collect();
        let s = RecordingSample {
            share: 0.3,
            seed: 7,
        };
        let kept = ids.iter().filter(|i| s.keeps(**i)).count();
        // Binomial(10000, 0.3): sd 45.8; 5 sd either side.
        assert!((2771..=3229).contains(&kept), "{kept}");
        assert!(ids.iter().all(|i| s.keeps(*i) == s.keeps(*i)));
        let other = RecordingSample {
            share: 0.3,
            seed: 8,
        };
        assert!(ids.iter().any(|i| s.keeps(*i) != other.keeps(*i)));
        let none = RecordingSample {
            share: 0.0,
            seed: 7,
        };
        let all = RecordingSample {
            share: 1.0,
            seed: 7,
        };
        assert!(ids.iter().all(|i| !none.keeps(*i) && all.keeps(*i)));
        assert!(
            RecordingSample {
                share: 1.5,
                seed: 0
            }
            .validate()
            .is_err()
        );
    }
}
