//! The error response of every route: `{"error": {"code", "message", "parameter"?}}`.

use aoai_catalog::LookupError;
use aoai_catalog::sources::LoadError;
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
    #[error("method not allowed: {0}; the price routes answer GET")]
    NoMethod(String),
    /// The price source failed and no catalog for the request is loaded yet.
    #[error("{0}")]
    Unavailable(String),
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

/// The maximum length of a message, because a request can make a message echo a value of any length.
const MAX_MESSAGE_CHARS: usize = 600;

/// Cuts `message` to [`MAX_MESSAGE_CHARS`] characters.
pub fn shorten(message: &str) -> String {
    if message.chars().count() <= MAX_MESSAGE_CHARS {
        return message.to_owned();
    }
    let mut cut: String = message.chars().take(MAX_MESSAGE_CHARS).collect();
    cut.push_str("… (cut)");
    cut
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
            ApiError::NoMethod(_) => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", None),
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "source_unavailable", None),
        };
        let mut error = json!({ "code": code, "message": shorten(&self.to_string()) });
        if let Some(parameter) = parameter {
            error["parameter"] = json!(parameter);
        }
        (status, Json(json!({ "error": error }))).into_response()
    }
}
