//! Batch ingest: many calls with their transcripts and scorecards in one
//! transaction (all or nothing).

use closeq_core::{Call, Error, Result, Scope, Scorecard, Transcript};

/// A call with what was produced for it.
#[derive(Debug, Clone)]
pub struct CallBundle {
    /// The call.
    pub call: Call,
    /// Its transcript.
    pub transcript: Option<Transcript>,
    /// Its scorecard.
    pub scorecard: Option<Scorecard>,
}

/// Checks a bundle before anything is written.
pub(crate) fn check(scope: &Scope, b: &CallBundle) -> Result<()> {
    crate::policy::check_new_call(scope, &b.call)?;
    if let Some(t) = &b.transcript {
        t.validate()?;
    }
    if let Some(s) = &b.scorecard {
        if s.call_id != b.call.id || s.workspace_id != b.call.workspace_id {
            return Err(Error::invalid(
                "scorecard.call_id",
                "does not belong to the bundle's call",
            ));
        }
    }
    Ok(())
}

#[cfg(feature = "store-sqlite")]
impl crate::SqliteStore {
    /// Ingests a batch in one transaction: every bundle is checked first,
    /// then all are written, or none.
    pub async fn ingest(&self, scope: &Scope, batch: &[CallBundle]) -> Result<()> {
        use crate::sqlite::{BACKEND, map_err};
        for b in batch {
            check(scope, b)?;
        }
        let mut tx = self.pool().begin().await.map_err(map_err)?;
        for b in batch {
            crate::sqlite::calls::write_call(&mut tx, &b.call, true).await?;
            crate::sqlite::calls::index(&mut tx, self.hasher(), &b.call).await?;
            if let Some(t) = &b.transcript {
                sqlx::query(
                    "INSERT INTO transcripts (call_id, workspace_id, data) VALUES (?, ?, ?)",
                )
                .bind(b.call.id.to_string())
                .bind(b.call.workspace_id.to_string())
                .bind(crate::codec::to_json(BACKEND, t)?)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
            }
            if let Some(s) = &b.scorecard {
                crate::sqlite::calls::write_scorecard(&mut tx, s).await?;
            }
        }
        tx.commit().await.map_err(map_err)
    }
}

#[cfg(feature = "store-postgres")]
impl crate::PostgresStore {
    /// Ingests a batch in one transaction, under the scope's RLS.
    pub async fn ingest(&self, scope: &Scope, batch: &[CallBundle]) -> Result<()> {
        use crate::postgres::{BACKEND, map_err};
        for b in batch {
            check(scope, b)?;
        }
        let mut tx = self.begin_scope(scope).await?;
        for b in batch {
            crate::postgres::calls::write_call(&mut tx, &b.call, true).await?;
            crate::postgres::calls::index(&mut tx, self.hasher(), &b.call).await?;
            if let Some(t) = &b.transcript {
                sqlx::query("INSERT INTO transcripts (call_id, workspace_id, rep_id, team_id, data) VALUES ($1, $2, $4, $5, $3)")
                    .bind(b.call.id.as_uuid())
                    .bind(b.call.workspace_id.as_uuid())
                    .bind(crate::codec::to_json(BACKEND, t)?)
                    .bind(b.call.rep_id.as_uuid())
                    .bind(b.call.team_id.map(|t| t.as_uuid()))
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
            }
            if let Some(s) = &b.scorecard {
                crate::postgres::calls::write_scorecard(&mut tx, s).await?;
            }
        }
        tx.commit().await.map_err(map_err)
    }
}
