//! The sums of a group of calls.

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
    pub fn add(&mut self, call: &ResolvedCall) {
        let requests = u128::from(call.requests);
        self.requests += requests;
        self.input_tokens += u128::from(call.usage.input);
        self.cached_input_tokens += u128::from(call.usage.cached_input);
        self.output_tokens += u128::from(call.usage.output);
        self.reasoning_tokens += u128::from(call.usage.reasoning);
        self.estimated |= call.estimated;
        match &call.cost {
            Ok(cost) => {
                self.priced_requests += requests;
                self.cost += cost.total;
                self.cost_input += cost.input;
                self.cost_cached_input += cost.cached_input;
                self.cost_output += cost.output;
            }
            Err(_) => self.unpriced_requests += requests,
        }
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
