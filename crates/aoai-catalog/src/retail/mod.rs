//! The Azure Retail Prices API: its wire model and an HTTP client.

mod files;
mod item;

pub use files::{ReadError, parse_items};
pub use item::{RetailItem, RetailPage};
