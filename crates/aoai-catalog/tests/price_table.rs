//! Base inference prices of the key models, pinned from the real Retail Prices rows of
//! 2026-08-15 (eastus2 and swedencentral), per 1,000,000 tokens in USD.
//!
//! Rows priced per 1K in the API are shown here per 1M: the eastus2 row
//! `gpt-4o-0806-Inp-glbl Tokens` at 0.0025 per 1K is 2.5 per 1M.

use aoai_catalog::{Catalog, PriceQuery, snapshot};
use aoai_core::{Currency, DeploymentType, ModelKey, Tier, TokenKind};
use chrono::{DateTime, Utc};

use DeploymentType::{DataZone, Global, Regional};
use Tier::{Batch, Standard};

fn catalog() -> Catalog {
    snapshot::bundled_catalog().expect("bundled catalog builds")
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).expect("time").with_timezone(&Utc)
}

/// (region, model reference, deployment type, tier, input, cached input, output); "-" where Azure has no meter.
type Row = (
    &'static str,
    &'static str,
    DeploymentType,
    Tier,
    &'static str,
    &'static str,
    &'static str,
);

const TABLE: &[Row] = &[
    // gpt-4o 2024-05-13 has no cached-input meter.
    ("eastus2", "gpt-4o-2024-05-13", Global, Standard, "5", "-", "15"),
    ("eastus2", "gpt-4o-2024-05-13", DataZone, Standard, "5.5", "-", "16.5"),
    ("eastus2", "gpt-4o-2024-05-13", Regional, Standard, "5.5", "-", "16.5"),
    ("eastus2", "gpt-4o-2024-05-13", Global, Batch, "2.5", "-", "7.5"),
    (
        "swedencentral",
        "gpt-4o-2024-05-13",
        Regional,
        Standard,
        "6.05",
        "-",
        "18.15",
    ),
    ("eastus2", "gpt-4o-2024-08-06", Global, Standard, "2.5", "1.25", "10"),
    (
        "eastus2",
        "gpt-4o-2024-08-06",
        DataZone,
        Standard,
        "2.75",
        "1.375",
        "11",
    ),
    (
        "eastus2",
        "gpt-4o-2024-08-06",
        Regional,
        Standard,
        "2.75",
        "1.375",
        "11",
    ),
    ("eastus2", "gpt-4o-2024-08-06", Global, Batch, "1.25", "-", "5"),
    ("eastus2", "gpt-4o-2024-08-06", DataZone, Batch, "1.375", "-", "5.5"),
    (
        "swedencentral",
        "gpt-4o-2024-08-06",
        Regional,
        Standard,
        "2.75",
        "1.513",
        "11",
    ),
    ("eastus2", "gpt-4o-2024-11-20", Global, Standard, "2.5", "1.25", "10"),
    (
        "eastus2",
        "gpt-4o-2024-11-20",
        DataZone,
        Standard,
        "2.75",
        "1.375",
        "11",
    ),
    (
        "eastus2",
        "gpt-4o-2024-11-20",
        Regional,
        Standard,
        "2.75",
        "1.375",
        "11",
    ),
    ("eastus2", "gpt-4o-2024-11-20", Global, Batch, "1.25", "-", "5"),
    (
        "swedencentral",
        "gpt-4o-2024-11-20",
        Global,
        Standard,
        "2.5",
        "1.25",
        "10",
    ),
    (
        "swedencentral",
        "gpt-4o-2024-11-20",
        Regional,
        Standard,
        "3.025",
        "1.513",
        "12.1",
    ),
    (
        "swedencentral",
        "gpt-4o-2024-11-20",
        DataZone,
        Batch,
        "1.375",
        "-",
        "5.5",
    ),
    (
        "eastus2",
        "gpt-4o-mini-2024-07-18",
        Global,
        Standard,
        "0.15",
        "0.075",
        "0.6",
    ),
    (
        "eastus2",
        "gpt-4o-mini-2024-07-18",
        DataZone,
        Standard,
        "0.165",
        "0.083",
        "0.66",
    ),
    (
        "eastus2",
        "gpt-4o-mini-2024-07-18",
        Regional,
        Standard,
        "0.165",
        "0.083",
        "0.66",
    ),
    ("eastus2", "gpt-4o-mini-2024-07-18", Global, Batch, "0.075", "-", "0.3"),
    (
        "eastus2",
        "gpt-4o-mini-2024-07-18",
        DataZone,
        Batch,
        "0.083",
        "-",
        "0.33",
    ),
    (
        "swedencentral",
        "gpt-4o-mini-2024-07-18",
        Regional,
        Standard,
        "0.165",
        "0.091",
        "0.66",
    ),
    ("eastus2", "o1-2024-12-17", Global, Standard, "15", "7.5", "60"),
    ("eastus2", "o1-2024-12-17", DataZone, Standard, "16.5", "8.25", "66"),
    ("eastus2", "o1-2024-12-17", Regional, Standard, "16.5", "8.25", "66"),
    ("eastus2", "o1-2024-12-17", Global, Batch, "7.5", "-", "30"),
    (
        "swedencentral",
        "o1-2024-12-17",
        Regional,
        Standard,
        "18.15",
        "9.075",
        "72.6",
    ),
    ("eastus2", "o3-mini-2025-01-31", Global, Standard, "1.1", "0.55", "4.4"),
    (
        "eastus2",
        "o3-mini-2025-01-31",
        DataZone,
        Standard,
        "1.21",
        "0.605",
        "4.84",
    ),
    (
        "eastus2",
        "o3-mini-2025-01-31",
        Regional,
        Standard,
        "1.21",
        "0.605",
        "4.84",
    ),
    ("eastus2", "o3-mini-2025-01-31", DataZone, Batch, "0.605", "-", "2.42"),
    (
        "swedencentral",
        "o3-mini-2025-01-31",
        Regional,
        Standard,
        "1.331",
        "0.666",
        "5.324",
    ),
    ("eastus2", "o4-mini-2025-04-16", Global, Standard, "1.1", "0.275", "4.4"),
    (
        "eastus2",
        "o4-mini-2025-04-16",
        DataZone,
        Standard,
        "1.21",
        "0.303",
        "4.84",
    ),
    (
        "eastus2",
        "o4-mini-2025-04-16",
        Regional,
        Standard,
        "1.21",
        "0.303",
        "4.84",
    ),
    ("eastus2", "o4-mini-2025-04-16", Global, Batch, "0.55", "-", "2.2"),
    (
        "swedencentral",
        "o4-mini-2025-04-16",
        Regional,
        Standard,
        "1.331",
        "0.333",
        "5.324",
    ),
    ("eastus2", "gpt-4.1", Global, Standard, "2", "0.5", "8"),
    ("eastus2", "gpt-4.1", DataZone, Standard, "2.2", "0.55", "8.8"),
    ("eastus2", "gpt-4.1", Regional, Standard, "2.2", "0.55", "8.8"),
    ("eastus2", "gpt-4.1", Global, Batch, "1", "-", "4"),
    ("swedencentral", "gpt-4.1", Regional, Standard, "2.42", "0.605", "9.68"),
    ("eastus2", "gpt-4.1-mini", Global, Standard, "0.4", "0.1", "1.6"),
    ("eastus2", "gpt-4.1-mini", DataZone, Standard, "0.44", "0.11", "1.76"),
    ("eastus2", "gpt-4.1-mini", Regional, Standard, "0.44", "0.11", "1.76"),
    ("eastus2", "gpt-4.1-mini", DataZone, Batch, "0.22", "-", "0.88"),
    (
        "swedencentral",
        "gpt-4.1-mini",
        Regional,
        Standard,
        "0.484",
        "0.121",
        "1.936",
    ),
    ("eastus2", "gpt-4.1-nano", Global, Standard, "0.1", "0.025", "0.4"),
    ("eastus2", "gpt-4.1-nano", DataZone, Standard, "0.11", "0.028", "0.44"),
    ("eastus2", "gpt-4.1-nano", Regional, Standard, "0.11", "0.028", "0.44"),
    ("eastus2", "gpt-4.1-nano", Global, Batch, "0.05", "-", "0.2"),
    (
        "swedencentral",
        "gpt-4.1-nano",
        Regional,
        Standard,
        "0.121",
        "0.031",
        "0.484",
    ),
    ("eastus2", "gpt-5", Global, Standard, "1.25", "0.125", "10"),
    ("eastus2", "gpt-5", DataZone, Standard, "1.375", "0.1375", "11"),
    ("eastus2", "gpt-5", Global, Batch, "0.625", "0.0625", "5"),
    ("swedencentral", "gpt-5", DataZone, Batch, "0.6875", "0.06875", "5.5"),
    ("eastus2", "gpt-5-mini", Global, Standard, "0.25", "0.025", "2"),
    ("eastus2", "gpt-5-mini", DataZone, Standard, "0.275", "0.0275", "2.2"),
    ("swedencentral", "gpt-5-mini", Global, Batch, "0.125", "0.0125", "1"),
    ("eastus2", "gpt-5-nano", Global, Standard, "0.05", "0.005", "0.4"),
    ("eastus2", "gpt-5-nano", DataZone, Standard, "0.055", "0.0055", "0.44"),
    (
        "swedencentral",
        "gpt-5-nano",
        DataZone,
        Batch,
        "0.0275",
        "0.00275",
        "0.22",
    ),
    ("eastus2", "gpt-5-pro", Global, Standard, "15", "-", "120"),
    ("eastus2", "gpt-5-pro", DataZone, Standard, "16.5", "-", "132"),
    ("swedencentral", "gpt-5-pro", Global, Batch, "7.5", "-", "60"),
];

#[test]
fn key_model_prices_match_retail_rows() {
    let catalog = catalog();
    let mut failures = Vec::new();
    for (region, model, deployment_type, tier, input, cached, output) in TABLE {
        let query = PriceQuery {
            model: ModelKey::parse(model),
            deployment_type: *deployment_type,
            tier: *tier,
            region: (*region).to_owned(),
            currency: Currency::USD,
            at: at("2026-08-15T12:00:00Z"),
            context_band: None,
        };
        let label = format!("{region} {model} {deployment_type} {tier}");
        let quote = match catalog.price(&query) {
            Ok(quote) => quote,
            Err(error) => {
                failures.push(format!("{label}: {error}"));
                continue;
            }
        };
        let text = |kind| {
            quote
                .prices
                .get(&kind)
                .map_or("-".to_owned(), |price| price.normalize().to_string())
        };
        let found = (
            text(TokenKind::Input),
            text(TokenKind::CachedInput),
            text(TokenKind::Output),
        );
        let expected = ((*input).to_owned(), (*cached).to_owned(), (*output).to_owned());
        if found != expected {
            failures.push(format!(
                "{label}: expected {expected:?}, found {found:?} from {:?}",
                quote.meters
            ));
        }
    }
    println!("checked {} price keys", TABLE.len());
    assert!(
        failures.is_empty(),
        "{} of {} keys wrong:\n{}",
        failures.len(),
        TABLE.len(),
        failures.join("\n")
    );
}

#[test]
fn price_in_force_follows_history() {
    let catalog = catalog();
    let query = |time: &str| PriceQuery {
        model: ModelKey::parse("gpt-4o-2024-05-13"),
        deployment_type: Regional,
        tier: Standard,
        region: "eastus2".to_owned(),
        currency: Currency::USD,
        at: at(time),
        context_band: None,
    };
    // The 2025-08-25 data lists 0.005 / 0.015 per 1K from 2024-06-01; the 2026-08-15 data
    // lists 0.0055 / 0.0165 per 1K from 2025-09-01.
    let before = catalog
        .price(&query("2025-06-15T00:00:00Z"))
        .expect("priced before the change");
    assert_eq!(before.prices[&TokenKind::Input].to_string(), "5");
    assert_eq!(before.prices[&TokenKind::Output].to_string(), "15");
    assert_eq!(before.effective_from, at("2024-06-01T00:00:00Z"));

    let after = catalog
        .price(&query("2025-09-01T00:00:00Z"))
        .expect("priced after the change");
    assert_eq!(after.prices[&TokenKind::Input].to_string(), "5.5");
    assert_eq!(after.prices[&TokenKind::Output].to_string(), "16.5");
    assert_eq!(after.effective_from, at("2025-09-01T00:00:00Z"));

    let error = catalog.price(&query("2023-01-01T00:00:00Z")).unwrap_err().to_string();
    assert!(error.contains("earliest price starts at 2024-06-01"), "{error}");

    // The quote before the change holds for its whole validity span, and the change ends it.
    assert!(before.valid_from <= at("2025-06-15T00:00:00Z"));
    let until = before.valid_until.expect("a later change is known");
    assert!(until <= at("2025-09-01T00:00:00Z"), "{until}");
    for time in [before.valid_from, until - chrono::Duration::nanoseconds(1)] {
        let same = catalog.price(&query(&time.to_rfc3339())).expect("priced in the span");
        assert_eq!(same.prices, before.prices, "at {time}");
    }
    assert_eq!(after.valid_from, at("2025-09-01T00:00:00Z"));
}

#[test]
fn price_dropped_from_newer_data_ends() {
    let catalog = catalog();
    // o3-pro Data Zone is listed in eastus2 on 2025-08-25 but not on 2026-08-15.
    let query = |time: &str| PriceQuery {
        model: ModelKey::parse("o3-pro"),
        deployment_type: DataZone,
        tier: Standard,
        region: "eastus2".to_owned(),
        currency: Currency::USD,
        at: at(time),
        context_band: None,
    };
    assert!(catalog.price(&query("2025-08-25T00:00:00Z")).is_ok());
    assert!(catalog.price(&query("2026-08-15T00:00:00Z")).is_err());
}
