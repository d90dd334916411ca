//! Sub-processors and international transfers: who receives data, where it
//! is processed, and under which transfer mechanism.

use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::data_category::DataCategory;
use crate::error::{Error, Result};

/// EEA member states (EU 27 plus Iceland, Liechtenstein, Norway), ISO 3166-1 alpha-2.
const EEA: [&str; 30] = [
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV",
    "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO",
];

/// Where data is processed: an ISO 3166-1 alpha-2 country code (`DE`, `US`)
/// or the bloc codes `EU` / `EEA`. Stored upper-case.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(try_from = "String", into = "String")]
pub struct Region(String);

impl Region {
    /// Parses a region code (case-insensitive).
    pub fn parse(code: &str) -> Result<Self> {
        let up = code.trim().to_ascii_uppercase();
        let ok = up == "EU"
            || up == "EEA"
            || (up.len() == 2 && up.bytes().all(|b| b.is_ascii_uppercase()));
        if ok {
            Ok(Self(up))
        } else {
            Err(Error::invalid(
                "region",
                "must be an ISO 3166-1 alpha-2 country code, EU or EEA",
            ))
        }
    }

    /// The EU as a bloc.
    pub fn eu() -> Self {
        Self("EU".to_owned())
    }

    /// The code, upper-case.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether data processed here stays inside the European Economic Area.
    pub fn is_eea(&self) -> bool {
        self.0 == "EU" || self.0 == "EEA" || EEA.contains(&self.0.as_str())
    }
}

impl TryFrom<String> for Region {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        Self::parse(&s)
    }
}

impl From<Region> for String {
    fn from(r: Region) -> String {
        r.0
    }
}

/// The legal basis for a transfer of personal data out of the EEA (GDPR Chapter V).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum TransferMechanism {
    /// No transfer: processed inside the EEA.
    WithinEea,
    /// A country with an adequacy decision (Art. 45).
    AdequacyDecision,
    /// Standard contractual clauses (Art. 46(2)(c)).
    StandardContractualClauses,
    /// The EU–US Data Privacy Framework (an Art. 45 decision for certified US companies).
    EuUsDataPrivacyFramework,
    /// No mechanism in place.
    None,
}

/// What a sub-processor is and what it receives: every adapter that sends
/// data out of the process declares one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubProcessorInfo {
    /// The vendor's brand name (`Deepgram`).
    pub vendor: String,
    /// The contracting legal entity (`Deepgram, Inc.`).
    pub legal_entity: String,
    /// What it does for us (`speech-to-text`).
    pub purpose: String,
    /// The data categories it receives.
    pub data_categories: BTreeSet<DataCategory>,
    /// Where it processes the data.
    pub region: Region,
    /// The transfer mechanism when the region is outside the EEA.
    pub transfer_mechanism: TransferMechanism,
    /// Whether a data-processing agreement is in place.
    pub dpa_in_place: bool,
    /// Whether the vendor trains models on customer data.
    pub trains_on_customer_data: bool,
}

impl SubProcessorInfo {
    /// Checks internal consistency: names present, at least one data
    /// category, and a transfer mechanism that matches the region.
    pub fn validate(&self) -> Result<()> {
        for (field, value) in [
            ("vendor", &self.vendor),
            ("legal_entity", &self.legal_entity),
            ("purpose", &self.purpose),
        ] {
            if value.trim().is_empty() {
                return Err(Error::invalid(field, "must not be empty"));
            }
        }
        if self.data_categories.is_empty() {
            return Err(Error::invalid(
                "data_categories",
                "must name at least one category",
            ));
        }
        let inside = self.region.is_eea();
        match (inside, self.transfer_mechanism) {
            (true, TransferMechanism::WithinEea) => Ok(()),
            (true, _) => Err(Error::invalid(
                "transfer_mechanism",
                "must be within_eea for a region inside the EEA",
            )),
            (false, TransferMechanism::WithinEea) => Err(Error::invalid(
                "transfer_mechanism",
                "cannot be within_eea for a region outside the EEA",
            )),
            (false, _) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> SubProcessorInfo {
        SubProcessorInfo {
            vendor: "Deepgram".into(),
            legal_entity: "Deepgram, Inc.".into(),
            purpose: "speech-to-text".into(),
            data_categories: [DataCategory::CallAudio].into(),
            region: Region::parse("us").unwrap(),
            transfer_mechanism: TransferMechanism::StandardContractualClauses,
            dpa_in_place: true,
            trains_on_customer_data: false,
        }
    }

    #[test]
    fn regions() {
        assert!(Region::parse("de").unwrap().is_eea());
        assert!(Region::parse("EU").unwrap().is_eea());
        assert!(Region::parse("NO").unwrap().is_eea());
        assert!(!Region::parse("US").unwrap().is_eea());
        assert!(!Region::parse("GB").unwrap().is_eea());
        assert_eq!(Region::parse("usa").unwrap_err().field(), Some("region"));
        assert!(serde_json::from_str::<Region>("\"1x\"").is_err());
    }

    #[test]
    fn validation_names_fields() {
        info().validate().unwrap();
        let mut i = info();
        i.vendor = " ".into();
        assert_eq!(i.validate().unwrap_err().field(), Some("vendor"));
        let mut i = info();
        i.data_categories.clear();
        assert_eq!(i.validate().unwrap_err().field(), Some("data_categories"));
        let mut i = info();
        i.transfer_mechanism = TransferMechanism::WithinEea;
        assert_eq!(
            i.validate().unwrap_err().field(),
            Some("transfer_mechanism")
        );
        let back: SubProcessorInfo =
            serde_json::from_str(&serde_json::to_string(&info()).unwrap()).unwrap();
        assert_eq!(back, info());
    }
}
