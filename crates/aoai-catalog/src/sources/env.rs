//! Price source settings read from environment variables, shared by every app that prices tokens.

use std::path::PathBuf;
use std::time::Duration;

use aoai_core::Currency;

use super::{DEFAULT_PAGE_URL, SourceKind, SourceSettings};
use crate::currency::DEFAULT_RATES_URL;
use crate::retail::{DEFAULT_BASE_URL, RetailClientOptions};

/// A setting with an invalid value; the message names the variable and what it accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {variable}='{value}': {expected}")]
pub struct SettingError {
    pub variable: &'static str,
    pub value: String,
    pub expected: String,
}

/// The price settings of an app.
#[derive(Debug, Clone)]
pub struct PriceSettings {
    pub source: SourceSettings,
    /// The currency of requests that name none.
    pub default_currency: Currency,
    /// The negotiated price overrides file, when one is configured.
    pub overrides: Option<PathBuf>,
}

/// The variables [`PriceSettings::from_lookup`] reads, with defaults and meaning.
pub const VARIABLES: &[(&str, &str, &str)] = &[
    (
        "PRICING_SOURCE",
        "snapshot",
        "snapshot, retail-api, pricing-page or auto",
    ),
    ("PRICING_API_URL", DEFAULT_BASE_URL, "Retail Prices API address"),
    (
        "PRICING_PAGE_URL",
        DEFAULT_PAGE_URL,
        "Azure OpenAI pricing page address",
    ),
    (
        "PRICING_RATES_URL",
        DEFAULT_RATES_URL,
        "exchange rates from USD, used to convert page prices",
    ),
    (
        "PRICING_REGIONS",
        "eastus2",
        "comma-separated ARM regions fetched from the Retail Prices API",
    ),
    (
        "PRICING_CURRENCY",
        "USD",
        "ISO 4217 currency of requests that name none",
    ),
    (
        "PRICING_REFRESH_HOURS",
        "24",
        "hours a live catalog is served before it is refreshed",
    ),
    (
        "PRICING_CACHE_PATH",
        "<temporary directory>/aoai-meter/prices",
        "folder of the last good live catalogs",
    ),
    (
        "PRICE_OVERRIDES",
        "(none)",
        "TOML file of negotiated discounts and prices",
    ),
];

impl PriceSettings {
    /// Reads the settings through `lookup`, which returns a variable's value or `None`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<PriceSettings, SettingError> {
        let read = |name: &str| {
            lookup(name)
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
        };
        let kind = match read("PRICING_SOURCE") {
            None => SourceKind::Snapshot,
            Some(value) => value.parse().map_err(|expected| SettingError {
                variable: "PRICING_SOURCE",
                value,
                expected,
            })?,
        };
        let regions: Vec<String> = read("PRICING_REGIONS")
            .unwrap_or_else(|| "eastus2".to_owned())
            .split(',')
            .map(|region| region.trim().to_ascii_lowercase())
            .filter(|region| !region.is_empty())
            .collect();
        if let Some(bad) = regions
            .iter()
            .find(|region| !region.bytes().all(|byte| byte.is_ascii_alphanumeric()))
        {
            return Err(SettingError {
                variable: "PRICING_REGIONS",
                value: bad.clone(),
                expected: "comma-separated ARM region names such as eastus2,swedencentral".to_owned(),
            });
        }
        let default_currency = match read("PRICING_CURRENCY") {
            None => Currency::USD,
            Some(value) => value.parse().map_err(|_| SettingError {
                variable: "PRICING_CURRENCY",
                value,
                expected: "a three-letter ISO 4217 code such as USD or EUR".to_owned(),
            })?,
        };
        let refresh_hours = match read("PRICING_REFRESH_HOURS") {
            None => 24,
            Some(value) => value
                .parse::<u64>()
                .ok()
                .filter(|hours| (1..=24 * 365).contains(hours))
                .ok_or_else(|| SettingError {
                    variable: "PRICING_REFRESH_HOURS",
                    value,
                    expected: "a whole number of hours from 1 to 8760".to_owned(),
                })?,
        };
        let url = |variable: &'static str, default: &str| -> Result<String, SettingError> {
            let value = read(variable).unwrap_or_else(|| default.to_owned());
            check_url(&value).map_err(|expected| SettingError {
                variable,
                value: crate::http::redact(&value),
                expected,
            })?;
            Ok(value)
        };

        let mut retail = RetailClientOptions::for_regions(regions);
        retail.base_url = url("PRICING_API_URL", DEFAULT_BASE_URL)?;
        let mut source = SourceSettings::new(kind, retail);
        source.page_url = url("PRICING_PAGE_URL", DEFAULT_PAGE_URL)?;
        source.rates_url = url("PRICING_RATES_URL", DEFAULT_RATES_URL)?;
        source.time_to_live = Duration::from_secs(refresh_hours * 3600);
        let cache_dir = read("PRICING_CACHE_PATH")
            .map(PathBuf::from)
            .unwrap_or_else(|| std::env::temp_dir().join("aoai-meter").join("prices"));
        if cache_dir.exists() && !cache_dir.is_dir() {
            return Err(SettingError {
                variable: "PRICING_CACHE_PATH",
                value: cache_dir.display().to_string(),
                expected: "a folder, or a path where one can be created; it names a file".to_owned(),
            });
        }
        source.cache_dir = Some(cache_dir);
        check_source(&source, default_currency)?;
        Ok(PriceSettings {
            source,
            default_currency,
            overrides: read("PRICE_OVERRIDES").map(PathBuf::from),
        })
    }
}

/// Checks the settings a source needs before the first request does.
fn check_source(source: &SourceSettings, default_currency: Currency) -> Result<(), SettingError> {
    if source.kind == SourceKind::Snapshot && default_currency != Currency::USD {
        return Err(SettingError {
            variable: "PRICING_CURRENCY",
            value: default_currency.to_string(),
            expected: "USD with PRICING_SOURCE=snapshot, because the bundled snapshot is in USD only; \
                       set PRICING_SOURCE to a live source for other currencies"
                .to_owned(),
        });
    }
    if source.kind.is_live() && !crate::currency::is_azure_currency(default_currency) {
        return Err(SettingError {
            variable: "PRICING_CURRENCY",
            value: default_currency.to_string(),
            expected: format!("one of {}", crate::currency::AZURE_CURRENCIES.join(", ")),
        });
    }
    if matches!(source.kind, SourceKind::RetailApi | SourceKind::Auto)
        && let Err(error) = crate::retail::RetailClient::new(source.retail.clone())
    {
        let variable = match error {
            crate::retail::ConfigError::NoRegions | crate::retail::ConfigError::InvalidRegion { .. } => {
                "PRICING_REGIONS"
            }
            _ => "PRICING_API_URL",
        };
        let value = match variable {
            "PRICING_REGIONS" => source.retail.regions.join(","),
            _ => crate::http::redact(&source.retail.base_url),
        };
        return Err(SettingError {
            variable,
            value,
            expected: error.to_string(),
        });
    }
    Ok(())
}

/// Accepts https addresses, and plain http only for the loopback address, without
/// credentials, which would reach errors and logs.
fn check_url(value: &str) -> Result<(), String> {
    let parsed = url::Url::parse(value).map_err(|error| format!("not a URL ({error})"))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("a URL without a user name or password".to_owned());
    }
    if crate::http::is_allowed(&parsed) {
        Ok(())
    } else {
        Err("an https URL (plain http is accepted only for the loopback address)".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<PriceSettings, SettingError> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        PriceSettings::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_are_offline() {
        let settings = settings(&[]).expect("defaults are valid");
        assert_eq!(settings.source.kind, SourceKind::Snapshot);
        assert_eq!(settings.source.retail.regions, vec!["eastus2"]);
        assert_eq!(settings.default_currency, Currency::USD);
        assert_eq!(settings.source.time_to_live, Duration::from_secs(24 * 3600));
        assert_eq!(settings.source.page_url, DEFAULT_PAGE_URL);
        assert_eq!(
            settings.source.cache_dir,
            Some(std::env::temp_dir().join("aoai-meter").join("prices"))
        );
        assert_eq!(settings.overrides, None);
    }

    #[test]
    fn settings_are_read() {
        let settings = settings(&[
            ("PRICING_SOURCE", "Auto"),
            ("PRICING_REGIONS", "EastUS2, swedencentral"),
            ("PRICING_CURRENCY", "eur"),
            ("PRICING_API_URL", "http://127.0.0.1:9/prices"),
            ("PRICING_PAGE_URL", "http://localhost:9/page"),
            ("PRICING_RATES_URL", "https://proxy.example.com/rates"),
            ("PRICING_REFRESH_HOURS", "6"),
            ("PRICING_CACHE_PATH", "/var/cache/prices"),
            ("PRICE_OVERRIDES", "/etc/overrides.toml"),
        ])
        .expect("valid settings");
        assert_eq!(settings.source.kind, SourceKind::Auto);
        assert_eq!(settings.source.retail.regions, vec!["eastus2", "swedencentral"]);
        assert_eq!(settings.default_currency.as_str(), "EUR");
        assert_eq!(settings.source.retail.base_url, "http://127.0.0.1:9/prices");
        assert_eq!(settings.source.page_url, "http://localhost:9/page");
        assert_eq!(settings.source.rates_url, "https://proxy.example.com/rates");
        assert_eq!(settings.source.time_to_live, Duration::from_secs(6 * 3600));
        assert_eq!(settings.source.cache_dir, Some(PathBuf::from("/var/cache/prices")));
        assert_eq!(settings.overrides, Some(PathBuf::from("/etc/overrides.toml")));
    }

    #[test]
    fn live_settings_checked_at_start() {
        let error = settings(&[("PRICING_SOURCE", "retail-api"), ("PRICING_REGIONS", ",")]).unwrap_err();
        assert_eq!(error.variable, "PRICING_REGIONS");
        let error = settings(&[("PRICING_SOURCE", "auto"), ("PRICING_CURRENCY", "AAA")]).unwrap_err();
        assert_eq!(error.variable, "PRICING_CURRENCY");
        assert!(error.to_string().contains("EUR"), "{error}");
        let error = settings(&[("PRICING_PAGE_URL", "https://user:secret@example.com/page")]).unwrap_err();
        assert_eq!(error.variable, "PRICING_PAGE_URL");
        assert!(!error.to_string().contains("secret"), "{error}");
        let file = std::env::temp_dir().join(format!("aoai-cache-file-{}", std::process::id()));
        std::fs::write(&file, "x").expect("write");
        let error = settings(&[("PRICING_CACHE_PATH", file.to_str().expect("path"))]).unwrap_err();
        std::fs::remove_file(&file).expect("remove");
        assert_eq!(error.variable, "PRICING_CACHE_PATH");
        assert!(settings(&[("PRICING_SOURCE", "retail-api"), ("PRICING_CURRENCY", "eur")]).is_ok());
    }

    #[test]
    fn invalid_values_name_the_variable() {
        let cases = [
            ("PRICING_SOURCE", "bing"),
            ("PRICING_REGIONS", "east us"),
            ("PRICING_CURRENCY", "dollars"),
            ("PRICING_REFRESH_HOURS", "0"),
            ("PRICING_API_URL", "http://prices.example.com/api"),
            ("PRICING_PAGE_URL", "not a url"),
            ("PRICING_RATES_URL", "ftp://127.0.0.1/rates"),
            ("PRICING_CURRENCY", "EUR"),
        ];
        for (variable, value) in cases {
            let error = settings(&[(variable, value)]).unwrap_err();
            assert_eq!(error.variable, variable);
            assert!(error.to_string().contains(value), "{error}");
        }
    }
}
