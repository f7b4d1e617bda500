//! Sums the records of the in-memory index that resolve and price alike, so that each such
//! group is resolved and priced once instead of once per record.
//!
//! Records can be summed before pricing when they share everything the resolver reads: user,
//! deployment, response model, service tier, subscription and estimation. They must also
//! share the value of every time dimension of the request, the span between two price changes
//! of the catalog, and the token kinds they have. Cost is linear in the token counts and exact in decimal, so
//! the cost of the sum equals the sum of the costs. Only whether a call can be priced is not
//! linear: a call with cached tokens fails where the cached price is missing, and one without
//! does not, so calls with and without each token kind are never summed together. Each group becomes one usage row at the start of its first bucket, which
//! has the same time dimensions and the same prices as every bucket of the group.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use aoai_catalog::Catalog;
use chrono::{DateTime, Utc};

use super::group::Dimension;
use super::params::UsageParams;
use crate::record::UsageSource;
use crate::row::{BUCKET_SECONDS, UsageRow};
use crate::store::{IndexedRecords, time_of};

/// The values that the records of one group share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct GroupKey {
    user: u32,
    deployment: u32,
    response_model: u32,
    service_tier: u32,
    subscription: u32,
    estimated: bool,
    /// The values of the request's time dimensions, as an id.
    time_class: u32,
    /// The span between two price changes.
    price_span: u32,
    /// One bit each for uncached input, cached input and output above zero.
    token_kinds: u8,
}

#[derive(Debug, Clone, Copy)]
struct Sums {
    first_bucket_ms: i64,
    requests: u64,
    usage_missing: u64,
    input: u64,
    cached: u64,
    output: u64,
    reasoning: u64,
}

impl Sums {
    fn new(first_bucket_ms: i64) -> Sums {
        Sums {
            first_bucket_ms,
            requests: 0,
            usage_missing: 0,
            input: 0,
            cached: 0,
            output: 0,
            reasoning: 0,
        }
    }

    /// Adds the counts of `other`, or returns false when a sum would overflow.
    fn add(&mut self, other: &Sums) -> bool {
        let sums = (|| {
            Some(Sums {
                first_bucket_ms: self.first_bucket_ms,
                requests: self.requests.checked_add(other.requests)?,
                usage_missing: self.usage_missing.checked_add(other.usage_missing)?,
                input: self.input.checked_add(other.input)?,
                cached: self.cached.checked_add(other.cached)?,
                output: self.output.checked_add(other.output)?,
                reasoning: self.reasoning.checked_add(other.reasoning)?,
            })
        })();
        match sums {
            Some(sums) => {
                *self = sums;
                true
            }
            None => false,
        }
    }
}

/// A fast hash for keys of small integers (multiply and rotate, as in rustc's FxHasher).
#[derive(Debug, Default)]
struct IntHasher(u64);

impl Hasher for IntHasher {
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.write_u64(u64::from(*byte));
        }
    }

    fn write_u8(&mut self, value: u8) {
        self.write_u64(u64::from(value));
    }

    fn write_u32(&mut self, value: u32) {
        self.write_u64(u64::from(value));
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = (self.0.rotate_left(5) ^ value).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Returns every instant at which some price of `catalog` starts or ends, in epoch
/// milliseconds, sorted.
pub fn price_changes(catalog: &Catalog) -> Vec<i64> {
    let mut changes: Vec<i64> = catalog
        .entries()
        .iter()
        .flat_map(|entry| [Some(entry.effective_from), entry.effective_to])
        .flatten()
        .map(|time| time.timestamp_millis())
        .collect();
    changes.sort_unstable();
    changes.dedup();
    changes
}

/// One record or row to sum, with its text as ids of a [`Texts`] table.
#[derive(Debug, Clone, Copy)]
struct Entry {
    time_ms: i64,
    user: u32,
    deployment: u32,
    response_model: u32,
    service_tier: u32,
    subscription: u32,
    estimated: bool,
    sums: Sums,
}

/// Sums `records` of the in-memory index into usage rows of `source`; `price_changes` comes
/// from [`price_changes`].
pub fn compressed_rows(
    records: &IndexedRecords<'_>,
    source: UsageSource,
    params: &UsageParams,
    price_changes: &[i64],
) -> Vec<UsageRow> {
    let entries = records.iter().map(|record| Entry {
        time_ms: record.time_ms,
        user: record.user,
        deployment: record.deployment,
        response_model: record.response_model,
        service_tier: record.service_tier,
        subscription: record.subscription,
        estimated: record.estimated,
        sums: if record.usage_missing {
            Sums {
                usage_missing: record.requests,
                ..Sums::new(0)
            }
        } else {
            Sums {
                first_bucket_ms: 0,
                requests: record.requests,
                usage_missing: 0,
                input: record.input,
                cached: record.cached,
                output: record.output,
                reasoning: record.reasoning,
            }
        },
    });
    compress(entries, |id| records.text(id), source, params, price_changes)
}

/// Sums the rows of a query response, as [`compressed_rows`] sums indexed records. Rows with
/// rejected calls or impossible counts are returned as they are, for the aggregator to report.
pub fn compressed_query_rows<'r>(rows: &'r [UsageRow], params: &UsageParams, price_changes: &[i64]) -> Vec<UsageRow> {
    let mut ids: HashMap<&'r str, u32> = HashMap::new();
    let mut texts: Vec<&'r str> = Vec::new();
    let mut intern = |value: Option<&'r str>| -> u32 {
        let Some(value) = value else { return 0 };
        *ids.entry(value).or_insert_with(|| {
            texts.push(value);
            u32::try_from(texts.len()).unwrap_or(u32::MAX)
        })
    };

    let mut kept = Vec::new();
    let mut entries = Vec::with_capacity(rows.len());
    let mut sources = rows.iter().map(|row| row.source);
    let source = sources.next().unwrap_or(params.source);
    for row in rows {
        if row.rejected > 0 || row.usage().validate().is_err() || row.source != source {
            kept.push(row.clone());
            continue;
        }
        entries.push(Entry {
            time_ms: row.bucket_start.timestamp_millis(),
            user: intern(row.user.as_deref()),
            deployment: intern(row.deployment.as_deref()),
            response_model: intern(row.response_model.as_deref()),
            service_tier: intern(row.service_tier.as_deref()),
            subscription: intern(row.subscription.as_deref()),
            estimated: row.estimated,
            sums: Sums {
                first_bucket_ms: 0,
                requests: row.requests,
                usage_missing: row.usage_missing,
                input: row.input_tokens,
                cached: row.cached_input_tokens,
                output: row.output_tokens,
                reasoning: row.reasoning_tokens,
            },
        });
    }
    let text = |id: u32| {
        usize::try_from(id)
            .ok()?
            .checked_sub(1)
            .and_then(|index| texts.get(index).copied())
    };
    let mut compressed = compress(entries.into_iter(), text, source, params, price_changes);
    compressed.extend(kept);
    compressed
}

fn compress<'t>(
    entries: impl Iterator<Item = Entry>,
    text: impl Fn(u32) -> Option<&'t str>,
    source: UsageSource,
    params: &UsageParams,
    price_changes: &[i64],
) -> Vec<UsageRow> {
    let time_dimensions: Vec<Dimension> = params
        .group_by
        .iter()
        .copied()
        .filter(|dimension| dimension.time_value(DateTime::<Utc>::UNIX_EPOCH, params.tz).is_some())
        .collect();
    let bucket_ms = BUCKET_SECONDS * 1000;
    let mut classes: HashMap<Vec<String>, u32> = HashMap::new();
    // Entries mostly arrive in time order, so the class and price span of a bucket are
    // computed once per bucket.
    let mut current: Option<(i64, u32, u32)> = None;
    let mut groups: HashMap<GroupKey, Sums, BuildHasherDefault<IntHasher>> = HashMap::default();
    let mut full: Vec<(GroupKey, Sums)> = Vec::new();

    for entry in entries {
        let bucket = entry.time_ms - entry.time_ms.rem_euclid(bucket_ms);
        let (time_class, price_span) = match current {
            Some((known, class, span)) if known == bucket => (class, span),
            _ => {
                let values: Vec<String> = time_of(bucket)
                    .map(|time| {
                        time_dimensions
                            .iter()
                            .filter_map(|dimension| dimension.time_value(time, params.tz))
                            .collect()
                    })
                    .unwrap_or_default();
                let next = u32::try_from(classes.len()).unwrap_or(u32::MAX);
                let class = *classes.entry(values).or_insert(next);
                let span = u32::try_from(price_changes.partition_point(|change| *change <= bucket)).unwrap_or(u32::MAX);
                current = Some((bucket, class, span));
                (class, span)
            }
        };
        let counts = Sums {
            first_bucket_ms: bucket,
            ..entry.sums
        };
        let key = GroupKey {
            user: entry.user,
            deployment: entry.deployment,
            response_model: entry.response_model,
            service_tier: entry.service_tier,
            subscription: entry.subscription,
            estimated: entry.estimated,
            time_class,
            price_span,
            token_kinds: u8::from(counts.input > counts.cached)
                | (u8::from(counts.cached > 0) << 1)
                | (u8::from(counts.output > 0) << 2),
        };
        let sums = groups.entry(key).or_insert_with(|| Sums::new(bucket));
        // The earliest bucket stands for the group; any of its buckets prices it alike.
        sums.first_bucket_ms = sums.first_bucket_ms.min(bucket);
        if !sums.add(&counts) {
            // A sum would overflow: the group so far becomes a row of its own.
            full.push((key, std::mem::replace(sums, counts)));
        }
    }

    full.into_iter()
        .chain(groups)
        .filter_map(|(key, sums)| {
            Some(UsageRow {
                bucket_start: time_of(sums.first_bucket_ms)?,
                source,
                user: text(key.user).map(str::to_owned),
                subscription: text(key.subscription).map(str::to_owned),
                deployment: text(key.deployment).map(str::to_owned),
                response_model: text(key.response_model).map(str::to_owned),
                service_tier: text(key.service_tier).map(str::to_owned),
                input_tokens: sums.input,
                cached_input_tokens: sums.cached,
                output_tokens: sums.output,
                reasoning_tokens: sums.reasoning,
                requests: sums.requests,
                rejected: 0,
                usage_missing: sums.usage_missing,
                estimated: key.estimated,
            })
        })
        .collect()
}
