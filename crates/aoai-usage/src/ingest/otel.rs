//! Usage from OpenTelemetry GenAI spans, exported as dependency or request telemetry.

use std::collections::BTreeMap;

use aoai_core::TokenUsage;

use super::envelope::Envelope;
use super::scale::Scaled;
use crate::record::{RejectedRecord, SpanLink, UsageRecord, UsageSource};

/// `gen_ai.operation.name` values of a model call. Agent and tool spans repeat their
/// children's usage and are not counted.
const MODEL_CALLS: &[&str] = &["chat", "text_completion", "generate_content", "embeddings"];

/// The span attributes that name the user, in order of preference.
const USER_ATTRIBUTES: &[&str] = &["user.id", "enduser.id"];

/// The attribute the Python solution this replaces put the user in, on the span or its parent.
pub const USER_NAME_ATTRIBUTE: &str = "User Name";

/// The record, rejected record and user of one span.
#[derive(Debug, Default)]
pub struct SpanOutcome {
    pub record: Option<UsageRecord>,
    pub rejected: Option<RejectedRecord>,
    pub span: Option<SpanLink>,
}

/// Reads a request or dependency envelope.
pub fn read_span(envelope: &Envelope) -> SpanOutcome {
    let properties = &envelope.base_data.properties;
    let get = |name: &str| {
        properties
            .get(name)
            .map(|value| value.trim())
            .filter(|value| !value.is_empty())
    };
    let span_id = envelope.base_data.id.as_deref().filter(|id| !id.is_empty());

    let user = USER_ATTRIBUTES
        .iter()
        .find_map(|name| get(name))
        .or_else(|| envelope.auth_user_id.as_deref().filter(|id| !id.is_empty()))
        .or_else(|| get(USER_NAME_ATTRIBUTE))
        .map(str::to_owned);

    let mut outcome = SpanOutcome {
        span: span_id.map(|span_id| SpanLink {
            span_id: span_id.to_owned(),
            parent_span: envelope.parent_id.clone().filter(|parent| !parent.is_empty()),
            user: user.clone(),
        }),
        ..SpanOutcome::default()
    };
    let Some(operation) = get("gen_ai.operation.name") else {
        return outcome;
    };
    if !MODEL_CALLS.contains(&operation) {
        return outcome;
    }

    let scaled = Scaled::new(envelope.sample_rate);
    let reject = |reason: &str, detail: String| RejectedRecord {
        source: UsageSource::Otel,
        time: envelope.time,
        reason: reason.to_owned(),
        detail,
        user: user.clone(),
        deployment: get("gen_ai.request.model").map(str::to_owned),
        response_model: get("gen_ai.response.model").map(str::to_owned),
    };
    let usage = match read_usage(properties) {
        Ok(usage) => usage,
        Err((reason, detail)) => {
            outcome.rejected = Some(reject(reason, detail));
            return outcome;
        }
    };
    // A failed call without usage (an error status, or `error.type`) was not billed, so it is
    // neither usage nor missing usage. A failed call that reports usage is kept and charged.
    if usage.is_none() && failed(envelope, properties) {
        return outcome;
    }
    let usage = match usage.map(|usage| scaled.usage(usage)).transpose() {
        Ok(usage) => usage,
        Err(detail) => {
            outcome.rejected = Some(reject("count_overflow", detail));
            return outcome;
        }
    };
    outcome.record = Some(UsageRecord {
        source: UsageSource::Otel,
        time: envelope.time,
        user,
        parent_span: envelope.parent_id.clone(),
        deployment: get("gen_ai.request.model").map(str::to_owned),
        response_model: get("gen_ai.response.model").map(str::to_owned),
        service_tier: get("openai.response.service_tier")
            .or_else(|| get("gen_ai.openai.response.service_tier"))
            .map(str::to_owned),
        provider: get("gen_ai.provider.name")
            .or_else(|| get("gen_ai.system"))
            .map(str::to_owned),
        subscription: None,
        metric: None,
        requests: scaled.requests(1),
        usage,
        estimated: scaled.is_estimated(),
    });
    outcome
}

/// Returns whether the span records a failed call: `success: false`, as the exporter writes
/// an error status, or an `error.type` attribute, as the GenAI conventions write one.
fn failed(envelope: &Envelope, properties: &BTreeMap<String, String>) -> bool {
    envelope.base_data.success == Some(false)
        || properties
            .get("error.type")
            .is_some_and(|value| !value.trim().is_empty())
}

/// Reads the token attributes. `Ok(None)` when the span carries none of them.
fn read_usage(properties: &BTreeMap<String, String>) -> Result<Option<TokenUsage>, (&'static str, String)> {
    let count = |names: &[&str]| -> Result<Option<u64>, (&'static str, String)> {
        for name in names {
            if let Some(text) = properties.get(*name) {
                return parse_count(name, text).map(Some);
            }
        }
        Ok(None)
    };
    let input = count(&["gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"])?;
    let output = count(&["gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"])?;
    let cached = count(&["gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cached_tokens"])?;
    let reasoning = count(&["gen_ai.usage.reasoning.output_tokens", "gen_ai.usage.reasoning_tokens"])?;
    if input.is_none() && output.is_none() {
        return Ok(None);
    }
    let usage = TokenUsage {
        input: input.unwrap_or(0),
        cached_input: cached.unwrap_or(0),
        output: output.unwrap_or(0),
        reasoning: reasoning.unwrap_or(0),
    };
    usage.validate().map_err(|error| (error.reason(), error.to_string()))?;
    Ok(Some(usage))
}

/// Parses a token count: a whole number, also when written `3.0` or `1e3`. A negative or
/// fractional count is rejected with its attribute.
pub fn parse_count(name: &str, text: &str) -> Result<u64, (&'static str, String)> {
    super::count::whole_number(text.trim()).map_err(|(reason, detail)| (reason, format!("{name} {detail}")))
}
