//! The rows of a built catalog.

use aoai_core::{ContextBand, Currency, DeploymentType, ModelKey, Price, Tier, TokenKind};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The source a price was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PriceOrigin {
    /// The Azure Retail Prices API, fetched live.
    RetailApi,
    /// The public Azure OpenAI pricing page, fetched live.
    PricingPage,
    /// The Retail Prices rows bundled in the binary.
    Snapshot,
}

impl PriceOrigin {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RetailApi => "retail-api",
            Self::PricingPage => "pricing-page",
            Self::Snapshot => "snapshot",
        }
    }
}

impl std::fmt::Display for PriceOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The conversion of a price from the currency it was published in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversion {
    pub from: Currency,
    /// Units of the price's currency per unit of `from`.
    #[serde(with = "rust_decimal::serde::str")]
    pub rate: Decimal,
    /// When the rate was fetched.
    pub rate_date: DateTime<Utc>,
}

/// One token price, in force from `effective_from` until `effective_to` (exclusive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceEntry {
    /// ARM region name, such as `eastus2`.
    pub region: String,
    pub model: ModelKey,
    pub deployment_type: DeploymentType,
    pub tier: Tier,
    pub kind: TokenKind,
    /// The prompt-length band, for models whose price depends on it.
    pub context_band: Option<ContextBand>,
    pub currency: Currency,
    /// Price per 1,000,000 tokens.
    #[serde(with = "rust_decimal::serde::str")]
    pub price: Price,
    pub effective_from: DateTime<Utc>,
    /// When a later price replaced this one, or the row's own end date; `None` while in force.
    pub effective_to: Option<DateTime<Utc>>,
    /// The Retail Prices meter, or the pricing page row, the price came from.
    pub meter_name: String,
    pub origin: PriceOrigin,
    /// Set when the price was converted from another currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversion: Option<Conversion>,
}

impl PriceEntry {
    /// True when the price applies at `at`.
    pub fn in_force_at(&self, at: DateTime<Utc>) -> bool {
        self.effective_from <= at && self.effective_to.is_none_or(|end| at < end)
    }
}

/// A Retail Prices row that the catalog did not turn into a price, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedRow {
    pub meter_name: String,
    pub product_name: String,
    pub region: String,
    pub unit_of_measure: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub retail_price: Decimal,
    pub reason: String,
}

/// Counts of what a catalog build did with its rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogStats {
    /// Azure OpenAI rows read.
    pub rows: usize,
    /// Base inference token prices kept.
    pub token_prices: usize,
    /// Fine-tune, training, grader and reinforcement fine-tune token prices, kept out of inference prices.
    pub non_inference: usize,
    /// Hourly prices: provisioned throughput, hosting and training hours.
    pub hourly: usize,
    /// Prices per image, second, session, call, gigabyte-day or character.
    pub other_units: usize,
    /// Rows repeated verbatim across snapshots and merged.
    pub duplicates: usize,
    pub rejected: usize,
}
