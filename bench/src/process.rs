//! Whole-process measurements: how long a handler binary takes from its start to its first
//! successful response, as the Functions host waits for it, its memory, and request throughput
//! and latency under concurrent load from this process on the loopback address.

// Timings are reported as floating-point milliseconds and rates; no money is computed here.
#![allow(clippy::float_arithmetic)]

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Returns a free TCP port on the loopback address.
fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Returns the resident memory of a process in KiB, from `/proc/<pid>/status`.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Sends one `GET` over a new connection and returns the status code, without any client
/// library, so that the measured time is the server's.
fn get_status(port: u16, path: &str) -> Option<u16> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

/// A started handler, stopped when dropped.
#[derive(Debug)]
pub struct Handler {
    pub child: Child,
    pub port: u16,
}

impl Drop for Handler {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `binary` on a free port with `env`, and returns it with the time until `path`
/// responded with 200.
pub fn start(binary: &Path, env: &[(String, String)], path: &str) -> anyhow::Result<(Handler, Duration)> {
    let port = free_port()?;
    let started = Instant::now();
    let child = Command::new(binary)
        .env("FUNCTIONS_CUSTOMHANDLER_PORT", port.to_string())
        .env("RUST_LOG", "warn")
        .envs(env.iter().map(|(name, value)| (name.as_str(), value.as_str())))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let mut handler = Handler { child, port };
    loop {
        if get_status(port, path) == Some(200) {
            return Ok((handler, started.elapsed()));
        }
        if let Some(status) = handler.child.try_wait()? {
            anyhow::bail!("{} exited with {status} before its first response", binary.display());
        }
        if started.elapsed() > Duration::from_secs(120) {
            anyhow::bail!("{} did not respond to {path} within 120 s", binary.display());
        }
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// Starts `binary` `runs` times and returns the times to the first 200 of `path`, with the
/// resident memory one second after the response.
pub fn cold_starts(binary: &Path, env: &[(String, String)], path: &str, runs: usize) -> anyhow::Result<Value> {
    let mut times = Vec::new();
    let mut idle = Vec::new();
    for _ in 0..runs {
        let (handler, elapsed) = start(binary, env, path)?;
        times.push(elapsed.as_secs_f64() * 1000.0);
        std::thread::sleep(Duration::from_secs(1));
        if let Some(rss) = rss_kib(handler.child.id()) {
            idle.push(rss);
        }
    }
    times.sort_by(f64::total_cmp);
    idle.sort_unstable();
    Ok(json!({
        "binary": binary.file_name().map(|name| name.to_string_lossy().into_owned()),
        "path": path,
        "runs": runs,
        "first_response_ms": {"median": times[times.len() / 2], "min": times[0], "max": times[times.len() - 1]},
        "idle_rss_mib": idle.get(idle.len() / 2).map(|kib| *kib / 1024),
    }))
}

/// Sends `GET url` from `concurrency` connections for `duration` and returns throughput,
/// latency percentiles and, when `pid` is given, that process's peak resident memory.
pub fn load(url: &str, concurrency: usize, duration: Duration, pid: Option<u32>) -> anyhow::Result<Value> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build()?;
        let deadline = Instant::now() + duration;
        let sampler = tokio::spawn(async move {
            let mut peak = 0;
            while Instant::now() < deadline {
                if let Some(rss) = pid.and_then(rss_kib) {
                    peak = peak.max(rss);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            peak
        });
        let mut workers = Vec::new();
        for _ in 0..concurrency {
            let client = client.clone();
            let url = url.to_owned();
            workers.push(tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = 0u64;
                while Instant::now() < deadline {
                    let started = Instant::now();
                    match client.get(&url).send().await {
                        Ok(response) if response.status().is_success() => match response.bytes().await {
                            Ok(_) => latencies.push(started.elapsed()),
                            Err(_) => errors += 1,
                        },
                        _ => errors += 1,
                    }
                }
                (latencies, errors)
            }));
        }
        let mut latencies = Vec::new();
        let mut errors = 0;
        for worker in workers {
            let (mut part, failed) = worker.await?;
            latencies.append(&mut part);
            errors += failed;
        }
        let peak = sampler.await?;
        latencies.sort_unstable();
        let percentile = |p: usize| {
            latencies
                .get((latencies.len().saturating_sub(1)) * p / 100)
                .map(|latency| latency.as_secs_f64() * 1000.0)
        };
        Ok(json!({
            "url": url,
            "concurrency": concurrency,
            "seconds": duration.as_secs_f64(),
            "requests": latencies.len(),
            "errors": errors,
            "requests_per_second": latencies.len() as f64 / duration.as_secs_f64(),
            "latency_ms": {"p50": percentile(50), "p90": percentile(90), "p99": percentile(99), "max": percentile(100)},
            "peak_rss_mib": pid.map(|_| peak / 1024),
        }))
    })
}

/// Posts the gzip track `bodies` of `per_body` records each to `url` from `clients`
/// concurrent connections for `duration`, each request waiting for its acknowledgement, and
/// returns the records acknowledged per second.
pub fn ingest(
    url: &str,
    bodies: Vec<Vec<u8>>,
    per_body: usize,
    clients: usize,
    duration: Duration,
) -> anyhow::Result<Value> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let bodies = std::sync::Arc::new(bodies);
    runtime.block_on(async move {
        let client = reqwest::Client::new();
        let started = Instant::now();
        let deadline = started + duration;
        let mut workers = Vec::new();
        for worker in 0..clients {
            let client = client.clone();
            let url = url.to_owned();
            let bodies = bodies.clone();
            workers.push(tokio::spawn(async move {
                let mut acknowledged = 0u64;
                let mut failed = 0u64;
                let mut next = worker;
                while Instant::now() < deadline {
                    let body = bodies[next % bodies.len()].clone();
                    next += clients;
                    let response = client
                        .post(&url)
                        .header("content-encoding", "gzip")
                        .header("content-type", "application/json")
                        .body(body)
                        .send()
                        .await;
                    match response {
                        Ok(response) if response.status().as_u16() == 200 => acknowledged += 1,
                        _ => failed += 1,
                    }
                }
                (acknowledged, failed)
            }));
        }
        let mut requests = 0;
        let mut failed = 0;
        for worker in workers {
            let (done, errors) = worker.await?;
            requests += done;
            failed += errors;
        }
        let elapsed = started.elapsed().as_secs_f64();
        Ok(json!({
            "url": url,
            "clients": clients,
            "records_per_request": per_body,
            "requests": requests,
            "failed": failed,
            "records_per_second": (requests * per_body as u64) as f64 / elapsed,
        }))
    })
}
