//! `GET /api/usage`: per-user usage and exact cost over a period.

use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use super::AppState;
use super::error::ApiError;
use crate::report::{Format, ParamDefaults, PriceProvenance, Resolver, UsageParams, aggregate, to_csv, to_json};

pub async fn usage(State(state): State<AppState>, RawQuery(query): RawQuery) -> Result<Response, ApiError> {
    let defaults = ParamDefaults {
        source: state.settings.source,
        currency: state.prices.default_currency,
        max_range_days: state.settings.max_range_days,
    };
    let params = UsageParams::parse(query.as_deref(), defaults, Utc::now())?;
    let served = state.prices.catalog(params.currency).await?;
    let provenance = PriceProvenance {
        source: served.loaded.source.as_str(),
        as_of: served.loaded.as_of,
        stale: served.stale,
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
        let totals = aggregate(&state.store, &mut resolver, &params)?;
        let sample = state.store.is_sample().map_err(crate::report::AggregateError::Store)?;
        Ok::<_, crate::report::AggregateError>((totals, sample))
    })
    .await
    .map_err(|error| ApiError::Internal(format!("usage task failed: {error}")))??;

    match params.format {
        Format::Json => Ok(axum::Json(to_json(&params, &totals, sample, &provenance)).into_response()),
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
