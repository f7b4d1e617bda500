//! The Azure Retail Prices API: its wire model and an HTTP client.

mod client;
mod files;
pub(crate) mod item;

pub use client::{
    API_VERSION, ConfigError, DEFAULT_BASE_URL, DEFAULT_MAX_PAGES, DEFAULT_REQUEST_TIMEOUT, DEFAULT_RETRY_BUDGET,
    DEFAULT_SERVICE_NAME, FetchError, FetchOutcome, RetailClient, RetailClientOptions,
};
pub use files::{ReadError, parse_items};
pub(crate) use item::parse_decimal_literal;
pub use item::{RetailItem, RetailPage};
