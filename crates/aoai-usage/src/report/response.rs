//! The response of `GET /api/usage`, as JSON or CSV.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde_json::Value;

use super::aggregate::Totals;
use super::group::Dimension;
use super::measures::{Measures, ShownMeasures};
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
struct DataQuality<'a> {
    rejected: u64,
    rejected_reasons: &'a BTreeMap<String, u64>,
    unattributed: u128,
    assumed: u128,
    estimated: u128,
    usage_missing: u128,
    /// True when the backend returned only part of the data, with its message.
    partial: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    partial_message: Option<&'a str>,
}

/// The JSON response, written straight to its text: a month grouped by user and day has tens
/// of thousands of rows, and no tree of values is built for them.
#[derive(Debug)]
pub struct UsageJson<'a> {
    pub params: &'a UsageParams,
    pub totals: &'a Totals,
    pub sample: bool,
    pub prices: &'a PriceProvenance,
    /// The backend's name, where the response names it.
    pub backend: Option<&'a str>,
}

impl Serialize for UsageJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (params, totals) = (self.params, self.totals);
        let mut body = serializer.serialize_map(None)?;
        if let Some(backend) = self.backend {
            body.serialize_entry("backend", backend)?;
        }
        body.serialize_entry("from", &params.from)?;
        body.serialize_entry("to", &params.to)?;
        body.serialize_entry("tz", params.tz.name())?;
        body.serialize_entry("currency", &params.currency)?;
        body.serialize_entry("source", &params.source)?;
        body.serialize_entry("sample", &self.sample)?;
        let group_by: Vec<&str> = params.group_by.iter().map(|dimension| dimension.as_str()).collect();
        body.serialize_entry("group_by", &group_by)?;
        body.serialize_entry("rows", &Rows { params, totals })?;
        body.serialize_entry("total", &MeasuresJson(&totals.total))?;
        body.serialize_entry(
            "unpriced",
            &Unpriced {
                requests: totals.unpriced.requests,
                input_tokens: totals.unpriced.input_tokens,
                output_tokens: totals.unpriced.output_tokens,
                reasons: totals
                    .unpriced_reasons
                    .iter()
                    .map(|(reason, count)| (reason.as_str(), *count))
                    .collect(),
            },
        )?;
        body.serialize_entry(
            "data_quality",
            &DataQuality {
                rejected: totals.rejected_reasons.values().sum(),
                rejected_reasons: &totals.rejected_reasons,
                unattributed: totals.unattributed,
                assumed: totals.assumed,
                estimated: totals.estimated,
                usage_missing: totals.usage_missing,
                partial: totals.partial.is_some(),
                partial_message: totals.partial.as_deref(),
            },
        )?;
        body.serialize_entry("prices", self.prices)?;
        body.end()
    }
}

/// The `rows` array: each row's group values, its user's display name when grouped by user,
/// and its measures.
struct Rows<'a> {
    params: &'a UsageParams,
    totals: &'a Totals,
}

impl Serialize for Rows<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let group_by = &self.params.group_by;
        let user_index = group_by.iter().position(|dimension| *dimension == Dimension::User);
        let mut rows = serializer.serialize_seq(Some(self.totals.rows.len()))?;
        for (key, measures) in &self.totals.rows {
            rows.serialize_element(&Row {
                group_by,
                key,
                display_name: user_index.map(|index| {
                    key.get(index)
                        .and_then(|user| self.totals.display_names.get(user))
                        .map(String::as_str)
                }),
                measures,
            })?;
        }
        rows.end()
    }
}

struct Row<'a> {
    group_by: &'a [Dimension],
    key: &'a [String],
    /// `None` when not grouped by user; `Some(None)` for a user without a display name.
    display_name: Option<Option<&'a str>>,
    measures: &'a Measures,
}

impl Serialize for Row<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut row = serializer.serialize_map(None)?;
        for (dimension, value) in self.group_by.iter().zip(self.key) {
            row.serialize_entry(dimension.as_str(), value)?;
        }
        if let Some(name) = self.display_name {
            row.serialize_entry("display_name", &name)?;
        }
        write_measures(&mut row, self.measures)?;
        row.end()
    }
}

/// A row's or the total's measures as an object of their own.
struct MeasuresJson<'a>(&'a Measures);

impl Serialize for MeasuresJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        write_measures(&mut map, self.0)?;
        map.end()
    }
}

/// Writes the fields of [`ShownMeasures`]; money is a decimal string, or null when no call
/// was priced.
fn write_measures<M: SerializeMap>(map: &mut M, measures: &Measures) -> Result<(), M::Error> {
    let money = Money {
        shown: measures.priced_requests > 0 || measures.requests == 0,
    };
    map.serialize_entry("requests", &measures.requests)?;
    map.serialize_entry("input_tokens", &measures.input_tokens)?;
    map.serialize_entry("cached_input_tokens", &measures.cached_input_tokens)?;
    map.serialize_entry("output_tokens", &measures.output_tokens)?;
    map.serialize_entry("reasoning_tokens", &measures.reasoning_tokens)?;
    map.serialize_entry("cost", &money.of(measures.cost))?;
    map.serialize_entry("cost_input", &money.of(measures.cost_input))?;
    map.serialize_entry("cost_cached_input", &money.of(measures.cost_cached_input))?;
    map.serialize_entry("cost_output", &money.of(measures.cost_output))?;
    map.serialize_entry("priced", &measures.priced())?;
    map.serialize_entry("estimated", &measures.estimated)
}

#[derive(Clone, Copy)]
struct Money {
    shown: bool,
}

impl Money {
    fn of(self, value: Decimal) -> Option<DecimalText> {
        self.shown.then_some(DecimalText(value))
    }
}

/// A decimal written as a string without trailing zeros, as [`Measures::shown`] gives it.
struct DecimalText(Decimal);

impl Serialize for DecimalText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0.normalize())
    }
}

/// Builds the JSON response as a value, without the backend's name.
pub fn to_json(
    params: &UsageParams,
    totals: &Totals,
    sample: bool,
    prices: &PriceProvenance,
) -> Result<Value, serde_json::Error> {
    serde_json::to_value(UsageJson {
        params,
        totals,
        sample,
        prices,
        backend: None,
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

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use aoai_core::Currency;
    use rust_decimal::Decimal;
    use serde_json::json;

    use super::*;
    use crate::record::UsageSource;
    use crate::report::params::{ParamDefaults, UsageParams};

    fn measures(requests: u128, priced: u128, cost: &str) -> Measures {
        let cost = Decimal::from_str(cost).expect("decimal");
        Measures {
            requests,
            input_tokens: 1200,
            cached_input_tokens: 200,
            output_tokens: 300,
            reasoning_tokens: 10,
            cost,
            cost_input: cost,
            cost_cached_input: Decimal::ZERO,
            cost_output: Decimal::ZERO,
            priced_requests: priced,
            unpriced_requests: requests - priced,
            estimated: true,
        }
    }

    #[test]
    fn rows_and_total_show_the_measures() {
        let params = UsageParams::parse(
            Some("from=2026-11-01&to=2026-12-01&group_by=user,day"),
            ParamDefaults {
                source: UsageSource::Otel,
                currency: Currency::USD,
                max_range_days: 400,
            },
            Utc::now(),
        )
        .expect("parameters");
        let mut totals = Totals::default();
        totals.rows.insert(
            vec!["ana".to_owned(), "2026-11-02".to_owned()],
            measures(3, 2, "0.012500"),
        );
        totals
            .rows
            .insert(vec!["bo".to_owned(), "2026-11-03".to_owned()], measures(1, 0, "0"));
        totals
            .display_names
            .insert("ana".to_owned(), "Ana \"A\" Lima".to_owned());
        totals.total = measures(4, 2, "0.0125");
        totals.partial = Some("E_OVERFLOW".to_owned());
        let prices = PriceProvenance {
            source: "snapshot",
            as_of: DateTime::<Utc>::UNIX_EPOCH,
            stale: false,
        };
        let body = to_json(&params, &totals, true, &prices).expect("JSON");

        let rows = body["rows"].as_array().expect("rows");
        assert_eq!(rows.len(), 2);
        for (row, (key, measures)) in rows.iter().zip(&totals.rows) {
            let mut expected = serde_json::to_value(measures.shown()).expect("measures");
            expected["user"] = json!(key[0]);
            expected["day"] = json!(key[1]);
            expected["display_name"] = json!(totals.display_names.get(&key[0]));
            assert_eq!(row, &expected);
        }
        assert_eq!(rows[0]["cost"], "0.0125");
        assert_eq!(rows[0]["display_name"], "Ana \"A\" Lima");
        assert_eq!(rows[1]["cost"], Value::Null);
        assert_eq!(rows[1]["display_name"], Value::Null);
        assert_eq!(
            body["total"],
            serde_json::to_value(totals.total.shown()).expect("total")
        );
        assert_eq!(body["data_quality"]["partial_message"], "E_OVERFLOW");
        assert_eq!(body["group_by"], json!(["user", "day"]));
        assert_eq!(body["sample"], true);
        assert!(body.get("backend").is_none());

        let text = serde_json::to_string(&UsageJson {
            params: &params,
            totals: &totals,
            sample: true,
            prices: &prices,
            backend: Some("local"),
        })
        .expect("text");
        let parsed: Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(parsed["backend"], "local");
        assert_eq!(parsed["rows"], body["rows"]);
    }
}
