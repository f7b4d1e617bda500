//! `GET /api/prices/compare`: where the Retail Prices API and the pricing page disagree.

use std::collections::BTreeMap;

use aoai_catalog::{PriceEntry, PriceKey, PriceOrigin, price_key};
use aoai_core::{ContextBand, DeploymentType, ModelKey, Price, Tier, TokenKind};
use axum::Json;
use axum::extract::{RawQuery, State};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::AppState;
use super::error::ApiError;
use super::params::{PriceParams, collect};
use super::prices::{Provenance, to_json};

const PARAMETERS: &[&str] = &["model", "region", "at"];

/// One key priced differently by the two sources, in USD per 1,000,000 tokens.
#[derive(Debug, Serialize)]
struct Disagreement {
    region: String,
    model: String,
    version: Option<NaiveDate>,
    deployment_type: DeploymentType,
    tier: Tier,
    kind: TokenKind,
    context_band: Option<ContextBand>,
    #[serde(with = "rust_decimal::serde::str")]
    retail_api: Price,
    #[serde(with = "rust_decimal::serde::str")]
    pricing_page: Price,
    /// `pricing_page − retail_api`.
    #[serde(with = "rust_decimal::serde::str")]
    difference: Price,
    retail_meter: String,
    page_row: String,
}

#[derive(Debug, Serialize)]
struct CompareAnswer {
    currency: &'static str,
    per_tokens: u64,
    at: DateTime<Utc>,
    /// Keys both sources price, at the same amount.
    agreeing: usize,
    /// Keys only the Retail Prices API prices.
    only_retail_api: usize,
    /// Keys only the pricing page prices.
    only_pricing_page: usize,
    count: usize,
    disagreements: Vec<Disagreement>,
    #[serde(flatten)]
    provenance: Provenance,
}

#[derive(Default)]
struct Pair<'a> {
    retail: Option<&'a PriceEntry>,
    page: Option<&'a PriceEntry>,
}

/// Lists the keys the two live sources price differently, at `at` (default now).
pub async fn compare(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<serde_json::Value>, ApiError> {
    let values = collect(query.as_deref(), PARAMETERS)?;
    // The shared parser checks the model, region and time the same way the price routes do.
    let params = PriceParams::parse(query.as_deref())?;
    let model: Option<ModelKey> = values.get("model").and(params.model);

    let served = state.prices.comparison().await?;
    let at = params.at.unwrap_or_else(Utc::now);
    if let Some(key) = &model {
        served.loaded.catalog.check_model(&key.name)?;
    }
    if let Some(region) = &params.region {
        served.loaded.catalog.check_region(region)?;
    }
    let mut pairs: BTreeMap<PriceKey, Pair<'_>> = BTreeMap::new();
    for entry in served.loaded.catalog.entries() {
        if !entry.in_force_at(at)
            || params.region.as_ref().is_some_and(|region| &entry.region != region)
            || model.as_ref().is_some_and(|key| {
                key.name != entry.model.name || key.version.is_some_and(|version| entry.model.version != Some(version))
            })
        {
            continue;
        }
        let pair = pairs.entry(price_key(entry)).or_default();
        match entry.origin {
            PriceOrigin::PricingPage => pair.page = Some(entry),
            PriceOrigin::RetailApi | PriceOrigin::Snapshot => pair.retail = Some(entry),
        }
    }

    // A Retail Prices meter without a version prices every version, so it is compared
    // with each page row that names one.
    let unversioned: BTreeMap<PriceKey, &PriceEntry> = pairs
        .iter()
        .filter(|(key, _)| key.2.is_none())
        .filter_map(|(key, pair)| pair.retail.map(|retail| (key.clone(), retail)))
        .collect();
    let mut used_unversioned = std::collections::BTreeSet::new();
    for (key, pair) in &mut pairs {
        if pair.retail.is_none() && key.2.is_some() {
            let mut any_version = key.clone();
            any_version.2 = None;
            if let Some(retail) = unversioned.get(&any_version) {
                pair.retail = Some(retail);
                used_unversioned.insert(any_version);
            }
        }
    }

    let (mut agreeing, mut only_retail_api, mut only_pricing_page) = (0, 0, 0);
    let mut disagreements = Vec::new();
    for (key, pair) in &pairs {
        match (pair.retail, pair.page) {
            (Some(retail), Some(page)) if retail.price == page.price => agreeing += 1,
            (Some(retail), Some(page)) => disagreements.push(Disagreement {
                region: retail.region.clone(),
                model: retail.model.name.clone(),
                version: key.2,
                deployment_type: retail.deployment_type,
                tier: retail.tier,
                kind: retail.kind,
                context_band: retail.context_band,
                retail_api: retail.price,
                pricing_page: page.price,
                difference: (page.price - retail.price).normalize(),
                retail_meter: retail.meter_name.clone(),
                page_row: page.meter_name.clone(),
            }),
            // Already compared with the versioned page rows it covers.
            (Some(_), None) if used_unversioned.contains(key) => {}
            (Some(_), None) => only_retail_api += 1,
            (None, Some(_)) => only_pricing_page += 1,
            (None, None) => {}
        }
    }
    to_json(CompareAnswer {
        currency: "USD",
        per_tokens: aoai_core::PER_TOKENS,
        at,
        agreeing,
        only_retail_api,
        only_pricing_page,
        count: disagreements.len(),
        disagreements,
        provenance: Provenance::of(&served),
    })
}
