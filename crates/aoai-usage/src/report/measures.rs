//! The sums of a group of calls.

use aoai_core::exact_add;
use rust_decimal::Decimal;
use serde::Serialize;

use super::resolve::ResolvedCall;

/// Token and request counts, and costs, of a set of calls.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Measures {
    pub requests: u128,
    pub input_tokens: u128,
    pub cached_input_tokens: u128,
    pub output_tokens: u128,
    pub reasoning_tokens: u128,
    pub cost: Decimal,
    pub cost_input: Decimal,
    pub cost_cached_input: Decimal,
    pub cost_output: Decimal,
    pub priced_requests: u128,
    pub unpriced_requests: u128,
    pub estimated: bool,
}

impl Measures {
    /// Adds a call. Returns false, and leaves the costs as they were, when a cost sum would
    /// need more digits than a decimal holds.
    #[must_use]
    pub fn add(&mut self, call: &ResolvedCall) -> bool {
        let costs = match &call.cost {
            Ok(cost) => {
                let sums = (|| {
                    Some([
                        exact_add(self.cost, cost.total)?,
                        exact_add(self.cost_input, cost.input)?,
                        exact_add(self.cost_cached_input, cost.cached_input)?,
                        exact_add(self.cost_output, cost.output)?,
                    ])
                })();
                let Some(sums) = sums else { return false };
                Some(sums)
            }
            Err(_) => None,
        };
        let requests = u128::from(call.requests);
        self.requests += requests;
        self.input_tokens += u128::from(call.usage.input);
        self.cached_input_tokens += u128::from(call.usage.cached_input);
        self.output_tokens += u128::from(call.usage.output);
        self.reasoning_tokens += u128::from(call.usage.reasoning);
        self.estimated |= call.estimated;
        match costs {
            Some([total, input, cached_input, output]) => {
                self.priced_requests += requests;
                self.cost = total;
                self.cost_input = input;
                self.cost_cached_input = cached_input;
                self.cost_output = output;
            }
            None => self.unpriced_requests += requests,
        }
        true
    }

    /// True when every call could be priced.
    pub fn priced(&self) -> bool {
        self.unpriced_requests == 0
    }

    /// Returns the measures as a response shows them, with a `null` cost when no call was priced.
    pub fn shown(&self) -> ShownMeasures {
        let money =
            |value: Decimal| (self.priced_requests > 0 || self.requests == 0).then(|| value.normalize().to_string());
        ShownMeasures {
            requests: self.requests,
            input_tokens: self.input_tokens,
            cached_input_tokens: self.cached_input_tokens,
            output_tokens: self.output_tokens,
            reasoning_tokens: self.reasoning_tokens,
            cost: money(self.cost),
            cost_input: money(self.cost_input),
            cost_cached_input: money(self.cost_cached_input),
            cost_output: money(self.cost_output),
            priced: self.priced(),
            estimated: self.estimated,
        }
    }
}

/// The measures of a row or the total in a response. Money is a decimal string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShownMeasures {
    pub requests: u128,
    pub input_tokens: u128,
    pub cached_input_tokens: u128,
    pub output_tokens: u128,
    pub reasoning_tokens: u128,
    pub cost: Option<String>,
    pub cost_input: Option<String>,
    pub cost_cached_input: Option<String>,
    pub cost_output: Option<String>,
    pub priced: bool,
    pub estimated: bool,
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use aoai_core::{CostBreakdown, TokenUsage};
    use chrono::DateTime;

    use super::*;

    fn call(cost: &str) -> ResolvedCall {
        let cost = Decimal::from_str(cost).expect("decimal");
        ResolvedCall {
            time: DateTime::UNIX_EPOCH,
            user: "ana".to_owned(),
            unattributed: false,
            display_name: None,
            team: None,
            cost_center: None,
            subscription: None,
            deployment: None,
            model: None,
            version: None,
            deployment_type: None,
            tier: None,
            region: None,
            requests: 1,
            usage: TokenUsage {
                input: 10,
                cached_input: 0,
                output: 5,
                reasoning: 0,
            },
            estimated: false,
            assumed: false,
            cost: Ok(CostBreakdown {
                input: cost,
                cached_input: Decimal::ZERO,
                output: Decimal::ZERO,
                total: cost,
            }),
        }
    }

    #[test]
    fn measures_rounding_sum_rejected() {
        let mut measures = Measures::default();
        assert!(measures.add(&call("12345678901234.00000000000001")));
        assert!(measures.add(&call("0.00000000000001")));
        assert_eq!(measures.cost.to_string(), "12345678901234.00000000000002");
        let before = measures.clone();
        // The sum's mantissa would exceed 96 bits, so a decimal would round its last places.
        assert!(!measures.add(&call("900000000000000")));
        assert_eq!(measures, before, "nothing of the refused call is added");
    }
}
