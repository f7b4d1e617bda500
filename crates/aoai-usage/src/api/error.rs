//! The error response of the usage routes: `{"error": {"code", "message", "parameter"?}}`.

use aoai_catalog::sources::LoadError;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::report::{AggregateError, ParamError};

/// A request that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    InvalidParameter { parameter: String, message: String },
    #[error("{0}")]
    NotFound(String),
    /// A request for usage that the caller may not read.
    #[error("{0}")]
    Forbidden(String),
    #[error("route not found: {0}")]
    NoRoute(String),
    #[error("method not allowed: {0}")]
    NoMethod(String),
    /// A source this request needs failed; the request may be sent again later.
    #[error("{0}")]
    Unavailable(String),
    /// The query API rejected the query or the identity.
    #[error("{0}")]
    BadGateway(String),
    /// The query API kept throttling; the request may be sent again after `retry_after` seconds.
    #[error("{message}")]
    Throttled { message: String, retry_after: u64 },
    /// The query API kept failing or timing out.
    #[error("{0}")]
    GatewayTimeout(String),
    /// A fault of this service; the detail is logged, never sent.
    #[error("internal error")]
    Internal(String),
}

impl From<ParamError> for ApiError {
    fn from(error: ParamError) -> ApiError {
        ApiError::InvalidParameter {
            parameter: error.parameter,
            message: error.message,
        }
    }
}

impl From<LoadError> for ApiError {
    fn from(error: LoadError) -> ApiError {
        match error {
            LoadError::Unavailable(message) => ApiError::NotFound(message),
            LoadError::Failed(message) => {
                ApiError::Unavailable(format!("prices are not available yet: {message}. Try again later"))
            }
        }
    }
}

impl From<AggregateError> for ApiError {
    fn from(error: AggregateError) -> ApiError {
        match error {
            AggregateError::Store(error) => ApiError::Unavailable(format!("the usage store failed: {error}")),
        }
    }
}

impl From<crate::azure::QueryError> for ApiError {
    fn from(error: crate::azure::QueryError) -> ApiError {
        use crate::azure::QueryError;
        match error {
            QueryError::Upstream(message) | QueryError::Credential(message) => ApiError::BadGateway(message),
            QueryError::Throttled { message, retry_after } => ApiError::Throttled {
                message,
                retry_after: retry_after.as_secs().max(1),
            },
            QueryError::Timeout(message) => ApiError::GatewayTimeout(message),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, parameter) = match &self {
            ApiError::Internal(detail) => {
                tracing::error!(error = %detail, "request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal", None)
            }
            ApiError::Unavailable(detail) => {
                tracing::warn!(error = %detail, "request failed");
                (StatusCode::SERVICE_UNAVAILABLE, "unavailable", None)
            }
            ApiError::InvalidParameter { parameter, .. } => {
                (StatusCode::BAD_REQUEST, "invalid_parameter", Some(parameter.clone()))
            }
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found", None),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", Some("user".to_owned())),
            ApiError::BadGateway(detail) => {
                tracing::warn!(error = %detail, "usage query failed");
                (StatusCode::BAD_GATEWAY, "upstream_error", None)
            }
            ApiError::Throttled { .. } => (StatusCode::SERVICE_UNAVAILABLE, "throttled", None),
            ApiError::GatewayTimeout(detail) => {
                tracing::warn!(error = %detail, "usage query failed");
                (StatusCode::GATEWAY_TIMEOUT, "upstream_timeout", None)
            }
            ApiError::NoRoute(_) => (StatusCode::NOT_FOUND, "no_route", None),
            ApiError::NoMethod(_) => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", None),
        };
        let message: String = self.to_string().chars().take(600).collect();
        let mut error = json!({ "code": code, "message": message });
        if let Some(parameter) = parameter {
            error["parameter"] = json!(parameter);
        }
        let mut response = (status, Json(json!({ "error": error }))).into_response();
        if let ApiError::Throttled { retry_after, .. } = &self
            && let Ok(value) = axum::http::HeaderValue::from_str(&retry_after.to_string())
        {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, value);
        }
        response
    }
}
