//! Negotiated prices: percentage discounts and absolute prices that replace list prices.
//!
//! An overrides file is TOML with two kinds of rule, each scoped by any of `model`,
//! `version`, `deployment_type`, `tier` and `region` (a rule without a field applies to
//! every value of it):
//!
//! ```toml
//! # 8% off every list price.
//! [[discount]]
//! percent = 8
//!
//! # 20% off batch calls of gpt-4o, instead of the 8%.
//! [[discount]]
//! model = "gpt-4o"
//! tier = "batch"
//! percent = "20"
//!
//! # An agreed price per 1,000,000 tokens for gpt-4.1 Global.
//! [[price]]
//! model = "gpt-4.1"
//! deployment_type = "global"
//! currency = "USD"
//! input = "1.60"
//! output = "6.40"
//! ```
//!
//! For each token kind, the most specific `price` rule that sets that kind wins. A kind it
//! does not set takes the most specific `discount` rule, so an agreed input price leaves
//! cached input and output at their own discounted list prices. The most specific rule is
//! the one with the most scope fields. Two rules of equal specificity that can both apply
//! to one key are refused when the file is read, unless a rule naming both scopes exists.
//! A `price` rule applies only to prices asked in its own currency.

mod file;

use std::collections::BTreeMap;
use std::fmt;

use aoai_core::{Currency, DeploymentType, ModelVersion, Price, TextPrices, Tier, TokenKind};
use rust_decimal::Decimal;
use serde::Serialize;

pub use file::OverridesError;

use crate::catalog::PriceQuote;
use crate::entry::PriceEntry;

/// The fields that limit which prices a rule applies to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub model: Option<String>,
    pub version: Option<ModelVersion>,
    pub deployment_type: Option<DeploymentType>,
    pub tier: Option<Tier>,
    pub region: Option<String>,
}

impl Scope {
    fn specificity(&self) -> usize {
        usize::from(self.model.is_some())
            + usize::from(self.version.is_some())
            + usize::from(self.deployment_type.is_some())
            + usize::from(self.tier.is_some())
            + usize::from(self.region.is_some())
    }

    fn matches(&self, key: &PriceKeyRef<'_>) -> bool {
        self.model.as_deref().is_none_or(|model| model == key.model)
            && self.version.is_none_or(|version| key.version == Some(version))
            && self.deployment_type.is_none_or(|value| value == key.deployment_type)
            && self.tier.is_none_or(|value| value == key.tier)
            && self.region.as_deref().is_none_or(|region| region == key.region)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(model) = &self.model {
            parts.push(format!("model={model}"));
        }
        if let Some(version) = self.version {
            parts.push(format!("version={version}"));
        }
        if let Some(value) = self.deployment_type {
            parts.push(format!("deployment_type={value}"));
        }
        if let Some(value) = self.tier {
            parts.push(format!("tier={value}"));
        }
        if let Some(region) = &self.region {
            parts.push(format!("region={region}"));
        }
        if parts.is_empty() {
            f.write_str("every price")
        } else {
            f.write_str(&parts.join(" "))
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct DiscountRule {
    /// Position among the file's `[[discount]]` tables, from 1.
    number: usize,
    scope: Scope,
    percent: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct PriceRule {
    /// Position among the file's `[[price]]` tables, from 1.
    number: usize,
    scope: Scope,
    currency: Currency,
    prices: BTreeMap<TokenKind, Price>,
}

/// The key a price is for, as the overrides see it.
#[derive(Debug, Clone, Copy)]
pub struct PriceKeyRef<'a> {
    pub model: &'a str,
    pub version: Option<ModelVersion>,
    pub deployment_type: DeploymentType,
    pub tier: Tier,
    pub region: &'a str,
    pub currency: Currency,
}

/// The rule that set an effective price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Applied {
    Discount {
        /// Position among the `[[discount]]` tables, from 1.
        number: usize,
        scope: String,
        #[serde(with = "rust_decimal::serde::str")]
        percent: Decimal,
    },
    Price {
        /// Position among the `[[price]]` tables, from 1.
        number: usize,
        scope: String,
    },
}

/// The price charged for one token kind, beside the list price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effective {
    pub price: Price,
    pub list: Price,
    /// `None` when the list price applies.
    pub applied: Option<Applied>,
}

/// The negotiated prices of one agreement. The default has no rule and charges list prices.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    discounts: Vec<DiscountRule>,
    prices: Vec<PriceRule>,
}

impl Overrides {
    pub fn is_empty(&self) -> bool {
        self.discounts.is_empty() && self.prices.is_empty()
    }

    /// Returns the scope of every rule, with its name for messages.
    pub fn scopes(&self) -> impl Iterator<Item = (String, &Scope)> {
        self.discounts
            .iter()
            .map(|rule| (format!("discount {}", rule.number), &rule.scope))
            .chain(
                self.prices
                    .iter()
                    .map(|rule| (format!("price {}", rule.number), &rule.scope)),
            )
    }

    /// Counts the discount and price rules.
    pub fn rule_count(&self) -> usize {
        self.discounts.len() + self.prices.len()
    }

    /// Returns the price charged for `kind` of `key`, whose list price is `list`.
    pub fn effective(&self, key: &PriceKeyRef<'_>, kind: TokenKind, list: Price) -> Effective {
        let price_rule = self
            .prices
            .iter()
            .filter(|rule| rule.currency == key.currency && rule.prices.contains_key(&kind) && rule.scope.matches(key))
            .max_by_key(|rule| rule.scope.specificity());
        if let Some(rule) = price_rule {
            return Effective {
                price: rule.prices[&kind],
                list,
                applied: Some(Applied::Price {
                    number: rule.number,
                    scope: rule.scope.to_string(),
                }),
            };
        }
        let discount = self
            .discounts
            .iter()
            .filter(|rule| rule.scope.matches(key))
            .max_by_key(|rule| rule.scope.specificity());
        match discount {
            Some(rule) => Effective {
                price: discounted(list, rule.percent),
                list,
                applied: Some(Applied::Discount {
                    number: rule.number,
                    scope: rule.scope.to_string(),
                    percent: rule.percent,
                }),
            },
            None => Effective {
                price: list,
                list,
                applied: None,
            },
        }
    }
}

/// The prices of a quote after overrides, per token kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectiveQuote {
    pub prices: BTreeMap<TokenKind, Effective>,
}

impl EffectiveQuote {
    /// Returns the effective text-token prices, for computing a cost.
    pub fn text_prices(&self) -> TextPrices {
        let get = |kind| self.prices.get(&kind).map(|effective: &Effective| effective.price);
        TextPrices {
            input: get(TokenKind::Input),
            cached_input: get(TokenKind::CachedInput),
            output: get(TokenKind::Output),
        }
    }

    /// True when any price differs from its list price because of a rule.
    pub fn is_overridden(&self) -> bool {
        self.prices.values().any(|effective| effective.applied.is_some())
    }
}

impl Overrides {
    /// Applies the rules to every price of `quote`.
    pub fn apply(&self, quote: &PriceQuote) -> EffectiveQuote {
        let key = PriceKeyRef {
            model: &quote.model,
            version: quote.version,
            deployment_type: quote.deployment_type,
            tier: quote.tier,
            region: &quote.region,
            currency: quote.currency,
        };
        let prices = quote
            .prices
            .iter()
            .map(|(kind, list)| (*kind, self.effective(&key, *kind, *list)))
            .collect();
        EffectiveQuote { prices }
    }

    /// Applies the rules to one catalog price.
    pub fn apply_entry(&self, entry: &PriceEntry) -> Effective {
        let key = PriceKeyRef {
            model: &entry.model.name,
            version: entry.model.version,
            deployment_type: entry.deployment_type,
            tier: entry.tier,
            region: &entry.region,
            currency: entry.currency,
        };
        self.effective(&key, entry.kind, entry.price)
    }
}

/// `list` less `percent` percent, exactly. `percent` is between 0 and 100 and list prices
/// are far below `Decimal::MAX`, so the product cannot overflow.
fn discounted(list: Price, percent: Decimal) -> Price {
    (list - list * percent / Decimal::ONE_HUNDRED).normalize()
}

#[cfg(test)]
mod tests;
