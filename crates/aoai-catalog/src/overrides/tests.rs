use std::str::FromStr;

use aoai_core::{CostBreakdown, ModelKey, TokenUsage};
use chrono::{DateTime, Utc};

use super::*;
use crate::catalog::PriceQuery;
use crate::snapshot::bundled_catalog;

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).expect("decimal literal")
}

/// gpt-4.1 2025-04-14 Global standard in eastus2: 2 / 0.5 / 8 USD per 1M tokens.
fn gpt41_quote() -> PriceQuote {
    let catalog = bundled_catalog().expect("bundled catalog");
    catalog
        .price(&PriceQuery {
            model: ModelKey::parse("gpt-4.1-2025-04-14"),
            deployment_type: DeploymentType::Global,
            tier: Tier::Standard,
            region: "eastus2".to_owned(),
            currency: Currency::USD,
            at: DateTime::parse_from_rfc3339("2026-08-01T00:00:00Z")
                .expect("time")
                .with_timezone(&Utc),
            context_band: None,
        })
        .expect("gpt-4.1 is priced")
}

/// 1,000,000 input tokens of which 400,000 cached, and 200,000 output tokens.
fn usage() -> TokenUsage {
    TokenUsage {
        input: 1_000_000,
        cached_input: 400_000,
        output: 200_000,
        reasoning: 0,
    }
}

fn cost(overrides: &Overrides) -> CostBreakdown {
    let effective = overrides.apply(&gpt41_quote());
    CostBreakdown::compute(&usage(), &effective.text_prices()).expect("cost")
}

#[test]
fn list_prices_apply_without_rules() {
    let quote = gpt41_quote();
    assert_eq!(quote.text_prices().input, Some(dec("2")));
    assert_eq!(quote.text_prices().cached_input, Some(dec("0.5")));
    assert_eq!(quote.text_prices().output, Some(dec("8")));
    let cost = cost(&Overrides::default());
    assert_eq!(
        (cost.input, cost.cached_input, cost.output, cost.total),
        (dec("1.2"), dec("0.2"), dec("1.6"), dec("3.0"))
    );
}

#[test]
fn percentage_discount_reduces_every_token_kind() {
    let overrides = Overrides::parse("[[discount]]\npercent = 10\n").expect("valid");
    let cost = cost(&overrides);
    // 600,000 × 1.8 + 400,000 × 0.45 + 200,000 × 7.2, per 1M.
    assert_eq!(
        (cost.input, cost.cached_input, cost.output, cost.total),
        (dec("1.08"), dec("0.18"), dec("1.44"), dec("2.70"))
    );
}

#[test]
fn input_price_keeps_other_kinds_discounted() {
    let overrides = Overrides::parse(
        r#"
[[discount]]
percent = "10"

[[price]]
model = "gpt-4.1"
currency = "USD"
input = "1.60"
"#,
    )
    .expect("valid");
    let effective = overrides.apply(&gpt41_quote());
    assert_eq!(effective.prices[&TokenKind::Input].price, dec("1.60"));
    assert_eq!(effective.prices[&TokenKind::Input].list, dec("2"));
    assert_eq!(effective.prices[&TokenKind::CachedInput].price, dec("0.45"));
    assert_eq!(effective.prices[&TokenKind::Output].price, dec("7.2"));
    let cost = cost(&overrides);
    // 600,000 × 1.60 + 400,000 × 0.45 + 200,000 × 7.2, per 1M; cached input is never charged at 1.60.
    assert_eq!(
        (cost.input, cost.cached_input, cost.output, cost.total),
        (dec("0.96"), dec("0.18"), dec("1.44"), dec("2.58"))
    );
}

#[test]
fn absolute_prices_without_discount() {
    let overrides = Overrides::parse(
        r#"
[[price]]
model = "gpt-4.1"
deployment_type = "global"
currency = "USD"
input = 1.6
cached_input = 0.4
output = 6.4
"#,
    )
    .expect("valid");
    let cost = cost(&overrides);
    assert_eq!(
        (cost.input, cost.cached_input, cost.output, cost.total),
        (dec("0.96"), dec("0.16"), dec("1.28"), dec("2.40"))
    );
}

#[test]
fn specific_rule_wins() {
    let overrides = Overrides::parse(
        r#"
[[discount]]
percent = 5
[[discount]]
model = "gpt-4.1"
percent = 20
[[discount]]
model = "gpt-4.1"
tier = "batch"
percent = 50
"#,
    )
    .expect("valid");
    let effective = overrides.apply(&gpt41_quote());
    assert_eq!(effective.prices[&TokenKind::Input].price, dec("1.6"));
    assert_eq!(
        effective.prices[&TokenKind::Input].applied,
        Some(Applied::Discount {
            number: 2,
            scope: "model=gpt-4.1".to_owned(),
            percent: dec("20"),
        })
    );
    let mut other = gpt41_quote();
    other.model = "gpt-4o".to_owned();
    let effective = overrides.apply(&other);
    assert_eq!(effective.prices[&TokenKind::Output].price, dec("7.6"));
}

#[test]
fn price_rule_applies_in_its_currency() {
    let overrides = Overrides::parse(
        "[[discount]]\npercent = 10\n\n[[price]]\nmodel = \"gpt-4.1\"\ncurrency = \"EUR\"\ninput = \"1.5\"\n\n\
         [[price]]\nmodel = \"gpt-4.1\"\ncurrency = \"USD\"\ninput = \"1.7\"\n",
    )
    .expect("one rule per currency is not an overlap");
    let effective = overrides.apply(&gpt41_quote());
    assert_eq!(effective.prices[&TokenKind::Input].price, dec("1.7"));
    let mut euro = gpt41_quote();
    euro.currency = "EUR".parse().expect("code");
    assert_eq!(overrides.apply(&euro).prices[&TokenKind::Input].price, dec("1.5"));
    let mut pound = gpt41_quote();
    pound.currency = "GBP".parse().expect("code");
    // No rule in GBP: the discount applies to the list price.
    assert_eq!(overrides.apply(&pound).prices[&TokenKind::Input].price, dec("1.8"));
}

#[test]
fn amounts_read_exactly() {
    let exact = Overrides::parse("[[discount]]\npercent = 12.5\n").expect("valid");
    assert_eq!(exact.apply(&gpt41_quote()).prices[&TokenKind::Input].price, dec("1.75"));
    for (text, expected) in [
        ("[[discount]]\npercent = 33.333333333333333\n", "write it as a string"),
        (
            "[[price]]\nmodel = \"gpt-4o\"\ncurrency = \"USD\"\noutput = \"0.00000000000000000000000000000001\"\n",
            "at most 28 decimal places",
        ),
        (
            "[[price]]\nmodel = \"gpt-4o\"\ncurrency = \"USD\"\noutput = 1e-30\n",
            "at most 28 decimal places",
        ),
    ] {
        let error = Overrides::parse(text).expect_err(text).to_string();
        assert!(error.contains(expected), "{text}: {error}");
    }
    let digits =
        Overrides::parse("[[discount]]\npercent = \"33.333333333333333\"\n").expect("a string keeps every digit");
    assert_eq!(digits.rule_count(), 1);
}

#[test]
fn overlapping_rules_of_equal_specificity_are_refused() {
    let text = "[[discount]]\nmodel = \"gpt-4o\"\npercent = 10\n[[discount]]\ntier = \"batch\"\npercent = 30\n";
    let error = Overrides::parse(text).expect_err("ambiguous for gpt-4o batch");
    assert!(
        matches!(&error, OverridesError::Overlap { first, second }
            if first == "discount 1 (model=gpt-4o)" && second == "discount 2 (tier=batch)"),
        "{error}"
    );
    let resolved = format!("{text}[[discount]]\nmodel = \"gpt-4o\"\ntier = \"batch\"\npercent = 35\n");
    assert!(Overrides::parse(&resolved).is_ok());
    // Rules that cannot meet (two different models) do not overlap.
    assert!(
        Overrides::parse("[[discount]]\nmodel = \"a\"\npercent = 1\n[[discount]]\nmodel = \"b\"\npercent = 2\n")
            .is_ok()
    );
}

#[test]
fn invalid_files_name_the_rule_and_field() {
    let cases = [
        (
            "[[discount]]\npercent = 120\n",
            "discount 1: percent 120 is outside 0 to 100",
        ),
        (
            "[[discount]]\nmodel = \"gpt-4o\"\n",
            "discount 1: field 'percent' is required",
        ),
        (
            "[[discount]]\npercent = 5\nmodle = \"gpt-4o\"\n",
            "discount 1: unknown field 'modle'",
        ),
        (
            "[[price]]\nmodel = \"gpt-4o\"\ninput = \"1\"\n",
            "price 1: field 'currency' is required",
        ),
        (
            "[[price]]\ncurrency = \"USD\"\ninput = \"1\"\n",
            "price 1: field 'model' is required",
        ),
        (
            "[[price]]\nmodel = \"gpt-4o\"\ncurrency = \"USD\"\nimput = \"1\"\n",
            "price 1: unknown field 'imput'",
        ),
        (
            "[[price]]\nmodel = \"gpt-4o\"\ncurrency = \"USD\"\ninput = \"cheap\"\n",
            "field 'input' = \"cheap\" is not a decimal",
        ),
        (
            "[[price]]\nmodel = \"gpt-4o\"\ncurrency = \"USD\"\ninput = \"-1\"\n",
            "input = -1 is negative",
        ),
        (
            "[[discount]]\npercent = 5\ndeployment_type = \"GlobalBatch\"\n",
            "deployment_type 'GlobalBatch' is not one of",
        ),
        (
            "[[discount]]\npercent = 5\nmodel = \"gpt-4o-2024-11-20\"\n",
            "includes a version",
        ),
        (
            "[[discount]]\npercent = 5\nversion = \"2024-11-20\"\n",
            "field 'version' needs a 'model'",
        ),
        (
            "[[discount]]\npercent = 5\nregion = \"East US\"\n",
            "region 'East US' is not an ARM region",
        ),
        ("discount = 5\n", "write each rule as a [[discount]] table"),
        ("[rates]\n", "top-level key 'rates'"),
        ("[[discount]\n", "not valid TOML"),
    ];
    for (text, expected) in cases {
        let error = Overrides::parse(text).expect_err(text).to_string();
        assert!(error.contains(expected), "{text:?}: {error}");
    }
}

#[test]
fn missing_file_names_the_path() {
    let error = Overrides::from_file(std::path::Path::new("/nonexistent/overrides.toml")).expect_err("absent");
    assert!(error.to_string().contains("/nonexistent/overrides.toml"), "{error}");
}

#[test]
fn example_file_reads() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/price-overrides.toml");
    let overrides = Overrides::from_file(&path).expect("the example is valid");
    assert_eq!(overrides.rule_count(), 3);
    let effective = overrides.apply(&gpt41_quote());
    assert_eq!(effective.prices[&TokenKind::Input].price, dec("1.60"));
    // 0.5 and 8 less 8%.
    assert_eq!(effective.prices[&TokenKind::CachedInput].price, dec("0.46"));
    assert_eq!(effective.prices[&TokenKind::Output].price, dec("7.36"));
}
