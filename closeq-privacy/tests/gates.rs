//! The compliance gates.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::TimeZone;
use closeq_core::testing::ScriptedStt;
use closeq_core::testing::call_store::sample_scorecard;
use closeq_core::{
    Call, CallDirection, CallId, CallSource, DataCategory, Error, Region, SubProcessorInfo,
    TransferMechanism, TransferPolicy, UserId, Verdict, WorkspaceId, WorkspaceSettings,
};
use closeq_privacy::gates::*;

fn rule(e: Error) -> String {
    match e {
        Error::Compliance { rule, .. } => rule.into_owned(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn analysis_gate() {
    let call = CallId::new();
    let s = WorkspaceSettings::default();
    check_analysis(&s, call, None, SubjectFlags::default()).unwrap();
    assert_eq!(
        rule(
            check_analysis(
                &s,
                call,
                None,
                SubjectFlags {
                    restricted: true,
                    objected: false,
                    legal_hold: false
                }
            )
            .unwrap_err()
        ),
        "GDPR Art. 18"
    );
    assert_eq!(
        rule(
            check_analysis(
                &s,
                call,
                None,
                SubjectFlags {
                    restricted: false,
                    objected: true,
                    legal_hold: false
                }
            )
            .unwrap_err()
        ),
        "GDPR Art. 21"
    );
    let off = WorkspaceSettings {
        ai_analysis_enabled: false,
        ..Default::default()
    };
    assert_eq!(
        rule(check_analysis(&off, call, None, SubjectFlags::default()).unwrap_err()),
        "workspace AI switch"
    );
    let consent = WorkspaceSettings {
        consent_required: true,
        ..Default::default()
    };
    assert_eq!(
        rule(check_analysis(&consent, call, None, SubjectFlags::default()).unwrap_err()),
        "recording consent"
    );
    let at = chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let other = ConsentRecord {
        call_id: CallId::new(),
        method: ConsentMethod::Ivr,
        obtained_at: at,
        withdrawn_at: None,
    };
    assert!(
        check_analysis(&consent, call, Some(&other), SubjectFlags::default()).is_err(),
        "consent for another call does not count"
    );
    let ok = ConsentRecord {
        call_id: call,
        method: ConsentMethod::Verbal,
        obtained_at: at,
        withdrawn_at: None,
    };
    check_analysis(&consent, call, Some(&ok), SubjectFlags::default()).unwrap();
}

#[test]
fn transfer_gate() {
    let us = ScriptedStt::new().with_sub_processor(SubProcessorInfo {
        vendor: "Vendor".into(),
        legal_entity: "Vendor Inc.".into(),
        purpose: "speech-to-text".into(),
        data_categories: [DataCategory::CallAudio].into(),
        region: Region::parse("US").unwrap(),
        transfer_mechanism: TransferMechanism::StandardContractualClauses,
        dpa_in_place: true,
        trains_on_customer_data: false,
    });
    check_transfer(&WorkspaceSettings::default(), &us).unwrap();
    let eea = WorkspaceSettings {
        transfer_policy: TransferPolicy::eea_only(),
        ..Default::default()
    };
    assert_eq!(
        rule(check_transfer(&eea, &us).unwrap_err()),
        "transfer-policy"
    );
    check_transfer(&eea, &ScriptedStt::new()).unwrap();
}

#[test]
fn employment_exports_need_human_review() {
    let t = chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let call = Call::new(
        WorkspaceId::new(),
        UserId::new(),
        t,
        CallDirection::Outbound,
        CallSource::Upload,
        t,
    );
    let mut a = sample_scorecard(&call, 70.0, &[("budget", Verdict::Met)]);
    let b = sample_scorecard(&call, 50.0, &[("budget", Verdict::Missed)]);
    assert_eq!(
        rule(check_employment_export(&[a.clone(), b.clone()]).unwrap_err()),
        "EU AI Act Art. 14"
    );
    a.accept(UserId::new(), t).unwrap();
    let mut b2 = b.clone();
    b2.reject(UserId::new(), t, "wrong call").unwrap();
    assert!(
        check_employment_export(&[a.clone(), b2]).is_err(),
        "a rejected scorecard cannot be used"
    );
    let mut b3 = b;
    b3.accept(UserId::new(), t).unwrap();
    check_employment_export(&[a, b3]).unwrap();
}
