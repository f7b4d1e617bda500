//! A usage record: one model call, or one API Management token metric, as stored.

use std::fmt;
use std::str::FromStr;

use aoai_core::TokenUsage;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The largest token or request count the store keeps: SQLite integers are signed 64-bit.
pub const MAX_COUNT: u64 = i64::MAX as u64;

/// The telemetry a record came from. The two are accounts of the same calls and are
/// never added together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UsageSource {
    /// OpenTelemetry GenAI spans of an instrumented app.
    Otel,
    /// API Management token metrics.
    Apim,
    /// API Management's LLM logs, in a Log Analytics workspace.
    ApimLogs,
}

impl UsageSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Otel => "otel",
            Self::Apim => "apim",
            Self::ApimLogs => "apim-logs",
        }
    }
}

impl fmt::Display for UsageSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for UsageSource {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let name = value.trim();
        [
            ("otel", Self::Otel),
            ("apim", Self::Apim),
            ("apim-logs", Self::ApimLogs),
        ]
        .into_iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(name))
        .map(|(_, source)| source)
        .ok_or_else(|| format!("unknown usage source '{value}': expected otel, apim or apim-logs"))
    }
}

/// The API Management token metric a record holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TokenMetric {
    Prompt,
    Completion,
    Total,
    CachedPrompt,
}

impl TokenMetric {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Prompt => "prompt",
            Self::Completion => "completion",
            Self::Total => "total",
            Self::CachedPrompt => "cached_prompt",
        }
    }

    pub fn parse(value: &str) -> Option<TokenMetric> {
        match value {
            "prompt" => Some(Self::Prompt),
            "completion" => Some(Self::Completion),
            "total" => Some(Self::Total),
            "cached_prompt" => Some(Self::CachedPrompt),
            _ => None,
        }
    }
}

/// One stored record.
///
/// An `otel` record is one model call: `requests` is 1 (or more when sampled telemetry is
/// scaled up) and `usage` its tokens, or `None` when the span carried no usage. An `apim`
/// record is one token metric over `requests` calls; the metrics of one interval are
/// joined when usage is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRecord {
    pub source: UsageSource,
    pub time: DateTime<Utc>,
    /// The user id as the telemetry gives it; `None` when it gives none.
    pub user: Option<String>,
    /// The span's parent span id, to take the user from the parent when the span has none.
    pub parent_span: Option<String>,
    /// The Azure OpenAI deployment name (`gen_ai.request.model` on Azure).
    pub deployment: Option<String>,
    /// The model and version the service responded with, such as `gpt-4o-2024-11-20`.
    pub response_model: Option<String>,
    /// `openai.response.service_tier`, such as `priority`.
    pub service_tier: Option<String>,
    /// `gen_ai.provider.name` or `gen_ai.system`.
    pub provider: Option<String>,
    /// The API Management subscription.
    pub subscription: Option<String>,
    pub metric: Option<TokenMetric>,
    pub requests: u64,
    pub usage: Option<TokenUsage>,
    /// True for tokens that stand for more than was measured: sampled telemetry scaled
    /// up, or API Management's estimate of a streamed call.
    pub estimated: bool,
}

impl UsageRecord {
    /// True when every count fits the store.
    pub fn counts_fit(&self) -> bool {
        let usage = self.usage.unwrap_or_default();
        [
            self.requests,
            usage.input,
            usage.cached_input,
            usage.output,
            usage.reasoning,
        ]
        .iter()
        .all(|count| *count <= MAX_COUNT)
    }
}

/// Telemetry that was read but not kept as usage, with its reason and the values the
/// usage filters match on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedRecord {
    pub source: UsageSource,
    pub time: DateTime<Utc>,
    /// A short machine-readable reason, such as `cached_exceeds_input`.
    pub reason: String,
    pub detail: String,
    pub user: Option<String>,
    pub deployment: Option<String>,
    pub response_model: Option<String>,
}

/// A span's place in its trace and its own user, kept so that a model call without a user
/// can take the nearest ancestor's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpanLink {
    pub span_id: String,
    pub parent_span: Option<String>,
    pub user: Option<String>,
}
