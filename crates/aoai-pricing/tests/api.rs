//! The price routes driven in-process, without a socket.

use std::sync::{Arc, OnceLock};

use aoai_catalog::sources::{PriceService, PriceSettings};
use aoai_pricing::{AppState, app};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

/// Returns state over one catalog shared by every test in this file, because building it is the slow part.
fn state() -> AppState {
    static PRICES: OnceLock<Arc<PriceService>> = OnceLock::new();
    let prices = PRICES.get_or_init(|| {
        let settings = PriceSettings::from_lookup(|_| None).expect("default settings");
        PriceService::start(&settings).expect("snapshot loads")
    });
    AppState {
        prices: Arc::clone(prices),
    }
}

async fn get(uri: &str) -> (StatusCode, Value) {
    let response = app(state())
        .oneshot(Request::get(uri).body(Body::empty()).expect("request"))
        .await
        .expect("router answers");
    let status = response.status();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    let json = serde_json::from_slice(&bytes).unwrap_or_else(|_| panic!("{uri}: body is not JSON: {bytes:?}"));
    (status, json)
}

const AT: &str = "at=2026-08-15T12:00:00Z";

#[tokio::test]
async fn readiness_probe_answers() {
    let (status, body) = get("/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ready");
    assert_eq!(body["source"], "snapshot");
}

#[tokio::test]
async fn price_answer_states_every_value_used() {
    let (status, body) = get(&format!("/api/price?model=gpt-4o-2024-11-20&{AT}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["model"], "gpt-4o");
    assert_eq!(body["version"], "2024-11-20");
    assert_eq!(body["version_match"], "exact");
    assert_eq!(body["deployment_type"], "global");
    assert_eq!(body["tier"], "standard");
    assert_eq!(body["region"], "eastus2");
    assert_eq!(body["currency"], "USD");
    assert_eq!(body["per_tokens"], 1_000_000);
    assert_eq!(body["input"], "2.5");
    assert_eq!(body["cached_input"], "1.25");
    assert_eq!(body["output"], "10");
    assert_eq!(body["prices"]["cached_input"], "1.25");
    assert_eq!(body["context_band"], Value::Null);
    assert_eq!(body["effective_from"], "2024-12-01T00:00:00Z");
    assert_eq!(body["source"], "snapshot");
    assert_eq!(body["as_of"], "2026-08-15T00:00:00Z");
    assert_eq!(body["stale"], false);
}

#[tokio::test]
async fn parameter_forms_select_the_same_key() {
    // Each pair of query strings names one key two ways and must return one response.
    let pairs = [
        ("model=gpt-4o-2024-08-06", "model=gpt-4o&version=2024-08-06"),
        (
            "model=gpt-4o&deployment_type=datazone",
            "model=gpt-4o&deployment_type=DataZoneStandard",
        ),
        (
            "model=gpt-4o&deployment_type=regional",
            "model=gpt-4o&deployment_type=Standard",
        ),
        (
            "model=gpt-4o&deployment_type=global&tier=batch",
            "model=gpt-4o&deployment_type=GlobalBatch",
        ),
        (
            "model=gpt-4o&deployment_type=datazone&tier=batch",
            "model=gpt-4o&deployment_type=DataZoneBatch",
        ),
        (
            "model=gpt-4o&region=EastUS2",
            "model=gpt-4o&region=eastus2&currency=usd",
        ),
        ("model=GPT-4o", "model=gpt-4o&deployment_type=global&tier=standard"),
    ];
    for (left, right) in pairs {
        let (status_left, body_left) = get(&format!("/api/price?{left}&{AT}")).await;
        let (status_right, body_right) = get(&format!("/api/price?{right}&{AT}")).await;
        assert_eq!(status_left, StatusCode::OK, "{left}: {body_left}");
        assert_eq!(status_right, StatusCode::OK, "{right}: {body_right}");
        assert_eq!(body_left, body_right, "{left} vs {right}");
    }
}

#[tokio::test]
async fn newest_version_is_the_default() {
    let (status, body) = get(&format!("/api/price?model=gpt-4o&{AT}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["version"], "2024-11-20");
    assert_eq!(body["version_match"], "newest");
}

#[tokio::test]
async fn unversioned_meters_match_any_version() {
    let (status, body) = get(&format!("/api/price?model=gpt-4.1-2025-04-14&{AT}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["version"], Value::Null);
    assert_eq!(body["version_match"], "any_version");
    assert_eq!(body["input"], "2");
}

#[tokio::test]
async fn azure_spellings_are_accepted() {
    let (status, body) = get(&format!("/api/price?model=gpt-3.5-turbo&deployment_type=regional&{AT}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["model"], "gpt-35-turbo");
}

#[tokio::test]
async fn regional_price_depends_on_region() {
    let (_, eastus2) = get(&format!(
        "/api/price?model=gpt-4o-2024-11-20&deployment_type=Standard&{AT}"
    ))
    .await;
    let (_, sweden) = get(&format!(
        "/api/price?model=gpt-4o-2024-11-20&deployment_type=Standard&region=swedencentral&{AT}"
    ))
    .await;
    assert_eq!(eastus2["input"], "2.75");
    assert_eq!(sweden["input"], "3.025");
    assert_eq!(sweden["cached_input"], "1.513");
    assert_eq!(sweden["output"], "12.1");
}

#[tokio::test]
async fn context_band_defaults_to_short() {
    let (status, short) = get(&format!("/api/price?model=gpt-5.5&{AT}")).await;
    assert_eq!(status, StatusCode::OK, "{short}");
    assert_eq!(short["context_band"], "short");
    assert_eq!(short["input"], "5");
    let (_, long) = get(&format!("/api/price?model=gpt-5.5&context_band=long&{AT}")).await;
    assert_eq!(long["context_band"], "long");
    assert_eq!(long["input"], "10");
    assert_eq!(long["cached_input"], "1");
    assert_eq!(long["output"], "45");
}

#[tokio::test]
async fn past_time_answers_past_price() {
    let (_, before) = get("/api/price?model=gpt-4o-2024-05-13&deployment_type=regional&at=2025-06-01T00:00:00Z").await;
    let (_, after) =
        get("/api/price?model=gpt-4o-2024-05-13&deployment_type=regional&at=2025-10-01T00:00:00%2B02:00").await;
    assert_eq!(before["input"], "5");
    assert_eq!(after["input"], "5.5");
}

#[tokio::test]
async fn invalid_parameters_are_400_naming_the_parameter() {
    let cases = [
        ("/api/price", "model"),
        ("/api/price?model=", "model"),
        ("/api/price?model=gpt-4o&version=2024-13-01", "version"),
        ("/api/price?model=gpt-4o-2024-08-06&version=2024-11-20", "version"),
        ("/api/price?model=gpt-4o&deployment_type=turbo", "deployment_type"),
        (
            "/api/price?model=gpt-4o&deployment_type=ProvisionedManaged",
            "deployment_type",
        ),
        (
            "/api/price?model=gpt-4o&deployment_type=GlobalBatch&tier=priority",
            "tier",
        ),
        ("/api/price?model=gpt-4o&tier=gold", "tier"),
        ("/api/price?model=gpt-4o&region=east%20us", "region"),
        ("/api/price?model=gpt-4o&currency=dollars", "currency"),
        ("/api/price?model=gpt-4o&at=yesterday", "at"),
        ("/api/price?model=gpt-4o&context_band=medium", "context_band"),
        ("/api/price?model=gpt-4o&colour=blue", "colour"),
        ("/api/price?model=gpt-4o&model=o1", "model"),
        ("/api/prices?tier=gold", "tier"),
        ("/api/prices/rejected?x=1", "x"),
    ];
    for (uri, parameter) in cases {
        let (status, body) = get(uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
        assert_eq!(body["error"]["parameter"], parameter, "{uri}: {body}");
        assert!(!body["error"]["message"].as_str().unwrap_or("").is_empty(), "{uri}");
    }
}

#[tokio::test]
async fn deployment_type_error_lists_accepted_values() {
    let (_, body) = get("/api/price?model=gpt-4o&deployment_type=turbo").await;
    let message = body["error"]["message"].as_str().unwrap_or("");
    for accepted in ["global", "datazone", "regional", "GlobalStandard", "DataZoneBatch"] {
        assert!(message.contains(accepted), "{message}");
    }
}

#[tokio::test]
async fn unknown_values_are_404_naming_closest() {
    let cases = [
        ("/api/price?model=gpt-4oo", "did you mean gpt-4o"),
        ("/api/price?model=gpt-4o&region=eastus3", "did you mean eastus"),
        ("/api/price?model=gpt-4o&currency=EUR", "in USD only"),
        (
            "/api/price?model=gpt-4o&version=2023-01-01",
            "priced versions: 2024-05-13, 2024-08-06, 2024-11-20",
        ),
        (
            "/api/price?model=gpt-4o&at=2020-01-01T00:00:00Z",
            "earliest price starts",
        ),
        (
            "/api/price?model=gpt-5-pro&deployment_type=regional",
            "priced for: datazone batch, datazone standard, global batch, global standard",
        ),
        ("/api/prices?model=nope", "unknown model 'nope'"),
    ];
    for (uri, expected) in cases {
        let (status, body) = get(uri).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}: {body}");
        let message = body["error"]["message"].as_str().unwrap_or("");
        assert!(message.contains(expected), "{uri}: {message}");
    }
}

#[tokio::test]
async fn unknown_route_is_404_json() {
    let (status, body) = get("/api/nothing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "no_route");
}

#[tokio::test]
async fn price_list_filters() {
    let (status, body) = get(&format!(
        "/api/prices?model=gpt-4o-mini&region=eastus2&deployment_type=GlobalBatch&{AT}"
    ))
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let prices = body["prices"].as_array().expect("prices array");
    assert_eq!(body["count"], prices.len());
    let kinds: Vec<&str> = prices.iter().filter_map(|price| price["kind"].as_str()).collect();
    assert_eq!(kinds, vec!["input", "output"], "{body}");
    for price in prices {
        assert_eq!(price["model"]["name"], "gpt-4o-mini");
        assert_eq!(price["tier"], "batch");
        assert_eq!(price["deployment_type"], "global");
    }
    assert_eq!(prices[0]["price"], "0.075");
    assert_eq!(body["source"], "snapshot");
}

#[tokio::test]
async fn rejected_rows_carry_reasons() {
    let (status, body) = get("/api/prices/rejected").await;
    assert_eq!(status, StatusCode::OK);
    let rows = body["rejected"].as_array().expect("rejected array");
    assert_eq!(body["count"], rows.len());
    assert!(!rows.is_empty());
    for row in rows {
        assert!(!row["reason"].as_str().unwrap_or("").is_empty(), "{row}");
        assert!(!row["meter_name"].as_str().unwrap_or("").is_empty(), "{row}");
    }
    assert!(body["stats"]["token_prices"].as_u64().unwrap_or(0) > 7_000);
}

/// Starts a service over the snapshot with the overrides in `toml`, written to a temporary file.
fn state_with_overrides(name: &str, toml: &str) -> AppState {
    let path = std::env::temp_dir().join(format!("aoai-pricing-{}-{name}.toml", std::process::id()));
    std::fs::write(&path, toml).expect("write overrides");
    let path_text = path.display().to_string();
    let settings =
        PriceSettings::from_lookup(|name| (name == "PRICE_OVERRIDES").then(|| path_text.clone())).expect("settings");
    let prices = PriceService::start(&settings).expect("service starts");
    std::fs::remove_file(&path).expect("remove overrides");
    AppState { prices }
}

async fn get_with(state: AppState, uri: &str) -> (StatusCode, Value) {
    let response = app(state)
        .oneshot(Request::get(uri).body(Body::empty()).expect("request"))
        .await
        .expect("router answers");
    let status = response.status();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    (status, serde_json::from_slice(&bytes).expect("JSON body"))
}

#[tokio::test]
async fn overrides_give_effective_prices() {
    let state = state_with_overrides(
        "effective",
        "[[discount]]\npercent = 10\n\n[[price]]\nmodel = \"gpt-4o\"\ncurrency = \"USD\"\ninput = \"2.00\"\n",
    );
    let (status, body) = get_with(state.clone(), &format!("/api/price?model=gpt-4o-2024-11-20&{AT}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Input is the agreed 2.00; cached input and output keep their own list prices less 10%.
    assert_eq!(body["input"], "2");
    assert_eq!(body["cached_input"], "1.125");
    assert_eq!(body["output"], "9");
    assert_eq!(body["list"]["input"], "2.5");
    assert_eq!(body["list"]["cached_input"], "1.25");
    assert_eq!(body["list"]["output"], "10");
    assert_eq!(body["overrides"]["input"]["rule"], "price");
    assert_eq!(body["overrides"]["output"]["rule"], "discount");
    assert_eq!(body["overrides"]["output"]["percent"], "10");

    let (status, body) = get_with(
        state,
        &format!(
            "/api/prices?model=gpt-4o&version=2024-11-20&deployment_type=global&tier=standard&region=eastus2&{AT}"
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let output = body["prices"]
        .as_array()
        .expect("prices")
        .iter()
        .find(|price| price["kind"] == "output")
        .expect("an output price");
    assert_eq!(output["price"], "10");
    assert_eq!(output["effective_price"], "9");
}

#[tokio::test]
async fn invalid_overrides_stop_start_up() {
    let path = std::env::temp_dir().join(format!("aoai-pricing-{}-invalid.toml", std::process::id()));
    std::fs::write(&path, "[[discount]]\npercent = 150\n").expect("write");
    let path_text = path.display().to_string();
    let settings =
        PriceSettings::from_lookup(|name| (name == "PRICE_OVERRIDES").then(|| path_text.clone())).expect("settings");
    let error = PriceService::start(&settings).expect_err("percent out of range");
    std::fs::remove_file(&path).expect("remove");
    assert!(error.contains("discount 1: percent 150 is outside 0 to 100"), "{error}");
}

#[tokio::test]
async fn list_unknown_region_is_404() {
    let (status, body) = get("/api/prices?region=eastus3").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let message = body["error"]["message"].as_str().expect("message");
    assert!(message.contains("did you mean"), "{message}");
    let (status, body) = get("/api/prices/rejected?foo=1").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]["message"]
            .as_str()
            .expect("message")
            .contains("takes no parameters")
    );
}

#[tokio::test]
async fn long_values_cut_in_messages() {
    let model = "x".repeat(5000);
    let (status, body) = get(&format!("/api/price?model={model}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        body["error"]["message"].as_str().expect("message").len() < 1000,
        "{body}"
    );
}

#[tokio::test]
async fn function_key_parameter_ignored() {
    let (status, body) = get(&format!(
        "/api/price?model=gpt-4o-2024-11-20&code=secret-key&subscription-key=gateway-key&{AT}"
    ))
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(!body.to_string().contains("secret-key"));
    assert!(!body.to_string().contains("gateway-key"));
}
