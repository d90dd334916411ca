//! The register, the transfer check, and the rendered public list.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use closeq_core::ports::SubProcessor;
use closeq_core::testing::{ScriptedLanguageModel, ScriptedStt};
use closeq_core::{
    DataCategory, Error, Region, SubProcessorInfo, TransferMechanism, TransferPolicy,
};
use closeq_privacy::subprocessors::Register;

fn info(vendor: &str, region: &str, mech: TransferMechanism, dpa: bool) -> SubProcessorInfo {
    SubProcessorInfo {
        vendor: vendor.into(),
        legal_entity: format!("{vendor} Inc."),
        purpose: "speech-to-text".into(),
        data_categories: [DataCategory::CallAudio, DataCategory::Transcript].into(),
        region: Region::parse(region).unwrap(),
        transfer_mechanism: mech,
        dpa_in_place: dpa,
        trains_on_customer_data: false,
    }
}

#[test]
fn register_check_and_render() {
    let us = ScriptedStt::new().with_sub_processor(info(
        "Deepgram",
        "US",
        TransferMechanism::StandardContractualClauses,
        true,
    ));
    let eu = ScriptedLanguageModel::new("m").with_sub_processor(info(
        "Mistral",
        "FR",
        TransferMechanism::WithinEea,
        true,
    ));
    let local = ScriptedStt::new();
    let adapters: Vec<&dyn SubProcessor> = vec![&us, &eu, &local];
    let reg = Register::from_adapters(&adapters).unwrap();
    assert_eq!(
        reg.sub_processors.len(),
        2,
        "in-process components are not sub-processors"
    );
    let md = reg.to_markdown();
    assert!(
        md.contains("| Deepgram | Deepgram Inc. |") && md.contains("standard contractual clauses"),
        "{md}"
    );
    assert_eq!(reg.to_json()["sub_processors"][1]["vendor"], "Mistral");

    Register::check(&TransferPolicy::default(), &us).unwrap();
    match Register::check(&TransferPolicy::eea_only(), &us) {
        Err(Error::Compliance { rule, reason }) => {
            assert_eq!(rule, "transfer-policy");
            assert!(
                reason.contains("Deepgram") && reason.contains("US"),
                "{reason}"
            );
        }
        other => panic!("{other:?}"),
    }
    Register::check(&TransferPolicy::eea_only(), &eu).unwrap();
    Register::check(&TransferPolicy::eea_only(), &local).unwrap();
    let no_dpa = ScriptedStt::new().with_sub_processor(info(
        "Acme",
        "DE",
        TransferMechanism::WithinEea,
        false,
    ));
    assert!(Register::check(&TransferPolicy::default(), &no_dpa).is_err());
    let inconsistent = ScriptedStt::new().with_sub_processor(info(
        "Bad",
        "US",
        TransferMechanism::WithinEea,
        true,
    ));
    assert!(matches!(
        Register::from_adapters(&[&inconsistent]),
        Err(Error::InvalidInput { .. })
    ));
}
