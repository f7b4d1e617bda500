//! The live price sources against local stand-ins on the loopback address: the Retail
//! Prices API (in any currency, and able to be slow or fail), the pricing page and the
//! published exchange rates.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use aoai_catalog::sources::{PriceService, PriceSettings};
use aoai_pricing::{AppState, app};
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use tower::ServiceExt;

fn repository_file(path: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// Rows of the real eastus2 subset of the Retail Prices API, in USD.
fn usd_rows() -> Vec<Value> {
    repository_file("tests/fixtures/retail-prices/subset_eastus2_key_models_2026-08-15.ndjson")
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).expect("row"))
        .collect()
}

/// The EUR list prices this stand-in quotes: 0.92 of the USD price. The real API
/// publishes its own list prices per currency, which need not match any exchange rate.
const EUR_FACTOR: &str = "0.92";

/// Exchange rates in the shape of `https://azure.microsoft.com/api/v2/currencies/`,
/// constructed for these tests.
const RATES: &str = r#"{
  "usd": {"name": "US Dollar ($)", "conversion": 1, "modernConversion": 1},
  "eur": {"name": "Euro (€)", "conversion": 0.93, "modernConversion": 0.9287},
  "aud": {"name": "Australian Dollar ($)", "conversion": 1.5312, "modernConversion": 1.5312}
}"#;

struct StandIn {
    usd_rows: Vec<Value>,
    page: String,
    failing: AtomicBool,
    /// When set, each Retail Prices request waits for a permit of `gate`.
    slow: AtomicBool,
    gate: Semaphore,
    /// Retail Prices requests in EUR; the app also fetches its default currency, USD, on start.
    retail_calls: AtomicUsize,
    page_calls: AtomicUsize,
}

impl StandIn {
    fn new(page: String) -> Arc<StandIn> {
        Arc::new(StandIn {
            usd_rows: usd_rows(),
            page,
            failing: AtomicBool::new(false),
            slow: AtomicBool::new(false),
            gate: Semaphore::new(0),
            retail_calls: AtomicUsize::new(0),
            page_calls: AtomicUsize::new(0),
        })
    }

    fn retail_calls(&self) -> usize {
        self.retail_calls.load(Ordering::SeqCst)
    }
}

async fn retail(State(stand_in): State<Arc<StandIn>>, RawQuery(query): RawQuery) -> Response {
    let currency = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(name, _)| name == "currencyCode")
        .map(|(_, value)| value.trim_matches('\'').to_owned())
        .unwrap_or_else(|| "USD".to_owned());
    if currency == "EUR" {
        stand_in.retail_calls.fetch_add(1, Ordering::SeqCst);
        if stand_in.slow.load(Ordering::SeqCst) {
            stand_in.gate.acquire().await.expect("gate").forget();
        }
    }
    if stand_in.failing.load(Ordering::SeqCst) {
        return (StatusCode::SERVICE_UNAVAILABLE, "unavailable").into_response();
    }
    let factor = match currency.as_str() {
        "USD" => Decimal::ONE,
        "EUR" => Decimal::from_str(EUR_FACTOR).expect("factor"),
        _ => return (StatusCode::BAD_REQUEST, "unsupported currency").into_response(),
    };
    let items: Vec<Value> = stand_in
        .usd_rows
        .iter()
        .map(|row| {
            let mut row = row.clone();
            let usd = Decimal::from_str(&row["retailPrice"].to_string()).expect("price literal");
            let price = (usd * factor).normalize().to_string();
            row["retailPrice"] = serde_json::from_str(&price).expect("number");
            row["unitPrice"] = row["retailPrice"].clone();
            row["currencyCode"] = json!(currency);
            row
        })
        .collect();
    axum::Json(json!({
        "BillingCurrency": currency,
        "CustomerEntityId": "Default",
        "CustomerEntityType": "Retail",
        "Count": items.len(),
        "Items": items,
        "NextPageLink": null,
    }))
    .into_response()
}

async fn page(State(stand_in): State<Arc<StandIn>>) -> Response {
    stand_in.page_calls.fetch_add(1, Ordering::SeqCst);
    axum::response::Html(stand_in.page.clone()).into_response()
}

/// Redirects to a plain-http address off the loopback interface, which must not be followed.
async fn redirect_away() -> Response {
    (StatusCode::FOUND, [("location", "http://192.0.2.1/pricing")]).into_response()
}

async fn rates() -> Response {
    ([("content-type", "application/json")], RATES).into_response()
}

/// Starts the stand-ins and returns the settings that point at them.
async fn start(stand_in: &Arc<StandIn>, source: &str, test: &str) -> PriceSettings {
    let router = axum::Router::new()
        .route("/api/retail/prices", axum::routing::get(retail))
        .route("/pricing/details/azure-openai/", axum::routing::get(page))
        .route("/api/v2/currencies/", axum::routing::get(rates))
        .route("/moved", axum::routing::get(redirect_away))
        .with_state(Arc::clone(stand_in));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, router).await });

    let cache = std::env::temp_dir().join(format!("aoai-pricing-live-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache);
    let values = [
        ("PRICING_SOURCE", source.to_owned()),
        ("PRICING_API_URL", format!("http://{address}/api/retail/prices")),
        (
            "PRICING_PAGE_URL",
            format!("http://{address}/pricing/details/azure-openai/"),
        ),
        ("PRICING_RATES_URL", format!("http://{address}/api/v2/currencies/")),
        ("PRICING_CACHE_PATH", cache.display().to_string()),
    ];
    let mut settings = PriceSettings::from_lookup(|name| {
        values
            .iter()
            .find(|(variable, _)| *variable == name)
            .map(|(_, value)| value.clone())
    })
    .expect("settings");
    settings.source.retail.retry_budget = Duration::from_millis(200);
    settings.source.retry_after_failure = Duration::ZERO;
    settings
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

async fn until(what: &str, condition: impl Fn() -> bool) {
    for _ in 0..1000 {
        if condition() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("timed out waiting for {what}");
}

fn current_page() -> String {
    repository_file("tests/fixtures/pricing-page/current_per_1m.html")
}

#[tokio::test]
async fn pricing_page_converts_with_rates() {
    let stand_in = StandIn::new(current_page());
    let settings = start(&stand_in, "pricing-page", "page").await;
    let state = AppState {
        prices: PriceService::start(&settings).expect("service"),
    };

    let (status, body) = get(
        &state,
        "/api/price?model=gpt-4.1-2025-04-14&deployment_type=regional&region=swedencentral&currency=EUR",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The page's USD prices 2.42 / 0.605 / 9.68 times the published 0.9287.
    assert_eq!(body["input"], "2.247454");
    assert_eq!(body["cached_input"], "0.5618635");
    assert_eq!(body["output"], "8.989816");
    assert_eq!(body["currency"], "EUR");
    assert_eq!(body["conversion"]["from"], "USD");
    assert_eq!(body["conversion"]["rate"], "0.9287");
    assert!(body["conversion"]["rate_date"].is_string(), "{body}");
    assert_eq!(body["origins"], json!(["pricing-page"]));
    assert_eq!(body["source"], "pricing-page");
    assert_eq!(body["stale"], false);

    let (status, body) = get(&state, "/api/price?model=gpt-4.1&currency=NZD").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let message = body["error"]["message"].as_str().expect("message");
    assert!(message.contains("no exchange rate for NZD"), "{message}");
    assert!(message.contains("AUD, EUR, USD"), "{message}");
}

#[tokio::test]
async fn retail_api_keeps_its_currency_prices() {
    let stand_in = StandIn::new(current_page());
    let settings = start(&stand_in, "retail-api", "retail").await;
    let state = AppState {
        prices: PriceService::start(&settings).expect("service"),
    };
    let (status, body) = get(
        &state,
        "/api/price?model=gpt-4o-2024-11-20&currency=EUR&at=2026-08-15T00:00:00Z",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // 2.5 USD listed as 2.3 EUR by the stand-in, served as the API gave it, not converted.
    assert_eq!(body["input"], "2.3");
    assert_eq!(body["currency"], "EUR");
    assert_eq!(body.get("conversion"), None, "{body}");
    assert_eq!(body["origins"], json!(["retail-api"]));
    assert_eq!(body["source"], "retail-api");
}

#[tokio::test]
async fn auto_fills_from_page_then_snapshot() {
    let stand_in = StandIn::new(current_page());
    let settings = start(&stand_in, "auto", "auto").await;
    let state = AppState {
        prices: PriceService::start(&settings).expect("service"),
    };
    // The bundled snapshot is served until the first load of the default currency completes.
    let prices = Arc::clone(&state.prices);
    until("the first auto load", || {
        prices
            .cache
            .peek(aoai_catalog::sources::CacheKey::Prices(aoai_core::Currency::USD))
            .is_some_and(|served| served.loaded.source.as_str() == "auto")
    })
    .await;
    let at = "currency=USD";
    let cases = [
        // In the Retail Prices stand-in (eastus2).
        ("model=gpt-4o-2024-11-20&region=eastus2", "retail-api", "2.5"),
        // Not in the stand-in's region; on the page.
        (
            "model=gpt-4.1-2025-04-14&deployment_type=regional&region=swedencentral",
            "pricing-page",
            "2.42",
        ),
        // On neither live source; in the bundled snapshot.
        ("model=gpt-4o-2024-11-20&region=westeurope", "snapshot", "2.5"),
    ];
    for (query, origin, input) in cases {
        let (status, body) = get(&state, &format!("/api/price?{query}&{at}")).await;
        assert_eq!(status, StatusCode::OK, "{query}: {body}");
        assert_eq!(body["origins"], json!([origin]), "{query}: {body}");
        assert_eq!(body["input"], input, "{query}");
        assert_eq!(body["source"], "auto", "{query}");
    }
}

#[tokio::test]
async fn compare_lists_disagreements() {
    // The page lists gpt-4.1 Global input at 2.1 in every region; the API lists 2.
    let page = current_page().replacen(
        r#"{"regional":{"us-east-2":2,"sweden-central":2,"europe-west":2}}"#,
        r#"{"regional":{"us-east-2":2.1,"sweden-central":2,"europe-west":2}}"#,
        1,
    );
    assert_ne!(
        page,
        current_page(),
        "the page fixture changed; update the replaced text"
    );
    let stand_in = StandIn::new(page);
    let settings = start(&stand_in, "retail-api", "compare").await;
    let state = AppState {
        prices: PriceService::start(&settings).expect("service"),
    };
    let (status, body) = get(&state, "/api/prices/compare?region=eastus2").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["count"], 1, "{body}");
    let disagreement = &body["disagreements"][0];
    assert_eq!(disagreement["model"], "gpt-4.1");
    assert_eq!(disagreement["deployment_type"], "global");
    assert_eq!(disagreement["tier"], "standard");
    assert_eq!(disagreement["kind"], "input");
    assert_eq!(disagreement["retail_api"], "2");
    assert_eq!(disagreement["pricing_page"], "2.1");
    assert_eq!(disagreement["difference"], "0.1");
    assert!(body["agreeing"].as_u64().expect("count") > 0, "{body}");
    assert_eq!(body["currency"], "USD");
}

#[tokio::test]
async fn compare_needs_a_live_source() {
    let stand_in = StandIn::new(current_page());
    let settings = start(&stand_in, "snapshot", "compare-offline").await;
    let state = AppState {
        prices: PriceService::start(&settings).expect("service"),
    };
    let (status, body) = get(&state, "/api/prices/compare").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .expect("message")
            .contains("PRICING_SOURCE")
    );
    assert_eq!(stand_in.retail_calls(), 0);
    assert_eq!(stand_in.page_calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn refresh_survives_slow_failing_source() {
    let stand_in = StandIn::new(current_page());
    let mut settings = start(&stand_in, "retail-api", "refresh").await;
    settings.source.time_to_live = Duration::from_millis(400);
    let state = AppState {
        prices: PriceService::start(&settings).expect("service"),
    };
    let uri = "/api/price?model=gpt-4o-2024-11-20&currency=EUR&at=2026-08-15T00:00:00Z";

    // Nothing is loaded in EUR yet: concurrent first requests wait for one slow fetch.
    stand_in.slow.store(true, Ordering::SeqCst);
    let requests: Vec<_> = (0..6)
        .map(|_| {
            let state = state.clone();
            tokio::spawn(async move { get(&state, uri).await })
        })
        .collect();
    until("the first fetch", || stand_in.retail_calls() >= 1).await;
    stand_in.gate.add_permits(1);
    let mut first_as_of = Value::Null;
    for request in requests {
        let (status, body) = request.await.expect("task");
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["stale"], false);
        first_as_of = body["as_of"].clone();
    }
    assert_eq!(stand_in.retail_calls(), 1, "one fetch served every waiting request");

    // The time to live passes. With the source held slow, requests are served at once from the
    // loaded catalog, marked stale, while one refresh waits on the source.
    tokio::time::sleep(Duration::from_millis(450)).await;
    for _ in 0..5 {
        let (status, body) = get(&state, uri).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["stale"], true);
        assert_eq!(body["as_of"], first_as_of);
    }
    until("the refresh to start", || stand_in.retail_calls() == 2).await;

    // The refresh fails: the last good catalog keeps serving, still stale.
    stand_in.failing.store(true, Ordering::SeqCst);
    stand_in.gate.add_permits(1000);
    stand_in.slow.store(false, Ordering::SeqCst);
    let prices = Arc::clone(&state.prices);
    until("the failed refresh", || {
        stand_in.retail_calls() >= 3
            && prices
                .cache
                .peek(aoai_catalog::sources::CacheKey::Prices(eur()))
                .is_some()
    })
    .await;
    let (status, body) = get(&state, uri).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["stale"], true);
    assert_eq!(body["as_of"], first_as_of);
    assert_eq!(body["input"], "2.3");

    // The source recovers: a later request starts a refresh that succeeds, and stale turns off.
    stand_in.failing.store(false, Ordering::SeqCst);
    let mut recovered = Value::Null;
    for _ in 0..400 {
        let (_, body) = get(&state, uri).await;
        if body["stale"] == false {
            recovered = body;
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(
        recovered["stale"], false,
        "the source recovered but answers stayed stale"
    );
    assert_ne!(recovered["as_of"], first_as_of);
}

fn eur() -> aoai_core::Currency {
    "EUR".parse().expect("currency")
}

#[tokio::test]
async fn restart_serves_catalog_from_disk() {
    let stand_in = StandIn::new(current_page());
    let settings = start(&stand_in, "retail-api", "disk").await;
    let first = AppState {
        prices: PriceService::start(&settings).expect("service"),
    };
    let uri = "/api/price?model=gpt-4o-2024-11-20&currency=EUR&at=2026-08-15T00:00:00Z";
    let (status, fetched) = get(&first, uri).await;
    assert_eq!(status, StatusCode::OK, "{fetched}");
    let cache_dir = settings.source.cache_dir.clone().expect("cache dir");
    let files: Vec<_> = std::fs::read_dir(&cache_dir).expect("cache written").collect();
    assert!(!files.is_empty());

    // The restarted app cannot reach the source, yet serves the EUR catalog it wrote.
    stand_in.failing.store(true, Ordering::SeqCst);
    let restarted = AppState {
        prices: PriceService::start(&settings).expect("service"),
    };
    let (status, body) = get(&restarted, uri).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["source"], "retail-api");
    assert_eq!(body["as_of"], fetched["as_of"]);
    assert_eq!(body["input"], "2.3");
    std::fs::remove_dir_all(cache_dir).expect("clean up");
}

#[tokio::test]
async fn redirect_off_loopback_refused() {
    let stand_in = StandIn::new(current_page());
    let mut settings = start(&stand_in, "pricing-page", "redirect").await;
    settings.source.page_url = settings
        .source
        .page_url
        .replace("/pricing/details/azure-openai/", "/moved");
    let state = AppState {
        prices: PriceService::start(&settings).expect("service"),
    };
    let (status, body) = get(&state, "/api/price?model=gpt-4.1&currency=EUR").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let message = body["error"]["message"].as_str().expect("message");
    assert!(message.contains("refused"), "{message}");
}
