//! Classification coverage over every real Retail Prices fixture.

use std::collections::BTreeMap;
use std::path::PathBuf;

use aoai_catalog::normalize::{MeterClass, classify};
use aoai_catalog::retail::{RetailItem, parse_items};

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/retail-prices")
}

fn load(name: &str) -> Vec<RetailItem> {
    let text = std::fs::read_to_string(fixture_dir().join(name)).expect("fixture readable");
    parse_items(&text).expect("fixture parses")
}

const FIXTURES: &[&str] = &[
    "foundry_models_eastus2_2026-08-15.json",
    "foundry_models_swedencentral_2026-08-15.json",
    "foundry_models_westeurope_2026-08-15.json",
    "cognitive_services_azure_openai_all_regions_2025-08-25.ndjson",
];

fn is_token_priced(item: &RetailItem) -> bool {
    item.meter_name.ends_with("Tokens") && matches!(item.unit_of_measure.as_str(), "1K" | "1M")
}

#[test]
fn token_rows_are_at_least_99_percent_classified() {
    let mut total = 0usize;
    let mut classified = 0usize;
    let mut reasons: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for name in FIXTURES {
        let items: Vec<RetailItem> = load(name).into_iter().filter(RetailItem::is_azure_openai).collect();
        let mut file_total = 0usize;
        let mut file_classified = 0usize;
        for item in items.iter().filter(|item| is_token_priced(item)) {
            file_total += 1;
            match classify(item) {
                Ok(MeterClass::Token(_) | MeterClass::NonInference { .. }) => file_classified += 1,
                Ok(other) => {
                    reasons
                        .entry(format!("not a token class: {other:?}"))
                        .or_default()
                        .push(item.meter_name.clone());
                }
                Err(reason) => reasons.entry(reason).or_default().push(item.meter_name.clone()),
            }
        }
        println!("{name}: {file_classified} of {file_total} token-priced Azure OpenAI rows classified");
        total += file_total;
        classified += file_classified;
    }
    for (reason, meters) in &reasons {
        let mut unique = meters.clone();
        unique.sort();
        unique.dedup();
        println!(
            "rejected {} ({} rows): {reason}: {:?}",
            unique.len(),
            meters.len(),
            &unique[..unique.len().min(6)]
        );
    }
    let share = classified as f64 / total as f64 * 100.0;
    println!("all fixtures: {classified} of {total} token-priced rows classified ({share:.2}%)");
    assert!(total > 10_000, "expected every fixture row to be read, got {total}");
    assert!(
        classified * 100 >= total * 99,
        "only {classified} of {total} token-priced rows classified"
    );
}

/// Two meters of one file that classify to the same key would mean one of them was
/// misread; the key must be unique per region.
#[test]
fn no_two_meters_share_a_key_in_one_region() {
    for name in FIXTURES {
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        let mut clashes = Vec::new();
        for item in load(name).iter().filter(|item| item.is_azure_openai()) {
            if let Ok(MeterClass::Token(meter)) = classify(item) {
                let key = format!(
                    "{} {} {:?} {:?} {:?} {:?} {:?}",
                    item.arm_region_name,
                    meter.model,
                    meter.deployment_type,
                    meter.tier,
                    meter.kind,
                    meter.context_band,
                    item.effective_start_date
                );
                if std::env::var("DUMP_METERS").is_ok() && item.arm_region_name == "eastus2" {
                    println!("{:50} => {key} {}", item.meter_name, meter.price_per_million);
                }
                // Two differently priced unversioned gpt-35-turbo 16K batch meters
                // ("gpt-35-trb16K-Batch" and "gpt-35-turbo16K-Batch") exist in the 2025 data;
                // their words cannot tell them apart, so the catalog rejects both.
                let known_ambiguous = meter.model.name == "gpt-35-turbo-16k" && meter.tier == aoai_core::Tier::Batch;
                if let Some(previous) = seen.insert(key.clone(), item.meter_name.clone())
                    && !known_ambiguous
                {
                    clashes.push(format!("{key}: '{previous}' and '{}'", item.meter_name));
                }
            }
        }
        assert!(clashes.is_empty(), "{name}: {clashes:#?}");
    }
}
