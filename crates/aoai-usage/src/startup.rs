//! Assembles the usage function from its settings.

use crate::auth::Authenticator;
use std::sync::Arc;

use aoai_catalog::sources::{CacheKey, PriceService};
use aoai_core::Currency;

use crate::api::{AppState, Backend, RouteSettings};
use crate::azure::{AzureBackend, QueryClient};
use crate::config::{BackendConfig, Config};
use crate::deployments::DeploymentCatalog;
use crate::directory::Directory;
use crate::ingest::IngestSettings;
use crate::report::Assumptions;
use crate::store::Store;

/// Opens the store and reads the catalogs and directory that `config` names. Call it inside
/// a Tokio runtime, because the price source starts loading in the background.
pub fn build_state(config: &Config) -> anyhow::Result<AppState> {
    let store = Store::open(&config.store_path)?;
    let deployments = DeploymentCatalog::from_sources(
        config.deployment_json.as_deref(),
        &config.deployment_files,
        &config.default_region,
    )?;
    // A live Retail Prices fetch covers the regions the deployments are in, beside PRICING_REGIONS.
    let mut price_settings = config.prices.clone();
    let regions = &mut price_settings.source.retail.regions;
    for region in deployments
        .iter()
        .map(|deployment| deployment.region.clone())
        .chain([config.default_region.clone()])
    {
        if !regions.contains(&region) {
            regions.push(region);
        }
    }
    let prices = PriceService::start(&price_settings).map_err(anyhow::Error::msg)?;
    warn_unknown_regions(&prices, &deployments, &config.default_region);
    let directory = match &config.directory {
        Some(path) => Directory::from_file(path)?,
        None => Directory::default(),
    };
    let backend = match &config.backend {
        BackendConfig::Local => Backend::Local,
        BackendConfig::Azure {
            api,
            client,
            credential: kind,
            credential_settings,
        } => {
            let token_source = aoai_identity::build(*kind, credential_settings).map_err(anyhow::Error::msg)?;
            let client = QueryClient::new(api.clone(), client.clone(), token_source, kind.as_str())
                .map_err(anyhow::Error::msg)?;
            Backend::Azure(Arc::new(AzureBackend {
                client,
                metric_names: config.metric_names.clone(),
            }))
        }
    };
    let auth = Authenticator::new(config.auth.clone()).map_err(anyhow::Error::msg)?;
    if matches!(auth, Authenticator::None) {
        tracing::warn!(
            "USAGE_AUTH is unset: the app does not check who reads usage, so function keys or the gateway must protect it"
        );
    }
    Ok(AppState {
        auth,
        backend,
        store: Arc::new(store),
        prices,
        deployments: Arc::new(deployments),
        directory: Arc::new(directory),
        settings: Arc::new(RouteSettings {
            source: config.source,
            max_range_days: config.max_range_days,
            ingest_max_body_bytes: config.ingest_max_body_bytes,
            ingest_body_timeout: config.ingest_body_timeout,
            ingest: IngestSettings {
                metric_names: config.metric_names.clone(),
                instrumentation_key: config.instrumentation_key.clone(),
            },
            assumptions: Assumptions {
                deployment_type: config.default_deployment_type,
                region: config.default_region.clone(),
            },
        }),
    })
}

/// Logs deployment regions that the bundled price catalog does not know, with the closest
/// known names, because calls there are priced only if a live source lists the region.
fn warn_unknown_regions(prices: &PriceService, deployments: &DeploymentCatalog, default_region: &str) {
    let Some(served) = prices.cache.peek(CacheKey::Prices(Currency::USD)) else {
        return;
    };
    let catalog = &served.loaded.catalog;
    if let Err(error) = catalog.check_region(default_region) {
        tracing::warn!("AOAI_DEFAULT_REGION: {error}");
    }
    for deployment in deployments.iter() {
        if let Err(error) = catalog.check_region(&deployment.region) {
            tracing::warn!(deployment = %deployment.name, "deployment catalog: {error}");
        }
    }
}
