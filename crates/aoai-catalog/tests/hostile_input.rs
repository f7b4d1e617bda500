//! Generated input to the catalog's parsers: meter names built from the words of real ones,
//! Retail Prices pages with changed values, and pricing pages with bytes cut, repeated or
//! replaced. Each parser returns a value or an error; none panics.

use aoai_catalog::Catalog;
use aoai_catalog::retail::{RetailItem, parse_items};
use proptest::prelude::*;

const REGION: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/retail-prices/foundry_models_eastus2_2026-08-15.json"
);
const PAGE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/pricing-page/current_per_1m.html"
);

fn real_items() -> &'static [RetailItem] {
    static ITEMS: std::sync::OnceLock<Vec<RetailItem>> = std::sync::OnceLock::new();
    ITEMS.get_or_init(|| parse_items(&std::fs::read_to_string(REGION).expect("fixture")).expect("rows"))
}

fn page_text() -> &'static str {
    static PAGE_TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PAGE_TEXT.get_or_init(|| std::fs::read_to_string(PAGE).expect("fixture"))
}

fn region_text() -> &'static str {
    static REGION_TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    REGION_TEXT.get_or_init(|| std::fs::read_to_string(REGION).expect("fixture"))
}

/// Returns the words of the real meter names, product names and units, to build new ones from.
fn vocabulary() -> Vec<String> {
    let mut words: Vec<String> = real_items()
        .iter()
        .flat_map(|item| {
            [
                &item.meter_name,
                &item.product_name,
                &item.sku_name,
                &item.unit_of_measure,
            ]
            .into_iter()
            .flat_map(|text| text.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
            .collect::<Vec<_>>()
        })
        .collect();
    words.extend(
        [
            "", "-", "1K", "1M", "0", "Tokens", "inp", "outp", "cchd", "glbl", "DZ", "Batch",
        ]
        .map(str::to_owned),
    );
    words.sort();
    words.dedup();
    words
}

fn phrase(words: &[String]) -> impl Strategy<Value = String> + use<> {
    let words = words.to_vec();
    proptest::collection::vec(proptest::sample::select(words), 0..8).prop_map(|parts| parts.join(" "))
}

proptest! {
    #![proptest_config(cases(1000))]

    #[test]
    fn any_meter_name_is_classified_or_refused(
        meter in phrase(&vocabulary()),
        product in phrase(&vocabulary()),
        sku in phrase(&vocabulary()),
        unit in prop_oneof![Just("1K".to_owned()), Just("1M".to_owned()), Just("1".to_owned()), "[0-9A-Za-z /]{0,8}"],
        index in 0usize..1000,
    ) {
        let items = real_items();
        let mut item = items[index % items.len()].clone();
        item.meter_name = meter;
        item.product_name = product;
        item.sku_name = sku;
        item.unit_of_measure = unit;
        let _ = aoai_catalog::normalize::classify(&item);
        let catalog = Catalog::build([(item.effective_start_date, vec![item])]);
        prop_assert!(catalog.entries().len() + catalog.rejected().len() <= 1);
    }
}

proptest! {
    #![proptest_config(cases(128))]

    #[test]
    fn pricing_page_damaged_no_panic(
        cuts in proptest::collection::vec((0usize..10_000, 0usize..400, "[<>\"=/a-z0-9 .$:-]{0,12}"), 1..6),
    ) {
        let mut page = page_text().as_bytes().to_vec();
        for (at, length, replacement) in cuts {
            let start = page.len() * at / 10_000;
            let end = (start + length).min(page.len());
            page.splice(start..end, replacement.bytes());
        }
        let text = String::from_utf8_lossy(&page);
        if let Ok(prices) = aoai_catalog::page::parse_page(&text) {
            prop_assert!(prices.iter().all(|price| price.price_per_million >= rust_decimal::Decimal::ZERO));
        }
    }

    #[test]
    fn retail_page_damaged_no_panic(
        changes in proptest::collection::vec((0usize..10_000, "[\\[\\]{}\",:0-9a-zA-Z.eE+-]{0,6}"), 1..4),
    ) {
        let mut bytes = region_text().as_bytes().to_vec();
        for (at, replacement) in changes {
            let start = bytes.len() * at / 10_000;
            let end = (start + replacement.len()).min(bytes.len());
            bytes.splice(start..end, replacement.bytes());
        }
        let text = String::from_utf8_lossy(&bytes);
        if let Ok(items) = parse_items(&text) {
            let fetched = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
            let _ = Catalog::build([(fetched, items)]);
        }
    }
}

/// Returns the number of generated cases: `default`, or `PROPTEST_CASES` for a longer run.
fn cases(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default);
    ProptestConfig::with_cases(cases)
}
