//! The error response of every route: `{"error": {"code", "message", "parameter"?}}`.

use aoai_catalog::LookupError;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// A request that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// A query parameter is missing, repeated, unknown or has an invalid value.
    #[error("{message}")]
    InvalidParameter { parameter: String, message: String },
    /// A model, version, region or currency that the catalog does not have.
    #[error("{0}")]
    NotFound(String),
    #[error("route not found: {0}")]
    NoRoute(String),
    /// A fault of this service; the detail is logged, never sent.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    pub fn invalid(parameter: &str, message: impl Into<String>) -> ApiError {
        ApiError::InvalidParameter {
            parameter: parameter.to_owned(),
            message: message.into(),
        }
    }
}

impl From<LookupError> for ApiError {
    fn from(error: LookupError) -> ApiError {
        ApiError::NotFound(error.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // Client mistakes get their message and are not logged; a server fault is logged once.
        let (status, code, parameter) = match &self {
            ApiError::Internal(detail) => {
                tracing::error!(error = %detail, "request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal", None)
            }
            ApiError::InvalidParameter { parameter, .. } => {
                (StatusCode::BAD_REQUEST, "invalid_parameter", Some(parameter.clone()))
            }
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found", None),
            ApiError::NoRoute(_) => (StatusCode::NOT_FOUND, "no_route", None),
        };
        let mut error = json!({ "code": code, "message": self.to_string() });
        if let Some(parameter) = parameter {
            error["parameter"] = json!(parameter);
        }
        (status, Json(json!({ "error": error }))).into_response()
    }
}
