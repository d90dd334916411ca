//! The sub-processor register: built from every adapter's
//! [`SubProcessorInfo`], checked against a workspace's
//! [`TransferPolicy`] before any data leaves, and rendered as the public
//! sub-processor list (Markdown and JSON).

use closeq_core::ports::SubProcessor;
use closeq_core::{DataCategory, Result, SubProcessorInfo, TransferMechanism, TransferPolicy};
use serde::Serialize;

/// The sub-processors an installation uses.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Register {
    /// Entries, sorted by vendor and purpose.
    pub sub_processors: Vec<SubProcessorInfo>,
}

impl Register {
    /// The register of the given adapters; in-process components (which
    /// declare none) are left out. Every declaration is validated.
    pub fn from_adapters(adapters: &[&dyn SubProcessor]) -> Result<Self> {
        let mut v = Vec::new();
        for a in adapters {
            if let Some(info) = a.sub_processor() {
                info.validate()?;
                if !v.contains(&info) {
                    v.push(info);
                }
            }
        }
        v.sort_by(|a: &SubProcessorInfo, b| (&a.vendor, &a.purpose).cmp(&(&b.vendor, &b.purpose)));
        Ok(Self { sub_processors: v })
    }

    /// Checks that `adapter` may receive data under `policy`, returning the
    /// `Compliance` error naming the rule otherwise. Run before any data
    /// leaves.
    pub fn check(policy: &TransferPolicy, adapter: &dyn SubProcessor) -> Result<()> {
        match adapter.sub_processor() {
            None => Ok(()),
            Some(info) => {
                info.validate()?;
                policy.check(&info)
            }
        }
    }

    /// The public list as Markdown.
    pub fn to_markdown(&self) -> String {
        let mut out = String::from(
            "# Sub-processors\n\n| Vendor | Legal entity | Purpose | Data | Location | Transfer mechanism | DPA | Trains on customer data |\n|---|---|---|---|---|---|---|---|\n",
        );
        for s in &self.sub_processors {
            let data: Vec<&str> = s
                .data_categories
                .iter()
                .map(|c: &DataCategory| c.as_str())
                .collect();
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
                s.vendor,
                s.legal_entity,
                s.purpose,
                data.join(", "),
                s.region.as_str(),
                mechanism(s.transfer_mechanism),
                if s.dpa_in_place { "yes" } else { "no" },
                if s.trains_on_customer_data {
                    "yes"
                } else {
                    "no"
                },
            ));
        }
        if self.sub_processors.is_empty() {
            out.push_str("| (none: all processing runs in-process) | | | | | | | |\n");
        }
        out
    }

    /// The public list as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

fn mechanism(m: TransferMechanism) -> &'static str {
    match m {
        TransferMechanism::WithinEea => "none needed (EEA)",
        TransferMechanism::AdequacyDecision => "adequacy decision (Art. 45 GDPR)",
        TransferMechanism::StandardContractualClauses => {
            "standard contractual clauses (Art. 46 GDPR)"
        }
        TransferMechanism::EuUsDataPrivacyFramework => "EU-US Data Privacy Framework",
        TransferMechanism::None => "none",
    }
}
