//! Hostile input to the usage routes. Bodies and query strings that are malformed, deeply
//! nested, of the wrong types, huge or not UTF-8 get a 4xx with a message, never a 500 or a
//! panic. Nothing of them is counted as usage.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use proptest::prelude::*;
use serde_json::{Value, json};
use support::{Span, Usage, cases};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

#[tokio::test]
async fn track_rejects_hostile_items() {
    let usage = Usage::start("hostile-track");
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let (status, body) = usage.post_track(&deep, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    let good = Span::chat("chat-global", 1000, 100).user(Some("ana")).envelope();
    let mut deep_item = good.clone();
    let nested: Value =
        serde_json::from_str(&format!("{}1{}", "[".repeat(200), "]".repeat(200))).unwrap_or(Value::Null);
    deep_item["data"]["baseData"]["properties"]["nested"] = nested;
    let lines = [
        good.to_string(),
        format!("{}{}", "{\"a\":".repeat(300), "}".repeat(300)),
        json!({"name": 5, "time": [], "data": "x"}).to_string(),
        {
            let mut huge = good.clone();
            huge["data"]["baseData"]["properties"]["gen_ai.usage.input_tokens"] = json!("1e400");
            huge.to_string()
        },
        {
            let mut huge = good.clone();
            huge["data"]["baseData"]["properties"]["gen_ai.usage.output_tokens"] = json!(u64::MAX);
            huge.to_string()
        },
        "null".to_owned(),
        "\"text\"".to_owned(),
    ];
    let (status, body) = usage.post_track(&lines.join("\n"), None).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT, "{body}");
    let refused: Vec<u64> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|error| error["index"].as_u64())
        .collect();
    assert_eq!(refused, [1, 2, 5, 6], "{body}");

    let mut bytes = good.to_string().into_bytes();
    bytes.extend_from_slice(b"\n\xff\xfe\n");
    let (status, body) = usage.post_track_bytes(bytes, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("UTF-8"),
        "{body}"
    );

    // Only the one good span and none of the huge counts became usage.
    let report = usage.ok("group_by=user&from=2026-08-01&to=2026-09-01").await;
    assert_eq!(report["total"]["requests"], 1, "{report}");
    assert_eq!(report["data_quality"]["rejected"], 2, "{report}");
}

async fn status_of(usage: &Usage, request: Request<Body>) -> StatusCode {
    usage.request(request).await.0
}

proptest! {
    #![proptest_config(cases(200))]

    #[test]
    fn no_track_body_is_a_server_error(body in proptest::collection::vec(any::<u8>(), 0..600), gzip in any::<bool>()) {
        let usage = USAGE.with(Clone::clone);
        let status = runtime().block_on(async {
            let mut request = Request::post("/v2/track").header("content-type", "application/json");
            if gzip {
                request = request.header("content-encoding", "gzip");
            }
            status_of(&usage, request.body(Body::from(body)).expect("request")).await
        });
        prop_assert!(status.is_success() || status.is_client_error(), "{status}");
    }

    #[test]
    fn no_usage_query_is_a_server_error(query in "[a-z_=&%0-9:.+,-]{0,80}") {
        let usage = USAGE.with(Clone::clone);
        let status = runtime().block_on(async {
            let request = Request::get(format!("/api/usage?{query}")).body(Body::empty()).expect("request");
            status_of(&usage, request).await
        });
        prop_assert!(status.is_success() || status.is_client_error(), "{query}: {status}");
    }

    #[test]
    fn no_json_envelope_is_a_server_error(envelope in json_value(3)) {
        let usage = USAGE.with(Clone::clone);
        let status = runtime().block_on(async {
            let body = Value::Array(vec![envelope]).to_string();
            let request = Request::post("/v2/track").body(Body::from(body)).expect("request");
            status_of(&usage, request).await
        });
        prop_assert!(status.is_success() || status.is_client_error(), "{status}");
    }
}

thread_local! {
    static USAGE: Usage = Usage::start("hostile-generated");
}

/// Generates JSON values shaped like envelopes: objects with the envelope's field names and
/// values of any type.
fn json_value(depth: u32) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|number| json!(number)),
        any::<f64>().prop_map(|number| json!(number)),
        "[a-zA-Z0-9:._ -]{0,12}".prop_map(Value::String),
        Just(json!("2026-08-20T12:00:00Z")),
        Just(json!("RemoteDependencyData")),
        Just(json!("chat")),
    ];
    leaf.prop_recursive(depth, 48, 6, |inner| {
        let keys = prop_oneof![
            Just("name"),
            Just("time"),
            Just("iKey"),
            Just("sampleRate"),
            Just("tags"),
            Just("data"),
            Just("baseType"),
            Just("baseData"),
            Just("properties"),
            Just("metrics"),
            Just("gen_ai.operation.name"),
            Just("gen_ai.usage.input_tokens"),
            Just("value"),
            Just("id"),
        ];
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(keys, inner, 0..6).prop_map(|map| {
                Value::Object(map.into_iter().map(|(key, value)| (key.to_owned(), value)).collect())
            }),
        ]
    })
}

#[tokio::test]
async fn track_slow_body_times_out() {
    let usage = Usage::with("slow-body", &[("INGEST_BODY_TIMEOUT_SECONDS", "1")]);
    let span = Span::chat("chat-global", 1000, 100).user(Some("ana")).envelope();
    let text = Value::Array(vec![span]).to_string();
    let (head, tail) = text.split_at(text.len() / 2);
    let chunks = vec![head.to_owned(), tail.to_owned()];
    let body = futures_util::stream::unfold(chunks.into_iter().enumerate(), |mut chunks| async move {
        let (index, chunk) = chunks.next()?;
        if index > 0 {
            tokio::time::sleep(std::time::Duration::from_secs(3)).await;
        }
        Some((Ok::<_, std::io::Error>(axum::body::Bytes::from(chunk)), chunks))
    });
    let request = Request::post("/v2/track")
        .body(Body::from_stream(body))
        .expect("request");
    let started = std::time::Instant::now();
    let (status, bytes) = usage.request(request).await;
    assert_eq!(
        status,
        StatusCode::REQUEST_TIMEOUT,
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let report = usage.ok("group_by=user&from=2026-08-01&to=2026-09-01").await;
    assert_eq!(report["total"]["requests"], 0, "{report}");

    let (status, _) = usage.post_track(&text, None).await;
    assert_eq!(status, StatusCode::OK, "the same batch sent whole is stored");
}

/// A query response in the result schema, with one row of each kind of value.
const QUERY_RESPONSE: &str = r#"{"tables":[{"name":"PrimaryResult","columns":[
{"name":"bucket_start","type":"datetime"},{"name":"user","type":"string"},{"name":"subscription","type":"string"},
{"name":"deployment","type":"string"},{"name":"response_model","type":"string"},{"name":"service_tier","type":"string"},
{"name":"input_tokens","type":"long"},{"name":"cached_input_tokens","type":"long"},{"name":"output_tokens","type":"long"},
{"name":"reasoning_tokens","type":"long"},{"name":"requests","type":"long"},{"name":"rejected","type":"long"},
{"name":"usage_missing","type":"long"},{"name":"source","type":"string"},{"name":"estimated","type":"bool"}],
"rows":[["2026-11-02T10:15:00Z","ana","s1","chat-global","gpt-4o-2024-11-20","",1200,200,300,0,2,0,0,"otel",false],
["2026-11-02T10:30:00Z","bo","","mini","","default","50","0","7","0","1","1","1","otel","true"]]}]}"#;

proptest! {
    #![proptest_config(cases(2000))]

    #[test]
    fn query_response_damaged_no_panic(
        changes in proptest::collection::vec((0usize..10_000, "[\\[\\]{}\",:0-9a-zA-Z.eE+-]{0,6}"), 1..4),
    ) {
        let mut bytes = QUERY_RESPONSE.as_bytes().to_vec();
        for (at, replacement) in changes {
            let start = bytes.len() * at / 10_000;
            let end = (start + replacement.len()).min(bytes.len());
            bytes.splice(start..end, replacement.bytes());
        }
        let text = String::from_utf8_lossy(&bytes);
        let expected = aoai_usage::azure::response::Expected {
            from: "2026-11-01T00:00:00Z".parse().expect("time"),
            to: "2026-12-01T00:00:00Z".parse().expect("time"),
            source: aoai_usage::record::UsageSource::Otel,
        };
        let mut rows = 0usize;
        if let Ok(summary) = aoai_usage::azure::response::read_rows(&text, &expected, &mut |_| rows += 1) {
            prop_assert_eq!(summary.rows, rows);
        }
    }
}

#[test]
fn query_response_reads_both_rows() {
    let expected = aoai_usage::azure::response::Expected {
        from: "2026-11-01T00:00:00Z".parse().expect("time"),
        to: "2026-12-01T00:00:00Z".parse().expect("time"),
        source: aoai_usage::record::UsageSource::Otel,
    };
    let mut users = Vec::new();
    let summary = aoai_usage::azure::response::read_rows(QUERY_RESPONSE, &expected, &mut |row| {
        users.push(row.user.as_deref().map(str::to_owned));
    })
    .expect("rows");
    assert_eq!(summary.rows, 2);
    assert_eq!(users, [Some("ana".to_owned()), Some("bo".to_owned())]);
}
