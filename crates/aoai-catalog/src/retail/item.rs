//! The wire model of the Azure Retail Prices API.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// One page of the Retail Prices API, as in `{"BillingCurrency", "Items", "NextPageLink", "Count"}`.
#[derive(Debug, Deserialize)]
pub struct RetailPage {
    #[serde(rename = "BillingCurrency", default)]
    pub billing_currency: Option<String>,
    #[serde(rename = "Items")]
    pub items: Vec<RetailItem>,
    #[serde(rename = "NextPageLink", default)]
    pub next_page_link: Option<String>,
    #[serde(rename = "Count", default)]
    pub count: Option<u64>,
}

/// One price row. Only the fields the catalog reads are kept; the API sends more.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RetailItem {
    pub currency_code: String,
    /// The list price in `currency_code` per `unit_of_measure`, parsed from the JSON
    /// number's own digits so that no binary float rounding enters it.
    #[serde(with = "exact_decimal")]
    pub retail_price: Decimal,
    #[serde(default)]
    pub arm_region_name: String,
    pub effective_start_date: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_end_date: Option<DateTime<Utc>>,
    #[serde(default)]
    pub meter_id: String,
    pub meter_name: String,
    pub product_name: String,
    #[serde(default)]
    pub sku_name: String,
    #[serde(default)]
    pub service_name: String,
    pub unit_of_measure: String,
    #[serde(rename = "type", default)]
    pub price_type: String,
    #[serde(default, with = "exact_decimal_option", skip_serializing_if = "Option::is_none")]
    pub tier_minimum_units: Option<Decimal>,
}

impl RetailItem {
    /// True for the rows of the Azure OpenAI products (`Azure OpenAI`, `Azure OpenAI GPT5`, ...).
    pub fn is_azure_openai(&self) -> bool {
        self.product_name.starts_with("Azure OpenAI")
    }
}

/// Parses a JSON number into a decimal from its literal text (`5.5e-05`, `0.0025`, `16.5`).
pub(crate) fn parse_decimal_literal(text: &str) -> Option<Decimal> {
    let text = text.trim();
    if text.contains(['e', 'E']) {
        Decimal::from_scientific(text).ok()
    } else {
        text.parse().ok()
    }
}

mod exact_decimal {
    use super::*;

    pub fn serialize<S: serde::Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
        let raw = RawValue::from_string(value.normalize().to_string()).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        let text = raw.get().trim_matches('"');
        parse_decimal_literal(text)
            .ok_or_else(|| serde::de::Error::custom(format!("invalid price '{text}': expected a decimal number")))
    }
}

mod exact_decimal_option {
    use super::*;

    pub fn serialize<S: serde::Serializer>(value: &Option<Decimal>, serializer: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(value) => super::exact_decimal::serialize(value, serializer),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Decimal>, D::Error> {
        let raw = Option::<Box<RawValue>>::deserialize(deserializer)?;
        match raw {
            None => Ok(None),
            Some(raw) if raw.get() == "null" => Ok(None),
            Some(raw) => {
                let text = raw.get().trim_matches('"');
                parse_decimal_literal(text)
                    .map(Some)
                    .ok_or_else(|| serde::de::Error::custom(format!("invalid number '{text}'")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn price_keeps_the_literal_digits() {
        let cases = [
            ("5.5e-05", "0.000055"),
            ("2.8e-05", "0.000028"),
            ("0.0025", "0.0025"),
            ("16.5", "16.5"),
            ("312", "312"),
            ("0.000143", "0.000143"),
        ];
        for (literal, expected) in cases {
            let parsed = parse_decimal_literal(literal).expect(literal);
            assert_eq!(parsed.normalize().to_string(), expected, "{literal}");
        }
    }

    #[test]
    fn item_round_trips_through_json() {
        let json = r#"{"currencyCode":"USD","tierMinimumUnits":0.0,"retailPrice":8.3e-05,
            "unitPrice":8.3e-05,"armRegionName":"eastus2","location":"US East 2",
            "effectiveStartDate":"2024-10-01T00:00:00Z","meterId":"m1",
            "meterName":"gpt 4o mini 0718 cached Inp Data Zone Tokens","productId":"p",
            "skuId":"s","productName":"Azure OpenAI","skuName":"gpt 4o mini 0718 cached Inp Data Zone",
            "serviceName":"Foundry Models","serviceId":"x","serviceFamily":"AI + Machine Learning",
            "unitOfMeasure":"1K","type":"Consumption","isPrimaryMeterRegion":true,"armSkuName":""}"#;
        let item: RetailItem = serde_json::from_str(json).expect("parse");
        assert_eq!(item.retail_price.to_string(), "0.000083");
        let again: RetailItem = serde_json::from_str(&serde_json::to_string(&item).expect("write")).expect("reparse");
        assert_eq!(again, item);
    }

    #[test]
    fn non_numeric_price_is_an_error() {
        let json = r#"{"currencyCode":"USD","retailPrice":"free","effectiveStartDate":"2024-10-01T00:00:00Z",
            "meterName":"m","productName":"Azure OpenAI","unitOfMeasure":"1K"}"#;
        let error = serde_json::from_str::<RetailItem>(json).unwrap_err().to_string();
        assert!(error.contains("invalid price 'free'"), "{error}");
    }
}
