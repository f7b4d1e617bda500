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
    #[error("route not found: {0}")]
    NoRoute(String),
    #[error("method not allowed: {0}")]
    NoMethod(String),
    /// A source this request needs failed; the request may be sent again later.
    #[error("{0}")]
    Unavailable(String),
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
            ApiError::NoRoute(_) => (StatusCode::NOT_FOUND, "no_route", None),
            ApiError::NoMethod(_) => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", None),
        };
        let message: String = self.to_string().chars().take(600).collect();
        let mut error = json!({ "code": code, "message": message });
        if let Some(parameter) = parameter {
            error["parameter"] = json!(parameter);
        }
        (status, Json(json!({ "error": error }))).into_response()
    }
}
