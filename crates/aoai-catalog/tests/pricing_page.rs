//! The pricing page parser over constructed pages in `tests/fixtures/pricing-page/`,
//! checked against the Retail Prices rows their prices were taken from.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::str::FromStr;

use aoai_catalog::normalize::{MeterClass, TokenMeter, classify};
use aoai_catalog::page::{PageError, PagePrice, REGION_SLUGS, parse_page};
use aoai_catalog::retail::{RetailItem, parse_items};
use aoai_core::{ContextBand, DeploymentType, Tier, TokenKind};
use rust_decimal::Decimal;

use ContextBand::{Long, Short};
use DeploymentType::{DataZone, Global, Regional};
use Tier::{Batch, Priority, Standard};
use TokenKind::{CachedInput, Input, Output};

fn repository_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").join(relative)
}

fn page_fixture(name: &str) -> String {
    std::fs::read_to_string(repository_path("tests/fixtures/pricing-page").join(name)).expect("fixture readable")
}

fn parsed(name: &str) -> Vec<PagePrice> {
    parse_page(&page_fixture(name)).unwrap_or_else(|error| panic!("{name}: {error}"))
}

fn decimal(text: &str) -> Decimal {
    Decimal::from_str(text).expect("decimal")
}

/// Returns the prices of one key. The band is part of the key, so `None` finds unbanded prices.
fn find<'a>(
    prices: &'a [PagePrice],
    region: &str,
    model: &str,
    deployment_type: DeploymentType,
    tier: Tier,
    kind: TokenKind,
    band: Option<ContextBand>,
) -> Vec<&'a PagePrice> {
    prices
        .iter()
        .filter(|price| {
            price.region == region
                && price.model.name == model
                && price.deployment_type == deployment_type
                && price.tier == tier
                && price.kind == kind
                && price.context_band == band
        })
        .collect()
}

/// (region, model, deployment type, tier, kind, band, price per 1M).
type Expected = (
    &'static str,
    &'static str,
    DeploymentType,
    Tier,
    TokenKind,
    Option<ContextBand>,
    &'static str,
);

fn assert_prices(prices: &[PagePrice], cases: &[Expected]) {
    for &(region, model, deployment_type, tier, kind, band, expected) in cases {
        let key = format!("{region} {model} {deployment_type} {tier} {kind} {band:?}");
        let found = find(prices, region, model, deployment_type, tier, kind, band);
        assert_eq!(found.len(), 1, "{key}: {found:?}");
        assert_eq!(found[0].price_per_million, decimal(expected), "{key}");
    }
}

#[test]
fn current_page_prices_are_exact() {
    let prices = parsed("current_per_1m.html");
    assert_prices(
        &prices,
        &[
            ("eastus2", "gpt-4.1", Global, Standard, Input, None, "2"),
            ("eastus2", "gpt-4.1", Global, Standard, CachedInput, None, "0.5"),
            ("eastus2", "gpt-4.1", Global, Standard, Output, None, "8"),
            ("eastus2", "gpt-4.1", Global, Batch, Input, None, "1"),
            ("westeurope", "gpt-4.1", DataZone, Standard, Input, None, "2.2"),
            ("swedencentral", "gpt-4.1", Regional, Standard, Input, None, "2.42"),
            (
                "swedencentral",
                "gpt-4.1",
                Regional,
                Standard,
                CachedInput,
                None,
                "0.605",
            ),
            ("swedencentral", "gpt-4.1", Regional, Standard, Output, None, "9.68"),
            ("eastus2", "gpt-4o-mini", DataZone, Batch, Output, None, "0.33"),
            (
                "swedencentral",
                "gpt-4o-mini",
                Regional,
                Standard,
                CachedInput,
                None,
                "0.091",
            ),
            (
                "westeurope",
                "gpt-5.4-mini",
                DataZone,
                Batch,
                CachedInput,
                None,
                "0.04125",
            ),
            ("eastus2", "gpt-5.4-mini", Global, Priority, Output, None, "9"),
            (
                "eastus2",
                "gpt-5.4-mini",
                DataZone,
                Priority,
                CachedInput,
                None,
                "0.165",
            ),
        ],
    );
}

#[test]
fn current_page_covers_every_row() {
    let prices = parsed("current_per_1m.html");
    let models: BTreeSet<&str> = prices.iter().map(|price| price.model.name.as_str()).collect();
    assert_eq!(
        models.into_iter().collect::<Vec<_>>(),
        ["gpt-4.1", "gpt-4o-mini", "gpt-5.4", "gpt-5.4-mini", "gpt-5.5"]
    );
    let regions: BTreeSet<&str> = prices.iter().map(|price| price.region.as_str()).collect();
    assert_eq!(
        regions.into_iter().collect::<Vec<_>>(),
        ["eastus2", "swedencentral", "westeurope"]
    );
    // Counted from the fixture: 68 spans list three regions, 6 list two and 12 list one.
    assert_eq!(prices.len(), 68 * 3 + 6 * 2 + 12);
}

#[test]
fn versions_come_from_model_cells() {
    let prices = parsed("current_per_1m.html");
    let gpt41 = find(&prices, "eastus2", "gpt-4.1", Global, Standard, Input, None);
    assert_eq!(gpt41[0].model.to_string(), "gpt-4.1-2025-04-14");
    let mini = find(&prices, "eastus2", "gpt-5.4-mini", Global, Standard, Input, None);
    assert_eq!(mini[0].model.version, None);
}

#[test]
fn all_deployment_spellings_parse() {
    let prices = parsed("current_per_1m.html");
    let gpt4o_mini: BTreeSet<DeploymentType> = prices
        .iter()
        .filter(|price| price.model.name == "gpt-4o-mini")
        .map(|price| price.deployment_type)
        .collect();
    assert_eq!(gpt4o_mini.into_iter().collect::<Vec<_>>(), [Global, DataZone, Regional]);
    let dz = find(&prices, "eastus2", "gpt-4o-mini", DataZone, Standard, Input, None);
    assert!(
        dz[0].label.starts_with("GPT-4o-mini-2024-07-18 DataZone / "),
        "{}",
        dz[0].label
    );
}

#[test]
fn missing_cached_input_yields_no_price() {
    let prices = parsed("current_per_1m.html");
    for model in ["gpt-4.1", "gpt-4o-mini"] {
        for deployment_type in [Global, DataZone] {
            let cached = find(&prices, "eastus2", model, deployment_type, Batch, CachedInput, None);
            assert!(cached.is_empty(), "{model} {deployment_type}: {cached:?}");
            let input = find(&prices, "eastus2", model, deployment_type, Batch, Input, None);
            assert_eq!(input.len(), 1, "{model} {deployment_type}");
        }
    }
    assert!(prices.iter().all(|price| !price.price_per_million.is_zero()));
}

#[test]
fn not_offered_cells_yield_no_price() {
    let prices = parsed("current_per_1m.html");
    let regional_batch: Vec<&PagePrice> = prices
        .iter()
        .filter(|price| price.deployment_type == Regional && price.tier == Batch)
        .collect();
    assert!(regional_batch.is_empty(), "{regional_batch:?}");
    let long_priority: Vec<&PagePrice> = prices
        .iter()
        .filter(|price| price.context_band == Some(Long) && price.tier == Priority)
        .collect();
    assert!(long_priority.is_empty(), "{long_priority:?}");
}

#[test]
fn rowspan_model_cell_covers_both_bands() {
    let prices = parsed("current_per_1m.html");
    assert_prices(
        &prices,
        &[
            ("eastus2", "gpt-5.5", Global, Standard, Input, Some(Short), "5"),
            ("eastus2", "gpt-5.5", Global, Standard, Output, Some(Short), "30"),
            ("eastus2", "gpt-5.5", Global, Priority, Output, Some(Short), "75"),
            ("eastus2", "gpt-5.5", Global, Standard, Input, Some(Long), "10"),
            ("swedencentral", "gpt-5.5", Global, Batch, Output, Some(Long), "22.5"),
            ("westeurope", "gpt-5.5", Global, Batch, CachedInput, Some(Long), "0.5"),
        ],
    );
    let long = find(&prices, "eastus2", "gpt-5.5", Global, Batch, Input, Some(Long));
    assert_eq!(
        long[0].label,
        "GPT-5.5 Global / >272k context length / Batch API (per 1M tokens) / Input"
    );
}

#[test]
fn bands_in_model_cells_parse() {
    let prices = parsed("current_per_1m.html");
    assert_prices(
        &prices,
        &[
            ("eastus2", "gpt-5.5", DataZone, Standard, Input, Some(Short), "5.5"),
            (
                "eastus2",
                "gpt-5.5",
                DataZone,
                Priority,
                CachedInput,
                Some(Short),
                "1.375",
            ),
            ("eastus2", "gpt-5.5", DataZone, Standard, Output, Some(Long), "49.5"),
            ("eastus2", "gpt-5.4", Global, Standard, Input, None, "2.5"),
            ("eastus2", "gpt-5.4", Global, Standard, Input, Some(Long), "5"),
            ("eastus2", "gpt-5.4", Global, Batch, Output, Some(Long), "11.25"),
        ],
    );
}

#[test]
fn labels_name_row_column_and_price() {
    let prices = parsed("current_per_1m.html");
    let batch = find(&prices, "eastus2", "gpt-4.1", Global, Batch, Input, None);
    assert_eq!(
        batch[0].label,
        "GPT-4.1-2025-04-14 Global / Batch API (per 1M tokens) / Input"
    );
}

#[test]
fn older_page_per_1k_scales_exactly() {
    let prices = parsed("older_per_1k.html");
    assert_prices(
        &prices,
        &[
            ("eastus2", "gpt-4o", Global, Standard, Input, None, "2.5"),
            ("eastus2", "gpt-4o", Global, Standard, Output, None, "10"),
            ("eastus2", "gpt-4o", Regional, Standard, Input, None, "2.75"),
            ("eastus2", "gpt-4o", DataZone, Standard, Output, None, "11"),
            ("eastus2", "o3-mini", Global, Standard, Output, None, "4.4"),
            ("eastus2", "o3-mini", DataZone, Standard, Input, None, "1.21"),
            ("eastus2", "gpt-4o-mini", Global, Standard, Input, None, "0.15"),
            ("eastus2", "gpt-4o-mini", Global, Standard, Output, None, "0.6"),
        ],
    );
    assert_eq!(prices.len(), 12);
    let prompt = find(&prices, "eastus2", "gpt-4o", Global, Standard, Input, None);
    assert_eq!(prompt[0].label, "GPT-4o-2024-08-06 Global / Prompt (Per 1,000 tokens)");
    assert_eq!(prompt[0].model.to_string(), "gpt-4o-2024-08-06");
    let mini = find(&prices, "eastus2", "gpt-4o-mini", Global, Standard, Output, None);
    assert_eq!(mini[0].model.to_string(), "gpt-4o-mini-2024-07-18");
    assert_eq!(
        mini[0].label,
        "GPT-4o-mini-0718 Global / Price (Per 1,000 tokens) / Completion"
    );
}

fn retail_meters() -> Vec<(RetailItem, TokenMeter)> {
    let mut meters = Vec::new();
    for region in ["eastus2", "swedencentral", "westeurope"] {
        let path = repository_path(&format!(
            "tests/fixtures/retail-prices/foundry_models_{region}_2026-08-15.json"
        ));
        let text = std::fs::read_to_string(path).expect("retail fixture readable");
        for item in parse_items(&text).expect("retail fixture parses") {
            if !item.is_azure_openai() {
                continue;
            }
            if let Ok(MeterClass::Token(meter)) = classify(&item) {
                meters.push((item, meter));
            }
        }
    }
    meters
}

/// Every page price equals the newest Retail Prices row of the same key. A Retail row
/// without a version prices every version of its model.
#[test]
fn page_prices_equal_retail_rows() {
    let meters = retail_meters();
    let mut checked = 0;
    for name in ["current_per_1m.html", "older_per_1k.html"] {
        for price in parsed(name) {
            let newest = meters
                .iter()
                .filter(|(item, meter)| {
                    item.arm_region_name == price.region
                        && meter.model.name == price.model.name
                        && (meter.model.version.is_none() || meter.model.version == price.model.version)
                        && meter.deployment_type == price.deployment_type
                        && meter.tier == price.tier
                        && meter.kind == price.kind
                        && meter.context_band == price.context_band
                })
                .max_by_key(|(item, _)| item.effective_start_date);
            let Some((item, meter)) = newest else {
                panic!("{name}: no Retail row for {price:?}");
            };
            assert_eq!(
                meter.price_per_million, price.price_per_million,
                "{name}: '{}' against '{}'",
                price.label, item.meter_name
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 228 + 12);
}

#[test]
fn every_fixture_region_has_slug() {
    let directory = repository_path("tests/fixtures/retail-prices");
    let mut regions = BTreeSet::new();
    for entry in std::fs::read_dir(directory).expect("fixture directory") {
        let path = entry.expect("entry").path();
        if !matches!(path.extension().and_then(|ext| ext.to_str()), Some("json" | "ndjson")) {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("fixture readable");
        for item in parse_items(&text).expect("fixture parses") {
            if !item.arm_region_name.is_empty() {
                regions.insert(item.arm_region_name);
            }
        }
    }
    assert!(regions.len() >= 39, "read only {} regions", regions.len());
    let mapped: BTreeSet<&str> = REGION_SLUGS.iter().map(|(_, arm)| *arm).collect();
    let missing: Vec<&String> = regions
        .iter()
        .filter(|region| !mapped.contains(region.as_str()))
        .collect();
    assert!(missing.is_empty(), "no page slug for {missing:?}");
}

// Malformed pages. Each case breaks one element of a valid page and checks the
// variant and that the message names the element and where it is.

const GOOD_CELL: &str = r#"Input: <span class='price-data' data-amount='{"regional":{"us-east-2":2}}'>$-</span>"#;

fn page_with(body: &str) -> String {
    format!("<html><body><section id='pricing'>{body}</section></body></html>")
}

fn family_with(headings: &str, rows: &str) -> String {
    page_with(&format!(
        "<h2>GPT-4.1 series</h2><table><thead><tr>{headings}</tr></thead><tbody>{rows}</tbody></table>"
    ))
}

fn one_row(model_cell: &str, price_cell: &str) -> String {
    family_with(
        "<th>Models</th><th>Price (per 1M tokens)</th>",
        &format!("<tr><td>{model_cell}</td><td>{price_cell}</td></tr>"),
    )
}

fn error_of(html: &str) -> PageError {
    match parse_page(html) {
        Ok(prices) => panic!("expected an error, parsed {prices:?}"),
        Err(error) => error,
    }
}

fn assert_mentions(error: &PageError, parts: &[&str]) {
    let message = error.to_string();
    for part in parts {
        assert!(message.contains(part), "'{part}' missing from: {message}");
    }
}

#[test]
fn valid_helper_page_parses() {
    let prices = parse_page(&one_row("GPT-4.1-2025-04-14 Global", GOOD_CELL)).expect("valid page");
    assert_eq!(prices.len(), 1);
    assert_eq!(prices[0].price_per_million, decimal("2"));
}

#[test]
fn missing_pricing_section_is_rejected() {
    let error = error_of("<html><body><section id='other'><h2>GPT</h2><table></table></section></body></html>");
    assert_eq!(error, PageError::MissingPricingSection);
    assert_mentions(&error, &["section id=\"pricing\""]);
}

#[test]
fn section_without_families_is_rejected() {
    let error = error_of(&page_with("<p>Prices coming soon</p>"));
    assert_eq!(error, PageError::NoFamilies);
}

#[test]
fn family_without_table_is_rejected() {
    let html = page_with(&format!(
        "<h2>GPT-4.1 series</h2><p>See below</p><h2>o3-mini</h2><table><tr><th>Models</th><th>Price (per 1M tokens)</th></tr>\
         <tr><td>o3-mini-2025-01-31 Global</td><td>{GOOD_CELL}</td></tr></table>"
    ));
    let error = error_of(&html);
    assert!(
        matches!(&error, PageError::MissingTable { family } if family == "GPT-4.1 series"),
        "{error:?}"
    );
    assert_mentions(&error, &["'GPT-4.1 series'", "<table>"]);
}

#[test]
fn table_before_family_is_rejected() {
    let error = error_of(&page_with("<table><tr><th>Models</th></tr></table><h2>GPT</h2>"));
    assert_eq!(error, PageError::TableWithoutFamily);
}

#[test]
fn table_without_heading_row_is_rejected() {
    let html = page_with(&format!(
        "<h2>GPT-4.1 series</h2><table><tr><td>GPT-4.1-2025-04-14 Global</td><td>{GOOD_CELL}</td></tr></table>"
    ));
    let error = error_of(&html);
    assert!(
        matches!(&error, PageError::MissingHeadingRow { family, .. } if family == "GPT-4.1 series"),
        "{error:?}"
    );
    assert_mentions(&error, &["'GPT-4.1 series'", "'Models'", "GPT-4.1-2025-04-14 Global"]);

    let empty = error_of(&page_with("<h2>GPT-4.1 series</h2><table></table>"));
    assert_mentions(&empty, &["a table without rows"]);
}

#[test]
fn unknown_column_is_rejected() {
    let html = family_with(
        "<th>Models</th><th>Price (per 1M tokens)</th><th>Flex processing</th>",
        &format!("<tr><td>GPT-4.1-2025-04-14 Global</td><td>{GOOD_CELL}</td><td>{GOOD_CELL}</td></tr>"),
    );
    let error = error_of(&html);
    assert!(
        matches!(&error, PageError::UnknownColumn { heading, .. } if heading == "Flex processing"),
        "{error:?}"
    );
    assert_mentions(
        &error,
        &[
            "'Flex processing'",
            "'GPT-4.1 series'",
            "Batch API",
            "Priority",
            "Prompt",
        ],
    );
}

#[test]
fn column_without_unit_is_rejected() {
    let html = family_with(
        "<th>Models</th><th>Price</th>",
        &format!("<tr><td>GPT-4.1-2025-04-14 Global</td><td>{GOOD_CELL}</td></tr>"),
    );
    let error = error_of(&html);
    assert!(
        matches!(&error, PageError::MissingUnit { heading, .. } if heading == "Price"),
        "{error:?}"
    );
    assert_mentions(&error, &["'Price'", "'GPT-4.1 series'", "per 1M tokens"]);
}

#[test]
fn short_row_is_rejected() {
    let html = family_with(
        "<th>Models</th><th>Price (per 1M tokens)</th><th>Batch API</th>",
        &format!("<tr><td>GPT-4.1-2025-04-14 Global</td><td>{GOOD_CELL}</td></tr>"),
    );
    let error = error_of(&html);
    assert!(
        matches!(&error, PageError::CellCount { at, cells: 2, headings: 3 } if at.row == 1),
        "{error:?}"
    );
    assert_mentions(
        &error,
        &[
            "'GPT-4.1 series'",
            "row 1 'GPT-4.1-2025-04-14 Global'",
            "2 cells",
            "3 headings",
        ],
    );
}

#[test]
fn cell_without_prices_is_rejected() {
    let error = error_of(&one_row("GPT-4.1-2025-04-14 Global", "$2.00"));
    assert!(
        matches!(&error, PageError::NoPrices { at } if at.column.as_deref() == Some("Price (per 1M tokens)")),
        "{error:?}"
    );
    assert_mentions(
        &error,
        &[
            "'GPT-4.1 series'",
            "'GPT-4.1-2025-04-14 Global'",
            "column 'Price (per 1M tokens)'",
        ],
    );

    let empty = error_of(&one_row("GPT-4.1-2025-04-14 Global", ""));
    assert!(matches!(empty, PageError::NoPrices { .. }), "{empty:?}");
}

#[test]
fn unlabelled_price_is_rejected() {
    let cell = r#"<span class='price-data' data-amount='{"regional":{"us-east-2":2}}'>$-</span>"#;
    let error = error_of(&one_row("GPT-4.1-2025-04-14 Global", cell));
    assert!(matches!(error, PageError::PriceWithoutLabel { .. }), "{error:?}");
    assert_mentions(&error, &["no label", "column 'Price (per 1M tokens)'", "Cached Input"]);
}

#[test]
fn label_without_price_is_rejected() {
    let error = error_of(&one_row("GPT-4.1-2025-04-14 Global", &format!("{GOOD_CELL} Output:")));
    assert!(
        matches!(&error, PageError::LabelWithoutPrice { label, .. } if label == "Output"),
        "{error:?}"
    );
    assert_mentions(&error, &["'Output'", "'GPT-4.1-2025-04-14 Global'"]);
}

#[test]
fn unknown_price_label_is_rejected() {
    let cell = r#"Reasoning: <span class='price-data' data-amount='{"regional":{"us-east-2":2}}'>$-</span>"#;
    let error = error_of(&one_row("GPT-4.1-2025-04-14 Global", cell));
    assert!(
        matches!(&error, PageError::UnknownPriceLabel { label, .. } if label == "Reasoning"),
        "{error:?}"
    );
    assert_mentions(
        &error,
        &["'Reasoning'", "Cached Input", "column 'Price (per 1M tokens)'"],
    );
}

#[test]
fn label_against_column_kind_is_rejected() {
    let html = family_with(
        "<th>Models</th><th>Prompt (Per 1,000 tokens)</th>",
        r#"<tr><td>GPT-4.1-2025-04-14 Global</td><td>Output: <span class='price-data' data-amount='{"regional":{"us-east-2":2}}'>$-</span></td></tr>"#,
    );
    let error = error_of(&html);
    assert!(
        matches!(&error, PageError::UnknownPriceLabel { label, .. } if label == "Output"),
        "{error:?}"
    );
    assert_mentions(
        &error,
        &["column's own token kind", "column 'Prompt (Per 1,000 tokens)'"],
    );
}

#[test]
fn malformed_data_amount_is_rejected() {
    let cases = [
        ("Input: <span class='price-data'>$-</span>", "no data-amount attribute"),
        ("Input: <span class='price-data' data-amount=''>$-</span>", "EOF"),
        (
            r#"Input: <span class='price-data' data-amount='{"regional":{}}'>$-</span>"#,
            "no region prices",
        ),
        (
            r#"Input: <span class='price-data' data-amount='{"regional":{"us-east-2":2'>$-</span>"#,
            "EOF",
        ),
        (
            r#"Input: <span class='price-data' data-amount='{"hourly":{"us-east-2":2}}'>$-</span>"#,
            "unknown field",
        ),
    ];
    for (cell, reason) in cases {
        let error = error_of(&one_row("GPT-4.1-2025-04-14 Global", cell));
        assert!(matches!(error, PageError::InvalidAmount { .. }), "{cell}: {error:?}");
        assert_mentions(
            &error,
            &[
                reason,
                "label 'GPT-4.1-2025-04-14 Global / Price (per 1M tokens) / Input'",
                "family 'GPT-4.1 series'",
            ],
        );
    }
}

#[test]
fn invalid_prices_are_rejected() {
    let cases = [
        ("0", "zero"),
        ("0.00", "zero"),
        ("-2.5", "negative"),
        (r#""2.5""#, "not a JSON number"),
        ("null", "not a JSON number"),
    ];
    for (value, reason) in cases {
        let cell = format!(
            r#"Input: <span class='price-data' data-amount='{{"regional":{{"us-east":2,"us-east-2":{value}}}}}'>$-</span>"#
        );
        let error = error_of(&one_row("GPT-4.1-2025-04-14 Global", &cell));
        assert!(
            matches!(&error, PageError::InvalidPrice { slug, value: shown, .. } if slug == "us-east-2" && shown == value),
            "{value}: {error:?}"
        );
        assert_mentions(&error, &[reason, "region 'us-east-2'", "'GPT-4.1-2025-04-14 Global'"]);
    }
}

#[test]
fn unknown_region_slug_is_rejected() {
    let cell = r#"Input: <span class='price-data' data-amount='{"regional":{"us-east-2":2,"mars-north":3}}'>$-</span>"#;
    let error = error_of(&one_row("GPT-4.1-2025-04-14 Global", cell));
    assert!(
        matches!(&error, PageError::UnknownRegion { slug, .. } if slug == "mars-north"),
        "{error:?}"
    );
    assert_mentions(
        &error,
        &["'mars-north'", "row 1 'GPT-4.1-2025-04-14 Global'", "REGION_SLUGS"],
    );
}

#[test]
fn model_cell_without_deployment_is_rejected() {
    let error = error_of(&one_row("GPT-4.1-2025-04-14", GOOD_CELL));
    assert!(
        matches!(&error, PageError::NoDeploymentType { at } if at.model_cell == "GPT-4.1-2025-04-14"),
        "{error:?}"
    );
    assert_mentions(&error, &["'GPT-4.1-2025-04-14'", "'GPT-4.1 series'", "Data Zone"]);
}

#[test]
fn invalid_model_cells_are_rejected() {
    let error = error_of(&one_row("GPT-4o-0101 Global", GOOD_CELL));
    assert!(matches!(error, PageError::InvalidModel { .. }), "{error:?}");
    assert_mentions(&error, &["'0101'", "'GPT-4o-0101 Global'"]);

    let error = error_of(&one_row("GPT-5.5 Global (272k context length)", GOOD_CELL));
    assert!(matches!(error, PageError::InvalidContextBand { .. }), "{error:?}");
    assert_mentions(&error, &["272k context length"]);
}

#[test]
fn conflicting_bands_are_rejected() {
    let html = family_with(
        "<th>Models</th><th>Context</th><th>Price (per 1M tokens)</th>",
        &format!("<tr><td>GPT-5.5 Global (&lt;272k)</td><td>&gt;272k context length</td><td>{GOOD_CELL}</td></tr>"),
    );
    let error = error_of(&html);
    assert!(matches!(error, PageError::InvalidContextBand { .. }), "{error:?}");
    assert_mentions(&error, &["other band", "'>272k context length'"]);
}

#[test]
fn duplicate_key_is_rejected() {
    let html = family_with(
        "<th>Models</th><th>Price (per 1M tokens)</th>",
        &format!(
            "<tr><td>GPT-4.1-2025-04-14 Global</td><td>{GOOD_CELL}</td></tr>\
             <tr><td>GPT-4.1-2025-04-14  Global</td><td>{GOOD_CELL}</td></tr>"
        ),
    );
    let error = error_of(&html);
    assert!(
        matches!(&error, PageError::DuplicatePrice { at, .. } if at.row == 2),
        "{error:?}"
    );
    assert_mentions(
        &error,
        &[
            "region 'eastus2'",
            "row 2",
            "GPT-4.1-2025-04-14 Global / Price (per 1M tokens) / Input",
        ],
    );
}

#[test]
fn page_of_only_not_offered_is_rejected() {
    let error = error_of(&one_row("GPT-4.1-2025-04-14 Global", "N/A"));
    assert_eq!(error, PageError::EmptyPage);
}

#[test]
fn error_in_later_family_fails_page() {
    let html = page_with(&format!(
        "<h2>GPT-4.1 series</h2><table><tr><th>Models</th><th>Price (per 1M tokens)</th></tr>\
         <tr><td>GPT-4.1-2025-04-14 Global</td><td>{GOOD_CELL}</td></tr></table>\
         <h2>o3-mini</h2><table><tr><th>Models</th><th>Price (per 1M tokens)</th></tr>\
         <tr><td>o3-mini-2025-01-31 Global</td><td>Input: <span class='price-data' data-amount='{{\"regional\":{{\"us-east-2\":0}}}}'>$-</span></td></tr></table>"
    ));
    let error = error_of(&html);
    assert!(
        matches!(&error, PageError::InvalidPrice { at, .. } if at.family == "o3-mini"),
        "{error:?}"
    );
}
