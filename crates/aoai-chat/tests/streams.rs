//! Streamed and filtered responses served byte by byte from a raw TCP stand-in on the
//! loopback address, so that events and characters split across network chunks.

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Serves one response made of `pieces`, written with a pause between them.
async fn serve_once(head: &'static str, pieces: Vec<Vec<u8>>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.expect("accept");
        let mut request = vec![0_u8; 65536];
        let _ = socket.read(&mut request).await;
        socket.write_all(head.as_bytes()).await.expect("head");
        for piece in pieces {
            socket.write_all(&piece).await.expect("piece");
            socket.flush().await.expect("flush");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let _ = socket.shutdown().await;
    });
    format!("http://{address}")
}

const SSE_HEAD: &str = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n";
const JSON_HEAD: &str = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n";

fn event(json: &str) -> String {
    format!("data: {json}\n\n")
}

fn delta(text: &str) -> String {
    event(&format!(
        r#"{{"id":"chatcmpl-1","model":"gpt-4o-mini-2024-07-18","choices":[{{"index":0,"delta":{{"content":"{text}"}},"finish_reason":null}}]}}"#
    ))
}

fn usage_event() -> String {
    event(
        r#"{"id":"chatcmpl-1","model":"gpt-4o-mini-2024-07-18","choices":[],"usage":{"prompt_tokens":11,"completion_tokens":7}}"#,
    )
}

fn stop() -> String {
    event(r#"{"id":"chatcmpl-1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#)
}

async fn chat(endpoint: String, extra: &[&str]) -> Output {
    let mut arguments: Vec<String> = vec![
        "--user".into(),
        "dana".into(),
        "--endpoint".into(),
        endpoint,
        "--deployment".into(),
        "mini".into(),
    ];
    arguments.extend(extra.iter().map(|text| (*text).to_owned()));
    arguments.push("hello".into());
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_aoai-chat"))
            .args(&arguments)
            .env("AZURE_OPENAI_API_KEY", "test-key")
            .env_remove("APPLICATIONINSIGHTS_CONNECTION_STRING")
            .env_remove("AZURE_OPENAI_API_VERSION")
            .stdin(Stdio::null())
            .output()
            .expect("runs")
    })
    .await
    .expect("task")
}

/// Splits `text` into pieces of `size` bytes, cutting through characters.
fn bytes_of(text: &str, size: usize) -> Vec<Vec<u8>> {
    text.as_bytes().chunks(size).map(<[u8]>::to_vec).collect()
}

#[tokio::test]
async fn characters_split_across_chunks_stay_whole() {
    let body = format!(
        "{}{}{}{}data: [DONE]\n\n",
        delta("café "),
        delta("über"),
        stop(),
        usage_event()
    );
    let endpoint = serve_once(SSE_HEAD, bytes_of(&body, 1)).await;
    let output = chat(endpoint, &["--stream"]).await;
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "café über");
    assert!(String::from_utf8_lossy(&output.stderr).contains("input 11"));
}

#[tokio::test]
async fn last_event_without_line_break_read() {
    let body = format!(
        "{}{}data: {}",
        delta("ok"),
        stop(),
        usage_event().trim_start_matches("data: ").trim_end()
    );
    let endpoint = serve_once(SSE_HEAD, bytes_of(&body, 7)).await;
    let output = chat(endpoint, &["--stream"]).await;
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stderr).contains("input 11 of which cached 0, output 7"));
}

#[tokio::test]
async fn truncated_stream_is_a_network_error() {
    let endpoint = serve_once(SSE_HEAD, vec![delta("The answer is ").into_bytes()]).await;
    let output = chat(endpoint, &["--stream"]).await;
    assert_eq!(
        output.status.code(),
        Some(8),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("incomplete"));
}

#[tokio::test]
async fn error_event_is_a_service_error() {
    let body = format!(
        "{}{}data: [DONE]\n\n",
        delta("partial"),
        event(r#"{"error":{"code":"server_error","message":"model crashed"}}"#)
    );
    let endpoint = serve_once(SSE_HEAD, vec![body.into_bytes()]).await;
    let output = chat(endpoint, &["--stream"]).await;
    assert_eq!(output.status.code(), Some(9));
    assert!(String::from_utf8_lossy(&output.stderr).contains("model crashed"));
}

#[tokio::test]
async fn json_answer_to_stream_request_read() {
    let body = r#"{"id":"c","model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"content":"plain"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1}}"#;
    let endpoint = serve_once(JSON_HEAD, vec![body.as_bytes().to_vec()]).await;
    let output = chat(endpoint, &["--stream"]).await;
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("plain"));
    assert!(String::from_utf8_lossy(&output.stderr).contains("input 3"));
}

#[tokio::test]
async fn filtered_completion_keeps_its_usage() {
    let body = r#"{"id":"c","model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"content":""},"finish_reason":"content_filter","content_filter_results":{"violence":{"filtered":true,"severity":"medium"}}}],"usage":{"prompt_tokens":11,"completion_tokens":7}}"#;
    let endpoint = serve_once(JSON_HEAD, vec![body.as_bytes().to_vec()]).await;
    let output = chat(endpoint, &[]).await;
    assert_eq!(output.status.code(), Some(7));
    assert!(String::from_utf8_lossy(&output.stderr).contains("violence: medium"));
}

#[tokio::test]
async fn empty_values_rejected() {
    for arguments in [
        vec![
            "--user",
            "",
            "--endpoint",
            "http://127.0.0.1:9",
            "--deployment",
            "mini",
            "hi",
        ],
        vec![
            "--user",
            "--stream",
            "--endpoint",
            "http://127.0.0.1:9",
            "--deployment",
            "mini",
            "hi",
        ],
        vec![
            "--user",
            "u",
            "--endpoint",
            "http://127.0.0.1:9",
            "--deployment",
            "a b/../x",
            "hi",
        ],
        vec![
            "--user",
            "u",
            "--endpoint",
            "http://127.0.0.1:9/?x=1",
            "--deployment",
            "mini",
            "hi",
        ],
        vec![
            "--user",
            "u",
            "--endpoint",
            "http://127.0.0.1:9",
            "--deployment",
            "mini",
            "--api-version",
            " ",
            "hi",
        ],
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_aoai-chat"))
            .args(&arguments)
            .env("AZURE_OPENAI_API_KEY", "test-key")
            .stdin(Stdio::null())
            .output()
            .expect("runs");
        assert_eq!(
            output.status.code(),
            Some(2),
            "{arguments:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
