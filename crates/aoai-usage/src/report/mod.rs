//! Per-user usage and exact cost over a period: `GET /api/usage`.

mod aggregate;
mod compress;
mod group;
mod measures;
mod params;
mod resolve;
mod response;
mod table;

pub use aggregate::{AggregateError, Aggregator, IMPOSSIBLE_COUNTS, Totals, aggregate, passes_filters};
pub use compress::{QueryCompressor, compressed_query_rows, price_changes};
pub use group::Dimension;
pub use params::{Format, ParamDefaults, ParamError, UsageParams, start_of_day};
pub use resolve::{Assumptions, Resolver, UNATTRIBUTED, Unpriced};
pub use response::{PriceProvenance, UsageJson, to_csv, to_json};
pub use table::to_table;
