use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::{PER_TOKENS, Price, TokenKind};

/// Token counts of one call or a sum of calls, in the Azure OpenAI convention:
/// `input` includes `cached_input`, and `output` includes `reasoning`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenUsage {
    pub input: u64,
    pub cached_input: u64,
    pub output: u64,
    pub reasoning: u64,
}

/// A usage whose counts contradict each other.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsageError {
    #[error("cached input tokens ({cached}) exceed input tokens ({input}); input must include cached tokens")]
    CachedExceedsInput { cached: u64, input: u64 },
    #[error("reasoning tokens ({reasoning}) exceed output tokens ({output}); output must include reasoning tokens")]
    ReasoningExceedsOutput { reasoning: u64, output: u64 },
}

impl UsageError {
    /// Returns a short machine-readable reason, used as a key in data-quality counts.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::CachedExceedsInput { .. } => "cached_exceeds_input",
            Self::ReasoningExceedsOutput { .. } => "reasoning_exceeds_output",
        }
    }
}

impl TokenUsage {
    /// Checks that cached tokens are part of input and reasoning tokens part of output.
    pub fn validate(&self) -> Result<(), UsageError> {
        if self.cached_input > self.input {
            return Err(UsageError::CachedExceedsInput {
                cached: self.cached_input,
                input: self.input,
            });
        }
        if self.reasoning > self.output {
            return Err(UsageError::ReasoningExceedsOutput {
                reasoning: self.reasoning,
                output: self.output,
            });
        }
        Ok(())
    }

    /// Input tokens that were not read from the prompt cache.
    pub fn uncached_input(&self) -> u64 {
        self.input.saturating_sub(self.cached_input)
    }
}

/// The text-token prices of one price key, each per [`PER_TOKENS`] tokens;
/// `None` where Azure has no meter for that kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TextPrices {
    pub input: Option<Price>,
    pub cached_input: Option<Price>,
    pub output: Option<Price>,
}

/// The cost of a usage split by token kind; `total` is the exact sum of the parts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CostBreakdown {
    pub input: Decimal,
    pub cached_input: Decimal,
    pub output: Decimal,
    pub total: Decimal,
}

/// A usage that cannot be priced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CostError {
    #[error(transparent)]
    Usage(#[from] UsageError),
    /// Tokens of this kind were used but the key has no price for it. Cached tokens are
    /// never charged at the input price instead.
    #[error("no {0} price for this model and deployment")]
    MissingPrice(TokenKind),
    /// The exact cost needs more than the 28 significant digits of a decimal, so it would
    /// have to be rounded; it is refused instead.
    #[error("the exact cost needs more digits than a decimal holds")]
    Overflow,
}

impl CostBreakdown {
    /// Computes the exact cost of `usage` at `prices`:
    /// (input − cached) × input price + cached × cached-input price + output × output price,
    /// each per [`PER_TOKENS`] tokens. Reasoning tokens are part of output and are not
    /// charged again. Nothing is rounded.
    pub fn compute(usage: &TokenUsage, prices: &TextPrices) -> Result<CostBreakdown, CostError> {
        usage.validate()?;
        let input = charge(usage.uncached_input(), prices.input, TokenKind::Input)?;
        let cached_input = charge(usage.cached_input, prices.cached_input, TokenKind::CachedInput)?;
        let output = charge(usage.output, prices.output, TokenKind::Output)?;
        let total = exact_sum(exact_sum(input, cached_input)?, output)?;
        Ok(CostBreakdown {
            input: input.normalize(),
            cached_input: cached_input.normalize(),
            output: output.normalize(),
            total: total.normalize(),
        })
    }
}

fn exact_sum(a: Decimal, b: Decimal) -> Result<Decimal, CostError> {
    exact_add(a, b).ok_or(CostError::Overflow)
}

/// Adds two amounts, or returns `None` where a decimal would round the sum or overflow.
pub fn exact_add(a: Decimal, b: Decimal) -> Option<Decimal> {
    let sum = a.checked_add(b)?;
    // A sum keeps the larger scale of its terms unless its digits overflow and it is rounded.
    (sum.scale() >= a.scale().max(b.scale())).then_some(sum)
}

/// The number of zeros of [`PER_TOKENS`].
const PER_TOKENS_DIGITS: u32 = 6;
const _: () = assert!(10u64.pow(PER_TOKENS_DIGITS) == PER_TOKENS);
/// The largest scale of a decimal.
const MAX_SCALE: u32 = 28;

fn charge(tokens: u64, price: Option<Price>, kind: TokenKind) -> Result<Decimal, CostError> {
    if tokens == 0 {
        return Ok(Decimal::ZERO);
    }
    let price = price.ok_or(CostError::MissingPrice(kind))?;
    // A decimal rounds a product that needs more than 28 digits and lowers its scale. So a
    // product that kept the price's scale is exact.
    let product = Decimal::from(tokens).checked_mul(price).ok_or(CostError::Overflow)?;
    if product.scale() != price.scale() {
        return Err(CostError::Overflow);
    }
    // Dividing by 10^6 only moves the decimal point, so the cost is the product's digits at a
    // scale 6 higher, which is exact whenever that scale fits.
    let product = if product.scale() + PER_TOKENS_DIGITS > MAX_SCALE {
        product.normalize()
    } else {
        product
    };
    Decimal::try_from_i128_with_scale(product.mantissa(), product.scale() + PER_TOKENS_DIGITS)
        .map_err(|_| CostError::Overflow)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn price(text: &str) -> Option<Price> {
        Some(Decimal::from_str(text).expect("decimal"))
    }

    fn gpt4o_global() -> TextPrices {
        TextPrices {
            input: price("2.5"),
            cached_input: price("1.25"),
            output: price("10"),
        }
    }

    #[test]
    fn cached_tokens_use_cached_price() {
        let usage = TokenUsage {
            input: 2006,
            cached_input: 1920,
            output: 300,
            reasoning: 0,
        };
        let cost = CostBreakdown::compute(&usage, &gpt4o_global()).expect("priced");
        assert_eq!(cost.total.to_string(), "0.005615");
        assert_eq!(cost.input.to_string(), "0.000215");
        assert_eq!(cost.cached_input.to_string(), "0.0024");
        assert_eq!(cost.output.to_string(), "0.003");
    }

    #[test]
    fn reasoning_is_not_charged_twice() {
        let prices = TextPrices {
            input: price("1.1"),
            cached_input: price("0.275"),
            output: price("4.4"),
        };
        let usage = TokenUsage {
            input: 2008,
            cached_input: 0,
            output: 266,
            reasoning: 261,
        };
        let cost = CostBreakdown::compute(&usage, &prices).expect("priced");
        assert_eq!(cost.total.to_string(), "0.0033792");
    }

    #[test]
    fn impossible_counts_are_rejected() {
        let cached = TokenUsage {
            input: 7,
            cached_input: 20646,
            output: 123,
            reasoning: 0,
        };
        let error = CostBreakdown::compute(&cached, &gpt4o_global()).unwrap_err();
        assert_eq!(
            error,
            CostError::Usage(UsageError::CachedExceedsInput {
                cached: 20646,
                input: 7
            })
        );

        let reasoning = TokenUsage {
            input: 10,
            cached_input: 0,
            output: 5,
            reasoning: 6,
        };
        let error = CostBreakdown::compute(&reasoning, &gpt4o_global()).unwrap_err();
        assert_eq!(
            error,
            CostError::Usage(UsageError::ReasoningExceedsOutput {
                reasoning: 6,
                output: 5
            })
        );
    }

    #[test]
    fn missing_cached_price_is_an_error() {
        let prices = TextPrices {
            input: price("5"),
            cached_input: None,
            output: price("15"),
        };
        let usage = TokenUsage {
            input: 100,
            cached_input: 50,
            output: 0,
            reasoning: 0,
        };
        let error = CostBreakdown::compute(&usage, &prices).unwrap_err();
        assert_eq!(error, CostError::MissingPrice(TokenKind::CachedInput));
    }

    #[test]
    fn sums_are_exact_decimals() {
        let usage = TokenUsage {
            input: 646,
            ..TokenUsage::default()
        };
        let cost = CostBreakdown::compute(&usage, &gpt4o_global()).expect("priced");
        assert_eq!(cost.total.to_string(), "0.001615");

        let call = TokenUsage {
            input: 40_000,
            ..TokenUsage::default()
        };
        let mut total = Decimal::ZERO;
        for _ in 0..10 {
            total += CostBreakdown::compute(&call, &gpt4o_global()).expect("priced").total;
        }
        assert_eq!(total.normalize().to_string(), "1");
    }

    #[test]
    fn huge_counts_do_not_panic() {
        let usage = TokenUsage {
            input: u64::MAX,
            cached_input: 0,
            output: u64::MAX,
            reasoning: 0,
        };
        let prices = TextPrices {
            input: price("79228162514264337593543950335"),
            cached_input: None,
            output: price("1"),
        };
        assert_eq!(CostBreakdown::compute(&usage, &prices), Err(CostError::Overflow));
    }
}
