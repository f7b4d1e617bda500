//! Catalogs made from other catalogs: relabelled, converted to another currency, or
//! filled with the keys a first source lacks.

use std::collections::HashSet;

use aoai_core::{ContextBand, Currency, DeploymentType, ModelVersion, Tier, TokenKind};

use super::Catalog;
use crate::currency::{ConversionError, ExchangeRates};
use crate::entry::{CatalogStats, PriceEntry, PriceOrigin, RejectedRow};

/// The identity of a price apart from its amount and dates.
pub type PriceKey = (
    String,
    String,
    Option<ModelVersion>,
    DeploymentType,
    Tier,
    TokenKind,
    Option<ContextBand>,
    Currency,
);

/// Returns the key that `entry` prices.
pub fn price_key(entry: &PriceEntry) -> PriceKey {
    (
        entry.region.clone(),
        entry.model.name.clone(),
        entry.model.version,
        entry.deployment_type,
        entry.tier,
        entry.kind,
        entry.context_band,
        entry.currency,
    )
}

impl Catalog {
    /// Builds a catalog from prices that are already merged into histories.
    pub fn from_entries(entries: Vec<PriceEntry>, rejected: Vec<RejectedRow>, stats: CatalogStats) -> Catalog {
        Catalog::from_parts(entries, rejected, stats)
    }

    /// Returns the catalog with every price marked as coming from `origin`.
    pub fn with_origin(self, origin: PriceOrigin) -> Catalog {
        let Catalog {
            mut entries,
            rejected,
            stats,
            ..
        } = self;
        for entry in &mut entries {
            entry.origin = origin;
        }
        Catalog::from_parts(entries, rejected, stats)
    }

    /// Converts every price to `to` with `rates`. Prices already in `to` are kept as they are.
    pub fn converted(&self, to: Currency, rates: &ExchangeRates) -> Result<Catalog, ConversionError> {
        let entries = self
            .entries
            .iter()
            .map(|entry| rates.convert_entry(entry, to))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Catalog::from_parts(entries, self.rejected.clone(), self.stats))
    }

    /// Adds every history of `fallback` whose key this catalog does not price.
    ///
    /// The keys this catalog prices keep their own history whole; `fallback` only fills
    /// gaps, so a source is never mixed with another within one key. A price here without
    /// a version covers every version of its key, so `fallback` adds no versioned price
    /// beside it, which the lookup would otherwise prefer.
    pub fn filled_from(self, fallback: &Catalog) -> Catalog {
        let Catalog {
            mut entries,
            mut rejected,
            mut stats,
            ..
        } = self;
        let known: HashSet<PriceKey> = entries.iter().map(price_key).collect();
        let before = entries.len();
        entries.extend(
            fallback
                .entries
                .iter()
                .filter(|entry| {
                    let key = price_key(entry);
                    let mut any_version = key.clone();
                    any_version.2 = None;
                    !known.contains(&key) && !known.contains(&any_version)
                })
                .cloned(),
        );
        stats.token_prices += entries.len() - before;
        rejected.extend(fallback.rejected.iter().cloned());
        stats.rejected = rejected.len();
        Catalog::from_parts(entries, rejected, stats)
    }
}
