//! The usage function against local stand-ins of the Application Insights and Log Analytics
//! query APIs and of the App Service managed identity endpoint, all on the loopback address.

mod support;

use std::collections::VecDeque;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use support::Span;

const APP_ID: &str = "11111111-2222-3333-4444-555555555555";
const WORKSPACE_ID: &str = "66666666-7777-8888-9999-000000000000";
const IDENTITY_HEADER: &str = "identity-header-value";

/// What the query stand-in received.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    authorization: String,
    prefer: String,
    body: Value,
}

/// A scripted reply: status, extra headers and body.
type Reply = (StatusCode, Vec<(&'static str, String)>, Value);

#[derive(Default)]
struct StandIn {
    replies: Mutex<VecDeque<Reply>>,
    queries: Mutex<Vec<Received>>,
    token_requests: Mutex<Vec<(String, String)>>,
    /// How the identity stand-in replies: `token`, `garbage` or `hang`.
    token_reply: Mutex<&'static str>,
}

impl StandIn {
    fn reply(&self, status: StatusCode, headers: Vec<(&'static str, String)>, body: Value) {
        self.replies.lock().expect("lock").push_back((status, headers, body));
    }

    fn rows(&self, rows: Vec<Value>) {
        self.reply(StatusCode::OK, Vec::new(), result(rows));
    }

    fn queries(&self) -> Vec<Received> {
        self.queries.lock().expect("lock").clone()
    }
}

const COLUMNS: [(&str, &str); 15] = [
    ("bucket_start", "datetime"),
    ("user", "string"),
    ("subscription", "string"),
    ("deployment", "string"),
    ("response_model", "string"),
    ("service_tier", "string"),
    ("input_tokens", "long"),
    ("cached_input_tokens", "long"),
    ("output_tokens", "long"),
    ("reasoning_tokens", "long"),
    ("requests", "long"),
    ("rejected", "long"),
    ("usage_missing", "long"),
    ("source", "string"),
    ("estimated", "bool"),
];

/// A query result in the documented schema.
fn result(rows: Vec<Value>) -> Value {
    let columns: Vec<Value> = COLUMNS
        .iter()
        .map(|(name, kind)| json!({"name": name, "type": kind}))
        .collect();
    json!({"tables": [{"name": "PrimaryResult", "columns": columns, "rows": rows}]})
}

async fn token(State(stand_in): State<Arc<StandIn>>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    let header = headers
        .get("x-identity-header")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let resource = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(name, _)| name == "resource")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default();
    stand_in
        .token_requests
        .lock()
        .expect("lock")
        .push((header.clone(), resource.clone()));
    if header != IDENTITY_HEADER {
        return (StatusCode::UNAUTHORIZED, "wrong identity header").into_response();
    }
    let reply = *stand_in.token_reply.lock().expect("lock");
    match reply {
        "garbage" => return (StatusCode::OK, "<html>sign-in page</html>").into_response(),
        "hang" => std::future::pending::<()>().await,
        _ => {}
    }
    let expires = chrono::Utc::now().timestamp() + 3600;
    axum::Json(json!({
        "access_token": format!("token-for-{resource}"),
        "expires_on": expires.to_string(),
        "resource": resource,
        "token_type": "Bearer",
    }))
    .into_response()
}

async fn query(
    State(stand_in): State<Arc<StandIn>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    stand_in.queries.lock().expect("lock").push(Received {
        path: uri.path().to_owned(),
        authorization: header("authorization"),
        prefer: header("prefer"),
        body,
    });
    let reply = stand_in.replies.lock().expect("lock").pop_front();
    let (status, extra, body) = reply.unwrap_or((StatusCode::OK, Vec::new(), result(Vec::new())));
    let mut response = (status, axum::Json(body)).into_response();
    for (name, value) in extra {
        response
            .headers_mut()
            .insert(name, value.parse().expect("header value"));
    }
    response
}

async fn start_stand_in() -> (Arc<StandIn>, String) {
    let stand_in = Arc::new(StandIn::default());
    let router = axum::Router::new()
        .route("/msi/token", axum::routing::get(token))
        .route("/v1/apps/{id}/query", axum::routing::post(query))
        .route("/v1/workspaces/{id}/query", axum::routing::post(query))
        .with_state(Arc::clone(&stand_in));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    (stand_in, format!("http://{address}"))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("address")
        .port()
}

struct Handler {
    child: Child,
    base: String,
}

impl Drop for Handler {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_handler(dir: &Path, env: &[(&str, String)]) -> Handler {
    std::fs::write(dir.join("deployments.json"), support::DEPLOYMENTS_EASTUS2).expect("deployments");
    let port = free_port();
    let mut command = Command::new(env!("CARGO_BIN_EXE_aoai-usage"));
    command
        .env("FUNCTIONS_CUSTOMHANDLER_PORT", port.to_string())
        .env("USAGE_STORE", dir.join("usage.db"))
        .env("PRICING_CACHE_PATH", dir.join("prices"))
        .env("AOAI_DEPLOYMENTS", dir.join("deployments.json"))
        .env("USAGE_QUERY_ATTEMPTS", "3")
        .env_remove("APPINSIGHTS_APP_ID")
        .env_remove("LOG_ANALYTICS_WORKSPACE_ID")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("aoai-usage starts");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if client
            .get(format!("{base}/"))
            .send()
            .await
            .is_ok_and(|response| response.status().is_success())
        {
            break;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("aoai-usage exited early with {status}");
        }
        assert!(Instant::now() < deadline, "aoai-usage did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Handler { child, base }
}

fn azure_env(base: &str, api: &str) -> Vec<(&'static str, String)> {
    let mut env = vec![
        ("IDENTITY_ENDPOINT", format!("{base}/msi/token")),
        ("IDENTITY_HEADER", IDENTITY_HEADER.to_owned()),
    ];
    match api {
        "appinsights" => {
            env.push(("APPINSIGHTS_APP_ID", APP_ID.to_owned()));
            env.push(("APPINSIGHTS_QUERY_ENDPOINT", base.to_owned()));
        }
        _ => {
            env.push(("LOG_ANALYTICS_WORKSPACE_ID", WORKSPACE_ID.to_owned()));
            env.push(("LOG_ANALYTICS_QUERY_ENDPOINT", base.to_owned()));
        }
    }
    env
}

async fn get(handler: &Handler, query: &str) -> (StatusCode, HeaderMap, Value) {
    let response = reqwest::get(format!("{}/api/usage?{query}", handler.base))
        .await
        .expect("usage request");
    let status = StatusCode::from_u16(response.status().as_u16()).expect("status");
    let mut headers = HeaderMap::new();
    for (name, value) in response.headers() {
        if let (Ok(name), Ok(value)) = (
            axum::http::HeaderName::from_bytes(name.as_str().as_bytes()),
            axum::http::HeaderValue::from_bytes(value.as_bytes()),
        ) {
            headers.insert(name, value);
        }
    }
    (status, headers, response.json().await.expect("JSON"))
}

const AUGUST: &str = "from=2026-08-01&to=2026-09-01";

/// A row as Application Insights returns it: every value as text.
fn text_row(user: &str, deployment: &str, input: u64, cached: u64, output: u64) -> Value {
    json!([
        "2026-08-20T12:00:00Z",
        user,
        "",
        deployment,
        "",
        "",
        input.to_string(),
        cached.to_string(),
        output.to_string(),
        "0",
        "1",
        "0",
        "0",
        "otel",
        "False"
    ])
}

#[tokio::test]
async fn appinsights_rows_priced_with_managed_identity_token() {
    let (stand_in, base) = start_stand_in().await;
    let dir = support::temp_dir("azure-ai");
    let mut env = azure_env(&base, "appinsights");
    env.push(("USAGE_QUERY_TIMEOUT_SECONDS", "45".to_owned()));
    let handler = start_handler(&dir, &env).await;
    stand_in.rows(vec![text_row("alice", "chat-0806", 2006, 1920, 300)]);

    let (status, _, body) = get(&handler, AUGUST).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["rows"][0]["user"], "alice");
    assert_eq!(body["rows"][0]["cost"], "0.005615");
    assert_eq!(body["backend"], "appinsights");
    assert_eq!(body["source"], "otel");

    let received = stand_in.queries();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].path, format!("/v1/apps/{APP_ID}/query"));
    // A loopback endpoint takes its own origin as the token audience.
    assert_eq!(received[0].authorization, format!("Bearer token-for-{base}"));
    assert_eq!(received[0].prefer, "wait=45");
    // An hour either side, for parent spans and gateway logs just outside the period.
    assert_eq!(
        received[0].body["timespan"],
        "2026-07-31T23:00:00Z/2026-09-01T01:00:00Z"
    );
    let text = received[0].body["query"].as_str().expect("query text");
    assert!(text.contains("union dependencies, requests"), "{text}");
    assert!(text.contains("bin(timestamp, 15m)"), "{text}");
    assert!(text.contains("datetime(2026-08-01T00:00:00.000000Z)"), "{text}");
    let tokens = stand_in.token_requests.lock().expect("lock").clone();
    assert_eq!(tokens[0], (IDENTITY_HEADER.to_owned(), base.clone()));
}

#[tokio::test]
async fn log_analytics_queries_per_source() {
    let (stand_in, base) = start_stand_in().await;
    let dir = support::temp_dir("azure-la");
    let mut env = azure_env(&base, "loganalytics");
    env.push(("USAGE_QUERY_SCOPE", "https://api.loganalytics.io/.default".to_owned()));
    let handler = start_handler(&dir, &env).await;
    for source in ["otel", "apim", "apim-logs"] {
        // Native JSON values, as Log Analytics returns them.
        stand_in.rows(vec![json!([
            "2026-08-20T12:00:00Z",
            "dave",
            "sub-1",
            "chat-global",
            null,
            null,
            3000,
            0,
            600,
            0,
            3,
            0,
            0,
            source,
            false
        ])]);
        let (status, _, body) = get(&handler, &format!("{AUGUST}&source={source}")).await;
        assert_eq!(status, StatusCode::OK, "{source}: {body}");
        assert_eq!(body["rows"][0]["cost"], "0.00081", "{source}");
        assert_eq!(body["rows"][0]["requests"], 3, "{source}");
    }
    let received = stand_in.queries();
    assert!(
        received
            .iter()
            .all(|query| query.path == format!("/v1/workspaces/{WORKSPACE_ID}/query"))
    );
    assert!(
        received
            .iter()
            .all(|query| query.authorization == "Bearer token-for-https://api.loganalytics.io")
    );
    let text = |index: usize| received[index].body["query"].as_str().expect("text").to_owned();
    assert!(text(0).contains("union AppDependencies, AppRequests"), "{}", text(0));
    assert!(text(0).contains("ItemCount"), "{}", text(0));
    assert!(text(1).contains("AppMetrics"), "{}", text(1));
    assert!(text(1).contains("sumif(Sum"), "{}", text(1));
    assert!(text(1).contains("sumif(ItemCount"), "{}", text(1));
    assert!(text(2).contains("ApiManagementGatewayLlmLog"), "{}", text(2));
    assert!(text(2).contains("by CorrelationId"), "{}", text(2));
    assert!(
        text(2).contains("join kind=leftouter gateway on CorrelationId"),
        "{}",
        text(2)
    );
}

#[tokio::test]
async fn hostile_filter_values_stay_literals() {
    let (stand_in, base) = start_stand_in().await;
    let dir = support::temp_dir("azure-hostile");
    let handler = start_handler(&dir, &azure_env(&base, "appinsights")).await;
    let hostile = ["a' | take 1 //", "b\" ; .drop table x", "c\\\n| union *", "日本語|;"];
    let mut query = AUGUST.to_owned();
    for value in hostile {
        query.push_str(&format!(
            "&user={}",
            url::form_urlencoded::byte_serialize(value.as_bytes()).collect::<String>()
        ));
    }
    let (status, _, body) = get(&handler, &query).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let text = stand_in.queries()[0].body["query"].as_str().expect("text").to_owned();
    for value in hostile {
        assert!(!text.contains(value), "{value:?} appears as written in:\n{text}");
    }
    let filter = text
        .lines()
        .find(|line| line.starts_with("| where tolower(trim("))
        .expect("user filter");
    let encoded: Vec<&str> = filter
        .split("base64_decode_tostring('")
        .skip(1)
        .map(|part| &part[..part.find('\'').expect("end")])
        .collect();
    assert_eq!(encoded.len(), hostile.len());
    assert!(
        encoded
            .iter()
            .all(|value| value.chars().all(|c| c.is_ascii_alphanumeric() || "+/=".contains(c)))
    );
}

#[tokio::test]
async fn upstream_failures_mapped() {
    let (stand_in, base) = start_stand_in().await;
    let dir = support::temp_dir("azure-errors");
    let handler = start_handler(&dir, &azure_env(&base, "appinsights")).await;
    let fixture = |name: &str| -> Value {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/telemetry")
            .join(name);
        let value: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("JSON");
        value["response"]["body"].clone()
    };

    // Partial result: rows kept, flagged with the message.
    let mut partial = result(vec![text_row("alice", "mini", 1000, 0, 100)]);
    partial["error"] = fixture("la-query-200-partial-error.json")["error"].clone();
    stand_in.reply(StatusCode::OK, Vec::new(), partial);
    let (status, _, body) = get(&handler, AUGUST).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data_quality"]["partial"], true);
    assert!(
        body["data_quality"]["partial_message"]
            .as_str()
            .expect("message")
            .contains("PartialError")
    );
    assert_eq!(body["total"]["requests"], 1);

    // A rejected query: 502 with the upstream code.
    stand_in.reply(
        StatusCode::BAD_REQUEST,
        Vec::new(),
        fixture("la-query-400-semantic-error.json"),
    );
    let (status, _, body) = get(&handler, AUGUST).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert!(
        body["error"]["message"].as_str().expect("message").contains("SEM0100"),
        "{body}"
    );

    // A refused identity: 502 naming the role.
    stand_in.reply(
        StatusCode::FORBIDDEN,
        Vec::new(),
        json!({"error": {"code": "InsufficientAccessError", "message": "denied"}}),
    );
    let (status, _, body) = get(&handler, AUGUST).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert!(
        body["error"]["message"].as_str().expect("message").contains("Reader"),
        "{body}"
    );

    // Throttled once with Retry-After, then answered: one response, two queries.
    let before = stand_in.queries().len();
    stand_in.reply(
        StatusCode::TOO_MANY_REQUESTS,
        vec![("retry-after", "1".to_owned())],
        json!({}),
    );
    stand_in.rows(vec![text_row("alice", "mini", 1000, 0, 100)]);
    let (status, _, body) = get(&handler, AUGUST).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(stand_in.queries().len(), before + 2);

    // Throttled on every attempt: 503 with Retry-After.
    for _ in 0..3 {
        stand_in.reply(
            StatusCode::TOO_MANY_REQUESTS,
            vec![("retry-after", "1".to_owned())],
            json!({}),
        );
    }
    let (status, headers, _) = get(&handler, AUGUST).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        headers.get("retry-after").and_then(|value| value.to_str().ok()),
        Some("1")
    );

    // A redirect is not followed, and a body that is not the API's error is not echoed.
    stand_in.reply(
        StatusCode::TEMPORARY_REDIRECT,
        vec![("location", format!("{base}/elsewhere"))],
        json!({}),
    );
    let (status, _, body) = get(&handler, AUGUST).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    assert!(
        body["error"]["message"].as_str().expect("message").contains("redirect"),
        "{body}"
    );
    stand_in.reply(StatusCode::BAD_REQUEST, Vec::new(), json!("echo Bearer SECRET-TOKEN"));
    let (status, _, body) = get(&handler, AUGUST).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert!(!body.to_string().contains("SECRET-TOKEN"), "{body}");

    // A row outside the period is not the query's result.
    let mut outside = text_row("alice", "mini", 1000, 0, 100);
    outside[0] = json!("2025-01-01T00:00:00Z");
    stand_in.rows(vec![outside]);
    let (status, _, body) = get(&handler, AUGUST).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert!(
        body["error"]["message"]
            .as_str()
            .expect("message")
            .contains("outside the period"),
        "{body}"
    );

    // Gateway timeouts on every attempt: 504.
    for _ in 0..3 {
        stand_in.reply(
            StatusCode::GATEWAY_TIMEOUT,
            Vec::new(),
            fixture("la-query-504-gateway-timeout.json"),
        );
    }
    let (status, _, body) = get(&handler, AUGUST).await;
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .expect("message")
            .contains("GatewayTimeout"),
        "{body}"
    );
}

#[tokio::test]
async fn local_and_query_api_give_same_answers() {
    let dir = support::temp_dir("azure-same");
    let local = start_handler(&dir, &[]).await;
    let spans: Vec<Value> = (0..40_u64)
        .map(|index| {
            let mut span = Span::chat(
                ["chat-0806", "mini", "reasoning", "chat-dz"][usize::try_from(index % 4).unwrap_or(0)],
                1000 + index * 37,
                200 + index,
            )
            .cached(index * 7)
            .user(Some(["ann", "ben", "cy"][usize::try_from(index % 3).unwrap_or(0)]))
            .at(&format!(
                "2026-08-{:02}T{:02}:{:02}:00Z",
                1 + index % 20,
                index % 24,
                (index * 7) % 60
            ));
            if index % 4 == 2 {
                span = span.reasoning(index);
            }
            if index % 9 == 0 {
                span = span.no_usage();
            }
            span.envelope()
        })
        .collect();
    let client = reqwest::Client::new();
    let response = client
        .post(format!("{}/v2/track", local.base))
        .body(Value::Array(spans).to_string())
        .send()
        .await
        .expect("track");
    assert_eq!(response.status(), 200);

    // The rows the local store yields, served by the query stand-in in the documented schema.
    let store = aoai_usage::store::Store::open(&dir.join("usage.db")).expect("store");
    let mut rows = Vec::new();
    let read = aoai_usage::store::ReadQuery {
        source: aoai_usage::record::UsageSource::Otel,
        from: "2026-08-01T00:00:00Z".parse().expect("time"),
        to: "2026-09-01T00:00:00Z".parse().expect("time"),
    };
    store
        .read_rows(&read, |row| {
            rows.push(json!([
                row.bucket_start.to_rfc3339(),
                row.user,
                row.subscription,
                row.deployment,
                row.response_model,
                row.service_tier,
                row.input_tokens,
                row.cached_input_tokens,
                row.output_tokens,
                row.reasoning_tokens,
                row.requests,
                row.rejected,
                row.usage_missing,
                row.source.as_str(),
                row.estimated
            ]));
        })
        .expect("rows");
    let (stand_in, base) = start_stand_in().await;
    let remote_dir = support::temp_dir("azure-same-remote");
    let remote = start_handler(&remote_dir, &azure_env(&base, "appinsights")).await;

    for query in [
        AUGUST.to_owned(),
        format!("{AUGUST}&group_by=user,model,day&tz=Asia/Kathmandu"),
        format!("{AUGUST}&group_by=deployment_type,tier,month&currency=USD"),
    ] {
        stand_in.rows(rows.clone());
        let (_, _, mut expected) = get(&local, &query).await;
        let (status, _, mut actual) = get(&remote, &query).await;
        assert_eq!(status, StatusCode::OK, "{actual}");
        for body in [&mut expected, &mut actual] {
            let object = body.as_object_mut().expect("object");
            object.remove("backend");
            object.remove("sample");
        }
        assert_eq!(actual, expected, "{query}");
    }
}

#[tokio::test]
async fn token_failure_names_credential_and_scope() {
    let (stand_in, base) = start_stand_in().await;
    let dir = support::temp_dir("azure-token");
    let mut env = azure_env(&base, "appinsights");
    env.retain(|(name, _)| *name != "IDENTITY_HEADER");
    env.push(("IDENTITY_HEADER", "wrong-header".to_owned()));
    let handler = start_handler(&dir, &env).await;
    let (status, _, body) = get(&handler, AUGUST).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    let message = body["error"]["message"].as_str().expect("message");
    assert!(message.contains("managed_identity"), "{message}");
    assert!(message.contains(&format!("{base}/.default")), "{message}");
    assert!(
        !message.contains("wrong-header"),
        "the identity header is a secret: {message}"
    );
    assert!(stand_in.queries().is_empty(), "no query is sent without a token");
}

#[tokio::test]
async fn identity_garbled_or_hanging_reported() {
    let (stand_in, base) = start_stand_in().await;
    *stand_in.token_reply.lock().expect("lock") = "garbage";
    let dir = support::temp_dir("azure-token-garbage");
    let mut env = azure_env(&base, "appinsights");
    env.push(("USAGE_QUERY_TIMEOUT_SECONDS", "2".to_owned()));
    let handler = start_handler(&dir, &env).await;
    let (status, _, body) = get(&handler, AUGUST).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    let message = body["error"]["message"].as_str().expect("message");
    assert!(message.contains("managed_identity"), "{message}");

    *stand_in.token_reply.lock().expect("lock") = "hang";
    let started = std::time::Instant::now();
    let (status, _, body) = get(&handler, AUGUST).await;
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT, "{body}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let message = body["error"]["message"].as_str().expect("message");
    assert!(message.contains("within 2 s"), "{message}");
    assert!(stand_in.queries().is_empty(), "no query is sent without a token");
}
