//! The HTTP server's limits, over real sockets on the loopback address: a client that sends
//! its request head too slowly is cut off, an oversized head gets 431, and a request in
//! progress when shutdown begins still gets its response.

use std::time::{Duration, Instant};

use aoai_host::{Limits, serve_with};
use axum::Router;
use axum::routing::get;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

const LIMITS: Limits = Limits {
    header_read_timeout: Duration::from_millis(500),
    max_head_bytes: 16 * 1024,
};

/// Serves a router with a fast route and one that takes 300 ms, until the returned sender fires.
async fn start() -> (
    String,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address").to_string();
    let app = Router::new().route("/", get(|| async { "ready" })).route(
        "/slow",
        get(|| async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            "done"
        }),
    );
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(serve_with(
        listener,
        app,
        async {
            let _ = stopped.await;
        },
        LIMITS,
    ));
    (address, stop, server)
}

/// Sends raw bytes and reads until the server closes the connection or 5 s pass.
async fn exchange(address: &str, request: &[u8]) -> (String, Duration) {
    let mut stream = TcpStream::connect(address).await.expect("connect");
    stream.write_all(request).await.expect("write");
    let started = Instant::now();
    let mut response = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut response)).await;
    (String::from_utf8_lossy(&response).into_owned(), started.elapsed())
}

#[tokio::test]
async fn serve_slow_head_cut_off() {
    let (address, _stop, _server) = start().await;
    let (response, waited) = exchange(&address, b"GET / HTTP/1.1\r\nHost: test\r\nX-Slow: ").await;
    assert!(waited < Duration::from_secs(3), "the connection stayed open {waited:?}");
    assert!(!response.contains("ready"), "{response}");

    let (response, _) = exchange(&address, b"GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n").await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
}

#[tokio::test]
async fn serve_oversized_head_431() {
    let (address, _stop, _server) = start().await;
    let filler = "a".repeat(32 * 1024);
    let request = format!("GET / HTTP/1.1\r\nHost: test\r\nX-Filler: {filler}\r\nConnection: close\r\n\r\n");
    let (response, _) = exchange(&address, request.as_bytes()).await;
    assert!(
        response.starts_with("HTTP/1.1 431"),
        "{}",
        &response[..response.len().min(200)]
    );
}

#[tokio::test]
async fn requests_in_progress_finish_after_shutdown_begins() {
    let (address, stop, server) = start().await;
    let mut stream = TcpStream::connect(&address).await.expect("connect");
    stream
        .write_all(b"GET /slow HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.send(()).expect("stop");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read");
    let response = String::from_utf8_lossy(&response);
    assert!(
        response.starts_with("HTTP/1.1 200") && response.ends_with("done"),
        "{response}"
    );
    server.await.expect("server task").expect("server stops cleanly");
    assert!(TcpStream::connect(&address).await.is_err(), "the listener is closed");
}
