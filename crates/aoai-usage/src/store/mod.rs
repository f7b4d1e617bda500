//! The local usage store: a SQLite database in WAL mode. A batch is written in one
//! transaction and acknowledged only after it commits, with `synchronous=FULL`, so an
//! acknowledged record survives the process being killed and the machine losing power.

mod memory;
mod read;
mod rows;
mod schema;
mod write;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use rusqlite::Connection;

pub use memory::{IndexedRecord, IndexedRecords, time_of};
pub use read::{ReadQuery, RejectedRow, StoredRecord};

/// A store operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the folder of the usage store {path}: {source}")]
    Folder {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot open the usage store {path}: {source}. Check USAGE_STORE and the file's permissions")]
    Open {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "the usage store {path} cannot be written: {source}. Check USAGE_STORE, the file's permissions and free space"
    )]
    NotWritable {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("usage store {path} failed: {source}")]
    Sql {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("usage store {path} contains an invalid row: {detail}")]
    InvalidRow { path: String, detail: String },
}

/// The local usage store. Writers take turns on one connection and readers use another,
/// because in WAL mode a reader sees the last commit without waiting for a writer.
#[derive(Debug)]
pub struct Store {
    path: PathBuf,
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
    /// The in-memory copy of the span records; locked after `writer` when both are held.
    memory: Mutex<memory::MemoryIndex>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Store {
    /// Opens the store at `path`, creating the file, its folder and the schema when absent.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(folder) = path.parent().filter(|folder| !folder.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder).map_err(|source| StoreError::Folder {
                path: folder.display().to_string(),
                source,
            })?;
        }
        let open = || {
            let connection = Connection::open(path).map_err(|source| StoreError::Open {
                path: path.display().to_string(),
                source,
            })?;
            schema::configure(&connection).map_err(|source| StoreError::Open {
                path: path.display().to_string(),
                source,
            })?;
            Ok::<_, StoreError>(connection)
        };
        let writer = open()?;
        schema::create(&writer).map_err(|source| StoreError::Open {
            path: path.display().to_string(),
            source,
        })?;
        // SQLite opens a file it may not write in read-only mode and fails only at the first
        // write, so one write is made here and its error stops the start.
        writer
            .execute(
                "INSERT INTO meta (key, value) VALUES ('opened_at', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [],
            )
            .map_err(|source| StoreError::NotWritable {
                path: path.display().to_string(),
                source,
            })?;
        let reader = open()?;
        Ok(Store {
            path: path.to_owned(),
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
            memory: Mutex::new(memory::MemoryIndex::default()),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn sql(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sql {
            path: self.path.display().to_string(),
            source,
        }
    }

    /// True when the store file at `path` contains the generated sample workload. The file is
    /// read as it is: unlike [`Store::open`], nothing is created or written.
    pub fn file_is_sample(path: &Path) -> Result<bool, StoreError> {
        let failed = |source| StoreError::Open {
            path: path.display().to_string(),
            source,
        };
        let connection =
            Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE).map_err(failed)?;
        connection
            .busy_timeout(std::time::Duration::from_secs(30))
            .map_err(failed)?;
        let has_meta: bool = connection
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta')",
                [],
                |row| row.get(0),
            )
            .map_err(failed)?;
        if !has_meta {
            return Ok(false);
        }
        let value: Option<String> = connection
            .query_row("SELECT value FROM meta WHERE key = 'sample'", [], |row| row.get(0))
            .or_else(|error| match error {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                other => Err(other),
            })
            .map_err(failed)?;
        Ok(value.as_deref() == Some("true"))
    }

    /// True when the store holds the generated sample workload.
    pub fn is_sample(&self) -> Result<bool, StoreError> {
        let value: Option<String> = lock(&self.reader)
            .query_row("SELECT value FROM meta WHERE key = 'sample'", [], |row| row.get(0))
            .map(Some)
            .or_else(|error| match error {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                other => Err(other),
            })
            .map_err(|error| self.sql(error))?;
        Ok(value.as_deref() == Some("true"))
    }

    /// True when the store holds no usage and no rejected telemetry.
    pub fn is_empty(&self) -> Result<bool, StoreError> {
        lock(&self.reader)
            .query_row(
                "SELECT NOT EXISTS (SELECT 1 FROM usage) AND NOT EXISTS (SELECT 1 FROM rejected)",
                [],
                |row| row.get(0),
            )
            .map_err(|error| self.sql(error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_file_read_without_writing() {
        let folder = std::env::temp_dir().join(format!("aoai-usage-sample-check-{}", std::process::id()));
        std::fs::create_dir_all(&folder).expect("folder");

        let bare = folder.join("bare.db");
        Connection::open(&bare)
            .and_then(|connection| connection.execute_batch("CREATE TABLE other (x)"))
            .expect("a database without the store's tables");
        assert!(!Store::file_is_sample(&bare).expect("readable"));
        let tables: i64 = Connection::open(&bare)
            .and_then(|connection| connection.query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get(0)))
            .expect("count");
        assert_eq!(tables, 1, "the check created nothing");

        let store_path = folder.join("usage.db");
        let store = Store::open(&store_path).expect("store");
        assert!(!Store::file_is_sample(&store_path).expect("readable"));
        lock(&store.writer)
            .execute("INSERT INTO meta (key, value) VALUES ('sample', 'true')", [])
            .expect("mark");
        assert!(Store::file_is_sample(&store_path).expect("readable"));

        let text = folder.join("notes.txt");
        std::fs::write(&text, "not a database, but long enough to have a header of one").expect("text");
        let error = Store::file_is_sample(&text).expect_err("not a database");
        assert!(error.to_string().contains("notes.txt"), "{error}");
        std::fs::remove_dir_all(&folder).expect("clean up");
    }
}
