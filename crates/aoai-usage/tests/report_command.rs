//! `aoai-usage report` in each format, against the same store as `GET /api/usage`.

mod support;

use std::process::Command;

use support::{Span, Usage};

const QUERY: &str = "from=2026-08-01&to=2026-09-01&group_by=user,model";

fn report(usage_dir: &std::path::Path, format: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_aoai-usage"))
        .args([
            "report",
            "--from",
            "2026-08-01",
            "--to",
            "2026-09-01",
            "--group-by",
            "user,model",
            "--format",
            format,
        ])
        .env("USAGE_STORE", usage_dir.join("usage.db"))
        .env("PRICING_CACHE_PATH", usage_dir.join("prices"))
        .env(
            "AOAI_DEPLOYMENTS",
            format!(
                "{},{}",
                usage_dir.join("deployments-eastus2.json").display(),
                usage_dir.join("deployments-sweden.json").display()
            ),
        )
        .env("RUST_LOG", "warn")
        .output()
        .expect("aoai-usage report runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("UTF-8")
}

#[tokio::test]
async fn report_formats_match_the_api() {
    let usage = Usage::start("report");
    usage
        .track(&[
            Span::chat("chat-0806", 2006, 300).cached(1920).envelope(),
            Span::chat("mini", 17903, 188)
                .cached(17817)
                .user(Some("bob"))
                .envelope(),
            Span::chat("chat-ptu", 1000, 100).user(Some("bob")).envelope(),
        ])
        .await;
    let dir = usage.state.store.path().parent().expect("store folder").to_owned();

    let mut api = usage.ok(QUERY).await;
    let mut json: serde_json::Value = serde_json::from_str(&report(&dir, "json")).expect("JSON report");
    for body in [&mut api, &mut json] {
        body.as_object_mut().expect("object").remove("backend");
    }
    assert_eq!(json, api);

    let (_, csv_api) = usage
        .request(
            axum::http::Request::get(format!("/api/usage?{QUERY}&format=csv"))
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(report(&dir, "csv"), String::from_utf8(csv_api).expect("UTF-8"));

    let table = report(&dir, "table");
    let lines: Vec<&str> = table.lines().collect();
    let header = lines.iter().find(|line| line.starts_with("user")).expect("header");
    assert!(header.contains("model") && header.ends_with("cost"), "{table}");
    let total = lines.iter().find(|line| line.starts_with("total")).expect("total line");
    // 0.005615 + 0.001461975, with bob's provisioned call unpriced.
    assert!(total.ends_with("0.007076975*"), "{table}");
    let alice = lines.iter().find(|line| line.starts_with("alice")).expect("alice");
    assert!(alice.ends_with("0.005615"), "{table}");
    assert!(
        lines
            .iter()
            .any(|line| line.starts_with("bob") && line.ends_with("unpriced")),
        "{table}"
    );
    // Columns line up: every line with numbers ends at the same width.
    let widths: Vec<usize> = lines
        .iter()
        .filter(|line| line.starts_with("alice") || line.starts_with("total") || line.starts_with("user"))
        .map(|line| line.chars().count())
        .collect();
    assert!(widths.windows(2).all(|pair| pair[0] == pair[1]), "{table}");
}

#[tokio::test]
async fn report_rejects_bad_options() {
    for arguments in [
        vec!["report", "--format", "xml"],
        vec!["report", "--color", "red"],
        vec!["report", "--tz", "Mars/Base"],
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_aoai-usage"))
            .args(&arguments)
            .env(
                "USAGE_STORE",
                std::env::temp_dir().join(format!("aoai-report-{}.db", std::process::id())),
            )
            .env("RUST_LOG", "warn")
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(2), "{arguments:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(arguments[2]) || stderr.contains(arguments[1]),
            "{stderr}"
        );
    }
}

#[tokio::test]
async fn table_aligns_wide_characters() {
    let usage = Usage::start("report-wide");
    usage
        .track(&[
            Span::chat("mini", 1000, 100).user(Some("山田太郎")).envelope(),
            Span::chat("mini", 1000, 100).user(Some("bob")).envelope(),
        ])
        .await;
    let dir = usage.state.store.path().parent().expect("store folder").to_owned();
    let table = report(&dir, "table");
    let widths: Vec<usize> = table
        .lines()
        .filter(|line| line.starts_with('山') || line.starts_with("bob") || line.starts_with("user"))
        .map(unicode_width::UnicodeWidthStr::width)
        .collect();
    assert_eq!(widths.len(), 3, "{table}");
    assert!(widths.windows(2).all(|pair| pair[0] == pair[1]), "{table}");
}
