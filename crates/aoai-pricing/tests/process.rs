//! The `aoai-pricing` binary run as the Functions host runs it: a port in
//! `FUNCTIONS_CUSTOMHANDLER_PORT`, readiness on `GET /`, requests over a real socket,
//! and SIGTERM to stop.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    listener.local_addr().expect("local address").port()
}

struct Handler {
    child: Child,
    base: String,
}

impl Handler {
    fn start(extra_env: &[(&str, &str)]) -> Handler {
        let port = free_port();
        let mut command = Command::new(env!("CARGO_BIN_EXE_aoai-pricing"));
        command
            .env("FUNCTIONS_CUSTOMHANDLER_PORT", port.to_string())
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (name, value) in extra_env {
            command.env(name, value);
        }
        let child = command.spawn().expect("aoai-pricing starts");
        Handler {
            child,
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    async fn wait_ready(&self, client: &reqwest::Client) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(response) = client.get(format!("{}/", self.base)).send().await
                && response.status().is_success()
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "aoai-pricing did not answer GET / within 30 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn terminate(self) -> (std::process::ExitStatus, String) {
        let pid = self.child.id().to_string();
        let killed = Command::new("kill").args(["-TERM", &pid]).status().expect("kill runs");
        assert!(killed.success());
        let output = self.child.wait_with_output().expect("process exits");
        (output.status, String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

#[tokio::test]
async fn serves_prices_over_socket_and_stops_on_sigterm() {
    let handler = Handler::start(&[]);
    let client = reqwest::Client::new();
    handler.wait_ready(&client).await;

    let response = client
        .get(format!(
            "{}/api/price?model=gpt-4o-2024-08-06&deployment_type=DataZoneStandard&at=2026-08-15T00:00:00Z",
            handler.base
        ))
        .header("X-Azure-Functions-InvocationId", "00000000-0000-0000-0000-000000000001")
        .send()
        .await
        .expect("price request");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: serde_json::Value = response.json().await.expect("JSON body");
    assert_eq!(body["input"], "2.75");
    assert_eq!(body["cached_input"], "1.375");
    assert_eq!(body["output"], "11");

    let response = client
        .get(format!("{}/api/price?model=gpt-4o&tier=gold", handler.base))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 400);

    let (status, logs) = handler.terminate();
    assert!(status.success(), "exit status {status}; logs:\n{logs}");
    assert!(logs.contains("SIGTERM received"), "{logs}");
    assert!(logs.contains("aoai-pricing stopped"), "{logs}");
}

#[tokio::test]
async fn invalid_setting_exits_with_its_name() {
    let output = Command::new(env!("CARGO_BIN_EXE_aoai-pricing"))
        .env("FUNCTIONS_CUSTOMHANDLER_PORT", "not-a-port")
        .output()
        .expect("aoai-pricing runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("FUNCTIONS_CUSTOMHANDLER_PORT='not-a-port'"), "{stderr}");
}

/// Serves the constructed pricing page and published rates on the loopback address.
async fn start_page_stand_in() -> String {
    let page = std::fs::read_to_string(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/pricing-page/current_per_1m.html"),
    )
    .expect("page fixture");
    let router = axum::Router::new()
        .route(
            "/page",
            axum::routing::get(move || {
                let page = page.clone();
                async move { axum::response::Html(page) }
            }),
        )
        .route(
            "/rates",
            axum::routing::get(|| async { r#"{"usd":{"modernConversion":1},"aud":{"modernConversion":1.5312}}"# }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{address}")
}

#[tokio::test]
async fn pricing_page_source_over_socket() {
    let stand_in = start_page_stand_in().await;
    let cache = std::env::temp_dir().join(format!("aoai-pricing-process-{}", std::process::id()));
    let page_url = format!("{stand_in}/page");
    let rates_url = format!("{stand_in}/rates");
    let cache_path = cache.display().to_string();
    let handler = Handler::start(&[
        ("PRICING_SOURCE", "pricing-page"),
        ("PRICING_PAGE_URL", &page_url),
        ("PRICING_RATES_URL", &rates_url),
        ("PRICING_CACHE_PATH", &cache_path),
    ]);
    let client = reqwest::Client::new();
    handler.wait_ready(&client).await;

    let body: serde_json::Value = client
        .get(format!(
            "{}/api/price?model=gpt-4.1-2025-04-14&deployment_type=regional&region=swedencentral&currency=AUD",
            handler.base
        ))
        .send()
        .await
        .expect("price request")
        .json()
        .await
        .expect("JSON body");
    // 2.42 / 0.605 / 9.68 USD at 1.5312 AUD per USD.
    assert_eq!(body["input"], "3.705504", "{body}");
    assert_eq!(body["cached_input"], "0.926376");
    assert_eq!(body["output"], "14.822016");
    assert_eq!(body["currency"], "AUD");
    assert_eq!(body["conversion"]["rate"], "1.5312");
    assert_eq!(body["source"], "pricing-page");

    let (status, logs) = handler.terminate();
    assert!(status.success(), "exit status {status}; logs:\n{logs}");
    assert!(logs.contains("price catalog refreshed"), "{logs}");
    let _ = std::fs::remove_dir_all(cache);
}
