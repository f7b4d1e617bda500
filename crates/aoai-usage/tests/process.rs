//! The `aoai-usage` binary run as the Functions host runs it, over real sockets: readiness,
//! ingestion, answers, SIGTERM, and SIGKILL in the middle of ingestion.

mod support;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::Span;
use tokio::sync::Mutex;

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    listener.local_addr().expect("local address").port()
}

struct Handler {
    child: Child,
    base: String,
}

impl Handler {
    fn start(dir: &Path, arguments: &[&str]) -> Handler {
        Handler::start_with(dir, arguments, &[])
    }

    fn start_with(dir: &Path, arguments: &[&str], settings: &[(&str, &str)]) -> Handler {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_aoai-usage"))
            .args(arguments)
            .env("FUNCTIONS_CUSTOMHANDLER_PORT", port.to_string())
            .env("USAGE_STORE", dir.join("usage.db"))
            .env("PRICING_CACHE_PATH", dir.join("prices"))
            .env("AOAI_DEPLOYMENTS", dir.join("deployments-eastus2.json"))
            .env("RUST_LOG", "info")
            .envs(settings.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("aoai-usage starts");
        Handler {
            child,
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    async fn wait_ready(&mut self, client: &reqwest::Client) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(response) = client.get(format!("{}/", self.base)).send().await
                && response.status().is_success()
            {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("aoai-usage exited early with {status}");
            }
            assert!(Instant::now() < deadline, "aoai-usage did not answer GET / within 60 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn signal(self, signal: &str) -> (std::process::ExitStatus, String) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args([signal, &pid]).status().expect("kill runs");
        assert!(sent.success());
        let output = self.child.wait_with_output().expect("process exits");
        (output.status, String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

fn prepare(test: &str) -> std::path::PathBuf {
    let dir = support::temp_dir(test);
    std::fs::write(dir.join("deployments-eastus2.json"), support::DEPLOYMENTS_EASTUS2).expect("deployments");
    dir
}

async fn usage(client: &reqwest::Client, base: &str, query: &str) -> Value {
    let response = client
        .get(format!("{base}/api/usage?{query}"))
        .send()
        .await
        .expect("usage request");
    assert_eq!(response.status(), 200);
    response.json().await.expect("JSON")
}

#[tokio::test]
async fn serves_usage_and_stops_on_sigterm() {
    let dir = prepare("sigterm");
    let mut handler = Handler::start(&dir, &[]);
    let client = reqwest::Client::new();
    handler.wait_ready(&client).await;

    let body = Value::Array(vec![Span::chat("chat-0806", 2006, 300).cached(1920).envelope()]).to_string();
    let response = client
        .post(format!("{}/v2/track", handler.base))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("track");
    assert_eq!(response.status(), 200);
    let answer = usage(&client, &handler.base, "from=2026-08-01&to=2026-09-01").await;
    assert_eq!(answer["rows"][0]["cost"], "0.005615");

    let (status, logs) = handler.signal("-TERM");
    assert!(status.success(), "exit status {status}; logs:\n{logs}");
    assert!(logs.contains("SIGTERM received"), "{logs}");
    assert!(logs.contains("aoai-usage stopped"), "{logs}");
}

#[tokio::test]
async fn acknowledged_records_survive_sigkill() {
    let dir = prepare("sigkill");
    let mut handler = Handler::start(&dir, &[]);
    let client = reqwest::Client::new();
    handler.wait_ready(&client).await;

    const SPANS_PER_REQUEST: u64 = 25;
    let acknowledged: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut senders = Vec::new();
    for sender in 0..4 {
        let client = client.clone();
        let base = handler.base.clone();
        let acknowledged = Arc::clone(&acknowledged);
        let stop = Arc::clone(&stop);
        senders.push(tokio::spawn(async move {
            let mut sent = 0;
            while !stop.load(Ordering::SeqCst) {
                let user = format!("sender{sender}-batch{sent}");
                sent += 1;
                let spans: Vec<Value> = (0..SPANS_PER_REQUEST)
                    .map(|_| Span::chat("mini", 1000, 100).user(Some(&user)).envelope())
                    .collect();
                let result = client
                    .post(format!("{base}/v2/track"))
                    .body(Value::Array(spans).to_string())
                    .send()
                    .await;
                match result {
                    Ok(response) if response.status() == 200 => acknowledged.lock().await.push(user),
                    _ => break,
                }
            }
        }));
    }
    // Let the senders run, then kill the process with requests in flight.
    while acknowledged.lock().await.len() < 40 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (status, _) = handler.signal("-KILL");
    assert!(!status.success());
    stop.store(true, Ordering::SeqCst);
    for sender in senders {
        sender.await.expect("sender");
    }

    let mut restarted = Handler::start(&dir, &[]);
    restarted.wait_ready(&client).await;
    let answer = usage(&client, &restarted.base, "from=2026-08-01&to=2026-09-01&group_by=user").await;
    let stored: std::collections::HashMap<String, u64> = answer["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| {
            (
                row["user"].as_str().expect("user").to_owned(),
                row["requests"].as_u64().expect("requests"),
            )
        })
        .collect();
    let acknowledged = acknowledged.lock().await.clone();
    assert!(acknowledged.len() >= 40);
    for user in &acknowledged {
        assert_eq!(
            stored.get(user),
            Some(&SPANS_PER_REQUEST),
            "acknowledged batch {user} is not whole in the store"
        );
    }
    // A batch is stored whole or not at all.
    assert!(
        stored.values().all(|requests| *requests == SPANS_PER_REQUEST),
        "{stored:?}"
    );
    let (status, logs) = restarted.signal("-TERM");
    assert!(status.success(), "{logs}");
}

#[tokio::test]
async fn sample_data_answers_per_user_cost() {
    let dir = support::temp_dir("sample");
    let port = free_port();
    let mut handler = Handler {
        child: Command::new(env!("CARGO_BIN_EXE_aoai-usage"))
            .arg("--sample-data")
            .env("FUNCTIONS_CUSTOMHANDLER_PORT", port.to_string())
            .env("USAGE_STORE", dir.join("usage.db"))
            .env("PRICING_CACHE_PATH", dir.join("prices"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starts"),
        base: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    handler.wait_ready(&client).await;
    let now = chrono::Utc::now();
    let range = format!(
        "from={}&to={}",
        (now - chrono::Duration::days(31)).format("%Y-%m-%d"),
        (now + chrono::Duration::days(1)).format("%Y-%m-%d")
    );

    let otel = usage(&client, &handler.base, &range).await;
    assert_eq!(otel["sample"], true);
    let rows = otel["rows"].as_array().expect("rows");
    assert!(rows.len() >= 15, "{} rows", rows.len());
    assert!(rows.iter().any(|row| row["display_name"] == "Ada Lovelace"), "{otel}");
    assert!(otel["data_quality"]["unattributed"].as_u64().expect("count") > 0);
    assert!(otel["data_quality"]["usage_missing"].as_u64().expect("count") > 0);
    assert!(otel["data_quality"]["assumed"].as_u64().expect("count") > 0);
    assert!(otel["unpriced"]["reasons"]["provisioned"].as_u64().expect("count") > 0);
    assert_eq!(otel["unpriced"]["reasons"].get("no_meter"), None, "{otel}");
    assert!(otel["total"]["cost"].as_str().is_some_and(|cost| cost != "0"), "{otel}");

    let apim = usage(&client, &handler.base, &format!("{range}&source=apim&group_by=team")).await;
    assert!(apim["data_quality"]["estimated"].as_u64().expect("count") > 0);
    assert_eq!(
        apim["rows"].as_array().expect("rows").len(),
        5,
        "four teams and (none): {apim}"
    );
    let (status, logs) = handler.signal("-TERM");
    assert!(status.success(), "{logs}");

    // The report command on the same store, without --sample-data, reads the sample's
    // directory and deployment catalog from beside the store and matches the API.
    let now = chrono::Utc::now();
    let output = Command::new(env!("CARGO_BIN_EXE_aoai-usage"))
        .args(["report", "--source", "apim", "--group-by", "team", "--format", "json"])
        .args([
            "--from",
            &(now - chrono::Duration::days(31)).format("%Y-%m-%d").to_string(),
        ])
        .args([
            "--to",
            &(now + chrono::Duration::days(1)).format("%Y-%m-%d").to_string(),
        ])
        .env("USAGE_STORE", dir.join("usage.db"))
        .env("PRICING_CACHE_PATH", dir.join("prices"))
        .output()
        .expect("aoai-usage report runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    assert_eq!(report["rows"], apim["rows"], "{report}");
    assert_eq!(report["total"], apim["total"], "{report}");
}

#[tokio::test]
async fn invalid_setting_exits_with_its_name() {
    let output = Command::new(env!("CARGO_BIN_EXE_aoai-usage"))
        .env("USAGE_SOURCE", "logs")
        .output()
        .expect("aoai-usage runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("USAGE_SOURCE='logs'"), "{stderr}");
}

#[tokio::test]
async fn sample_refuses_store_with_usage() {
    let dir = prepare("sample-refused");
    let mut handler = Handler::start(&dir, &[]);
    let client = reqwest::Client::new();
    handler.wait_ready(&client).await;
    let body = Value::Array(vec![Span::chat("mini", 1000, 100).envelope()]).to_string();
    let response = client
        .post(format!("{}/v2/track", handler.base))
        .body(body)
        .send()
        .await
        .expect("track");
    assert_eq!(response.status(), 200);
    let (status, _) = handler.signal("-TERM");
    assert!(status.success());

    let output = Command::new(env!("CARGO_BIN_EXE_aoai-usage"))
        .arg("--sample-data")
        .env("USAGE_STORE", dir.join("usage.db"))
        .env("PRICING_CACHE_PATH", dir.join("prices"))
        .output()
        .expect("runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("already holds usage"), "{stderr}");
    assert!(
        !dir.join("sample-deployments.json").exists(),
        "no file is written before the refusal"
    );
}

#[tokio::test]
async fn secrets_never_reach_logs_or_responses() {
    const IKEY: &str = "c0ffee00-5ec7-4e75-8ec7-000000000001";
    const WRONG_IKEY: &str = "d00d0000-5ec7-4e75-8ec7-000000000002";
    const TOKEN: &str = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.c2VjcmV0LXRva2VuLWNsYWltcw.c2lnbmF0dXJlLXNlY3JldA";
    const FUNCTION_KEY: &str = "fkey-5ec7e7-000000000003";
    const CLIENT_SECRET: &str = "client-secret-5ec7e7-000000000004";
    let dir = prepare("secrets");
    let closed = free_port().to_string();
    let authority = format!("http://127.0.0.1:{closed}");
    let mut handler = Handler::start_with(
        &dir,
        &[],
        &[
            ("RUST_LOG", "trace"),
            ("INGEST_INSTRUMENTATION_KEY", IKEY),
            ("AZURE_CLIENT_SECRET", CLIENT_SECRET),
            ("USAGE_AUTH", "entra"),
            ("USAGE_AUTH_TENANT_ID", "7d1f0c2a-5b3e-4c6d-8e9f-a0b1c2d3e4f5"),
            ("USAGE_AUTH_AUDIENCE", "api://aoai-meter-usage"),
            ("USAGE_AUTH_AUTHORITY_HOST", &authority),
        ],
    );
    let client = reqwest::Client::new();
    handler.wait_ready(&client).await;

    let mut responses = String::new();
    for ikey in [IKEY, WRONG_IKEY] {
        let mut envelope = support::Span::chat("chat-global", 1000, 100)
            .user(Some("ana"))
            .envelope();
        envelope["iKey"] = serde_json::json!(ikey);
        let response = client
            .post(format!("{}/v2/track", handler.base))
            .body(serde_json::json!([envelope]).to_string())
            .send()
            .await
            .expect("track");
        responses.push_str(&response.text().await.expect("body"));
    }
    // The signing keys cannot be fetched, so the token is refused with 503; either way, it and
    // the function key in the query must not be written anywhere.
    let response = client
        .get(format!("{}/api/usage?group_by=user&code={FUNCTION_KEY}", handler.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("usage");
    assert_eq!(response.status(), 503);
    responses.push_str(&response.text().await.expect("body"));

    let (_, logs) = handler.signal("-TERM");
    assert!(logs.contains("signing keys"), "the failed key fetch is logged: {logs}");
    for secret in [
        IKEY,
        WRONG_IKEY,
        TOKEN,
        "c2VjcmV0LXRva2VuLWNsYWltcw",
        FUNCTION_KEY,
        CLIENT_SECRET,
    ] {
        assert!(!logs.contains(secret), "the logs hold {secret}");
        assert!(!responses.contains(secret), "a response holds {secret}: {responses}");
    }
}

#[tokio::test]
async fn full_disk_503_keeps_acknowledged() {
    let dir = prepare("full-disk");
    let store = dir.join("small");
    std::fs::create_dir_all(&store).expect("folder");
    let port = free_port();
    // The store lives on a 1 MiB tmpfs mounted in a mount namespace of the handler's own, so
    // the test needs no privileges and leaves no mount behind.
    let child = Command::new("unshare")
        .args([
            "--user",
            "--map-root-user",
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
        ])
        .arg(r#"mount -t tmpfs -o size=1m tmpfs "$0" && exec "$1""#)
        .arg(&store)
        .arg(env!("CARGO_BIN_EXE_aoai-usage"))
        .env("FUNCTIONS_CUSTOMHANDLER_PORT", port.to_string())
        .env("USAGE_STORE", store.join("usage.db"))
        .env("PRICING_CACHE_PATH", dir.join("prices"))
        .env("AOAI_DEPLOYMENTS", dir.join("deployments-eastus2.json"))
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("unshare (util-linux) starts");
    let mut handler = Handler {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    handler.wait_ready(&client).await;

    let mut acknowledged = 0u64;
    let mut full = None;
    for batch in 0..400 {
        let spans: Vec<Value> = (0..50)
            .map(|index| {
                support::Span::chat("chat-global", 1000 + index, 100)
                    .user(Some(&format!("user-{batch}-{index}-{}", "x".repeat(200))))
                    .envelope()
            })
            .collect();
        let response = client
            .post(format!("{}/v2/track", handler.base))
            .body(Value::Array(spans).to_string())
            .send()
            .await
            .expect("track");
        match response.status().as_u16() {
            200 => acknowledged += 50,
            503 => {
                full = Some(response.text().await.expect("body"));
                break;
            }
            other => panic!("batch {batch}: {other}: {}", response.text().await.unwrap_or_default()),
        }
    }
    let message = full.expect("the 1 MiB store fills up within 400 batches");
    assert!(message.contains("send it again later"), "{message}");
    assert!(acknowledged > 0, "some batches fit before the disk filled");

    // Every acknowledged call is still there, and the handler still serves requests.
    let report = usage(&client, &handler.base, "group_by=user&from=2026-08-01&to=2026-09-01").await;
    assert_eq!(report["total"]["requests"], acknowledged, "{}", report["total"]);
    let (status, logs) = handler.signal("-TERM");
    assert!(status.success(), "{logs}");
    assert!(logs.contains("ingested batch not stored"), "{logs}");
}

/// Returns the peak resident memory of a process in MiB, from `/proc`.
fn peak_memory_mib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

#[tokio::test]
async fn ingestion_and_reports_under_load_lose_nothing() {
    const CLIENTS: usize = 4;
    const BATCHES: usize = 40;
    const SPANS: usize = 100;
    let dir = prepare("load");
    let mut handler = Handler::start(&dir, &[]);
    let client = reqwest::Client::new();
    handler.wait_ready(&client).await;
    let base = handler.base.clone();
    let started = Instant::now();

    let mut writers = Vec::new();
    for writer in 0..CLIENTS {
        let (client, base) = (client.clone(), base.clone());
        writers.push(tokio::spawn(async move {
            let mut acknowledged = 0usize;
            for batch in 0..BATCHES {
                let spans: Vec<Value> = (0..SPANS)
                    .map(|index| {
                        support::Span::chat("chat-global", 1000, 100)
                            .user(Some(&format!("user-{}", (writer * 7 + batch + index) % 50)))
                            .envelope()
                    })
                    .collect();
                let response = client
                    .post(format!("{base}/v2/track"))
                    .body(Value::Array(spans).to_string())
                    .send()
                    .await
                    .expect("track");
                assert_eq!(response.status(), 200, "writer {writer} batch {batch}");
                acknowledged += SPANS;
            }
            acknowledged
        }));
    }
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut readers = Vec::new();
    for _ in 0..2 {
        let (client, base, done) = (client.clone(), base.clone(), done.clone());
        readers.push(tokio::spawn(async move {
            let mut reports = 0usize;
            let mut last = 0u64;
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                let report = usage(&client, &base, "group_by=user,day&from=2026-08-01&to=2026-09-01").await;
                let requests = report["total"]["requests"].as_u64().expect("requests");
                assert!(requests >= last, "a report never shows fewer calls than an earlier one");
                last = requests;
                reports += 1;
            }
            reports
        }));
    }
    let mut acknowledged = 0;
    for writer in writers {
        acknowledged += writer.await.expect("writer");
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut reports = 0;
    for reader in readers {
        reports += reader.await.expect("reader");
    }
    let elapsed = started.elapsed();

    let report = usage(&client, &base, "group_by=user&from=2026-08-01&to=2026-09-01").await;
    assert_eq!(report["total"]["requests"], acknowledged);
    assert_eq!(report["total"]["input_tokens"], acknowledged * 1000);
    let peak = peak_memory_mib(handler.child.id()).expect("peak memory");
    assert!(peak < 512, "peak memory {peak} MiB");
    println!(
        "load: {acknowledged} spans from {CLIENTS} clients and {reports} reports in {:.1} s; peak memory {peak} MiB",
        elapsed.as_secs_f64()
    );
    let (status, logs) = handler.signal("-TERM");
    assert!(status.success(), "{logs}");
}
