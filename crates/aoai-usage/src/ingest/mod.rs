//! Local ingestion in the Application Insights track protocol, so that any exporter,
//! including `opentelemetry-application-insights`, can send usage to the local store.

mod apim;
mod body;
mod count;
mod envelope;
mod otel;
mod scale;

use serde::Serialize;

pub use apim::MetricNames;
pub use body::BodyError;
pub use envelope::Envelope;

use crate::record::{RejectedRecord, SpanLink, UsageRecord};

/// The records, rejected records and span users of a batch of items, before it is stored.
#[derive(Debug, Default)]
pub struct Batch {
    pub records: Vec<UsageRecord>,
    pub rejected: Vec<RejectedRecord>,
    pub spans: Vec<SpanLink>,
    pub received: usize,
    /// Items that were not accepted, as the service reports them.
    pub errors: Vec<ItemError>,
}

/// An item that was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemError {
    pub index: usize,
    #[serde(rename = "statusCode")]
    pub status_code: u16,
    pub message: String,
}

/// The response of a track request, in the service's shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrackResponse {
    #[serde(rename = "itemsReceived")]
    pub items_received: usize,
    #[serde(rename = "itemsAccepted")]
    pub items_accepted: usize,
    pub errors: Vec<ItemError>,
}

/// Settings of local ingestion.
#[derive(Debug, Clone, Default)]
pub struct IngestSettings {
    pub metric_names: MetricNames,
    /// When set, each envelope's `iKey` must equal it.
    pub instrumentation_key: Option<String>,
}

/// Decompresses, splits and converts the body of one track request.
pub fn read_batch(
    body: &[u8],
    content_encoding: Option<&str>,
    limit: usize,
    settings: &IngestSettings,
) -> Result<Batch, BodyError> {
    let text = body::decode(body, content_encoding, limit)?;
    let items = body::split_items(&text)?;
    Ok(convert(items, settings))
}

/// Converts the items of one request. Envelopes that are well formed are accepted, whether
/// they become usage, are rejected as usage with a reason, or are telemetry that usage ignores.
fn convert(items: Vec<body::Item<'_>>, settings: &IngestSettings) -> Batch {
    let mut batch = Batch {
        received: items.len(),
        ..Batch::default()
    };
    for (index, item) in items.into_iter().enumerate() {
        let envelope = match item.and_then(Envelope::from_json) {
            Ok(envelope) => envelope,
            Err(message) => {
                batch.errors.push(ItemError {
                    index,
                    status_code: 400,
                    message,
                });
                continue;
            }
        };
        // Instrumentation keys are GUIDs, which exporters write in either case.
        if let Some(expected) = &settings.instrumentation_key
            && !envelope
                .ikey
                .as_deref()
                .is_some_and(|key| key.trim().eq_ignore_ascii_case(expected))
        {
            batch.errors.push(ItemError {
                index,
                status_code: 400,
                message: "the item's iKey is not this endpoint's instrumentation key".to_owned(),
            });
            continue;
        }
        match envelope.base_type.as_str() {
            "RemoteDependencyData" | "RequestData" => {
                let outcome = otel::read_span(&envelope);
                batch.records.extend(outcome.record);
                batch.rejected.extend(outcome.rejected);
                batch.spans.extend(outcome.span);
            }
            "MetricData" => {
                let outcome = apim::read_metrics(&envelope, &settings.metric_names);
                batch.records.extend(outcome.records);
                batch.rejected.extend(outcome.rejected);
            }
            _ => {}
        }
    }
    let (records, too_large): (Vec<_>, Vec<_>) = batch.records.into_iter().partition(UsageRecord::counts_fit);
    batch.records = records;
    batch
        .rejected
        .extend(too_large.into_iter().map(|record| RejectedRecord {
            source: record.source,
            time: record.time,
            reason: "count_overflow".to_owned(),
            detail: format!("a count exceeds {}", crate::record::MAX_COUNT),
            user: record.user,
            deployment: record.deployment,
            response_model: record.response_model,
        }));
    batch
}

impl Batch {
    pub fn response(&self) -> TrackResponse {
        TrackResponse {
            items_received: self.received,
            items_accepted: self.received - self.errors.len(),
            errors: self.errors.clone(),
        }
    }
}
