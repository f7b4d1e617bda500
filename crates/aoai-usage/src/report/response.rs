//! The response of `GET /api/usage`, as JSON or CSV.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::aggregate::Totals;
use super::group::Dimension;
use super::measures::ShownMeasures;
use super::params::UsageParams;

/// The source and fetch time of a response's prices.
#[derive(Debug, Clone, Serialize)]
pub struct PriceProvenance {
    pub source: &'static str,
    pub as_of: DateTime<Utc>,
    pub stale: bool,
}

#[derive(Debug, Serialize)]
struct Unpriced {
    requests: u128,
    input_tokens: u128,
    output_tokens: u128,
    reasons: BTreeMap<&'static str, u128>,
}

#[derive(Debug, Serialize)]
struct DataQuality {
    rejected: u64,
    rejected_reasons: BTreeMap<String, u64>,
    unattributed: u128,
    assumed: u128,
    estimated: u128,
    usage_missing: u128,
    /// True when the backend returned only part of the data, with its message.
    partial: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    partial_message: Option<String>,
}

/// Builds the JSON response.
pub fn to_json(params: &UsageParams, totals: &Totals, sample: bool, prices: &PriceProvenance) -> Value {
    let with_user = params.group_by.contains(&Dimension::User);
    let rows: Vec<Value> = totals
        .rows
        .iter()
        .map(|(key, measures)| {
            let mut row = Map::new();
            for (dimension, value) in params.group_by.iter().zip(key) {
                row.insert(dimension.as_str().to_owned(), json!(value));
            }
            if with_user {
                let user = params
                    .group_by
                    .iter()
                    .position(|dimension| *dimension == Dimension::User)
                    .and_then(|index| key.get(index));
                let name = user.and_then(|user| totals.display_names.get(user));
                row.insert("display_name".to_owned(), json!(name));
            }
            if let Value::Object(shown) = json!(measures.shown()) {
                row.extend(shown);
            }
            Value::Object(row)
        })
        .collect();
    let rejected: u64 = totals.rejected_reasons.values().sum();
    json!({
        "from": params.from,
        "to": params.to,
        "tz": params.tz.name(),
        "currency": params.currency,
        "source": params.source,
        "sample": sample,
        "group_by": params.group_by.iter().map(|dimension| dimension.as_str()).collect::<Vec<_>>(),
        "rows": rows,
        "total": totals.total.shown(),
        "unpriced": Unpriced {
            requests: totals.unpriced.requests,
            input_tokens: totals.unpriced.input_tokens,
            output_tokens: totals.unpriced.output_tokens,
            reasons: totals.unpriced_reasons.iter().map(|(reason, count)| (reason.as_str(), *count)).collect(),
        },
        "data_quality": DataQuality {
            rejected,
            rejected_reasons: totals.rejected_reasons.clone(),
            unattributed: totals.unattributed,
            assumed: totals.assumed,
            estimated: totals.estimated,
            usage_missing: totals.usage_missing,
            partial: totals.partial.is_some(),
            partial_message: totals.partial.clone(),
        },
        "prices": prices,
    })
}

/// The measure columns of a CSV response, after the group keys and `display_name`.
const MEASURE_COLUMNS: &[&str] = &[
    "requests",
    "input_tokens",
    "cached_input_tokens",
    "output_tokens",
    "reasoning_tokens",
    "cost",
    "cost_input",
    "cost_cached_input",
    "cost_output",
    "priced",
    "estimated",
    "currency",
];

/// Builds the CSV response: one line per row, with the same values as the JSON rows.
pub fn to_csv(params: &UsageParams, totals: &Totals) -> Result<String, csv::Error> {
    let with_user = params.group_by.contains(&Dimension::User);
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<&str> = params.group_by.iter().map(|dimension| dimension.as_str()).collect();
    if with_user {
        header.push("display_name");
    }
    header.extend(MEASURE_COLUMNS);
    writer.write_record(&header)?;

    let user_index = params
        .group_by
        .iter()
        .position(|dimension| *dimension == Dimension::User);
    for (key, measures) in &totals.rows {
        let mut line: Vec<String> = key.iter().map(|value| spreadsheet_safe(value)).collect();
        if with_user {
            let name = user_index
                .and_then(|index| key.get(index))
                .and_then(|user| totals.display_names.get(user))
                .map(|name| spreadsheet_safe(name))
                .unwrap_or_default();
            line.push(name);
        }
        let ShownMeasures {
            requests,
            input_tokens,
            cached_input_tokens,
            output_tokens,
            reasoning_tokens,
            cost,
            cost_input,
            cost_cached_input,
            cost_output,
            priced,
            estimated,
        } = measures.shown();
        line.extend([
            requests.to_string(),
            input_tokens.to_string(),
            cached_input_tokens.to_string(),
            output_tokens.to_string(),
            reasoning_tokens.to_string(),
            cost.unwrap_or_default(),
            cost_input.unwrap_or_default(),
            cost_cached_input.unwrap_or_default(),
            cost_output.unwrap_or_default(),
            priced.to_string(),
            estimated.to_string(),
            params.currency.to_string(),
        ]);
        writer.write_record(&line)?;
    }
    let bytes = writer.into_inner().map_err(|error| error.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Prefixes text that a spreadsheet would run as a formula with an apostrophe. User ids
/// and deployment names come from telemetry that callers control.
fn spreadsheet_safe(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}
