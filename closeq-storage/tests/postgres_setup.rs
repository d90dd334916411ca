//! `DatabaseSetup` and `check_database` against a real PostgreSQL server:
//! the roles and database made from nothing pass every check and serve
//! the store; a second set-up changes nothing; each way a DBA could break
//! the isolation promise is reported by name.
#![cfg(feature = "store-postgres")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use closeq_core::Error;
use closeq_core::testing::required_service_url;
use closeq_storage::postgres_setup::{DatabaseSetup, check_database, role_of_url};
use closeq_storage::{PostgresStore, SubjectHasher};
use sqlx::Connection;

fn failing(report: &closeq_storage::postgres_setup::DatabaseReport) -> Vec<String> {
    report
        .items
        .iter()
        .filter(|i| !i.ok)
        .map(|i| i.name.clone())
        .collect()
}

#[test]
fn names_are_plain_identifiers() {
    for (db, owner, runtime) in [
        ("closeq; DROP TABLE x", "o", "r"),
        ("closeq", "Owner", "r"),
        ("closeq", "o", "r r"),
        ("closeq", "same", "same"),
        ("", "o", "r"),
    ] {
        assert!(
            matches!(
                DatabaseSetup::new(db, owner, runtime),
                Err(Error::InvalidInput { .. })
            ),
            "{db} {owner} {runtime}"
        );
    }
    let sql = DatabaseSetup::new("closeq", "closeq_owner", "closeq_app")
        .unwrap()
        .statements("p1", "p2");
    assert!(sql[1].contains("NOBYPASSRLS") && sql[1].contains("NOINHERIT"));
    assert!(
        sql.iter()
            .any(|s| s == "CREATE DATABASE closeq OWNER closeq_owner")
    );
}

/// The driver lets a URL's query override its user, password and
/// database: URLs made from such an admin URL would connect as the
/// administrator (and print their password). Refused before any
/// connection, as are role names that would grant to everyone.
#[tokio::test]
async fn urls_that_override_their_user_and_reserved_role_names_are_refused() {
    let setup = DatabaseSetup::new("closeq", "closeq_owner", "closeq_app").unwrap();
    for url in [
        "postgres://db/postgres?user=postgres&password=S3cret",
        "postgres://admin@db/postgres?dbname=other",
        "postgres://admin@db/postgres?host=elsewhere",
    ] {
        let e = setup.run(url).await.unwrap_err();
        assert!(matches!(e, Error::InvalidInput { .. }), "{url}: {e:?}");
        assert!(!e.to_string().contains("S3cret"), "{e}");
        assert!(role_of_url(url).is_err(), "{url}");
    }
    for role in [
        "public",
        "PUBLIC",
        "pg_write_server_files",
        "current_user",
        "a-b",
        "",
    ] {
        let e = PostgresStore::migrate("postgres://owner@127.0.0.1:1/db", role)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, Error::InvalidInput { field, .. } if *field == "runtime_role"),
            "{role}: {e:?}"
        );
    }
}

#[tokio::test]
async fn a_set_up_from_nothing_passes_every_check_and_each_breach_is_named() {
    let Some(admin) = required_service_url("CLOSEQ_TEST_POSTGRES_URL") else {
        return;
    };
    let tag = &uuid::Uuid::new_v4().simple().to_string()[..12];
    let (db, owner, runtime) = (
        format!("closeq_s_{tag}"),
        format!("closeq_so_{tag}"),
        format!("closeq_sr_{tag}"),
    );
    let setup = DatabaseSetup::new(&db, &owner, &runtime).unwrap();
    let made = setup.run(&admin).await.unwrap();
    assert_eq!(role_of_url(&made.runtime_url).unwrap(), runtime);
    assert!(
        !format!("{made:?}").contains(&runtime),
        "Debug hides the URLs"
    );
    // The store accepts the runtime role (it refuses any role that can
    // lift RLS).
    let store = PostgresStore::connect(&made.runtime_url, SubjectHasher::new([1; 32], "48"))
        .await
        .unwrap();
    drop(store);
    let report = check_database(&made.owner_url, &runtime).await.unwrap();
    assert!(report.ok(), "{report:#?}");
    assert!(report.items.len() >= 15, "{report:#?}");
    assert!(
        report
            .items
            .iter()
            .any(|i| i.name == "schema version" && i.detail.contains("as this build expects"))
    );
    let as_runtime = check_database(&made.runtime_url, &runtime).await.unwrap();
    assert!(as_runtime.ok(), "{as_runtime:#?}");
    // Twice: refused, nothing changed.
    let again = setup.run(&admin).await;
    assert!(matches!(again, Err(Error::Conflict { .. })), "{again:?}");

    // Break it the ways a DBA might, one after another; each is named.
    let in_db = {
        let mut u = url::Url::parse(&admin).unwrap();
        u.set_path(&format!("/{db}"));
        u.to_string()
    };
    let mut c = sqlx::PgConnection::connect(&in_db).await.unwrap();
    // A renamed owner: the job functions see no job until migrate runs
    // again as the owner, and the check says so.
    sqlx::query(&format!("ALTER ROLE {owner} RENAME TO {owner}_x"))
        .execute(&mut c)
        .await
        .unwrap();
    let renamed = check_database(&made.runtime_url, &runtime).await.unwrap();
    assert_eq!(failing(&renamed), vec!["job functions name the owner"]);
    sqlx::query(&format!("ALTER ROLE {owner}_x RENAME TO {owner}"))
        .execute(&mut c)
        .await
        .unwrap();
    let breaches = [
        (
            "ALTER TABLE calls NO FORCE ROW LEVEL SECURITY",
            "table calls",
        ),
        (
            &*format!("GRANT INSERT ON jobs TO {runtime}"),
            "jobs written through the functions only",
        ),
        ("CREATE VIEW leak AS SELECT id FROM calls", "no views"),
        (
            &*format!("GRANT CREATE ON SCHEMA public TO {runtime}"),
            "nobody else creates in public",
        ),
        (
            &*format!("GRANT {owner} TO {runtime}"),
            &*format!("runtime role {runtime}"),
        ),
    ];
    let mut expected = Vec::new();
    for (sql, item) in breaches {
        sqlx::query(sql).execute(&mut c).await.unwrap();
        expected.push(item.to_owned());
        let report = check_database(&made.owner_url, &runtime).await.unwrap();
        let mut got = failing(&report);
        got.sort();
        let mut want = expected.clone();
        want.sort();
        assert_eq!(got, want, "after {sql}");
    }
    // The store refuses the broken runtime role outright.
    let r = PostgresStore::connect(&made.runtime_url, SubjectHasher::new([1; 32], "48")).await;
    assert!(matches!(r, Err(Error::Compliance { .. })), "{r:?}");
    c.close().await.unwrap();

    // Clean up the cluster-wide roles.
    let mut a = sqlx::PgConnection::connect(&admin).await.unwrap();
    for sql in [
        format!("DROP DATABASE {db} WITH (FORCE)"),
        format!("DROP ROLE {runtime}"),
        format!("DROP ROLE {owner}"),
    ] {
        sqlx::query(&sql).execute(&mut a).await.unwrap();
    }
}
