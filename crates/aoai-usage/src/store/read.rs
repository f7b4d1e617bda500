//! Reads the records of a period.

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::params;

use super::{Store, StoreError, lock};
use crate::record::{TokenMetric, UsageRecord, UsageSource};

/// The records to read: one source over `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadQuery {
    pub source: UsageSource,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// A stored record with its user resolved: its own, else its parent span's.
pub type StoredRecord = UsageRecord;

impl Store {
    /// Calls `visit` with every record of `query`, in time order.
    pub fn read_each(&self, query: &ReadQuery, mut visit: impl FnMut(StoredRecord)) -> Result<(), StoreError> {
        let connection = lock(&self.reader);
        let mut statement = connection
            .prepare_cached(
                "SELECT u.time_ms, COALESCE(u.user_id, s.user_id), u.parent_span, u.deployment, u.response_model,
                        u.service_tier, u.provider, u.subscription, u.metric, u.requests, u.usage_missing,
                        u.input_tokens, u.cached_input_tokens, u.output_tokens, u.reasoning_tokens, u.estimated
                 FROM usage u LEFT JOIN span_users s ON s.span_id = u.parent_span
                 WHERE u.source = ?1 AND u.time_ms >= ?2 AND u.time_ms < ?3
                 ORDER BY u.time_ms, u.id",
            )
            .map_err(|error| self.sql(error))?;
        let mut rows = statement
            .query(params![
                query.source.as_str(),
                query.from.timestamp_millis(),
                query.to.timestamp_millis()
            ])
            .map_err(|error| self.sql(error))?;
        while let Some(row) = rows.next().map_err(|error| self.sql(error))? {
            let record = self.row_record(query.source, row)?;
            visit(record);
        }
        Ok(())
    }

    fn row_record(&self, source: UsageSource, row: &rusqlite::Row<'_>) -> Result<StoredRecord, StoreError> {
        let invalid = |detail: String| StoreError::InvalidRow {
            path: self.path.display().to_string(),
            detail,
        };
        let get_count = |index: usize| -> Result<u64, StoreError> {
            let value: i64 = row.get(index).map_err(|error| self.sql(error))?;
            u64::try_from(value).map_err(|_| invalid(format!("negative count {value} in column {index}")))
        };
        let time_ms: i64 = row.get(0).map_err(|error| self.sql(error))?;
        let time = Utc
            .timestamp_millis_opt(time_ms)
            .single()
            .ok_or_else(|| invalid(format!("time {time_ms} ms is out of range")))?;
        let text =
            |index: usize| -> Result<Option<String>, StoreError> { row.get(index).map_err(|error| self.sql(error)) };
        let metric = match text(8)? {
            None => None,
            Some(name) => Some(TokenMetric::parse(&name).ok_or_else(|| invalid(format!("unknown metric '{name}'")))?),
        };
        let usage_missing: bool = row.get(10).map_err(|error| self.sql(error))?;
        let usage = aoai_core::TokenUsage {
            input: get_count(11)?,
            cached_input: get_count(12)?,
            output: get_count(13)?,
            reasoning: get_count(14)?,
        };
        Ok(UsageRecord {
            source,
            time,
            user: text(1)?,
            parent_span: text(2)?,
            deployment: text(3)?,
            response_model: text(4)?,
            service_tier: text(5)?,
            provider: text(6)?,
            subscription: text(7)?,
            metric,
            requests: get_count(9)?,
            usage: (!usage_missing).then_some(usage),
            estimated: row.get(15).map_err(|error| self.sql(error))?,
        })
    }

    /// Counts the rejected telemetry of `query` by reason.
    pub fn rejected_counts(&self, query: &ReadQuery) -> Result<Vec<(String, u64)>, StoreError> {
        let connection = lock(&self.reader);
        let mut statement = connection
            .prepare_cached(
                "SELECT reason, COUNT(*) FROM rejected
                 WHERE source = ?1 AND time_ms >= ?2 AND time_ms < ?3
                 GROUP BY reason ORDER BY reason",
            )
            .map_err(|error| self.sql(error))?;
        let rows = statement
            .query_map(
                params![
                    query.source.as_str(),
                    query.from.timestamp_millis(),
                    query.to.timestamp_millis()
                ],
                |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?)),
            )
            .map_err(|error| self.sql(error))?;
        let mut counts = Vec::new();
        for row in rows {
            let (reason, count) = row.map_err(|error| self.sql(error))?;
            counts.push((reason, u64::try_from(count).unwrap_or(0)));
        }
        Ok(counts)
    }
}
