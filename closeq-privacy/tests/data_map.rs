//! Every stored column and every personal-data field is labelled; the
//! Art. 30 record is generated from the labels.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use closeq_core::WorkspaceSettings;
use closeq_privacy::data_map::{
    COLUMNS, FIELDS, column_label, record_of_processing, record_of_processing_markdown,
};
use closeq_privacy::retention::RetentionRules;
use closeq_privacy::subprocessors::Register;
use closeq_storage::{SqliteStore, SubjectHasher};
use sqlx::{Connection, Row};

#[path = "../../closeq-storage/tests/support/mod.rs"]
mod support;

/// The PostgreSQL schema (tables of the migrated database, as its owner
/// sees them) is labelled column by column too.
#[tokio::test]
async fn every_postgres_column_is_labelled() {
    let Some(db) = support::db() else { return };
    let mut c = sqlx::PgConnection::connect(&db.admin_url).await.unwrap();
    let rows = sqlx::query(
        "SELECT c.table_name::text, c.column_name::text FROM information_schema.columns c \
         JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
         WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' AND c.table_name NOT LIKE '\\_sqlx%' \
         ORDER BY 1, 2",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    let tables: std::collections::BTreeSet<String> = rows.iter().map(|r| r.get(0)).collect();
    assert!(tables.len() >= 15, "{tables:?}");
    let unlabelled: Vec<String> = rows
        .iter()
        .map(|r| (r.get::<String, _>(0), r.get::<String, _>(1)))
        .filter(|(t, col)| column_label(t, col).is_none())
        .map(|(t, col)| format!("{t}.{col}"))
        .collect();
    assert!(
        unlabelled.is_empty(),
        "PostgreSQL columns without a data-map label: {unlabelled:?}"
    );
}

#[tokio::test]
async fn every_sqlite_column_is_labelled() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("m.db"), SubjectHasher::new([0; 32], "44"))
        .await
        .unwrap();
    let tables: Vec<String> = sqlx::query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%'")
        .fetch_all(store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(tables.len() >= 15, "{tables:?}");
    let mut unlabelled = Vec::new();
    for t in &tables {
        for col in sqlx::query(&format!("PRAGMA table_info({t})"))
            .fetch_all(store.pool())
            .await
            .unwrap()
        {
            let name: String = col.get(1);
            if column_label(t, &name).is_none() {
                unlabelled.push(format!("{t}.{name}"));
            }
        }
    }
    assert!(
        unlabelled.is_empty(),
        "columns without a data-map label: {unlabelled:?}"
    );
}

#[test]
fn the_manifest_names_real_places_only_once() {
    let mut seen = std::collections::BTreeSet::new();
    for l in COLUMNS.iter().chain(FIELDS) {
        assert!(seen.insert(l.location), "{} is labelled twice", l.location);
    }
    // Every top-level field of the stored structs that can hold personal
    // data is labelled (the schema lists the fields; the manifest must
    // cover the personal ones).
    let call = serde_json::to_value(schemars::schema_for!(closeq_core::Call)).unwrap();
    for f in ["client", "rep_comments", "audio", "rep_id"] {
        assert!(
            call["properties"][f].is_object(),
            "Call.{f} no longer exists"
        );
    }
    let member = serde_json::to_value(schemars::schema_for!(closeq_core::Member)).unwrap();
    for f in ["display_name", "email", "time_zone", "preferences"] {
        assert!(
            member["properties"][f].is_object(),
            "Member.{f} no longer exists"
        );
        assert!(
            FIELDS.iter().any(|l| l.location == format!("Member.{f}")),
            "Member.{f} is not labelled"
        );
    }
    for f in [
        "Call.client.name",
        "Call.client.email",
        "Call.client.phone",
        "Call.rep_comments",
        "Call.audio",
        "Scorecard.review",
        "SubjectRequest.subject",
    ] {
        assert!(FIELDS.iter().any(|l| l.location == f), "{f} unlabelled");
    }
}

#[test]
fn record_of_processing_covers_every_category() {
    let reg = Register::default();
    let rules = RetentionRules::defaults(&WorkspaceSettings::default());
    let v = record_of_processing(&reg, &rules);
    assert_eq!(v["categories"].as_array().unwrap().len(), 10);
    let audio = v["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["category"] == "call_audio")
        .unwrap();
    assert_eq!(audio["retention"]["anchor"], "call_time");
    // In words for people, the JSON form kept beside it.
    assert_eq!(
        audio["retention_in_words"],
        "deleted 1 year after it was recorded; in any case within 90 days after the subscription ends"
    );
    assert!(
        audio["data_subjects"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "client_contact")
    );
    let md = record_of_processing_markdown(&reg, &rules);
    assert!(md.starts_with("# Record of processing activities (GDPR Art. 30)"));
    assert!(md.contains("| billing |"));
    // Rules in words (the JSON form is `--json`'s).
    assert!(
        md.contains("deleted 10 years after it was recorded |"),
        "{md}"
    );
    assert!(!md.contains("\"anchor\""), "{md}");
}
