//! The Application Insights track envelope, as exporters send it to `/v2/track`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;

/// One telemetry item. Only the fields that usage needs are read.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub name: String,
    pub time: DateTime<Utc>,
    pub ikey: Option<String>,
    /// The percentage of items the sender kept (100 when it did not sample).
    pub sample_rate: Decimal,
    pub tags: BTreeMap<String, String>,
    pub base_type: String,
    pub base_data: Value,
}

#[derive(Deserialize)]
struct Wire {
    name: Option<String>,
    time: Option<String>,
    #[serde(rename = "iKey")]
    ikey: Option<String>,
    #[serde(rename = "sampleRate")]
    sample_rate: Option<Box<serde_json::value::RawValue>>,
    #[serde(default)]
    tags: BTreeMap<String, Value>,
    data: Option<WireData>,
}

#[derive(Deserialize)]
struct WireData {
    #[serde(rename = "baseType")]
    base_type: Option<String>,
    #[serde(rename = "baseData")]
    base_data: Option<Value>,
}

impl Envelope {
    /// Reads one item. The error names the missing or invalid field, as the service's own
    /// per-item errors do.
    pub fn from_value(value: Value) -> Result<Envelope, String> {
        let wire: Wire =
            serde_json::from_value(value).map_err(|error| format!("the item is not a telemetry envelope: {error}"))?;
        let name = wire
            .name
            .filter(|name| !name.is_empty())
            .ok_or("field 'name' on type 'Envelope' is required")?;
        let time_text = wire.time.ok_or("field 'time' on type 'Envelope' is required")?;
        let time = DateTime::parse_from_rfc3339(&time_text)
            .map(|time| time.with_timezone(&Utc))
            .map_err(|_| format!("field 'time' on type 'Envelope' is not an RFC 3339 time: '{time_text}'"))?;
        let sample_rate = match wire.sample_rate {
            None => Decimal::ONE_HUNDRED,
            Some(raw) => parse_rate(raw.get()).ok_or_else(|| {
                format!(
                    "field 'sampleRate' must be a percentage from {MIN_SAMPLE_RATE} to 100, not {}",
                    raw.get()
                )
            })?,
        };
        let data = wire.data.ok_or("field 'data' on type 'Envelope' is required")?;
        let base_type = data.base_type.ok_or("field 'data.baseType' is required")?;
        let base_data = data.base_data.ok_or("field 'data.baseData' is required")?;
        let tags = wire
            .tags
            .into_iter()
            .filter_map(|(key, value)| property_text(&value).map(|text| (key, text)))
            .collect();
        Ok(Envelope {
            name,
            time,
            ikey: wire.ikey,
            sample_rate,
            tags,
            base_type,
            base_data,
        })
    }

    /// Returns the `baseData.properties` map, with every value as text.
    pub fn properties(&self) -> BTreeMap<&str, String> {
        self.base_data
            .get("properties")
            .and_then(Value::as_object)
            .map(|properties| {
                properties
                    .iter()
                    .filter_map(|(key, value)| property_text(value).map(|text| (key.as_str(), text)))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Returns a property's text: properties are strings, but some senders write numbers or booleans.
fn property_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

/// The smallest sample rate read: one item kept in 100,000. A smaller rate would let one item
/// stand for an implausible number of calls.
const MIN_SAMPLE_RATE: Decimal = Decimal::from_parts(1, 0, 0, false, 3);

fn parse_rate(literal: &str) -> Option<Decimal> {
    let literal = literal.trim().trim_matches('"');
    let rate = if literal.contains(['e', 'E']) {
        Decimal::from_scientific(literal).ok()?
    } else {
        literal.parse().ok()?
    };
    (rate >= MIN_SAMPLE_RATE && rate <= Decimal::ONE_HUNDRED).then_some(rate)
}
