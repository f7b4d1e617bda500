//! Reads saved Retail Prices API data: a page envelope (`{"Items": [...]}`) or
//! newline-delimited items.

use super::{RetailItem, RetailPage};

/// Error for saved price data that does not parse.
#[derive(Debug, thiserror::Error)]
#[error("invalid Retail Prices data at line {line}: {source}")]
pub struct ReadError {
    pub line: usize,
    #[source]
    pub source: serde_json::Error,
}

/// Parses an envelope or newline-delimited items, whichever `text` holds.
pub fn parse_items(text: &str) -> Result<Vec<RetailItem>, ReadError> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{')
        && trimmed.contains("\"Items\"")
        && let Ok(page) = serde_json::from_str::<RetailPage>(text)
    {
        return Ok(page.items);
    }
    let mut items = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let item = serde_json::from_str(line).map_err(|source| ReadError {
            line: index + 1,
            source,
        })?;
        items.push(item);
    }
    Ok(items)
}
