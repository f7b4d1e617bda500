//! The usage row: the one result schema that every backend produces, whether it reads the
//! local store or runs KQL in Application Insights or Log Analytics.
//!
//! A row sums the calls of one 15-minute UTC bucket that share user, subscription,
//! deployment, response model, service tier, source and estimation. Every time zone's
//! offset is a multiple of 15 minutes, so a day or month cut in any IANA zone is exact on
//! these buckets, and the price in force at the bucket's start prices the whole row.

use aoai_core::TokenUsage;
use chrono::{DateTime, Utc};

use crate::record::{UsageRecord, UsageSource};

/// The length of a bucket.
pub const BUCKET_SECONDS: i64 = 15 * 60;

/// Returns the start of the 15-minute UTC bucket that contains `time`.
pub fn bucket_start(time: DateTime<Utc>) -> DateTime<Utc> {
    let seconds = time.timestamp().div_euclid(BUCKET_SECONDS) * BUCKET_SECONDS;
    DateTime::from_timestamp(seconds, 0).unwrap_or(time)
}

/// One row of the result schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRow {
    pub bucket_start: DateTime<Utc>,
    pub source: UsageSource,
    pub user: Option<String>,
    pub subscription: Option<String>,
    pub deployment: Option<String>,
    pub response_model: Option<String>,
    pub service_tier: Option<String>,
    pub input_tokens: u64,
    pub cached_input_tokens: u64,
    pub output_tokens: u64,
    pub reasoning_tokens: u64,
    /// Calls whose usage is in the token sums.
    pub requests: u64,
    /// Calls with impossible counts, left out of the sums.
    pub rejected: u64,
    /// Model calls whose telemetry carried no usage.
    pub usage_missing: u64,
    pub estimated: bool,
}

impl UsageRow {
    pub fn usage(&self) -> TokenUsage {
        TokenUsage {
            input: self.input_tokens,
            cached_input: self.cached_input_tokens,
            output: self.output_tokens,
            reasoning: self.reasoning_tokens,
        }
    }

    /// Returns the row as a record at its bucket's start, for resolving and pricing.
    pub fn to_record(&self) -> UsageRecord {
        UsageRecord {
            source: self.source,
            time: self.bucket_start,
            user: self.user.clone(),
            parent_span: None,
            deployment: self.deployment.clone(),
            response_model: self.response_model.clone(),
            service_tier: self.service_tier.clone(),
            provider: None,
            subscription: self.subscription.clone(),
            metric: None,
            requests: self.requests,
            usage: Some(self.usage()),
            estimated: self.estimated,
        }
    }
}
