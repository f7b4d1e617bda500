//! Classifies Retail Prices rows into token prices and everything else.
//!
//! A row becomes a [`MeterClass`] only when every word of its meter name and its unit
//! are understood; otherwise it is rejected with the reason, and no price is guessed.

mod model_name;
mod unit;
mod versions;
mod words;

use aoai_core::{ContextBand, DeploymentType, ModelKey, Tier, TokenKind};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::retail::RetailItem;
pub(crate) use model_name::alias as model_alias;
pub use unit::Unit;
pub use versions::resolve as resolve_version;
pub use words::split_words;

/// The kind of price a classified row lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MeterClass {
    /// A base inference price per 1,000,000 tokens.
    Token(TokenMeter),
    /// A token price that is not base inference: fine-tuned model calls, training,
    /// graders and reinforcement fine-tuning. Never served as an inference price.
    NonInference {
        category: NonInference,
        price_per_million: Decimal,
    },
    /// A price per hour: provisioned throughput, fine-tune hosting, training hours.
    Hourly {
        category: HourlyCategory,
        price_per_hour: Decimal,
    },
    /// A price per image, second, session, call, gigabyte-day or character.
    Other { unit_word: String },
}

/// The fields of a base inference token price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenMeter {
    pub model: ModelKey,
    pub deployment_type: DeploymentType,
    pub tier: Tier,
    pub kind: TokenKind,
    pub context_band: Option<ContextBand>,
    pub price_per_million: Decimal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NonInference {
    FineTune,
    Training,
    Grader,
    ReinforcementFineTune,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HourlyCategory {
    Provisioned,
    Hosting,
    Training,
    Other,
}

/// Classifies one row, or returns the reason it is not understood.
pub fn classify(item: &RetailItem) -> Result<MeterClass, String> {
    let mut words = split_words(&item.meter_name);
    let unit_word = words.pop().ok_or("meter name is empty")?;
    let unit = Unit::parse(&item.unit_of_measure)
        .ok_or_else(|| format!("unit of measure '{}' is not understood", item.unit_of_measure))?;

    if item.retail_price.is_sign_negative() {
        return Err(format!("price {} is negative", item.retail_price));
    }

    match unit {
        Unit::Hour => Ok(MeterClass::Hourly {
            category: hourly_category(&words),
            price_per_hour: item.retail_price.normalize(),
        }),
        Unit::Day | Unit::Month | Unit::Second => Ok(MeterClass::Other { unit_word }),
        Unit::Count(_) if unit_word != "tokens" => Ok(MeterClass::Other { unit_word }),
        Unit::Count(count) => classify_tokens(words, count, item),
    }
}

fn classify_tokens(mut words: Vec<String>, count: u64, item: &RetailItem) -> Result<MeterClass, String> {
    // "1M Tokens" repeats the unit in the name; it must agree with unitOfMeasure.
    if let Some(last) = words.last()
        && (last == "1m" || last == "1k")
    {
        let named = if last == "1m" { 1_000_000 } else { 1_000 };
        if named != count {
            return Err(format!(
                "meter name says {last} tokens but unit of measure is '{}'",
                item.unit_of_measure
            ));
        }
        words.pop();
    }

    let price_per_million = unit::per_million(item.retail_price, count)
        .ok_or_else(|| format!("price {} per {count} tokens overflows", item.retail_price))?;

    if let Some(category) = non_inference_category(&words) {
        return Ok(MeterClass::NonInference {
            category,
            price_per_million,
        });
    }
    if price_per_million.is_zero() {
        return Err("token price is zero; a zero list price is never served as a price".to_owned());
    }

    let parts = MeterParts::read(&words)?;
    let context = model_name::Context {
        modalities: parts.modality_words.len(),
        first_is_audio: parts.modality_words.first() == Some(&Modality::Audio),
        has_version: parts.version.is_some(),
    };
    let model_name = model_name::canonical(&parts.model_words, context)?;
    let version = match &parts.version {
        Some(digits) => Some(versions::resolve(&model_name, digits)?),
        None => None,
    };

    let kind = parts.token_kind(&model_name)?;
    Ok(MeterClass::Token(TokenMeter {
        model: ModelKey {
            name: model_name,
            version,
        },
        deployment_type: parts
            .deployment_type
            .ok_or("no deployment type (global, data zone, regional) in meter name")?,
        tier: parts.tier.unwrap_or(Tier::Standard),
        kind,
        context_band: parts.context_band,
        price_per_million,
    }))
}

fn non_inference_category(words: &[String]) -> Option<NonInference> {
    let has = |candidates: &[&str]| words.iter().any(|word| candidates.contains(&word.as_str()));
    if has(&["rft"]) {
        Some(NonInference::ReinforcementFineTune)
    } else if has(&["grader", "grdr"]) {
        Some(NonInference::Grader)
    } else if has(&["training", "trng", "trn", "tkn"]) {
        Some(NonInference::Training)
    } else if has(&["ft", "finetune", "finetuned"]) {
        Some(NonInference::FineTune)
    } else {
        None
    }
}

fn hourly_category(words: &[String]) -> HourlyCategory {
    let has = |candidates: &[&str]| words.iter().any(|word| candidates.contains(&word.as_str()));
    if has(&["provisioned", "ptu"]) {
        HourlyCategory::Provisioned
    } else if has(&["hstng", "hosting"]) {
        HourlyCategory::Hosting
    } else if has(&["training", "trng", "rft"]) {
        HourlyCategory::Training
    } else {
        HourlyCategory::Other
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Input,
    Output,
    CacheWrite,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Modality {
    Text,
    Audio,
    Image,
}

/// The words of a token meter name, sorted by their role.
#[derive(Debug, Default)]
struct MeterParts {
    model_words: Vec<String>,
    modality_words: Vec<Modality>,
    version: Option<String>,
    deployment_type: Option<DeploymentType>,
    tier: Option<Tier>,
    direction: Option<Direction>,
    cached: bool,
    context_band: Option<ContextBand>,
}

impl MeterParts {
    fn read(words: &[String]) -> Result<MeterParts, String> {
        let mut parts = MeterParts::default();
        for (index, word) in words.iter().enumerate() {
            let word = word.as_str();
            if let Some(deployment_type) = deployment_word(word) {
                set_once(&mut parts.deployment_type, deployment_type, "deployment type")?;
                continue;
            }
            if let Some(tier) = tier_word(word) {
                set_once(&mut parts.tier, tier, "tier")?;
                continue;
            }
            if let Some(direction) = direction_word(word) {
                set_once(&mut parts.direction, direction, "token direction")?;
                continue;
            }
            if let Some(band) = band_word(word) {
                set_once(&mut parts.context_band, band, "context band")?;
                continue;
            }
            if matches!(word, "cached" | "cchd" | "cd" | "cched" | "ccchd" | "cache") {
                parts.cached = true;
                continue;
            }
            // A modality word that opens the name, or follows a leading "gpt", is part of
            // the model name: "Image 2 img" is gpt-image-2, "gpt aud mini txt" is gpt-audio-mini.
            let names_model = index == 0 || (index == 1 && words[0] == "gpt");
            if let Some(modality) = modality_word(word)
                && !names_model
            {
                parts.modality_words.push(modality);
                continue;
            }
            if is_version(word) {
                if parts.version.is_some() {
                    return Err(format!("meter name has more than one version ('{word}')"));
                }
                parts.version = Some(word.to_owned());
                continue;
            }
            parts.model_words.push(word.to_owned());
        }
        if parts.model_words.is_empty() {
            return Err("no model name in meter name".to_owned());
        }
        Ok(parts)
    }

    fn token_kind(&self, model_name: &str) -> Result<TokenKind, String> {
        // A meter that names no modality prices text, except on the gpt-audio models,
        // whose unnamed prices are audio ("gpt aud 0828 Inp" beside "gpt aud 0828 txt Inp").
        let default_modality = if model_name.starts_with("gpt-audio") {
            Modality::Audio
        } else {
            Modality::Text
        };
        let modality = self.modality_words.last().copied().unwrap_or(default_modality);
        // Embedding models read input only, and their meters name no direction.
        let direction = match self.direction {
            Some(direction) => direction,
            None if model_name.contains("embedding") => Direction::Input,
            None => return Err("no token direction (input, output, cache write) in meter name".to_owned()),
        };
        let kind = match (direction, self.cached, modality) {
            (Direction::CacheWrite, _, Modality::Text) => TokenKind::CacheWrite,
            (Direction::Input, false, Modality::Text) => TokenKind::Input,
            (Direction::Input, true, Modality::Text) => TokenKind::CachedInput,
            (Direction::Input, false, Modality::Audio) => TokenKind::AudioInput,
            (Direction::Input, true, Modality::Audio) => TokenKind::CachedAudioInput,
            (Direction::Input, false, Modality::Image) => TokenKind::ImageInput,
            (Direction::Input, true, Modality::Image) => TokenKind::CachedImageInput,
            (Direction::Output, false, Modality::Text) => TokenKind::Output,
            (Direction::Output, false, Modality::Audio) => TokenKind::AudioOutput,
            (Direction::Output, false, Modality::Image) => TokenKind::ImageOutput,
            (Direction::Output, true, _) => return Err("cached output tokens are not a token kind".to_owned()),
            (Direction::CacheWrite, _, _) => return Err("cache writes are priced for text only".to_owned()),
        };
        Ok(kind)
    }
}

fn set_once<T>(slot: &mut Option<T>, value: T, what: &str) -> Result<(), String> {
    if slot.is_some() {
        return Err(format!("meter name names more than one {what}"));
    }
    *slot = Some(value);
    Ok(())
}

fn deployment_word(word: &str) -> Option<DeploymentType> {
    match word {
        "glbl" | "global" | "gl" | "glb" | "gbl" => Some(DeploymentType::Global),
        "datazone" | "dzone" | "dz" | "dzn" => Some(DeploymentType::DataZone),
        "regnl" | "regional" | "rgnl" | "regn" => Some(DeploymentType::Regional),
        _ => None,
    }
}

fn tier_word(word: &str) -> Option<Tier> {
    match word {
        "batch" => Some(Tier::Batch),
        "pp" | "priority" => Some(Tier::Priority),
        "flex" => Some(Tier::Flex),
        "std" | "standard" => Some(Tier::Standard),
        _ => None,
    }
}

fn direction_word(word: &str) -> Option<Direction> {
    match word {
        "inp" | "input" | "inpt" | "in" => Some(Direction::Input),
        "outp" | "output" | "outpt" | "out" | "opt" => Some(Direction::Output),
        "cachewrite" => Some(Direction::CacheWrite),
        _ => None,
    }
}

fn band_word(word: &str) -> Option<ContextBand> {
    match word {
        "shortco" => Some(ContextBand::Short),
        "longco" => Some(ContextBand::Long),
        _ => None,
    }
}

fn modality_word(word: &str) -> Option<Modality> {
    match word {
        "txt" | "text" => Some(Modality::Text),
        "aud" | "audio" => Some(Modality::Audio),
        "img" | "image" => Some(Modality::Image),
        _ => None,
    }
}

/// True for `MMDD`, `MMDDYYYY`, or `MDD` (a month below 10 without its zero, as in
/// `gpt-35-trb16K-Batch-125`). Three digits with a leading zero name a model
/// (`babbage-002`), not a version.
fn is_version(word: &str) -> bool {
    let digits = word.bytes().all(|byte| byte.is_ascii_digit());
    match word.len() {
        4 | 8 => digits,
        3 => digits && !word.starts_with('0'),
        _ => false,
    }
}
