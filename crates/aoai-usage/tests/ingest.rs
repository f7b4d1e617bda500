//! The local track endpoint with the real envelope shapes: gzip and plain, arrays and
//! newline-delimited bodies, partial acceptance, limits, sampling and parent-span users.

mod support;

use std::io::Write;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::{Value, json};
use support::{Span, Usage};

const AUGUST: &str = "from=2026-08-01&to=2026-09-01";

/// The exporter's request bodies from the fixture, with times and ids where its snapshot
/// test stripped them.
fn exporter_bodies() -> Vec<Vec<Value>> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/telemetry/ai-track-envelopes-traces.json");
    let text = std::fs::read_to_string(path).expect("fixture");
    let text = text
        .replace(r#""time": "STRIPPED""#, r#""time": "2026-08-20T12:00:00.000000Z""#)
        .replace("STRIPPED", "00f067aa0ba902b7");
    let requests: Vec<Value> = serde_json::from_str(&text).expect("fixture JSON");
    requests
        .into_iter()
        .map(|request| request["body_after_gunzip"].as_array().expect("body").clone())
        .collect()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

#[tokio::test]
async fn exporter_envelopes_accepted() {
    let usage = Usage::start("exporter");
    for body in exporter_bodies() {
        let text = Value::Array(body.clone()).to_string();
        let (status, answer) = usage.post_track_bytes(gzip(text.as_bytes()), Some("gzip")).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(
            answer,
            json!({"itemsReceived": body.len(), "itemsAccepted": body.len(), "errors": []})
        );
    }
    // None of them is a model call, so none is usage.
    let report = usage.ok(AUGUST).await;
    assert_eq!(report["total"]["requests"], 0);
    assert_eq!(report["data_quality"]["rejected"], 0);
}

#[tokio::test]
async fn metric_envelope_shape_accepted() {
    let usage = Usage::start("metric-shape");
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/telemetry/ai-track-metric-envelope-crate-serialization.json");
    let mut envelope: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("JSON");
    envelope["time"] = json!("2026-08-20T12:00:00Z");
    usage.track(&[envelope]).await;
    assert_eq!(usage.ok(&format!("{AUGUST}&source=apim")).await["total"]["requests"], 0);
}

#[tokio::test]
async fn gzip_plain_array_and_lines_agree() {
    let spans: Vec<Value> = (0..3)
        .map(|index| Span::chat("mini", 1000 + index, 100).envelope())
        .collect();
    let array = Value::Array(spans.clone()).to_string();
    let lines = spans.iter().map(Value::to_string).collect::<Vec<_>>().join("\n");
    let mut answers = Vec::new();
    for (name, body, encoding) in [
        ("plain-array", array.as_bytes().to_vec(), None),
        ("gzip-array", gzip(array.as_bytes()), Some("gzip")),
        ("plain-lines", lines.as_bytes().to_vec(), None),
        ("gzip-lines", gzip(lines.as_bytes()), Some("gzip")),
    ] {
        let usage = Usage::start(name);
        let (status, answer) = usage.post_track_bytes(body, encoding).await;
        assert_eq!(status, StatusCode::OK, "{name}: {answer}");
        assert_eq!(answer["itemsAccepted"], 3, "{name}");
        answers.push(usage.ok(AUGUST).await["total"].clone());
    }
    assert_eq!(answers[0]["input_tokens"], 3003);
    assert!(answers.iter().all(|total| *total == answers[0]), "{answers:?}");
}

#[tokio::test]
async fn partial_acceptance_names_each_item() {
    let usage = Usage::start("partial");
    let mut no_time = Span::chat("mini", 10, 1).envelope();
    no_time.as_object_mut().expect("object").remove("time");
    let mut bad_rate = Span::chat("mini", 10, 1).envelope();
    bad_rate["sampleRate"] = json!(0);
    let body = Value::Array(vec![
        Span::chat("mini", 1000, 100).envelope(),
        no_time,
        json!("not an envelope"),
        bad_rate,
        Span::chat("mini", 1000, 100).envelope(),
    ])
    .to_string();
    let (status, answer) = usage.post_track(&body, None).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT, "{answer}");
    assert_eq!(answer["itemsReceived"], 5);
    assert_eq!(answer["itemsAccepted"], 2);
    let errors = answer["errors"].as_array().expect("errors");
    let indexes: Vec<u64> = errors
        .iter()
        .map(|error| error["index"].as_u64().expect("index"))
        .collect();
    assert_eq!(indexes, vec![1, 2, 3]);
    assert!(errors.iter().all(|error| error["statusCode"] == 400));
    assert!(
        errors[0]["message"].as_str().expect("message").contains("'time'"),
        "{answer}"
    );
    assert!(
        errors[2]["message"].as_str().expect("message").contains("sampleRate"),
        "{answer}"
    );
    assert_eq!(usage.ok(AUGUST).await["total"]["requests"], 2);
}

#[tokio::test]
async fn unreadable_bodies_rejected() {
    let usage = Usage::with("unreadable", &[("INGEST_MAX_BODY_BYTES", "2048")]);
    let cases: Vec<(Vec<u8>, Option<&str>, StatusCode, &str)> = vec![
        (
            b"{not json".to_vec(),
            None,
            StatusCode::BAD_REQUEST,
            "neither a JSON array",
        ),
        (b"".to_vec(), None, StatusCode::BAD_REQUEST, "empty"),
        (
            b"plain text".to_vec(),
            Some("gzip"),
            StatusCode::BAD_REQUEST,
            "not valid gzip",
        ),
        (
            b"[]".to_vec(),
            Some("br"),
            StatusCode::BAD_REQUEST,
            "Content-Encoding 'br'",
        ),
        (
            vec![b' '; 4096],
            None,
            StatusCode::PAYLOAD_TOO_LARGE,
            "larger than 2048 bytes",
        ),
        (
            gzip(&vec![b' '; 100_000]),
            Some("gzip"),
            StatusCode::PAYLOAD_TOO_LARGE,
            "after decompression",
        ),
    ];
    for (body, encoding, expected, message) in cases {
        let (status, answer) = usage.post_track_bytes(body, encoding).await;
        assert_eq!(status, expected, "{answer}");
        assert_eq!(answer["itemsAccepted"], 0);
        let text = answer["errors"][0]["message"].as_str().expect("message");
        assert!(text.contains(message), "{text}");
    }
}

#[tokio::test]
async fn instrumentation_key_checked() {
    let key = "11111111-2222-3333-4444-555555555555";
    let usage = Usage::with("ikey", &[("INGEST_INSTRUMENTATION_KEY", key)]);
    let mut right = Span::chat("mini", 1000, 100).envelope();
    right["iKey"] = json!(key);
    let wrong = Span::chat("mini", 1000, 100).envelope();
    let (status, answer) = usage
        .post_track(&Value::Array(vec![right, wrong]).to_string(), None)
        .await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT, "{answer}");
    assert_eq!(answer["errors"][0]["index"], 1);
    assert!(!answer.to_string().contains(key), "the key is never echoed: {answer}");
    assert_eq!(usage.ok(AUGUST).await["total"]["requests"], 1);
}

#[tokio::test]
async fn sampled_spans_scaled_and_estimated() {
    let usage = Usage::start("sampled");
    let mut span = Span::chat("mini", 1000, 100).cached(400);
    span.sample_rate = 25.0;
    usage.track(&[span.envelope()]).await;
    let body = usage.ok(AUGUST).await;
    let row = &body["rows"][0];
    assert_eq!(row["requests"], 4);
    assert_eq!(row["input_tokens"], 4000);
    assert_eq!(row["cached_input_tokens"], 1600);
    assert_eq!(row["output_tokens"], 400);
    assert_eq!(row["estimated"], true);
    assert_eq!(body["data_quality"]["estimated"], 4);
    // 2400 × 0.15 + 1600 × 0.075 + 400 × 0.6, per 1M.
    assert_eq!(row["cost"], "0.00072");
}

#[tokio::test]
async fn user_name_of_parent_span_used() {
    let usage = Usage::start("parent-user");
    // The model call ends first, so the exporter sends it before its parent.
    let child = Span::chat("mini", 1000, 100).user(None).envelope();
    usage.track(&[child]).await;
    let parent = json!({
        "data": {
            "baseData": {
                "id": "b7ad6b7169203331",
                "name": "chat turn",
                "duration": "00:00:02.000000",
                "properties": {"User Name": "erin"},
                "resultCode": "0",
                "type": "InProc",
                "ver": 2
            },
            "baseType": "RemoteDependencyData"
        },
        "iKey": "00000000-0000-0000-0000-000000000000",
        "name": "Microsoft.ApplicationInsights.RemoteDependency",
        "sampleRate": 100.0,
        "tags": {"ai.operation.id": "0af7651916cd43dd8448eb211c80319c"},
        "time": "2026-08-20T11:59:59Z"
    });
    usage.track(&[parent]).await;
    let body = usage.ok(AUGUST).await;
    assert_eq!(body["rows"][0]["user"], "erin", "{body}");
    assert_eq!(body["data_quality"]["unattributed"], 0);
}

#[tokio::test]
async fn agent_spans_not_counted() {
    let usage = Usage::start("agent");
    let mut agent = Span::chat("mini", 5000, 500);
    agent.operation = "invoke_agent".to_owned();
    let mut tool = Span::chat("mini", 5000, 500);
    tool.operation = "execute_tool".to_owned();
    let mut embeddings = Span::chat("mini", 700, 0);
    embeddings.operation = "embeddings".to_owned();
    usage
        .track(&[
            agent.envelope(),
            tool.envelope(),
            Span::chat("mini", 1000, 100).envelope(),
            embeddings.envelope(),
        ])
        .await;
    let total = usage.ok(AUGUST).await["total"].clone();
    assert_eq!(total["requests"], 2);
    assert_eq!(total["input_tokens"], 1700);
}

#[tokio::test]
async fn old_telemetry_and_v2_1_accepted() {
    let usage = Usage::start("old");
    let body = Value::Array(vec![
        Span::chat("mini", 1000, 100).at("2024-09-01T00:00:00Z").envelope(),
    ])
    .to_string();
    let (status, bytes) = usage
        .request(
            Request::post("/v2.1/track")
                .header("content-type", "application/x-json-stream")
                .body(Body::from(body))
                .expect("request"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&bytes));
    let report = usage.ok("from=2024-09-01&to=2024-10-01").await;
    assert_eq!(report["total"]["requests"], 1);
    assert_eq!(report["total"]["cost"], "0.00021");
}

#[tokio::test]
async fn deprecated_token_attributes_read() {
    let usage = Usage::start("deprecated");
    let span = Span::chat("mini", 0, 0)
        .no_usage()
        .attribute("gen_ai.usage.prompt_tokens", "1000")
        .attribute("gen_ai.usage.completion_tokens", "100");
    usage.track(&[span.envelope()]).await;
    let total = usage.ok(AUGUST).await["total"].clone();
    assert_eq!(total["input_tokens"], 1000);
    assert_eq!(total["output_tokens"], 100);
}

#[tokio::test]
async fn every_gzip_member_read() {
    let usage = Usage::start("gzip-members");
    let first = Span::chat("mini", 1000, 100).user(Some("gz1")).envelope().to_string();
    let second = Span::chat("mini", 1000, 100).user(Some("gz2")).envelope().to_string();
    let mut body = gzip(format!("{first}\n").as_bytes());
    body.extend(gzip(second.as_bytes()));
    let (status, answer) = usage.post_track_bytes(body, Some("gzip")).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["itemsAccepted"], 2);
    let report = usage.ok(AUGUST).await;
    assert_eq!(report["total"]["requests"], 2);

    let mut broken = gzip(first.as_bytes());
    broken.extend(b"not gzip at all");
    let (status, answer) = usage.post_track_bytes(broken, Some("gzip")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
}

#[tokio::test]
async fn grandparent_user_name_used() {
    let usage = Usage::start("grandparent");
    let span = |id: &str, parent: Option<&str>, properties: Value| {
        let mut tags = json!({"ai.operation.id": "0af7651916cd43dd8448eb211c80319c"});
        if let Some(parent) = parent {
            tags["ai.operation.parentId"] = json!(parent);
        }
        json!({
            "data": {"baseData": {"id": id, "name": "span", "properties": properties, "type": "InProc", "ver": 2},
                     "baseType": "RemoteDependencyData"},
            "name": "Microsoft.ApplicationInsights.RemoteDependency",
            "tags": tags,
            "time": "2026-08-20T12:00:00Z"
        })
    };
    let mut chat = Span::chat("mini", 1000, 100).user(None).envelope();
    chat["tags"]["ai.operation.parentId"] = json!("agent-span");
    usage
        .track(&[
            chat,
            span(
                "agent-span",
                Some("root-span"),
                json!({"gen_ai.operation.name": "invoke_agent"}),
            ),
            span("root-span", None, json!({"User Name": "frank"})),
        ])
        .await;
    let body = usage.ok(AUGUST).await;
    assert_eq!(body["rows"][0]["user"], "frank", "{body}");
}

#[tokio::test]
async fn counts_and_rates_read_strictly() {
    let usage = Usage::start("strict");
    let whole = Span::chat("mini", 0, 0)
        .no_usage()
        .attribute("gen_ai.usage.input_tokens", "1000.0")
        .attribute("gen_ai.usage.output_tokens", "1e2");
    let mut tiny_rate = Span::chat("mini", 1000, 100).envelope();
    tiny_rate["sampleRate"] = json!(1e-9);
    let mut key_case = Span::chat("mini", 1000, 100).envelope();
    key_case["iKey"] = json!("00000000-0000-0000-0000-00000000000A");
    let body = format!("\u{feff}{}", Value::Array(vec![whole.envelope(), tiny_rate]));
    let (status, answer) = usage.post_track(&body, None).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT, "{answer}");
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .expect("message")
            .contains("0.001"),
        "{answer}"
    );
    let total = usage.ok(AUGUST).await["total"].clone();
    assert_eq!(total["input_tokens"], 1000);
    assert_eq!(total["output_tokens"], 100);

    let keyed = Usage::with(
        "key-case",
        &[("INGEST_INSTRUMENTATION_KEY", "00000000-0000-0000-0000-00000000000a")],
    );
    keyed.track(&[key_case]).await;
}

#[tokio::test]
async fn oversized_and_wrong_method_answer_json() {
    let usage = Usage::with("oversized", &[("INGEST_MAX_BODY_BYTES", "1024")]);
    let (status, answer) = usage.post_track_bytes(vec![b' '; 3 << 20], None).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .expect("message")
            .contains("1024"),
        "{answer}"
    );
    let (status, bytes) = usage
        .request(Request::get("/v2/track").body(Body::empty()).expect("request"))
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    let answer: Value = serde_json::from_slice(&bytes).expect("JSON");
    assert_eq!(answer["error"]["code"], "method_not_allowed");
}

#[tokio::test]
async fn failed_calls_without_usage_not_missing() {
    let usage = Usage::start("failed-calls");
    usage
        .track(&[
            // Failed before any tokens: an error status, or only error.type, and no usage.
            Span::chat("mini", 0, 0).no_usage().failed().envelope(),
            Span::chat("mini", 0, 0)
                .no_usage()
                .attribute("error.type", "429")
                .envelope(),
            // Failed with usage reported, such as a completion cut by the content filter: charged.
            Span::chat("mini", 1200, 36).failed().envelope(),
            // Succeeded without usage: a stream without its usage chunk.
            Span::chat("mini", 0, 0).no_usage().envelope(),
        ])
        .await;
    let body = usage.ok(AUGUST).await;
    assert_eq!(body["data_quality"]["usage_missing"], 1, "{body}");
    assert_eq!(body["total"]["requests"], 1, "{body}");
    assert_eq!(body["total"]["input_tokens"], 1200, "{body}");
    assert_eq!(body["total"]["cost"], "0.0002016", "{body}");
}

#[tokio::test]
async fn llm_logs_source_needs_workspace() {
    let usage = Usage::start("llm-logs-local");
    let (status, body) = usage.usage(&format!("{AUGUST}&source=apim-logs")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["parameter"], "source", "{body}");
    let message = body["error"]["message"].as_str().expect("message");
    assert!(message.contains("local store"), "{message}");
    assert!(message.contains("LOG_ANALYTICS_WORKSPACE_ID"), "{message}");
}
