//! Reads a track request body: optionally gzip, then a JSON array of envelopes or one
//! envelope per line.

use std::io::Read;

use flate2::read::MultiGzDecoder;
use serde_json::value::RawValue;

/// A body that cannot be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("the request body is larger than {limit} bytes after decompression; send smaller batches")]
    TooLarge { limit: usize },
    #[error("the request body is not valid gzip: {0}")]
    Gzip(String),
    #[error("the request body is neither a JSON array of envelopes nor one envelope per line: {0}")]
    NotJson(String),
    #[error("unsupported Content-Encoding '{0}'; send the body plain or with gzip")]
    Encoding(String),
}

/// One item of a body: its JSON text, or why its line is not JSON.
pub type Item<'a> = Result<&'a str, String>;

/// Splits a decoded body into items: the elements of a JSON array, or one per line. The
/// items are checked to be JSON but not yet read.
pub fn split_items(text: &str) -> Result<Vec<Item<'_>>, BodyError> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        let items: Vec<&RawValue> =
            serde_json::from_str(trimmed).map_err(|error| BodyError::NotJson(error.to_string()))?;
        return Ok(items.into_iter().map(|item| Ok(item.get())).collect());
    }
    let mut items = Vec::new();
    for line in text.lines().filter(|line| !line.trim().is_empty()) {
        items.push(
            serde_json::from_str::<&RawValue>(line)
                .map(RawValue::get)
                .map_err(|error| format!("the line is not JSON: {error}")),
        );
    }
    if items.is_empty() {
        return Err(BodyError::NotJson("the body is empty".to_owned()));
    }
    if items.iter().all(Result::is_err) {
        let first = items.into_iter().find_map(Result::err).unwrap_or_default();
        return Err(BodyError::NotJson(first));
    }
    Ok(items)
}

/// Decompresses a body and checks that it is UTF-8, without a byte order mark.
pub fn decode(body: &[u8], content_encoding: Option<&str>, limit: usize) -> Result<String, BodyError> {
    let encoding = content_encoding.map(|value| value.trim().to_ascii_lowercase());
    let bytes = match encoding.as_deref() {
        None | Some("") | Some("identity") => {
            if body.len() > limit {
                return Err(BodyError::TooLarge { limit });
            }
            body.to_vec()
        }
        Some("gzip") | Some("x-gzip") => {
            let mut decoded = Vec::new();
            // Every member is read, as `cat a.gz b.gz` makes them. Reading one byte past the
            // limit separates a body at the limit from a larger one.
            MultiGzDecoder::new(body)
                .take(limit as u64 + 1)
                .read_to_end(&mut decoded)
                .map_err(|error| BodyError::Gzip(error.to_string()))?;
            if decoded.len() > limit {
                return Err(BodyError::TooLarge { limit });
            }
            decoded
        }
        Some(other) => return Err(BodyError::Encoding(other.to_owned())),
    };
    let text = String::from_utf8(bytes).map_err(|_| BodyError::NotJson("the body is not UTF-8".to_owned()))?;
    // Some writers start UTF-8 text with a byte order mark, which JSON does not allow.
    Ok(text.strip_prefix('\u{feff}').map(str::to_owned).unwrap_or(text))
}
