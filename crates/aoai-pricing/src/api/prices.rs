//! `GET /`, `/api/price`, `/api/prices` and `/api/prices/rejected`.

use std::collections::BTreeMap;

use aoai_catalog::{PriceEntry, PriceFilter, PriceQuery, RejectedRow, VersionMatch};
use aoai_core::{ContextBand, Currency, DeploymentType, PER_TOKENS, Price, Tier, TokenKind};
use axum::Json;
use axum::extract::{RawQuery, State};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::AppState;
use super::error::ApiError;
use super::params::{PriceParams, collect};

const DEFAULT_REGION: &str = "eastus2";

/// The source and fetch time of a response's data, included in every response.
#[derive(Debug, Serialize)]
struct Provenance {
    source: &'static str,
    as_of: DateTime<Utc>,
    stale: bool,
}

fn provenance(state: &AppState) -> (std::sync::Arc<crate::source::LoadedCatalog>, Provenance) {
    let (loaded, stale) = state.prices.current();
    let provenance = Provenance {
        source: loaded.source.as_str(),
        as_of: loaded.as_of,
        stale,
    };
    (loaded, provenance)
}

/// Returns readiness for the Functions host's probe.
pub async fn ready(State(state): State<AppState>) -> Json<serde_json::Value> {
    let (loaded, provenance) = provenance(&state);
    Json(serde_json::json!({
        "status": "ready",
        "token_prices": loaded.catalog.stats().token_prices,
        "source": provenance.source,
        "as_of": provenance.as_of,
        "stale": provenance.stale,
    }))
}

#[derive(Debug, Serialize)]
pub struct PriceAnswer {
    model: String,
    version: Option<NaiveDate>,
    /// `exact`, `newest` (no version was asked for) or `any_version` (the meters name none).
    version_match: VersionMatch,
    deployment_type: DeploymentType,
    tier: Tier,
    region: String,
    currency: Currency,
    per_tokens: u64,
    #[serde(with = "rust_decimal::serde::str_option")]
    input: Option<Price>,
    #[serde(with = "rust_decimal::serde::str_option")]
    cached_input: Option<Price>,
    #[serde(with = "rust_decimal::serde::str_option")]
    output: Option<Price>,
    prices: BTreeMap<TokenKind, String>,
    context_band: Option<ContextBand>,
    effective_from: DateTime<Utc>,
    at: DateTime<Utc>,
    meters: Vec<String>,
    #[serde(flatten)]
    provenance: Provenance,
}

/// `GET /api/price`: exactly one price, with every value it used.
pub async fn price(State(state): State<AppState>, RawQuery(query): RawQuery) -> Result<Json<PriceAnswer>, ApiError> {
    let params = PriceParams::parse(query.as_deref())?;
    let Some(model) = params.model else {
        return Err(ApiError::invalid(
            "model",
            "parameter 'model' is required, such as model=gpt-4o or model=gpt-4o-2024-11-20",
        ));
    };
    let deployment_type = params
        .deployment
        .map_or(DeploymentType::Global, |sku| sku.deployment_type);
    let tier = params
        .tier
        .or(params.deployment.and_then(|sku| sku.tier))
        .unwrap_or(Tier::Standard);
    let at = params.at.unwrap_or_else(Utc::now);

    let (loaded, provenance) = provenance(&state);
    let quote = loaded.catalog.price(&PriceQuery {
        model,
        deployment_type,
        tier,
        region: params.region.unwrap_or_else(|| DEFAULT_REGION.to_owned()),
        currency: params.currency.unwrap_or(Currency::USD),
        at,
        context_band: params.context_band,
    })?;

    let text = quote.text_prices();
    Ok(Json(PriceAnswer {
        model: quote.model,
        version: quote.version,
        version_match: quote.version_match,
        deployment_type: quote.deployment_type,
        tier: quote.tier,
        region: quote.region,
        currency: quote.currency,
        per_tokens: PER_TOKENS,
        input: text.input,
        cached_input: text.cached_input,
        output: text.output,
        prices: quote
            .prices
            .iter()
            .map(|(kind, price)| (*kind, price.normalize().to_string()))
            .collect(),
        context_band: quote.context_band,
        effective_from: quote.effective_from,
        at,
        meters: quote.meters,
        provenance,
    }))
}

#[derive(Debug, Serialize)]
pub struct ListAnswer<'a> {
    count: usize,
    per_tokens: u64,
    prices: Vec<&'a PriceEntry>,
    #[serde(flatten)]
    provenance: Provenance,
}

/// `GET /api/prices`: every price that passes the filters, in force at `at` (default now).
pub async fn list(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<serde_json::Value>, ApiError> {
    let params = PriceParams::parse(query.as_deref())?;
    let (loaded, provenance) = provenance(&state);
    let tier = params.tier.or(params.deployment.and_then(|sku| sku.tier));
    let filter = PriceFilter {
        model: params.model.as_ref().map(|key| key.name.clone()),
        version: params.model.as_ref().and_then(|key| key.version),
        deployment_type: params.deployment.map(|sku| sku.deployment_type),
        tier,
        region: params.region,
        currency: params.currency,
        context_band: params.context_band,
        at: Some(params.at.unwrap_or_else(Utc::now)),
    };
    if let Some(model) = &filter.model
        && !loaded.catalog.model_names().any(|name| name == model)
    {
        return Err(ApiError::NotFound(format!("unknown model '{model}'")));
    }
    let prices = loaded.catalog.list(&filter);
    let answer = ListAnswer {
        count: prices.len(),
        per_tokens: PER_TOKENS,
        prices,
        provenance,
    };
    to_json(answer)
}

#[derive(Debug, Serialize)]
struct RejectedAnswer<'a> {
    count: usize,
    stats: aoai_catalog::CatalogStats,
    rejected: &'a [RejectedRow],
    #[serde(flatten)]
    provenance: Provenance,
}

/// `GET /api/prices/rejected`: the rows that were not understood, with reasons.
pub async fn rejected(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<serde_json::Value>, ApiError> {
    collect(query.as_deref(), &[])?;
    let (loaded, provenance) = provenance(&state);
    let answer = RejectedAnswer {
        count: loaded.catalog.rejected().len(),
        stats: loaded.catalog.stats(),
        rejected: loaded.catalog.rejected(),
        provenance,
    };
    to_json(answer)
}

/// Serializes a response body that borrows from the catalog.
fn to_json(body: impl Serialize) -> Result<Json<serde_json::Value>, ApiError> {
    serde_json::to_value(body)
        .map(Json)
        .map_err(|error| ApiError::Internal(format!("failed to serialize the response body: {error}")))
}
