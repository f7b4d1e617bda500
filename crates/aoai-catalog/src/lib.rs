//! The Azure OpenAI price catalog: Retail Prices API rows turned into exact token
//! prices with their histories, looked up by model, deployment, tier, region,
//! currency and time.

pub mod catalog;
pub mod currency;
pub mod entry;
pub mod http;
pub mod normalize;
pub mod overrides;
pub mod page;
pub mod retail;
pub mod snapshot;
pub mod sources;

pub use catalog::{Catalog, LookupError, PriceFilter, PriceKey, PriceQuery, PriceQuote, VersionMatch, price_key};
pub use entry::{CatalogStats, Conversion, PriceEntry, PriceOrigin, RejectedRow};
