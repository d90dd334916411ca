//! Every boundary type has a JSON Schema, and the domain types round-trip.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use closeq_core::*;

#[test]
fn boundary_types_have_schemas() {
    let schemas = [
        serde_json::to_value(schemars::schema_for!(Workspace)).unwrap(),
        serde_json::to_value(schemars::schema_for!(Call)).unwrap(),
        serde_json::to_value(schemars::schema_for!(Transcript)).unwrap(),
        serde_json::to_value(schemars::schema_for!(Rubric)).unwrap(),
        serde_json::to_value(schemars::schema_for!(Scorecard)).unwrap(),
        serde_json::to_value(schemars::schema_for!(ConversationMetrics)).unwrap(),
        serde_json::to_value(schemars::schema_for!(SubProcessorInfo)).unwrap(),
        serde_json::to_value(schemars::schema_for!(Invitation)).unwrap(),
        serde_json::to_value(schemars::schema_for!(Member)).unwrap(),
        serde_json::to_value(schemars::schema_for!(Scope)).unwrap(),
    ];
    for s in &schemas {
        assert!(
            s.get("properties").is_some() || s.get("oneOf").is_some(),
            "{s}"
        );
    }
    let call = &schemas[1];
    // Ids are declared as UUID strings.
    assert_eq!(call["$defs"]["CallId"]["format"], "uuid");
}

#[test]
fn workspace_and_team_round_trip() {
    let now = chrono::DateTime::from_timestamp(1_780_000_000, 0).unwrap();
    let w = Workspace::new("Acme GmbH", now).unwrap();
    let back: Workspace = serde_json::from_str(&serde_json::to_string(&w).unwrap()).unwrap();
    assert_eq!(back, w);
    let t = Team::new(w.id, "EMEA Inbound", now).unwrap();
    let back: Team = serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
    assert_eq!(back, t);
    let mut w2 = w.clone();
    w2.settings.subscription = SubscriptionState::Terminated { at: now };
    let back: Workspace = serde_json::from_str(&serde_json::to_string(&w2).unwrap()).unwrap();
    assert_eq!(back, w2);
}
