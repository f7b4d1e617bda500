//! Inputs on which tools in this field computed wrong usage or cost, with the right
//! answers, sent through the track endpoint and read back from `GET /api/usage`. Prices are
//! the Azure Retail Prices list in eastus2 (and swedencentral) of 2026-08-15, per 1M tokens.

mod support;

use serde_json::{Value, json};
use support::{Span, Usage, metric};

const AUGUST: &str = "from=2026-08-01&to=2026-09-01";

fn only_row(body: &Value) -> &Value {
    let rows = body["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 1, "{body}");
    &rows[0]
}

#[tokio::test]
async fn cached_tokens_at_cached_rate() {
    let usage = Usage::start("cached-rate");
    usage
        .track(&[Span::chat("chat-0806", 2006, 300).cached(1920).envelope()])
        .await;
    let body = usage.ok(AUGUST).await;
    let row = only_row(&body);
    // 86 × 2.5 + 1920 × 1.25 + 300 × 10, per 1M.
    assert_eq!(row["cost"], "0.005615");
    assert_eq!(row["cost_input"], "0.000215");
    assert_eq!(row["cost_cached_input"], "0.0024");
    assert_eq!(row["cost_output"], "0.003");
}

#[tokio::test]
async fn cached_tokens_counted_once() {
    let usage = Usage::start("cached-once");
    usage
        .track(&[Span::chat("mini", 17903, 188).cached(17817).envelope()])
        .await;
    let body = usage.ok(AUGUST).await;
    let row = only_row(&body);
    assert_eq!(row["input_tokens"], 17903);
    assert_eq!(row["cached_input_tokens"], 17817);
    assert_eq!(row["output_tokens"], 188);
    assert_eq!(row["cost"], "0.001461975");
    assert_eq!(body["total"]["input_tokens"], 17903);
}

#[tokio::test]
async fn impossible_counts_rejected() {
    let usage = Usage::start("impossible");
    usage
        .track(&[
            Span::chat("mini", 7, 123).cached(20646).envelope(),
            Span::chat("reasoning", 100, 10).reasoning(11).envelope(),
            Span::chat("mini", 100, 10)
                .attribute("gen_ai.usage.output_tokens", "-5")
                .envelope(),
        ])
        .await;
    let body = usage.ok(AUGUST).await;
    assert_eq!(body["rows"], json!([]), "{body}");
    assert_eq!(body["total"]["requests"], 0);
    assert_eq!(body["data_quality"]["rejected"], 3);
    assert_eq!(body["data_quality"]["rejected_reasons"]["cached_exceeds_input"], 1);
    assert_eq!(body["data_quality"]["rejected_reasons"]["reasoning_exceeds_output"], 1);
    assert_eq!(body["data_quality"]["rejected_reasons"]["negative_count"], 1);
}

#[tokio::test]
async fn reasoning_tokens_inside_output() {
    let usage = Usage::start("reasoning");
    usage
        .track(&[Span::chat("reasoning", 2008, 266).reasoning(261).envelope()])
        .await;
    let body = usage.ok(AUGUST).await;
    let row = only_row(&body);
    assert_eq!(row["output_tokens"], 266);
    assert_eq!(row["reasoning_tokens"], 261);
    // 2008 × 1.1 + 266 × 4.4, per 1M.
    assert_eq!(row["cost"], "0.0033792");
}

#[tokio::test]
async fn streamed_call_costs_the_same() {
    let usage = Usage::start("streamed");
    usage
        .track(&[
            Span::chat("mini", 1200, 36)
                .attribute("gen_ai.request.stream", "true")
                .envelope(),
            Span::chat("mini", 1200, 36).user(Some("bob")).envelope(),
            Span::chat("mini", 0, 0)
                .no_usage()
                .attribute("gen_ai.request.stream", "true")
                .envelope(),
        ])
        .await;
    let body = usage.ok(AUGUST).await;
    let rows = body["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 2, "{body}");
    for row in rows {
        assert_eq!(row["cost"], "0.0002016", "{row}");
        assert_eq!(row["requests"], 1);
    }
    assert_eq!(body["data_quality"]["usage_missing"], 1);
    assert_eq!(body["total"]["requests"], 2);
}

#[tokio::test]
async fn data_zone_priced_as_data_zone() {
    let usage = Usage::start("data-zone");
    usage
        .track(&[Span::chat("chat-dz", 1_000_000, 100_000).envelope()])
        .await;
    let body = usage.ok(&format!("{AUGUST}&group_by=deployment_type")).await;
    let row = only_row(&body);
    assert_eq!(row["deployment_type"], "datazone");
    assert_eq!(row["cost"], "3.85");
}

#[tokio::test]
async fn unlisted_deployments_priced_or_reported() {
    let usage = Usage::start("unlisted");
    usage
        .track(&[
            Span::chat("prod-chat-eu", 1000, 500)
                .response_model("gpt-4o-2024-11-20")
                .envelope(),
            Span::chat("team-x-custom", 1000, 500)
                .user(Some("carol"))
                .response_model("my-custom-model")
                .envelope(),
        ])
        .await;
    let body = usage.ok(&format!("{AUGUST}&group_by=user,deployment")).await;
    let rows = body["rows"].as_array().expect("rows");
    let alice = rows.iter().find(|row| row["user"] == "alice").expect("alice");
    assert_eq!(alice["cost"], "0.0075");
    assert_eq!(alice["priced"], true);
    let carol = rows.iter().find(|row| row["user"] == "carol").expect("carol");
    assert_eq!(carol["cost"], Value::Null);
    assert_eq!(carol["priced"], false);
    assert_eq!(carol["input_tokens"], 1000);
    assert_eq!(carol["output_tokens"], 500);
    assert_eq!(body["unpriced"]["requests"], 1);
    assert_eq!(body["unpriced"]["input_tokens"], 1000);
    assert_eq!(body["unpriced"]["reasons"]["unknown_model"], 1);
    assert_eq!(body["data_quality"]["assumed"], 1);
    // The total covers the priced calls, and says that not all were priced.
    assert_eq!(body["total"]["cost"], "0.0075");
    assert_eq!(body["total"]["priced"], false);
    assert_eq!(body["total"]["requests"], 2);
}

#[tokio::test]
async fn per_1k_and_per_1m_rows() {
    let usage = Usage::start("units");
    usage
        .track(&[
            Span::chat("gpt41mini", 1_000_000, 0).envelope(),
            Span::chat("gpt5", 1_000_000, 0).user(Some("bob")).envelope(),
        ])
        .await;
    let body = usage.ok(AUGUST).await;
    let rows = body["rows"].as_array().expect("rows");
    let cost = |user: &str| rows.iter().find(|row| row["user"] == user).expect(user)["cost"].clone();
    assert_eq!(cost("alice"), "0.4");
    assert_eq!(cost("bob"), "1.25");
}

#[tokio::test]
async fn days_and_months_in_time_zone() {
    let usage = Usage::start("time-zone");
    usage
        .track(&[
            Span::chat("chat-0806", 400_000, 0)
                .at("2026-05-31T20:00:00Z")
                .envelope(),
            Span::chat("chat-0806", 800_000, 0)
                .at("2026-06-01T20:00:00Z")
                .envelope(),
        ])
        .await;

    let kolkata = usage
        .ok("from=2026-05-25&to=2026-06-10&tz=Asia/Kolkata&group_by=day")
        .await;
    let days: Vec<(String, String)> = kolkata["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| {
            (
                row["day"].as_str().expect("day").to_owned(),
                row["cost"].as_str().expect("cost").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        days,
        vec![
            ("2026-06-01".to_owned(), "1".to_owned()),
            ("2026-06-02".to_owned(), "2".to_owned())
        ]
    );
    assert_eq!(kolkata["total"]["cost"], "3");
    let june = usage
        .ok("from=2026-06-01&to=2026-07-01&tz=Asia/Kolkata&group_by=month")
        .await;
    assert_eq!(only_row(&june)["month"], "2026-06");
    assert_eq!(only_row(&june)["cost"], "3");

    let utc = usage.ok("from=2026-05-25&to=2026-06-10&group_by=day").await;
    let june_first = utc["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|row| row["day"] == "2026-06-01")
        .expect("June 1 in UTC");
    assert_eq!(june_first["cost"], "2");
    let june = usage.ok("from=2026-06-01&to=2026-07-01&group_by=month").await;
    assert_eq!(only_row(&june)["cost"], "2");
}

#[tokio::test]
async fn money_is_exact_decimal() {
    let usage = Usage::start("exact");
    let mut spans = vec![Span::chat("chat-1120", 646, 0).user(Some("single")).envelope()];
    spans.extend((0..10).map(|_| Span::chat("chat-1120", 40_000, 0).user(Some("ten")).envelope()));
    usage.track(&spans).await;
    let body = usage.ok(AUGUST).await;
    let rows = body["rows"].as_array().expect("rows");
    let cost = |user: &str| rows.iter().find(|row| row["user"] == user).expect(user)["cost"].clone();
    assert_eq!(cost("single"), "0.001615");
    assert_eq!(cost("ten"), "1");
    assert_eq!(body["total"]["cost"], "1.001615");
}

#[tokio::test]
async fn metrics_count_requests_once() {
    let usage = Usage::start("metrics");
    let dimensions = [
        ("User ID", "dave"),
        ("Deployment", "chat-global"),
        ("Subscription ID", "sub-1"),
        ("Streamed", "false"),
    ];
    let time = "2026-08-20T12:00:00Z";
    usage
        .track(&[
            metric(time, "Prompt Tokens", 3000.0, 3, &dimensions),
            metric(time, "Completion Tokens", 600.0, 3, &dimensions),
            metric(time, "Total Tokens", 3600.0, 3, &dimensions),
        ])
        .await;
    let body = usage.ok(&format!("{AUGUST}&source=apim")).await;
    let row = only_row(&body);
    assert_eq!(row["user"], "dave");
    assert_eq!(row["requests"], 3);
    assert_eq!(row["input_tokens"], 3000);
    assert_eq!(row["output_tokens"], 600);
    // 3000 × 0.15 + 600 × 0.6, per 1M.
    assert_eq!(row["cost"], "0.00081");
    assert_eq!(body["source"], "apim");
    // The spans' account of the same period is separate and empty here.
    let otel = usage.ok(AUGUST).await;
    assert_eq!(otel["total"]["requests"], 0);
}

#[tokio::test]
async fn calls_without_user_unattributed() {
    let usage = Usage::start("unattributed");
    usage
        .track(&[
            Span::chat("mini", 1000, 100).user(None).envelope(),
            Span::chat("mini", 1000, 100).user(Some("")).envelope(),
            Span::chat("mini", 1000, 100).user(Some("N/A")).envelope(),
            Span::chat("mini", 1000, 100).envelope(),
        ])
        .await;
    let body = usage.ok(AUGUST).await;
    let rows = body["rows"].as_array().expect("rows");
    let unattributed = rows
        .iter()
        .find(|row| row["user"] == "(unattributed)")
        .expect("unattributed row");
    assert_eq!(unattributed["requests"], 3);
    assert_eq!(body["data_quality"]["unattributed"], 3);
    let sum: u64 = rows.iter().map(|row| row["requests"].as_u64().expect("requests")).sum();
    assert_eq!(sum, 4);
    assert_eq!(body["total"]["requests"], 4);
    // 1000 × 0.15 + 100 × 0.6 per 1M is 0.00021; three of them are 0.00063.
    assert_eq!(unattributed["cost"], "0.00063");
    assert_eq!(body["total"]["cost"], "0.00084");
}

#[tokio::test]
async fn regional_price_depends_on_region() {
    let usage = Usage::start("regional");
    usage
        .track(&[
            Span::chat("chat-regional-se", 1_000_000, 100_000)
                .user(Some("se"))
                .envelope(),
            Span::chat("chat-1120", 1_000_000, 100_000)
                .user(Some("global"))
                .envelope(),
            Span::chat("chat-regional-us", 1_000_000, 100_000)
                .user(Some("us"))
                .envelope(),
        ])
        .await;
    let body = usage
        .ok(&format!("{AUGUST}&group_by=user,region,deployment_type"))
        .await;
    let rows = body["rows"].as_array().expect("rows");
    let row = |user: &str| rows.iter().find(|row| row["user"] == user).expect(user).clone();
    assert_eq!(row("se")["cost"], "4.235");
    assert_eq!(row("se")["region"], "swedencentral");
    assert_eq!(row("se")["deployment_type"], "regional");
    assert_eq!(row("global")["cost"], "3.5");
    assert_eq!(row("us")["cost"], "3.85");
}

#[tokio::test]
async fn metrics_joined_across_item_times() {
    let usage = Usage::start("metric-times");
    let dimensions = [("User ID", "dave"), ("Deployment", "chat-global")];
    usage
        .track(&[
            metric("2026-08-20T10:00:00.000Z", "Prompt Tokens", 3000.0, 3, &dimensions),
            metric("2026-08-20T10:00:00.001Z", "Completion Tokens", 600.0, 3, &dimensions),
            metric("2026-08-20T10:00:00.002Z", "Total Tokens", 3600.0, 3, &dimensions),
        ])
        .await;
    let body = usage.ok(&format!("{AUGUST}&source=apim")).await;
    let row = only_row(&body);
    assert_eq!(row["requests"], 3);
    assert_eq!(row["cost"], "0.00081");
}

#[tokio::test]
async fn literal_unattributed_user_counted_as_unattributed() {
    let usage = Usage::start("literal-unattributed");
    usage
        .track(&[
            Span::chat("mini", 1000, 100).user(Some("(unattributed)")).envelope(),
            Span::chat("mini", 1000, 100).user(None).envelope(),
            Span::chat("mini", 1000, 100).user(Some("Alice")).envelope(),
            Span::chat("mini", 1000, 100).user(Some("alice")).envelope(),
        ])
        .await;
    let body = usage.ok(AUGUST).await;
    assert_eq!(body["data_quality"]["unattributed"], 2);
    let rows = body["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 2, "Alice and alice are one user: {body}");
    assert!(rows.iter().any(|row| row["user"] == "alice" && row["requests"] == 2));
}
