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
use crate::row::{BUCKET_SECONDS, UsageRow, UsageRowRef};
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
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            let mut eight = [0u8; 8];
            eight.copy_from_slice(word);
            self.write_u64(u64::from_le_bytes(eight));
        }
        let mut rest = [0u8; 8];
        rest[..words.remainder().len()].copy_from_slice(words.remainder());
        self.write_u64(u64::from_le_bytes(rest));
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
    let mut compressor = Compressor::new(params, price_changes);
    compressor.source = Some(source);
    for entry in entries {
        compressor.add(entry);
    }
    compressor.finish(|id| records.text(id))
}

/// Sums the rows of a query response, as [`compressed_rows`] sums indexed records. Rows with
/// rejected calls or impossible counts are returned as they are, for the aggregator to report.
pub fn compressed_query_rows(rows: &[UsageRow], params: &UsageParams, price_changes: &[i64]) -> Vec<UsageRow> {
    let mut compressor = QueryCompressor::new(params, price_changes);
    for row in rows {
        compressor.add(&row.as_row_ref());
    }
    compressor.finish()
}

/// Sums query rows one at a time, as they are read from a response, so that only the groups
/// are kept in memory.
#[derive(Debug)]
pub struct QueryCompressor<'p> {
    compressor: Compressor<'p>,
    ids: HashMap<Box<str>, u32, BuildHasherDefault<IntHasher>>,
    texts: Vec<Box<str>>,
    kept: Vec<UsageRow>,
}

impl<'p> QueryCompressor<'p> {
    pub fn new(params: &'p UsageParams, price_changes: &'p [i64]) -> QueryCompressor<'p> {
        QueryCompressor {
            compressor: Compressor::new(params, price_changes),
            ids: HashMap::default(),
            texts: Vec::new(),
            kept: Vec::new(),
        }
    }

    /// Adds one row. The first row's source is the source of the sums.
    ///
    /// A row of another source, with rejected calls or with impossible counts is kept as it
    /// is, for the aggregator to report.
    pub fn add(&mut self, row: &UsageRowRef<'_>) {
        let source = *self.compressor.source.get_or_insert(row.source);
        if row.rejected > 0 || row.usage().validate().is_err() || row.source != source {
            self.kept.push(row.to_owned_row());
            return;
        }
        let entry = Entry {
            time_ms: row.bucket_start.timestamp_millis(),
            user: self.intern(row.user.as_deref()),
            deployment: self.intern(row.deployment.as_deref()),
            response_model: self.intern(row.response_model.as_deref()),
            service_tier: self.intern(row.service_tier.as_deref()),
            subscription: self.intern(row.subscription.as_deref()),
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
        };
        self.compressor.add(entry);
    }

    /// Returns the id of `value`: 0 for none, else its position in `texts` plus one.
    fn intern(&mut self, value: Option<&str>) -> u32 {
        let Some(value) = value else { return 0 };
        if let Some(id) = self.ids.get(value) {
            return *id;
        }
        self.texts.push(value.into());
        let id = u32::try_from(self.texts.len()).unwrap_or(u32::MAX);
        self.ids.insert(value.into(), id);
        id
    }

    /// Returns the summed rows, then the rows kept as they were.
    pub fn finish(self) -> Vec<UsageRow> {
        let texts = self.texts;
        let text = |id: u32| {
            usize::try_from(id)
                .ok()?
                .checked_sub(1)
                .and_then(|index| texts.get(index).map(AsRef::as_ref))
        };
        let mut rows = self.compressor.finish(text);
        rows.extend(self.kept);
        rows
    }
}

/// Sums entries into groups of [`GroupKey`].
#[derive(Debug)]
struct Compressor<'p> {
    params: &'p UsageParams,
    price_changes: &'p [i64],
    /// The source of the rows made; the request's when no entry set it.
    source: Option<UsageSource>,
    time_dimensions: Vec<Dimension>,
    classes: HashMap<Vec<String>, u32>,
    /// The last bucket seen, with its time class and price span. Entries mostly arrive in
    /// time order, so these are computed once per bucket.
    current: Option<(i64, u32, u32)>,
    groups: HashMap<GroupKey, Sums, BuildHasherDefault<IntHasher>>,
    full: Vec<(GroupKey, Sums)>,
}

impl<'p> Compressor<'p> {
    fn new(params: &'p UsageParams, price_changes: &'p [i64]) -> Compressor<'p> {
        Compressor {
            params,
            price_changes,
            source: None,
            time_dimensions: params
                .group_by
                .iter()
                .copied()
                .filter(|dimension| dimension.time_value(DateTime::<Utc>::UNIX_EPOCH, params.tz).is_some())
                .collect(),
            classes: HashMap::new(),
            current: None,
            groups: HashMap::default(),
            full: Vec::new(),
        }
    }

    fn add(&mut self, entry: Entry) {
        let bucket_ms = BUCKET_SECONDS * 1000;
        let bucket = entry.time_ms - entry.time_ms.rem_euclid(bucket_ms);
        let (time_class, price_span) = match self.current {
            Some((known, class, span)) if known == bucket => (class, span),
            _ => {
                let values: Vec<String> = time_of(bucket)
                    .map(|time| {
                        self.time_dimensions
                            .iter()
                            .filter_map(|dimension| dimension.time_value(time, self.params.tz))
                            .collect()
                    })
                    .unwrap_or_default();
                let next = u32::try_from(self.classes.len()).unwrap_or(u32::MAX);
                let class = *self.classes.entry(values).or_insert(next);
                let span =
                    u32::try_from(self.price_changes.partition_point(|change| *change <= bucket)).unwrap_or(u32::MAX);
                self.current = Some((bucket, class, span));
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
        let sums = self.groups.entry(key).or_insert_with(|| Sums::new(bucket));
        // The earliest bucket stands for the group; any of its buckets prices it alike.
        sums.first_bucket_ms = sums.first_bucket_ms.min(bucket);
        if !sums.add(&counts) {
            // A sum would overflow: the group so far becomes a row of its own.
            self.full.push((key, std::mem::replace(sums, counts)));
        }
    }

    /// Returns one usage row per group, with `text` giving the text of each id.
    fn finish<'t>(self, text: impl Fn(u32) -> Option<&'t str>) -> Vec<UsageRow> {
        let source = self.source.unwrap_or(self.params.source);
        self.full
            .into_iter()
            .chain(self.groups)
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
}
