//! A catalog of Azure OpenAI token prices with their histories, and lookups into it.

mod build;
mod closest;
mod combine;
mod lookup;
mod saved;

use std::collections::{BTreeSet, HashMap};

use aoai_core::Currency;

use crate::entry::{CatalogStats, PriceEntry, RejectedRow};
pub use combine::{PriceKey, price_key};
pub use lookup::{LookupError, PriceFilter, PriceQuery, PriceQuote, VersionMatch};

/// Token prices indexed by model name, with the rows that were rejected.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    entries: Vec<PriceEntry>,
    /// Indices into `entries` for each canonical model name.
    by_model: HashMap<String, Vec<usize>>,
    rejected: Vec<RejectedRow>,
    stats: CatalogStats,
    regions: BTreeSet<String>,
    currencies: BTreeSet<Currency>,
}

impl Catalog {
    fn from_parts(entries: Vec<PriceEntry>, rejected: Vec<RejectedRow>, stats: CatalogStats) -> Catalog {
        let mut by_model: HashMap<String, Vec<usize>> = HashMap::new();
        let mut regions = BTreeSet::new();
        let mut currencies = BTreeSet::new();
        for (index, entry) in entries.iter().enumerate() {
            by_model.entry(entry.model.name.clone()).or_default().push(index);
            regions.insert(entry.region.clone());
            currencies.insert(entry.currency);
        }
        Catalog {
            entries,
            by_model,
            rejected,
            stats,
            regions,
            currencies,
        }
    }

    pub fn entries(&self) -> &[PriceEntry] {
        &self.entries
    }

    pub fn rejected(&self) -> &[RejectedRow] {
        &self.rejected
    }

    pub fn stats(&self) -> CatalogStats {
        self.stats
    }

    pub fn regions(&self) -> impl Iterator<Item = &str> {
        self.regions.iter().map(String::as_str)
    }

    pub fn currencies(&self) -> impl Iterator<Item = Currency> + '_ {
        self.currencies.iter().copied()
    }

    pub fn model_names(&self) -> impl Iterator<Item = &str> {
        self.by_model.keys().map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn model_entries(&self, name: &str) -> impl Iterator<Item = &PriceEntry> {
        self.by_model
            .get(name)
            .into_iter()
            .flatten()
            .map(|index| &self.entries[*index])
    }
}
