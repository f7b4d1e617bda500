//! Properties of reports over generated calls: the rows of a report add up to its total in
//! every measure, and splitting a period at any instant never changes its total, in any
//! time zone and grouping.

mod support;

use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::Value;
use support::{Span, Usage, cases};

const DEPLOYMENTS: &[&str] = &[
    "chat-0806",
    "chat-1120",
    "chat-dz",
    "chat-regional-us",
    "mini",
    "reasoning",
    "unknown-one",
];
const USERS: &[Option<&str>] = &[Some("ana"), Some("bo"), Some("ANA"), None, Some("(unattributed)")];

#[derive(Debug, Clone)]
struct Call {
    deployment: usize,
    user: usize,
    minute: u32,
    input: u64,
    cached_share: u64,
    output: u64,
}

fn call() -> impl Strategy<Value = Call> {
    (
        0..DEPLOYMENTS.len(),
        0..USERS.len(),
        0u32..(31 * 24 * 60),
        0u64..2_000_000,
        0u64..=100,
        0u64..50_000,
    )
        .prop_map(|(deployment, user, minute, input, cached_share, output)| Call {
            deployment,
            user,
            minute,
            input,
            cached_share,
            output,
        })
}

fn span(call: &Call) -> Value {
    let time = chrono::DateTime::parse_from_rfc3339("2026-10-01T00:00:00Z").expect("time")
        + chrono::Duration::minutes(i64::from(call.minute));
    Span::chat(DEPLOYMENTS[call.deployment], call.input, call.output)
        .cached(call.input * call.cached_share / 100)
        .user(USERS[call.user])
        .at(&time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .envelope()
}

fn money(value: &Value) -> Decimal {
    value
        .as_str()
        .map(|text| text.parse().expect("decimal"))
        .unwrap_or_default()
}

/// Sums every measure of the rows, and checks the sum against the total.
fn check_rows_add_up(report: &Value) -> Result<(), TestCaseError> {
    let rows = report["rows"].as_array().expect("rows");
    for measure in [
        "requests",
        "input_tokens",
        "cached_input_tokens",
        "output_tokens",
        "reasoning_tokens",
    ] {
        let sum: u64 = rows.iter().map(|row| row[measure].as_u64().expect("count")).sum();
        prop_assert_eq!(Some(sum), report["total"][measure].as_u64(), "{}", measure);
    }
    for measure in ["cost", "cost_input", "cost_cached_input", "cost_output"] {
        let sum: Decimal = rows.iter().map(|row| money(&row[measure])).sum();
        prop_assert_eq!(sum, money(&report["total"][measure]), "{}", measure);
    }
    Ok(())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

proptest! {
    #![proptest_config(cases(24))]

    #[test]
    fn rows_add_up_and_splitting_keeps_the_total(
        calls in proptest::collection::vec(call(), 1..60),
        split_minute in 0u32..(31 * 24 * 60),
        tz in prop_oneof![Just("UTC"), Just("Asia/Kathmandu"), Just("America/New_York")],
        group_by in prop_oneof![Just("user"), Just("user,day"), Just("deployment,hour"), Just("model,version,tier,region")],
    ) {
        let usage = Usage::start("report-properties");
        runtime().block_on(async {
            usage.track(&calls.iter().map(span).collect::<Vec<_>>()).await;
            let split = chrono::DateTime::parse_from_rfc3339("2026-10-01T00:00:00Z").expect("time")
                + chrono::Duration::minutes(i64::from(split_minute));
            let split = split.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            let query = |from: &str, to: &str| format!("group_by={group_by}&tz={tz}&from={from}&to={to}");
            let whole = usage.ok(&query("2026-09-30", "2026-11-02")).await;
            let first = usage.ok(&query("2026-09-30", &split)).await;
            let second = usage.ok(&query(&split, "2026-11-02")).await;
            for report in [&whole, &first, &second] {
                check_rows_add_up(report)?;
            }
            prop_assert_eq!(whole["total"]["requests"].as_u64(), Some(calls.len() as u64));
            for measure in ["requests", "input_tokens", "cached_input_tokens", "output_tokens"] {
                let parts = first["total"][measure].as_u64().unwrap_or_default() + second["total"][measure].as_u64().unwrap_or_default();
                prop_assert_eq!(Some(parts), whole["total"][measure].as_u64(), "{}", measure);
            }
            prop_assert_eq!(
                money(&first["total"]["cost"]) + money(&second["total"]["cost"]),
                money(&whole["total"]["cost"])
            );
            prop_assert!(money(&whole["total"]["cost"]) >= Decimal::ZERO);
            Ok(())
        })?;
    }
}
