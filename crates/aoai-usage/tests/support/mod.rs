//! Shared helpers of the usage tests: a usage function over a temporary store, and track
//! envelopes in the shapes that `opentelemetry-application-insights` and API Management send.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use aoai_usage::api::{AppState, app};
use aoai_usage::config::Config;
use aoai_usage::startup::build_state;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

/// The deployments the tests use: two accounts, in eastus2 and swedencentral.
pub const DEPLOYMENTS_EASTUS2: &str = r#"{
  "account": "contoso-aoai-eastus2",
  "location": "eastus2",
  "deployments": [
    {"name": "chat-0806", "properties": {"model": {"format": "OpenAI", "name": "gpt-4o", "version": "2024-08-06"}}, "sku": {"name": "GlobalStandard", "capacity": 100}},
    {"name": "chat-1120", "properties": {"model": {"format": "OpenAI", "name": "gpt-4o", "version": "2024-11-20"}}, "sku": {"name": "GlobalStandard", "capacity": 100}},
    {"name": "chat-dz", "properties": {"model": {"format": "OpenAI", "name": "gpt-4o", "version": "2024-08-06"}}, "sku": {"name": "DataZoneStandard", "capacity": 100}},
    {"name": "chat-regional-us", "properties": {"model": {"format": "OpenAI", "name": "gpt-4o", "version": "2024-11-20"}}, "sku": {"name": "Standard", "capacity": 100}},
    {"name": "mini", "properties": {"model": {"format": "OpenAI", "name": "gpt-4o-mini", "version": "2024-07-18"}}, "sku": {"name": "GlobalStandard", "capacity": 100}},
    {"name": "chat-global", "properties": {"model": {"format": "OpenAI", "name": "gpt-4o-mini", "version": "2024-07-18"}}, "sku": {"name": "GlobalStandard", "capacity": 100}},
    {"name": "mini-batch", "properties": {"model": {"format": "OpenAI", "name": "gpt-4o-mini", "version": "2024-07-18"}}, "sku": {"name": "GlobalBatch", "capacity": 100}},
    {"name": "reasoning", "properties": {"model": {"format": "OpenAI", "name": "o4-mini", "version": "2025-04-16"}}, "sku": {"name": "GlobalStandard", "capacity": 100}},
    {"name": "gpt41mini", "properties": {"model": {"format": "OpenAI", "name": "gpt-4.1-mini", "version": "2025-04-14"}}, "sku": {"name": "GlobalStandard", "capacity": 100}},
    {"name": "gpt5", "properties": {"model": {"format": "OpenAI", "name": "gpt-5", "version": "2025-08-07"}}, "sku": {"name": "GlobalStandard", "capacity": 100}},
    {"name": "chat-ptu", "properties": {"model": {"format": "OpenAI", "name": "gpt-4o", "version": "2024-11-20"}}, "sku": {"name": "GlobalProvisionedManaged", "capacity": 100}}
  ]
}"#;

pub const DEPLOYMENTS_SWEDEN: &str = r#"{
  "account": "contoso-aoai-sweden",
  "location": "swedencentral",
  "deployments": [
    {"name": "chat-regional-se", "properties": {"model": {"format": "OpenAI", "name": "gpt-4o", "version": "2024-11-20"}}, "sku": {"name": "Standard", "capacity": 50}}
  ]
}"#;

/// A folder under the temporary directory, unique per test.
pub fn temp_dir(test: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "aoai-usage-{}-{test}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temporary folder");
    dir
}

/// The settings of a usage function over a new store in `dir`, plus `extra` variables.
pub fn config(dir: &std::path::Path, extra: &[(&str, &str)]) -> Config {
    let east = dir.join("deployments-eastus2.json");
    let sweden = dir.join("deployments-sweden.json");
    std::fs::write(&east, DEPLOYMENTS_EASTUS2).expect("write deployments");
    std::fs::write(&sweden, DEPLOYMENTS_SWEDEN).expect("write deployments");
    let mut values: Vec<(String, String)> = vec![
        ("USAGE_STORE".to_owned(), dir.join("usage.db").display().to_string()),
        (
            "AOAI_DEPLOYMENTS".to_owned(),
            format!("{},{}", east.display(), sweden.display()),
        ),
        (
            "PRICING_CACHE_PATH".to_owned(),
            dir.join("prices").display().to_string(),
        ),
    ];
    for (name, value) in extra {
        values.retain(|(known, _)| known != name);
        values.push(((*name).to_owned(), (*value).to_owned()));
    }
    Config::from_lookup(|name| {
        values
            .iter()
            .find(|(known, _)| known == name)
            .map(|(_, value)| value.clone())
    })
    .expect("valid settings")
}

/// A usage function over a new store, driven in-process.
#[derive(Clone)]
pub struct Usage {
    pub state: AppState,
}

impl Usage {
    pub fn start(test: &str) -> Usage {
        Usage::with(test, &[])
    }

    pub fn with(test: &str, extra: &[(&str, &str)]) -> Usage {
        let dir = temp_dir(test);
        Usage {
            state: build_state(&config(&dir, extra)).expect("usage function starts"),
        }
    }

    pub async fn request(&self, request: Request<Body>) -> (StatusCode, Vec<u8>) {
        let response = app(self.state.clone()).oneshot(request).await.expect("router answers");
        let status = response.status();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        (status, bytes.to_vec())
    }

    /// Posts envelopes as a JSON array and checks that all were accepted.
    pub async fn track(&self, envelopes: &[Value]) {
        let (status, body) = self
            .post_track(&Value::Array(envelopes.to_vec()).to_string(), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["itemsAccepted"], envelopes.len(), "{body}");
    }

    pub async fn post_track(&self, body: &str, encoding: Option<&str>) -> (StatusCode, Value) {
        self.post_track_bytes(body.as_bytes().to_vec(), encoding).await
    }

    pub async fn post_track_bytes(&self, body: Vec<u8>, encoding: Option<&str>) -> (StatusCode, Value) {
        let mut request = Request::post("/v2/track").header("content-type", "application/json");
        if let Some(encoding) = encoding {
            request = request.header("content-encoding", encoding);
        }
        let (status, bytes) = self.request(request.body(Body::from(body)).expect("request")).await;
        (status, serde_json::from_slice(&bytes).expect("JSON answer"))
    }

    pub async fn usage(&self, query: &str) -> (StatusCode, Value) {
        let (status, bytes) = self
            .request(
                Request::get(format!("/api/usage?{query}"))
                    .body(Body::empty())
                    .expect("request"),
            )
            .await;
        let json = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| panic!("{query}: not JSON: {}", String::from_utf8_lossy(&bytes)));
        (status, json)
    }

    /// Asks for usage and expects a 200.
    pub async fn ok(&self, query: &str) -> Value {
        let (status, body) = self.usage(query).await;
        assert_eq!(status, StatusCode::OK, "{query}: {body}");
        body
    }
}

/// A model call span as the exporter sends it: a `RemoteDependency` with GenAI attributes.
#[derive(Debug, Clone)]
pub struct Span {
    pub time: String,
    pub user: Option<String>,
    pub deployment: String,
    pub response_model: Option<String>,
    pub input: Option<u64>,
    pub cached: Option<u64>,
    pub output: Option<u64>,
    pub reasoning: Option<u64>,
    pub extra: Vec<(String, String)>,
    pub sample_rate: f64,
    pub operation: String,
    /// The exporter's `success` flag: false for a span with an error status.
    pub success: bool,
}

impl Span {
    pub fn chat(deployment: &str, input: u64, output: u64) -> Span {
        Span {
            time: "2026-08-20T12:00:00.000000Z".to_owned(),
            user: Some("alice".to_owned()),
            deployment: deployment.to_owned(),
            response_model: None,
            input: Some(input),
            cached: None,
            output: Some(output),
            reasoning: None,
            extra: Vec::new(),
            sample_rate: 100.0,
            operation: "chat".to_owned(),
            success: true,
        }
    }

    pub fn at(mut self, time: &str) -> Span {
        self.time = time.to_owned();
        self
    }

    pub fn user(mut self, user: Option<&str>) -> Span {
        self.user = user.map(str::to_owned);
        self
    }

    pub fn cached(mut self, cached: u64) -> Span {
        self.cached = Some(cached);
        self
    }

    pub fn reasoning(mut self, reasoning: u64) -> Span {
        self.reasoning = Some(reasoning);
        self
    }

    pub fn response_model(mut self, model: &str) -> Span {
        self.response_model = Some(model.to_owned());
        self
    }

    pub fn attribute(mut self, name: &str, value: &str) -> Span {
        self.extra.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Marks the span as a failed call, as the exporter writes an error status.
    pub fn failed(mut self) -> Span {
        self.success = false;
        self
    }

    pub fn no_usage(mut self) -> Span {
        self.input = None;
        self.output = None;
        self
    }

    pub fn envelope(&self) -> Value {
        let mut properties = serde_json::Map::new();
        properties.insert("gen_ai.operation.name".into(), json!(self.operation));
        properties.insert("gen_ai.provider.name".into(), json!("azure.ai.openai"));
        properties.insert("gen_ai.request.model".into(), json!(self.deployment));
        properties.insert("service.name".into(), json!("chat-app"));
        if let Some(model) = &self.response_model {
            properties.insert("gen_ai.response.model".into(), json!(model));
        }
        for (name, value) in [
            ("gen_ai.usage.input_tokens", self.input),
            ("gen_ai.usage.cache_read.input_tokens", self.cached),
            ("gen_ai.usage.output_tokens", self.output),
            ("gen_ai.usage.reasoning.output_tokens", self.reasoning),
        ] {
            if let Some(value) = value {
                properties.insert(name.into(), json!(value.to_string()));
            }
        }
        if let Some(user) = &self.user {
            properties.insert("user.id".into(), json!(user));
        }
        for (name, value) in &self.extra {
            properties.insert(name.clone(), json!(value));
        }
        let mut tags = json!({
            "ai.cloud.role": "chat-app",
            "ai.operation.id": "0af7651916cd43dd8448eb211c80319c",
            "ai.operation.parentId": "b7ad6b7169203331",
        });
        if let Some(user) = &self.user {
            tags["ai.user.authUserId"] = json!(user);
        }
        json!({
            "data": {
                "baseData": {
                    "duration": "00:00:01.250000",
                    "id": "00f067aa0ba902b7",
                    "name": format!("{} {}", self.operation, self.deployment),
                    "properties": properties,
                    "resultCode": "0",
                    "success": self.success,
                    "target": "contoso.openai.azure.com",
                    "type": "HTTP",
                    "ver": 2
                },
                "baseType": "RemoteDependencyData"
            },
            "iKey": "00000000-0000-0000-0000-000000000000",
            "name": "Microsoft.ApplicationInsights.RemoteDependency",
            "sampleRate": self.sample_rate,
            "tags": tags,
            "time": self.time,
        })
    }
}

/// An API Management token metric as metric telemetry.
pub fn metric(time: &str, name: &str, value: f64, count: u64, dimensions: &[(&str, &str)]) -> Value {
    let properties: serde_json::Map<String, Value> = dimensions
        .iter()
        .map(|(key, value)| ((*key).to_owned(), json!(value)))
        .collect();
    json!({
        "data": {
            "baseData": {
                "metrics": [{"name": name, "kind": "Aggregation", "value": value, "count": count}],
                "properties": properties,
                "ver": 2
            },
            "baseType": "MetricData"
        },
        "iKey": "00000000-0000-0000-0000-000000000000",
        "name": "Microsoft.ApplicationInsights.Metric",
        "sampleRate": 100.0,
        "tags": {"ai.cloud.role": "apim-gateway"},
        "time": time,
    })
}

/// Returns the number of generated cases of a property test: `default`, or `PROPTEST_CASES`
/// for a longer run.
pub fn cases(default: u32) -> proptest::test_runner::Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default);
    proptest::test_runner::Config::with_cases(cases)
}
