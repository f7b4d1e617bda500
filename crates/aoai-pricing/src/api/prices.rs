//! `GET /`, `/api/price`, `/api/prices` and `/api/prices/rejected`.

use std::collections::BTreeMap;

use aoai_catalog::overrides::Applied;
use aoai_catalog::sources::Served;
use aoai_catalog::{Conversion, PriceEntry, PriceFilter, PriceOrigin, PriceQuery, RejectedRow, VersionMatch};
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
pub struct Provenance {
    source: &'static str,
    as_of: DateTime<Utc>,
    stale: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<String>,
}

impl Provenance {
    pub fn of(served: &Served) -> Provenance {
        Provenance {
            source: served.loaded.source.as_str(),
            as_of: served.loaded.as_of,
            stale: served.stale,
            warnings: served.loaded.warnings.clone(),
        }
    }
}

/// Returns readiness for the Functions host's probe, without waiting for any fetch.
pub async fn ready(State(state): State<AppState>) -> Json<serde_json::Value> {
    let service = &state.prices;
    let mut body = serde_json::json!({
        "status": "ready",
        "configured_source": service.kind.as_str(),
        "default_currency": service.default_currency,
        "override_rules": service.overrides.rule_count(),
    });
    if let Some(served) = service
        .cache
        .peek(aoai_catalog::sources::CacheKey::Prices(service.default_currency))
    {
        let provenance = Provenance::of(&served);
        body["token_prices"] = serde_json::json!(served.loaded.catalog.stats().token_prices);
        body["source"] = serde_json::json!(provenance.source);
        body["as_of"] = serde_json::json!(provenance.as_of);
        body["stale"] = serde_json::json!(provenance.stale);
    }
    Json(body)
}

/// Prices per 1,000,000 tokens by token kind, as decimal strings.
#[derive(Debug, Serialize)]
struct PriceSet {
    #[serde(with = "rust_decimal::serde::str_option")]
    input: Option<Price>,
    #[serde(with = "rust_decimal::serde::str_option")]
    cached_input: Option<Price>,
    #[serde(with = "rust_decimal::serde::str_option")]
    output: Option<Price>,
    prices: BTreeMap<TokenKind, String>,
}

impl PriceSet {
    fn new(mut prices: BTreeMap<TokenKind, Price>) -> PriceSet {
        for price in prices.values_mut() {
            *price = price.normalize();
        }
        PriceSet {
            input: prices.get(&TokenKind::Input).copied(),
            cached_input: prices.get(&TokenKind::CachedInput).copied(),
            output: prices.get(&TokenKind::Output).copied(),
            prices: prices
                .iter()
                .map(|(kind, price)| (*kind, price.normalize().to_string()))
                .collect(),
        }
    }
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
    /// The prices charged: list prices after any negotiated overrides.
    #[serde(flatten)]
    effective: PriceSet,
    /// The list prices, before overrides.
    list: PriceSet,
    /// The override rule behind each price that differs from its list price.
    overrides: BTreeMap<TokenKind, Applied>,
    /// The rate and its date when the prices were converted from USD.
    #[serde(skip_serializing_if = "Option::is_none")]
    conversion: Option<Conversion>,
    origins: Vec<PriceOrigin>,
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
    let currency = params.currency.unwrap_or(state.prices.default_currency);
    let served = state.prices.catalog(currency).await?;
    // Read after the load, so that a catalog fetched for this request is in force at "now".
    let at = params.at.unwrap_or_else(Utc::now);
    let quote = served.loaded.catalog.price(&PriceQuery {
        model,
        deployment_type,
        tier,
        region: params.region.unwrap_or_else(|| DEFAULT_REGION.to_owned()),
        currency,
        at,
        context_band: params.context_band,
    })?;
    let effective = state.prices.overrides.apply(&quote);

    Ok(Json(PriceAnswer {
        model: quote.model,
        version: quote.version,
        version_match: quote.version_match,
        deployment_type: quote.deployment_type,
        tier: quote.tier,
        region: quote.region,
        currency: quote.currency,
        per_tokens: PER_TOKENS,
        effective: PriceSet::new(
            effective
                .prices
                .iter()
                .map(|(kind, price)| (*kind, price.price))
                .collect(),
        ),
        list: PriceSet::new(quote.prices),
        overrides: effective
            .prices
            .into_iter()
            .filter_map(|(kind, price)| price.applied.map(|applied| (kind, applied)))
            .collect(),
        conversion: quote.conversion,
        origins: quote.origins,
        context_band: quote.context_band,
        effective_from: quote.effective_from,
        at,
        meters: quote.meters,
        provenance: Provenance::of(&served),
    }))
}

/// A catalog price with the price charged after overrides.
#[derive(Debug, Serialize)]
struct ListedPrice<'a> {
    #[serde(flatten)]
    entry: &'a PriceEntry,
    /// The price charged: `price` after any negotiated override.
    #[serde(with = "rust_decimal::serde::str")]
    effective_price: Price,
    #[serde(skip_serializing_if = "Option::is_none")]
    r#override: Option<Applied>,
}

#[derive(Debug, Serialize)]
struct ListAnswer<'a> {
    count: usize,
    currency: Currency,
    per_tokens: u64,
    prices: Vec<ListedPrice<'a>>,
    #[serde(flatten)]
    provenance: Provenance,
}

/// `GET /api/prices`: every price that passes the filters, in force at `at` (default now).
pub async fn list(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<serde_json::Value>, ApiError> {
    let params = PriceParams::parse(query.as_deref())?;
    let currency = params.currency.unwrap_or(state.prices.default_currency);
    let served = state.prices.catalog(currency).await?;
    let catalog = &served.loaded.catalog;
    let tier = params.tier.or(params.deployment.and_then(|sku| sku.tier));
    let filter = PriceFilter {
        model: params.model.as_ref().map(|key| key.name.clone()),
        version: params.model.as_ref().and_then(|key| key.version),
        deployment_type: params.deployment.map(|sku| sku.deployment_type),
        tier,
        region: params.region,
        currency: Some(currency),
        context_band: params.context_band,
        at: Some(params.at.unwrap_or_else(Utc::now)),
    };
    if let Some(model) = &filter.model {
        catalog.check_model(model)?;
    }
    if let Some(region) = &filter.region {
        catalog.check_region(region)?;
    }
    let mut prices = Vec::new();
    for entry in catalog.list(&filter) {
        let effective = state.prices.overrides.apply_entry(entry);
        prices.push(ListedPrice {
            entry,
            effective_price: effective.price,
            r#override: effective.applied,
        });
    }
    to_json(ListAnswer {
        count: prices.len(),
        currency,
        per_tokens: PER_TOKENS,
        prices,
        provenance: Provenance::of(&served),
    })
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
    let served = state.prices.catalog(state.prices.default_currency).await?;
    let catalog = &served.loaded.catalog;
    to_json(RejectedAnswer {
        count: catalog.rejected().len(),
        stats: catalog.stats(),
        rejected: catalog.rejected(),
        provenance: Provenance::of(&served),
    })
}

/// Serializes a response body that borrows from the catalog.
pub fn to_json(body: impl Serialize) -> Result<Json<serde_json::Value>, ApiError> {
    serde_json::to_value(body)
        .map(Json)
        .map_err(|error| ApiError::Internal(format!("failed to serialize the response body: {error}")))
}
