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
