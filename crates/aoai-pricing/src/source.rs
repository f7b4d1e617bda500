//! The catalog being served and its background refresh from the Retail Prices API.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use aoai_catalog::retail::{FetchError, RetailClient};
use aoai_catalog::{Catalog, snapshot};
use chrono::{DateTime, Utc};

use crate::config::SourceKind;

/// A built catalog with where and when its data came from.
#[derive(Debug)]
pub struct LoadedCatalog {
    pub catalog: Catalog,
    pub source: SourceKind,
    /// When the catalog's data was fetched.
    pub as_of: DateTime<Utc>,
}

/// The catalog that serves requests. Readers take a cheap `Arc` clone, so a refresh
/// swaps the catalog without making any request wait for the fetch.
#[derive(Debug)]
pub struct PriceSource {
    current: RwLock<Arc<LoadedCatalog>>,
    /// True while a live refresh is due and has not succeeded.
    stale: AtomicBool,
}

/// A refresh that produced no usable catalog.
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("the Retail Prices API returned {rows} Azure OpenAI rows but none became a token price")]
    NoPrices { rows: usize },
}

impl PriceSource {
    /// Starts from the bundled snapshot. `stale` is true when a live source is configured,
    /// because its first refresh is then due.
    pub fn from_snapshot(stale: bool) -> Result<PriceSource, snapshot::SnapshotError> {
        let catalog = snapshot::bundled_catalog()?;
        Ok(PriceSource::new(
            LoadedCatalog {
                catalog,
                source: SourceKind::Snapshot,
                as_of: snapshot::as_of(),
            },
            stale,
        ))
    }

    pub fn new(loaded: LoadedCatalog, stale: bool) -> PriceSource {
        PriceSource {
            current: RwLock::new(Arc::new(loaded)),
            stale: AtomicBool::new(stale),
        }
    }

    /// Returns the catalog to serve from and whether it is stale.
    pub fn current(&self) -> (Arc<LoadedCatalog>, bool) {
        let loaded = match self.current.read() {
            Ok(guard) => Arc::clone(&guard),
            // A writer that panicked left a whole Arc behind; it is still valid.
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        };
        (loaded, self.stale.load(Ordering::Acquire))
    }

    fn replace(&self, loaded: LoadedCatalog) {
        let loaded = Arc::new(loaded);
        match self.current.write() {
            Ok(mut guard) => *guard = loaded,
            Err(poisoned) => *poisoned.into_inner() = loaded,
        }
        self.stale.store(false, Ordering::Release);
    }

    fn mark_stale(&self) {
        self.stale.store(true, Ordering::Release);
    }

    /// Fetches the live catalog once and serves it if it has prices. On failure the last
    /// good catalog keeps serving and is marked stale.
    pub async fn refresh(&self, client: &RetailClient) -> Result<(), RefreshError> {
        let started = Instant::now();
        let result = fetch_catalog(client).await;
        match result {
            Ok(loaded) => {
                let stats = loaded.catalog.stats();
                tracing::info!(
                    source = "retail-api",
                    rows = stats.rows,
                    token_prices = stats.token_prices,
                    rejected = stats.rejected,
                    duration_ms = started.elapsed().as_millis() as u64,
                    "price catalog refreshed"
                );
                self.replace(loaded);
                Ok(())
            }
            Err(error) => {
                self.mark_stale();
                tracing::warn!(
                    error = %error,
                    duration_ms = started.elapsed().as_millis() as u64,
                    "price catalog refresh failed; serving the last good catalog"
                );
                Err(error)
            }
        }
    }
}

async fn fetch_catalog(client: &RetailClient) -> Result<LoadedCatalog, RefreshError> {
    let outcome = client.fetch().await?;
    let rows = outcome.items.len();
    let catalog = Catalog::build([(outcome.fetched_at, outcome.items)]);
    if catalog.is_empty() {
        return Err(RefreshError::NoPrices { rows });
    }
    Ok(LoadedCatalog {
        catalog,
        source: SourceKind::RetailApi,
        as_of: outcome.fetched_at,
    })
}

/// Refreshes `source` now and then every `interval`, retrying a failure after `retry`.
pub fn spawn_refresh(
    source: Arc<PriceSource>,
    client: RetailClient,
    interval: Duration,
    retry: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let wait = match source.refresh(&client).await {
                Ok(()) => interval,
                Err(_) => retry,
            };
            tokio::time::sleep(wait).await;
        }
    })
}
