//! Domain types shared by every aoai-meter binary.
//!
//! Prices are exact decimals per 1,000,000 tokens and costs are exact decimals in the
//! price's currency; no type in this crate stores money as a float.

mod deployment;
mod model;
mod money;
mod token;
mod usage;

pub use deployment::{DeploymentSku, DeploymentType, ParseError, Tier};
pub use model::{ModelKey, ModelVersion, canonical_model_name};
pub use money::{Currency, PER_TOKENS, Price};
pub use token::{ContextBand, TokenKind};
pub use usage::{CostBreakdown, CostError, TextPrices, TokenUsage, UsageError, exact_add};
