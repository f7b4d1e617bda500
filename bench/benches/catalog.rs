//! Benchmarks of the price catalog: building it from a full region's Retail Prices, classifying
//! every meter name of all regions, parsing a pricing page of the real page's size, and pricing
//! one usage record.

use aoai_catalog::Catalog;
use aoai_catalog::retail::{RetailItem, parse_items};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const REGION: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/fixtures/retail-prices/foundry_models_eastus2_2026-08-15.json"
);

fn items(path: &str) -> Vec<RetailItem> {
    parse_items(&std::fs::read_to_string(path).expect("fixture")).expect("rows")
}

fn catalog(c: &mut Criterion) {
    let region = items(REGION);
    let fetched: chrono::DateTime<chrono::Utc> = "2026-08-15T00:00:00Z".parse().expect("time");
    let mut group = c.benchmark_group("catalog");
    group.throughput(Throughput::Elements(region.len() as u64));
    group.bench_function("build_eastus2", |b| {
        b.iter(|| Catalog::build([(fetched, region.clone())]));
    });
    group.finish();

    let all = items(aoai_bench::data::ALL_REGIONS);
    let mut group = c.benchmark_group("classify");
    group.throughput(Throughput::Elements(all.len() as u64));
    group.bench_function("all_regions_meter_names", |b| {
        b.iter(|| {
            all.iter()
                .filter(|item| aoai_catalog::normalize::classify(item).is_ok())
                .count()
        });
    });
    group.finish();

    let page = aoai_bench::page::render(&aoai_bench::data::all_regions_catalog().expect("catalog"));
    let mut group = c.benchmark_group("pricing_page");
    group.throughput(Throughput::Bytes(page.len() as u64));
    group.bench_function("parse_1mb", |b| {
        b.iter(|| aoai_catalog::page::parse_page(&page).expect("page").len());
    });
    group.finish();
}

fn price_one_record(c: &mut Criterion) {
    let snapshot = aoai_catalog::snapshot::bundled_catalog().expect("snapshot");
    let catalog_text = r#"{"account": "a", "location": "eastus2", "deployments": [
        {"name": "chat", "sku": {"name": "DataZoneStandard"}, "properties": {"model": {"name": "gpt-4o", "version": "2024-11-20"}}}]}"#;
    let deployments = aoai_usage::deployments::DeploymentCatalog::from_deployments(
        aoai_usage::deployments::DeploymentCatalog::parse(catalog_text, "bench", "eastus2").expect("catalog"),
    )
    .expect("deployments");
    let directory = aoai_usage::directory::Directory::default();
    let overrides = aoai_catalog::overrides::Overrides::default();
    let assumptions = aoai_usage::report::Assumptions {
        deployment_type: aoai_core::DeploymentType::Global,
        region: "eastus2".to_owned(),
    };
    let mut resolver = aoai_usage::report::Resolver::new(
        &deployments,
        &directory,
        &snapshot,
        &overrides,
        aoai_core::Currency::USD,
        &assumptions,
    );
    let mut records = Vec::new();
    aoai_bench::workload::generate(aoai_bench::workload::Shape::new(1), 1, |chunk| records.extend(chunk));
    let mut record = records.remove(0);
    record.deployment = Some("chat".to_owned());
    let usage = record.usage.unwrap_or_default();
    c.bench_function("price_one_record", |b| {
        b.iter(|| resolver.resolve(&record, usage).cost.is_ok());
    });
}

criterion_group!(benches, catalog, price_one_record);
criterion_main!(benches);
