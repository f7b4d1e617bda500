//! A built catalog in a compact binary form (postcard), so that the bundled snapshot is
//! loaded at start-up without classifying its rows again.
//!
//! The form is not self-describing, so every field is written, in a struct of its own: the
//! JSON form of [`PriceEntry`] leaves out an absent conversion, which postcard cannot skip.

use aoai_core::{ContextBand, Currency, DeploymentType, ModelKey, Tier, TokenKind};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::Catalog;
use crate::entry::{CatalogStats, PriceEntry, PriceOrigin, RejectedRow};

#[derive(Serialize, Deserialize)]
struct SavedEntry {
    region: String,
    model: ModelKey,
    deployment_type: DeploymentType,
    tier: Tier,
    kind: TokenKind,
    context_band: Option<ContextBand>,
    currency: Currency,
    #[serde(with = "rust_decimal::serde::str")]
    price: Decimal,
    effective_from: DateTime<Utc>,
    effective_to: Option<DateTime<Utc>>,
    meter_name: String,
    origin: PriceOrigin,
}

#[derive(Serialize, Deserialize)]
struct SavedCatalog {
    entries: Vec<SavedEntry>,
    rejected: Vec<RejectedRow>,
    stats: CatalogStats,
}

impl Catalog {
    /// Encodes the catalog. Converted prices are not saved: the form is for the bundled
    /// snapshot, whose prices are all the Retail Prices API's own.
    pub fn to_saved(&self) -> Result<Vec<u8>, String> {
        let entries = self
            .entries
            .iter()
            .map(|entry| {
                if entry.conversion.is_some() {
                    return Err(format!(
                        "price '{}' was converted and cannot be saved",
                        entry.meter_name
                    ));
                }
                Ok(SavedEntry {
                    region: entry.region.clone(),
                    model: entry.model.clone(),
                    deployment_type: entry.deployment_type,
                    tier: entry.tier,
                    kind: entry.kind,
                    context_band: entry.context_band,
                    currency: entry.currency,
                    price: entry.price,
                    effective_from: entry.effective_from,
                    effective_to: entry.effective_to,
                    meter_name: entry.meter_name.clone(),
                    origin: entry.origin,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let saved = SavedCatalog {
            entries,
            rejected: self.rejected.clone(),
            stats: self.stats,
        };
        postcard::to_allocvec(&saved).map_err(|error| format!("cannot encode the catalog: {error}"))
    }

    /// Decodes a catalog that [`Catalog::to_saved`] encoded.
    pub fn from_saved(bytes: &[u8]) -> Result<Catalog, String> {
        let saved: SavedCatalog =
            postcard::from_bytes(bytes).map_err(|error| format!("cannot decode the saved catalog: {error}"))?;
        let entries = saved
            .entries
            .into_iter()
            .map(|entry| PriceEntry {
                region: entry.region,
                model: entry.model,
                deployment_type: entry.deployment_type,
                tier: entry.tier,
                kind: entry.kind,
                context_band: entry.context_band,
                currency: entry.currency,
                price: entry.price,
                effective_from: entry.effective_from,
                effective_to: entry.effective_to,
                meter_name: entry.meter_name,
                origin: entry.origin,
                conversion: None,
            })
            .collect();
        Ok(Catalog::from_parts(entries, saved.rejected, saved.stats))
    }
}
