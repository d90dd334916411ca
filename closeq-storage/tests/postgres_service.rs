//! The PostgreSQL service CI provides is reachable. Under `CI=true` a missing
//! server fails this test instead of skipping it.
#![cfg(feature = "store-postgres")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use closeq_core::testing::required_service_url;
use sqlx::Connection;

#[tokio::test]
async fn postgres_is_reachable() {
    let Some(url) = required_service_url("CLOSEQ_TEST_POSTGRES_URL") else {
        return;
    };
    let mut conn = sqlx::PgConnection::connect(&url)
        .await
        .expect("connect to PostgreSQL");
    let (one,): (i32,) = sqlx::query_as("SELECT 1")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(one, 1);
}
