//! The bundled price snapshot: Retail Prices rows embedded in the binary, so that the
//! catalog answers offline and on first start.
//!
//! The file holds newline-delimited rows in batches, oldest first, each batch opened by a
//! line `#batch <date>`. It is generated from the real Retail Prices data in
//! `tests/fixtures/retail-prices/` by the `snapshot_matches_fixtures` test
//! (`UPDATE_SNAPSHOT=1 cargo test -p aoai-catalog --test snapshot`).
//!
//! The catalog built from those rows is bundled as well, in the compact form of
//! [`Catalog::to_saved`], so that a process starts without classifying the rows again. The
//! same test regenerates it and checks that it equals a build from the rows.

use std::io::{Read, Write};

use chrono::{DateTime, Utc};
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;

use crate::Catalog;
use crate::retail::{RetailItem, parse_items};

const SNAPSHOT_GZ: &[u8] = include_bytes!("../snapshot/retail-prices.ndjson.gz");
const CATALOG_GZ: &[u8] = include_bytes!("../snapshot/catalog.postcard.gz");

/// When the newest batch of the snapshot was fetched from the Retail Prices API.
pub fn as_of() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-08-15T00:00:00Z")
        .map(|time| time.with_timezone(&Utc))
        .unwrap_or_default()
}

/// Returns the fetch time a batch label (`2025-08-25`) names, at midnight UTC.
fn batch_time(label: &str) -> DateTime<Utc> {
    chrono::NaiveDate::parse_from_str(label, "%Y-%m-%d")
        .ok()
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .map(|time| time.and_utc())
        .unwrap_or_else(as_of)
}

/// Error for snapshot data that does not read back.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("bundled price snapshot is not valid gzip: {0}")]
    Gzip(#[from] std::io::Error),
    #[error("bundled price catalog is invalid: {0}")]
    Catalog(String),
    #[error("bundled price snapshot batch '{batch}' is invalid: {source}")]
    Rows {
        batch: String,
        #[source]
        source: crate::retail::ReadError,
    },
}

/// Reads the bundled snapshot's batches, oldest first, with their labels.
pub fn bundled_batches() -> Result<Vec<(String, Vec<RetailItem>)>, SnapshotError> {
    parse_batches(&bundled_text()?)
}

/// Returns the catalog of the bundled snapshot, decoded from its saved form.
pub fn bundled_catalog() -> Result<Catalog, SnapshotError> {
    let mut bytes = Vec::new();
    GzDecoder::new(CATALOG_GZ).read_to_end(&mut bytes)?;
    Catalog::from_saved(&bytes).map_err(SnapshotError::Catalog)
}

/// Returns the bundled catalog in its saved form, gzip-compressed, as the snapshot test
/// writes it.
pub fn bundled_catalog_saved() -> &'static [u8] {
    CATALOG_GZ
}

/// Builds the catalog from the bundled snapshot's rows.
pub fn catalog_from_rows() -> Result<Catalog, SnapshotError> {
    let batches = bundled_batches()?;
    Ok(
        Catalog::build(batches.into_iter().map(|(label, items)| (batch_time(&label), items)))
            .with_origin(crate::PriceOrigin::Snapshot),
    )
}

/// Parses snapshot text: `#batch <label>` lines, each followed by its rows.
pub fn parse_batches(text: &str) -> Result<Vec<(String, Vec<RetailItem>)>, SnapshotError> {
    let mut batches = Vec::new();
    let mut label = String::from("unlabelled");
    let mut rows = String::new();
    for line in text.lines() {
        if let Some(next) = line.strip_prefix("#batch ") {
            flush_batch(&label, &mut rows, &mut batches)?;
            label = next.trim().to_owned();
        } else {
            rows.push_str(line);
            rows.push('\n');
        }
    }
    flush_batch(&label, &mut rows, &mut batches)?;
    Ok(batches)
}

/// Parses the rows gathered under `label`, if any, into a batch.
fn flush_batch(
    label: &str,
    rows: &mut String,
    batches: &mut Vec<(String, Vec<RetailItem>)>,
) -> Result<(), SnapshotError> {
    if rows.is_empty() {
        return Ok(());
    }
    let items = parse_items(rows).map_err(|source| SnapshotError::Rows {
        batch: label.to_owned(),
        source,
    })?;
    batches.push((label.to_owned(), items));
    rows.clear();
    Ok(())
}

/// Writes batches as snapshot text, keeping only Azure OpenAI rows and the fields the
/// catalog reads.
pub fn render_batches(batches: &[(String, Vec<RetailItem>)]) -> Result<String, serde_json::Error> {
    let mut text = String::new();
    for (label, items) in batches {
        text.push_str("#batch ");
        text.push_str(label);
        text.push('\n');
        for item in items.iter().filter(|item| item.is_azure_openai()) {
            text.push_str(&serde_json::to_string(item)?);
            text.push('\n');
        }
    }
    Ok(text)
}

/// Compresses snapshot text for embedding.
pub fn compress(text: &str) -> std::io::Result<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(text.as_bytes())?;
    encoder.finish()
}

/// Decompresses the bundled snapshot to its text.
pub fn bundled_text() -> Result<String, SnapshotError> {
    let mut text = String::new();
    GzDecoder::new(SNAPSHOT_GZ).read_to_string(&mut text)?;
    Ok(text)
}
