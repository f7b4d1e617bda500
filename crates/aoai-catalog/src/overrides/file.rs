//! Reads and checks an overrides file.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use aoai_core::{Currency, DeploymentSku, ModelKey, TokenKind};
use rust_decimal::Decimal;
use toml::{Table, Value};

use super::{DiscountRule, Overrides, PriceRule, Scope};

/// An overrides file that cannot be used; the message names the file, the rule and the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OverridesError {
    #[error("cannot read price overrides file '{path}': {reason}")]
    Read { path: String, reason: String },
    #[error("price overrides are not valid TOML: {0}")]
    Syntax(String),
    #[error("price overrides: {place}: {reason}")]
    Invalid { place: String, reason: String },
    #[error(
        "price overrides: {first} and {second} have the same number of scope fields and can both apply \
         to one price; add a rule that names both scopes, or narrow one of them"
    )]
    Overlap { first: String, second: String },
}

const SCOPE_FIELDS: [&str; 5] = ["model", "version", "deployment_type", "tier", "region"];

impl Overrides {
    /// Reads the overrides file at `path`.
    pub fn from_file(path: &Path) -> Result<Overrides, OverridesError> {
        let text = std::fs::read_to_string(path).map_err(|error| OverridesError::Read {
            path: path.display().to_string(),
            reason: error.to_string(),
        })?;
        Overrides::parse(&text).map_err(|error| match error {
            OverridesError::Invalid { place, reason } => OverridesError::Invalid {
                place: format!("{}: {place}", path.display()),
                reason,
            },
            OverridesError::Syntax(reason) => OverridesError::Syntax(format!("{}: {reason}", path.display())),
            other => other,
        })
    }

    /// Reads overrides from TOML text.
    pub fn parse(text: &str) -> Result<Overrides, OverridesError> {
        let table = Table::from_str(text).map_err(|error| OverridesError::Syntax(error.to_string()))?;
        let mut overrides = Overrides::default();
        for (key, value) in table {
            match key.as_str() {
                "discount" => {
                    for (index, rule) in rules(&key, &value)?.iter().enumerate() {
                        overrides.discounts.push(discount_rule(index + 1, rule)?);
                    }
                }
                "price" => {
                    for (index, rule) in rules(&key, &value)?.iter().enumerate() {
                        overrides.prices.push(price_rule(index + 1, rule)?);
                    }
                }
                other => {
                    return Err(invalid(
                        format!("top-level key '{other}'"),
                        "only [[discount]] and [[price]] tables are read",
                    ));
                }
            }
        }
        check_overlaps(
            overrides
                .discounts
                .iter()
                .map(|rule| (format!("discount {} ({})", rule.number, rule.scope), &rule.scope)),
        )?;
        let currencies: std::collections::BTreeSet<Currency> =
            overrides.prices.iter().map(|rule| rule.currency).collect();
        for currency in currencies {
            for kind in TokenKind::ALL {
                check_overlaps(
                    overrides
                        .prices
                        .iter()
                        .filter(|rule| rule.currency == currency && rule.prices.contains_key(&kind))
                        .map(|rule| {
                            (
                                format!("price {} ({}) for {kind} in {currency}", rule.number, rule.scope),
                                &rule.scope,
                            )
                        }),
                )?;
            }
        }
        Ok(overrides)
    }
}

fn invalid(place: impl Into<String>, reason: impl Into<String>) -> OverridesError {
    OverridesError::Invalid {
        place: place.into(),
        reason: reason.into(),
    }
}

fn rules<'a>(key: &str, value: &'a Value) -> Result<&'a Vec<Value>, OverridesError> {
    value
        .as_array()
        .ok_or_else(|| invalid(format!("'{key}'"), format!("write each rule as a [[{key}]] table")))
}

fn discount_rule(number: usize, value: &Value) -> Result<DiscountRule, OverridesError> {
    let place = format!("discount {number}");
    let table = value
        .as_table()
        .ok_or_else(|| invalid(&place, "a rule must be a [[discount]] table"))?;
    let scope = scope(&place, table)?;
    let mut percent = None;
    for (key, value) in table {
        match key.as_str() {
            "percent" => percent = Some(decimal(&place, key, value)?),
            field if SCOPE_FIELDS.contains(&field) => {}
            other => {
                return Err(invalid(
                    &place,
                    format!("unknown field '{other}'; a discount has percent and the scope fields {SCOPE_FIELDS:?}"),
                ));
            }
        }
    }
    let percent = percent.ok_or_else(|| invalid(&place, "field 'percent' is required, such as percent = 8"))?;
    if percent < Decimal::ZERO || percent > Decimal::ONE_HUNDRED {
        return Err(invalid(
            &place,
            format!("percent {percent} is outside 0 to 100; it is the share taken off the list price"),
        ));
    }
    Ok(DiscountRule { number, scope, percent })
}

fn price_rule(number: usize, value: &Value) -> Result<PriceRule, OverridesError> {
    let place = format!("price {number}");
    let table = value
        .as_table()
        .ok_or_else(|| invalid(&place, "a rule must be a [[price]] table"))?;
    let scope = scope(&place, table)?;
    if scope.model.is_none() {
        return Err(invalid(
            &place,
            "field 'model' is required: an absolute price is agreed per model",
        ));
    }
    let mut currency = None;
    let mut prices = BTreeMap::new();
    for (key, value) in table {
        if SCOPE_FIELDS.contains(&key.as_str()) {
            continue;
        }
        if key == "currency" {
            let text = string(&place, key, value)?;
            currency = Some(Currency::from_str(text).map_err(|_| {
                invalid(
                    &place,
                    format!("currency '{text}' is not a three-letter ISO 4217 code such as USD"),
                )
            })?);
            continue;
        }
        let kind = TokenKind::from_str(key).map_err(|_| {
            invalid(
                &place,
                format!(
                    "unknown field '{key}'; a price rule has currency, scope fields {SCOPE_FIELDS:?} and token kinds {}",
                    TokenKind::ALL.map(TokenKind::as_str).join(", ")
                ),
            )
        })?;
        let price = decimal(&place, key, value)?;
        if price < Decimal::ZERO {
            return Err(invalid(&place, format!("{key} = {price} is negative")));
        }
        prices.insert(kind, price.normalize());
    }
    let currency = currency.ok_or_else(|| {
        invalid(
            &place,
            "field 'currency' is required, such as currency = \"USD\", because an agreed price is in one currency",
        )
    })?;
    if prices.is_empty() {
        return Err(invalid(
            &place,
            "the rule sets no price; add input, cached_input or output",
        ));
    }
    Ok(PriceRule {
        number,
        scope,
        currency,
        prices,
    })
}

fn scope(place: &str, table: &Table) -> Result<Scope, OverridesError> {
    let mut scope = Scope::default();
    if let Some(value) = table.get("model") {
        let text = string(place, "model", value)?;
        let key = ModelKey::parse(text);
        if key.version.is_some() {
            return Err(invalid(
                place,
                format!("model '{text}' includes a version; write it as model and version fields"),
            ));
        }
        scope.model = Some(key.name);
    }
    if let Some(value) = table.get("version") {
        let text = string(place, "version", value)?;
        if scope.model.is_none() {
            return Err(invalid(place, "field 'version' needs a 'model'"));
        }
        scope.version = Some(
            chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|_| invalid(place, format!("version '{text}' is not a date such as 2024-11-20")))?,
        );
    }
    if let Some(value) = table.get("deployment_type") {
        let text = string(place, "deployment_type", value)?;
        let sku = DeploymentSku::from_str(text)
            .ok()
            .filter(|sku| sku.tier.is_none() && !sku.provisioned)
            .ok_or_else(|| {
                invalid(
                    place,
                    format!("deployment_type '{text}' is not one of global, datazone, regional"),
                )
            })?;
        scope.deployment_type = Some(sku.deployment_type);
    }
    if let Some(value) = table.get("tier") {
        let text = string(place, "tier", value)?;
        scope.tier = Some(
            text.parse()
                .map_err(|error: aoai_core::ParseError| invalid(place, error.to_string()))?,
        );
    }
    if let Some(value) = table.get("region") {
        let text = string(place, "region", value)?;
        if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_alphanumeric()) {
            return Err(invalid(
                place,
                format!("region '{text}' is not an ARM region name such as eastus2"),
            ));
        }
        scope.region = Some(text.to_ascii_lowercase());
    }
    Ok(scope)
}

fn string<'a>(place: &str, key: &str, value: &'a Value) -> Result<&'a str, OverridesError> {
    value.as_str().map(str::trim).ok_or_else(|| {
        invalid(
            place,
            format!("field '{key}' must be a string, such as {key} = \"...\""),
        )
    })
}

/// Reads a number written as a string (`"1.60"`), an integer or a float, exactly. A float
/// is read from its shortest decimal form, which is the number as written for up to 15
/// significant digits. A float with more is refused, because its digits were already lost.
fn decimal(place: &str, key: &str, value: &Value) -> Result<Decimal, OverridesError> {
    let text = match value {
        Value::String(text) => text.trim().to_owned(),
        Value::Integer(number) => number.to_string(),
        Value::Float(number) if number.is_finite() => {
            let text = number.to_string();
            let digits = text
                .chars()
                .filter(char::is_ascii_digit)
                .skip_while(|digit| *digit == '0')
                .count();
            if digits > 15 {
                return Err(invalid(
                    place,
                    format!(
                        "field '{key}' = {text} has more digits than a TOML float holds exactly; \
                         write it as a string, such as {key} = \"{text}\""
                    ),
                ));
            }
            text
        }
        _ => String::new(),
    };
    Decimal::from_str_exact(&text).map_err(|_| {
        invalid(
            place,
            format!(
                "field '{key}' = {} is not a decimal number of at most 28 decimal places; write it as {key} = \"1.25\"",
                shown(value)
            ),
        )
    })
}

/// Describes a value for an error message.
fn shown(value: &Value) -> String {
    match value {
        Value::String(text) => format!("\"{text}\""),
        Value::Integer(number) => number.to_string(),
        Value::Float(number) => number.to_string(),
        Value::Boolean(flag) => flag.to_string(),
        other => format!("a {}", other.type_str()),
    }
}

/// Refuses two rules of equal specificity that can apply to the same price, unless a rule
/// whose scope is the union of theirs decides between them.
fn check_overlaps<'a>(rules: impl Iterator<Item = (String, &'a Scope)>) -> Result<(), OverridesError> {
    let rules: Vec<(String, &Scope)> = rules.collect();
    for (index, (first_name, first)) in rules.iter().enumerate() {
        for (second_name, second) in &rules[index + 1..] {
            if first.specificity() != second.specificity() {
                continue;
            }
            let Some(union) = union(first, second) else {
                continue;
            };
            if first == second {
                return Err(OverridesError::Overlap {
                    first: first_name.clone(),
                    second: second_name.clone(),
                });
            }
            if !rules.iter().any(|(_, scope)| **scope == union) {
                return Err(OverridesError::Overlap {
                    first: first_name.clone(),
                    second: second_name.clone(),
                });
            }
        }
    }
    Ok(())
}

/// Returns the scope of the prices both scopes match, or `None` when no price is in both.
fn union(a: &Scope, b: &Scope) -> Option<Scope> {
    fn field<T: Clone + PartialEq>(a: &Option<T>, b: &Option<T>) -> Option<Option<T>> {
        match (a, b) {
            (Some(x), Some(y)) if x != y => None,
            (Some(x), _) | (None, Some(x)) => Some(Some(x.clone())),
            (None, None) => Some(None),
        }
    }
    Some(Scope {
        model: field(&a.model, &b.model)?,
        version: field(&a.version, &b.version)?,
        deployment_type: field(&a.deployment_type, &b.deployment_type)?,
        tier: field(&a.tier, &b.tier)?,
        region: field(&a.region, &b.region)?,
    })
}
