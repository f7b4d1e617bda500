//! The usage row: the one result schema that every backend produces, whether it reads the
//! local store or runs KQL in Application Insights or Log Analytics.
//!
//! A row sums the calls of one 15-minute UTC bucket that share user, subscription,
//! deployment, response model, service tier, source and estimation. Every time zone's
//! offset is a multiple of 15 minutes, so a day or month cut in any IANA zone is exact on
//! these buckets, and the price in force at the bucket's start prices the whole row.

use std::borrow::Cow;

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

/// One row of the result schema. `T` is the type of its text: owned, or borrowed from a
/// query response while it is read ([`UsageRowRef`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRow<T = String> {
    pub bucket_start: DateTime<Utc>,
    pub source: UsageSource,
    pub user: Option<T>,
    pub subscription: Option<T>,
    pub deployment: Option<T>,
    pub response_model: Option<T>,
    pub service_tier: Option<T>,
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

/// A usage row whose text may borrow from the response it was read from.
pub type UsageRowRef<'a> = UsageRow<Cow<'a, str>>;

impl<T> UsageRow<T> {
    pub fn usage(&self) -> TokenUsage {
        TokenUsage {
            input: self.input_tokens,
            cached_input: self.cached_input_tokens,
            output: self.output_tokens,
            reasoning: self.reasoning_tokens,
        }
    }

    /// Returns the row with its text converted by `convert`.
    pub fn map_text<'s, U>(&'s self, convert: impl Fn(&'s T) -> U) -> UsageRow<U> {
        let text = |value: &'s Option<T>| value.as_ref().map(&convert);
        UsageRow {
            bucket_start: self.bucket_start,
            source: self.source,
            user: text(&self.user),
            subscription: text(&self.subscription),
            deployment: text(&self.deployment),
            response_model: text(&self.response_model),
            service_tier: text(&self.service_tier),
            input_tokens: self.input_tokens,
            cached_input_tokens: self.cached_input_tokens,
            output_tokens: self.output_tokens,
            reasoning_tokens: self.reasoning_tokens,
            requests: self.requests,
            rejected: self.rejected,
            usage_missing: self.usage_missing,
            estimated: self.estimated,
        }
    }
}

impl UsageRowRef<'_> {
    /// Returns the row with its own copy of the text.
    pub fn to_owned_row(&self) -> UsageRow {
        self.map_text(|text| text.as_ref().to_owned())
    }
}

impl UsageRow {
    /// Returns the row with its text borrowed.
    pub fn as_row_ref(&self) -> UsageRowRef<'_> {
        self.map_text(|text| Cow::Borrowed(text.as_str()))
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
