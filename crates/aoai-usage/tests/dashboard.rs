//! The dashboard in Debian's headless Chromium, driven through ChromeDriver's WebDriver
//! protocol, against `aoai-usage --sample-data` on the loopback address.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("address")
        .port()
}

/// A child process that is killed when the test ends, passed or not.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn wait_for(address: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while reqwest::get(address).await.is_err() {
        assert!(Instant::now() < deadline, "{address} did not answer within 60 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A WebDriver session.
struct Browser {
    http: reqwest::Client,
    session: String,
    _driver: Process,
}

impl Browser {
    async fn start() -> Browser {
        assert!(
            Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists(),
            "the dashboard test needs Debian's chromium and chromium-driver packages (.ci/run installs them)"
        );
        let port = free_port();
        let driver = Process(
            Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("chromedriver starts"),
        );
        let base = format!("http://127.0.0.1:{port}");
        wait_for(&format!("{base}/status")).await;
        let http = reqwest::Client::new();
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1100"
            ]}
        }}});
        let response: Value = http
            .post(format!("{base}/session"))
            .json(&capabilities)
            .send()
            .await
            .expect("new session")
            .json()
            .await
            .expect("JSON");
        let session = response["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {response}"));
        Browser {
            http,
            session: format!("{base}/session/{session}"),
            _driver: driver,
        }
    }

    async fn command(&self, path: &str, body: Value) -> Value {
        let response: Value = self
            .http
            .post(format!("{}/{path}", self.session))
            .json(&body)
            .send()
            .await
            .expect("WebDriver command")
            .json()
            .await
            .expect("JSON");
        response["value"].clone()
    }

    async fn open(&self, address: &str) {
        self.command("url", json!({"url": address})).await;
    }

    async fn script(&self, script: &str) -> Value {
        self.command("execute/sync", json!({"script": script, "args": []}))
            .await
    }

    /// Waits until the page has loaded its data, and fails with the page's own message.
    async fn ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let status = self
                .script(
                    "const s = document.querySelector('#status'); return s ? [s.dataset.state, s.textContent] : null;",
                )
                .await;
            match status[0].as_str() {
                Some("ready") => return,
                Some("error") => panic!("the dashboard reported: {}", status[1]),
                _ => {}
            }
            assert!(
                Instant::now() < deadline,
                "the dashboard did not load within 60 s: {status}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn screenshot(&self, path: &Path) {
        let response: Value = self
            .http
            .get(format!("{}/screenshot", self.session))
            .send()
            .await
            .expect("screenshot")
            .json()
            .await
            .expect("JSON");
        let png = base64::engine::general_purpose::STANDARD
            .decode(response["value"].as_str().expect("base64"))
            .expect("PNG");
        std::fs::write(path, png).expect("write screenshot");
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("aoai-dashboard-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temporary folder");
    dir
}

async fn api(base: &str, query: &str) -> Value {
    reqwest::get(format!("{base}/api/usage?{query}"))
        .await
        .expect("usage")
        .json()
        .await
        .expect("JSON")
}

#[tokio::test]
async fn dashboard_matches_the_api() {
    let dir = temp_dir("sample");
    let port = free_port();
    let _usage = Process(
        Command::new(env!("CARGO_BIN_EXE_aoai-usage"))
            .arg("--sample-data")
            .env("FUNCTIONS_CUSTOMHANDLER_PORT", port.to_string())
            .env("USAGE_STORE", dir.join("usage.db"))
            .env("PRICING_CACHE_PATH", dir.join("prices"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("aoai-usage starts"),
    );
    let base = format!("http://127.0.0.1:{port}");
    wait_for(&format!("{base}/")).await;
    let browser = Browser::start().await;

    // The page sets a strict Content-Security-Policy.
    let page = reqwest::get(format!("{base}/api/dashboard")).await.expect("page");
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .expect("text")
        .to_owned();
    assert!(
        policy.contains("default-src 'none'") && policy.contains("connect-src 'self'"),
        "{policy}"
    );

    browser.open(&format!("{base}/api/dashboard?range=30d&tz=UTC")).await;
    browser.ready().await;
    let period = browser
        .script("return [document.querySelector('#from').value, document.querySelector('#to').value];")
        .await;
    let (from, to) = (
        period[0].as_str().expect("from").to_owned(),
        period[1].as_str().expect("to").to_owned(),
    );
    let common = format!("from={from}&to={to}&tz=UTC&source=otel");

    // The cost tile is the API's total, to the last digit.
    let expected = api(&base, &format!("{common}&group_by=user")).await;
    let tile = browser
        .script("return document.querySelector('#tile-cost').dataset.value;")
        .await;
    assert_eq!(tile, expected["total"]["cost"]);
    assert_eq!(
        browser.script("return document.querySelector('#sample').hidden;").await,
        false
    );

    let screenshot_dir = std::env::temp_dir().join(format!("aoai-dashboard-{}", std::process::id()));
    std::fs::create_dir_all(&screenshot_dir).expect("folder");
    browser.screenshot(&screenshot_dir.join("dashboard.png")).await;
    if std::env::var_os("UPDATE_SCREENSHOT").is_some() {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs");
        std::fs::create_dir_all(&docs).expect("docs");
        browser.screenshot(&docs.join("dashboard.png")).await;
    }

    // The bars of the top users and "others" add up to the total.
    let bars: Vec<f64> = serde_json::from_value(
        browser
            .script("return [...document.querySelectorAll('#chart-users g')].map(g => Number(g.dataset.cost));")
            .await,
    )
    .expect("bar costs");
    let total: f64 = expected["total"]["cost"]
        .as_str()
        .expect("cost")
        .parse()
        .expect("number");
    assert_eq!(bars.len(), 16, "the top 15 and others");
    assert!(
        (bars.iter().sum::<f64>() - total).abs() < 1e-6,
        "{bars:?} against {total}"
    );

    // The table is sorted by cost, and a click on the header turns the order around.
    let costs = "return [...document.querySelectorAll('#users tbody tr')].map(r => Number(r.dataset.cost || 0));";
    let descending: Vec<f64> = serde_json::from_value(browser.script(costs).await).expect("costs");
    assert!(descending.windows(2).all(|pair| pair[0] >= pair[1]), "{descending:?}");
    browser
        .script("document.querySelector('th[data-column=cost] button').click();")
        .await;
    let ascending: Vec<f64> = serde_json::from_value(browser.script(costs).await).expect("costs");
    assert!(ascending.windows(2).all(|pair| pair[0] <= pair[1]), "{ascending:?}");
    assert_eq!(ascending.len(), descending.len());

    // Every request the page made went to this origin.
    let requests: Vec<String> = serde_json::from_value(
        browser
            .script("return performance.getEntriesByType('resource').map(e => e.name);")
            .await,
    )
    .expect("names");
    assert!(!requests.is_empty());
    assert!(requests.iter().all(|name| name.starts_with(&base)), "{requests:?}");

    // The CSV link is the API's CSV for the same view.
    let href = browser.script("return document.querySelector('#csv').href;").await;
    let from_page = reqwest::get(href.as_str().expect("href"))
        .await
        .expect("CSV")
        .text()
        .await
        .expect("text");
    let from_api = reqwest::get(format!("{base}/api/usage?{common}&group_by=user&format=csv"))
        .await
        .expect("CSV")
        .text()
        .await
        .expect("text");
    assert_eq!(from_page, from_api);

    // A user filter narrows the table and the tiles.
    let first = expected["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|row| row["display_name"] == "Ada Lovelace")
        .expect("Ada in the sample")
        .clone();
    browser
        .script(
            "document.querySelector('#q').value = 'ada lovelace'; document.querySelector('#controls').requestSubmit();",
        )
        .await;
    browser.ready().await;
    let rows = browser
        .script("return [...document.querySelectorAll('#users tbody tr')].map(r => r.dataset.user);")
        .await;
    assert_eq!(rows, json!([first["user"]]));
    let tile = browser
        .script("return document.querySelector('#tile-cost').dataset.value;")
        .await;
    assert_eq!(tile, first["cost"]);
    assert_eq!(
        browser
            .script("return document.querySelector('#tile-users').dataset.value;")
            .await,
        "1"
    );

    // The function key and API Management's subscription key in the address are passed on to
    // the assets and kept in the address, and an unknown zone is an error that says so.
    browser
        .open(&format!(
            "{base}/api/dashboard?range=30d&tz=UTC&code=key%27%22%3E&subscription-key=sub%26key"
        ))
        .await;
    browser.ready().await;
    let carried = browser
        .script("return [document.querySelector('script[src]').getAttribute('src'), new URLSearchParams(location.search).get('code'), new URLSearchParams(location.search).get('subscription-key')];")
        .await;
    assert_eq!(
        carried[0], "dashboard/app.js?code=key%27%22%3E&subscription-key=sub%26key",
        "{carried}"
    );
    assert_eq!(carried[1], "key'\">", "{carried}");
    assert_eq!(carried[2], "sub&key", "{carried}");
    browser
        .script("document.querySelector('#tz').value = 'Nowhere/Zone'; document.querySelector('#controls').requestSubmit();")
        .await;
    let status = browser
        .script("const s = document.querySelector('#status'); return [s.dataset.state, s.textContent, document.querySelector('#tiles').children.length];")
        .await;
    assert_eq!(status[0], "error", "{status}");
    assert!(status[1].as_str().expect("text").contains("Nowhere/Zone"), "{status}");
    assert_eq!(status[2], 0, "old results are cleared after an error");

    // Another time zone moves calls across day boundaries.
    let days = "return Object.fromEntries([...document.querySelectorAll('#chart-days g[data-day]')].map(g => [g.dataset.day, g.dataset.cost]));";
    browser
        .open(&format!("{base}/api/dashboard?range=custom&from={from}&to={to}&tz=UTC"))
        .await;
    browser.ready().await;
    let utc = browser.script(days).await;
    browser
        .open(&format!(
            "{base}/api/dashboard?range=custom&from={from}&to={to}&tz=Pacific%2FKiritimati"
        ))
        .await;
    browser.ready().await;
    let kiritimati = browser.script(days).await;
    assert_ne!(utc, kiritimati, "the same calls fall on other days in UTC+14");
    let api_days = api(
        &base,
        &format!("from={from}&to={to}&tz=Pacific%2FKiritimati&group_by=day"),
    )
    .await;
    let expected_days: Vec<String> = api_days["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| row["day"].as_str().expect("day").to_owned())
        .collect();
    let mut shown: Vec<String> = kiritimati.as_object().expect("days").keys().cloned().collect();
    shown.sort();
    assert_eq!(shown, expected_days);
}
