//! Token and request counts as telemetry writes them.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// Reads a whole, non-negative count from its text: `3000`, `3000.0` or `3e3`. The error
/// gives a machine-readable reason and what was wrong.
pub fn whole_number(text: &str) -> Result<u64, (&'static str, String)> {
    if let Ok(count) = text.parse::<u64>() {
        return Ok(count);
    }
    let decimal = if text.contains(['e', 'E']) {
        Decimal::from_scientific(text).ok()
    } else {
        Decimal::from_str_exact(text).ok()
    };
    match decimal {
        Some(decimal) if decimal < Decimal::ZERO => Err(("negative_count", format!("is negative: {text}"))),
        Some(decimal) if decimal.fract().is_zero() => decimal
            .to_u64()
            .ok_or(("invalid_count", format!("is too large: {text}"))),
        _ => Err(("invalid_count", format!("is not a whole number: '{text}'"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_in_any_notation() {
        assert_eq!(whole_number("3000"), Ok(3000));
        assert_eq!(whole_number("3000.0"), Ok(3000));
        assert_eq!(whole_number("3e3"), Ok(3000));
        assert_eq!(whole_number("-5").map_err(|error| error.0), Err("negative_count"));
        assert_eq!(whole_number("12.5").map_err(|error| error.0), Err("invalid_count"));
        assert_eq!(whole_number("abc").map_err(|error| error.0), Err("invalid_count"));
        assert_eq!(whole_number("1e30").map_err(|error| error.0), Err("invalid_count"));
    }
}
