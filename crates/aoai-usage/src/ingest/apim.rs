//! Usage from API Management's token metrics (the `azure-openai-emit-token-metric` and
//! `llm-emit-token-metric` policies), exported as metric telemetry.

use serde_json::Value;

use super::envelope::Envelope;
use super::scale::Scaled;
use crate::record::{RejectedRecord, TokenMetric, UsageRecord, UsageSource};

/// The metric and dimension names the policies are configured with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricNames {
    pub prompt: String,
    pub completion: String,
    pub total: String,
    pub cached: String,
    pub user: String,
    pub deployment: String,
    pub subscription: String,
    pub streamed: String,
}

impl Default for MetricNames {
    fn default() -> Self {
        MetricNames {
            prompt: "Prompt Tokens".to_owned(),
            completion: "Completion Tokens".to_owned(),
            total: "Total Tokens".to_owned(),
            cached: "Prompt Cached Tokens".to_owned(),
            user: "User ID".to_owned(),
            deployment: "Deployment".to_owned(),
            subscription: "Subscription ID".to_owned(),
            streamed: "Streamed".to_owned(),
        }
    }
}

impl MetricNames {
    fn metric(&self, name: &str) -> Option<TokenMetric> {
        if name == self.prompt {
            Some(TokenMetric::Prompt)
        } else if name == self.completion {
            Some(TokenMetric::Completion)
        } else if name == self.total {
            Some(TokenMetric::Total)
        } else if name == self.cached {
            Some(TokenMetric::CachedPrompt)
        } else {
            None
        }
    }
}

/// The records of one metric envelope, one per token metric in it, and its rejected metrics.
#[derive(Debug, Default)]
pub struct MetricOutcome {
    pub records: Vec<UsageRecord>,
    pub rejected: Vec<RejectedRecord>,
}

/// Reads a metric envelope. Metrics other than the token metrics are ignored.
pub fn read_metrics(envelope: &Envelope, names: &MetricNames) -> MetricOutcome {
    let mut outcome = MetricOutcome::default();
    let metrics = &envelope.base_data.metrics;
    if metrics.is_empty() {
        return outcome;
    }
    let properties = &envelope.base_data.properties;
    let get = |name: &str| {
        properties
            .get(name)
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
    };
    let streamed = get(&names.streamed).is_some_and(|value| value.eq_ignore_ascii_case("true"));
    let scaled = Scaled::new(envelope.sample_rate);

    for metric in metrics {
        let Some(kind) = metric
            .get("name")
            .and_then(Value::as_str)
            .and_then(|name| names.metric(name))
        else {
            continue;
        };
        let reject = |reason: &str, detail: String| RejectedRecord {
            source: UsageSource::Apim,
            time: envelope.time,
            reason: reason.to_owned(),
            detail,
            user: get(&names.user),
            deployment: get(&names.deployment),
            response_model: None,
        };
        let value = match whole_number(metric.get("value")) {
            Ok(value) => value,
            Err((reason, text)) => {
                outcome
                    .rejected
                    .push(reject(reason, format!("metric '{}' value {text}", kind.as_str())));
                continue;
            }
        };
        let count = match metric.get("count") {
            None | Some(Value::Null) => 1,
            Some(count) => match whole_number(Some(count)) {
                Ok(count) => count,
                Err((reason, text)) => {
                    outcome
                        .rejected
                        .push(reject(reason, format!("metric '{}' count {text}", kind.as_str())));
                    continue;
                }
            },
        };
        let (Some(value), Some(requests)) = (scaled.count(value), scaled.count(count)) else {
            outcome.rejected.push(reject(
                "count_overflow",
                format!(
                    "metric '{}' value {value} scaled by its sample rate overflows",
                    kind.as_str()
                ),
            ));
            continue;
        };
        let mut usage = aoai_core::TokenUsage::default();
        match kind {
            TokenMetric::Prompt => usage.input = value,
            TokenMetric::Completion => usage.output = value,
            TokenMetric::CachedPrompt => usage.cached_input = value,
            TokenMetric::Total => {}
        }
        outcome.records.push(UsageRecord {
            source: UsageSource::Apim,
            time: envelope.time,
            user: get(&names.user),
            parent_span: None,
            deployment: get(&names.deployment),
            response_model: None,
            service_tier: None,
            provider: None,
            subscription: get(&names.subscription),
            metric: Some(kind),
            requests,
            usage: Some(usage),
            estimated: streamed || scaled.is_estimated(),
        });
    }
    outcome
}

/// Reads a metric value or count as a whole, non-negative number. Metric values arrive as
/// JSON numbers such as `3000.0`.
fn whole_number(value: Option<&Value>) -> Result<u64, (&'static str, String)> {
    let text = match value {
        Some(Value::Number(number)) => number.to_string(),
        Some(Value::String(text)) => text.trim().to_owned(),
        other => return Err(("invalid_count", format!("{other:?} is not a number"))),
    };
    super::count::whole_number(&text)
}
