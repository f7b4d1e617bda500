//! A Log Analytics query response in the row schema of the usage app's KQL, as the query API
//! returns it: one table, typed columns, rows as arrays.

use serde_json::{Value, json};

use crate::workload::{Shape, generate};

/// Builds a response of `rows` rows from the workload, one row per call with its 15-minute bucket.
pub fn response(rows: u64) -> Value {
    let columns = [
        ("bucket_start", "datetime"),
        ("user", "string"),
        ("subscription", "string"),
        ("deployment", "string"),
        ("response_model", "string"),
        ("service_tier", "string"),
        ("input_tokens", "long"),
        ("cached_input_tokens", "long"),
        ("output_tokens", "long"),
        ("reasoning_tokens", "long"),
        ("requests", "long"),
        ("rejected", "long"),
        ("usage_missing", "long"),
        ("source", "string"),
        ("estimated", "bool"),
    ];
    let mut table_rows = Vec::with_capacity(usize::try_from(rows).unwrap_or(0));
    generate(Shape::new(rows), 100_000, |records| {
        for record in records {
            let usage = record.usage.unwrap_or_default();
            let bucket = aoai_usage::row::bucket_start(record.time);
            table_rows.push(json!([
                bucket.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                record.user.unwrap_or_default(),
                "",
                record.deployment.unwrap_or_default(),
                record.response_model.unwrap_or_default(),
                "",
                usage.input,
                usage.cached_input,
                usage.output,
                usage.reasoning,
                record.requests,
                0,
                0,
                "otel",
                false,
            ]));
        }
    });
    json!({
        "tables": [{
            "name": "PrimaryResult",
            "columns": columns.iter().map(|(name, kind)| json!({"name": name, "type": kind})).collect::<Vec<_>>(),
            "rows": table_rows,
        }]
    })
}
