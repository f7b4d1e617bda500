//! The in-memory price cache: one catalog per key, refreshed in the background once its
//! time to live has passed, with at most one load per key in flight.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use aoai_core::Currency;
use chrono::Utc;

use super::persist::DiskCache;
use super::{LoadError, LoadedCatalog};

/// The content of a cache slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CacheKey {
    /// The configured source's prices in one currency.
    Prices(Currency),
    /// The Retail Prices API and the pricing page side by side, in USD.
    Compare,
}

impl fmt::Display for CacheKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Prices(currency) => write!(f, "prices in {currency}"),
            Self::Compare => f.write_str("the comparison of live sources"),
        }
    }
}

/// A boxed load, so that loaders can be swapped behind one type.
pub type LoadFuture = Pin<Box<dyn Future<Output = Result<LoadedCatalog, LoadError>> + Send>>;

/// Fetches and builds the catalog for one key.
pub trait Loader: Send + Sync + fmt::Debug + 'static {
    fn load(&self, key: CacheKey) -> LoadFuture;
}

/// A catalog to serve from, and whether its time to live passed without a successful refresh.
#[derive(Debug, Clone)]
pub struct Served {
    pub loaded: Arc<LoadedCatalog>,
    pub stale: bool,
}

#[derive(Debug, Default)]
struct Slot {
    current: RwLock<Option<Arc<LoadedCatalog>>>,
    /// True while a background refresh runs.
    refreshing: AtomicBool,
    /// Held by the one request that loads a key nothing has been loaded for yet.
    first_load: tokio::sync::Mutex<()>,
    last_failure: Mutex<Option<(Instant, LoadError)>>,
}

impl Slot {
    fn current(&self) -> Option<Arc<LoadedCatalog>> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            // A writer that panicked left a whole value behind; it is still valid.
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn replace(&self, loaded: Arc<LoadedCatalog>) {
        match self.current.write() {
            Ok(mut guard) => *guard = Some(loaded),
            Err(poisoned) => *poisoned.into_inner() = Some(loaded),
        }
        *lock(&self.last_failure) = None;
    }

    fn fail(&self, error: LoadError) {
        *lock(&self.last_failure) = Some((Instant::now(), error));
    }

    fn last_failure(&self) -> Option<(Instant, LoadError)> {
        lock(&self.last_failure).clone()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Catalogs per key, each served while its refresh runs.
#[derive(Debug)]
pub struct PriceCache {
    loader: Arc<dyn Loader>,
    time_to_live: Duration,
    retry_after_failure: Duration,
    disk: Option<DiskCache>,
    slots: Mutex<HashMap<CacheKey, Arc<Slot>>>,
}

impl PriceCache {
    pub fn new(
        loader: Arc<dyn Loader>,
        time_to_live: Duration,
        retry_after_failure: Duration,
        disk: Option<DiskCache>,
    ) -> PriceCache {
        PriceCache {
            loader,
            time_to_live,
            retry_after_failure,
            disk,
            slots: Mutex::new(HashMap::new()),
        }
    }

    fn slot(&self, key: CacheKey) -> Arc<Slot> {
        Arc::clone(lock(&self.slots).entry(key).or_default())
    }

    /// Serves `loaded` for `key` until a load replaces it.
    pub fn seed(&self, key: CacheKey, loaded: LoadedCatalog) {
        self.slot(key).replace(Arc::new(loaded));
    }

    /// Seeds every catalog the disk cache holds for this source, newest data first.
    pub fn seed_from_disk(&self) -> usize {
        let Some(disk) = &self.disk else {
            return 0;
        };
        let found = disk.read_all();
        let count = found.len();
        for (key, loaded) in found {
            tracing::info!(
                key = %key,
                as_of = %loaded.as_of,
                token_prices = loaded.catalog.stats().token_prices,
                "price catalog read from the disk cache"
            );
            self.seed(key, loaded);
        }
        count
    }

    /// True once the time to live has passed since the catalog's data was fetched. A fetch
    /// time in the future, from a skewed clock or an edited cache file, counts as stale.
    fn is_stale(&self, loaded: &LoadedCatalog) -> bool {
        if loaded.fixed {
            return false;
        }
        let age = Utc::now().signed_duration_since(loaded.as_of);
        age.to_std().map_or(true, |age| age >= self.time_to_live)
    }

    /// True when a refresh should start: the catalog is stale, or a part of its load failed
    /// and the retry interval has passed since.
    fn refresh_due(&self, loaded: &LoadedCatalog) -> bool {
        if self.is_stale(loaded) {
            return true;
        }
        let age = Utc::now().signed_duration_since(loaded.as_of);
        !loaded.fixed && !loaded.warnings.is_empty() && age.to_std().is_ok_and(|age| age >= self.retry_after_failure)
    }

    /// Returns the catalog loaded for `key`, if any, without loading or refreshing it.
    pub fn peek(&self, key: CacheKey) -> Option<Served> {
        let loaded = self.slot(key).current()?;
        let stale = self.is_stale(&loaded);
        Some(Served { loaded, stale })
    }

    /// Returns the catalog for `key`. A request waits only when nothing has been loaded for
    /// the key yet; concurrent requests then share one load. Once a catalog is loaded it is
    /// served at once, and a refresh starts in the background when its time to live has passed.
    pub async fn get(self: &Arc<Self>, key: CacheKey) -> Result<Served, LoadError> {
        let slot = self.slot(key);
        if let Some(loaded) = slot.current() {
            return Ok(self.serve(key, &slot, loaded));
        }

        let waited_from = Instant::now();
        let _first = slot.first_load.lock().await;
        if let Some(loaded) = slot.current() {
            return Ok(self.serve(key, &slot, loaded));
        }
        if let Some((failed_at, error)) = slot.last_failure()
            && (failed_at >= waited_from || failed_at.elapsed() < self.retry_after_failure)
        {
            return Err(error);
        }
        match self.load(key, &slot).await {
            Some(loaded) => Ok(Served { loaded, stale: false }),
            None => Err(slot.last_failure().map_or_else(
                || LoadError::Failed(format!("loading {key} failed")),
                |(_, error)| error,
            )),
        }
    }

    fn serve(self: &Arc<Self>, key: CacheKey, slot: &Arc<Slot>, loaded: Arc<LoadedCatalog>) -> Served {
        let stale = self.is_stale(&loaded);
        if self.refresh_due(&loaded) {
            self.refresh_in_background(key, slot);
        }
        Served { loaded, stale }
    }

    /// Starts a refresh of `key` unless one is running or the last one failed too recently.
    fn refresh_in_background(self: &Arc<Self>, key: CacheKey, slot: &Arc<Slot>) {
        if slot
            .last_failure()
            .is_some_and(|(failed_at, _)| failed_at.elapsed() < self.retry_after_failure)
        {
            return;
        }
        if slot
            .refreshing
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return;
        }
        let cache = Arc::clone(self);
        let slot = Arc::clone(slot);
        tokio::spawn(async move {
            cache.load(key, &slot).await;
            slot.refreshing.store(false, Ordering::Release);
        });
    }

    /// Loads `key` once, serves the result and writes it to disk; a failure keeps the last good catalog.
    async fn load(&self, key: CacheKey, slot: &Slot) -> Option<Arc<LoadedCatalog>> {
        let started = Instant::now();
        match self.loader.load(key).await {
            Ok(loaded) => {
                let stats = loaded.catalog.stats();
                tracing::info!(
                    key = %key,
                    source = %loaded.source,
                    rows = stats.rows,
                    token_prices = stats.token_prices,
                    rejected = stats.rejected,
                    warnings = loaded.warnings.len(),
                    duration_ms = started.elapsed().as_millis() as u64,
                    "price catalog refreshed"
                );
                for warning in &loaded.warnings {
                    tracing::warn!(key = %key, "{warning}");
                }
                // A load with a failed part is served but not kept as the last good catalog.
                if let (Some(disk), CacheKey::Prices(_), true) = (&self.disk, key, loaded.warnings.is_empty())
                    && let Err(error) = disk.write(key, &loaded)
                {
                    tracing::warn!(key = %key, error = %error, "price catalog not written to the disk cache");
                }
                let loaded = Arc::new(loaded);
                slot.replace(Arc::clone(&loaded));
                Some(loaded)
            }
            Err(error) => {
                tracing::warn!(
                    key = %key,
                    error = %error,
                    duration_ms = started.elapsed().as_millis() as u64,
                    "price catalog refresh failed"
                );
                slot.fail(error);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests;
