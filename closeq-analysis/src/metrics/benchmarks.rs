//! Benchmark packs: reference values for metrics, each with its public
//! source, that rubric thresholds and coaching notes read. Users can supply
//! their own pack as JSON.

use std::collections::BTreeMap;

use closeq_core::{Error, MetricKey, Result};
use serde::{Deserialize, Serialize};

/// One reference value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Benchmark {
    /// The metric it is about.
    pub metric: MetricKey,
    /// The value, in the metric's unit (ratios 0–1, seconds, counts).
    pub value: f64,
    /// Where the figure comes from.
    pub source: String,
    /// How to read it.
    #[serde(default)]
    pub note: String,
}

/// A named set of benchmarks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BenchmarkPack {
    /// The pack's name (`default`).
    pub name: String,
    /// Benchmarks by key (`rep_talk_ratio_target`).
    pub benchmarks: BTreeMap<String, Benchmark>,
}

impl BenchmarkPack {
    /// The default pack. Figures are from public analyses of recorded sales
    /// calls; they are starting points, not laws — teams should calibrate
    /// them against their own best calls (see `closeq bench`).
    pub fn default_pack() -> Self {
        const GONG: &str = "Gong Labs analyses of recorded B2B sales calls (gong.io blog)";
        let entries = [
            (
                "rep_talk_ratio_target",
                MetricKey::RepTalkRatio,
                0.43,
                "Gong Labs, talk-to-listen ratio: top-converting calls averaged 43:57 rep-to-customer talk (analysis of 25,537 sales conversations)",
                "the rep's share of talk time on the best calls",
            ),
            (
                "rep_talk_ratio_max",
                MetricKey::RepTalkRatio,
                0.65,
                GONG,
                "above this share the rep dominates the call (Gong reports 65%+ on low-converting calls)",
            ),
            (
                "discovery_questions_min",
                MetricKey::RepQuestions,
                11.0,
                "Gong Labs, discovery calls: 11–14 questions asked by the rep correlated with success (analysis of 519,000 discovery calls)",
                "lower bound of the question range in a discovery call",
            ),
            (
                "discovery_questions_max",
                MetricKey::RepQuestions,
                14.0,
                "Gong Labs, discovery calls: 11–14 questions asked by the rep correlated with success (analysis of 519,000 discovery calls)",
                "upper bound; many more feels like an interrogation",
            ),
            (
                "customer_story_secs",
                MetricKey::LongestCustomerStorySecs,
                240.0,
                GONG,
                "successful calls let the customer speak for minutes at a stretch (about 4 minutes)",
            ),
            (
                "rep_monologue_max_secs",
                MetricKey::LongestRepMonologueSecs,
                120.0,
                GONG,
                "keep the company pitch under 2 minutes at a stretch",
            ),
            (
                "patience_secs",
                MetricKey::PatienceSecs,
                1.0,
                GONG,
                "top reps pause about a second after the customer stops before answering",
            ),
        ];
        Self {
            name: "default".into(),
            benchmarks: entries
                .into_iter()
                .map(|(k, metric, value, source, note)| {
                    (
                        k.to_owned(),
                        Benchmark {
                            metric,
                            value,
                            source: source.to_owned(),
                            note: note.to_owned(),
                        },
                    )
                })
                .collect(),
        }
    }

    /// Parses a pack from JSON, validating it.
    pub fn from_json(json: &str) -> Result<Self> {
        let p: Self = serde_json::from_str(json).map_err(|e| {
            Error::invalid(
                "benchmark_pack",
                format!(
                    "not a valid pack (line {}, column {})",
                    e.line(),
                    e.column()
                ),
            )
        })?;
        p.validate()?;
        Ok(p)
    }

    /// Checks names, values and sources.
    pub fn validate(&self) -> Result<()> {
        if self.name.trim().is_empty() {
            return Err(Error::invalid("name", "must not be empty"));
        }
        for (k, b) in &self.benchmarks {
            if !b.value.is_finite() {
                return Err(Error::invalid(
                    format!("benchmarks.{k}.value"),
                    "must be a finite number",
                ));
            }
            if b.source.trim().is_empty() {
                return Err(Error::invalid(
                    format!("benchmarks.{k}.source"),
                    "every figure needs its source",
                ));
            }
        }
        Ok(())
    }

    /// The benchmark named `key`.
    pub fn get(&self, key: &str) -> Option<&Benchmark> {
        self.benchmarks.get(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_pack_is_sourced_and_round_trips() {
        let p = BenchmarkPack::default_pack();
        p.validate().unwrap();
        assert_eq!(p.get("rep_talk_ratio_target").unwrap().value, 0.43);
        assert!(p.benchmarks.values().all(|b| !b.source.is_empty()));
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(BenchmarkPack::from_json(&json).unwrap(), p);
        let mut bad = p.clone();
        bad.benchmarks
            .get_mut("patience_secs")
            .unwrap()
            .source
            .clear();
        assert_eq!(
            bad.validate().unwrap_err().field(),
            Some("benchmarks.patience_secs.source")
        );
    }
}
