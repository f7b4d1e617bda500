//! Release dates of Azure OpenAI model versions.
//!
//! Meter names carry a version as `MMDD` without the year (`gpt 4o 0806`). The year is
//! taken from this table of the versions Azure has released, from the model tables of
//! Microsoft's "Azure OpenAI in Azure AI Foundry Models" documentation. An `MMDD` that
//! is not listed for its model is rejected, never guessed from the meter's dates.

use chrono::NaiveDate;

const RELEASES: &[(&str, &[&str])] = &[
    (
        "gpt-35-turbo",
        &["2023-03-01", "2023-06-13", "2023-11-06", "2024-01-25"],
    ),
    ("gpt-35-turbo-16k", &["2023-06-13"]),
    ("gpt-4", &["2023-03-14", "2023-06-13", "2024-04-09"]),
    ("gpt-4-32k", &["2023-03-14", "2023-06-13"]),
    ("gpt-4o", &["2024-05-13", "2024-08-06", "2024-11-20"]),
    ("gpt-4o-mini", &["2024-07-18"]),
    ("gpt-4o-realtime-preview", &["2024-10-01", "2024-12-17", "2025-06-03"]),
    ("gpt-4o-mini-realtime-preview", &["2024-12-17"]),
    ("gpt-4o-audio-preview", &["2024-12-17", "2025-06-03"]),
    ("gpt-4o-mini-audio-preview", &["2024-12-17"]),
    ("gpt-4o-transcribe", &["2025-03-20"]),
    ("gpt-4o-mini-transcribe", &["2025-03-20", "2025-12-15"]),
    ("gpt-4o-mini-tts", &["2025-03-20", "2025-12-15"]),
    ("gpt-4.1", &["2025-04-14"]),
    ("gpt-4.1-mini", &["2025-04-14"]),
    ("gpt-4.1-nano", &["2025-04-14"]),
    ("gpt-4.5-preview", &["2025-02-27"]),
    ("o1", &["2024-12-17"]),
    ("o1-preview", &["2024-09-12"]),
    ("o1-mini", &["2024-09-12"]),
    ("o3-mini", &["2025-01-31"]),
    ("o3", &["2025-04-16"]),
    ("o4-mini", &["2025-04-16"]),
    ("o3-pro", &["2025-06-10"]),
    ("o3-deep-research", &["2025-06-26"]),
    ("codex-mini", &["2025-05-16"]),
    ("gpt-5", &["2025-08-07"]),
    ("gpt-5-mini", &["2025-08-07"]),
    ("gpt-5-nano", &["2025-08-07"]),
    ("gpt-5-chat", &["2025-08-07", "2025-10-03"]),
    ("gpt-5-codex", &["2025-09-15"]),
    ("gpt-5-pro", &["2025-10-06"]),
    ("gpt-5.1", &["2025-11-13"]),
    ("gpt-5.1-chat", &["2025-11-13"]),
    ("gpt-5.1-codex", &["2025-11-13"]),
    ("gpt-5.1-codex-mini", &["2025-11-13"]),
    ("gpt-5.2", &["2025-12-11"]),
    ("gpt-5.2-chat", &["2025-12-11", "2026-02-10"]),
    ("gpt-realtime", &["2025-08-28"]),
    ("gpt-realtime-mini", &["2025-10-06", "2025-12-15"]),
    ("gpt-audio", &["2025-08-28"]),
    ("gpt-audio-mini", &["2025-10-06", "2025-12-15"]),
    ("gpt-image-1", &["2025-04-15"]),
    ("gpt-image-1-mini", &["2025-10-06"]),
];

/// Resolves a meter's version digits to the release date of `model`.
///
/// `digits` is `MMDD` (`0806`), `MDD` with its leading zero dropped (`125`), or a
/// full `MMDDYYYY` (`05052026`), which needs no table.
pub fn resolve(model: &str, digits: &str) -> Result<NaiveDate, String> {
    if digits.len() == 8 {
        return NaiveDate::parse_from_str(digits, "%m%d%Y")
            .map_err(|_| format!("version '{digits}' is not a valid MMDDYYYY date"));
    }
    let month_day = match digits.len() {
        4 => digits.to_owned(),
        3 => format!("0{digits}"),
        _ => return Err(format!("version '{digits}' is neither MMDD nor MMDDYYYY")),
    };
    let Some((_, releases)) = RELEASES.iter().find(|(name, _)| *name == model) else {
        return Err(format!(
            "model '{model}' has no known release dates to place version '{digits}'"
        ));
    };
    let matches: Vec<NaiveDate> = releases
        .iter()
        .filter_map(|text| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .filter(|date| date.format("%m%d").to_string() == month_day)
        .collect();
    match matches.as_slice() {
        [date] => Ok(*date),
        [] => Err(format!("version '{digits}' is not a known release of '{model}'")),
        _ => Err(format!(
            "version '{digits}' of '{model}' matches more than one release year"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_day_resolves_through_release_table() {
        let cases = [
            ("gpt-4o", "0806", "2024-08-06"),
            ("gpt-4o", "0513", "2024-05-13"),
            ("gpt-35-turbo", "125", "2024-01-25"),
            ("o3-mini", "0131", "2025-01-31"),
            ("chat-latest", "05052026", "2026-05-05"),
        ];
        for (model, digits, expected) in cases {
            let date = resolve(model, digits).expect(digits);
            assert_eq!(date.to_string(), expected, "{model} {digits}");
        }
    }

    #[test]
    fn unknown_release_is_rejected() {
        assert!(resolve("gpt-4o", "0101").unwrap_err().contains("not a known release"));
        assert!(
            resolve("gpt-99", "0101")
                .unwrap_err()
                .contains("no known release dates")
        );
        assert!(resolve("gpt-4o", "13").is_err());
    }
}
