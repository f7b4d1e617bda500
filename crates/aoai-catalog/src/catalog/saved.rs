//! A built catalog in a compact binary form (postcard), so that the bundled snapshot is
//! loaded at start-up without classifying its rows again.
//!
//! The form is not self-describing, so every field is written, in a struct of its own: the
//! JSON form of [`PriceEntry`] leaves out an absent conversion, which postcard cannot skip.
//! Prices are written as the 16 bytes of their decimal and times as epoch seconds, which
//! decode without parsing text.

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
    price: [u8; 16],
    effective_from: i64,
    effective_to: Option<i64>,
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
                    price: entry.price.serialize(),
                    effective_from: seconds(entry.effective_from, &entry.meter_name)?,
                    effective_to: entry
                        .effective_to
                        .map(|time| seconds(time, &entry.meter_name))
                        .transpose()?,
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
        let time = |seconds: i64| {
            DateTime::<Utc>::from_timestamp(seconds, 0)
                .ok_or_else(|| format!("the saved catalog has a time out of range: {seconds}"))
        };
        let entries = saved
            .entries
            .into_iter()
            .map(|entry| {
                Ok(PriceEntry {
                    region: entry.region,
                    model: entry.model,
                    deployment_type: entry.deployment_type,
                    tier: entry.tier,
                    kind: entry.kind,
                    context_band: entry.context_band,
                    currency: entry.currency,
                    price: Decimal::deserialize(entry.price),
                    effective_from: time(entry.effective_from)?,
                    effective_to: entry.effective_to.map(time).transpose()?,
                    meter_name: entry.meter_name,
                    origin: entry.origin,
                    conversion: None,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Catalog::from_parts(entries, saved.rejected, saved.stats))
    }
}

/// Returns a price's time in whole epoch seconds, or an error when it has a fraction of a
/// second, which the saved form would lose.
fn seconds(time: DateTime<Utc>, meter_name: &str) -> Result<i64, String> {
    if time.timestamp_subsec_nanos() != 0 {
        return Err(format!(
            "price '{meter_name}' starts or ends within a second ({time}), which cannot be saved"
        ));
    }
    Ok(time.timestamp())
}
