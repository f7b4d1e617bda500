//! Price sources and the refresh of served catalogs.
//!
//! - `snapshot`: the rows bundled in the binary; no outside host is contacted.
//! - `retail-api`: the Azure Retail Prices API, in the asked currency.
//! - `pricing-page`: the public pricing page, in USD, converted with the published rates.
//! - `auto`: the Retail Prices API, then the pricing page for keys the API lacks, then the
//!   bundled snapshot for keys both lack.
//!
//! Live catalogs are cached per currency in memory for a time to live, refreshed in the
//! background while the old one keeps serving, and written to disk so that a restart does
//! not fall back to the bundled snapshot.

mod cache;
mod env;
mod live;
mod persist;
mod service;

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use aoai_core::Currency;
use chrono::{DateTime, Utc};

use crate::Catalog;
use crate::retail::RetailClientOptions;

pub use cache::{CacheKey, LoadFuture, Loader, PriceCache, Served};
pub use env::{PriceSettings, SettingError, VARIABLES};
pub use live::{DEFAULT_PAGE_URL, LiveLoader};
pub use persist::DiskCache;
pub use service::PriceService;

/// The configured origin of the served prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceKind {
    Snapshot,
    RetailApi,
    PricingPage,
    Auto,
}

impl SourceKind {
    pub const ALL: [SourceKind; 4] = [Self::Snapshot, Self::RetailApi, Self::PricingPage, Self::Auto];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Snapshot => "snapshot",
            Self::RetailApi => "retail-api",
            Self::PricingPage => "pricing-page",
            Self::Auto => "auto",
        }
    }

    /// True when the source fetches from an outside host.
    pub fn is_live(self) -> bool {
        self != Self::Snapshot
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for SourceKind {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        SourceKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == value.trim().to_ascii_lowercase())
            .ok_or_else(|| format!("one of {}", SourceKind::ALL.map(SourceKind::as_str).join(", ")))
    }
}

/// Everything needed to load prices from the configured source.
#[derive(Debug, Clone)]
pub struct SourceSettings {
    pub kind: SourceKind,
    /// The Retail Prices client's options; its currency is replaced by each asked currency.
    pub retail: RetailClientOptions,
    pub page_url: String,
    pub rates_url: String,
    /// How long a live catalog is served before it is refreshed.
    pub time_to_live: Duration,
    /// How long to wait after a failed refresh before trying again.
    pub retry_after_failure: Duration,
    /// Timeout of one request to the pricing page or the rates.
    pub request_timeout: Duration,
    /// The folder where the last good live catalogs are written; `None` keeps them in memory only.
    pub cache_dir: Option<PathBuf>,
}

impl SourceSettings {
    /// Settings for `kind` with the public addresses and default timings.
    pub fn new(kind: SourceKind, retail: RetailClientOptions) -> SourceSettings {
        SourceSettings {
            kind,
            retail,
            page_url: DEFAULT_PAGE_URL.to_owned(),
            rates_url: crate::currency::DEFAULT_RATES_URL.to_owned(),
            time_to_live: Duration::from_secs(24 * 3600),
            retry_after_failure: Duration::from_secs(300),
            request_timeout: Duration::from_secs(30),
            cache_dir: None,
        }
    }
}

/// A built catalog with where and when its data came from.
#[derive(Debug)]
pub struct LoadedCatalog {
    pub catalog: Catalog,
    /// The configured source, or [`SourceKind::Snapshot`] for the bundled fallback.
    pub source: SourceKind,
    pub currency: Currency,
    /// When the data was fetched.
    pub as_of: DateTime<Utc>,
    /// True for a catalog that is never refreshed (the bundled snapshot as the configured source).
    pub fixed: bool,
    /// Failures of parts of the load that did not stop it, such as a failed pricing page under `auto`.
    pub warnings: Vec<String>,
}

/// A load that gave no catalog.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// The source cannot give prices in this currency at all.
    #[error("{0}")]
    Unavailable(String),
    /// The source failed this time; a later attempt may succeed.
    #[error("{0}")]
    Failed(String),
}
