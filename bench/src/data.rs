//! The input files of the side-by-side comparison, written once and read by both the Rust
//! timings (`aoai-bench time`) and the Python script (`bench/python/compare.py`).
//!
//! | file | content |
//! |---|---|
//! | `pricing-page.html` | [`crate::page::render`] of the all-regions Retail Prices fixture, about 1 MB |
//! | `query-response.json` | a Log Analytics response of the workload in the usage row schema |
//! | `prices.json` | the bundled snapshot's USD prices per 1M tokens of each workload deployment |
//! | `records.jsonl` | one call per line: model with version, deployment type and token counts |
//! | `deployments.json` | the workload's deployment catalog, for the Rust side |

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use aoai_catalog::{Catalog, PriceQuery};
use aoai_core::{Currency, DeploymentSku, ModelKey};
use serde_json::json;

use crate::workload::{DEPLOYMENTS, Shape, generate, month_start, write_deployments};

pub const PAGE: &str = "pricing-page.html";
pub const QUERY: &str = "query-response.json";
pub const PRICES: &str = "prices.json";
pub const RECORDS: &str = "records.jsonl";
pub const DEPLOYMENT_CATALOG: &str = "deployments.json";

/// The Retail Prices rows of every region, from the repository's fixtures.
pub const ALL_REGIONS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/fixtures/retail-prices/cognitive_services_azure_openai_all_regions_2025-08-25.ndjson"
);

/// Builds the catalog of the all-regions fixture, fetched on its date.
pub fn all_regions_catalog() -> anyhow::Result<Catalog> {
    let text = std::fs::read_to_string(ALL_REGIONS).with_context(|| format!("cannot read {ALL_REGIONS}"))?;
    let items = aoai_catalog::retail::parse_items(&text).map_err(|error| anyhow::anyhow!("{ALL_REGIONS}: {error}"))?;
    let fetched = "2025-08-25T00:00:00Z".parse()?;
    Ok(Catalog::build([(fetched, items)]))
}

/// Returns the deployment type word of an ARM SKU, as `records.jsonl` spells it.
pub fn deployment_type_word(sku: &str) -> anyhow::Result<&'static str> {
    let sku: DeploymentSku = sku.parse().map_err(|error| anyhow::anyhow!("SKU {sku}: {error}"))?;
    Ok(match sku.deployment_type {
        aoai_core::DeploymentType::Global => "global",
        aoai_core::DeploymentType::DataZone => "datazone",
        aoai_core::DeploymentType::Regional => "regional",
    })
}

/// Writes every input file into `dir`: a query response of `query_rows` rows and
/// `records` records.
pub fn write_all(dir: &Path, query_rows: u64, records: u64) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::write(dir.join(PAGE), crate::page::render(&all_regions_catalog()?))?;
    std::fs::write(
        dir.join(QUERY),
        serde_json::to_vec(&crate::query::response(query_rows))?,
    )?;
    write_deployments(&dir.join(DEPLOYMENT_CATALOG))?;

    let snapshot = aoai_catalog::snapshot::bundled_catalog().map_err(|error| anyhow::anyhow!("{error}"))?;
    let mut prices = serde_json::Map::new();
    for (name, model, version, sku, _) in DEPLOYMENTS {
        let sku_value: DeploymentSku = sku.parse().map_err(|error| anyhow::anyhow!("SKU {sku}: {error}"))?;
        let quote = snapshot
            .price(&PriceQuery {
                model: ModelKey::parse(&format!("{model}-{version}")),
                deployment_type: sku_value.deployment_type,
                tier: sku_value.tier.unwrap_or(aoai_core::Tier::Standard),
                region: "eastus2".to_owned(),
                currency: Currency::USD,
                at: month_start(),
                context_band: None,
            })
            .map_err(|error| anyhow::anyhow!("no snapshot price for {name}: {error}"))?;
        let text = quote.text_prices();
        let amount = |price: Option<rust_decimal::Decimal>| price.map(|price| price.normalize().to_string());
        prices.insert(
            name.to_owned(),
            json!({"input": amount(text.input), "cached_input": amount(text.cached_input), "output": amount(text.output)}),
        );
    }
    std::fs::write(dir.join(PRICES), serde_json::to_vec_pretty(&prices)?)?;

    let mut file = std::io::BufWriter::new(std::fs::File::create(dir.join(RECORDS))?);
    let mut failure = None;
    generate(Shape::new(records), 100_000, |chunk| {
        for record in chunk {
            let usage = record.usage.unwrap_or_default();
            let deployment = record.deployment.as_deref().unwrap_or_default();
            let sku = DEPLOYMENTS
                .iter()
                .find(|entry| entry.0 == deployment)
                .map_or("GlobalStandard", |entry| entry.3);
            let line = deployment_type_word(sku).map(|word| {
                json!({
                    "model": record.response_model,
                    "deployment_type": word,
                    "input_tokens": usage.input,
                    "cached_input_tokens": usage.cached_input,
                    "output_tokens": usage.output,
                })
            });
            match line {
                Ok(line) => {
                    if let Err(error) = writeln!(file, "{line}") {
                        failure.get_or_insert(anyhow::Error::from(error));
                    }
                }
                Err(error) => {
                    failure.get_or_insert(error);
                }
            }
        }
    });
    if let Some(error) = failure {
        return Err(error);
    }
    file.flush()?;
    Ok(())
}
