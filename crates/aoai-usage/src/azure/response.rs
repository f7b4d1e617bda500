//! Reads query API responses: `{"tables": [{"columns", "rows"}], "error"?}`. Values arrive as
//! native JSON or as strings, depending on the API, and both are read.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use crate::record::UsageSource;
use crate::row::UsageRow;

/// The query API's maximum number of rows in a result.
pub const MAX_ROWS: usize = 500_000;

#[derive(Debug, Deserialize)]
struct Body {
    #[serde(default)]
    tables: Vec<Table>,
    error: Option<ApiError>,
}

#[derive(Debug, Deserialize)]
struct Table {
    columns: Vec<Column>,
    #[serde(default)]
    rows: Vec<Vec<Value>>,
}

#[derive(Debug, Deserialize)]
struct Column {
    name: String,
}

/// The error object of a query API response, with its nested inner errors.
#[derive(Debug, Clone, Deserialize)]
pub struct ApiError {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub innererror: Option<Box<ApiError>>,
    #[serde(default)]
    pub details: Vec<ApiError>,
}

impl ApiError {
    /// Returns the codes and messages from the outer error to the innermost, one per line of text.
    pub fn describe(&self) -> String {
        let mut parts = vec![format!("{}: {}", self.code, self.message)];
        for detail in &self.details {
            parts.push(detail.describe());
        }
        if let Some(inner) = &self.innererror {
            parts.push(inner.describe());
        }
        parts.join("; ")
    }

    /// Returns the innermost code, which names the actual fault (`SEM0100`, `GatewayTimeout`).
    pub fn innermost_code(&self) -> &str {
        match &self.innererror {
            Some(inner) => inner.innermost_code(),
            None => &self.code,
        }
    }
}

/// Reads the error object of a failed response, if it has one.
pub fn read_error(body: &str) -> Option<ApiError> {
    #[derive(Deserialize)]
    struct Wrapper {
        error: ApiError,
    }
    serde_json::from_str::<Wrapper>(body).ok().map(|wrapper| wrapper.error)
}

/// The rows of a successful response, and the message of a partial result.
#[derive(Debug, Default)]
pub struct QueryRows {
    pub rows: Vec<UsageRow>,
    pub partial: Option<String>,
}

/// The period and source a response's rows must match.
#[derive(Debug, Clone, Copy)]
pub struct Expected {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub source: UsageSource,
}

/// Reads the rows of a 200 response in the result schema. A row outside the period, off the
/// 15-minute grid or of another source means the result is not the query's, and fails it.
pub fn read_rows(body: &str, expected: &Expected) -> Result<QueryRows, String> {
    let body: Body =
        serde_json::from_str(body).map_err(|error| format!("the response is not a query result: {error}"))?;
    let mut result = QueryRows::default();
    if let Some(error) = body.error {
        result.partial = Some(error.describe());
    }
    let Some(table) = body.tables.into_iter().next() else {
        return Err("the response has no table".to_owned());
    };
    let position = |name: &str| {
        table
            .columns
            .iter()
            .position(|column| column.name == name)
            .ok_or_else(|| format!("the result has no column '{name}'"))
    };
    let columns = Columns {
        bucket_start: position("bucket_start")?,
        user: position("user")?,
        subscription: position("subscription")?,
        deployment: position("deployment")?,
        response_model: position("response_model")?,
        service_tier: position("service_tier").ok(),
        input_tokens: position("input_tokens")?,
        cached_input_tokens: position("cached_input_tokens")?,
        output_tokens: position("output_tokens")?,
        reasoning_tokens: position("reasoning_tokens")?,
        requests: position("requests")?,
        rejected: position("rejected")?,
        usage_missing: position("usage_missing")?,
        source: position("source")?,
        estimated: position("estimated")?,
    };
    if table.rows.len() >= MAX_ROWS {
        let note = format!(
            "the result reached the query API's maximum of {MAX_ROWS} rows, so some usage may be missing; ask for a shorter range"
        );
        result.partial = Some(match result.partial {
            Some(message) => format!("{message}; {note}"),
            None => note,
        });
    }
    for (index, row) in table.rows.iter().enumerate() {
        let row = columns.read(row).map_err(|error| format!("row {index}: {error}"))?;
        let start = row.bucket_start;
        if start < crate::row::bucket_start(expected.from) || start >= expected.to {
            return Err(format!("row {index}: bucket {start} is outside the period asked for"));
        }
        if crate::row::bucket_start(start) != start {
            return Err(format!("row {index}: bucket {start} is not on the 15-minute grid"));
        }
        if row.source != expected.source {
            return Err(format!(
                "row {index}: source {} is not the source asked for, {}",
                row.source, expected.source
            ));
        }
        result.rows.push(row);
    }
    Ok(result)
}

struct Columns {
    bucket_start: usize,
    user: usize,
    subscription: usize,
    deployment: usize,
    response_model: usize,
    service_tier: Option<usize>,
    input_tokens: usize,
    cached_input_tokens: usize,
    output_tokens: usize,
    reasoning_tokens: usize,
    requests: usize,
    rejected: usize,
    usage_missing: usize,
    source: usize,
    estimated: usize,
}

impl Columns {
    fn read(&self, row: &[Value]) -> Result<UsageRow, String> {
        let value = |index: usize| row.get(index).unwrap_or(&Value::Null);
        let count =
            |index: usize, name: &str| read_count(value(index)).map_err(|error| format!("column '{name}' {error}"));
        let source_text = read_text(value(self.source)).unwrap_or_default();
        Ok(UsageRow {
            bucket_start: read_time(value(self.bucket_start))?,
            source: source_text
                .parse::<UsageSource>()
                .map_err(|error| format!("column 'source': {error}"))?,
            user: read_text(value(self.user)),
            subscription: read_text(value(self.subscription)),
            deployment: read_text(value(self.deployment)),
            response_model: read_text(value(self.response_model)),
            service_tier: self.service_tier.and_then(|index| read_text(value(index))),
            input_tokens: count(self.input_tokens, "input_tokens")?,
            cached_input_tokens: count(self.cached_input_tokens, "cached_input_tokens")?,
            output_tokens: count(self.output_tokens, "output_tokens")?,
            reasoning_tokens: count(self.reasoning_tokens, "reasoning_tokens")?,
            requests: count(self.requests, "requests")?,
            rejected: count(self.rejected, "rejected")?,
            usage_missing: count(self.usage_missing, "usage_missing")?,
            estimated: read_bool(value(self.estimated)).map_err(|error| format!("column 'estimated' {error}"))?,
        })
    }
}

/// Reads a string column; empty and null are `None`.
fn read_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) if !text.is_empty() => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// The largest whole number a JSON float holds exactly.
const MAX_EXACT_FLOAT: f64 = 9_007_199_254_740_992.0;

/// Reads a long column, native (`100`) or as text (`"100"`). Null is refused: the queries
/// sum with `sumif`, which gives 0, so a null means the result is not the query's.
fn read_count(value: &Value) -> Result<u64, String> {
    match value {
        Value::Null => Err("is null".to_owned()),
        Value::Number(number) => number
            .as_u64()
            .or_else(|| {
                number
                    .as_f64()
                    .filter(|float| float.fract() == 0.0 && *float >= 0.0 && *float <= MAX_EXACT_FLOAT)
                    .map(|float| float as u64)
            })
            .ok_or_else(|| format!("is not a whole non-negative count: {number}")),
        Value::String(text) if text.is_empty() => Ok(0),
        Value::String(text) => text
            .parse::<u64>()
            .map_err(|_| format!("is not a whole non-negative count: '{text}'")),
        other => Err(format!("is not a count: {other}")),
    }
}

fn read_bool(value: &Value) -> Result<bool, String> {
    match value {
        Value::Null => Ok(false),
        Value::Bool(flag) => Ok(*flag),
        Value::Number(number) => match number.as_f64() {
            Some(0.0) => Ok(false),
            Some(1.0) => Ok(true),
            _ => Err(format!("is not a boolean: {number}")),
        },
        Value::String(text) => match text.to_ascii_lowercase().as_str() {
            "true" | "1" => Ok(true),
            "false" | "0" | "" => Ok(false),
            _ => Err(format!("is not a boolean: '{text}'")),
        },
        other => Err(format!("is not a boolean: {other}")),
    }
}

fn read_time(value: &Value) -> Result<DateTime<Utc>, String> {
    let text = value
        .as_str()
        .ok_or_else(|| format!("column 'bucket_start' is not a datetime: {value}"))?;
    DateTime::parse_from_rfc3339(text)
        .map(|time| time.with_timezone(&Utc))
        .map_err(|_| format!("column 'bucket_start' is not a datetime: '{text}'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> serde_json::Value {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/telemetry")
            .join(name);
        serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("JSON")
    }

    #[test]
    fn counts_read_native_and_text() {
        let native = fixture("la-query-200-column-types.json");
        let row = &native["response"]["body"]["tables"][0]["rows"][0];
        assert_eq!(read_count(&row[4]), Ok(101));
        assert_eq!(read_bool(&row[1]), Ok(true));
        let text = fixture("appinsights-query-post-200-spec-example.json");
        let row = &text["response"]["body"]["tables"][0]["rows"][0];
        assert_eq!(read_count(&row[1]), Ok(255));
        assert!(read_time(&row[0]).is_ok());
        assert!(read_count(&serde_json::json!(-1)).is_err());
        assert!(read_count(&serde_json::json!("1.5")).is_err());
        assert!(read_count(&serde_json::json!(1e30)).is_err());
        assert!(read_count(&Value::Null).is_err());
        assert_eq!(read_count(&serde_json::json!(3000.0)), Ok(3000));
        assert_eq!(read_bool(&serde_json::json!(1.0)), Ok(true));
        assert!(read_bool(&serde_json::json!(0.5)).is_err());
    }

    #[test]
    fn partial_and_semantic_errors_described() {
        let partial = fixture("la-query-200-partial-error.json");
        let body = partial["response"]["body"].clone();
        let mut with_schema = body.clone();
        with_schema["tables"] = serde_json::json!([]);
        let expected = Expected {
            from: DateTime::from_timestamp(0, 0).expect("time"),
            to: DateTime::from_timestamp(900, 0).expect("time"),
            source: UsageSource::Otel,
        };
        let message = read_rows(&body.to_string(), &expected).expect_err("the fixture's table is not the usage schema");
        assert!(message.contains("bucket_start"), "{message}");
        let error: ApiError = serde_json::from_value(body["error"].clone()).expect("error object");
        assert!(error.describe().contains("E_OVERFLOW"), "{}", error.describe());

        let semantic = fixture("la-query-400-semantic-error.json");
        let error = read_error(&semantic["response"]["body"].to_string()).expect("error");
        assert_eq!(error.innermost_code(), "SEM0100");
        assert!(error.describe().contains("SemanticError"));
    }
}
