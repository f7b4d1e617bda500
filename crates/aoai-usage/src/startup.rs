//! Assembles the usage function from its settings.

use std::sync::Arc;

use aoai_catalog::sources::PriceService;

use crate::api::{AppState, RouteSettings};
use crate::config::Config;
use crate::deployments::DeploymentCatalog;
use crate::directory::Directory;
use crate::ingest::IngestSettings;
use crate::report::Assumptions;
use crate::store::Store;

/// Opens the store and reads the catalogs and directory that `config` names. Call it inside
/// a Tokio runtime, because the price source starts loading in the background.
pub fn build_state(config: &Config) -> anyhow::Result<AppState> {
    let store = Store::open(&config.store_path)?;
    let prices = PriceService::start(&config.prices).map_err(anyhow::Error::msg)?;
    let deployments = DeploymentCatalog::from_files(&config.deployment_files, &config.default_region)?;
    let directory = match &config.directory {
        Some(path) => Directory::from_file(path)?,
        None => Directory::default(),
    };
    Ok(AppState {
        store: Arc::new(store),
        prices,
        deployments: Arc::new(deployments),
        directory: Arc::new(directory),
        settings: Arc::new(RouteSettings {
            source: config.source,
            max_range_days: config.max_range_days,
            ingest_max_body_bytes: config.ingest_max_body_bytes,
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
