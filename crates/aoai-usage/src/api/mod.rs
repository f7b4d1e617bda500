//! The HTTP routes of the usage function.

mod error;
mod track;
pub mod usage;

use crate::auth::Authenticator;
use std::sync::Arc;

use aoai_catalog::sources::PriceService;
use axum::Router;
use axum::extract::State;
use axum::http::Uri;
use axum::routing::{get, post};

pub use error::ApiError;

use crate::azure::AzureBackend;
use crate::deployments::DeploymentCatalog;
use crate::directory::Directory;
use crate::ingest::IngestSettings;
use crate::record::UsageSource;
use crate::report::Assumptions;
use crate::store::Store;

/// The settings the routes read.
#[derive(Debug, Clone)]
pub struct RouteSettings {
    pub source: UsageSource,
    pub max_range_days: i64,
    pub ingest_max_body_bytes: usize,
    pub ingest_body_timeout: std::time::Duration,
    pub ingest: IngestSettings,
    pub assumptions: Assumptions,
}

/// Where `/api/usage` reads usage.
#[derive(Debug, Clone)]
pub enum Backend {
    /// The local store, fed by the track routes.
    Local,
    /// A query API in Azure.
    Azure(Arc<AzureBackend>),
}

impl Backend {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::Azure(backend) => match backend.client.api() {
                crate::azure::Api::AppInsights { .. } => "appinsights",
                crate::azure::Api::LogAnalytics { .. } => "loganalytics",
            },
        }
    }
}

/// Shared state of every route.
#[derive(Debug, Clone)]
pub struct AppState {
    pub backend: Backend,
    pub store: Arc<Store>,
    pub prices: Arc<PriceService>,
    pub deployments: Arc<DeploymentCatalog>,
    pub directory: Arc<Directory>,
    pub settings: Arc<RouteSettings>,
    /// Checks the callers of usage and the dashboard.
    pub auth: Authenticator,
}

/// Builds the router; tests drive it without a socket.
pub fn app(state: AppState) -> Router {
    // Usage is personal data: its routes and the dashboard need a caller when USAGE_AUTH is
    // set. The track routes have the instrumentation key instead.
    let protected = Router::new()
        .route("/api/usage", get(usage::usage))
        .route("/api/usage/queries", get(usage::queries))
        .route("/api/dashboard", get(crate::dashboard::page))
        .route("/api/dashboard/app.js", get(crate::dashboard::script))
        .route("/api/dashboard/app.css", get(crate::dashboard::style))
        .route_layer(axum::middleware::from_fn_with_state(
            state.auth.clone(),
            crate::auth::require_caller,
        ));
    Router::new()
        .route("/", get(ready))
        .merge(protected)
        .route("/v2/track", post(track::track))
        .route("/v2.1/track", post(track::track))
        .fallback(no_route)
        .method_not_allowed_fallback(no_method)
        .with_state(state)
}

async fn ready(State(state): State<AppState>) -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({
        "status": "ready",
        "backend": state.backend.name(),
        "store": state.store.path().display().to_string(),
        "source": state.settings.source,
        "deployments": state.deployments.len(),
        "directory_users": state.directory.len(),
        "price_source": state.prices.kind.as_str(),
    }))
}

async fn no_method(method: axum::http::Method, uri: Uri) -> ApiError {
    ApiError::NoMethod(format!(
        "{method} {}; /api/usage takes GET and the track routes take POST",
        uri.path()
    ))
}

async fn no_route(uri: Uri) -> ApiError {
    ApiError::NoRoute(uri.path().to_owned())
}
