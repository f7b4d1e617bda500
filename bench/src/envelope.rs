//! Track request bodies as the Application Insights exporter sends them: a JSON array of
//! `RemoteDependency` envelopes with the GenAI span attributes, gzip-compressed.

use std::io::Write;

use aoai_usage::record::UsageRecord;
use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::{Value, json};

/// Returns the envelope of one model call span.
pub fn envelope(record: &UsageRecord, index: usize) -> Value {
    let usage = record.usage.unwrap_or_default();
    let mut properties = json!({
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "azure.ai.openai",
        "gen_ai.request.model": record.deployment,
        "gen_ai.response.model": record.response_model,
        "gen_ai.usage.input_tokens": usage.input.to_string(),
        "gen_ai.usage.cache_read.input_tokens": usage.cached_input.to_string(),
        "gen_ai.usage.output_tokens": usage.output.to_string(),
        "gen_ai.usage.reasoning.output_tokens": usage.reasoning.to_string(),
    });
    if let Some(user) = &record.user {
        properties["user.id"] = json!(user);
    }
    json!({
        "name": "Microsoft.ApplicationInsights.RemoteDependency",
        "time": record.time.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "iKey": "00000000-0000-0000-0000-000000000000",
        "tags": {"ai.cloud.role": "bench", "ai.operation.id": format!("{index:032x}")},
        "data": {
            "baseType": "RemoteDependencyData",
            "baseData": {
                "ver": 2,
                "id": format!("{index:016x}"),
                "name": format!("chat {}", record.deployment.as_deref().unwrap_or_default()),
                "duration": "00:00:01.250000",
                "success": true,
                "type": "HTTP",
                "target": "contoso.openai.azure.com",
                "properties": properties,
            }
        }
    })
}

/// Returns the gzip-compressed JSON array of the envelopes of `records`.
pub fn track_body(records: &[UsageRecord]) -> std::io::Result<Vec<u8>> {
    let items: Vec<Value> = records
        .iter()
        .enumerate()
        .map(|(index, record)| envelope(record, index))
        .collect();
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(&serde_json::to_vec(&items)?)?;
    encoder.finish()
}
