//! A Log Analytics query response in the row schema of the usage app's KQL, as the query API
//! returns it: one table, typed columns, rows as arrays; and the reading and pricing of one.

use std::path::Path;

use aoai_catalog::Catalog;
use aoai_catalog::overrides::Overrides;
use aoai_core::{Currency, DeploymentType};
use aoai_usage::azure::response::{Expected, read_rows};
use aoai_usage::deployments::DeploymentCatalog;
use aoai_usage::directory::Directory;
use aoai_usage::report::{Aggregator, Assumptions, QueryCompressor, Resolver, Totals, UsageParams, price_changes};
use serde_json::{Value, json};

use crate::workload::{Shape, generate};

/// Builds a response of `rows` rows from the workload, one row per call with its 15-minute bucket.
pub fn response(rows: u64) -> Value {
    let columns = [
        ("bucket_start", "datetime"),
        ("user", "string"),
        ("subscription", "string"),
        ("deployment", "string"),
        ("response_model", "string"),
        ("service_tier", "string"),
        ("input_tokens", "long"),
        ("cached_input_tokens", "long"),
        ("output_tokens", "long"),
        ("reasoning_tokens", "long"),
        ("requests", "long"),
        ("rejected", "long"),
        ("usage_missing", "long"),
        ("source", "string"),
        ("estimated", "bool"),
    ];
    let mut table_rows = Vec::with_capacity(usize::try_from(rows).unwrap_or(0));
    generate(Shape::new(rows), 100_000, |records| {
        for record in records {
            let usage = record.usage.unwrap_or_default();
            let bucket = aoai_usage::row::bucket_start(record.time);
            table_rows.push(json!([
                bucket.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                record.user.unwrap_or_default(),
                "",
                record.deployment.unwrap_or_default(),
                record.response_model.unwrap_or_default(),
                "",
                usage.input,
                usage.cached_input,
                usage.output,
                usage.reasoning,
                record.requests,
                0,
                0,
                "otel",
                false,
            ]));
        }
    });
    json!({
        "tables": [{
            "name": "PrimaryResult",
            "columns": columns.iter().map(|(name, kind)| json!({"name": name, "type": kind})).collect::<Vec<_>>(),
            "rows": table_rows,
        }]
    })
}

/// The inputs of pricing besides the rows: the deployments of the generated workload, the
/// bundled snapshot, and no directory or negotiated prices.
#[derive(Debug)]
pub struct Pricing {
    pub deployments: DeploymentCatalog,
    pub directory: Directory,
    pub catalog: Catalog,
    pub overrides: Overrides,
    pub assumptions: Assumptions,
}

impl Pricing {
    /// Reads the deployment catalog that `data` or `fill` wrote, and decodes the snapshot.
    pub fn load(deployments: &Path) -> anyhow::Result<Pricing> {
        Ok(Pricing {
            deployments: DeploymentCatalog::from_files(&[deployments.to_path_buf()], "eastus2")?,
            directory: Directory::default(),
            catalog: aoai_catalog::snapshot::bundled_catalog().map_err(|error| anyhow::anyhow!("{error}"))?,
            overrides: Overrides::default(),
            assumptions: Assumptions {
                deployment_type: DeploymentType::Global,
                region: "eastus2".to_owned(),
            },
        })
    }
}

/// Reads, sums and prices a query response as `/api/usage` does with an Azure backend: the
/// rows are summed while the JSON is parsed, and each sum is priced once. Returns the number
/// of rows and the totals.
pub fn read_and_price(body: &str, params: &UsageParams, pricing: &Pricing) -> Result<(usize, Totals), String> {
    let expected = Expected {
        from: params.from,
        to: params.to,
        source: params.source,
    };
    let changes = price_changes(&pricing.catalog);
    let mut compressor = QueryCompressor::new(params, &changes);
    let summary = read_rows(body, &expected, &mut |row| compressor.add(row))?;
    let mut resolver = Resolver::new(
        &pricing.deployments,
        &pricing.directory,
        &pricing.catalog,
        &pricing.overrides,
        Currency::USD,
        &pricing.assumptions,
    );
    let mut aggregator = Aggregator::new(params);
    for row in &compressor.finish() {
        aggregator.add_row(&mut resolver, row);
    }
    Ok((summary.rows, aggregator.finish()))
}
