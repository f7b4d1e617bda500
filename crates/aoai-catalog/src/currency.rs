//! Exchange rates from US dollars, as the Azure pricing pages publish them, and the exact
//! conversion of USD prices with them.
//!
//! The pricing pages convert their USD prices in the browser with the rates served at
//! `https://azure.microsoft.com/api/v2/currencies/`: a JSON object keyed by lower-case
//! currency code whose values hold the units of that currency per US dollar, as in
//! `{"eur": {"name": "Euro (€)", "conversion": 0.93, "modernConversion": 0.93}}`.
//! `modernConversion` is read when present, else `conversion`. The response carries no
//! date, so a rate is dated by when it was fetched.

use std::collections::BTreeMap;

use aoai_core::Currency;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::value::RawValue;

use crate::entry::{Conversion, PriceEntry};
use crate::retail::item::parse_decimal_literal;

/// The currencies Azure bills and publishes prices in, from the `KnownAzureCurrency` values
/// of the Azure SDK for JavaScript (`@azure/arm-migrationassessment`, learn.microsoft.com).
/// A live source is asked only for these, so a mistyped code never starts a fetch.
pub const AZURE_CURRENCIES: &[&str] = &[
    "ARS", "AUD", "BRL", "CAD", "CHF", "CNY", "DKK", "EUR", "GBP", "HKD", "IDR", "INR", "JPY", "KRW", "MXN", "MYR",
    "NOK", "NZD", "RUB", "SAR", "SEK", "TRY", "TWD", "USD", "ZAR",
];

/// True when Azure publishes prices in `currency`.
pub fn is_azure_currency(currency: Currency) -> bool {
    AZURE_CURRENCIES.contains(&currency.as_str())
}

/// The default address of the published rates.
pub const DEFAULT_RATES_URL: &str = "https://azure.microsoft.com/api/v2/currencies/";

/// Units of each currency per US dollar, with the time they were fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeRates {
    pub fetched_at: DateTime<Utc>,
    rates: BTreeMap<Currency, Decimal>,
    skipped: BTreeMap<String, String>,
}

/// A rates document that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RatesError {
    #[error("exchange rates are not a JSON object keyed by currency code: {0}")]
    Shape(String),
    #[error("exchange rate for '{code}' is invalid: {reason}")]
    Rate { code: String, reason: String },
    #[error("exchange rates list no currency")]
    Empty,
}

/// A price that cannot be converted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConversionError {
    #[error("no exchange rate for {currency}; rates are published for: {}", available.join(", "))]
    NoRate { currency: Currency, available: Vec<String> },
    #[error("a price in {from} cannot be converted: the published rates convert from USD only")]
    NotUsd { from: Currency },
    #[error(
        "converting {price} {from} to {to} at the rate {rate} needs more than 28 decimal places, so it \
         cannot be exact; check the published rate of {to}"
    )]
    Inexact {
        price: Decimal,
        rate: Decimal,
        from: Currency,
        to: Currency,
    },
}

impl ExchangeRates {
    /// Reads the published rates document.
    ///
    /// An entry that cannot be read is left out and listed in `skipped`, so one bad rate
    /// does not take the others with it. Asking for its currency then fails by name. Two
    /// keys that name one currency in different cases are an error, because either could be meant.
    pub fn parse(json: &str, fetched_at: DateTime<Utc>) -> Result<ExchangeRates, RatesError> {
        let object: BTreeMap<String, Box<RawValue>> =
            serde_json::from_str(json).map_err(|error| RatesError::Shape(error.to_string()))?;
        let mut rates = BTreeMap::new();
        let mut skipped = BTreeMap::new();
        for (code, value) in object {
            let Ok(currency) = code.parse::<Currency>() else {
                skipped.insert(code, "the key is not a three-letter ISO 4217 code".to_owned());
                continue;
            };
            let rate = match read_rate(value.get()) {
                Ok(rate) => rate,
                Err(reason) => {
                    skipped.insert(code, reason);
                    continue;
                }
            };
            if currency == Currency::USD && rate != Decimal::ONE {
                return Err(RatesError::Rate {
                    code,
                    reason: format!("the rate of USD must be 1 because rates are per US dollar, not {rate}"),
                });
            }
            if rates.insert(currency, rate).is_some() {
                return Err(RatesError::Rate {
                    code,
                    reason: format!("{currency} is listed twice, in different cases"),
                });
            }
        }
        if rates.is_empty() {
            return match skipped.into_iter().next() {
                Some((code, reason)) => Err(RatesError::Rate { code, reason }),
                None => Err(RatesError::Empty),
            };
        }
        rates.insert(Currency::USD, Decimal::ONE);
        Ok(ExchangeRates {
            fetched_at,
            rates,
            skipped,
        })
    }

    /// Returns the entries that were left out, with the reason for each.
    pub fn skipped(&self) -> &BTreeMap<String, String> {
        &self.skipped
    }

    /// Builds rates from pairs of currency and units per US dollar.
    pub fn from_rates(
        fetched_at: DateTime<Utc>,
        pairs: impl IntoIterator<Item = (Currency, Decimal)>,
    ) -> ExchangeRates {
        let mut rates: BTreeMap<Currency, Decimal> = pairs.into_iter().collect();
        rates.insert(Currency::USD, Decimal::ONE);
        ExchangeRates {
            fetched_at,
            rates,
            skipped: BTreeMap::new(),
        }
    }

    /// Units of `currency` per US dollar.
    pub fn rate(&self, currency: Currency) -> Result<Decimal, ConversionError> {
        self.rates
            .get(&currency)
            .copied()
            .ok_or_else(|| ConversionError::NoRate {
                currency,
                available: self.rates.keys().map(ToString::to_string).collect(),
            })
    }

    pub fn currencies(&self) -> impl Iterator<Item = Currency> + '_ {
        self.rates.keys().copied()
    }

    /// Converts a USD price to `to`, exactly: the product of price and rate.
    pub fn convert(&self, price: Decimal, from: Currency, to: Currency) -> Result<Decimal, ConversionError> {
        if from == to {
            return Ok(price);
        }
        if from != Currency::USD {
            return Err(ConversionError::NotUsd { from });
        }
        let rate = self.rate(to)?;
        let inexact = ConversionError::Inexact { price, rate, from, to };
        // A product whose digits do not fit is rounded by `checked_mul`, so the scales are
        // checked first: the exact product has the sum of both scales.
        let (price_n, rate_n) = (price.normalize(), rate.normalize());
        if price_n.scale() + rate_n.scale() > 28 {
            return Err(inexact);
        }
        let converted = price_n.checked_mul(rate_n).ok_or(inexact.clone())?;
        if converted.is_zero() && !price.is_zero() {
            return Err(inexact);
        }
        Ok(converted.normalize())
    }

    /// Returns `entry` in `to`, recording the rate and its date. An entry already in `to` is unchanged.
    pub fn convert_entry(&self, entry: &PriceEntry, to: Currency) -> Result<PriceEntry, ConversionError> {
        if entry.currency == to {
            return Ok(entry.clone());
        }
        let price = self.convert(entry.price, entry.currency, to)?;
        let mut converted = entry.clone();
        converted.conversion = Some(Conversion {
            from: entry.currency,
            rate: self.rate(to)?,
            rate_date: self.fetched_at,
        });
        converted.currency = to;
        converted.price = price;
        Ok(converted)
    }
}

/// Reads one rate: an object with `modernConversion` or `conversion`, or a bare number.
fn read_rate(raw: &str) -> Result<Decimal, String> {
    let literal = if raw.trim_start().starts_with('{') {
        let fields: BTreeMap<String, Box<RawValue>> =
            serde_json::from_str(raw).map_err(|error| format!("not a JSON object: {error}"))?;
        let present = |name: &str| fields.get(name).filter(|value| value.get().trim() != "null");
        let field = present("modernConversion")
            .or_else(|| present("conversion"))
            .ok_or("it has neither 'modernConversion' nor 'conversion'")?;
        field.get().to_owned()
    } else {
        raw.to_owned()
    };
    let text = literal.trim().trim_matches('"');
    let rate = if text.contains(['e', 'E']) {
        parse_decimal_literal(text)
    } else {
        Decimal::from_str_exact(text).ok()
    }
    .ok_or_else(|| format!("'{literal}' is not a decimal number that fits 28 decimal places"))?;
    if rate <= Decimal::ZERO {
        return Err(format!("'{literal}' is not a positive rate"));
    }
    Ok(rate)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn at() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-01T00:00:00Z")
            .expect("valid time")
            .with_timezone(&Utc)
    }

    #[test]
    fn reads_modern_conversion_before_conversion() {
        let json = r#"{"usd":{"conversion":1,"modernConversion":1},
            "eur":{"name":"Euro (€)","conversion":0.91,"modernConversion":0.9287},
            "aud":{"conversion":1.5312},"jpy":152.4}"#;
        let rates = ExchangeRates::parse(json, at()).expect("valid rates");
        let eur: Currency = "EUR".parse().expect("code");
        let aud: Currency = "AUD".parse().expect("code");
        let jpy: Currency = "JPY".parse().expect("code");
        assert_eq!(rates.rate(eur), Ok(Decimal::from_str("0.9287").expect("decimal")));
        assert_eq!(rates.rate(aud), Ok(Decimal::from_str("1.5312").expect("decimal")));
        assert_eq!(rates.rate(jpy), Ok(Decimal::from_str("152.4").expect("decimal")));
        // 2.5 USD at 0.9287 is exactly 2.32175 EUR.
        assert_eq!(
            rates.convert(Decimal::from_str("2.5").expect("decimal"), Currency::USD, eur),
            Ok(Decimal::from_str("2.32175").expect("decimal"))
        );
    }

    #[test]
    fn bad_rates_name_the_currency() {
        for (json, code) in [
            (r#"{"eur":{"conversion":0}}"#, "eur"),
            (r#"{"eur":{"name":"Euro"}}"#, "eur"),
            (r#"{"usd":{"conversion":1.1}}"#, "usd"),
            (r#"{"euro":{"conversion":0.9}}"#, "euro"),
            (r#"{"gbp":"abc"}"#, "gbp"),
            (r#"{"EUR":0.9287,"eur":0.5}"#, "eur"),
        ] {
            let error = ExchangeRates::parse(json, at()).expect_err(json);
            assert!(error.to_string().contains(code), "{error}");
        }
        assert_eq!(ExchangeRates::parse("{}", at()), Err(RatesError::Empty));
        assert!(matches!(ExchangeRates::parse("[1]", at()), Err(RatesError::Shape(_))));
    }

    #[test]
    fn bad_entry_skipped_not_fatal() {
        let json = r#"{"eur":{"modernConversion":null,"conversion":0.93},"xau":{"conversion":0},"aud":1.5}"#;
        let rates = ExchangeRates::parse(json, at()).expect("valid rates");
        assert_eq!(
            rates.rate("EUR".parse().expect("code")),
            Ok(Decimal::from_str("0.93").expect("decimal"))
        );
        assert!(rates.skipped().contains_key("xau"), "{:?}", rates.skipped());
        assert!(rates.rate("XAU".parse().expect("code")).is_err());
    }

    #[test]
    fn conversion_never_rounds_to_zero() {
        let tiny = Decimal::from_str("0.0000000000000000000000000001").expect("decimal");
        let rates = ExchangeRates::from_rates(at(), [("EUR".parse().expect("code"), tiny)]);
        let error = rates
            .convert(
                Decimal::from_str("0.15").expect("decimal"),
                Currency::USD,
                "EUR".parse().expect("code"),
            )
            .expect_err("the product needs 30 decimal places");
        assert!(error.to_string().contains("cannot be exact"), "{error}");
        assert!(ExchangeRates::parse(r#"{"eur":1e-30}"#, at()).is_err());
    }

    #[test]
    fn unknown_currency_lists_the_published_ones() {
        let rates = ExchangeRates::from_rates(at(), [("EUR".parse().expect("code"), Decimal::ONE)]);
        let error = rates
            .convert(Decimal::ONE, Currency::USD, "NZD".parse().expect("code"))
            .expect_err("no NZD rate");
        assert_eq!(
            error.to_string(),
            "no exchange rate for NZD; rates are published for: EUR, USD"
        );
        let error = rates
            .convert(Decimal::ONE, "EUR".parse().expect("code"), Currency::USD)
            .expect_err("not from USD");
        assert!(error.to_string().contains("from USD only"), "{error}");
    }
}
