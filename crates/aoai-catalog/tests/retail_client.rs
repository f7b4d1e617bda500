//! Tests of the Retail Prices client against a local stand-in of the API on 127.0.0.1.
//!
//! The stand-in replies from a script, one reply per request, and repeats its last reply
//! once the script runs out. Page rows are real rows from the fixtures in
//! `tests/fixtures/retail-prices`.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aoai_catalog::retail::{FetchError, RetailClient, RetailClientOptions, RetailItem};
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;

const PATH: &str = "/api/retail/prices";

const EASTUS2_FILTER: &str =
    "serviceName eq 'Foundry Models' and priceType eq 'Consumption' and armRegionName eq 'eastus2'";

/// The `$filter` value of [`EASTUS2_FILTER`] as the API writes it in its own links.
const EASTUS2_FILTER_ENCODED: &str = "serviceName%20eq%20%27Foundry%20Models%27%20and%20priceType%20eq%20%27Consumption%27%20and%20armRegionName%20eq%20%27eastus2%27";

// Stand-in server

#[derive(Clone)]
struct Reply {
    status: StatusCode,
    retry_after: Option<&'static str>,
    body: String,
}

impl Reply {
    fn ok(body: String) -> Self {
        Self {
            status: StatusCode::OK,
            retry_after: None,
            body,
        }
    }

    fn status(status: StatusCode, body: &str) -> Self {
        Self {
            status,
            retry_after: None,
            body: body.to_owned(),
        }
    }
}

#[derive(Default)]
struct Script {
    replies: Mutex<VecDeque<Reply>>,
    /// The raw query string of every request received, in order.
    queries: Mutex<Vec<String>>,
}

struct StandIn {
    base_url: String,
    script: Arc<Script>,
}

impl StandIn {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the loopback address");
        let address = listener.local_addr().expect("local address");
        let script = Arc::new(Script::default());
        let app = Router::new().route(PATH, get(serve_reply)).with_state(script.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            base_url: format!("http://{address}{PATH}"),
            script,
        }
    }

    fn push(&self, reply: Reply) {
        self.script.replies.lock().expect("script lock").push_back(reply);
    }

    fn queries(&self) -> Vec<String> {
        self.script.queries.lock().expect("script lock").clone()
    }

    /// Returns an absolute next-page link to this stand-in in the API's own format, such as
    /// `...?api-version=2023-01-01-preview&$filter=...&$top=-980&$skip=1000`.
    fn next_link(&self, skip: usize) -> String {
        format!(
            "{}?api-version=2023-01-01-preview&$filter={EASTUS2_FILTER_ENCODED}&$top=-980&$skip={skip}",
            self.base_url
        )
    }

    fn options(&self) -> RetailClientOptions {
        RetailClientOptions {
            base_url: self.base_url.clone(),
            retry_budget: Duration::from_secs(10),
            ..RetailClientOptions::for_regions(["eastus2"])
        }
    }
}

async fn serve_reply(State(script): State<Arc<Script>>, RawQuery(query): RawQuery) -> Response {
    script
        .queries
        .lock()
        .expect("script lock")
        .push(query.unwrap_or_default());

    let reply = {
        let mut replies = script.replies.lock().expect("script lock");
        if replies.len() > 1 {
            replies.pop_front()
        } else {
            replies.front().cloned()
        }
    };
    let Some(reply) = reply else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "the stand-in has no scripted reply").into_response();
    };

    let mut response = (reply.status, reply.body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    if let Some(retry_after) = reply.retry_after {
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static(retry_after));
    }
    response
}

// Fixture rows and pages

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/retail-prices")
        .join(name)
}

fn read_fixture(name: &str) -> String {
    std::fs::read_to_string(fixture_path(name)).expect("fixture readable")
}

/// Returns the first `count` rows of the eastus2 subset, each as its JSON text.
fn openai_rows(count: usize) -> Vec<String> {
    read_fixture("subset_eastus2_key_models_2026-08-15.ndjson")
        .lines()
        .filter(|line| !line.trim().is_empty())
        .take(count)
        .map(str::to_owned)
        .collect()
}

/// Returns real eastus2 rows of products other than Azure OpenAI (Phi, Llama, ...).
fn other_product_rows(count: usize) -> Vec<String> {
    let text = read_fixture("foundry_models_eastus2_2026-08-15.json");
    let page: serde_json::Value = serde_json::from_str(&text).expect("fixture parses");
    page["Items"]
        .as_array()
        .expect("Items is an array")
        .iter()
        .filter(|item| {
            !item["productName"]
                .as_str()
                .unwrap_or_default()
                .starts_with("Azure OpenAI")
        })
        .take(count)
        .map(serde_json::Value::to_string)
        .collect()
}

fn page_body(rows: &[String], next_link: Option<&str>) -> String {
    let next_link = serde_json::to_string(&next_link).expect("link serializes");
    format!(
        r#"{{"BillingCurrency":"USD","CustomerEntityId":"Default","CustomerEntityType":"Retail","Items":[{}],"NextPageLink":{next_link},"Count":{}}}"#,
        rows.join(","),
        rows.len()
    )
}

fn parse_rows(rows: &[String]) -> Vec<RetailItem> {
    rows.iter()
        .map(|row| serde_json::from_str(row).expect("row parses"))
        .collect()
}

fn meter_ids(items: &[RetailItem]) -> Vec<&str> {
    items.iter().map(|item| item.meter_id.as_str()).collect()
}

fn decode_query(query: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

fn client(options: RetailClientOptions) -> RetailClient {
    RetailClient::new(options).expect("valid options")
}

// Paging

#[tokio::test]
async fn pages_follow_next_links() {
    let stand_in = StandIn::start().await;
    let openai = openai_rows(6);
    let others = other_product_rows(2);
    let page_1 = vec![openai[0].clone(), others[0].clone(), openai[1].clone()];
    let page_2 = vec![openai[2].clone(), openai[3].clone()];
    let page_3 = vec![others[1].clone(), openai[4].clone(), openai[5].clone()];
    let link_2 = stand_in.next_link(3);
    let link_3 = stand_in.next_link(5);
    stand_in.push(Reply::ok(page_body(&page_1, Some(&link_2))));
    stand_in.push(Reply::ok(page_body(&page_2, Some(&link_3))));
    stand_in.push(Reply::ok(page_body(&page_3, None)));

    let outcome = client(stand_in.options()).fetch().await.expect("fetch succeeds");

    let expected = parse_rows(&openai);
    assert_eq!(outcome.pages, 3);
    assert_eq!(meter_ids(&outcome.items), meter_ids(&expected));
    assert_eq!(outcome.items, expected);

    let queries = stand_in.queries();
    assert_eq!(queries.len(), 3, "{queries:#?}");
    assert_eq!(
        decode_query(&queries[0]),
        [
            ("api-version".to_owned(), "2023-01-01-preview".to_owned()),
            ("currencyCode".to_owned(), "USD".to_owned()),
            ("$filter".to_owned(), EASTUS2_FILTER.to_owned()),
        ]
    );
    assert!(!queries[0].contains('+'), "spaces are sent as %20: {}", queries[0]);
    assert_eq!(
        Some(queries[1].as_str()),
        link_2.split_once('?').map(|(_, query)| query)
    );
    assert_eq!(
        Some(queries[2].as_str()),
        link_3.split_once('?').map(|(_, query)| query)
    );
}

#[tokio::test]
async fn regions_are_fetched_in_order() {
    let stand_in = StandIn::start().await;
    let rows = openai_rows(4);
    stand_in.push(Reply::ok(page_body(&rows[..2], None)));
    stand_in.push(Reply::ok(page_body(&rows[2..], None)));
    let options = RetailClientOptions {
        regions: vec!["eastus2".to_owned(), "swedencentral".to_owned()],
        ..stand_in.options()
    };

    let outcome = client(options).fetch().await.expect("fetch succeeds");

    assert_eq!(outcome.pages, 2);
    assert_eq!(meter_ids(&outcome.items), meter_ids(&parse_rows(&rows)));
    let filters: Vec<String> = stand_in
        .queries()
        .iter()
        .flat_map(|query| decode_query(query))
        .filter(|(key, _)| key == "$filter")
        .map(|(_, value)| value)
        .collect();
    assert_eq!(
        filters,
        [
            EASTUS2_FILTER,
            "serviceName eq 'Foundry Models' and priceType eq 'Consumption' and armRegionName eq 'swedencentral'",
        ]
    );
}

#[tokio::test]
async fn pre_rename_service_name_is_sent() {
    let stand_in = StandIn::start().await;
    let rows: Vec<String> = read_fixture("cognitive_services_azure_openai_all_regions_2025-08-25.ndjson")
        .lines()
        .filter(|line| line.contains(r#""armRegionName": "eastus2""#))
        .take(3)
        .map(str::to_owned)
        .collect();
    assert_eq!(rows.len(), 3, "the fixture has eastus2 rows");
    stand_in.push(Reply::ok(page_body(&rows, None)));
    let options = RetailClientOptions {
        service_name: "Cognitive Services".to_owned(),
        ..stand_in.options()
    };

    let outcome = client(options).fetch().await.expect("fetch succeeds");

    assert_eq!(outcome.items, parse_rows(&rows));
    let query = decode_query(&stand_in.queries()[0]);
    assert!(
        query.contains(&(
            "$filter".to_owned(),
            "serviceName eq 'Cognitive Services' and priceType eq 'Consumption' and armRegionName eq 'eastus2'"
                .to_owned()
        )),
        "{query:?}"
    );
}

#[tokio::test]
async fn next_link_loop_is_rejected() {
    let stand_in = StandIn::start().await;
    let rows = openai_rows(2);
    let link = stand_in.next_link(1);
    stand_in.push(Reply::ok(page_body(&rows[..1], Some(&link))));
    stand_in.push(Reply::ok(page_body(&rows[1..], Some(&link))));

    let error = client(stand_in.options()).fetch().await.expect_err("the fetch fails");

    assert!(matches!(error, FetchError::NextLinkLoop { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains(&link), "{message}");
    assert!(message.contains(EASTUS2_FILTER), "{message}");
    assert_eq!(stand_in.queries().len(), 2);
}

#[tokio::test]
async fn next_link_back_to_first_page_is_rejected() {
    let stand_in = StandIn::start().await;
    let rows = openai_rows(1);
    let first_url = format!(
        "{}?api-version=2023-01-01-preview&currencyCode=USD&$filter={EASTUS2_FILTER_ENCODED}",
        stand_in.base_url
    );
    stand_in.push(Reply::ok(page_body(&rows, Some(&first_url))));

    let error = client(stand_in.options()).fetch().await.expect_err("the fetch fails");

    assert!(matches!(error, FetchError::NextLinkLoop { .. }), "{error:?}");
    assert_eq!(stand_in.queries().len(), 1);
}

#[tokio::test]
async fn page_limit_is_enforced() {
    let stand_in = StandIn::start().await;
    let rows = openai_rows(3);
    stand_in.push(Reply::ok(page_body(&rows[..1], Some(&stand_in.next_link(1)))));
    stand_in.push(Reply::ok(page_body(&rows[1..2], Some(&stand_in.next_link(2)))));
    stand_in.push(Reply::ok(page_body(&rows[2..], None)));
    let options = RetailClientOptions {
        max_pages: 2,
        ..stand_in.options()
    };

    let error = client(options).fetch().await.expect_err("the fetch fails");

    assert!(
        matches!(error, FetchError::TooManyPages { max_pages: 2, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("more than 2 pages"), "{error}");
    assert_eq!(stand_in.queries().len(), 2);
}

#[tokio::test]
async fn empty_first_page_names_the_filter() {
    let stand_in = StandIn::start().await;
    stand_in.push(Reply::ok(read_fixture("empty_response_2026-01-11.json")));

    let error = client(stand_in.options()).fetch().await.expect_err("the fetch fails");

    assert!(matches!(error, FetchError::NoRows { .. }), "{error:?}");
    assert!(error.to_string().contains(EASTUS2_FILTER), "{error}");
    assert!(!error.is_retryable());
}

// Currency

#[tokio::test]
async fn euro_prices_are_requested() {
    let stand_in = StandIn::start().await;
    let rows: Vec<String> = openai_rows(3)
        .iter()
        .map(|row| row.replace(r#""currencyCode": "USD""#, r#""currencyCode": "EUR""#))
        .collect();
    assert!(rows.iter().all(|row| row.contains(r#""currencyCode": "EUR""#)));
    stand_in.push(Reply::ok(page_body(&rows, None)));
    let options = RetailClientOptions {
        currency: "EUR".parse().expect("valid code"),
        ..stand_in.options()
    };

    let outcome = client(options).fetch().await.expect("fetch succeeds");

    assert_eq!(outcome.items.len(), 3);
    assert!(outcome.items.iter().all(|item| item.currency_code == "EUR"));
    let query = decode_query(&stand_in.queries()[0]);
    assert!(
        query.contains(&("currencyCode".to_owned(), "EUR".to_owned())),
        "{query:?}"
    );
}

#[tokio::test]
async fn currency_mismatch_is_rejected() {
    let stand_in = StandIn::start().await;
    stand_in.push(Reply::ok(page_body(&openai_rows(2), None)));
    let options = RetailClientOptions {
        currency: "EUR".parse().expect("valid code"),
        ..stand_in.options()
    };

    let error = client(options).fetch().await.expect_err("the fetch fails");

    assert!(matches!(error, FetchError::CurrencyMismatch { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("'USD'"), "{message}");
    assert!(message.contains("EUR was requested"), "{message}");
}

// Retries

#[tokio::test]
async fn throttled_request_honours_retry_after() {
    let stand_in = StandIn::start().await;
    let rows = openai_rows(2);
    stand_in.push(Reply {
        retry_after: Some("1"),
        ..Reply::status(StatusCode::TOO_MANY_REQUESTS, "")
    });
    stand_in.push(Reply::ok(page_body(&rows, None)));

    let started = Instant::now();
    let outcome = client(stand_in.options())
        .fetch()
        .await
        .expect("fetch succeeds after the retry");
    let elapsed = started.elapsed();

    assert_eq!(outcome.items, parse_rows(&rows));
    assert_eq!(stand_in.queries().len(), 2);
    assert!(
        elapsed >= Duration::from_millis(900),
        "Retry-After: 1 was not honoured, elapsed {elapsed:?}"
    );
}

#[tokio::test]
async fn retry_after_beyond_budget_fails_at_once() {
    let stand_in = StandIn::start().await;
    stand_in.push(Reply {
        retry_after: Some("120"),
        ..Reply::status(StatusCode::TOO_MANY_REQUESTS, "")
    });

    let started = Instant::now();
    let error = client(stand_in.options()).fetch().await.expect_err("the fetch fails");
    let elapsed = started.elapsed();

    assert!(matches!(error, FetchError::RetryAfterExceedsBudget { .. }), "{error:?}");
    assert!(error.to_string().contains("120s"), "{error}");
    assert!(error.is_retryable());
    assert_eq!(stand_in.queries().len(), 1);
    assert!(
        elapsed < Duration::from_secs(5),
        "the client waited although the budget could not cover Retry-After: {elapsed:?}"
    );
}

#[tokio::test]
async fn server_error_is_retried() {
    let stand_in = StandIn::start().await;
    let rows = openai_rows(2);
    stand_in.push(Reply::status(StatusCode::INTERNAL_SERVER_ERROR, "upstream failure"));
    stand_in.push(Reply::ok(page_body(&rows, None)));

    let outcome = client(stand_in.options())
        .fetch()
        .await
        .expect("fetch succeeds after the retry");

    assert_eq!(outcome.items, parse_rows(&rows));
    assert_eq!(outcome.pages, 1);
    assert_eq!(stand_in.queries().len(), 2);
}

#[tokio::test]
async fn persistent_server_error_exhausts_budget() {
    let stand_in = StandIn::start().await;
    stand_in.push(Reply::status(StatusCode::INTERNAL_SERVER_ERROR, "upstream failure"));
    let options = RetailClientOptions {
        retry_budget: Duration::from_secs(2),
        ..stand_in.options()
    };

    let started = Instant::now();
    let error = client(options).fetch().await.expect_err("the fetch fails");
    let elapsed = started.elapsed();

    assert!(matches!(error, FetchError::RetryBudgetExhausted { .. }), "{error:?}");
    assert!(error.is_retryable());
    let message = error.to_string();
    assert!(message.contains("HTTP 500"), "{message}");
    assert!(message.contains(&stand_in.base_url), "{message}");
    assert!(message.contains("2s retry budget"), "{message}");
    let requests = stand_in.queries().len();
    assert!(requests >= 3, "only {requests} requests within the budget");
    assert!(
        elapsed >= Duration::from_secs(2),
        "gave up before the budget ran out: {elapsed:?}"
    );
    assert!(
        elapsed < Duration::from_secs(8),
        "the budget did not bound the retries: {elapsed:?}"
    );
}

#[tokio::test]
async fn refused_connection_exhausts_budget() {
    // Bind a port, then close it, so that connections to it are refused.
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the loopback address");
    let address = listener.local_addr().expect("local address");
    drop(listener);
    let options = RetailClientOptions {
        base_url: format!("http://{address}{PATH}"),
        retry_budget: Duration::from_secs(1),
        ..RetailClientOptions::for_regions(["eastus2"])
    };

    let error = client(options).fetch().await.expect_err("the fetch fails");

    assert!(
        matches!(error, FetchError::RetryBudgetExhausted { attempts: 2.., .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn bad_request_is_not_retried() {
    let stand_in = StandIn::start().await;
    stand_in.push(Reply::status(
        StatusCode::BAD_REQUEST,
        r#"{"Error":{"Code":"BadRequest","Message":"Invalid OData parameters supplied"}}"#,
    ));

    let error = client(stand_in.options()).fetch().await.expect_err("the fetch fails");

    assert!(
        matches!(
            error,
            FetchError::Status {
                status: StatusCode::BAD_REQUEST,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(!error.is_retryable());
    let message = error.to_string();
    assert!(message.contains("HTTP 400"), "{message}");
    assert!(message.contains("Invalid OData parameters supplied"), "{message}");
    assert_eq!(stand_in.queries().len(), 1);
}

#[tokio::test]
async fn retail_page_not_json_rejected() {
    let stand_in = StandIn::start().await;
    stand_in.push(Reply::status(
        StatusCode::OK,
        "<html><body>Service maintenance</body></html>",
    ));

    let error = client(stand_in.options()).fetch().await.expect_err("the fetch fails");

    assert!(matches!(error, FetchError::InvalidPage { .. }), "{error:?}");
    assert!(!error.is_retryable());
    assert_eq!(stand_in.queries().len(), 1, "garbage is not asked for again");
}
