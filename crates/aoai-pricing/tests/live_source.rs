//! The live Retail Prices source against a local stand-in of the API on the loopback
//! address: a successful refresh replaces the snapshot, a failed one keeps the last good
//! catalog and marks answers stale, and a non-USD currency is served as fetched.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use aoai_catalog::retail::{RetailClient, RetailClientOptions};
use aoai_core::Currency;
use aoai_pricing::source::PriceSource;
use aoai_pricing::{AppState, app};
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

/// Rows of the real eastus2 subset, relabelled in euros: the stand-in answers as the API
/// does for `currencyCode=EUR`. The amounts are the USD list prices, kept as they are.
fn euro_rows() -> Vec<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/retail-prices/subset_eastus2_key_models_2026-08-15.ndjson");
    let text = std::fs::read_to_string(path).expect("subset fixture");
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let mut row: Value = serde_json::from_str(line).expect("row");
            row["currencyCode"] = json!("EUR");
            row
        })
        .collect()
}

#[derive(Clone)]
struct StandIn {
    rows: Arc<Vec<Value>>,
    failing: Arc<AtomicBool>,
}

async fn prices(State(stand_in): State<StandIn>) -> Response {
    if stand_in.failing.load(Ordering::SeqCst) {
        return (StatusCode::SERVICE_UNAVAILABLE, "unavailable").into_response();
    }
    Json(json!({
        "BillingCurrency": "EUR",
        "CustomerEntityId": "Default",
        "CustomerEntityType": "Retail",
        "Items": *stand_in.rows,
        "NextPageLink": null,
        "Count": stand_in.rows.len(),
    }))
    .into_response()
}

async fn start_stand_in(failing: Arc<AtomicBool>) -> String {
    let stand_in = StandIn {
        rows: Arc::new(euro_rows()),
        failing,
    };
    let router = axum::Router::new()
        .route("/api/retail/prices", axum::routing::get(prices))
        .with_state(stand_in);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{address}/api/retail/prices")
}

async fn get(state: &AppState, uri: &str) -> (StatusCode, Value) {
    let response = app(state.clone())
        .oneshot(Request::get(uri).body(Body::empty()).expect("request"))
        .await
        .expect("answer");
    let status = response.status();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    (status, serde_json::from_slice(&bytes).expect("JSON"))
}

#[tokio::test]
async fn refresh_replaces_snapshot_and_failure_marks_stale() {
    let failing = Arc::new(AtomicBool::new(false));
    let url = start_stand_in(Arc::clone(&failing)).await;
    let mut options = RetailClientOptions::for_regions(["eastus2"]);
    options.base_url = url;
    options.currency = "EUR".parse::<Currency>().expect("currency");
    options.retry_budget = Duration::from_millis(300);
    let client = RetailClient::new(options).expect("client");

    let prices = Arc::new(PriceSource::from_snapshot(true).expect("snapshot"));
    let state = AppState {
        prices: Arc::clone(&prices),
    };

    // Before the first refresh: the snapshot, stale because a live refresh is due.
    let (_, before) = get(&state, "/api/price?model=gpt-4o&currency=USD").await;
    assert_eq!(before["source"], "snapshot");
    assert_eq!(before["stale"], true);

    prices.refresh(&client).await.expect("refresh succeeds");
    let (status, live) = get(
        &state,
        "/api/price?model=gpt-4o-2024-11-20&currency=EUR&at=2026-08-15T00:00:00Z",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{live}");
    assert_eq!(live["source"], "retail-api");
    assert_eq!(live["stale"], false);
    assert_eq!(live["currency"], "EUR");
    assert_eq!(live["input"], "2.5");
    let fetched_at = live["as_of"].clone();

    let (status, usd) = get(&state, "/api/price?model=gpt-4o&currency=USD").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{usd}");
    assert!(
        usd["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("available: EUR"),
        "{usd}"
    );

    failing.store(true, Ordering::SeqCst);
    assert!(prices.refresh(&client).await.is_err());
    let (status, after) = get(
        &state,
        "/api/price?model=gpt-4o-2024-11-20&currency=EUR&at=2026-08-15T00:00:00Z",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(after["source"], "retail-api");
    assert_eq!(after["stale"], true);
    assert_eq!(after["as_of"], fetched_at);
    assert_eq!(after["input"], "2.5");

    failing.store(false, Ordering::SeqCst);
    prices.refresh(&client).await.expect("recovered refresh");
    let (_, recovered) = get(
        &state,
        "/api/price?model=gpt-4o-2024-11-20&currency=EUR&at=2026-08-15T00:00:00Z",
    )
    .await;
    assert_eq!(recovered["stale"], false);
}
