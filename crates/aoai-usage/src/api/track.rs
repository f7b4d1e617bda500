//! `POST /v2/track` and `/v2.1/track`: local ingestion in the Application Insights protocol.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::ingest::{BodyError, ItemError, TrackResponse, read_batch};

fn whole_request_error(status: StatusCode, message: String) -> Response {
    let body = TrackResponse {
        items_received: 0,
        items_accepted: 0,
        errors: vec![ItemError {
            index: 0,
            status_code: status.as_u16(),
            message,
        }],
    };
    (status, Json(body)).into_response()
}

/// Reads, converts and stores a batch, and responds only after it is committed.
///
/// The body must arrive within `INGEST_BODY_TIMEOUT_SECONDS`. The limit covers only the
/// reading: once the batch is being stored, the response waits for the commit, because an
/// error after a commit would make the exporter send the batch again and count it twice.
pub async fn track(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    // A gzip body can be slightly larger than its content; the decompressed size is checked after.
    let wire_limit = state.settings.ingest_max_body_bytes.saturating_add(1 << 20);
    let timeout = state.settings.ingest_body_timeout;
    let body = match tokio::time::timeout(timeout, axum::body::to_bytes(body, wire_limit)).await {
        Ok(Ok(body)) => body,
        Ok(Err(error)) if is_too_large(&error) => {
            return whole_request_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the request body is larger than {} bytes; send smaller batches",
                    state.settings.ingest_max_body_bytes
                ),
            );
        }
        Ok(Err(error)) => {
            tracing::warn!(%error, "track body not read");
            return whole_request_error(
                StatusCode::BAD_REQUEST,
                "the request body could not be read; send the batch again".to_owned(),
            );
        }
        Err(_) => {
            tracing::warn!(timeout_seconds = timeout.as_secs(), "track body timed out");
            return whole_request_error(
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "the request body did not arrive within {} s (INGEST_BODY_TIMEOUT_SECONDS); send it again",
                    timeout.as_secs()
                ),
            );
        }
    };
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let limit = state.settings.ingest_max_body_bytes;
    let settings = state.settings.ingest.clone();
    let store = std::sync::Arc::clone(&state.store);
    let outcome = tokio::task::spawn_blocking(move || read_batch(&body, encoding.as_deref(), limit, &settings)).await;
    let batch = match outcome {
        Ok(Ok(batch)) => batch,
        Ok(Err(error @ BodyError::TooLarge { .. })) => {
            return whole_request_error(StatusCode::PAYLOAD_TOO_LARGE, error.to_string());
        }
        Ok(Err(error)) => return whole_request_error(StatusCode::BAD_REQUEST, error.to_string()),
        Err(error) => {
            tracing::error!(%error, "ingestion task failed");
            return whole_request_error(StatusCode::INTERNAL_SERVER_ERROR, "internal error".to_owned());
        }
    };

    let response = batch.response();
    let accepted = batch.records.len();
    let written = tokio::task::spawn_blocking(move || store.write(&batch)).await;
    match written {
        Ok(Ok(())) => {}
        Ok(Err(error)) => {
            tracing::error!(%error, "ingested batch not stored");
            // Exporters send a batch again after a 503, so nothing acknowledged is lost.
            return whole_request_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the usage store could not commit the batch (see the handler's log); send it again later".to_owned(),
            );
        }
        Err(error) => {
            tracing::error!(%error, "store task failed");
            return whole_request_error(StatusCode::SERVICE_UNAVAILABLE, "send the batch again later".to_owned());
        }
    }
    tracing::debug!(
        received = response.items_received,
        accepted = response.items_accepted,
        records = accepted,
        "track batch stored"
    );
    let status = if response.errors.is_empty() {
        StatusCode::OK
    } else if response.items_accepted == 0 {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::PARTIAL_CONTENT
    };
    (status, Json(response)).into_response()
}

/// True when reading a body failed at its size limit.
fn is_too_large(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if current.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = current.source();
    }
    false
}
