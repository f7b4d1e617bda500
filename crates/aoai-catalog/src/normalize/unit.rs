//! Units of measure of Retail Prices rows.

use rust_decimal::Decimal;

/// The quantity one `unitOfMeasure` value counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A count of items (tokens, images, calls, sessions): `1`, `100`, `1K`, `1M`.
    Count(u64),
    Hour,
    Day,
    Month,
    Second,
}

impl Unit {
    /// Parses the unit spellings the API uses; `None` for anything else.
    pub fn parse(unit_of_measure: &str) -> Option<Unit> {
        let unit = unit_of_measure.trim();
        let parsed = match unit {
            "1 Hour" | "1/Hour" | "1 Hours" => Unit::Hour,
            "1/Day" | "1 Day" => Unit::Day,
            "1/Month" | "1 Month" => Unit::Month,
            "1 Second" | "1/Second" => Unit::Second,
            _ => Unit::Count(parse_count(unit)?),
        };
        Some(parsed)
    }
}

fn parse_count(unit: &str) -> Option<u64> {
    let (digits, multiplier) = match unit.as_bytes().last()? {
        b'K' => (&unit[..unit.len() - 1], 1_000),
        b'M' => (&unit[..unit.len() - 1], 1_000_000),
        _ => (unit, 1),
    };
    let count: u64 = digits.parse().ok()?;
    (count > 0).then(|| count.checked_mul(multiplier)).flatten()
}

/// Converts a price per `count` tokens into a price per 1,000,000 tokens, exactly.
pub fn per_million(price: Decimal, count: u64) -> Option<Decimal> {
    price
        .checked_mul(Decimal::from(1_000_000u64))?
        .checked_div(Decimal::from(count))
        .map(|value| value.normalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_parse() {
        let cases = [
            ("1K", Some(Unit::Count(1_000))),
            ("1M", Some(Unit::Count(1_000_000))),
            ("100", Some(Unit::Count(100))),
            ("1", Some(Unit::Count(1))),
            ("1 Hour", Some(Unit::Hour)),
            ("1/Hour", Some(Unit::Hour)),
            ("1/Day", Some(Unit::Day)),
            ("1/Month", Some(Unit::Month)),
            ("1 Second", Some(Unit::Second)),
            ("0K", None),
            ("1G", None),
            ("", None),
            ("10 Minutes", None),
        ];
        for (text, expected) in cases {
            assert_eq!(Unit::parse(text), expected, "{text}");
        }
    }

    #[test]
    fn per_1k_price_scales_to_per_million() {
        let price: Decimal = "0.0004".parse().expect("decimal");
        assert_eq!(per_million(price, 1_000).expect("scaled").to_string(), "0.4");
        let price: Decimal = "1.25".parse().expect("decimal");
        assert_eq!(per_million(price, 1_000_000).expect("scaled").to_string(), "1.25");
    }
}
