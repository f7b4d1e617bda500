use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ParseError;

/// The number of tokens every [`Price`] is quoted for.
pub const PER_TOKENS: u64 = 1_000_000;

/// A price per [`PER_TOKENS`] tokens as an exact decimal, in the currency it is listed in.
pub type Price = Decimal;

/// An ISO 4217 currency code, such as `USD` or `EUR`, stored upper-case.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

impl Currency {
    pub const USD: Currency = Currency(*b"USD");

    pub fn as_str(&self) -> &str {
        // The constructor admits only ASCII letters.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.as_str())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Currency {
    type Err = ParseError;

    /// Parses a three-letter code in either case. Whether Azure lists prices in that
    /// currency is decided by the price source, not here.
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let bytes = value.as_bytes();
        if bytes.len() != 3 || !bytes.iter().all(u8::is_ascii_alphabetic) {
            return Err(ParseError {
                what: "currency",
                value: value.to_owned(),
                expected: "a three-letter ISO 4217 code such as USD, EUR, GBP, JPY",
            });
        }
        Ok(Currency([
            bytes[0].to_ascii_uppercase(),
            bytes[1].to_ascii_uppercase(),
            bytes[2].to_ascii_uppercase(),
        ]))
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currency_is_upper_cased() {
        let currency: Currency = "eur".parse().expect("valid code");
        assert_eq!(currency.as_str(), "EUR");
    }

    #[test]
    fn currency_rejects_wrong_length_and_digits() {
        for value in ["", "US", "USDX", "U5D", "€€€"] {
            assert!(value.parse::<Currency>().is_err(), "{value}");
        }
    }
}
