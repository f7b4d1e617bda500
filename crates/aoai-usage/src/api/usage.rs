//! `GET /api/usage`: per-user usage and exact cost over a period, and
//! `GET /api/usage/queries`: the KQL the Azure backends run.

use axum::extract::{Extension, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use super::error::ApiError;
use super::{AppState, Backend};
use crate::auth::{Caller, scope_users};
use crate::azure::{QueryScope, Schema, kql};
use crate::record::UsageSource;
use crate::report::{
    AggregateError, Aggregator, Format, ParamDefaults, PriceProvenance, QueryCompressor, Resolver, Totals, UsageJson,
    UsageParams, aggregate, price_changes, to_csv,
};

pub fn defaults(state: &AppState) -> ParamDefaults {
    ParamDefaults {
        source: state.settings.source,
        currency: state.prices.default_currency,
        max_range_days: state.settings.max_range_days,
    }
}

/// The sums of one usage request, with where its prices came from.
#[derive(Debug)]
pub struct Computed {
    pub totals: Totals,
    pub sample: bool,
    pub provenance: PriceProvenance,
}

/// Reads, prices and sums the usage of `params` from the configured backend.
pub async fn compute(state: &AppState, params: &UsageParams) -> Result<Computed, ApiError> {
    // API Management's LLM logs are a Log Analytics table: neither the local store nor the
    // Application Insights query API has them.
    let has_llm_logs = matches!(&state.backend, Backend::Azure(backend) if backend.schema() == Schema::Workspace);
    if params.source == UsageSource::ApimLogs && !has_llm_logs {
        return Err(ApiError::InvalidParameter {
            parameter: "source".to_owned(),
            message: format!(
                "source apim-logs reads API Management's LLM logs, which only a Log Analytics workspace has, \
                 but this app reads the {}; set LOG_ANALYTICS_WORKSPACE_ID, or ask for source=otel or source=apim",
                match &state.backend {
                    Backend::Local => "local store",
                    Backend::Azure(_) => "Application Insights query API",
                }
            ),
        });
    }
    let served = state.prices.catalog(params.currency).await?;
    let provenance = PriceProvenance {
        source: served.loaded.source.as_str(),
        as_of: served.loaded.as_of,
        stale: served.stale,
    };
    // A query API's rows are summed as the response is read: rows that resolve and price
    // alike become one row, priced once. The local store is read in the worker below.
    let changes = price_changes(&served.loaded.catalog);
    let remote = match &state.backend {
        Backend::Local => None,
        Backend::Azure(backend) => {
            let mut compressor = QueryCompressor::new(params, &changes);
            let summary = backend
                .rows(
                    params.source,
                    params.from,
                    params.to,
                    &params.users,
                    &params.deployments,
                    &mut |row| compressor.add(row),
                )
                .await?;
            Some((compressor.finish(), summary.partial))
        }
    };

    let worker = state.clone();
    let worker_params = params.clone();
    let (totals, sample) = tokio::task::spawn_blocking(move || {
        let state = worker;
        let params = worker_params;
        let mut resolver = Resolver::new(
            &state.deployments,
            &state.directory,
            &served.loaded.catalog,
            &state.prices.overrides,
            params.currency,
            &state.settings.assumptions,
        );
        match remote {
            None => {
                let totals = aggregate(&state.store, &mut resolver, &params)?;
                let sample = state.store.is_sample().map_err(AggregateError::Store)?;
                Ok::<(Totals, bool), AggregateError>((totals, sample))
            }
            Some((rows, partial)) => {
                let mut aggregator = Aggregator::new(&params);
                for row in &rows {
                    aggregator.add_row(&mut resolver, row);
                }
                if let Some(message) = partial {
                    aggregator.set_partial(message);
                }
                Ok((aggregator.finish(), false))
            }
        }
    })
    .await
    .map_err(|error| ApiError::Internal(format!("usage task failed: {error}")))??;
    if totals.cost_overflow {
        return Err(ApiError::InvalidParameter {
            parameter: "to".to_owned(),
            message: "a sum of costs in this period needs more than the 28 significant digits of a decimal, \
                      and costs are never rounded; ask for a shorter range"
                .to_owned(),
        });
    }
    Ok(Computed {
        totals,
        sample,
        provenance,
    })
}

/// Parses a request's parameters and keeps them to what its caller may read.
fn caller_params(state: &AppState, caller: Option<&Caller>, query: Option<&str>) -> Result<UsageParams, ApiError> {
    let mut params = UsageParams::parse(query, defaults(state), Utc::now())?;
    scope_users(caller, &mut params.users).map_err(|message| {
        tracing::info!(reason = %message, "usage request forbidden");
        ApiError::Forbidden(message)
    })?;
    Ok(params)
}

pub async fn usage(
    State(state): State<AppState>,
    caller: Option<Extension<Caller>>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let params = caller_params(&state, caller.as_deref(), query.as_deref())?;
    let Computed {
        totals,
        sample,
        provenance,
    } = compute(&state, &params).await?;

    match params.format {
        Format::Json => {
            let body = serde_json::to_vec(&UsageJson {
                params: &params,
                totals: &totals,
                sample,
                prices: &provenance,
                backend: Some(state.backend.name()),
            })
            .map_err(|error| ApiError::Internal(format!("JSON failed: {error}")))?;
            Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
        }
        Format::Csv => {
            let body = to_csv(&params, &totals).map_err(|error| ApiError::Internal(format!("CSV failed: {error}")))?;
            let name = format!(
                "attachment; filename=\"usage-{}-{}.csv\"",
                params.from.format("%Y%m%d"),
                params.to.format("%Y%m%d")
            );
            Ok((
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                    (header::CONTENT_DISPOSITION, name),
                ],
                body,
            )
                .into_response())
        }
    }
}

/// Returns the KQL of every source for the request's period and filters, in both schemas,
/// so that it can be pasted into a workbook.
pub async fn queries(
    State(state): State<AppState>,
    caller: Option<Extension<Caller>>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let params = caller_params(&state, caller.as_deref(), query.as_deref())?;
    let scope = QueryScope {
        from: params.from,
        to: params.to,
        users: &params.users,
        deployments: &params.deployments,
        metric_names: &state.settings.ingest.metric_names,
    };
    let mut body = serde_json::Map::new();
    for (name, schema) in [("appinsights", Schema::Classic), ("loganalytics", Schema::Workspace)] {
        let mut queries = serde_json::Map::new();
        for source in [UsageSource::Otel, UsageSource::Apim, UsageSource::ApimLogs] {
            if let Some(text) = kql::query(source, schema, &scope) {
                queries.insert(source.as_str().to_owned(), serde_json::json!(text));
            }
        }
        body.insert(name.to_owned(), serde_json::Value::Object(queries));
    }
    Ok(axum::Json(serde_json::Value::Object(body)).into_response())
}
