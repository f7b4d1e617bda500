//! The Rust side of the side-by-side comparison: the same work as `bench/python/compare.py`
//! on the same files, timed the same way (one warm-up run, then the median of `runs`), and
//! printed in the same JSON lines.

// Timings are reported as floating-point seconds and milliseconds; money stays in decimals.
#![allow(clippy::float_arithmetic)]

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use aoai_catalog::{Catalog, PriceQuery};
use aoai_core::{CostBreakdown, Currency, DeploymentType, ModelKey, TextPrices, Tier, TokenUsage};
use aoai_usage::record::UsageSource;
use aoai_usage::report::{ParamDefaults, UsageParams};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::data::{DEPLOYMENT_CATALOG, PAGE, QUERY, RECORDS};
use crate::workload::month_start;

/// Runs `work` once to warm up and `runs` times more, and prints the median as a JSON line.
pub fn measure(name: &str, runs: usize, mut work: impl FnMut() -> anyhow::Result<(u64, Value)>) -> anyhow::Result<()> {
    work()?;
    let mut seconds = Vec::with_capacity(runs);
    let mut result = (0, Value::Null);
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        result = work()?;
        seconds.push(started.elapsed().as_secs_f64());
    }
    seconds.sort_by(f64::total_cmp);
    let median = seconds[seconds.len() / 2];
    println!(
        "{}",
        json!({"name": name, "seconds": median, "runs": seconds.len(), "items": result.0, "check": result.1})
    );
    Ok(())
}

/// A usage record of `records.jsonl`, ready to price.
struct Record {
    model: ModelKey,
    deployment_type: DeploymentType,
    usage: TokenUsage,
}

fn read_records(path: &Path) -> anyhow::Result<Vec<Record>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut records = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let value: Value =
            serde_json::from_str(line).with_context(|| format!("{}: line {}", path.display(), number + 1))?;
        let count = |field: &str| value[field].as_u64().unwrap_or_default();
        records.push(Record {
            model: ModelKey::parse(value["model"].as_str().unwrap_or_default()),
            deployment_type: match value["deployment_type"].as_str() {
                Some("datazone") => DeploymentType::DataZone,
                Some("regional") => DeploymentType::Regional,
                _ => DeploymentType::Global,
            },
            usage: TokenUsage {
                input: count("input_tokens"),
                cached_input: count("cached_input_tokens"),
                output: count("output_tokens"),
                reasoning: 0,
            },
        });
    }
    Ok(records)
}

/// Times every Rust counterpart of the Python measurements on the files in `dir`.
pub fn run(dir: &Path, runs: usize) -> anyhow::Result<()> {
    let html = std::fs::read_to_string(dir.join(PAGE)).with_context(|| format!("cannot read {PAGE}"))?;
    measure("page_parse_rust", runs, || {
        let prices = aoai_catalog::page::parse_page(&html).map_err(|error| anyhow::anyhow!("{error}"))?;
        let count = prices.len() as u64;
        Ok((count, json!(count)))
    })?;

    let pricing = crate::query::Pricing::load(&dir.join(DEPLOYMENT_CATALOG))?;
    let params = UsageParams::parse(
        Some("from=2026-11-01&to=2026-12-01&group_by=user&tz=UTC"),
        ParamDefaults {
            source: UsageSource::Otel,
            currency: Currency::USD,
            max_range_days: 400,
        },
        month_start(),
    )
    .map_err(|error| anyhow::anyhow!("{error:?}"))?;
    measure("query_reshape_rust", runs, || {
        let body = std::fs::read_to_string(dir.join(QUERY))?;
        let (rows, totals) = crate::query::read_and_price(&body, &params, &pricing)
            .map_err(|error| anyhow::anyhow!("{QUERY}: {error}"))?;
        Ok((rows as u64, json!(totals.total.cost.normalize().to_string())))
    })?;

    let records = read_records(&dir.join(RECORDS))?;
    measure("cost_per_record_rust", runs, || {
        let total = price_records(&pricing.catalog, &records)?;
        Ok((records.len() as u64, json!(total.round_dp(6).to_string())))
    })?;
    Ok(())
}

/// Prices each record at the snapshot's price in force at the month's start, as LiteLLM
/// prices each record from its own price map, and returns the sum.
fn price_records(catalog: &Catalog, records: &[Record]) -> anyhow::Result<Decimal> {
    let mut prices: HashMap<(ModelKey, DeploymentType), Option<TextPrices>> = HashMap::new();
    let mut total = Decimal::ZERO;
    for record in records {
        let text = prices
            .entry((record.model.clone(), record.deployment_type))
            .or_insert_with(|| {
                catalog
                    .price(&PriceQuery {
                        model: record.model.clone(),
                        deployment_type: record.deployment_type,
                        tier: Tier::Standard,
                        region: "eastus2".to_owned(),
                        currency: Currency::USD,
                        at: month_start(),
                        context_band: None,
                    })
                    .ok()
                    .map(|quote| quote.text_prices())
            });
        if let Some(text) = text
            && let Ok(cost) = CostBreakdown::compute(&record.usage, text)
        {
            total += cost.total;
        }
    }
    Ok(total)
}

/// Times the parts of `/api/usage` for each query on the store that `USAGE_STORE` names:
/// computing the sums, and writing the JSON text. The first run of each
/// query includes loading the store into memory.
pub fn breakdown(queries: &[String]) -> anyhow::Result<()> {
    let config = aoai_usage::config::Config::from_lookup(|name| std::env::var(name).ok())?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let state = aoai_usage::startup::build_state(&config)?;
        for query in queries {
            for run in 0..4 {
                let params = UsageParams::parse(
                    Some(query),
                    aoai_usage::api::usage::defaults(&state),
                    chrono::Utc::now(),
                )
                .map_err(|error| anyhow::anyhow!("{query}: {error:?}"))?;
                let started = Instant::now();
                let computed = aoai_usage::api::usage::compute(&state, &params)
                    .await
                    .map_err(|error| anyhow::anyhow!("{query}: {error:?}"))?;
                let computed_at = started.elapsed();
                let text = serde_json::to_vec(&aoai_usage::report::UsageJson {
                    params: &params,
                    totals: &computed.totals,
                    sample: computed.sample,
                    prices: &computed.provenance,
                    backend: Some(state.backend.name()),
                })?;
                let total = started.elapsed();
                println!(
                    "{}",
                    json!({
                        "query": query,
                        "run": run,
                        "compute_ms": computed_at.as_secs_f64() * 1e3,
                        "json_ms": (total - computed_at).as_secs_f64() * 1e3,
                        "total_ms": total.as_secs_f64() * 1e3,
                        "rows": computed.totals.rows.len(),
                        "bytes": text.len(),
                    })
                );
            }
        }
        Ok(())
    })
}
