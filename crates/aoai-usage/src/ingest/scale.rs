//! Scaling of sampled telemetry: an item kept at a sample rate of 25% stands for four.

use aoai_core::TokenUsage;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// The factor 100 / sample rate, applied to counts and rounded to whole tokens.
#[derive(Debug, Clone, Copy)]
pub struct Scaled {
    factor: Decimal,
}

impl Scaled {
    pub fn new(sample_rate: Decimal) -> Scaled {
        Scaled {
            factor: Decimal::ONE_HUNDRED / sample_rate,
        }
    }

    /// True when the item stands for more than itself.
    pub fn is_estimated(&self) -> bool {
        self.factor != Decimal::ONE
    }

    /// Scales a count, rounding half to even.
    pub fn count(&self, count: u64) -> Option<u64> {
        if !self.is_estimated() {
            return Some(count);
        }
        Decimal::from(count).checked_mul(self.factor)?.round().to_u64()
    }

    pub fn requests(&self, requests: u64) -> u64 {
        self.count(requests).unwrap_or(u64::MAX)
    }

    /// Scales every count of `usage`. Cached and reasoning tokens are scaled the same way
    /// as their totals, so they never exceed them after rounding.
    pub fn usage(&self, usage: TokenUsage) -> Result<TokenUsage, String> {
        let scale = |count: u64| {
            self.count(count)
                .ok_or_else(|| format!("{count} tokens scaled by {} overflow", self.factor))
        };
        Ok(TokenUsage {
            input: scale(usage.input)?,
            cached_input: scale(usage.cached_input)?,
            output: scale(usage.output)?,
            reasoning: scale(usage.reasoning)?,
        })
    }
}
