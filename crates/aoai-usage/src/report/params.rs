//! The parameters of `GET /api/usage`, parsed strictly: an unknown, repeated or invalid
//! parameter is a 400 that names it.

use aoai_core::Currency;
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use super::group::Dimension;
use crate::record::UsageSource;

/// Parameters that may be given once.
const SINGLE: &[&str] = &["from", "to", "tz", "group_by", "source", "currency", "format"];
/// Parameters that may be repeated, each adding an accepted value.
const REPEATED: &[&str] = &["user", "model", "deployment"];

/// An invalid parameter, with the message for the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParamError {
    pub parameter: String,
    pub message: String,
}

fn invalid(parameter: &str, message: impl Into<String>) -> ParamError {
    ParamError {
        parameter: parameter.to_owned(),
        message: message.into(),
    }
}

/// The response format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

/// A parsed usage request.
#[derive(Debug, Clone)]
pub struct UsageParams {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub tz: Tz,
    pub group_by: Vec<Dimension>,
    pub users: Vec<String>,
    pub models: Vec<String>,
    pub deployments: Vec<String>,
    pub source: UsageSource,
    pub currency: Currency,
    pub format: Format,
}

/// Defaults and limits that the settings give.
#[derive(Debug, Clone, Copy)]
pub struct ParamDefaults {
    pub source: UsageSource,
    pub currency: Currency,
    pub max_range_days: i64,
}

impl UsageParams {
    /// Parses a raw query string. `now` sets the default period: the current month in `tz`.
    pub fn parse(
        raw_query: Option<&str>,
        defaults: ParamDefaults,
        now: DateTime<Utc>,
    ) -> Result<UsageParams, ParamError> {
        let mut single: Vec<(String, String)> = Vec::new();
        let mut users = Vec::new();
        let mut models = Vec::new();
        let mut deployments = Vec::new();
        for (name, value) in url::form_urlencoded::parse(raw_query.unwrap_or("").as_bytes()) {
            let value = value.trim().to_owned();
            match name.as_ref() {
                // The Functions host reads the function key from `code`, and API Management its
                // subscription key from `subscription-key`; neither is a usage parameter.
                "code" | "subscription-key" => {}
                "user" | "model" | "deployment" if value.is_empty() => {
                    return Err(invalid(&name, format!("parameter '{name}' is empty")));
                }
                // User ids are compared in lower case with Unicode rules, as rows show them.
                "user" => users.push(value.trim().to_lowercase()),
                "model" => models.push(aoai_core::ModelKey::parse(&value).to_string()),
                "deployment" => deployments.push(value),
                known if SINGLE.contains(&known) => {
                    if single.iter().any(|(seen, _)| seen == known) {
                        return Err(invalid(known, format!("parameter '{known}' is given more than once")));
                    }
                    single.push((known.to_owned(), value));
                }
                other => {
                    return Err(invalid(
                        other,
                        format!(
                            "unknown parameter '{other}'; accepted: {}, and {} (repeatable)",
                            SINGLE.join(", "),
                            REPEATED.join(", ")
                        ),
                    ));
                }
            }
        }
        let get = |name: &str| {
            single
                .iter()
                .find(|(seen, _)| seen == name)
                .map(|(_, value)| value.as_str())
        };

        let tz: Tz = match get("tz") {
            None | Some("") => Tz::UTC,
            Some(text) => text.parse().map_err(|_| {
                invalid(
                    "tz",
                    format!("unknown time zone '{text}': expected an IANA name such as Europe/Paris or Asia/Kolkata"),
                )
            })?,
        };
        let (default_from, default_to) = current_month(now, tz);
        let from = match get("from") {
            None | Some("") => default_from,
            Some(text) => parse_time("from", text, tz)?,
        };
        let to = match get("to") {
            None | Some("") => default_to,
            Some(text) => parse_time("to", text, tz)?,
        };
        if to <= from {
            return Err(invalid(
                "to",
                format!(
                    "'to' ({}) must be after 'from' ({}); 'to' is exclusive",
                    to.to_rfc3339(),
                    from.to_rfc3339()
                ),
            ));
        }
        // Counted in calendar days of `tz`, so a range over a clock change is not an hour too long.
        let days = (to.with_timezone(&tz).date_naive() - from.with_timezone(&tz).date_naive()).num_days();
        let partial_day = to.with_timezone(&tz).time() > from.with_timezone(&tz).time();
        if days + i64::from(partial_day) > defaults.max_range_days {
            return Err(invalid(
                "to",
                format!(
                    "the range from {} to {} is longer than {} days (USAGE_MAX_RANGE_DAYS); ask for a shorter range",
                    from.with_timezone(&tz).to_rfc3339(),
                    to.with_timezone(&tz).to_rfc3339(),
                    defaults.max_range_days
                ),
            ));
        }

        let group_by = match get("group_by") {
            None | Some("") => vec![Dimension::User],
            Some(text) => {
                let mut dimensions = Vec::new();
                for name in text.split(',').map(str::trim).filter(|name| !name.is_empty()) {
                    let dimension: Dimension = name.parse().map_err(|message: String| invalid("group_by", message))?;
                    if dimensions.contains(&dimension) {
                        return Err(invalid("group_by", format!("group_by names '{name}' twice")));
                    }
                    dimensions.push(dimension);
                }
                dimensions
            }
        };
        let source = match get("source") {
            None | Some("") => defaults.source,
            Some(text) => text.parse().map_err(|message: String| invalid("source", message))?,
        };
        let currency = match get("currency") {
            None | Some("") => defaults.currency,
            Some(text) => text
                .parse()
                .map_err(|error: aoai_core::ParseError| invalid("currency", error.to_string()))?,
        };
        let format = match get("format") {
            None | Some("") | Some("json") => Format::Json,
            Some("csv") => Format::Csv,
            Some(other) => {
                return Err(invalid(
                    "format",
                    format!("unknown format '{other}': expected json or csv"),
                ));
            }
        };
        Ok(UsageParams {
            from,
            to,
            tz,
            group_by,
            users,
            models,
            deployments,
            source,
            currency,
            format,
        })
    }
}

/// Reads `YYYY-MM-DD` as midnight in `tz`, or an RFC 3339 time.
fn parse_time(parameter: &str, text: &str, tz: Tz) -> Result<DateTime<Utc>, ParamError> {
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(start_of_day(date, tz));
    }
    // An unencoded "+05:30" offset arrives as " 05:30", because "+" means space in a query.
    let text = text.replace(' ', "+");
    DateTime::parse_from_rfc3339(&text)
        .map(|time| time.with_timezone(&Utc))
        .map_err(|_| {
            invalid(
                parameter,
                format!("invalid time '{text}': expected YYYY-MM-DD or RFC 3339 such as 2026-06-01T00:00:00Z"),
            )
        })
}

/// Returns the first instant of `date` in `tz`. Where a clock change skips midnight, the day starts
/// at the first time that exists.
pub fn start_of_day(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let mut time = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    for _ in 0..48 {
        if let Some(local) = tz.from_local_datetime(&time).earliest() {
            return local.with_timezone(&Utc);
        }
        time += Duration::minutes(30);
    }
    date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

fn current_month(now: DateTime<Utc>, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    let local = now.with_timezone(&tz).date_naive();
    let first = NaiveDate::from_ymd_opt(local.year(), local.month(), 1).unwrap_or(local);
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(first + Duration::days(31));
    (start_of_day(first, tz), start_of_day(next, tz))
}
