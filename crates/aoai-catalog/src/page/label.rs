//! The text of model cells and context cells: model, version, deployment type and band.
//!
//! A model cell names all three in one string, such as `GPT-4.1-2025-04-14 Global`,
//! `o3-mini-2025-01-31 Data Zone` or `GPT-5.5 Global (<272k context length)`.

use aoai_core::{ContextBand, DeploymentType, ModelKey};

use crate::normalize::{model_alias, resolve_version};

/// The model, deployment type and band of a model cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ModelCell {
    pub model: ModelKey,
    pub deployment_type: DeploymentType,
    pub band: Option<ContextBand>,
}

/// The reason a model or context cell is not understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LabelError {
    NoDeploymentType,
    InvalidModel(String),
    InvalidBand { text: String, reason: &'static str },
}

/// Deployment-type suffixes of a model cell, lower-case, longest first.
const DEPLOYMENT_SUFFIXES: &[(&str, DeploymentType)] = &[
    ("data zone", DeploymentType::DataZone),
    ("data-zone", DeploymentType::DataZone),
    ("datazone", DeploymentType::DataZone),
    ("regional", DeploymentType::Regional),
    ("global", DeploymentType::Global),
];

/// Cell texts that mean "no band" in a context column.
const NO_BAND: &[&str] = &["", "-", "–", "—", "n/a", "all"];

/// Parses a model cell into model, deployment type and optional context band.
pub(crate) fn parse_model_cell(text: &str) -> Result<ModelCell, LabelError> {
    let (rest, band) = split_band(text)?;

    let lower = rest.to_ascii_lowercase();
    let Some((reference, deployment_type)) = DEPLOYMENT_SUFFIXES.iter().find_map(|(suffix, deployment_type)| {
        let before = lower.strip_suffix(suffix)?;
        // The suffix must be its own word: "GPT-4o Global", not "GPT-4oGlobal".
        (before.is_empty() || before.ends_with(char::is_whitespace)).then(|| (&rest[..before.len()], *deployment_type))
    }) else {
        return Err(LabelError::NoDeploymentType);
    };

    let model = parse_model(reference)?;
    Ok(ModelCell {
        model,
        deployment_type,
        band,
    })
}

/// Parses the text of a context column cell: a band marker, or one of [`NO_BAND`].
pub(crate) fn parse_context_cell(text: &str) -> Result<Option<ContextBand>, LabelError> {
    if NO_BAND.contains(&text.trim().to_lowercase().as_str()) {
        return Ok(None);
    }
    match band_marker(text) {
        Some(band) => Ok(Some(band)),
        None => Err(LabelError::InvalidBand {
            text: text.to_owned(),
            reason: "expected a context length with '<' for the short band or '>' for the long band, such as \
                     '<272k context length'",
        }),
    }
}

/// Removes a band marker from a model cell and returns the rest and the band.
///
/// The marker is a parenthesis holding `<` or `>` (`(<272k context length)`), or
/// without parentheses everything from the `<` or `>` to the end of the cell.
fn split_band(text: &str) -> Result<(String, Option<ContextBand>), LabelError> {
    let Some(marker) = text.find(['<', '>']) else {
        if text.to_ascii_lowercase().contains("context") {
            return Err(LabelError::InvalidBand {
                text: text.to_owned(),
                reason: "the cell mentions a context length without '<' or '>'",
            });
        }
        return Ok((text.trim().to_owned(), None));
    };
    let band = band_marker(text).ok_or_else(|| LabelError::InvalidBand {
        text: text.to_owned(),
        reason: "expected one band marker such as '<272k' or '>272k'",
    })?;

    let open = text[..marker].rfind('(');
    let close = text[marker..].find(')').map(|offset| marker + offset);
    let rest = match (open, close) {
        (Some(open), Some(close)) => format!("{} {}", &text[..open], &text[close + 1..]),
        _ => text[..marker].to_owned(),
    };
    let rest = rest.split_whitespace().collect::<Vec<_>>().join(" ");
    Ok((rest, Some(band)))
}

/// Returns the band of text holding exactly one of `<` and `>`, followed by a number.
fn band_marker(text: &str) -> Option<ContextBand> {
    let short = text.matches('<').count();
    let long = text.matches('>').count();
    let (symbol, band) = match (short, long) {
        (1, 0) => ('<', ContextBand::Short),
        (0, 1) => ('>', ContextBand::Long),
        _ => return None,
    };
    let after = text.split_once(symbol)?.1.trim_start();
    after.starts_with(|c: char| c.is_ascii_digit()).then_some(band)
}

/// Parses the model reference before the deployment type into the catalog's model key.
fn parse_model(reference: &str) -> Result<ModelKey, LabelError> {
    // "GPT-4o 2024-11-20" and "GPT-4.1 mini" join their words with hyphens, as Azure's
    // model names do.
    let joined = reference.split_whitespace().collect::<Vec<_>>().join("-");
    if joined.is_empty() {
        return Err(LabelError::InvalidModel(
            "no model name before the deployment type".to_owned(),
        ));
    }
    let mut model = ModelKey::parse(&joined);

    // A four-digit suffix is a version written as MMDD (`GPT-35-Turbo-0125`), placed
    // in its year by the release table that the Retail Prices classifier uses.
    if model.version.is_none()
        && let Some((name, digits)) = model.name.rsplit_once('-')
        && digits.len() == 4
        && digits.bytes().all(|byte| byte.is_ascii_digit())
    {
        let version = resolve_version(name, digits).map_err(LabelError::InvalidModel)?;
        model = ModelKey {
            name: name.to_owned(),
            version: Some(version),
        };
    }

    if let Some(azure_name) = model_alias(&model.name) {
        model.name = azure_name.to_owned();
    }
    Ok(model)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(text: &str) -> ModelCell {
        parse_model_cell(text).unwrap_or_else(|error| panic!("{text}: {error:?}"))
    }

    #[test]
    fn model_cells_parse() {
        use DeploymentType::{DataZone, Global, Regional};
        let cases = [
            ("GPT-4.1-2025-04-14 Global", "gpt-4.1", Some("2025-04-14"), Global, None),
            (
                "GPT-4.1-2025-04-14 Data Zone",
                "gpt-4.1",
                Some("2025-04-14"),
                DataZone,
                None,
            ),
            (
                "GPT-4.1-2025-04-14 DataZone",
                "gpt-4.1",
                Some("2025-04-14"),
                DataZone,
                None,
            ),
            (
                "GPT-4.1-2025-04-14  Regional",
                "gpt-4.1",
                Some("2025-04-14"),
                Regional,
                None,
            ),
            (
                "GPT-4o-mini-2024-07-18 Global",
                "gpt-4o-mini",
                Some("2024-07-18"),
                Global,
                None,
            ),
            ("GPT-4o 2024-11-20 Global", "gpt-4o", Some("2024-11-20"), Global, None),
            (
                "o3-mini-2025-01-31 Data Zone",
                "o3-mini",
                Some("2025-01-31"),
                DataZone,
                None,
            ),
            (
                "GPT-4.1-nano-2025-04-14 global",
                "gpt-4.1-nano",
                Some("2025-04-14"),
                Global,
                None,
            ),
            ("GPT-5.4 mini Global", "gpt-5.4-mini", None, Global, None),
            (
                "GPT-3.5-Turbo-0125 Regional",
                "gpt-35-turbo",
                Some("2024-01-25"),
                Regional,
                None,
            ),
            ("GPT-4.5 Global", "gpt-4.5-preview", None, Global, None),
            (
                "GPT-5.5 Global (<272k context length)",
                "gpt-5.5",
                None,
                Global,
                Some(ContextBand::Short),
            ),
            (
                "GPT-5.5 (>272k context length) Data Zone",
                "gpt-5.5",
                None,
                DataZone,
                Some(ContextBand::Long),
            ),
            (
                "GPT-5.5 Global >272k context",
                "gpt-5.5",
                None,
                Global,
                Some(ContextBand::Long),
            ),
        ];
        for (text, name, version, deployment_type, band) in cases {
            let parsed = cell(text);
            assert_eq!(parsed.model.name, name, "{text}");
            assert_eq!(
                parsed.model.version.map(|date| date.to_string()).as_deref(),
                version,
                "{text}"
            );
            assert_eq!(parsed.deployment_type, deployment_type, "{text}");
            assert_eq!(parsed.band, band, "{text}");
        }
    }

    #[test]
    fn cell_without_deployment_type_is_rejected() {
        for text in ["GPT-4.1-2025-04-14", "GPT-4.1-2025-04-14 Standard", "GPT-4oGlobal", ""] {
            assert_eq!(parse_model_cell(text), Err(LabelError::NoDeploymentType), "{text}");
        }
    }

    #[test]
    fn cell_with_only_deployment_type_is_rejected() {
        assert!(matches!(parse_model_cell(" Global"), Err(LabelError::InvalidModel(_))));
    }

    #[test]
    fn unknown_month_day_version_is_rejected() {
        let error = parse_model_cell("GPT-4o-0101 Global").unwrap_err();
        assert!(
            matches!(&error, LabelError::InvalidModel(reason) if reason.contains("0101")),
            "{error:?}"
        );
    }

    #[test]
    fn unclear_band_is_rejected() {
        for text in [
            "GPT-5.5 Global (272k context length)",
            "GPT-5.5 Global (<272k or >272k)",
            "GPT-5.5 Global (<long)",
        ] {
            assert!(
                matches!(parse_model_cell(text), Err(LabelError::InvalidBand { .. })),
                "{text}"
            );
        }
    }

    #[test]
    fn context_cells_parse() {
        let cases = [
            ("<272k context length", Some(ContextBand::Short)),
            ("> 272K", Some(ContextBand::Long)),
            ("", None),
            ("N/A", None),
            ("-", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_context_cell(text), Ok(expected), "{text}");
        }
        assert!(parse_context_cell("128k").is_err());
    }
}
