//! Finds the one price that applies to a model, deployment, tier, region, currency and time.

use std::collections::{BTreeMap, BTreeSet};

use aoai_core::{ContextBand, Currency, DeploymentType, ModelKey, ModelVersion, Price, TextPrices, Tier, TokenKind};
use chrono::{DateTime, Utc};

use super::Catalog;
use super::closest::closest;
use crate::entry::{Conversion, PriceEntry, PriceOrigin};

/// A price request. Every field is explicit, so defaults are the caller's choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceQuery {
    /// The model and, optionally, the version; without a version the newest is used.
    pub model: ModelKey,
    pub deployment_type: DeploymentType,
    pub tier: Tier,
    pub region: String,
    pub currency: Currency,
    pub at: DateTime<Utc>,
    /// The prompt-length band; the short band is used when the model has bands and this is `None`.
    pub context_band: Option<ContextBand>,
}

/// The relation between the returned version and the requested one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionMatch {
    /// The meters name the version that was asked for.
    Exact,
    /// No version was asked for, and the newest priced version was used.
    Newest,
    /// The meters name no version and price every version of the model alike.
    AnyVersion,
}

/// The prices that apply to one query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceQuote {
    pub model: String,
    /// The version the prices are for; `None` when the meters price every version alike.
    pub version: Option<ModelVersion>,
    pub version_match: VersionMatch,
    pub deployment_type: DeploymentType,
    pub tier: Tier,
    pub region: String,
    pub currency: Currency,
    pub context_band: Option<ContextBand>,
    /// Every token kind priced for the key, per 1,000,000 tokens.
    pub prices: BTreeMap<TokenKind, Price>,
    /// The latest start date among the prices used.
    pub effective_from: DateTime<Utc>,
    /// The meters the prices came from.
    pub meters: Vec<String>,
    /// The sources the prices were read from.
    pub origins: Vec<PriceOrigin>,
    /// The start of the time span around the query's time in which this same quote
    /// applies: no price of the key starts or ends inside `[valid_from, valid_until)`.
    pub valid_from: DateTime<Utc>,
    /// The end of that span, exclusive; `None` while no later change is known.
    pub valid_until: Option<DateTime<Utc>>,
    /// Set when the prices were converted from another currency.
    pub conversion: Option<Conversion>,
}

impl PriceQuote {
    pub fn text_prices(&self) -> TextPrices {
        TextPrices {
            input: self.prices.get(&TokenKind::Input).copied(),
            cached_input: self.prices.get(&TokenKind::CachedInput).copied(),
            output: self.prices.get(&TokenKind::Output).copied(),
        }
    }
}

/// The reason no price was found. Each variant names the values that are known instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    #[error("unknown model '{model}'{}", suggest(closest))]
    UnknownModel { model: String, closest: Vec<String> },
    #[error("unknown region '{region}'{}", suggest(closest))]
    UnknownRegion { region: String, closest: Vec<String> },
    #[error("no prices in currency '{currency}'; available: {}", available.join(", "))]
    UnknownCurrency { currency: String, available: Vec<String> },
    #[error(
        "unknown version {version} of model '{model}'; priced versions: {}",
        list_or_none(known)
    )]
    UnknownVersion {
        model: String,
        version: String,
        known: Vec<String>,
    },
    #[error("no price for {what}; {available}")]
    NoPrice { what: String, available: String },
    /// The key is priced, but only from a time after the one asked for.
    #[error("no price for {what}; the earliest price starts at {}", earliest.to_rfc3339())]
    BeforeFirstPrice { what: String, earliest: DateTime<Utc> },
}

fn suggest(closest: &[String]) -> String {
    if closest.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", closest.join(", "))
    }
}

fn list_or_none(values: &[String]) -> String {
    if values.is_empty() {
        "none".to_owned()
    } else {
        values.join(", ")
    }
}

/// Optional filters for listing prices.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PriceFilter {
    pub model: Option<String>,
    pub version: Option<ModelVersion>,
    pub deployment_type: Option<DeploymentType>,
    pub tier: Option<Tier>,
    pub region: Option<String>,
    pub currency: Option<Currency>,
    pub context_band: Option<ContextBand>,
    /// Only prices in force at this time; all of each history when `None`.
    pub at: Option<DateTime<Utc>>,
}

impl Catalog {
    /// Finds the prices in force for `query`.
    pub fn price(&self, query: &PriceQuery) -> Result<PriceQuote, LookupError> {
        self.check_known(query)?;
        let name = query.model.name.as_str();

        let in_region: Vec<&PriceEntry> = self
            .model_entries(name)
            .filter(|entry| entry.region == query.region && entry.currency == query.currency)
            .collect();
        if in_region.is_empty() {
            return Err(self.no_price_in_region(query));
        }

        let matching: Vec<&PriceEntry> = in_region
            .iter()
            .copied()
            .filter(|entry| entry.deployment_type == query.deployment_type && entry.tier == query.tier)
            .collect();
        if matching.is_empty() {
            return Err(LookupError::NoPrice {
                what: describe(query),
                available: format!("'{name}' in {} is priced for: {}", query.region, offered(&in_region)),
            });
        }

        let in_force: Vec<&PriceEntry> = matching
            .iter()
            .copied()
            .filter(|entry| entry.in_force_at(query.at))
            .collect();
        if in_force.is_empty() {
            let what = format!("{} at {}", describe(query), query.at.to_rfc3339());
            let earliest = matching.iter().map(|entry| entry.effective_from).min();
            return Err(match earliest {
                Some(earliest) if earliest > query.at => LookupError::BeforeFirstPrice { what, earliest },
                _ => LookupError::NoPrice {
                    what,
                    available: "every price of this key ended before that time".to_owned(),
                },
            });
        }

        let (valid_from, valid_until) = validity(&matching, query.at);
        let (version, version_match, chosen) = self.choose_version(query, &in_force)?;
        let (context_band, chosen) = choose_band(query.context_band, chosen);
        if chosen.is_empty() {
            return Err(LookupError::NoPrice {
                what: describe(query),
                available: format!(
                    "no prices in the {} context band",
                    query.context_band.unwrap_or(ContextBand::Short)
                ),
            });
        }

        let mut prices = BTreeMap::new();
        let mut meters = Vec::new();
        let mut origins = BTreeSet::new();
        let mut conversion = None;
        let mut effective_from = chosen[0].effective_from;
        for entry in chosen {
            prices.insert(entry.kind, entry.price);
            meters.push(entry.meter_name.clone());
            origins.insert(entry.origin);
            conversion = conversion.or(entry.conversion);
            effective_from = effective_from.max(entry.effective_from);
        }
        meters.sort();
        meters.dedup();

        Ok(PriceQuote {
            model: name.to_owned(),
            version,
            version_match,
            deployment_type: query.deployment_type,
            tier: query.tier,
            region: query.region.clone(),
            currency: query.currency,
            context_band,
            prices,
            effective_from,
            meters,
            origins: origins.into_iter().collect(),
            conversion,
            valid_from,
            valid_until,
        })
    }

    /// Lists the prices that pass `filter`, in catalog order.
    pub fn list(&self, filter: &PriceFilter) -> Vec<&PriceEntry> {
        let matches = |entry: &&PriceEntry| {
            filter
                .version
                .is_none_or(|version| entry.model.version == Some(version))
                && filter
                    .deployment_type
                    .is_none_or(|value| entry.deployment_type == value)
                && filter.tier.is_none_or(|value| entry.tier == value)
                && filter.region.as_ref().is_none_or(|value| &entry.region == value)
                && filter.currency.is_none_or(|value| entry.currency == value)
                && filter
                    .context_band
                    .is_none_or(|value| entry.context_band == Some(value))
                && filter.at.is_none_or(|at| entry.in_force_at(at))
        };
        match &filter.model {
            Some(name) => self.model_entries(name).filter(matches).collect(),
            None => self.entries.iter().filter(matches).collect(),
        }
    }

    /// Checks that the catalog prices `name` somewhere.
    pub fn check_model(&self, name: &str) -> Result<(), LookupError> {
        if self.by_model.contains_key(name) {
            return Ok(());
        }
        Err(LookupError::UnknownModel {
            model: name.to_owned(),
            closest: closest(name, self.model_names()),
        })
    }

    /// Checks that the catalog has prices in `region`.
    pub fn check_region(&self, region: &str) -> Result<(), LookupError> {
        if self.regions.contains(region) {
            return Ok(());
        }
        Err(LookupError::UnknownRegion {
            region: region.to_owned(),
            closest: closest(region, self.regions()),
        })
    }

    /// Checks the model, region and currency exist anywhere in the catalog.
    pub fn check_known(&self, query: &PriceQuery) -> Result<(), LookupError> {
        if !self.by_model.contains_key(&query.model.name) {
            return Err(LookupError::UnknownModel {
                model: query.model.name.clone(),
                closest: closest(&query.model.name, self.model_names()),
            });
        }
        if !self.currencies.contains(&query.currency) {
            return Err(LookupError::UnknownCurrency {
                currency: query.currency.to_string(),
                available: self.currencies.iter().map(ToString::to_string).collect(),
            });
        }
        if !self.regions.contains(&query.region) {
            return Err(LookupError::UnknownRegion {
                region: query.region.clone(),
                closest: closest(&query.region, self.regions()),
            });
        }
        Ok(())
    }

    fn no_price_in_region(&self, query: &PriceQuery) -> LookupError {
        let regions: BTreeSet<&str> = self
            .model_entries(&query.model.name)
            .filter(|entry| entry.currency == query.currency)
            .map(|entry| entry.region.as_str())
            .collect();
        let mut listed: Vec<&str> = regions.into_iter().collect();
        let more = listed.len().saturating_sub(12);
        listed.truncate(12);
        let tail = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        LookupError::NoPrice {
            what: format!(
                "'{}' in region {} in {}",
                query.model.name, query.region, query.currency
            ),
            available: format!(
                "regions with prices for it: {}{tail}",
                list_or_none(&listed.iter().map(|r| r.to_string()).collect::<Vec<_>>())
            ),
        }
    }

    /// Picks the prices of the requested or newest version. A meter without a version
    /// prices every version, so it fills any token kind the versioned meters lack.
    fn choose_version<'a>(
        &self,
        query: &PriceQuery,
        in_force: &[&'a PriceEntry],
    ) -> Result<(Option<ModelVersion>, VersionMatch, Vec<&'a PriceEntry>), LookupError> {
        let versions: BTreeSet<ModelVersion> = in_force.iter().filter_map(|entry| entry.model.version).collect();
        let unversioned: Vec<&PriceEntry> = in_force
            .iter()
            .copied()
            .filter(|entry| entry.model.version.is_none())
            .collect();

        let (version, version_match) = match query.model.version {
            Some(wanted) if versions.contains(&wanted) => (Some(wanted), VersionMatch::Exact),
            Some(_) if !unversioned.is_empty() => return Ok((None, VersionMatch::AnyVersion, unversioned)),
            Some(wanted) => {
                let known: BTreeSet<ModelVersion> = self
                    .model_entries(&query.model.name)
                    .filter_map(|entry| entry.model.version)
                    .collect();
                return Err(LookupError::UnknownVersion {
                    model: query.model.name.clone(),
                    version: wanted.to_string(),
                    known: known.iter().map(ToString::to_string).collect(),
                });
            }
            None => match versions.last() {
                Some(newest) => (Some(*newest), VersionMatch::Newest),
                None => return Ok((None, VersionMatch::AnyVersion, unversioned)),
            },
        };

        let mut chosen: Vec<&PriceEntry> = in_force
            .iter()
            .copied()
            .filter(|entry| entry.model.version == version)
            .collect();
        let covered: BTreeSet<(TokenKind, Option<ContextBand>)> =
            chosen.iter().map(|entry| (entry.kind, entry.context_band)).collect();
        chosen.extend(
            unversioned
                .into_iter()
                .filter(|entry| !covered.contains(&(entry.kind, entry.context_band))),
        );
        Ok((version, version_match, chosen))
    }
}

/// Returns the span around `at` in which the set of prices in force does not change: from
/// the last start or end at or before `at` to the first one after it.
fn validity(entries: &[&PriceEntry], at: DateTime<Utc>) -> (DateTime<Utc>, Option<DateTime<Utc>>) {
    let mut from = DateTime::<Utc>::MIN_UTC;
    let mut until: Option<DateTime<Utc>> = None;
    for boundary in entries
        .iter()
        .flat_map(|entry| std::iter::once(entry.effective_from).chain(entry.effective_to))
    {
        if boundary <= at {
            from = from.max(boundary);
        } else {
            until = Some(until.map_or(boundary, |current| current.min(boundary)));
        }
    }
    (from, until)
}

/// Keeps the prices of the requested band (short by default) where the model has bands.
/// A price without a band applies to every prompt length.
fn choose_band(wanted: Option<ContextBand>, entries: Vec<&PriceEntry>) -> (Option<ContextBand>, Vec<&PriceEntry>) {
    let banded = entries.iter().any(|entry| entry.context_band.is_some());
    if !banded {
        return (None, entries);
    }
    let band = wanted.unwrap_or(ContextBand::Short);
    let with_band: Vec<&PriceEntry> = entries
        .iter()
        .copied()
        .filter(|entry| entry.context_band == Some(band))
        .collect();
    let covered: BTreeSet<TokenKind> = with_band.iter().map(|entry| entry.kind).collect();
    let mut chosen = with_band;
    chosen.extend(
        entries
            .into_iter()
            .filter(|entry| entry.context_band.is_none() && !covered.contains(&entry.kind)),
    );
    (Some(band), chosen)
}

fn describe(query: &PriceQuery) -> String {
    format!(
        "'{}' {} {} in {} in {}",
        query.model, query.deployment_type, query.tier, query.region, query.currency
    )
}

fn offered(entries: &[&PriceEntry]) -> String {
    let pairs: BTreeSet<String> = entries
        .iter()
        .map(|entry| format!("{} {}", entry.deployment_type, entry.tier))
        .collect();
    pairs.into_iter().collect::<Vec<_>>().join(", ")
}
