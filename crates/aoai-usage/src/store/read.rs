//! Reads the records of a period.

use std::collections::{HashMap, HashSet};

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

/// A stored record with its user resolved: its own, else the nearest ancestor span's.
pub type StoredRecord = UsageRecord;

/// A rejected item, with the values the usage filters match on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedRow {
    pub reason: String,
    pub user: Option<String>,
    pub deployment: Option<String>,
    pub response_model: Option<String>,
}

/// The deepest chain of parent spans followed to find a user; agent frameworks nest a few levels.
const MAX_SPAN_DEPTH: usize = 32;

/// Parents and users of the spans looked up so far.
type SpanCache = HashMap<String, Option<(Option<String>, Option<String>)>>;

impl Store {
    /// Calls `visit` with every record of `query`, in time order.
    pub fn read_each(&self, query: &ReadQuery, visit: impl FnMut(StoredRecord)) -> Result<(), StoreError> {
        self.read_each_where(query, false, visit)
    }

    /// Calls `visit` with the records of `query`, in time order; with `needing_ancestors`,
    /// only those without a user that have a parent span, which the index in memory leaves out.
    pub(super) fn read_each_where(
        &self,
        query: &ReadQuery,
        needing_ancestors: bool,
        mut visit: impl FnMut(StoredRecord),
    ) -> Result<(), StoreError> {
        let connection = lock(&self.reader);
        let mut statement = connection
            .prepare_cached(if needing_ancestors {
                "SELECT time_ms, user_id, parent_span, deployment, response_model,
                        service_tier, provider, subscription, metric, requests, usage_missing,
                        input_tokens, cached_input_tokens, output_tokens, reasoning_tokens, estimated
                 FROM usage
                 WHERE source = ?1 AND time_ms >= ?2 AND time_ms < ?3
                       AND user_id IS NULL AND parent_span IS NOT NULL
                 ORDER BY time_ms, id"
            } else {
                "SELECT time_ms, user_id, parent_span, deployment, response_model,
                        service_tier, provider, subscription, metric, requests, usage_missing,
                        input_tokens, cached_input_tokens, output_tokens, reasoning_tokens, estimated
                 FROM usage
                 WHERE source = ?1 AND time_ms >= ?2 AND time_ms < ?3
                 ORDER BY time_ms, id"
            })
            .map_err(|error| self.sql(error))?;
        let mut rows = statement
            .query(params![
                query.source.as_str(),
                query.from.timestamp_millis(),
                query.to.timestamp_millis()
            ])
            .map_err(|error| self.sql(error))?;
        let mut spans = SpanCache::new();
        while let Some(row) = rows.next().map_err(|error| self.sql(error))? {
            let mut record = self.row_record(query.source, row)?;
            if record.user.is_none()
                && let Some(parent) = &record.parent_span
            {
                record.user = self.ancestor_user(&connection, parent, &mut spans)?;
            }
            visit(record);
        }
        Ok(())
    }

    /// Walks up from `span_id` to the first span that names a user.
    fn ancestor_user(
        &self,
        connection: &rusqlite::Connection,
        span_id: &str,
        spans: &mut SpanCache,
    ) -> Result<Option<String>, StoreError> {
        let mut current = span_id.to_owned();
        let mut seen = HashSet::new();
        for _ in 0..MAX_SPAN_DEPTH {
            if !seen.insert(current.clone()) {
                return Ok(None);
            }
            let link = match spans.get(&current) {
                Some(link) => link.clone(),
                None => {
                    let link = connection
                        .prepare_cached("SELECT parent_span, user_id FROM spans WHERE span_id = ?1")
                        .and_then(|mut statement| {
                            statement
                                .query_row([&current], |row| Ok((row.get(0)?, row.get(1)?)))
                                .map(Some)
                                .or_else(|error| match error {
                                    rusqlite::Error::QueryReturnedNoRows => Ok(None),
                                    other => Err(other),
                                })
                        })
                        .map_err(|error| self.sql(error))?;
                    spans.insert(current.clone(), link.clone());
                    link
                }
            };
            match link {
                Some((_, Some(user))) => return Ok(Some(user)),
                Some((Some(parent), None)) => current = parent,
                _ => return Ok(None),
            }
        }
        Ok(None)
    }

    pub(super) fn row_record(&self, source: UsageSource, row: &rusqlite::Row<'_>) -> Result<StoredRecord, StoreError> {
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

    /// Lists the rejected telemetry of `query`.
    pub fn rejected_rows(&self, query: &ReadQuery) -> Result<Vec<RejectedRow>, StoreError> {
        let connection = lock(&self.reader);
        let mut statement = connection
            .prepare_cached(
                "SELECT reason, user_id, deployment, response_model FROM rejected
                 WHERE source = ?1 AND time_ms >= ?2 AND time_ms < ?3",
            )
            .map_err(|error| self.sql(error))?;
        let rows = statement
            .query_map(
                params![
                    query.source.as_str(),
                    query.from.timestamp_millis(),
                    query.to.timestamp_millis()
                ],
                |row| {
                    Ok(RejectedRow {
                        reason: row.get(0)?,
                        user: row.get(1)?,
                        deployment: row.get(2)?,
                        response_model: row.get(3)?,
                    })
                },
            )
            .map_err(|error| self.sql(error))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|error| self.sql(error))
    }
}
