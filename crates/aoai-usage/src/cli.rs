//! `aoai-usage report`: the usage response on the command line, for scripts and finance,
//! with the same settings and backends as the function.

use chrono::Utc;

use crate::api::usage::{Computed, compute, defaults};
use crate::config::Config;
use crate::report::{Format, UsageJson, UsageParams, to_csv, to_table};
use crate::startup::build_state;

pub const REPORT_HELP: &str = "aoai-usage report: per-user usage and cost over a period

Usage: aoai-usage report [--from <date>] [--to <date>] [--tz <zone>] [--group-by <keys>]
                         [--user <id>]... [--model <name>]... [--deployment <name>]...
                         [--source otel|apim|apim-logs] [--currency <code>]
                         [--format table|csv|json]

  --from, --to     YYYY-MM-DD (midnight in --tz) or RFC 3339; --to is exclusive.
                   Default: the current month
  --tz             IANA time zone of days and months (default UTC)
  --group-by       comma list of user, team, cost_center, subscription, model, version,
                   deployment, deployment_type, tier, region, hour, day, month (default user)
  --format         table (default: aligned columns and a total line; a cost marked * leaves
                   out calls that could not be priced), csv, or json (as GET /api/usage)

Settings (store, backend, prices, deployments, directory) come from the same environment
variables as the function.";

/// Options that map one to one onto `/api/usage` parameters.
const PARAMETERS: &[(&str, &str)] = &[
    ("--from", "from"),
    ("--to", "to"),
    ("--tz", "tz"),
    ("--group-by", "group_by"),
    ("--user", "user"),
    ("--model", "model"),
    ("--deployment", "deployment"),
    ("--source", "source"),
    ("--currency", "currency"),
];

/// Runs the report command; returns the text to print or an error message.
pub async fn report(arguments: &[String], config: &Config) -> Result<String, String> {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    let mut format = "table".to_owned();
    let mut rest = arguments.iter();
    while let Some(argument) = rest.next() {
        if argument == "--help" || argument == "-h" {
            return Ok(format!("{REPORT_HELP}\n"));
        }
        if !argument.starts_with("--") {
            return Err(format!(
                "unexpected argument '{argument}'; run aoai-usage report --help"
            ));
        }
        let value = rest
            .next()
            .filter(|value| !value.starts_with("--"))
            .ok_or_else(|| format!("{argument} needs a value; run aoai-usage report --help"))?;
        if argument == "--format" {
            format = value.clone();
            continue;
        }
        let Some((_, parameter)) = PARAMETERS.iter().find(|(option, _)| option == argument) else {
            return Err(format!("unknown option '{argument}'; run aoai-usage report --help"));
        };
        query.append_pair(parameter, value);
    }
    if !["table", "csv", "json"].contains(&format.as_str()) {
        return Err(format!("--format '{format}' is not one of table, csv, json"));
    }
    if format == "csv" {
        query.append_pair("format", "csv");
    }
    let query = query.finish();

    let state = build_state(config).map_err(|error| format!("{error:#}"))?;
    let params = UsageParams::parse(Some(&query), defaults(&state), Utc::now())
        .map_err(|error| format!("--{}: {error}", error.parameter.replace('_', "-")))?;
    let Computed {
        totals,
        sample,
        provenance,
    } = compute(&state, &params).await.map_err(|error| error.to_string())?;
    Ok(match (format.as_str(), params.format) {
        ("csv", _) | (_, Format::Csv) => to_csv(&params, &totals).map_err(|error| error.to_string())?,
        ("json", _) => {
            let body = UsageJson {
                params: &params,
                totals: &totals,
                sample,
                prices: &provenance,
                backend: Some(state.backend.name()),
            };
            let text = serde_json::to_string_pretty(&body).map_err(|error| format!("JSON failed: {error}"))?;
            format!("{text}\n")
        }
        _ => {
            let mut text = String::new();
            if sample {
                text.push_str("(sample data)\n");
            }
            text.push_str(&format!(
                "{} to {} ({}), {}, source {}, prices {} as of {}\n\n",
                params.from.to_rfc3339(),
                params.to.to_rfc3339(),
                params.tz.name(),
                params.currency,
                params.source,
                provenance.source,
                provenance.as_of.format("%Y-%m-%d")
            ));
            text.push_str(&to_table(&params, &totals));
            text
        }
    })
}
