//! Reads the local store as usage rows, the schema the Azure backends return.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{ReadQuery, Store, StoreError};
use crate::record::{TokenMetric, UsageRecord, UsageSource};
use crate::row::{UsageRow, bucket_start};

/// The metrics of one bucket, user, deployment, subscription and streaming flag.
type MetricKey = (Option<String>, Option<String>, Option<String>, bool);

#[derive(Default)]
struct Metrics {
    input: u64,
    cached: u64,
    output: u64,
    total_requests: Option<u64>,
    prompt_requests: Option<u64>,
    any_requests: u64,
}

impl Store {
    /// Calls `visit` with the rows of `query`, bucket by bucket. A span is one row of its
    /// own; API Management's metrics of one bucket are joined, taking requests from
    /// `Total Tokens` (else `Prompt Tokens`) and never summing them across metric names.
    pub fn read_rows(&self, query: &ReadQuery, visit: impl FnMut(UsageRow)) -> Result<(), StoreError> {
        self.read_rows_where(query, false, visit)
    }

    /// Calls `visit` with the rows of the span records that the index in memory leaves out:
    /// those without a user that take it from a parent span.
    pub fn read_rows_needing_ancestors(
        &self,
        query: &ReadQuery,
        visit: impl FnMut(UsageRow),
    ) -> Result<(), StoreError> {
        self.read_rows_where(query, true, visit)
    }

    fn read_rows_where(
        &self,
        query: &ReadQuery,
        needing_ancestors: bool,
        mut visit: impl FnMut(UsageRow),
    ) -> Result<(), StoreError> {
        let mut metrics: BTreeMap<MetricKey, Metrics> = BTreeMap::new();
        let mut bucket: Option<DateTime<Utc>> = None;
        self.read_each_where(query, needing_ancestors, |record| {
            let start = bucket_start(record.time);
            if bucket.is_some_and(|current| current != start) {
                flush(&mut metrics, bucket.unwrap_or(start), &mut visit);
            }
            bucket = Some(start);
            match record.source {
                UsageSource::Apim => join(&mut metrics, record),
                UsageSource::Otel | UsageSource::ApimLogs => visit(span_row(record, start)),
            }
        })?;
        if let Some(start) = bucket {
            flush(&mut metrics, start, &mut visit);
        }
        Ok(())
    }
}

fn span_row(record: UsageRecord, start: DateTime<Utc>) -> UsageRow {
    let usage = record.usage.unwrap_or_default();
    UsageRow {
        bucket_start: start,
        source: record.source,
        user: record.user,
        subscription: record.subscription,
        deployment: record.deployment,
        response_model: record.response_model,
        service_tier: record.service_tier,
        input_tokens: usage.input,
        cached_input_tokens: usage.cached_input,
        output_tokens: usage.output,
        reasoning_tokens: usage.reasoning,
        requests: if record.usage.is_some() { record.requests } else { 0 },
        rejected: 0,
        usage_missing: if record.usage.is_none() { record.requests } else { 0 },
        estimated: record.estimated,
    }
}

fn join(metrics: &mut BTreeMap<MetricKey, Metrics>, record: UsageRecord) {
    let key = (record.user, record.deployment, record.subscription, record.estimated);
    let entry = metrics.entry(key).or_default();
    let usage = record.usage.unwrap_or_default();
    entry.input = entry.input.saturating_add(usage.input);
    entry.cached = entry.cached.saturating_add(usage.cached_input);
    entry.output = entry.output.saturating_add(usage.output);
    entry.any_requests = entry.any_requests.max(record.requests);
    let requests = match record.metric {
        Some(TokenMetric::Total) => &mut entry.total_requests,
        Some(TokenMetric::Prompt) => &mut entry.prompt_requests,
        _ => return,
    };
    *requests = Some(requests.unwrap_or(0).saturating_add(record.requests));
}

fn flush(metrics: &mut BTreeMap<MetricKey, Metrics>, start: DateTime<Utc>, visit: &mut impl FnMut(UsageRow)) {
    for ((user, deployment, subscription, estimated), joined) in std::mem::take(metrics) {
        let requests = joined
            .total_requests
            .or(joined.prompt_requests)
            .unwrap_or(joined.any_requests);
        // Cached tokens are part of the prompt; a bucket with more cached than prompt tokens
        // cannot be priced and is counted as rejected.
        let impossible = joined.cached > joined.input;
        visit(UsageRow {
            bucket_start: start,
            source: UsageSource::Apim,
            user,
            subscription,
            deployment,
            response_model: None,
            service_tier: None,
            input_tokens: if impossible { 0 } else { joined.input },
            cached_input_tokens: if impossible { 0 } else { joined.cached },
            output_tokens: if impossible { 0 } else { joined.output },
            reasoning_tokens: 0,
            requests: if impossible { 0 } else { requests },
            rejected: if impossible { requests.max(1) } else { 0 },
            usage_missing: 0,
            estimated,
        });
    }
}
