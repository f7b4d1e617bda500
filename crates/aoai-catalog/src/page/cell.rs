//! Price cells: labelled `price-data` spans and their `data-amount` JSON.
//!
//! A cell reads `Input: <span class='price-data' data-amount='{"regional":{...}}'>$-</span>`
//! and so on for each token kind. The span's text is a placeholder that the browser
//! fills in, so only `data-amount` contains the numbers. Each number is parsed from its JSON
//! literal text into a decimal and never passes through a binary float.

use std::fmt;

use rust_decimal::Decimal;
use scraper::{ElementRef, Node};
use serde::Deserialize;
use serde::de::{Error as _, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::retail::parse_decimal_literal;

/// One `price-data` span of a cell and the text before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawPrice {
    /// The text between the previous span or the cell start and this span. Whitespace
    /// is collapsed and a trailing colon removed, and the label is empty when no text is there.
    pub label: String,
    /// The `data-amount` attribute, or `None` when the span has none.
    pub amount: Option<String>,
}

/// The prices of a cell and any text after its last span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CellPrices {
    pub prices: Vec<RawPrice>,
    /// Text after the last span, cleaned like a label, such as `N/A` in a cell without spans.
    pub trailing: String,
}

/// Reads the `price-data` spans of a cell in document order with the label before each.
pub(crate) fn read_cell(cell: ElementRef<'_>) -> CellPrices {
    let mut pending = String::new();
    let mut prices = Vec::new();
    collect(cell, &mut pending, &mut prices);
    CellPrices {
        prices,
        trailing: clean_label(&pending),
    }
}

fn collect(element: ElementRef<'_>, pending: &mut String, prices: &mut Vec<RawPrice>) {
    for child in element.children() {
        match child.value() {
            Node::Text(text) => pending.push_str(text),
            Node::Element(inner) => {
                let Some(child_element) = ElementRef::wrap(child) else {
                    continue;
                };
                if inner.classes().any(|class| class == "price-data") {
                    prices.push(RawPrice {
                        label: clean_label(pending),
                        amount: child_element.attr("data-amount").map(str::to_owned),
                    });
                    pending.clear();
                } else {
                    // Tags such as <br> and <div> separate words in the rendered text.
                    pending.push(' ');
                    collect(child_element, pending, prices);
                    pending.push(' ');
                }
            }
            _ => {}
        }
    }
}

fn clean_label(text: &str) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    collapsed.trim_end_matches(':').trim_end().to_owned()
}

/// The region prices of one `data-amount` attribute, in the order they appear.
#[derive(Debug)]
pub(crate) struct RegionalAmounts(pub Vec<(String, Box<RawValue>)>);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DataAmount {
    regional: RegionalAmounts,
}

impl<'de> Deserialize<'de> for RegionalAmounts {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(RegionalVisitor)
    }
}

struct RegionalVisitor;

impl<'de> Visitor<'de> for RegionalVisitor {
    type Value = RegionalAmounts;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("an object of region slugs to prices")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut pairs: Vec<(String, Box<RawValue>)> = Vec::new();
        while let Some((slug, value)) = map.next_entry::<String, Box<RawValue>>()? {
            // A map would keep only the last of two equal keys, so a repeat is an error here.
            if pairs.iter().any(|(seen, _)| *seen == slug) {
                return Err(A::Error::custom(format!("region '{slug}' appears twice")));
            }
            pairs.push((slug, value));
        }
        Ok(RegionalAmounts(pairs))
    }
}

/// Parses `{"regional":{"us-east":2.5,...}}` into region slugs and JSON number literals.
pub(crate) fn parse_amount(text: &str) -> Result<RegionalAmounts, String> {
    let amount: DataAmount = serde_json::from_str(text)
        .map_err(|error| format!("{error}; expected JSON such as {{\"regional\":{{\"us-east\":2.5}}}}"))?;
    if amount.regional.0.is_empty() {
        return Err("'regional' lists no region prices".to_owned());
    }
    Ok(amount.regional)
}

/// Parses one price from its JSON literal, rejecting zero, negative and non-numeric values.
pub(crate) fn parse_price(literal: &str) -> Result<Decimal, &'static str> {
    let text = literal.trim();
    if !text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
        return Err("not a JSON number; expected a price such as 2.5");
    }
    let value = parse_decimal_literal(text).ok_or("the number does not fit a 96-bit decimal")?;
    if value.is_zero() {
        return Err("the price is zero; a zero list price is never served as a price");
    }
    if value.is_sign_negative() {
        return Err("the price is negative");
    }
    Ok(value.normalize())
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use scraper::{Html, Selector};

    use super::*;

    fn cell_prices(cell_html: &str) -> CellPrices {
        let html = Html::parse_document(&format!("<table><tr><td id='c'>{cell_html}</td></tr></table>"));
        let selector = Selector::parse("td#c").expect("selector");
        let cell = html.select(&selector).next().expect("cell");
        read_cell(cell)
    }

    #[test]
    fn labels_pair_with_following_spans() {
        let read = cell_prices(
            "Input: <span class='price-data' data-amount='{\"regional\":{\"us-east\":2}}'>$-</span><br>\
             Cached Input: <span class=\"price-data extra\" data-amount='{}'>$-</span> \
             <div><b>Output</b>:<span class='price-data'>$-</span></div>",
        );
        let labels: Vec<&str> = read.prices.iter().map(|price| price.label.as_str()).collect();
        assert_eq!(labels, ["Input", "Cached Input", "Output"]);
        assert_eq!(read.prices[0].amount.as_deref(), Some("{\"regional\":{\"us-east\":2}}"));
        assert_eq!(read.prices[2].amount, None);
        assert_eq!(read.trailing, "");
    }

    #[test]
    fn text_after_last_span_is_kept() {
        let read = cell_prices("Input: <span class='price-data'>$-</span> Output:");
        assert_eq!(read.trailing, "Output");
        let read = cell_prices("  N/A ");
        assert!(read.prices.is_empty());
        assert_eq!(read.trailing, "N/A");
    }

    #[test]
    fn amount_keeps_literal_digits() {
        let amounts = parse_amount(r#"{"regional":{"us-east":2.75,"europe-west":5.5e-05}}"#).expect("parses");
        let pairs: Vec<(&str, &str)> = amounts
            .0
            .iter()
            .map(|(slug, value)| (slug.as_str(), value.get()))
            .collect();
        assert_eq!(pairs, [("us-east", "2.75"), ("europe-west", "5.5e-05")]);
    }

    #[test]
    fn malformed_amounts_are_rejected() {
        let cases = [
            ("", "EOF"),
            ("{}", "missing field `regional`"),
            (r#"{"regional":{}}"#, "no region prices"),
            (r#"{"regional":{"us-east":1},"global":{}}"#, "unknown field `global`"),
            (r#"{"regional":{"us-east":1,"us-east":2}}"#, "appears twice"),
            (r#"{"regional":[1]}"#, "region slugs"),
            ("{regional:", "key must be a string"),
        ];
        for (text, expected) in cases {
            let error = parse_amount(text).unwrap_err();
            assert!(error.contains(expected), "{text}: {error}");
        }
    }

    #[test]
    fn prices_parse_exactly() {
        let cases = [
            ("2.75", "2.75"),
            ("0.0005", "0.0005"),
            ("5.5e-05", "0.000055"),
            ("8.30", "8.3"),
            ("2", "2"),
        ];
        for (literal, expected) in cases {
            let value = parse_price(literal).expect(literal);
            assert_eq!(value, Decimal::from_str(expected).expect("decimal"), "{literal}");
            assert_eq!(value.to_string(), expected, "{literal}");
        }
    }

    #[test]
    fn zero_negative_and_non_numeric_prices_are_rejected() {
        let cases = [
            ("0", "zero"),
            ("0.0", "zero"),
            ("-0", "zero"),
            ("-2.5", "negative"),
            ("\"2.5\"", "not a JSON number"),
            ("null", "not a JSON number"),
            ("{}", "not a JSON number"),
            ("1e400", "96-bit"),
        ];
        for (literal, expected) in cases {
            let error = parse_price(literal).unwrap_err();
            assert!(error.contains(expected), "{literal}: {error}");
        }
    }
}
