//! Writes a batch in one transaction.

use rusqlite::params;

use super::{Store, StoreError, lock};
use crate::ingest::Batch;

impl Store {
    /// Writes every record, rejected record and span of `batch`, or none of them.
    pub fn write(&self, batch: &Batch) -> Result<(), StoreError> {
        self.write_batch(batch, false)
    }

    /// Writes the generated sample and marks the store as holding it, in one transaction.
    pub fn write_sample(&self, batch: &Batch) -> Result<(), StoreError> {
        self.write_batch(batch, true)
    }

    fn write_batch(&self, batch: &Batch, sample: bool) -> Result<(), StoreError> {
        let mut connection = lock(&self.writer);
        let transaction = connection.transaction().map_err(|error| self.sql(error))?;
        {
            let mut insert = transaction
                .prepare_cached(
                    "INSERT INTO usage (source, time_ms, user_id, parent_span, deployment, response_model,
                         service_tier, provider, subscription, metric, requests, usage_missing,
                         input_tokens, cached_input_tokens, output_tokens, reasoning_tokens, estimated)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
                )
                .map_err(|error| self.sql(error))?;
            for record in &batch.records {
                let usage = record.usage.unwrap_or_default();
                // Ingestion rejects counts above `MAX_COUNT`, so every count fits.
                let count = |value: u64| i64::try_from(value).unwrap_or(i64::MAX);
                insert
                    .execute(params![
                        record.source.as_str(),
                        record.time.timestamp_millis(),
                        record.user,
                        record.parent_span,
                        record.deployment,
                        record.response_model,
                        record.service_tier,
                        record.provider,
                        record.subscription,
                        record.metric.map(|metric| metric.as_str()),
                        count(record.requests),
                        record.usage.is_none(),
                        count(usage.input),
                        count(usage.cached_input),
                        count(usage.output),
                        count(usage.reasoning),
                        record.estimated,
                    ])
                    .map_err(|error| self.sql(error))?;
            }
            let mut reject = transaction
                .prepare_cached(
                    "INSERT INTO rejected (source, time_ms, reason, detail, user_id, deployment, response_model)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .map_err(|error| self.sql(error))?;
            for rejected in &batch.rejected {
                reject
                    .execute(params![
                        rejected.source.as_str(),
                        rejected.time.timestamp_millis(),
                        rejected.reason,
                        rejected.detail,
                        rejected.user,
                        rejected.deployment,
                        rejected.response_model,
                    ])
                    .map_err(|error| self.sql(error))?;
            }
            let mut span = transaction
                .prepare_cached(
                    "INSERT INTO spans (span_id, parent_span, user_id) VALUES (?1, ?2, ?3)
                     ON CONFLICT (span_id) DO UPDATE SET
                         parent_span = COALESCE(excluded.parent_span, parent_span),
                         user_id = COALESCE(excluded.user_id, user_id)",
                )
                .map_err(|error| self.sql(error))?;
            for link in &batch.spans {
                span.execute(params![link.span_id, link.parent_span, link.user])
                    .map_err(|error| self.sql(error))?;
            }
            if sample {
                transaction
                    .execute(
                        "INSERT INTO meta (key, value) VALUES ('sample', 'true')
                         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                        [],
                    )
                    .map_err(|error| self.sql(error))?;
            }
        }
        transaction.commit().map_err(|error| self.sql(error))?;
        // Still under the writer lock, so the copy in memory never misses a commit.
        lock(&self.memory).append(&batch.records);
        Ok(())
    }
}
