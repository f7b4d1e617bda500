//! Settings of the pricing function, read from environment variables.

use std::net::IpAddr;
use std::time::Duration;

use aoai_catalog::retail::{DEFAULT_BASE_URL, RetailClientOptions};
use aoai_core::Currency;

/// The origin of the served prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// The catalog bundled in the binary; no outside host is contacted.
    Snapshot,
    /// The live Azure Retail Prices API, refreshed in the background.
    RetailApi,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Snapshot => "snapshot",
            Self::RetailApi => "retail-api",
        }
    }
}

/// The pricing function's settings.
#[derive(Debug, Clone)]
pub struct Config {
    pub bind: IpAddr,
    pub port: u16,
    pub source: SourceKind,
    /// Options of the Retail Prices client, used when `source` is [`SourceKind::RetailApi`].
    pub retail: RetailClientOptions,
    /// How long a live catalog is served before it is refreshed.
    pub refresh_interval: Duration,
    /// How long to wait after a failed refresh before trying again.
    pub retry_interval: Duration,
}

/// A setting with an invalid value; the message names the variable and what it accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {variable}='{value}': {expected}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub value: String,
    pub expected: String,
}

impl Config {
    /// Reads the settings through `lookup`, which returns a variable's value or `None`.
    ///
    /// | variable | default | meaning |
    /// |---|---|---|
    /// | `FUNCTIONS_CUSTOMHANDLER_PORT` | `7071` | port, set by the Functions host |
    /// | `PRICING_BIND` | `127.0.0.1` | address to listen on |
    /// | `PRICING_SOURCE` | `snapshot` | `snapshot` or `retail-api` |
    /// | `PRICING_API_URL` | `https://prices.azure.com/api/retail/prices` | Retail Prices endpoint |
    /// | `PRICING_REGIONS` | `eastus2` | comma-separated ARM regions fetched live |
    /// | `PRICING_CURRENCY` | `USD` | ISO 4217 currency fetched live |
    /// | `PRICING_REFRESH_HOURS` | `24` | hours a live catalog is served before a refresh |
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let read = |name: &str| {
            lookup(name)
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
        };

        let port = match read("FUNCTIONS_CUSTOMHANDLER_PORT") {
            None => 7071,
            Some(value) => value
                .parse::<u16>()
                .ok()
                .filter(|port| *port > 0)
                .ok_or_else(|| ConfigError {
                    variable: "FUNCTIONS_CUSTOMHANDLER_PORT",
                    value,
                    expected: "a TCP port from 1 to 65535".to_owned(),
                })?,
        };
        let bind = match read("PRICING_BIND") {
            None => IpAddr::from([127, 0, 0, 1]),
            Some(value) => value.parse().map_err(|_| ConfigError {
                variable: "PRICING_BIND",
                value,
                expected: "an IP address such as 127.0.0.1 or 0.0.0.0".to_owned(),
            })?,
        };
        let source = match read("PRICING_SOURCE").as_deref() {
            None | Some("snapshot") => SourceKind::Snapshot,
            Some("retail-api") => SourceKind::RetailApi,
            Some(other) => {
                return Err(ConfigError {
                    variable: "PRICING_SOURCE",
                    value: other.to_owned(),
                    expected: "one of snapshot, retail-api".to_owned(),
                });
            }
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
            return Err(ConfigError {
                variable: "PRICING_REGIONS",
                value: bad.clone(),
                expected: "comma-separated ARM region names such as eastus2,swedencentral".to_owned(),
            });
        }
        let currency = match read("PRICING_CURRENCY") {
            None => Currency::USD,
            Some(value) => value.parse().map_err(|_| ConfigError {
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
                .ok_or_else(|| ConfigError {
                    variable: "PRICING_REFRESH_HOURS",
                    value,
                    expected: "a whole number of hours from 1 to 8760".to_owned(),
                })?,
        };

        let mut retail = RetailClientOptions::for_regions(regions);
        retail.base_url = read("PRICING_API_URL").unwrap_or_else(|| DEFAULT_BASE_URL.to_owned());
        retail.currency = currency;

        Ok(Config {
            bind,
            port,
            source,
            retail,
            refresh_interval: Duration::from_secs(refresh_hours * 3600),
            retry_interval: Duration::from_secs(300),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_are_offline_and_local() {
        let config = config(&[]).expect("defaults are valid");
        assert_eq!(config.port, 7071);
        assert_eq!(config.bind.to_string(), "127.0.0.1");
        assert_eq!(config.source, SourceKind::Snapshot);
        assert_eq!(config.retail.regions, vec!["eastus2"]);
        assert_eq!(config.retail.currency, Currency::USD);
        assert_eq!(config.refresh_interval, Duration::from_secs(24 * 3600));
    }

    #[test]
    fn settings_are_read() {
        let config = config(&[
            ("FUNCTIONS_CUSTOMHANDLER_PORT", "8080"),
            ("PRICING_SOURCE", "retail-api"),
            ("PRICING_REGIONS", "EastUS2, swedencentral"),
            ("PRICING_CURRENCY", "eur"),
            ("PRICING_API_URL", "http://127.0.0.1:9/prices"),
            ("PRICING_REFRESH_HOURS", "6"),
        ])
        .expect("valid settings");
        assert_eq!(config.port, 8080);
        assert_eq!(config.source, SourceKind::RetailApi);
        assert_eq!(config.retail.regions, vec!["eastus2", "swedencentral"]);
        assert_eq!(config.retail.currency.as_str(), "EUR");
        assert_eq!(config.retail.base_url, "http://127.0.0.1:9/prices");
        assert_eq!(config.refresh_interval, Duration::from_secs(6 * 3600));
    }

    #[test]
    fn invalid_values_name_the_variable() {
        let cases = [
            ("FUNCTIONS_CUSTOMHANDLER_PORT", "seventy"),
            ("FUNCTIONS_CUSTOMHANDLER_PORT", "0"),
            ("PRICING_BIND", "localhost:1"),
            ("PRICING_SOURCE", "bing"),
            ("PRICING_REGIONS", "east us"),
            ("PRICING_CURRENCY", "dollars"),
            ("PRICING_REFRESH_HOURS", "0"),
        ];
        for (variable, value) in cases {
            let error = config(&[(variable, value)]).unwrap_err();
            assert_eq!(error.variable, variable);
            assert!(error.to_string().contains(value), "{error}");
        }
    }
}
