//! Properties of the cost rule on generated usages and prices. A cost is exact, never
//! negative, and the sum of its parts. It is linear in the token counts, which summing calls
//! before pricing relies on. It never falls when input or output tokens grow with the cached
//! count fixed.

use aoai_core::{CostBreakdown, CostError, TextPrices, TokenUsage};
use proptest::prelude::*;
use rust_decimal::Decimal;

/// The largest count a stored call may carry.
const MAX_TOKENS: u64 = i64::MAX as u64;

/// Prices as the catalogs hold them, converted ones included: non-negative, under 100,000
/// per million tokens, with up to 8 decimal places.
fn price() -> impl Strategy<Value = Decimal> {
    (0u32..=8).prop_flat_map(|scale| {
        (0..100_000 * 10i128.pow(scale)).prop_map(move |mantissa| Decimal::from_i128_with_scale(mantissa, scale))
    })
}

fn prices() -> impl Strategy<Value = TextPrices> {
    (price(), price(), price()).prop_map(|(input, cached, output)| TextPrices {
        input: Some(input),
        cached_input: Some(cached.min(input)),
        output: Some(output),
    })
}

/// Generates a valid usage: cached within input, reasoning within output.
fn usage(max: u64) -> impl Strategy<Value = TokenUsage> {
    (0..=max, 0..=max).prop_flat_map(|(input, output)| {
        (0..=input, 0..=output).prop_map(move |(cached_input, reasoning)| TokenUsage {
            input,
            cached_input,
            output,
            reasoning,
        })
    })
}

fn cost(usage: &TokenUsage, prices: &TextPrices) -> CostBreakdown {
    CostBreakdown::compute(usage, prices).expect("a valid usage with every price is priced")
}

proptest! {
    #![proptest_config(cases(2000))]

    #[test]
    fn cost_exact_and_sums_parts(usage in usage(10_000_000_000), prices in prices()) {
        let cost = cost(&usage, &prices);
        prop_assert!(cost.input >= Decimal::ZERO && cost.cached_input >= Decimal::ZERO && cost.output >= Decimal::ZERO);
        prop_assert_eq!(cost.total, cost.input + cost.cached_input + cost.output);
        let million = Decimal::from(1_000_000);
        let exact = |tokens: u64, price: Option<Decimal>| Decimal::from(tokens) * price.unwrap_or_default();
        prop_assert_eq!(cost.input * million, exact(usage.input - usage.cached_input, prices.input));
        prop_assert_eq!(cost.cached_input * million, exact(usage.cached_input, prices.cached_input));
        prop_assert_eq!(cost.output * million, exact(usage.output, prices.output));
    }

    #[test]
    fn cost_is_linear_in_the_counts(a in usage(1_000_000_000_000), b in usage(1_000_000_000_000), prices in prices()) {
        let sum = TokenUsage {
            input: a.input + b.input,
            cached_input: a.cached_input + b.cached_input,
            output: a.output + b.output,
            reasoning: a.reasoning + b.reasoning,
        };
        prop_assert_eq!(cost(&sum, &prices).total, cost(&a, &prices).total + cost(&b, &prices).total);
    }

    #[test]
    fn cost_never_falls_as_input_or_output_grows(
        usage in usage(1_000_000_000_000),
        more_input in 0u64..1_000_000_000,
        more_output in 0u64..1_000_000_000,
        prices in prices(),
    ) {
        let before = cost(&usage, &prices).total;
        let grown = TokenUsage { input: usage.input + more_input, output: usage.output + more_output, ..usage };
        prop_assert!(cost(&grown, &prices).total >= before);
    }

    #[test]
    fn cost_largest_counts_priced_or_rejected(usage in usage(MAX_TOKENS), prices in prices()) {
        match CostBreakdown::compute(&usage, &prices) {
            Ok(cost) => prop_assert!(cost.total >= Decimal::ZERO),
            Err(error) => prop_assert!(matches!(error, CostError::Overflow), "{error}"),
        }
    }

    #[test]
    fn impossible_counts_are_refused(input in 0u64..1_000_000, extra in 1u64..1_000, prices in prices()) {
        let usage = TokenUsage { input, cached_input: input + extra, output: 0, reasoning: 0 };
        prop_assert!(matches!(CostBreakdown::compute(&usage, &prices), Err(CostError::Usage(_))));
        let usage = TokenUsage { input: 0, cached_input: 0, output: input, reasoning: input + extra };
        prop_assert!(matches!(CostBreakdown::compute(&usage, &prices), Err(CostError::Usage(_))));
    }
}

#[test]
fn cost_that_would_round_rejected() {
    let price = |text: &str| Some(text.parse::<Decimal>().expect("decimal"));
    let prices = TextPrices {
        input: price("99999.99999999"),
        cached_input: price("0.5"),
        output: price("10"),
    };
    let usage = |input: u64| TokenUsage {
        input,
        cached_input: 0,
        output: 0,
        reasoning: 0,
    };
    // 2^63 - 1 tokens at that price need 32 significant digits.
    assert_eq!(
        CostBreakdown::compute(&usage(MAX_TOKENS), &prices),
        Err(CostError::Overflow)
    );
    let cost = CostBreakdown::compute(&usage(1_000_000_000_000), &prices).expect("13 digits fit");
    assert_eq!(cost.total.to_string(), "99999999999.99");
}

/// Returns the number of generated cases: `default`, or `PROPTEST_CASES` for a longer run.
fn cases(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default);
    ProptestConfig::with_cases(cases)
}
