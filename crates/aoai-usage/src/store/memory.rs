//! An in-memory copy of the stored span records, in columns with interned text, so that a
//! report reads a month of records without decoding SQLite rows one by one.
//!
//! It contains the records of the span sources (`otel`, `apim-logs`) whose user is known without
//! following parent spans: every record that has a user or has no parent. The others, and all
//! API Management metrics, are read from SQLite as before. A source is loaded on its first
//! scan and then kept equal to the table: each committed batch is appended under the writer
//! lock. A commit by another connection to the same file (a second process) changes SQLite's
//! `data_version`, and the copy is then loaded again.

use std::collections::HashMap;
use std::ops::Range;

use chrono::{TimeZone, Utc};
use rusqlite::{Connection, params};

use super::{Store, StoreError, lock};
use crate::record::{UsageRecord, UsageSource};

/// Interned text; id 0 is "no value".
#[derive(Debug, Default)]
struct Texts {
    ids: HashMap<Box<str>, u32>,
    values: Vec<Box<str>>,
}

impl Texts {
    fn intern(&mut self, value: Option<&str>) -> u32 {
        let Some(value) = value else { return 0 };
        if let Some(id) = self.ids.get(value) {
            return *id;
        }
        self.values.push(value.into());
        // Ids start at 1; 0 stands for no value.
        let id = u32::try_from(self.values.len()).unwrap_or(u32::MAX);
        self.ids.insert(value.into(), id);
        id
    }

    fn get(&self, id: u32) -> Option<&str> {
        let index = usize::try_from(id).ok()?.checked_sub(1)?;
        self.values.get(index).map(|value| &**value)
    }
}

const ESTIMATED: u8 = 1;
const USAGE_MISSING: u8 = 2;

/// The records of one source, one vector per field.
#[derive(Debug, Default)]
struct Columns {
    time_ms: Vec<i64>,
    user: Vec<u32>,
    deployment: Vec<u32>,
    response_model: Vec<u32>,
    service_tier: Vec<u32>,
    subscription: Vec<u32>,
    flags: Vec<u8>,
    requests: Vec<u64>,
    input: Vec<u64>,
    cached: Vec<u64>,
    output: Vec<u64>,
    reasoning: Vec<u64>,
    /// False after a record older than the last one was appended.
    sorted: bool,
}

impl Columns {
    fn push(&mut self, texts: &mut Texts, record: &UsageRecord) {
        let time_ms = record.time.timestamp_millis();
        if self.time_ms.last().is_some_and(|last| *last > time_ms) {
            self.sorted = false;
        }
        let usage = record.usage.unwrap_or_default();
        let mut flags = 0;
        if record.estimated {
            flags |= ESTIMATED;
        }
        if record.usage.is_none() {
            flags |= USAGE_MISSING;
        }
        self.time_ms.push(time_ms);
        self.user.push(texts.intern(record.user.as_deref()));
        self.deployment.push(texts.intern(record.deployment.as_deref()));
        self.response_model.push(texts.intern(record.response_model.as_deref()));
        self.service_tier.push(texts.intern(record.service_tier.as_deref()));
        self.subscription.push(texts.intern(record.subscription.as_deref()));
        self.flags.push(flags);
        self.requests.push(record.requests);
        self.input.push(usage.input);
        self.cached.push(usage.cached_input);
        self.output.push(usage.output);
        self.reasoning.push(usage.reasoning);
    }

    /// Orders the records by time, keeping the order of equal times, as SQLite returns them.
    fn sort(&mut self) {
        if self.sorted {
            return;
        }
        let mut order: Vec<usize> = (0..self.time_ms.len()).collect();
        order.sort_by_key(|index| self.time_ms[*index]);
        fn permute<T: Copy>(values: &mut Vec<T>, order: &[usize]) {
            *values = order.iter().map(|index| values[*index]).collect();
        }
        permute(&mut self.time_ms, &order);
        permute(&mut self.user, &order);
        permute(&mut self.deployment, &order);
        permute(&mut self.response_model, &order);
        permute(&mut self.service_tier, &order);
        permute(&mut self.subscription, &order);
        permute(&mut self.flags, &order);
        permute(&mut self.requests, &order);
        permute(&mut self.input, &order);
        permute(&mut self.cached, &order);
        permute(&mut self.output, &order);
        permute(&mut self.reasoning, &order);
        self.sorted = true;
    }
}

/// The loaded sources and the `data_version` of the writer connection they match.
#[derive(Debug, Default)]
pub(super) struct MemoryIndex {
    texts: Texts,
    sources: HashMap<UsageSource, Columns>,
    data_version: i64,
}

/// True for a record the index holds: a span record whose user needs no parent lookup.
pub(super) fn is_indexed(record: &UsageRecord) -> bool {
    record.source != UsageSource::Apim && (record.user.is_some() || record.parent_span.is_none())
}

impl MemoryIndex {
    /// Appends the committed records of the loaded sources.
    pub(super) fn append(&mut self, records: &[UsageRecord]) {
        for record in records.iter().filter(|record| is_indexed(record)) {
            if let Some(columns) = self.sources.get_mut(&record.source) {
                columns.push(&mut self.texts, record);
            }
        }
    }
}

/// One indexed record, with its text as ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexedRecord {
    pub time_ms: i64,
    pub user: u32,
    pub deployment: u32,
    pub response_model: u32,
    pub service_tier: u32,
    pub subscription: u32,
    pub estimated: bool,
    pub usage_missing: bool,
    pub requests: u64,
    pub input: u64,
    pub cached: u64,
    pub output: u64,
    pub reasoning: u64,
}

/// The indexed records of a scan, in time order, and the text behind their ids.
#[derive(Debug)]
pub struct IndexedRecords<'a> {
    columns: &'a Columns,
    texts: &'a Texts,
    range: Range<usize>,
}

impl IndexedRecords<'_> {
    pub fn len(&self) -> usize {
        self.range.len()
    }

    pub fn is_empty(&self) -> bool {
        self.range.is_empty()
    }

    /// Returns the text of an id, `None` for id 0.
    pub fn text(&self, id: u32) -> Option<&str> {
        self.texts.get(id)
    }

    /// Returns the records in time order.
    pub fn iter(&self) -> impl Iterator<Item = IndexedRecord> + '_ {
        let c = self.columns;
        self.range.clone().map(move |i| IndexedRecord {
            time_ms: c.time_ms[i],
            user: c.user[i],
            deployment: c.deployment[i],
            response_model: c.response_model[i],
            service_tier: c.service_tier[i],
            subscription: c.subscription[i],
            estimated: c.flags[i] & ESTIMATED != 0,
            usage_missing: c.flags[i] & USAGE_MISSING != 0,
            requests: c.requests[i],
            input: c.input[i],
            cached: c.cached[i],
            output: c.output[i],
            reasoning: c.reasoning[i],
        })
    }
}

/// Returns SQLite's `data_version` of `connection`, which changes when another connection
/// commits. It is read inside a read transaction, because in WAL mode the connection reads
/// other connections' commits only when such a transaction starts.
fn data_version(connection: &Connection) -> rusqlite::Result<i64> {
    connection.execute_batch("BEGIN DEFERRED; SELECT count(*) FROM meta;")?;
    let version = connection.query_row("PRAGMA data_version", [], |row| row.get(0));
    connection.execute_batch("COMMIT")?;
    version
}

impl Store {
    /// Calls `visit` with the indexed records of `query` over `[from, to)`: the span records
    /// whose user needs no parent lookup. [`Store::read_rows_needing_ancestors`] reads the rest.
    pub fn scan_indexed(
        &self,
        source: UsageSource,
        from_ms: i64,
        to_ms: i64,
        visit: impl FnOnce(&IndexedRecords<'_>),
    ) -> Result<(), StoreError> {
        if source == UsageSource::Apim {
            return Ok(());
        }
        let writer = lock(&self.writer);
        let mut memory = lock(&self.memory);
        let version = data_version(&writer).map_err(|error| self.sql(error))?;
        if memory.data_version != version {
            // Another connection wrote to the file: the copy may be out of date.
            *memory = MemoryIndex {
                data_version: version,
                ..MemoryIndex::default()
            };
        }

        if !memory.sources.contains_key(&source) {
            let started = std::time::Instant::now();
            let mut columns = Columns {
                sorted: true,
                ..Columns::default()
            };
            let index = &mut *memory;
            self.load(&writer, source, &mut index.texts, &mut columns)?;
            tracing::info!(
                source = source.as_str(),
                records = columns.time_ms.len(),
                elapsed_ms = started.elapsed().as_millis(),
                "loaded the usage records into memory"
            );
            memory.sources.insert(source, columns);
        }
        // Writers wait only for the version check and the first load, not for the scan.
        drop(writer);
        let index = &mut *memory;
        let Some(columns) = index.sources.get_mut(&source) else {
            return Ok(());
        };
        columns.sort();
        let start = columns.time_ms.partition_point(|time| *time < from_ms);
        let end = columns.time_ms.partition_point(|time| *time < to_ms).max(start);
        visit(&IndexedRecords {
            columns,
            texts: &index.texts,
            range: start..end,
        });
        Ok(())
    }

    fn load(
        &self,
        connection: &Connection,
        source: UsageSource,
        texts: &mut Texts,
        columns: &mut Columns,
    ) -> Result<(), StoreError> {
        let mut statement = connection
            .prepare(
                "SELECT time_ms, user_id, parent_span, deployment, response_model,
                        service_tier, provider, subscription, metric, requests, usage_missing,
                        input_tokens, cached_input_tokens, output_tokens, reasoning_tokens, estimated
                 FROM usage
                 WHERE source = ?1 AND NOT (user_id IS NULL AND parent_span IS NOT NULL)
                 ORDER BY time_ms, id",
            )
            .map_err(|error| self.sql(error))?;
        let mut rows = statement
            .query(params![source.as_str()])
            .map_err(|error| self.sql(error))?;
        while let Some(row) = rows.next().map_err(|error| self.sql(error))? {
            let record = self.row_record(source, row)?;
            columns.push(texts, &record);
        }
        Ok(())
    }
}

/// Converts epoch milliseconds to a time, for callers that build rows from indexed records.
pub fn time_of(time_ms: i64) -> Option<chrono::DateTime<Utc>> {
    Utc.timestamp_millis_opt(time_ms).single()
}
