//! `aoai-chat` run as a process against a local stand-in of Azure OpenAI that replays real
//! responses, sending its telemetry to the usage function or to a capturing endpoint, all
//! on the loopback address.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use aoai_usage::api::app;
use aoai_usage::config::Config;
use aoai_usage::startup::build_state;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/azure-openai")
        .join(name);
    std::fs::read_to_string(path).expect("fixture")
}

/// What the Azure OpenAI stand-in received.
#[derive(Debug, Clone)]
struct Call {
    path: String,
    query: String,
    headers: HeaderMap,
    body: Value,
}

#[derive(Default)]
struct OpenAi {
    calls: Mutex<Vec<Call>>,
}

/// Answers by deployment name, with the real response shapes.
fn reply(deployment: &str) -> Response {
    let sse = |text: String| ([("content-type", "text/event-stream")], text).into_response();
    match deployment {
        "plain" => ([("content-type", "application/json")], fixture("aoai-chat-completion-gpt-4.1-usage-details.json")).into_response(),
        "stream-usage" => sse(fixture("openai-chat-stream-include-usage-final-chunk.sse")),
        "stream-no-usage" => sse(fixture("aoai-chat-stream-no-include-usage-gpt-5.2-chat.sse")),
        "denied" => (StatusCode::FORBIDDEN, axum::Json(json!({"error": {"code": "PermissionDenied", "message": "The principal lacks the required data action"}}))).into_response(),
        "busy" => (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "0")], axum::Json(json!({"error": {"code": "429", "message": "Rate limit exceeded"}}))).into_response(),
        "filtered" => (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": {"code": "content_filter", "message": "The response was filtered",
                "innererror": {"code": "ResponsibleAIPolicyViolation", "content_filter_result": {
                    "hate": {"filtered": false, "severity": "safe"}, "violence": {"filtered": true, "severity": "high"}}}}})),
        )
            .into_response(),
        _ => (StatusCode::NOT_FOUND, axum::Json(json!({"error": {"code": "DeploymentNotFound", "message": "The API deployment for this resource does not exist."}}))).into_response(),
    }
}

async fn v1(State(state): State<Arc<OpenAi>>, uri: axum::http::Uri, headers: HeaderMap, body: Bytes) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let deployment = body["model"].as_str().unwrap_or_default().to_owned();
    state.calls.lock().expect("lock").push(Call {
        path: uri.path().to_owned(),
        query: String::new(),
        headers,
        body,
    });
    if deployment == "slow" {
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        return reply("plain");
    }
    if deployment == "cut" {
        let mut completion: Value =
            serde_json::from_str(&fixture("aoai-chat-completion-gpt-4.1-usage-details.json")).expect("fixture");
        completion["choices"][0]["finish_reason"] = json!("content_filter");
        completion["choices"][0]["content_filter_results"]["violence"] =
            json!({"filtered": true, "severity": "medium"});
        return axum::Json(completion).into_response();
    }
    reply(&deployment)
}

async fn dated(
    State(state): State<Arc<OpenAi>>,
    UrlPath(deployment): UrlPath<String>,
    RawQuery(query): RawQuery,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    state.calls.lock().expect("lock").push(Call {
        path: uri.path().to_owned(),
        query: query.unwrap_or_default(),
        headers,
        body,
    });
    reply(&deployment)
}

/// A managed identity endpoint in the App Service form.
async fn token(RawQuery(query): RawQuery) -> Response {
    let resource = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(name, _)| name == "resource")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default();
    let expires = chrono::Utc::now().timestamp() + 3600;
    axum::Json(
        json!({"access_token": format!("token-for-{resource}"), "expires_on": expires.to_string(),
        "resource": resource, "token_type": "Bearer"}),
    )
    .into_response()
}

/// Track envelopes as a capturing ingestion endpoint received them, gunzipped.
#[derive(Default)]
struct Captured {
    envelopes: Mutex<Vec<Value>>,
}

async fn capture(State(state): State<Arc<Captured>>, body: Bytes) -> Response {
    let mut text = String::new();
    if flate2::read::MultiGzDecoder::new(&body[..])
        .read_to_string(&mut text)
        .is_err()
    {
        text = String::from_utf8_lossy(&body).into_owned();
    }
    let items: Vec<Value> = serde_json::from_str(&text).unwrap_or_default();
    let count = items.len();
    state.envelopes.lock().expect("lock").extend(items);
    axum::Json(json!({"itemsReceived": count, "itemsAccepted": count, "errors": []})).into_response()
}

async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{address}")
}

async fn start_openai() -> (Arc<OpenAi>, String) {
    let state = Arc::new(OpenAi::default());
    let router = axum::Router::new()
        .route("/openai/v1/chat/completions", axum::routing::post(v1))
        .route(
            "/openai/deployments/{deployment}/chat/completions",
            axum::routing::post(dated),
        )
        .route("/msi/token", axum::routing::get(token))
        .with_state(Arc::clone(&state));
    (state, serve(router).await)
}

async fn start_capture() -> (Arc<Captured>, String) {
    let state = Arc::new(Captured::default());
    let router = axum::Router::new()
        .route("/v2/track", axum::routing::post(capture))
        .with_state(Arc::clone(&state));
    (state, serve(router).await)
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("aoai-chat-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temporary folder");
    dir
}

/// Starts the usage function in-process on a new store, with the stand-in's deployments.
async fn start_usage(dir: &Path) -> String {
    let catalog = json!({"account": "contoso", "location": "eastus2", "deployments": [
        {"name": "plain", "properties": {"model": {"name": "gpt-4.1", "version": "2025-04-14"}}, "sku": {"name": "GlobalStandard"}},
        {"name": "stream-usage", "properties": {"model": {"name": "gpt-4o-mini", "version": "2024-07-18"}}, "sku": {"name": "GlobalStandard"}},
        {"name": "stream-no-usage", "properties": {"model": {"name": "gpt-4o-mini", "version": "2024-07-18"}}, "sku": {"name": "GlobalStandard"}}
    ]});
    std::fs::write(dir.join("deployments.json"), catalog.to_string()).expect("catalog");
    let values = [
        ("USAGE_STORE", dir.join("usage.db").display().to_string()),
        ("PRICING_CACHE_PATH", dir.join("prices").display().to_string()),
        ("AOAI_DEPLOYMENTS", dir.join("deployments.json").display().to_string()),
    ];
    let config = Config::from_lookup(|name| {
        values
            .iter()
            .find(|(known, _)| *known == name)
            .map(|(_, value)| value.clone())
    })
    .expect("settings");
    let state = build_state(&config).expect("usage function");
    serve(app(state)).await
}

fn chat(arguments: &[&str], env: &[(&str, String)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_aoai-chat"));
    command.args(arguments);
    for name in [
        "AZURE_OPENAI_ENDPOINT",
        "AZURE_OPENAI_DEPLOYMENT",
        "AZURE_OPENAI_API_VERSION",
        "AZURE_OPENAI_API_KEY",
        "AOAI_GATEWAY_SCOPE",
        "APIM_SUBSCRIPTION_KEY",
        "APPLICATIONINSIGHTS_CONNECTION_STRING",
        "AZURE_CREDENTIAL",
        "IDENTITY_ENDPOINT",
        "IDENTITY_HEADER",
    ] {
        command.env_remove(name);
    }
    for (name, value) in env {
        command.env(name, value);
    }
    command
        .stdin(std::process::Stdio::null())
        .output()
        .expect("aoai-chat runs")
}

fn connection(ingestion: &str) -> (&'static str, String) {
    (
        "APPLICATIONINSIGHTS_CONNECTION_STRING",
        format!("InstrumentationKey=00000000-0000-0000-0000-000000000001;IngestionEndpoint={ingestion}/"),
    )
}

#[tokio::test]
async fn calls_reach_usage_with_tokens_and_cost() {
    let (openai, endpoint) = start_openai().await;
    let dir = temp_dir("end-to-end");
    let usage = start_usage(&dir).await;
    let env = [("AZURE_OPENAI_API_KEY", "test-key".to_owned()), connection(&usage)];
    for (deployment, stream) in [("plain", false), ("stream-usage", true), ("stream-no-usage", true)] {
        let mut arguments = vec!["--user", "alice", "--endpoint", &endpoint, "--deployment", deployment];
        if stream {
            arguments.push("--stream");
        }
        arguments.push("Say hello");
        let output = tokio::task::spawn_blocking({
            let arguments: Vec<String> = arguments.iter().map(|text| (*text).to_owned()).collect();
            let env = env.clone();
            move || chat(&arguments.iter().map(String::as_str).collect::<Vec<_>>(), &env)
        })
        .await
        .expect("task");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{deployment}: {stderr}");
        let stdout = String::from_utf8_lossy(&output.stdout);
        match deployment {
            "plain" => assert!(stdout.contains("Hello! It looks like"), "{stdout}"),
            "stream-usage" => assert!(stdout.contains("Hi"), "{stdout}"),
            _ => {
                assert!(stdout.contains("Hey!"), "{stdout}");
                assert!(stderr.contains("usage_missing"), "{stderr}");
            }
        }
    }
    let calls = openai.calls.lock().expect("lock").clone();
    assert_eq!(calls.len(), 3);
    assert_eq!(calls[0].path, "/openai/v1/chat/completions");
    assert_eq!(calls[0].headers["api-key"], "test-key");
    assert_eq!(calls[0].body["user"], "alice");
    assert_eq!(calls[0].body["model"], "plain");
    assert_eq!(calls[1].body["stream"], true);
    assert_eq!(calls[1].body["stream_options"]["include_usage"], true);

    let today = chrono::Utc::now().date_naive();
    let query = format!(
        "{usage}/api/usage?from={}&to={}&group_by=user,deployment",
        today - chrono::Duration::days(1),
        today + chrono::Duration::days(1)
    );
    let body: Value = reqwest::get(&query).await.expect("usage").json().await.expect("JSON");
    let rows = body["rows"].as_array().expect("rows");
    let row = |deployment: &str| rows.iter().find(|row| row["deployment"] == deployment).cloned();
    let plain = row("plain").expect("the plain call is in the store");
    assert_eq!(plain["user"], "alice");
    assert_eq!(plain["input_tokens"], 8);
    assert_eq!(plain["output_tokens"], 5);
    // gpt-4.1 Global: 8 × 2 + 5 × 8 per 1M.
    assert_eq!(plain["cost"], "0.000056");
    let streamed = row("stream-usage").expect("the streamed call");
    // gpt-4o-mini Global: 10 × 0.15 + 5 × 0.6 per 1M.
    assert_eq!(streamed["cost"], "0.0000045");
    assert!(
        row("stream-no-usage").is_none(),
        "a call without usage is never stored as 0 tokens"
    );
    assert_eq!(body["data_quality"]["usage_missing"], 1);
}

#[tokio::test]
async fn spans_carry_genai_attributes() {
    let (_openai, endpoint) = start_openai().await;
    let (captured, ingestion) = start_capture().await;
    let env = vec![("AZURE_OPENAI_API_KEY", "test-key".to_owned()), connection(&ingestion)];
    let output = tokio::task::spawn_blocking(move || {
        let first = chat(
            &["--user", "bob", "--endpoint", &endpoint, "--deployment", "plain", "hi"],
            &env,
        );
        let second = chat(
            &["--user", "bob", "--endpoint", &endpoint, "--deployment", "denied", "hi"],
            &env,
        );
        (first, second)
    })
    .await
    .expect("task");
    assert!(
        output.0.status.success(),
        "{}",
        String::from_utf8_lossy(&output.0.stderr)
    );
    assert_eq!(output.1.status.code(), Some(4));

    let envelopes = captured.envelopes.lock().expect("lock").clone();
    let dependencies: Vec<&Value> = envelopes
        .iter()
        .filter(|envelope| envelope["data"]["baseType"] == "RemoteDependencyData")
        .collect();
    let call = dependencies
        .iter()
        .find(|envelope| envelope["data"]["baseData"]["name"] == "chat plain")
        .expect("the call span");
    let properties = &call["data"]["baseData"]["properties"];
    for (name, value) in [
        ("gen_ai.operation.name", "chat"),
        ("gen_ai.provider.name", "azure.ai.openai"),
        ("gen_ai.request.model", "plain"),
        ("gen_ai.response.model", "gpt-4.1-2025-04-14"),
        ("gen_ai.response.id", "chatcmpl-<id>"),
        ("gen_ai.usage.input_tokens", "8"),
        ("gen_ai.usage.cache_read.input_tokens", "0"),
        ("gen_ai.usage.output_tokens", "5"),
        ("gen_ai.usage.reasoning.output_tokens", "0"),
        ("server.address", "127.0.0.1"),
        ("user.id", "bob"),
    ] {
        assert_eq!(properties[name], value, "{name}: {properties}");
    }
    assert_eq!(call["tags"]["ai.user.authUserId"], "bob");
    assert!(
        properties.get("gen_ai.input.messages").is_none(),
        "prompt text is not recorded by default"
    );
    let turn = envelopes
        .iter()
        .find(|envelope| envelope["data"]["baseData"]["name"] == "turn")
        .expect("the turn span");
    assert_eq!(
        call["tags"]["ai.operation.parentId"], turn["data"]["baseData"]["id"],
        "the call is inside its turn"
    );

    let failed = dependencies
        .iter()
        .find(|envelope| envelope["data"]["baseData"]["name"] == "chat denied")
        .expect("the failed call's span");
    assert_eq!(failed["data"]["baseData"]["properties"]["error.type"], "refused");
    assert!(
        envelopes
            .iter()
            .any(|envelope| envelope["data"]["baseType"] == "MetricData"
                && envelope["data"]["baseData"]["metrics"][0]["name"] == "gen_ai.client.token.usage"),
        "the token usage histogram is exported"
    );
}

/// Arguments, environment, expected exit code and a part of the expected message.
type ErrorCase = (Vec<String>, Vec<(&'static str, String)>, i32, &'static str);

#[tokio::test]
async fn errors_have_messages_and_exit_codes() {
    let (_openai, endpoint) = start_openai().await;
    let closed = format!("http://127.0.0.1:{}", {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    });
    let key = ("AZURE_OPENAI_API_KEY", "test-key".to_owned());
    let cases: Vec<ErrorCase> = vec![
        (
            vec![
                "--user".into(),
                "u".into(),
                "--deployment".into(),
                "plain".into(),
                "hi".into(),
            ],
            vec![key.clone()],
            2,
            "AZURE_OPENAI_ENDPOINT",
        ),
        (
            vec![
                "--user".into(),
                "u".into(),
                "--endpoint".into(),
                endpoint.clone(),
                "hi".into(),
            ],
            vec![key.clone()],
            2,
            "AZURE_OPENAI_DEPLOYMENT",
        ),
        (
            vec![
                "--user".into(),
                "u".into(),
                "--endpoint".into(),
                endpoint.clone(),
                "--deployment".into(),
                "plain".into(),
                "hi".into(),
            ],
            vec![("AZURE_CREDENTIAL", "client_secret".to_owned())],
            3,
            "AZURE_TENANT_ID",
        ),
        (
            vec![
                "--user".into(),
                "u".into(),
                "--endpoint".into(),
                endpoint.clone(),
                "--deployment".into(),
                "denied".into(),
                "hi".into(),
            ],
            vec![key.clone()],
            4,
            "Check AZURE_OPENAI_API_KEY",
        ),
        (
            vec![
                "--user".into(),
                "u".into(),
                "--endpoint".into(),
                endpoint.clone(),
                "--deployment".into(),
                "gone".into(),
                "hi".into(),
            ],
            vec![key.clone()],
            5,
            "az cognitiveservices account deployment list",
        ),
        (
            vec![
                "--user".into(),
                "u".into(),
                "--endpoint".into(),
                endpoint.clone(),
                "--deployment".into(),
                "busy".into(),
                "hi".into(),
            ],
            vec![key.clone()],
            6,
            "throttling",
        ),
        (
            vec![
                "--user".into(),
                "u".into(),
                "--endpoint".into(),
                endpoint.clone(),
                "--deployment".into(),
                "filtered".into(),
                "hi".into(),
            ],
            vec![key.clone()],
            7,
            "violence: high",
        ),
        (
            vec![
                "--user".into(),
                "u".into(),
                "--endpoint".into(),
                closed,
                "--deployment".into(),
                "plain".into(),
                "hi".into(),
            ],
            vec![key.clone()],
            8,
            "failed",
        ),
        (
            vec![
                "--endpoint".into(),
                "http://example.com".into(),
                "--deployment".into(),
                "x".into(),
                "hi".into(),
            ],
            vec![key.clone()],
            2,
            "https",
        ),
        (vec!["--max-tokens".into(), "lots".into()], vec![key], 2, "--max-tokens"),
    ];
    for (arguments, env, code, message) in cases {
        let output = tokio::task::spawn_blocking({
            let arguments = arguments.clone();
            let env = env.clone();
            move || chat(&arguments.iter().map(String::as_str).collect::<Vec<_>>(), &env)
        })
        .await
        .expect("task");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(code), "{arguments:?}: {stderr}");
        assert!(stderr.contains(message), "{arguments:?}: {stderr}");
        assert!(!stderr.contains("test-key"), "the API key never appears: {stderr}");
    }
}

#[tokio::test]
async fn dated_version_and_gateway_token() {
    let (openai, endpoint) = start_openai().await;
    let env = vec![
        ("AOAI_GATEWAY_SCOPE", "api://contoso-gateway/.default".to_owned()),
        ("APIM_SUBSCRIPTION_KEY", "subscription-key".to_owned()),
        ("AZURE_CREDENTIAL", "managed_identity".to_owned()),
        ("IDENTITY_ENDPOINT", format!("{endpoint}/msi/token")),
        ("IDENTITY_HEADER", "header".to_owned()),
    ];
    let target = endpoint.clone();
    let output = tokio::task::spawn_blocking(move || {
        chat(
            &[
                "--user",
                "carol",
                "--endpoint",
                &target,
                "--deployment",
                "plain",
                "--api-version",
                "2024-10-21",
                "hi",
            ],
            &env,
        )
    })
    .await
    .expect("task");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let calls = openai.calls.lock().expect("lock").clone();
    assert_eq!(calls[0].path, "/openai/deployments/plain/chat/completions");
    assert_eq!(calls[0].query, "api-version=2024-10-21");
    assert_eq!(calls[0].body.get("model"), None);
    assert_eq!(calls[0].body["user"], "carol");
    assert_eq!(
        calls[0].headers["authorization"],
        "Bearer token-for-api://contoso-gateway"
    );
    assert_eq!(calls[0].headers["ocp-apim-subscription-key"], "subscription-key");
}

/// Parses an Application Insights duration, `[d.]hh:mm:ss.fffffff`, in milliseconds.
fn milliseconds(duration: &str) -> u64 {
    let (clock, fraction) = duration.rsplit_once('.').unwrap_or((duration, "0"));
    let (days, clock) = clock.split_once('.').unwrap_or(("0", clock));
    let whole = days.parse::<u64>().expect("days") * 86_400
        + clock
            .split(':')
            .map(|part| part.parse::<u64>().expect("a number"))
            .fold(0, |total, part| total * 60 + part);
    let fraction: String = format!("{fraction}000").chars().take(3).collect();
    whole * 1000 + fraction.parse::<u64>().expect("digits")
}

#[tokio::test]
async fn call_span_covers_the_call_and_filtered_usage() {
    let (_openai, endpoint) = start_openai().await;
    let (captured, ingestion) = start_capture().await;
    let env = vec![("AZURE_OPENAI_API_KEY", "test-key".to_owned()), connection(&ingestion)];
    let outputs = tokio::task::spawn_blocking(move || {
        let slow = chat(
            &["--user", "erin", "--endpoint", &endpoint, "--deployment", "slow", "hi"],
            &env,
        );
        let cut = chat(
            &["--user", "erin", "--endpoint", &endpoint, "--deployment", "cut", "hi"],
            &env,
        );
        (slow, cut)
    })
    .await
    .expect("task");
    assert!(
        outputs.0.status.success(),
        "{}",
        String::from_utf8_lossy(&outputs.0.stderr)
    );
    assert_eq!(outputs.1.status.code(), Some(7));
    let envelopes = captured.envelopes.lock().expect("lock").clone();
    let span = |name: &str| {
        envelopes
            .iter()
            .find(|envelope| envelope["data"]["baseData"]["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no span {name}"))
    };
    let slow = span("chat slow");
    let duration = milliseconds(slow["data"]["baseData"]["duration"].as_str().expect("duration"));
    assert!(duration >= 350, "the call span lasts {duration} ms, less than the call");
    let cut = span("chat cut");
    let properties = &cut["data"]["baseData"]["properties"];
    assert_eq!(
        properties["gen_ai.usage.input_tokens"], "8",
        "a filtered completion is billed: {properties}"
    );
    assert_eq!(properties["error.type"], "content_filter");
}

#[tokio::test]
async fn ctrl_c_at_prompt_exits_and_flushes() {
    let (_openai, endpoint) = start_openai().await;
    let (captured, ingestion) = start_capture().await;
    let (name, value) = connection(&ingestion);
    let mut child = Command::new(env!("CARGO_BIN_EXE_aoai-chat"))
        .args(["--endpoint", &endpoint, "--deployment", "plain"])
        .env("AZURE_OPENAI_API_KEY", "test-key")
        .env(name, value)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("starts");
    let mut stdin = child.stdin.take().expect("stdin");
    std::io::Write::write_all(&mut stdin, b"frank\nhello\n").expect("write");
    // Wait for the answer, keep standard input open, then press Ctrl-C at the next prompt.
    let mut stdout = child.stdout.take().expect("stdout");
    let mut line = [0_u8; 32];
    let read = tokio::task::spawn_blocking(move || std::io::Read::read(&mut stdout, &mut line).map(|count| count > 0))
        .await
        .expect("task")
        .expect("read");
    assert!(read);
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .expect("kill")
            .success()
    );
    let started = std::time::Instant::now();
    let status = tokio::task::spawn_blocking(move || child.wait().expect("wait"))
        .await
        .expect("task");
    drop(stdin);
    assert_eq!(status.code(), Some(130));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "Ctrl-C took {:?}",
        started.elapsed()
    );
    let envelopes = captured.envelopes.lock().expect("lock").clone();
    assert!(
        envelopes
            .iter()
            .any(|envelope| envelope["data"]["baseData"]["name"] == "chat plain"),
        "the call span was flushed before exit"
    );
}
