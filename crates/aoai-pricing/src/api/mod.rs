//! The HTTP routes of the pricing function.

mod compare;
mod error;
mod params;
mod prices;

use std::sync::Arc;

use axum::Router;
use axum::http::Uri;
use axum::routing::get;
use tower_http_trace::request_span;

pub use error::ApiError;

use aoai_catalog::sources::PriceService;

/// Shared state of every route.
#[derive(Debug, Clone)]
pub struct AppState {
    pub prices: Arc<PriceService>,
}

/// Builds the router; tests drive it without a socket.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/", get(prices::ready))
        .route("/api/price", get(prices::price))
        .route("/api/prices", get(prices::list))
        .route("/api/prices/rejected", get(prices::rejected))
        .route("/api/prices/compare", get(compare::compare))
        .fallback(no_route)
        .method_not_allowed_fallback(no_method)
        .layer(axum::middleware::from_fn(request_span))
        .with_state(state)
}

async fn no_method(method: axum::http::Method, uri: Uri) -> ApiError {
    ApiError::NoMethod(format!("{method} {}", uri.path()))
}

async fn no_route(uri: Uri) -> ApiError {
    ApiError::NoRoute(uri.path().to_owned())
}

mod tower_http_trace {
    use axum::extract::{MatchedPath, Request};
    use axum::middleware::Next;
    use axum::response::Response;
    use tracing::Instrument;

    /// Runs each request in a span that carries its method and matched route, never
    /// its query, and logs its status and duration at debug level.
    pub async fn request_span(request: Request, next: Next) -> Response {
        let route = request
            .extensions()
            .get::<MatchedPath>()
            .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
        let span = tracing::info_span!("request", method = %request.method(), route = %route);
        let started = std::time::Instant::now();
        let response = next.run(request).instrument(span.clone()).await;
        span.in_scope(|| {
            tracing::debug!(
                status = response.status().as_u16(),
                duration_us = started.elapsed().as_micros() as u64,
                "answered"
            );
        });
        response
    }
}
