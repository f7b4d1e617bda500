//! A month of model calls by an organisation: users of uneven activity, deployments of every
//! deployment type, cached and reasoning tokens, and a few calls without a user.

use std::path::Path;

use aoai_core::TokenUsage;
use aoai_usage::ingest::Batch;
use aoai_usage::record::{UsageRecord, UsageSource};
use aoai_usage::store::Store;
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::json;

use crate::random::Random;

/// Deployments of the workload: name, model, version, ARM SKU, relative share of calls.
pub const DEPLOYMENTS: [(&str, &str, &str, &str, u64); 8] = [
    ("chat-global", "gpt-4o", "2024-11-20", "GlobalStandard", 30),
    ("mini-global", "gpt-4o-mini", "2024-07-18", "GlobalStandard", 25),
    ("chat-dz", "gpt-4o", "2024-11-20", "DataZoneStandard", 12),
    ("chat-regional", "gpt-4o", "2024-11-20", "Standard", 8),
    ("mini-batch", "gpt-4o-mini", "2024-07-18", "GlobalBatch", 6),
    ("reasoning", "o4-mini", "2025-04-16", "GlobalStandard", 10),
    ("gpt41", "gpt-4.1", "2025-04-14", "GlobalStandard", 6),
    ("gpt41-mini-dz", "gpt-4.1-mini", "2025-04-14", "DataZoneStandard", 3),
];

/// The first day of the generated month.
pub fn month_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0)
        .single()
        .unwrap_or_else(Utc::now)
}

/// The shape of a workload.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub records: u64,
    pub users: u64,
    pub seed: u64,
}

impl Shape {
    pub fn new(records: u64) -> Shape {
        Shape {
            records,
            users: 2_000,
            seed: 42,
        }
    }
}

/// Generates the calls of `shape` in time order, in chunks of up to `chunk` records.
pub fn generate(shape: Shape, chunk: usize, mut visit: impl FnMut(Vec<UsageRecord>)) {
    let mut random = Random::new(shape.seed);
    let weights: Vec<u64> = DEPLOYMENTS.iter().map(|deployment| deployment.4).collect();
    // Users are active in proportion to 1/rank, as a few heavy users and a long tail are.
    let user_weights: Vec<u64> = (1..=shape.users).map(|rank| 1_000_000 / rank).collect();
    let month_ms = 30 * 24 * 3_600_000_i64;
    let start = month_start();
    let mut records = Vec::with_capacity(chunk);
    for index in 0..shape.records {
        // Calls are spread evenly over the month, in time order.
        let offset = i64::try_from(i128::from(index) * i128::from(month_ms) / i128::from(shape.records.max(1)))
            .unwrap_or(month_ms);
        let (name, model, version, _, _) = DEPLOYMENTS[random.weighted(&weights)];
        let user = if random.below(200) == 0 {
            None
        } else {
            Some(format!("user-{:05}", random.weighted(&user_weights)))
        };
        let input = random.between(200, 12_000);
        let cached = if random.below(3) == 0 {
            random.below(input / 2)
        } else {
            0
        };
        let output = random.between(20, 2_500);
        let reasoning = if model.starts_with('o') {
            random.below(output)
        } else {
            0
        };
        records.push(UsageRecord {
            source: UsageSource::Otel,
            time: start + Duration::milliseconds(offset),
            user,
            parent_span: None,
            deployment: Some(name.to_owned()),
            response_model: Some(format!("{model}-{version}")),
            service_tier: None,
            provider: Some("azure.ai.openai".to_owned()),
            subscription: None,
            metric: None,
            requests: 1,
            usage: Some(TokenUsage {
                input,
                cached_input: cached,
                output,
                reasoning,
            }),
            estimated: false,
        });
        if records.len() == chunk {
            visit(std::mem::replace(&mut records, Vec::with_capacity(chunk)));
        }
    }
    if !records.is_empty() {
        visit(records);
    }
}

/// Writes the deployment catalog of the workload, in the account form, to `path`.
pub fn write_deployments(path: &Path) -> std::io::Result<()> {
    let deployments: Vec<_> = DEPLOYMENTS
        .iter()
        .map(|(name, model, version, sku, _)| {
            json!({
                "name": name,
                "sku": {"name": sku, "capacity": 100},
                "properties": {"model": {"format": "OpenAI", "name": model, "version": version}},
            })
        })
        .collect();
    let catalog = json!({"account": "bench", "location": "eastus2", "deployments": deployments});
    std::fs::write(path, serde_json::to_vec_pretty(&catalog)?)
}

/// Fills the store at `path` with `shape`, in transactions of 100,000 records.
pub fn fill_store(path: &Path, shape: Shape) -> anyhow::Result<()> {
    let store = Store::open(path)?;
    let mut failure = None;
    generate(shape, 100_000, |records| {
        if failure.is_some() {
            return;
        }
        let batch = Batch {
            received: records.len(),
            records,
            ..Batch::default()
        };
        if let Err(error) = store.write(&batch) {
            failure = Some(error);
        }
    });
    match failure {
        Some(error) => Err(error.into()),
        None => Ok(()),
    }
}
