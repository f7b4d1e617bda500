//! Reads query API responses: `{"tables": [{"columns", "rows"}], "error"?}`. Values arrive as
//! native JSON or as strings, depending on the API, and both are read.
//!
//! A result can hold 500,000 rows, so each row is handed to the caller as it is parsed, with
//! its text borrowed from the body, through one reused buffer of cells. That needs `columns`
//! before `rows`, as both APIs send them; otherwise the rows are kept as cells until the
//! columns are known.

use std::borrow::Cow;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::record::UsageSource;
use crate::row::UsageRowRef;

/// The query API's maximum number of rows in a result.
pub const MAX_ROWS: usize = 500_000;

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

/// The rest of a successful response besides its rows: their count, and the message of a
/// partial result.
#[derive(Debug, Default)]
pub struct QuerySummary {
    pub rows: usize,
    pub partial: Option<String>,
}

/// Receives each row of a response as it is read.
pub type RowSink<'s> = dyn FnMut(&UsageRowRef<'_>) + Send + 's;

/// The period and source a response's rows must match.
#[derive(Debug, Clone, Copy)]
pub struct Expected {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub source: UsageSource,
}

/// Reads the rows of a 200 response in the result schema into `sink`.
///
/// A row outside the period, off the 15-minute grid or of another source means that the
/// result is not the query's, so it fails the whole response. The rows before it have
/// already reached the sink.
pub fn read_rows(body: &str, expected: &Expected, sink: &mut RowSink<'_>) -> Result<QuerySummary, String> {
    let mut deserializer = serde_json::Deserializer::from_str(body);
    let body = BodySeed {
        reader: RowReader {
            expected,
            first_bucket: crate::row::bucket_start(expected.from),
            sink,
            times: TimeCache::default(),
        },
    }
    .deserialize(&mut deserializer)
    .and_then(|body| deserializer.end().map(|()| body))
    .map_err(|error| format!("the response is not a query result: {error}"))?;
    let mut summary = QuerySummary {
        rows: 0,
        partial: body.error.map(|error| error.describe()),
    };
    summary.rows = body.rows.ok_or_else(|| "the response has no table".to_owned())??;
    if summary.rows >= MAX_ROWS {
        let note = format!(
            "the result reached the query API's maximum of {MAX_ROWS} rows, so some usage may be missing; ask for a shorter range"
        );
        summary.partial = Some(match summary.partial {
            Some(message) => format!("{message}; {note}"),
            None => note,
        });
    }
    Ok(summary)
}

/// Checks each row against the request and hands it on.
struct RowReader<'r, 's> {
    expected: &'r Expected,
    first_bucket: DateTime<Utc>,
    sink: &'r mut RowSink<'s>,
    times: TimeCache,
}

impl RowReader<'_, '_> {
    fn accept(&mut self, columns: &Columns, cells: &[Cell<'_>], index: usize) -> Result<(), String> {
        let row = columns
            .read(cells, &mut self.times)
            .map_err(|error| format!("row {index}: {error}"))?;
        let start = row.bucket_start;
        if start < self.first_bucket || start >= self.expected.to {
            return Err(format!("row {index}: bucket {start} is outside the period asked for"));
        }
        if start.timestamp().rem_euclid(crate::row::BUCKET_SECONDS) != 0 || start.timestamp_subsec_nanos() != 0 {
            return Err(format!("row {index}: bucket {start} is not on the 15-minute grid"));
        }
        if row.source != self.expected.source {
            return Err(format!(
                "row {index}: source {} is not the source asked for, {}",
                row.source, self.expected.source
            ));
        }
        (self.sink)(&row);
        Ok(())
    }
}

/// The last bucket time read. Rows arrive mostly in bucket order, so most are not parsed again.
#[derive(Debug, Default)]
struct TimeCache {
    text: String,
    time: Option<DateTime<Utc>>,
}

impl TimeCache {
    fn parse(&mut self, text: &str) -> Result<DateTime<Utc>, String> {
        if let Some(time) = self.time
            && self.text == text
        {
            return Ok(time);
        }
        let time = DateTime::parse_from_rfc3339(text)
            .map(|time| time.with_timezone(&Utc))
            .map_err(|_| format!("column 'bucket_start' is not a datetime: '{text}'"))?;
        text.clone_into(&mut self.text);
        self.time = Some(time);
        Ok(time)
    }
}

/// Reads the body object: the first table's rows go to the reader, the others are skipped.
struct BodySeed<'r, 's> {
    reader: RowReader<'r, 's>,
}

/// The body without its rows: the first table's row count or fault, and the error object.
struct BodySummary {
    rows: Option<Result<usize, String>>,
    error: Option<ApiError>,
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "lowercase")]
enum BodyField {
    Tables,
    Error,
    #[serde(other)]
    Other,
}

impl<'de> DeserializeSeed<'de> for BodySeed<'_, '_> {
    type Value = BodySummary;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<BodySummary, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for BodySeed<'_, '_> {
    type Value = BodySummary;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a query result object")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<BodySummary, A::Error> {
        let mut summary = BodySummary {
            rows: None,
            error: None,
        };
        while let Some(field) = map.next_key::<BodyField>()? {
            match field {
                BodyField::Tables => {
                    summary.rows = map.next_value_seed(TablesSeed {
                        reader: &mut self.reader,
                    })?;
                }
                BodyField::Error => summary.error = map.next_value()?,
                BodyField::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(summary)
    }
}

/// Reads the `tables` array; only the first table is the result.
struct TablesSeed<'b, 'r, 's> {
    reader: &'b mut RowReader<'r, 's>,
}

impl<'de> DeserializeSeed<'de> for TablesSeed<'_, '_, '_> {
    type Value = Option<Result<usize, String>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for TablesSeed<'_, '_, '_> {
    type Value = Option<Result<usize, String>>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an array of tables")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let first = seq.next_element_seed(TableSeed { reader: self.reader })?;
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(first)
    }
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "lowercase")]
enum TableField {
    Columns,
    Rows,
    #[serde(other)]
    Other,
}

/// Reads one table: its columns, then its rows into the reader. Rows that come before the
/// columns are kept as cells and read once the columns are known.
struct TableSeed<'b, 'r, 's> {
    reader: &'b mut RowReader<'r, 's>,
}

impl<'de> DeserializeSeed<'de> for TableSeed<'_, '_, '_> {
    type Value = Result<usize, String>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TableSeed<'_, '_, '_> {
    type Value = Result<usize, String>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a table with columns and rows")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut columns: Option<Vec<Column>> = None;
        let mut read: Option<Result<usize, String>> = None;
        let mut waiting: Vec<Vec<Cell<'de>>> = Vec::new();
        while let Some(field) = map.next_key::<TableField>()? {
            match field {
                TableField::Columns => columns = Some(map.next_value()?),
                TableField::Rows => match &columns {
                    Some(columns) => {
                        read = Some(map.next_value_seed(RowsSeed {
                            columns: Columns::locate(columns),
                            reader: &mut *self.reader,
                        })?);
                    }
                    None => waiting = map.next_value()?,
                },
                TableField::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let columns = columns.ok_or_else(|| de::Error::missing_field("columns"))?;
        if let Some(read) = read {
            return Ok(read);
        }
        let located = match Columns::locate(&columns) {
            Ok(located) => located,
            Err(error) => return Ok(Err(error)),
        };
        for (index, cells) in waiting.iter().enumerate() {
            if let Err(error) = self.reader.accept(&located, cells, index) {
                return Ok(Err(error));
            }
        }
        Ok(Ok(waiting.len()))
    }
}

/// Reads the `rows` array into the reader with the located columns. The first bad row stops
/// the reading; the rest of the array is skipped so that the error names that row.
struct RowsSeed<'b, 'r, 's> {
    columns: Result<Columns, String>,
    reader: &'b mut RowReader<'r, 's>,
}

impl<'de> DeserializeSeed<'de> for RowsSeed<'_, '_, '_> {
    type Value = Result<usize, String>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RowsSeed<'_, '_, '_> {
    type Value = Result<usize, String>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an array of rows")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let columns = match self.columns {
            Ok(columns) => columns,
            Err(error) => {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                return Ok(Err(error));
            }
        };
        let mut cells: Vec<Cell<'de>> = Vec::new();
        let mut index = 0usize;
        while seq.next_element_seed(CellsSeed(&mut cells))?.is_some() {
            if let Err(error) = self.reader.accept(&columns, &cells, index) {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                return Ok(Err(error));
            }
            index += 1;
        }
        Ok(Ok(index))
    }
}

/// Reads one row array into a reused buffer of cells.
struct CellsSeed<'b, 'de>(&'b mut Vec<Cell<'de>>);

impl<'de> DeserializeSeed<'de> for CellsSeed<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for CellsSeed<'_, 'de> {
    type Value = ();

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a row array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.0.clear();
        while let Some(cell) = seq.next_element::<Cell<'de>>()? {
            self.0.push(cell);
        }
        Ok(())
    }
}

/// One value of a row. Text borrows from the response body unless it has escapes.
#[derive(Debug, Clone, PartialEq)]
enum Cell<'a> {
    Null,
    Bool(bool),
    Unsigned(u64),
    Negative(i64),
    Float(f64),
    Text(Cow<'a, str>),
    /// An array or object, which no column of the schema holds.
    Nested(&'static str),
}

impl fmt::Display for Cell<'_> {
    fn fmt(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Cell::Null => formatter.write_str("null"),
            Cell::Bool(flag) => write!(formatter, "{flag}"),
            Cell::Unsigned(number) => write!(formatter, "{number}"),
            Cell::Negative(number) => write!(formatter, "{number}"),
            Cell::Float(number) => write!(formatter, "{number}"),
            Cell::Text(text) => write!(formatter, "'{text}'"),
            Cell::Nested(kind) => formatter.write_str(kind),
        }
    }
}

impl<'de> Deserialize<'de> for Cell<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(CellVisitor)
    }
}

struct CellVisitor;

impl<'de> Visitor<'de> for CellVisitor {
    type Value = Cell<'de>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Cell<'de>, E> {
        Ok(Cell::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Cell<'de>, E> {
        Ok(Cell::Null)
    }

    fn visit_bool<E: de::Error>(self, flag: bool) -> Result<Cell<'de>, E> {
        Ok(Cell::Bool(flag))
    }

    fn visit_u64<E: de::Error>(self, number: u64) -> Result<Cell<'de>, E> {
        Ok(Cell::Unsigned(number))
    }

    fn visit_i64<E: de::Error>(self, number: i64) -> Result<Cell<'de>, E> {
        Ok(u64::try_from(number).map_or(Cell::Negative(number), Cell::Unsigned))
    }

    fn visit_f64<E: de::Error>(self, number: f64) -> Result<Cell<'de>, E> {
        Ok(Cell::Float(number))
    }

    fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Cell<'de>, E> {
        Ok(Cell::Text(Cow::Borrowed(text)))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Cell<'de>, E> {
        Ok(Cell::Text(Cow::Owned(text.to_owned())))
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<Cell<'de>, E> {
        Ok(Cell::Text(Cow::Owned(text)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Cell<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Cell::Nested("an array"))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Cell<'de>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Cell::Nested("an object"))
    }
}

/// The position of each column of the result schema.
#[derive(Debug)]
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
    fn locate(columns: &[Column]) -> Result<Columns, String> {
        let position = |name: &str| {
            columns
                .iter()
                .position(|column| column.name == name)
                .ok_or_else(|| format!("the result has no column '{name}'"))
        };
        Ok(Columns {
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
        })
    }

    fn read<'c>(&self, row: &'c [Cell<'_>], times: &mut TimeCache) -> Result<UsageRowRef<'c>, String> {
        let value = |index: usize| row.get(index).unwrap_or(&Cell::Null);
        let count =
            |index: usize, name: &str| read_count(value(index)).map_err(|error| format!("column '{name}' {error}"));
        let source = match value(self.source) {
            Cell::Text(text) => text.as_ref(),
            _ => "",
        };
        Ok(UsageRowRef {
            bucket_start: read_time(value(self.bucket_start), times)?,
            source: source
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
fn read_text<'c>(value: &'c Cell<'_>) -> Option<Cow<'c, str>> {
    match value {
        Cell::Text(text) if !text.is_empty() => Some(Cow::Borrowed(text.as_ref())),
        Cell::Unsigned(_) | Cell::Negative(_) | Cell::Float(_) => Some(Cow::Owned(value.to_string())),
        _ => None,
    }
}

/// The largest whole number a JSON float holds exactly.
const MAX_EXACT_FLOAT: f64 = 9_007_199_254_740_992.0;

/// Reads a long column, native (`100`) or as text (`"100"`). Null is refused: the queries
/// sum with `sumif`, which gives 0, so a null means the result is not the query's.
fn read_count(value: &Cell<'_>) -> Result<u64, String> {
    match value {
        Cell::Null => Err("is null".to_owned()),
        Cell::Unsigned(number) => Ok(*number),
        Cell::Float(float) if float.fract() == 0.0 && *float >= 0.0 && *float <= MAX_EXACT_FLOAT => Ok(*float as u64),
        Cell::Negative(_) | Cell::Float(_) => Err(format!("is not a whole non-negative count: {value}")),
        Cell::Text(text) if text.is_empty() => Ok(0),
        Cell::Text(text) => text
            .parse::<u64>()
            .map_err(|_| format!("is not a whole non-negative count: '{text}'")),
        Cell::Bool(_) | Cell::Nested(_) => Err(format!("is not a count: {value}")),
    }
}

fn read_bool(value: &Cell<'_>) -> Result<bool, String> {
    match value {
        Cell::Null => Ok(false),
        Cell::Bool(flag) => Ok(*flag),
        Cell::Unsigned(0) => Ok(false),
        Cell::Unsigned(1) => Ok(true),
        Cell::Float(number) if *number == 0.0 => Ok(false),
        Cell::Float(number) if *number == 1.0 => Ok(true),
        Cell::Text(text) => match text.to_ascii_lowercase().as_str() {
            "true" | "1" => Ok(true),
            "false" | "0" | "" => Ok(false),
            _ => Err(format!("is not a boolean: '{text}'")),
        },
        _ => Err(format!("is not a boolean: {value}")),
    }
}

fn read_time(value: &Cell<'_>, times: &mut TimeCache) -> Result<DateTime<Utc>, String> {
    match value {
        Cell::Text(text) => times.parse(text),
        _ => Err(format!("column 'bucket_start' is not a datetime: {value}")),
    }
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

    /// Reads all rows of `body` into owned rows.
    fn collect(body: &str, expected: &Expected) -> Result<(Vec<crate::row::UsageRow>, QuerySummary), String> {
        let mut rows = Vec::new();
        let summary = read_rows(body, expected, &mut |row: &UsageRowRef<'_>| {
            rows.push(row.to_owned_row())
        })?;
        assert_eq!(summary.rows, rows.len());
        Ok((rows, summary))
    }

    /// Reads a JSON value as a cell that owns its text.
    fn cell(value: &serde_json::Value) -> Cell<'static> {
        let text = value.to_string();
        match serde_json::from_str::<Cell<'_>>(&text).expect("a cell") {
            Cell::Text(text) => Cell::Text(Cow::Owned(text.into_owned())),
            Cell::Null => Cell::Null,
            Cell::Bool(flag) => Cell::Bool(flag),
            Cell::Unsigned(number) => Cell::Unsigned(number),
            Cell::Negative(number) => Cell::Negative(number),
            Cell::Float(number) => Cell::Float(number),
            Cell::Nested(kind) => Cell::Nested(kind),
        }
    }

    #[test]
    fn counts_read_native_and_text() {
        let native = fixture("la-query-200-column-types.json");
        let row = &native["response"]["body"]["tables"][0]["rows"][0];
        assert_eq!(read_count(&cell(&row[4])), Ok(101));
        assert_eq!(read_bool(&cell(&row[1])), Ok(true));
        let text = fixture("appinsights-query-post-200-spec-example.json");
        let row = &text["response"]["body"]["tables"][0]["rows"][0];
        assert_eq!(read_count(&cell(&row[1])), Ok(255));
        assert!(read_time(&cell(&row[0]), &mut TimeCache::default()).is_ok());
        let count = |value: serde_json::Value| read_count(&cell(&value));
        assert_eq!(
            count(serde_json::json!(-1)),
            Err("is not a whole non-negative count: -1".to_owned())
        );
        assert!(count(serde_json::json!("1.5")).is_err());
        assert!(count(serde_json::json!(1e30)).is_err());
        assert!(count(serde_json::json!(null)).is_err());
        assert_eq!(count(serde_json::json!(true)), Err("is not a count: true".to_owned()));
        assert_eq!(
            count(serde_json::json!([1])),
            Err("is not a count: an array".to_owned())
        );
        assert_eq!(count(serde_json::json!(3000.0)), Ok(3000));
        assert_eq!(count(serde_json::json!("")), Ok(0));
        assert_eq!(read_bool(&cell(&serde_json::json!(1.0))), Ok(true));
        assert_eq!(read_bool(&cell(&serde_json::json!("TRUE"))), Ok(true));
        assert!(read_bool(&cell(&serde_json::json!(0.5))).is_err());
        assert!(read_bool(&cell(&serde_json::json!(-1))).is_err());
        assert_eq!(read_text(&cell(&serde_json::json!(42))).as_deref(), Some("42"));
        assert_eq!(read_text(&cell(&serde_json::json!(""))), None);
    }

    const COLUMNS: &str = r#"[{"name":"bucket_start","type":"datetime"},{"name":"user","type":"string"},
        {"name":"subscription","type":"string"},{"name":"deployment","type":"string"},
        {"name":"response_model","type":"string"},{"name":"service_tier","type":"string"},
        {"name":"input_tokens","type":"long"},{"name":"cached_input_tokens","type":"long"},
        {"name":"output_tokens","type":"long"},{"name":"reasoning_tokens","type":"long"},
        {"name":"requests","type":"long"},{"name":"rejected","type":"long"},
        {"name":"usage_missing","type":"long"},{"name":"source","type":"string"},
        {"name":"estimated","type":"bool"}]"#;

    const ROWS: &str = r#"[["2026-11-01T00:15:00Z","ana\u00efs@contoso.com","s1","chat","gpt-4o-2024-11-20","",1000,"200",50,0,2,0,0,"otel",false],
        ["2026-11-01T00:30:00Z",null,"",null,"","default",7,0,3,0,1,1,1,"otel","1"]]"#;

    fn month() -> Expected {
        Expected {
            from: "2026-11-01T00:00:00Z".parse().expect("time"),
            to: "2026-12-01T00:00:00Z".parse().expect("time"),
            source: UsageSource::Otel,
        }
    }

    #[test]
    fn rows_read_in_either_key_order() {
        let columns_first = format!(r#"{{"tables":[{{"name":"PrimaryResult","columns":{COLUMNS},"rows":{ROWS}}}]}}"#);
        let rows_first = format!(r#"{{"tables":[{{"rows":{ROWS},"columns":{COLUMNS},"name":"PrimaryResult"}}]}}"#);
        let (rows, summary) = collect(&columns_first, &month()).expect("rows");
        assert_eq!(rows, collect(&rows_first, &month()).expect("rows").0);
        assert_eq!(summary.partial, None);
        let [first, second] = rows.as_slice() else {
            panic!("two rows expected, got {rows:?}");
        };
        assert_eq!(first.user.as_deref(), Some("ana\u{ef}s@contoso.com"));
        assert_eq!(first.cached_input_tokens, 200);
        assert_eq!(first.service_tier, None);
        assert!(!first.estimated);
        assert_eq!(second.user, None);
        assert_eq!(second.subscription, None);
        assert_eq!(second.service_tier.as_deref(), Some("default"));
        assert_eq!((second.requests, second.rejected, second.usage_missing), (1, 1, 1));
        assert!(second.estimated);
    }

    #[test]
    fn bad_rows_are_named() {
        let bad = ROWS.replace("\"200\"", "\"2x\"");
        for body in [
            format!(r#"{{"tables":[{{"columns":{COLUMNS},"rows":{bad}}}]}}"#),
            format!(r#"{{"tables":[{{"rows":{bad},"columns":{COLUMNS}}}]}}"#),
        ] {
            assert_eq!(
                collect(&body, &month()).expect_err("a bad count"),
                "row 0: column 'cached_input_tokens' is not a whole non-negative count: '2x'"
            );
        }

        let other_source = ROWS.replace(
            "\"1\"]]",
            "\"1\"],[\"2026-11-01T00:30:00Z\",\"u\",\"\",\"\",\"\",\"\",1,0,1,0,1,0,0,\"apim\",false]]",
        );
        let body = format!(r#"{{"tables":[{{"columns":{COLUMNS},"rows":{other_source}}}]}}"#);
        assert_eq!(
            collect(&body, &month()).expect_err("another source"),
            "row 2: source apim is not the source asked for, otel"
        );

        let early = ROWS.replace("2026-11-01T00:15:00Z", "2026-10-31T23:45:00Z");
        let body = format!(r#"{{"tables":[{{"columns":{COLUMNS},"rows":{early}}}]}}"#);
        assert!(
            collect(&body, &month())
                .expect_err("early")
                .starts_with("row 0: bucket 2026-10-31 23:45:00 UTC is outside")
        );

        let no_user = COLUMNS.replace("\"user\"", "\"caller\"");
        let body = format!(r#"{{"tables":[{{"columns":{no_user},"rows":{ROWS}}}]}}"#);
        assert_eq!(
            collect(&body, &month()).expect_err("no column"),
            "the result has no column 'user'"
        );
        let body = format!(r#"{{"tables":[{{"columns":{COLUMNS},"rows":[{{"a":1}}]}}]}}"#);
        assert!(
            collect(&body, &month())
                .expect_err("object row")
                .starts_with("the response is not a query result")
        );
        let body = format!(r#"{{"tables":[{{"columns":{COLUMNS},"rows":[[[1],2]]}}]}}"#);
        assert_eq!(
            collect(&body, &month()).expect_err("nested"),
            "row 0: column 'bucket_start' is not a datetime: an array"
        );
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
        let message = collect(&body.to_string(), &expected).expect_err("the fixture's table is not the usage schema");
        assert!(message.contains("bucket_start"), "{message}");
        let error: ApiError = serde_json::from_value(body["error"].clone()).expect("error object");
        assert!(error.describe().contains("E_OVERFLOW"), "{}", error.describe());

        let semantic = fixture("la-query-400-semantic-error.json");
        let error = read_error(&semantic["response"]["body"].to_string()).expect("error");
        assert_eq!(error.innermost_code(), "SEM0100");
        assert!(error.describe().contains("SemanticError"));
    }
}
