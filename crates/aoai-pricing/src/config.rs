//! Settings of the pricing function, read from environment variables.

use std::net::IpAddr;

use aoai_catalog::sources::{PriceSettings, SettingError};

/// The pricing function's settings.
#[derive(Debug, Clone)]
pub struct Config {
    pub bind: IpAddr,
    pub port: u16,
    pub prices: PriceSettings,
}

/// A setting with an invalid value; the message names the variable and what it accepts.
pub type ConfigError = SettingError;

impl Config {
    /// Reads the settings through `lookup`, which returns a variable's value or `None`.
    ///
    /// `FUNCTIONS_CUSTOMHANDLER_PORT` (default `7071`, set by the Functions host) and
    /// `PRICING_BIND` (default `127.0.0.1`) place the listener; the price source settings
    /// are listed in [`aoai_catalog::sources::VARIABLES`].
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
                .ok_or_else(|| SettingError {
                    variable: "FUNCTIONS_CUSTOMHANDLER_PORT",
                    value,
                    expected: "a TCP port from 1 to 65535".to_owned(),
                })?,
        };
        let bind = match read("PRICING_BIND") {
            None => IpAddr::from([127, 0, 0, 1]),
            Some(value) => value.parse().map_err(|_| SettingError {
                variable: "PRICING_BIND",
                value,
                expected: "an IP address such as 127.0.0.1 or 0.0.0.0".to_owned(),
            })?,
        };
        Ok(Config {
            bind,
            port,
            prices: PriceSettings::from_lookup(lookup)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use aoai_catalog::sources::SourceKind;

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
        assert_eq!(config.prices.source.kind, SourceKind::Snapshot);
    }

    #[test]
    fn invalid_values_name_the_variable() {
        for (variable, value) in [
            ("FUNCTIONS_CUSTOMHANDLER_PORT", "seventy"),
            ("FUNCTIONS_CUSTOMHANDLER_PORT", "0"),
            ("PRICING_BIND", "localhost:1"),
            ("PRICING_SOURCE", "bing"),
        ] {
            let error = config(&[(variable, value)]).unwrap_err();
            assert_eq!(error.variable, variable);
            assert!(error.to_string().contains(value), "{error}");
        }
    }
}
