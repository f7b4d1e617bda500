//! Resolves and prices usage rows and sums them into groups, the same way for every backend.

use std::collections::{BTreeMap, HashMap};

use aoai_core::TokenUsage;

use super::compress;
use super::group::Dimension;
use super::measures::Measures;
use super::params::UsageParams;
use super::resolve::{ResolvedCall, Resolver, Unpriced};
use crate::record::{UsageRecord, UsageSource};
use crate::row::UsageRow;
use crate::store::{ReadQuery, Store, StoreError};

/// The reason given for rows' rejected calls when the backend does not say why.
pub const IMPOSSIBLE_COUNTS: &str = "impossible_counts";

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
    /// The backend's message when it returned only part of the data.
    pub partial: Option<String>,
    /// True when a sum of costs would have needed more digits than a decimal holds.
    pub cost_overflow: bool,
}

/// A failure that stops the whole response.
#[derive(Debug, thiserror::Error)]
pub enum AggregateError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Sums rows into the groups of one request.
#[derive(Debug)]
pub struct Aggregator<'a> {
    params: &'a UsageParams,
    totals: Totals,
    /// The groups while rows arrive; they are sorted once, at the end.
    groups: HashMap<Vec<String>, Measures>,
    /// The value of each time dimension of the request at each instant seen: rows share far
    /// fewer instants than they number.
    time_values: HashMap<(Dimension, i64), String>,
}

impl<'a> Aggregator<'a> {
    pub fn new(params: &'a UsageParams) -> Aggregator<'a> {
        Aggregator {
            params,
            totals: Totals::default(),
            groups: HashMap::new(),
            time_values: HashMap::new(),
        }
    }

    pub fn finish(mut self) -> Totals {
        self.totals.rows = self.groups.into_iter().collect();
        self.totals
    }

    pub fn set_partial(&mut self, message: String) {
        self.totals.partial = Some(message);
    }

    /// Counts `count` rejected calls of a user, deployment and model, when they pass the filters.
    pub fn add_rejected(&mut self, resolver: &mut Resolver<'_>, reason: &str, record: &UsageRecord, count: u64) {
        if count > 0 && passes_filters(&resolver.resolve(record, TokenUsage::default()), self.params) {
            *self.totals.rejected_reasons.entry(reason.to_owned()).or_default() += count;
        }
    }

    /// Adds one row: its priced calls, its rejected calls and its calls without usage.
    pub fn add_row(&mut self, resolver: &mut Resolver<'_>, row: &UsageRow) {
        let record = row.to_record();
        if row.rejected > 0 {
            self.add_rejected(resolver, IMPOSSIBLE_COUNTS, &record, row.rejected);
        }
        if row.usage_missing > 0 && passes_filters(&resolver.resolve(&record, TokenUsage::default()), self.params) {
            self.totals.usage_missing += u128::from(row.usage_missing);
        }
        if row.requests == 0 {
            return;
        }
        let usage = row.usage();
        if let Err(error) = usage.validate() {
            self.add_rejected(resolver, error.reason(), &record, row.requests);
            return;
        }
        self.add_call(resolver.resolve(&record, usage));
    }

    fn add_call(&mut self, call: ResolvedCall) {
        if !passes_filters(&call, self.params) {
            return;
        }
        let totals = &mut self.totals;
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
            totals.cost_overflow |= !totals.unpriced.add(&call);
            *totals.unpriced_reasons.entry(reason).or_default() += requests;
        }
        if let Some(name) = &call.display_name {
            totals
                .display_names
                .entry(call.user.clone())
                .or_insert_with(|| name.clone());
        }
        let tz = self.params.tz;
        let time_values = &mut self.time_values;
        let key: Vec<String> = self
            .params
            .group_by
            .iter()
            .map(|dimension| match dimension {
                Dimension::Hour | Dimension::Day | Dimension::Month => time_values
                    .entry((*dimension, call.time.timestamp()))
                    .or_insert_with(|| dimension.value(&call, tz))
                    .clone(),
                _ => dimension.value(&call, tz),
            })
            .collect();
        let group = self.groups.entry(key).or_default().add(&call);
        let total = totals.total.add(&call);
        totals.cost_overflow |= !(group && total);
    }
}

/// Sums the usage of `params` from the local store.
pub fn aggregate(store: &Store, resolver: &mut Resolver<'_>, params: &UsageParams) -> Result<Totals, AggregateError> {
    let query = ReadQuery {
        source: params.source,
        from: params.from,
        to: params.to,
    };
    let mut aggregator = Aggregator::new(params);
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
        aggregator.add_rejected(resolver, &rejected.reason, &record, 1);
    }
    match params.source {
        // API Management's metrics are joined per bucket; the index in memory holds spans only.
        UsageSource::Apim => store.read_rows(&query, |row| aggregator.add_row(resolver, &row))?,
        UsageSource::Otel | UsageSource::ApimLogs => {
            store.read_rows_needing_ancestors(&query, |row| aggregator.add_row(resolver, &row))?;
            let changes = compress::price_changes(resolver.catalog);
            let mut rows = Vec::new();
            store.scan_indexed(
                params.source,
                params.from.timestamp_millis(),
                params.to.timestamp_millis(),
                |records| rows = compress::compressed_rows(records, params.source, params, &changes),
            )?;
            for row in &rows {
                aggregator.add_row(resolver, row);
            }
        }
    }
    Ok(aggregator.finish())
}

/// True when the call passes the request's user, model and deployment filters.
pub fn passes_filters(call: &ResolvedCall, params: &UsageParams) -> bool {
    // Both sides are lower case already: the filter from the request, the user from the resolver.
    let user_ok = params.users.is_empty() || params.users.contains(&call.user);
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
