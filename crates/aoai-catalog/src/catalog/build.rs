//! Builds a catalog from Retail Prices rows, merging snapshots into price histories.

use std::collections::{BTreeSet, HashMap};

use aoai_core::{ContextBand, Currency, DeploymentType, Tier, TokenKind};
use chrono::{DateTime, Utc};

use super::Catalog;
use crate::entry::{CatalogStats, PriceEntry, PriceOrigin, RejectedRow};
use crate::normalize::{MeterClass, classify};
use crate::retail::RetailItem;

type HistoryKey = (
    String,
    String,
    Option<chrono::NaiveDate>,
    DeploymentType,
    Tier,
    TokenKind,
    Option<ContextBand>,
    Currency,
);

/// A token price before its history is merged, with the batch it came from.
struct Candidate {
    entry: PriceEntry,
    batch: usize,
    /// The source row, kept to report it if the price turns out to be ambiguous.
    row: RejectedRow,
}

impl Catalog {
    /// Builds a catalog from batches of rows, each with the time it was fetched, oldest first.
    ///
    /// The Retail Prices API returns only the prices in force when it is asked, each with
    /// its start date. Rows of the same key from several batches form that key's history:
    /// each price ends where the next one starts, and a price missing from a later batch
    /// that covers its region ends when that batch was fetched. Two rows of one batch with
    /// the same key and start but different prices cannot be distinguished, so both are rejected.
    pub fn build<I>(batches: I) -> Catalog
    where
        I: IntoIterator<Item = (DateTime<Utc>, Vec<RetailItem>)>,
    {
        let mut stats = CatalogStats::default();
        let mut rejected = Vec::new();
        let mut groups: HashMap<HistoryKey, Vec<Candidate>> = HashMap::new();
        let mut coverage: Vec<(DateTime<Utc>, BTreeSet<String>)> = Vec::new();

        for (batch, (fetched_at, items)) in batches.into_iter().enumerate() {
            let regions = items
                .iter()
                .map(|item| item.arm_region_name.to_ascii_lowercase())
                .collect();
            coverage.push((fetched_at, regions));
            for item in items.into_iter().filter(RetailItem::is_azure_openai) {
                stats.rows += 1;
                match to_candidate(&item, batch, &mut stats) {
                    Ok(Some(candidate)) => {
                        let entry = &candidate.entry;
                        let key = (
                            entry.region.clone(),
                            entry.model.name.clone(),
                            entry.model.version,
                            entry.deployment_type,
                            entry.tier,
                            entry.kind,
                            entry.context_band,
                            entry.currency,
                        );
                        groups.entry(key).or_default().push(candidate);
                    }
                    Ok(None) => {}
                    Err(reason) => rejected.push(reject(&item, reason)),
                }
            }
        }

        let mut entries = Vec::new();
        for (_, candidates) in groups {
            merge_history(candidates, &coverage, &mut entries, &mut rejected, &mut stats);
        }
        entries.sort_by(|a, b| {
            (
                &a.model,
                &a.region,
                a.deployment_type,
                a.tier,
                a.context_band,
                a.kind,
                a.effective_from,
            )
                .cmp(&(
                    &b.model,
                    &b.region,
                    b.deployment_type,
                    b.tier,
                    b.context_band,
                    b.kind,
                    b.effective_from,
                ))
        });
        rejected.sort_by(|a, b| (&a.meter_name, &a.region).cmp(&(&b.meter_name, &b.region)));
        stats.token_prices = entries.len();
        stats.rejected = rejected.len();
        Catalog::from_parts(entries, rejected, stats)
    }
}

/// Classifies `item` once: a token price becomes a candidate, any other class is
/// counted in `stats` and gives `None`.
fn to_candidate(item: &RetailItem, batch: usize, stats: &mut CatalogStats) -> Result<Option<Candidate>, String> {
    let meter = match classify(item)? {
        MeterClass::Token(meter) => meter,
        MeterClass::NonInference { .. } => {
            stats.non_inference += 1;
            return Ok(None);
        }
        MeterClass::Hourly { .. } => {
            stats.hourly += 1;
            return Ok(None);
        }
        MeterClass::Other { .. } => {
            stats.other_units += 1;
            return Ok(None);
        }
    };
    if item.arm_region_name.is_empty() {
        return Err("row has no region (armRegionName is empty)".to_owned());
    }
    if item.price_type != "Consumption" && !item.price_type.is_empty() {
        return Err(format!("price type '{}' is not Consumption", item.price_type));
    }
    let currency: Currency = item
        .currency_code
        .parse()
        .map_err(|_| format!("currency code '{}' is not an ISO 4217 code", item.currency_code))?;
    Ok(Some(Candidate {
        entry: PriceEntry {
            region: item.arm_region_name.to_ascii_lowercase(),
            model: meter.model,
            deployment_type: meter.deployment_type,
            tier: meter.tier,
            kind: meter.kind,
            context_band: meter.context_band,
            currency,
            price: meter.price_per_million,
            effective_from: item.effective_start_date,
            effective_to: item.effective_end_date,
            meter_name: item.meter_name.clone(),
            origin: PriceOrigin::RetailApi,
            conversion: None,
        },
        batch,
        row: reject(item, String::new()),
    }))
}

fn reject(item: &RetailItem, reason: String) -> RejectedRow {
    RejectedRow {
        meter_name: item.meter_name.clone(),
        product_name: item.product_name.clone(),
        region: item.arm_region_name.clone(),
        unit_of_measure: item.unit_of_measure.clone(),
        retail_price: item.retail_price,
        reason,
    }
}

/// Orders one key's prices by start date and ends each where the next begins.
fn merge_history(
    mut candidates: Vec<Candidate>,
    coverage: &[(DateTime<Utc>, BTreeSet<String>)],
    entries: &mut Vec<PriceEntry>,
    rejected: &mut Vec<RejectedRow>,
    stats: &mut CatalogStats,
) {
    candidates.sort_by_key(|candidate| (candidate.entry.effective_from, candidate.batch));

    let mut kept: Vec<Candidate> = Vec::with_capacity(candidates.len());
    let mut ambiguous_starts = BTreeSet::new();
    for candidate in candidates {
        let Some(last) = kept.last_mut() else {
            kept.push(candidate);
            continue;
        };
        if last.entry.effective_from != candidate.entry.effective_from {
            kept.push(candidate);
            continue;
        }
        if last.entry.price == candidate.entry.price {
            stats.duplicates += 1;
            if candidate.batch > last.batch {
                *last = candidate;
            }
        } else if candidate.batch > last.batch {
            // A later snapshot re-listed the same start with a new price; the later one is Azure's current word.
            *last = candidate;
        } else {
            ambiguous_starts.insert(candidate.entry.effective_from);
            rejected.push(ambiguous(candidate.row, &last.entry.meter_name));
        }
    }
    kept.retain(|candidate| {
        let keep = !ambiguous_starts.contains(&candidate.entry.effective_from);
        if !keep {
            rejected.push(ambiguous(candidate.row.clone(), &candidate.entry.meter_name));
        }
        keep
    });

    let starts: Vec<_> = kept.iter().map(|candidate| candidate.entry.effective_from).collect();
    let count = kept.len();
    for (index, candidate) in kept.into_iter().enumerate() {
        let mut entry = candidate.entry;
        let next_start = match starts.get(index + 1) {
            Some(start) => Some(*start),
            // NOTE: the real end lies somewhere between the two fetches. The later fetch time
            // is the latest it can be, so the price is not served past it.
            None if index + 1 == count => dropped_at(candidate.batch, &entry.region, coverage),
            None => None,
        };
        if let Some(end) = next_start {
            entry.effective_to = Some(entry.effective_to.map_or(end, |own| own.min(end)));
        }
        entries.push(entry);
    }
}

/// Returns the fetch time of the first batch after `batch` that covers `region`, because
/// a price absent from that batch was no longer listed then.
fn dropped_at(batch: usize, region: &str, coverage: &[(DateTime<Utc>, BTreeSet<String>)]) -> Option<DateTime<Utc>> {
    coverage
        .iter()
        .skip(batch + 1)
        .find(|(_, regions)| regions.contains(region))
        .map(|(fetched_at, _)| *fetched_at)
}

fn ambiguous(mut row: RejectedRow, other_meter: &str) -> RejectedRow {
    row.reason = if row.meter_name == other_meter {
        "another meter prices the same model, deployment type, tier, token kind and start date differently".to_owned()
    } else {
        format!(
            "meter '{other_meter}' prices the same model, deployment type, tier, token kind and start date differently"
        )
    };
    row
}
