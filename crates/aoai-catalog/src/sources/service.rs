//! Everything an app needs to price tokens: the cached catalogs of the configured
//! source and the negotiated price overrides.

use std::path::PathBuf;
use std::sync::Arc;

use aoai_core::Currency;

use super::cache::{CacheKey, Loader, PriceCache, Served};
use super::env::PriceSettings;
use super::live::LiveLoader;
use super::persist::DiskCache;
use super::{LoadError, SourceKind};
use crate::overrides::Overrides;

/// The catalogs of the configured source and the overrides applied to their prices.
#[derive(Debug)]
pub struct PriceService {
    pub cache: Arc<PriceCache>,
    pub overrides: Overrides,
    pub overrides_path: Option<PathBuf>,
    pub default_currency: Currency,
    pub kind: SourceKind,
}

/// Logs override rules whose model or region the bundled catalog does not know, since such
/// a rule changes no price. A live source may know more, so this is a warning.
fn warn_unknown_scopes(settings: &PriceSettings, catalog: &crate::Catalog) {
    let Some(path) = &settings.overrides else {
        return;
    };
    let Ok(overrides) = Overrides::from_file(path) else {
        return;
    };
    for (rule, scope) in overrides.scopes() {
        let model = scope.model.as_deref().map(|model| catalog.check_model(model));
        let region = scope.region.as_deref().map(|region| catalog.check_region(region));
        for error in [model, region].into_iter().flatten().filter_map(Result::err) {
            tracing::warn!(rule = %rule, path = %path.display(), "price override matches no price: {error}");
        }
    }
}

impl PriceService {
    /// Reads the overrides, seeds the cache with the bundled snapshot and any catalogs on
    /// disk, and starts loading the default currency in the background. Call it inside a
    /// Tokio runtime.
    pub fn start(settings: &PriceSettings) -> Result<Arc<PriceService>, String> {
        let loader = LiveLoader::new(settings.source.clone())?;
        let snapshot = loader.snapshot_loaded().map_err(|error| error.to_string())?;
        warn_unknown_scopes(settings, &snapshot.catalog);
        let service = PriceService::with_loader(settings, Arc::new(loader), Some(snapshot))?;
        if settings.source.kind.is_live() {
            service.cache.seed_from_disk();
            service.warm(CacheKey::Prices(settings.default_currency));
        }
        Ok(service)
    }

    /// Builds the service around `loader`, serving `seed` for USD until a load replaces it.
    pub fn with_loader(
        settings: &PriceSettings,
        loader: Arc<dyn Loader>,
        seed: Option<super::LoadedCatalog>,
    ) -> Result<Arc<PriceService>, String> {
        let overrides = match &settings.overrides {
            Some(path) => Overrides::from_file(path).map_err(|error| error.to_string())?,
            None => Overrides::default(),
        };
        let cache = Arc::new(PriceCache::new(
            loader,
            settings.source.time_to_live,
            settings.source.retry_after_failure,
            DiskCache::for_settings(&settings.source),
        ));
        if let Some(seed) = seed {
            cache.seed(CacheKey::Prices(Currency::USD), seed);
        }
        Ok(Arc::new(PriceService {
            cache,
            overrides,
            overrides_path: settings.overrides.clone(),
            default_currency: settings.default_currency,
            kind: settings.source.kind,
        }))
    }

    /// Returns the catalog of prices in `currency`.
    pub async fn catalog(&self, currency: Currency) -> Result<Served, LoadError> {
        self.cache.get(CacheKey::Prices(currency)).await
    }

    /// Returns the Retail Prices API and pricing page catalogs side by side, in USD.
    pub async fn comparison(&self) -> Result<Served, LoadError> {
        self.cache.get(CacheKey::Compare).await
    }

    /// Loads `key` in the background, so that the first request does not wait for it.
    pub fn warm(&self, key: CacheKey) {
        let cache = Arc::clone(&self.cache);
        tokio::spawn(async move {
            let _ = cache.get(key).await;
        });
    }
}
