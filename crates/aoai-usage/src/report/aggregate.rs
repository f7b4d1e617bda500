//! Reads a period's records, joins API Management's metrics per interval, resolves and
//! prices each call, and sums the calls into groups.

use std::collections::{BTreeMap, HashMap};

use aoai_core::TokenUsage;
use chrono::{DateTime, Utc};

use super::measures::Measures;
use super::params::UsageParams;
use super::resolve::{ResolvedCall, Resolver, Unpriced};
use crate::record::{TokenMetric, UsageRecord, UsageSource};
use crate::store::{ReadQuery, Store, StoreError};

/// The sums of one response, before they are shown.
#[derive(Debug, Default)]
pub struct Totals {
    /// Measures per group key, in `group_by` order.
    pub rows: BTreeMap<Vec<String>, Measures>,
    /// The display name of each user seen, where the directory has one.
    pub display_names: HashMap<String, String>,
    pub total: Measures,
    pub unpriced: Measures,
    pub unpriced_reasons: BTreeMap<Unpriced, u128>,
    pub rejected_reasons: BTreeMap<String, u64>,
    pub unattributed: u128,
    pub assumed: u128,
    pub estimated: u128,
    pub usage_missing: u128,
}

/// A failure that stops the whole response.
#[derive(Debug, thiserror::Error)]
pub enum AggregateError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The metrics joined into one set of calls: same 15-minute bucket, user, deployment,
/// subscription and streaming. The policies emit each metric name as its own item, whose
/// times need not match, so the join is by bucket and not by the exact time.
type IntervalKey = (DateTime<Utc>, Option<String>, Option<String>, Option<String>, bool);

/// The length of a join bucket. Every time zone's offset is a multiple of 15 minutes, so a
/// bucket never straddles a local day.
const BUCKET_SECONDS: i64 = 15 * 60;

/// Returns the start of the 15-minute UTC bucket that contains `time`.
pub fn bucket_start(time: DateTime<Utc>) -> DateTime<Utc> {
    let seconds = time.timestamp().div_euclid(BUCKET_SECONDS) * BUCKET_SECONDS;
    DateTime::from_timestamp(seconds, 0).unwrap_or(time)
}

#[derive(Default)]
struct Interval {
    usage: TokenUsage,
    total_requests: Option<u64>,
    prompt_requests: Option<u64>,
    any_requests: u64,
}

/// Sums the calls of `params` from `store`.
pub fn aggregate(store: &Store, resolver: &mut Resolver<'_>, params: &UsageParams) -> Result<Totals, AggregateError> {
    let query = ReadQuery {
        source: params.source,
        from: params.from,
        to: params.to,
    };
    let mut totals = Totals::default();
    for rejected in store.rejected_rows(&query)? {
        let record = UsageRecord {
            source: params.source,
            time: params.from,
            user: rejected.user,
            parent_span: None,
            deployment: rejected.deployment,
            response_model: rejected.response_model,
            service_tier: None,
            provider: None,
            subscription: None,
            metric: None,
            requests: 1,
            usage: None,
            estimated: false,
        };
        if passes_filters(&resolver.resolve(&record, TokenUsage::default()), params) {
            *totals.rejected_reasons.entry(rejected.reason).or_default() += 1;
        }
    }

    let mut pending: HashMap<IntervalKey, Interval> = HashMap::new();
    let mut pending_bucket: Option<DateTime<Utc>> = None;
    store.read_each(&query, |record| match record.source {
        UsageSource::Otel => match record.usage {
            Some(usage) => add(&mut totals, resolver, params, &record, usage),
            None => {
                if passes_filters(&resolver.resolve(&record, TokenUsage::default()), params) {
                    totals.usage_missing += u128::from(record.requests);
                }
            }
        },
        UsageSource::Apim => {
            let bucket = bucket_start(record.time);
            if pending_bucket.is_some_and(|pending| pending != bucket) {
                flush(&mut pending, &mut totals, resolver, params);
            }
            pending_bucket = Some(bucket);
            join_metric(&mut pending, record);
        }
    })?;
    flush(&mut pending, &mut totals, resolver, params);
    Ok(totals)
}

fn join_metric(pending: &mut HashMap<IntervalKey, Interval>, record: UsageRecord) {
    let key = (
        bucket_start(record.time),
        record.user.clone(),
        record.deployment.clone(),
        record.subscription.clone(),
        record.estimated,
    );
    let interval = pending.entry(key).or_default();
    let usage = record.usage.unwrap_or_default();
    interval.usage.input = interval.usage.input.saturating_add(usage.input);
    interval.usage.cached_input = interval.usage.cached_input.saturating_add(usage.cached_input);
    interval.usage.output = interval.usage.output.saturating_add(usage.output);
    interval.any_requests = interval.any_requests.max(record.requests);
    match record.metric {
        Some(TokenMetric::Total) => {
            let total = interval.total_requests.get_or_insert(0);
            *total = total.saturating_add(record.requests);
        }
        Some(TokenMetric::Prompt) => {
            let prompt = interval.prompt_requests.get_or_insert(0);
            *prompt = prompt.saturating_add(record.requests);
        }
        _ => {}
    }
}

/// Turns the joined metrics of one interval into calls. Requests come from `Total Tokens`,
/// else from `Prompt Tokens`, and are never summed across metric names.
fn flush(
    pending: &mut HashMap<IntervalKey, Interval>,
    totals: &mut Totals,
    resolver: &mut Resolver<'_>,
    params: &UsageParams,
) {
    let mut intervals: Vec<(IntervalKey, Interval)> = pending.drain().collect();
    intervals.sort_by(|a, b| a.0.cmp(&b.0));
    for ((time, user, deployment, subscription, estimated), interval) in intervals {
        let requests = interval
            .total_requests
            .or(interval.prompt_requests)
            .unwrap_or(interval.any_requests);
        if let Err(error) = interval.usage.validate() {
            *totals.rejected_reasons.entry(error.reason().to_owned()).or_default() += 1;
            continue;
        }
        let record = UsageRecord {
            source: UsageSource::Apim,
            time,
            user,
            parent_span: None,
            deployment,
            response_model: None,
            service_tier: None,
            provider: None,
            subscription,
            metric: None,
            requests,
            usage: Some(interval.usage),
            estimated,
        };
        add(totals, resolver, params, &record, interval.usage);
    }
}

fn add(
    totals: &mut Totals,
    resolver: &mut Resolver<'_>,
    params: &UsageParams,
    record: &UsageRecord,
    usage: TokenUsage,
) {
    let call = resolver.resolve(record, usage);
    if !passes_filters(&call, params) {
        return;
    }
    let requests = u128::from(call.requests);
    if call.unattributed {
        totals.unattributed += requests;
    }
    if call.assumed {
        totals.assumed += requests;
    }
    if call.estimated {
        totals.estimated += requests;
    }
    if let Err(reason) = call.cost {
        totals.unpriced.add(&call);
        *totals.unpriced_reasons.entry(reason).or_default() += requests;
    }
    if let Some(name) = &call.display_name {
        totals
            .display_names
            .entry(call.user.clone())
            .or_insert_with(|| name.clone());
    }
    let key: Vec<String> = params
        .group_by
        .iter()
        .map(|dimension| dimension.value(&call, params.tz))
        .collect();
    totals.rows.entry(key).or_default().add(&call);
    totals.total.add(&call);
}

fn passes_filters(call: &ResolvedCall, params: &UsageParams) -> bool {
    let user_ok = params.users.is_empty() || params.users.iter().any(|user| user.eq_ignore_ascii_case(&call.user));
    let model_ok = params.models.is_empty()
        || call.model.as_ref().is_some_and(|model| {
            let versioned = call.version.map(|version| format!("{model}-{version}"));
            params
                .models
                .iter()
                .any(|wanted| wanted == model || versioned.as_deref() == Some(wanted.as_str()))
        });
    let deployment_ok = params.deployments.is_empty()
        || call.deployment.as_ref().is_some_and(|deployment| {
            params
                .deployments
                .iter()
                .any(|wanted| wanted.eq_ignore_ascii_case(deployment))
        });
    user_ok && model_ok && deployment_ok
}
