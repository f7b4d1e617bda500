//! User directory with the readable name, email, team and cost center behind each user id.
//!
//! User ids are often Entra object ids (`3f2b…`), which tell a reader nothing about the user. The app reads the
//! directory from the file that `USAGE_DIRECTORY` names, CSV or JSON by its extension:
//!
//! | form | shape |
//! |---|---|
//! | `.csv` | a header row, then one user a row; columns in any order, unknown columns ignored |
//! | `.json` | an array of objects, or `{"users": [ … ]}` |
//!
//! Column and key names are matched ignoring case, spaces, `_` and `-`, so `display_name`,
//! `Display Name` and `displayName` are the same column. Only `id` is required. Cells and
//! values are trimmed, and empty ones are `None`. CSV rows whose cells are all empty are
//! skipped. Ids are matched ignoring case and surrounding spaces, so a row may repeat an id
//! only with the same values.

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Map, Value};

/// One user of the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DirectoryEntry {
    /// The user id as the file spells it, trimmed.
    pub id: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub team: Option<String>,
    pub cost_center: Option<String>,
}

/// Users by id, matched ignoring case and surrounding spaces.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    entries: Vec<DirectoryEntry>,
    /// Line or index of each entry for duplicate errors, parallel to `entries`.
    locations: Vec<String>,
    /// Trimmed, lower-cased id to position in `entries`.
    by_id: HashMap<String, usize>,
}

/// Error for a directory file that cannot be read or that lists a user wrongly.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("failed to read user directory '{}': {source}; check the path in USAGE_DIRECTORY and that the file is UTF-8", path.display())]
    Read { path: PathBuf, source: std::io::Error },

    #[error("user directory '{}' has an unsupported extension; name it .csv or .json after its format", path.display())]
    UnsupportedFormat { path: PathBuf },

    #[error("user directory '{origin}' is empty; add a header row with an 'id' column, or a JSON array of users")]
    Empty { origin: String },

    #[error(
        "user directory '{origin}' has no 'id' column (found: {headers}); add a column named 'id' to the header row"
    )]
    MissingIdColumn { origin: String, headers: String },

    #[error("user directory '{origin}' has the column '{field}' twice, as '{first}' and '{second}'; remove one")]
    RepeatedColumn {
        origin: String,
        field: &'static str,
        first: String,
        second: String,
    },

    #[error(
        "user directory '{origin}' is not valid CSV: {source}; check the quoting and the number of cells on that line"
    )]
    Csv { origin: String, source: csv::Error },

    #[error("user directory '{origin}' is not valid JSON: {source}; correct the file at that line and column")]
    Json { origin: String, source: serde_json::Error },

    #[error(
        "user directory '{origin}' has an unsupported shape: {detail}; expected an array of user \
         objects, or an object with a \"users\" array"
    )]
    Shape { origin: String, detail: String },

    #[error("user directory '{origin}', {location}: the id is empty; give every user an id or delete the row")]
    EmptyId { origin: String, location: String },

    #[error("user directory '{origin}', {location}: field '{field}' {problem}")]
    InvalidField {
        origin: String,
        location: String,
        field: String,
        /// The fault in the value and the way to correct it.
        problem: String,
    },

    #[error(
        "user directory '{origin}' lists user id '{id}' twice with different values, at {first} and at \
         {second}; ids ignore case, so keep one entry per user"
    )]
    DuplicateId {
        origin: String,
        id: String,
        first: String,
        second: String,
    },
}

/// The directory fields, which name both CSV columns and JSON keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Id,
    DisplayName,
    Email,
    Team,
    CostCenter,
}

impl Field {
    const ALL: [Field; 5] = [
        Field::Id,
        Field::DisplayName,
        Field::Email,
        Field::Team,
        Field::CostCenter,
    ];

    /// Returns the field a column header or JSON key names, ignoring case, spaces, `_` and `-`.
    fn from_header(header: &str) -> Option<Field> {
        let folded: String = header
            .chars()
            .filter(|c| !matches!(c, ' ' | '_' | '-'))
            .flat_map(char::to_lowercase)
            .collect();
        match folded.as_str() {
            "id" => Some(Field::Id),
            "displayname" => Some(Field::DisplayName),
            "email" => Some(Field::Email),
            "team" => Some(Field::Team),
            "costcenter" => Some(Field::CostCenter),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Field::Id => "id",
            Field::DisplayName => "display_name",
            Field::Email => "email",
            Field::Team => "team",
            Field::CostCenter => "cost_center",
        }
    }

    fn position(self) -> usize {
        match self {
            Field::Id => 0,
            Field::DisplayName => 1,
            Field::Email => 2,
            Field::Team => 3,
            Field::CostCenter => 4,
        }
    }
}

/// The trimmed, non-empty values of one user, indexed by [`Field::position`].
type Values = [Option<String>; 5];

impl Directory {
    /// Reads a directory file as CSV or JSON, chosen by its extension (`.csv` or `.json`, any case).
    pub fn from_file(path: &Path) -> Result<Directory, DirectoryError> {
        let extension = path
            .extension()
            .and_then(|extension| extension.to_str())
            .map(str::to_ascii_lowercase);
        let parse: fn(&str, &str) -> Result<Directory, DirectoryError> = match extension.as_deref() {
            Some("csv") => Directory::parse_csv,
            Some("json") => Directory::parse_json,
            _ => {
                return Err(DirectoryError::UnsupportedFormat { path: path.to_owned() });
            }
        };

        let text = std::fs::read_to_string(path).map_err(|source| DirectoryError::Read {
            path: path.to_owned(),
            source,
        })?;
        let directory = parse(&text, &path.display().to_string())?;
        tracing::info!(path = %path.display(), users = directory.len(), "loaded user directory");
        Ok(directory)
    }

    /// Parses CSV text with a header row. `origin` names the file in error messages.
    pub fn parse_csv(text: &str, origin: &str) -> Result<Directory, DirectoryError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        if text.trim().is_empty() {
            return Err(DirectoryError::Empty {
                origin: origin.to_owned(),
            });
        }
        let csv_error = |source| DirectoryError::Csv {
            origin: origin.to_owned(),
            source,
        };

        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let headers = reader.headers().map_err(csv_error)?.clone();
        let columns = csv_columns(&headers, origin)?;

        let mut directory = Directory::default();
        for record in reader.records() {
            let record = record.map_err(csv_error)?;
            if record.iter().all(str::is_empty) {
                continue;
            }
            let line = record.position().map_or(0, csv::Position::line);
            let mut values: Values = Default::default();
            for (field, column) in Field::ALL.iter().zip(columns) {
                values[field.position()] = column.and_then(|index| non_empty(record.get(index).unwrap_or("")));
            }
            directory.insert(values, format!("line {line}"), origin)?;
        }
        Ok(directory)
    }

    /// Parses a JSON array of user objects, or an object with a `users` array.
    ///
    /// `origin` names the file in error messages. Unknown keys are ignored.
    pub fn parse_json(text: &str, origin: &str) -> Result<Directory, DirectoryError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        if text.trim().is_empty() {
            return Err(DirectoryError::Empty {
                origin: origin.to_owned(),
            });
        }
        let document: Value = serde_json::from_str(text).map_err(|source| DirectoryError::Json {
            origin: origin.to_owned(),
            source,
        })?;
        let shape_error = |detail: String| DirectoryError::Shape {
            origin: origin.to_owned(),
            detail,
        };

        let items = match document {
            Value::Array(items) => items,
            Value::Object(mut object) => match object.remove("users") {
                Some(Value::Array(items)) => items,
                Some(other) => return Err(shape_error(format!("\"users\" is {}", type_name(&other)))),
                None => return Err(shape_error("the object has no \"users\" key".to_owned())),
            },
            other => return Err(shape_error(format!("the top level is {}", type_name(&other)))),
        };

        let mut directory = Directory::default();
        for (index, item) in items.iter().enumerate() {
            let location = format!("index {index}");
            let Value::Object(object) = item else {
                return Err(DirectoryError::InvalidField {
                    origin: origin.to_owned(),
                    location,
                    field: "(user)".to_owned(),
                    problem: format!("is {}, not an object; write each user as an object", type_name(item)),
                });
            };
            let values = json_values(object, origin, &location)?;
            directory.insert(values, location, origin)?;
        }
        Ok(directory)
    }

    /// Returns the user with this id, ignoring case and surrounding spaces.
    pub fn get(&self, user_id: &str) -> Option<&DirectoryEntry> {
        let position = self.by_id.get(&id_key(user_id))?;
        self.entries.get(*position)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Iterates over the users in the order the file lists them.
    pub fn iter(&self) -> impl Iterator<Item = &DirectoryEntry> {
        self.entries.iter()
    }

    /// Adds one user, or skips it when an earlier entry has the same id and values.
    fn insert(&mut self, values: Values, location: String, origin: &str) -> Result<(), DirectoryError> {
        let [id, display_name, email, team, cost_center] = values;
        let Some(id) = id else {
            return Err(DirectoryError::EmptyId {
                origin: origin.to_owned(),
                location,
            });
        };
        let entry = DirectoryEntry {
            id,
            display_name,
            email,
            team,
            cost_center,
        };

        let key = id_key(&entry.id);
        if let Some(&position) = self.by_id.get(&key) {
            let existing = &self.entries[position];
            let same_values = existing.display_name == entry.display_name
                && existing.email == entry.email
                && existing.team == entry.team
                && existing.cost_center == entry.cost_center;
            if same_values {
                return Ok(());
            }
            return Err(DirectoryError::DuplicateId {
                origin: origin.to_owned(),
                id: entry.id,
                first: self.locations[position].clone(),
                second: location,
            });
        }
        self.by_id.insert(key, self.entries.len());
        self.entries.push(entry);
        self.locations.push(location);
        Ok(())
    }
}

impl<'a> IntoIterator for &'a Directory {
    type Item = &'a DirectoryEntry;
    type IntoIter = std::slice::Iter<'a, DirectoryEntry>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter()
    }
}

fn id_key(id: &str) -> String {
    id.trim().to_lowercase()
}

fn non_empty(cell: &str) -> Option<String> {
    let cell = cell.trim();
    (!cell.is_empty()).then(|| cell.to_owned())
}

/// Finds the column index of each field, in [`Field::ALL`] order.
fn csv_columns(headers: &csv::StringRecord, origin: &str) -> Result<[Option<usize>; 5], DirectoryError> {
    let mut columns: [Option<usize>; 5] = [None; 5];
    for (index, header) in headers.iter().enumerate() {
        let Some(field) = Field::from_header(header) else {
            continue;
        };
        let slot = &mut columns[field.position()];
        if let Some(first) = *slot {
            return Err(DirectoryError::RepeatedColumn {
                origin: origin.to_owned(),
                field: field.as_str(),
                first: headers.get(first).unwrap_or("").to_owned(),
                second: header.to_owned(),
            });
        }
        *slot = Some(index);
    }

    if columns[Field::Id.position()].is_none() {
        let found: Vec<String> = headers.iter().map(|header| format!("'{header}'")).collect();
        return Err(DirectoryError::MissingIdColumn {
            origin: origin.to_owned(),
            headers: found.join(", "),
        });
    }
    Ok(columns)
}

/// Reads the fields of one JSON user object.
fn json_values(object: &Map<String, Value>, origin: &str, location: &str) -> Result<Values, DirectoryError> {
    let invalid = |key: &str, problem: String| DirectoryError::InvalidField {
        origin: origin.to_owned(),
        location: location.to_owned(),
        field: key.to_owned(),
        problem,
    };

    let mut values: Values = Default::default();
    let mut keys: [Option<&str>; 5] = [None; 5];
    for (key, value) in object {
        let Some(field) = Field::from_header(key) else {
            continue;
        };
        if let Some(first) = keys[field.position()] {
            return Err(invalid(key, format!("repeats '{first}'; keep one of the two keys")));
        }
        keys[field.position()] = Some(key);

        values[field.position()] = match value {
            Value::Null => None,
            Value::String(text) => non_empty(text),
            // An employee number may be written as a JSON number, so it is read as its decimal text.
            Value::Number(number) if field == Field::Id => Some(number.to_string()),
            other => {
                return Err(invalid(
                    key,
                    format!("is {}, not a string; write it as a JSON string", type_name(other)),
                ));
            }
        };
    }

    if keys[Field::Id.position()].is_none() {
        return Err(invalid("id", "is missing; give every user an \"id\"".to_owned()));
    }
    Ok(values)
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
