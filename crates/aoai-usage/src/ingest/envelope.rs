//! The Application Insights track envelope, as exporters send it to `/v2/track`.
//!
//! An item is read straight into the fields that usage needs. A batch of 512 spans carries
//! thousands of attributes, so unknown fields and tags are skipped without being built.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// One telemetry item. Only the fields that usage needs are read.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub name: String,
    pub time: DateTime<Utc>,
    pub ikey: Option<String>,
    /// The percentage of items the sender kept (100 when it did not sample).
    pub sample_rate: Decimal,
    /// The `ai.user.authUserId` tag.
    pub auth_user_id: Option<String>,
    /// The `ai.operation.parentId` tag.
    pub parent_id: Option<String>,
    pub base_type: String,
    pub base_data: BaseData,
}

/// The parts of `data.baseData` that usage reads.
#[derive(Debug, Clone, Default)]
pub struct BaseData {
    /// The span id of a request or dependency.
    pub id: Option<String>,
    /// `success` of a request or dependency.
    pub success: Option<bool>,
    /// `properties`, with every value as text.
    pub properties: BTreeMap<String, String>,
    /// `metrics` of a metric item.
    pub metrics: Vec<Value>,
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
    tags: WireTags,
    data: Option<WireData>,
}

#[derive(Default, Deserialize)]
struct WireTags {
    #[serde(rename = "ai.user.authUserId")]
    auth_user_id: Option<Scalar>,
    #[serde(rename = "ai.operation.parentId")]
    parent_id: Option<Scalar>,
}

#[derive(Deserialize)]
struct WireData {
    #[serde(rename = "baseType")]
    base_type: Option<String>,
    #[serde(rename = "baseData")]
    base_data: Option<WireBase>,
}

#[derive(Deserialize)]
struct WireBase {
    id: Option<Scalar>,
    success: Option<Scalar>,
    #[serde(default)]
    properties: Properties,
    #[serde(default)]
    metrics: Option<Scalar>,
}

impl Envelope {
    /// Reads one item from its JSON text. The error names the missing or invalid field, as the
    /// service's own per-item errors do.
    pub fn from_json(text: &str) -> Result<Envelope, String> {
        let wire: Wire =
            serde_json::from_str(text).map_err(|error| format!("the item is not a telemetry envelope: {error}"))?;
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
        let base = data.base_data.ok_or("field 'data.baseData' is required")?;
        Ok(Envelope {
            name,
            time,
            ikey: wire.ikey,
            sample_rate,
            auth_user_id: wire.tags.auth_user_id.and_then(Scalar::into_text),
            parent_id: wire.tags.parent_id.and_then(Scalar::into_text),
            base_type,
            base_data: BaseData {
                id: match base.id {
                    Some(Scalar::Text(id)) => Some(id),
                    _ => None,
                },
                success: match base.success {
                    Some(Scalar::Bool(flag)) => Some(flag),
                    _ => None,
                },
                properties: base.properties.0,
                metrics: match base.metrics {
                    Some(Scalar::Array(metrics)) => metrics,
                    _ => Vec::new(),
                },
            },
        })
    }
}

/// A value whose type the sender chooses. Only strings, numbers, booleans and, for
/// `metrics`, arrays are kept; objects are skipped.
#[derive(Debug)]
enum Scalar {
    Text(String),
    Number(serde_json::Number),
    Bool(bool),
    Array(Vec<Value>),
    Other,
}

impl Scalar {
    /// Returns the value as text: properties are strings, but some senders write numbers or
    /// booleans.
    fn into_text(self) -> Option<String> {
        match self {
            Scalar::Text(text) => Some(text),
            Scalar::Number(number) => Some(number.to_string()),
            Scalar::Bool(flag) => Some(flag.to_string()),
            Scalar::Array(_) | Scalar::Other => None,
        }
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Other)
    }

    fn visit_none<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Other)
    }

    fn visit_bool<E: de::Error>(self, flag: bool) -> Result<Scalar, E> {
        Ok(Scalar::Bool(flag))
    }

    fn visit_u64<E: de::Error>(self, number: u64) -> Result<Scalar, E> {
        Ok(Scalar::Number(number.into()))
    }

    fn visit_i64<E: de::Error>(self, number: i64) -> Result<Scalar, E> {
        Ok(Scalar::Number(number.into()))
    }

    fn visit_f64<E: de::Error>(self, number: f64) -> Result<Scalar, E> {
        Ok(serde_json::Number::from_f64(number).map_or(Scalar::Other, Scalar::Number))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Scalar, E> {
        Ok(Scalar::Text(text.to_owned()))
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<Scalar, E> {
        Ok(Scalar::Text(text))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Value>()? {
            items.push(item);
        }
        Ok(Scalar::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other)
    }
}

/// `baseData.properties` with every value as text; values of other types are left out, and
/// a `properties` that is not an object reads as empty.
#[derive(Debug, Default)]
struct Properties(BTreeMap<String, String>);

impl<'de> Deserialize<'de> for Properties {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(PropertiesVisitor)
    }
}

struct PropertiesVisitor;

impl<'de> Visitor<'de> for PropertiesVisitor {
    type Value = Properties;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an object of properties")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Properties, A::Error> {
        let mut properties = BTreeMap::new();
        while let Some((key, value)) = map.next_entry::<String, Scalar>()? {
            if let Some(text) = value.into_text() {
                properties.insert(key, text);
            }
        }
        Ok(Properties(properties))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Properties, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Properties::default())
    }

    fn visit_unit<E: de::Error>(self) -> Result<Properties, E> {
        Ok(Properties::default())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Properties, E> {
        Ok(Properties::default())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Properties, E> {
        Ok(Properties::default())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Properties, E> {
        Ok(Properties::default())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Properties, E> {
        Ok(Properties::default())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Properties, E> {
        Ok(Properties::default())
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

#[cfg(test)]
mod tests {
    use super::*;

    const SPAN: &str = r#"{"name":"Microsoft.ApplicationInsights.RemoteDependency","time":"2026-11-02T10:00:00.5Z",
        "iKey":"k","tags":{"ai.user.authUserId":42,"ai.operation.parentId":"p1","ai.cloud.role":{"x":1}},
        "data":{"baseType":"RemoteDependencyData","baseData":{"id":"s1","success":false,"duration":"00:00:01",
        "properties":{"gen_ai.usage.input_tokens":1200,"ratio":1e3,"streamed":true,"list":[1],"object":{"a":1},
        "empty":null,"gen_ai.request.model":"chat\u00e9"},"metrics":[{"name":"m","value":1}]}}}"#;

    #[test]
    fn fields_read_whatever_type_the_sender_chose() {
        let envelope = Envelope::from_json(SPAN).expect("envelope");
        assert_eq!(envelope.auth_user_id.as_deref(), Some("42"));
        assert_eq!(envelope.parent_id.as_deref(), Some("p1"));
        assert_eq!(envelope.sample_rate, Decimal::ONE_HUNDRED);
        let base = &envelope.base_data;
        assert_eq!(base.id.as_deref(), Some("s1"));
        assert_eq!(base.success, Some(false));
        let properties: Vec<(&str, &str)> = base
            .properties
            .iter()
            .map(|(key, value)| (key.as_str(), value.as_str()))
            .collect();
        assert_eq!(
            properties,
            [
                ("gen_ai.request.model", "chat\u{e9}"),
                ("gen_ai.usage.input_tokens", "1200"),
                ("ratio", "1000.0"),
                ("streamed", "true"),
            ]
        );
        assert_eq!(base.metrics.len(), 1);
    }

    #[test]
    fn envelope_odd_shapes_and_errors() {
        let odd = SPAN
            .replace(r#""properties":{"#, r#""properties":"none","was":{"#)
            .replace(r#""metrics":[{"name":"m","value":1}]"#, r#""metrics":{"name":"m"}"#)
            .replace(r#""id":"s1""#, r#""id":7"#);
        let envelope = Envelope::from_json(&odd).expect("envelope");
        assert!(envelope.base_data.properties.is_empty());
        assert!(envelope.base_data.metrics.is_empty());
        assert_eq!(envelope.base_data.id, None);

        let cases = [
            (
                SPAN.replace(r#""name":"Microsoft.ApplicationInsights.RemoteDependency","#, ""),
                "field 'name'",
            ),
            (
                SPAN.replace("2026-11-02T10:00:00.5Z", "yesterday"),
                "not an RFC 3339 time: 'yesterday'",
            ),
            (
                SPAN.replace(r#""iKey":"k","#, r#""sampleRate":0,"#),
                "field 'sampleRate' must be a percentage",
            ),
            (
                SPAN.replace(r#""baseType":"RemoteDependencyData","#, ""),
                "field 'data.baseType'",
            ),
            (
                SPAN.replace(r#""name":"Microsoft"#, r#""name":["Microsoft"#)
                    .replace(r#"Dependency","time""#, r#"Dependency"],"time""#),
                "not a telemetry envelope",
            ),
            ("[1]".to_owned(), "not a telemetry envelope"),
        ];
        for (text, message) in cases {
            let error = Envelope::from_json(&text).expect_err(message);
            assert!(error.contains(message), "{error}");
        }
    }
}
