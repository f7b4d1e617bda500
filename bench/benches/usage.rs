//! Benchmarks of the usage function: track ingestion into the local store, `/api/usage` over
//! a month of 1 million and 10 million stored calls, and reading and pricing a query response
//! of 500,000 rows, the query API's maximum.
//!
//! The stores are generated once into `target/bench-data/` and reused. Set
//! `AOAI_BENCH_SKIP_10M=1` to leave out the 10 million store, which takes about 20 s to fill,
//! 1.2 GB of disk and about 700 MB of memory when loaded.

use std::path::PathBuf;
use std::time::Duration;

use aoai_bench::workload::{Shape, fill_store, generate, write_deployments};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use http_body_util::BodyExt;
use tower::ServiceExt;

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench-data")
}

/// Returns the folder of a store of `records` generated calls, filling it on first use.
fn store_dir(records: u64) -> PathBuf {
    let dir = data_dir().join(format!("store-{records}"));
    let done = dir.join("complete");
    if !done.exists() {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("bench data folder");
        fill_store(&dir.join("usage.db"), Shape::new(records)).expect("fill the store");
        write_deployments(&dir.join("deployments.json")).expect("deployment catalog");
        std::fs::write(&done, b"").expect("marker");
    }
    dir
}

fn state_for(dir: &std::path::Path, runtime: &tokio::runtime::Runtime) -> aoai_usage::api::AppState {
    let store = dir.join("usage.db");
    let deployments = dir.join("deployments.json");
    let prices = dir.join("prices");
    let config = aoai_usage::config::Config::from_lookup(|name| match name {
        "USAGE_STORE" => Some(store.display().to_string()),
        "AOAI_DEPLOYMENTS" => Some(deployments.display().to_string()),
        "PRICING_CACHE_PATH" => Some(prices.display().to_string()),
        _ => None,
    })
    .expect("settings");
    let _guard = runtime.enter();
    aoai_usage::startup::build_state(&config).expect("state")
}

async fn get(app: &axum::Router, uri: &str) -> usize {
    let response = app
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).expect("request"))
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::OK, "{uri}");
    response.into_body().collect().await.expect("body").to_bytes().len()
}

fn usage_report(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let mut sizes = vec![1_000_000];
    if std::env::var_os("AOAI_BENCH_SKIP_10M").is_none() {
        sizes.push(10_000_000);
    }
    let mut group = c.benchmark_group("api_usage_month");
    group.sample_size(10).measurement_time(Duration::from_secs(10));
    for records in sizes {
        let dir = store_dir(records);
        let app = aoai_usage::api::app(state_for(&dir, &runtime));
        for grouping in ["user", "user,day"] {
            let uri = format!("/api/usage?from=2026-11-01&to=2026-12-01&group_by={grouping}");
            // The first request loads the store into memory; it is measured by the process script.
            runtime.block_on(get(&app, &uri));
            group.bench_with_input(BenchmarkId::new(grouping, records), &uri, |b, uri| {
                b.iter(|| runtime.block_on(get(&app, uri)));
            });
        }
    }
    group.finish();
}

fn ingestion(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let dir = data_dir().join("ingest");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("folder");
    write_deployments(&dir.join("deployments.json")).expect("deployments");
    let app = aoai_usage::api::app(state_for(&dir, &runtime));
    // The exporter sends up to 512 items per request.
    let mut bodies = Vec::new();
    generate(Shape::new(51_200), 512, |records| {
        bodies.push(aoai_bench::envelope::track_body(&records).expect("body"));
    });
    let mut group = c.benchmark_group("ingest_track");
    group.throughput(Throughput::Elements(512)).sample_size(20);
    let mut next = 0;
    group.bench_function("gzip_batch_of_512", |b| {
        b.iter(|| {
            let body = bodies[next % bodies.len()].clone();
            next += 1;
            let app = app.clone();
            runtime.block_on(async move {
                let response = app
                    .oneshot(
                        Request::post("/v2/track")
                            .header("content-encoding", "gzip")
                            .body(Body::from(body))
                            .expect("request"),
                    )
                    .await
                    .expect("response");
                assert_eq!(response.status(), StatusCode::OK);
            });
        });
    });
    group.finish();
}

fn query_response(c: &mut Criterion) {
    let body = serde_json::to_string(&aoai_bench::query::response(500_000)).expect("response");
    let dir = data_dir().join("query");
    std::fs::create_dir_all(&dir).expect("folder");
    write_deployments(&dir.join("deployments.json")).expect("deployments");
    let pricing = aoai_bench::query::Pricing::load(&dir.join("deployments.json")).expect("pricing");
    let params = aoai_usage::report::UsageParams::parse(
        Some("from=2026-11-01&to=2026-12-01&group_by=user"),
        aoai_usage::report::ParamDefaults {
            source: aoai_usage::record::UsageSource::Otel,
            currency: aoai_core::Currency::USD,
            max_range_days: 400,
        },
        aoai_bench::workload::month_start(),
    )
    .expect("parameters");
    let mut group = c.benchmark_group("query_response");
    group.sample_size(10).throughput(Throughput::Elements(500_000));
    group.bench_function("read_and_price_500k_rows", |b| {
        b.iter(|| aoai_bench::query::read_and_price(&body, &params, &pricing).expect("rows"));
    });
    group.finish();
}

criterion_group!(benches, ingestion, query_response, usage_report);
criterion_main!(benches);
