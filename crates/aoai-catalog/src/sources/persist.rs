//! The last good live catalogs on disk, so that a restarted app serves them instead of
//! the older bundled snapshot.
//!
//! Each catalog is one JSON file named after the source, the currency and a fingerprint
//! of the settings that shape it (addresses and regions), so a changed setting never
//! serves a catalog fetched under the old one. Files are written to a temporary name and
//! renamed, so a reader never sees half a file.

use std::path::{Path, PathBuf};

use aoai_core::Currency;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::cache::CacheKey;
use super::{LoadedCatalog, SourceKind, SourceSettings};
use crate::Catalog;
use crate::entry::{CatalogStats, PriceEntry, RejectedRow};

const FORMAT: u32 = 1;

/// The folder and settings fingerprint under which live catalogs are written.
#[derive(Debug, Clone)]
pub struct DiskCache {
    dir: PathBuf,
    source: SourceKind,
    fingerprint: String,
}

#[derive(Serialize, Deserialize)]
struct Stored {
    format: u32,
    source: String,
    currency: Currency,
    as_of: DateTime<Utc>,
    warnings: Vec<String>,
    stats: CatalogStats,
    entries: Vec<PriceEntry>,
    rejected: Vec<RejectedRow>,
}

impl DiskCache {
    /// Returns the disk cache for `settings`, or `None` when it has no folder or a fixed source.
    pub fn for_settings(settings: &SourceSettings) -> Option<DiskCache> {
        let dir = settings.cache_dir.clone()?;
        if !settings.kind.is_live() {
            return None;
        }
        // Only the settings the source reads shape its catalog.
        let mut shape = vec![settings.kind.as_str().to_owned()];
        if matches!(settings.kind, SourceKind::RetailApi | SourceKind::Auto) {
            shape.push(settings.retail.base_url.clone());
            shape.push(settings.retail.service_name.clone());
            shape.extend(settings.retail.regions.iter().cloned());
        }
        if matches!(settings.kind, SourceKind::PricingPage | SourceKind::Auto) {
            shape.push(settings.page_url.clone());
            shape.push(settings.rates_url.clone());
        }
        Some(DiskCache {
            dir,
            source: settings.kind,
            fingerprint: format!("{:016x}", fnv1a(&shape.join("\n"))),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, currency: Currency) -> PathBuf {
        self.dir
            .join(format!("prices-{}-{currency}-{}.json", self.source, self.fingerprint))
    }

    /// Writes `loaded` as the last good catalog of `key`.
    pub fn write(&self, key: CacheKey, loaded: &LoadedCatalog) -> Result<(), String> {
        let CacheKey::Prices(currency) = key else {
            return Ok(());
        };
        let stored = Stored {
            format: FORMAT,
            source: loaded.source.as_str().to_owned(),
            currency,
            as_of: loaded.as_of,
            warnings: loaded.warnings.clone(),
            stats: loaded.catalog.stats(),
            entries: loaded.catalog.entries().to_vec(),
            rejected: loaded.catalog.rejected().to_vec(),
        };
        let path = self.path(currency);
        std::fs::create_dir_all(&self.dir)
            .map_err(|error| format!("cannot create cache folder {}: {error}", self.dir.display()))?;
        let temporary = path.with_extension(format!("json.{}.tmp", std::process::id()));
        let body = serde_json::to_vec(&stored).map_err(|error| format!("cannot serialize the catalog: {error}"))?;
        std::fs::write(&temporary, body)
            .and_then(|()| std::fs::rename(&temporary, &path))
            .map_err(|error| {
                let _ = std::fs::remove_file(&temporary);
                format!("cannot write {}: {error}", path.display())
            })
    }

    /// Reads every catalog written under this source and fingerprint. A file that does not
    /// read back is skipped with a warning; the cache only saves a fetch.
    pub fn read_all(&self) -> Vec<(CacheKey, LoadedCatalog)> {
        let Ok(listing) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let prefix = format!("prices-{}-", self.source);
        let suffix = format!("-{}.json", self.fingerprint);
        let mut found = Vec::new();
        for path in listing.filter_map(|entry| entry.ok().map(|entry| entry.path())) {
            let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
                continue;
            };
            if !name.starts_with(&prefix) || !name.ends_with(&suffix) {
                continue;
            }
            match self.read(&path) {
                Ok(loaded) => found.push((CacheKey::Prices(loaded.currency), loaded)),
                Err(error) => tracing::warn!(path = %path.display(), error = %error, "cached price catalog skipped"),
            }
        }
        found
    }

    fn read(&self, path: &Path) -> Result<LoadedCatalog, String> {
        let bytes = std::fs::read(path).map_err(|error| error.to_string())?;
        let stored: Stored = serde_json::from_slice(&bytes).map_err(|error| error.to_string())?;
        if stored.format != FORMAT {
            return Err(format!("format {} is not {FORMAT}", stored.format));
        }
        if stored.source != self.source.as_str() {
            return Err(format!("written by source {}, not {}", stored.source, self.source));
        }
        if stored.entries.is_empty() {
            return Err("it holds no prices".to_owned());
        }
        Ok(LoadedCatalog {
            catalog: Catalog::from_entries(stored.entries, stored.rejected, stored.stats),
            source: self.source,
            currency: stored.currency,
            as_of: stored.as_of,
            fixed: false,
            warnings: stored.warnings,
        })
    }
}

/// Hashes `text` with 64-bit FNV-1a, which is stable across builds and platforms.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
