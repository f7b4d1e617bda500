use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A model version: Azure names versions by their release date (`2024-11-20`).
pub type ModelVersion = NaiveDate;

/// A model family and, where known, its version.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ModelKey {
    /// Canonical lower-case Azure model name, such as `gpt-4o-mini` or `gpt-35-turbo`.
    pub name: String,
    /// The release date that names the version, or `None` for a meter that prices
    /// every version of the model alike.
    pub version: Option<ModelVersion>,
}

impl ModelKey {
    /// Splits a model reference into name and version.
    ///
    /// Accepts the forms Azure returns in responses, where a `-YYYY-MM-DD` suffix names
    /// the version (`gpt-4o-2024-11-20`), as well as bare names (`gpt-4o`).
    pub fn parse(reference: &str) -> ModelKey {
        let reference = reference.trim();
        if let Some((name, version)) = split_version_suffix(reference) {
            return ModelKey {
                name: canonical_model_name(name),
                version: Some(version),
            };
        }
        ModelKey {
            name: canonical_model_name(reference),
            version: None,
        }
    }
}

impl fmt::Display for ModelKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.version {
            Some(version) => write!(f, "{}-{}", self.name, version.format("%Y-%m-%d")),
            None => f.write_str(&self.name),
        }
    }
}

fn split_version_suffix(reference: &str) -> Option<(&str, NaiveDate)> {
    // "-YYYY-MM-DD" is eleven bytes; check for ASCII first so the slice is on a char boundary.
    let cut = reference.len().checked_sub(11)?;
    if !reference.is_char_boundary(cut) || reference.as_bytes()[cut] != b'-' {
        return None;
    }
    let date = NaiveDate::parse_from_str(&reference[cut + 1..], "%Y-%m-%d").ok()?;
    let name = &reference[..cut];
    (!name.is_empty()).then_some((name, date))
}

/// Returns the canonical Azure spelling of a model name.
///
/// Names are lower-cased, and the OpenAI spelling `gpt-3.5-turbo` becomes Azure's
/// `gpt-35-turbo`, so that either form finds the same prices.
pub fn canonical_model_name(name: &str) -> String {
    let lower = name.trim().to_ascii_lowercase();
    match lower.strip_prefix("gpt-3.5-turbo") {
        Some(rest) => format!("gpt-35-turbo{rest}"),
        None => lower,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("valid date")
    }

    #[test]
    fn model_reference_forms() {
        let cases = [
            ("gpt-4o-2024-11-20", "gpt-4o", Some("2024-11-20")),
            ("gpt-4o", "gpt-4o", None),
            ("GPT-4.1-mini-2025-04-14", "gpt-4.1-mini", Some("2025-04-14")),
            ("gpt-3.5-turbo", "gpt-35-turbo", None),
            ("gpt-35-turbo-16k", "gpt-35-turbo-16k", None),
            ("o3-mini-2025-01-31", "o3-mini", Some("2025-01-31")),
            ("gpt-4o-2024-13-40", "gpt-4o-2024-13-40", None),
            ("2024-11-20", "2024-11-20", None),
            ("modèle-2024-11-20", "modèle", Some("2024-11-20")),
        ];
        for (reference, name, version) in cases {
            let key = ModelKey::parse(reference);
            assert_eq!(key.name, name, "{reference}");
            assert_eq!(key.version, version.map(date), "{reference}");
        }
    }

    #[test]
    fn model_key_displays_as_azure_reference() {
        let key = ModelKey::parse("gpt-4o-2024-08-06");
        assert_eq!(key.to_string(), "gpt-4o-2024-08-06");
    }
}
