//! `GET /api/usage`: parameters, time zones, grouping, filters, CSV and the directory.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::Value;
use support::{Span, Usage};

const AUGUST: &str = "from=2026-08-01&to=2026-09-01";

fn rows(body: &Value) -> &Vec<Value> {
    body["rows"].as_array().expect("rows")
}

#[tokio::test]
async fn invalid_parameters_name_themselves() {
    let usage = Usage::start("invalid");
    let cases = [
        ("colour=red", "colour"),
        ("from=2026-08-01&from=2026-08-02", "from"),
        ("from=yesterday", "from"),
        ("tz=Mars/Olympus", "tz"),
        ("group_by=user,planet", "group_by"),
        ("group_by=user,user", "group_by"),
        ("from=2026-08-02&to=2026-08-01", "to"),
        ("from=2025-01-01&to=2026-08-01", "to"),
        ("format=xml", "format"),
        ("source=logs", "source"),
        ("currency=dollars", "currency"),
        ("user=", "user"),
    ];
    for (query, parameter) in cases {
        let (status, body) = usage.usage(query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["error"]["parameter"], parameter, "{query}: {body}");
    }
    let (status, body) = usage.usage("currency=EUR").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(body["error"]["message"].as_str().expect("message").contains("USD only"));
}

#[tokio::test]
async fn quarter_hour_zone_cuts_days() {
    let usage = Usage::start("kathmandu");
    usage
        .track(&[
            Span::chat("chat-0806", 400_000, 0)
                .at("2026-08-19T18:10:00Z")
                .envelope(),
            Span::chat("chat-0806", 800_000, 0)
                .at("2026-08-19T18:20:00Z")
                .envelope(),
        ])
        .await;
    // Kathmandu is UTC+05:45: 18:10Z is 23:55 on the 19th, 18:20Z is 00:05 on the 20th.
    let body = usage.ok(&format!("{AUGUST}&tz=Asia/Kathmandu&group_by=day")).await;
    let days: Vec<(&str, &str)> = rows(&body)
        .iter()
        .map(|row| (row["day"].as_str().expect("day"), row["cost"].as_str().expect("cost")))
        .collect();
    assert_eq!(days, vec![("2026-08-19", "1"), ("2026-08-20", "2")]);
    assert_eq!(body["tz"], "Asia/Kathmandu");
    assert_eq!(body["from"], "2026-07-31T18:15:00Z");
}

#[tokio::test]
async fn repeated_hour_of_clock_change_kept_apart() {
    let usage = Usage::start("dst");
    // New York leaves daylight saving time at 02:00 on 2026-11-01, so 01:30 happens twice.
    usage
        .track(&[
            Span::chat("chat-0806", 400_000, 0)
                .at("2026-11-01T05:30:00Z")
                .envelope(),
            Span::chat("chat-0806", 400_000, 0)
                .at("2026-11-01T06:30:00Z")
                .envelope(),
        ])
        .await;
    let body = usage
        .ok("from=2026-11-01&to=2026-11-02&tz=America/New_York&group_by=hour")
        .await;
    let hours: Vec<&str> = rows(&body)
        .iter()
        .map(|row| row["hour"].as_str().expect("hour"))
        .collect();
    assert_eq!(hours, vec!["2026-11-01T01:00:00-04:00", "2026-11-01T01:00:00-05:00"]);
    // The day is 25 hours long and starts at local midnight, 04:00Z.
    assert_eq!(body["from"], "2026-11-01T04:00:00Z");
    assert_eq!(body["to"], "2026-11-02T05:00:00Z");
}

#[tokio::test]
async fn days_sum_to_the_total() {
    let usage = Usage::start("sum");
    let spans: Vec<Value> = (0..30)
        .map(|index| {
            Span::chat(
                if index % 3 == 0 { "mini" } else { "chat-1120" },
                1234 + index * 17,
                321 + index,
            )
            .cached(index * 11)
            .user(Some(&format!("user{}", index % 4)))
            .at(&format!("2026-08-{:02}T{:02}:17:00Z", 1 + index % 28, index % 24))
            .envelope()
        })
        .collect();
    usage.track(&spans).await;
    let body = usage
        .ok(&format!("{AUGUST}&group_by=user,model,day&tz=Europe/Paris"))
        .await;
    let sum: rust_decimal::Decimal = rows(&body)
        .iter()
        .map(|row| {
            row["cost"]
                .as_str()
                .expect("cost")
                .parse::<rust_decimal::Decimal>()
                .expect("decimal")
        })
        .sum();
    let total: rust_decimal::Decimal = body["total"]["cost"].as_str().expect("total").parse().expect("decimal");
    assert_eq!(sum, total);
    let requests: u64 = rows(&body)
        .iter()
        .map(|row| row["requests"].as_u64().expect("requests"))
        .sum();
    assert_eq!(requests, 30);
}

#[tokio::test]
async fn filters_select_users_models_deployments() {
    let usage = Usage::start("filters");
    usage
        .track(&[
            Span::chat("mini", 1000, 100).user(Some("alice")).envelope(),
            Span::chat("chat-1120", 1000, 100).user(Some("bob")).envelope(),
            Span::chat("chat-0806", 1000, 100).user(Some("carol")).envelope(),
        ])
        .await;
    let requests = |body: &Value| body["total"]["requests"].as_u64().expect("requests");
    assert_eq!(requests(&usage.ok(&format!("{AUGUST}&user=alice&user=BOB")).await), 2);
    assert_eq!(requests(&usage.ok(&format!("{AUGUST}&model=gpt-4o")).await), 2);
    assert_eq!(
        requests(&usage.ok(&format!("{AUGUST}&model=gpt-4o-2024-11-20")).await),
        1
    );
    assert_eq!(requests(&usage.ok(&format!("{AUGUST}&deployment=mini")).await), 1);
}

#[tokio::test]
async fn batch_priority_and_provisioned_keys() {
    let usage = Usage::start("tiers");
    usage
        .track(&[
            Span::chat("mini-batch", 1_000_000, 0).user(Some("batch")).envelope(),
            Span::chat("chat-ptu", 1000, 100).user(Some("ptu")).envelope(),
            Span::chat("chat-1120", 1_000_000, 0)
                .user(Some("priority"))
                .attribute("openai.response.service_tier", "priority")
                .envelope(),
        ])
        .await;
    let body = usage.ok(&format!("{AUGUST}&group_by=user,tier")).await;
    let row = |user: &str| rows(&body).iter().find(|row| row["user"] == user).expect(user).clone();
    // gpt-4o-mini Global Batch input is half of 0.15.
    assert_eq!(row("batch")["tier"], "batch");
    assert_eq!(row("batch")["cost"], "0.075");
    assert_eq!(row("ptu")["cost"], Value::Null);
    assert_eq!(body["unpriced"]["reasons"]["provisioned"], 1);
    assert_eq!(row("priority")["tier"], "priority");
}

#[tokio::test]
async fn call_before_first_price_assumed() {
    let usage = Usage::start("early");
    usage
        .track(&[Span::chat("chat-1120", 1_000_000, 0)
            .at("2020-01-15T00:00:00Z")
            .envelope()])
        .await;
    let body = usage.ok("from=2020-01-01&to=2020-02-01").await;
    assert_eq!(rows(&body)[0]["cost"], "2.5");
    assert_eq!(body["data_quality"]["assumed"], 1);
}

#[tokio::test]
async fn csv_matches_json_rows() {
    let usage = Usage::start("csv");
    usage
        .track(&[
            Span::chat("chat-0806", 2006, 300)
                .cached(1920)
                .user(Some("=HYPERLINK(\"x\")"))
                .envelope(),
            Span::chat("team-x-custom", 1000, 500)
                .user(Some("carol"))
                .response_model("my-model")
                .envelope(),
        ])
        .await;
    let (status, bytes) = usage
        .request(
            Request::get(format!("/api/usage?{AUGUST}&format=csv"))
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8(bytes).expect("UTF-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "user,display_name,requests,input_tokens,cached_input_tokens,output_tokens,reasoning_tokens,cost,cost_input,\
         cost_cached_input,cost_output,priced,estimated,currency"
    );
    let formula = "\"'=hyperlink(\"\"x\"\")\",,1,2006,1920,300,0,0.005615,0.000215,0.0024,0.003,true,false,USD";
    assert!(lines.contains(&formula), "{text}");
    assert!(lines.contains(&"carol,,1,1000,0,500,0,,,,,false,false,USD"), "{text}");
    assert_eq!(lines.len(), 3);
}

#[tokio::test]
async fn directory_names_and_teams() {
    let dir = support::temp_dir("directory-file");
    let path = dir.join("users.csv");
    std::fs::write(
        &path,
        "id,display_name,team,cost_center\nALICE,Alice Example,Search,CC-7\n",
    )
    .expect("write");
    let usage = Usage::with("directory", &[("USAGE_DIRECTORY", path.to_str().expect("path"))]);
    usage
        .track(&[
            Span::chat("mini", 1000, 100).user(Some("alice")).envelope(),
            Span::chat("mini", 1000, 100).user(Some("bob")).envelope(),
        ])
        .await;
    let body = usage.ok(AUGUST).await;
    let alice = rows(&body).iter().find(|row| row["user"] == "alice").expect("alice");
    assert_eq!(alice["display_name"], "Alice Example");
    let teams = usage.ok(&format!("{AUGUST}&group_by=team,cost_center")).await;
    let keys: Vec<(&str, &str)> = rows(&teams)
        .iter()
        .map(|row| {
            (
                row["team"].as_str().expect("team"),
                row["cost_center"].as_str().expect("cost center"),
            )
        })
        .collect();
    assert_eq!(keys, vec![("(none)", "(none)"), ("Search", "CC-7")]);
}

#[tokio::test]
async fn data_quality_follows_filters() {
    let usage = Usage::start("quality-filters");
    usage
        .track(&[
            Span::chat("mini", 7, 1).cached(20).user(Some("c3")).envelope(),
            Span::chat("mini", 0, 0).no_usage().user(Some("c5")).envelope(),
            Span::chat("mini", 1000, 100).user(Some("c1")).envelope(),
        ])
        .await;
    let everyone = usage.ok(AUGUST).await;
    assert_eq!(everyone["data_quality"]["rejected"], 1);
    assert_eq!(everyone["data_quality"]["usage_missing"], 1);
    let one = usage.ok(&format!("{AUGUST}&user=c1")).await;
    assert_eq!(one["data_quality"]["rejected"], 0);
    assert_eq!(one["data_quality"]["usage_missing"], 0);
    let other = usage.ok(&format!("{AUGUST}&user=c3")).await;
    assert_eq!(other["data_quality"]["rejected"], 1);
}

#[tokio::test]
async fn range_limit_in_calendar_days() {
    let usage = Usage::start("range-days");
    // Exactly 400 calendar days in New York, one hour longer in UTC because of daylight saving.
    usage.ok("tz=America/New_York&from=2026-10-30&to=2027-12-04").await;
    let (status, body) = usage.usage("tz=America/New_York&from=2026-10-30&to=2027-12-05").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]["message"].as_str().expect("message").contains("-05:00"),
        "{body}"
    );
}
