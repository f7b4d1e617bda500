//! A parser for the public Azure OpenAI pricing page
//! (`https://azure.microsoft.com/en-us/pricing/details/azure-openai/`).
//!
//! The parser reads HTML that was fetched elsewhere and never fetches anything. It
//! expects the layout that public scrapers of the page describe:
//!
//! | Page element | Read as |
//! |---|---|
//! | `section#pricing` | the part of the page with prices |
//! | `<h2>` inside it | a model family, the heading of the tables after it |
//! | first table row | column headings, the first of which is `Models` |
//! | `Models` cell, possibly with `rowspan` | model, version, deployment type and optional band: `GPT-4.1-2025-04-14 Data Zone`, `GPT-5.5 Global (<272k context length)` |
//! | `Context` cell | a band: `<272k` is [`ContextBand::Short`], `>272k` is [`ContextBand::Long`] |
//! | `Price`, `Pricing` or `Standard` column | [`Tier::Standard`] |
//! | `Batch API` column | [`Tier::Batch`] |
//! | `Priority` column | [`Tier::Priority`] |
//! | `Input:`, `Cached Input:`, `Output:` before a `price-data` span | [`TokenKind::Input`], [`TokenKind::CachedInput`], [`TokenKind::Output`] |
//! | `Prompt` and `Completion` columns or labels of older pages | [`TokenKind::Input`] and [`TokenKind::Output`] at the standard tier |
//! | `data-amount='{"regional":{"us-east":2.5}}'` | USD prices keyed by the page's region slugs, see [`REGION_SLUGS`] |
//! | `(per 1M tokens)` or `(per 1,000 tokens)` in a heading | the unit. Per-1,000 prices are multiplied by 1,000 exactly |
//!
//! A price cell that reads only `N/A` or `-` means the tier is not offered for that row
//! and yields no prices. A row without a `Cached Input:` label yields no cached price.
//! Anything else that does not fit fails the whole page with a [`PageError`] that names
//! the family, row and column, and no partial page is returned.

mod cell;
mod error;
mod label;
mod regions;
mod table;

use std::collections::HashMap;

use aoai_core::{ContextBand, DeploymentType, ModelKey, Tier, TokenKind};
use rust_decimal::Decimal;
use scraper::{ElementRef, Html};

pub use error::{Location, PageError};
use label::LabelError;
pub use regions::{REGION_SLUGS, arm_region};
use table::{Column, Role};

/// One price of the pricing page, per 1,000,000 tokens in USD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagePrice {
    /// The Azure Resource Manager region name, such as `eastus2`.
    pub region: String,
    /// The model in the catalog's canonical spelling, so that it equals the key of the
    /// same model from the Retail Prices API.
    pub model: ModelKey,
    pub deployment_type: DeploymentType,
    pub tier: Tier,
    pub kind: TokenKind,
    /// The prompt-length band, for models whose price depends on it.
    pub context_band: Option<ContextBand>,
    /// The price in USD per 1,000,000 tokens, exact.
    pub price_per_million: Decimal,
    /// The row's model cell, context cell, column heading and price label, joined by
    /// ` / `, such as `GPT-4.1-2025-04-14 Global / Batch API / Input`.
    pub label: String,
}

/// Price labels that `parse_page` recognises inside a cell, for error messages.
pub const KNOWN_PRICE_LABELS: &str = "Input, Cached Input, Output, Prompt, Completion";

/// Cell texts that mean a tier is not offered for a row.
const NOT_OFFERED: &[&str] = &["n/a", "-", "–", "—", "not available"];

/// Parses every token price of the Azure OpenAI pricing page.
///
/// Returns the prices in page order. Fails on the first element that does not fit
/// the layout described in the [module documentation](self), and when the page lists
/// no price at all.
pub fn parse_page(html: &str) -> Result<Vec<PagePrice>, PageError> {
    let document = Html::parse_document(html);
    let section = table::pricing_section(document.root_element())?;
    let families = table::families(section)?;

    let mut reader = PriceReader::default();
    for family in &families {
        for price_table in &family.tables {
            reader.read_table(&family.heading, *price_table)?;
        }
    }
    if reader.prices.is_empty() {
        return Err(PageError::EmptyPage);
    }
    Ok(reader.prices)
}

type PriceKey = (String, ModelKey, DeploymentType, Tier, TokenKind, Option<ContextBand>);

/// The prices read so far and the label of each key, to reject a key given twice.
#[derive(Debug, Default)]
struct PriceReader {
    prices: Vec<PagePrice>,
    labels: HashMap<PriceKey, String>,
}

/// The parts of a body row that every price cell of the row shares.
struct RowContext<'a> {
    at: Location,
    model: &'a ModelKey,
    deployment_type: DeploymentType,
    band: Option<ContextBand>,
    /// The model cell and the context cell text, the start of each price label.
    label_prefix: String,
}

impl PriceReader {
    fn read_table(&mut self, family: &str, price_table: ElementRef<'_>) -> Result<(), PageError> {
        let grid = table::expand_spans(&table::rows(price_table));
        let (heading_row, body) = match grid.split_first() {
            Some((heading_row, body)) => (heading_row.as_slice(), body),
            None => (&[][..], &[][..]),
        };
        let columns = table::read_headings(family, heading_row)?;

        for (index, cells) in body.iter().enumerate() {
            let at = Location {
                family: family.to_owned(),
                row: index + 1,
                model_cell: cells.first().map(|cell| table::text_of(*cell)).unwrap_or_default(),
                column: None,
            };
            if cells.len() != columns.len() {
                return Err(PageError::CellCount {
                    at: Box::new(at),
                    cells: cells.len(),
                    headings: columns.len(),
                });
            }
            self.read_row(at, &columns, cells)?;
        }
        Ok(())
    }

    fn read_row(&mut self, at: Location, columns: &[Column], cells: &[ElementRef<'_>]) -> Result<(), PageError> {
        let model_cell = label::parse_model_cell(&at.model_cell).map_err(|error| label_error(error, &at))?;

        // A context column adds its band to the model cell's, and both must agree.
        let mut band = model_cell.band;
        let mut label_prefix = at.model_cell.clone();
        for (column, cell) in columns.iter().zip(cells) {
            if column.role != Role::Context {
                continue;
            }
            let text = table::text_of(*cell);
            let context_band = label::parse_context_cell(&text).map_err(|error| label_error(error, &at))?;
            if let Some(context_band) = context_band {
                if band.is_some_and(|model_band| model_band != context_band) {
                    return Err(PageError::InvalidContextBand {
                        at: Box::new(at),
                        text,
                        reason: "the model cell names the other band",
                    });
                }
                band = Some(context_band);
                label_prefix = format!("{label_prefix} / {text}");
            }
        }

        let row = RowContext {
            at,
            model: &model_cell.model,
            deployment_type: model_cell.deployment_type,
            band,
            label_prefix,
        };
        for (column, cell) in columns.iter().zip(cells) {
            if let Role::Prices { tier, kind } = column.role {
                self.read_price_cell(&row, column, tier, kind, *cell)?;
            }
        }
        Ok(())
    }

    fn read_price_cell(
        &mut self,
        row: &RowContext<'_>,
        column: &Column,
        tier: Tier,
        column_kind: Option<TokenKind>,
        cell: ElementRef<'_>,
    ) -> Result<(), PageError> {
        let at = || {
            Box::new(Location {
                column: Some(column.heading.clone()),
                ..row.at.clone()
            })
        };
        let read = cell::read_cell(cell);
        if read.prices.is_empty() {
            if NOT_OFFERED.contains(&read.trailing.to_lowercase().as_str()) {
                return Ok(());
            }
            return Err(PageError::NoPrices { at: at() });
        }
        if !read.trailing.is_empty() {
            return Err(PageError::LabelWithoutPrice {
                at: at(),
                label: read.trailing,
            });
        }

        for raw in read.prices {
            let kind = price_kind(&raw.label, column_kind).map_err(|known| match raw.label.is_empty() {
                true => PageError::PriceWithoutLabel { at: at(), known },
                false => PageError::UnknownPriceLabel {
                    at: at(),
                    label: raw.label.clone(),
                    known,
                },
            })?;
            let label = match raw.label.is_empty() {
                true => format!("{} / {}", row.label_prefix, column.heading),
                false => format!("{} / {} / {}", row.label_prefix, column.heading, raw.label),
            };
            let invalid_amount = |text: &str, reason: String| PageError::InvalidAmount {
                at: at(),
                label: label.clone(),
                text: text.to_owned(),
                reason,
            };
            let Some(amount_text) = raw.amount else {
                return Err(invalid_amount(
                    "",
                    "the price-data span has no data-amount attribute".to_owned(),
                ));
            };
            let amounts = cell::parse_amount(&amount_text).map_err(|reason| invalid_amount(&amount_text, reason))?;

            for (slug, value) in amounts.0 {
                let Some(region) = arm_region(&slug) else {
                    return Err(PageError::UnknownRegion { at: at(), slug });
                };
                let invalid_price = |reason| PageError::InvalidPrice {
                    at: at(),
                    label: label.clone(),
                    slug: slug.clone(),
                    value: value.get().to_owned(),
                    reason,
                };
                let listed = cell::parse_price(value.get()).map_err(invalid_price)?;
                let price_per_million = per_million(listed, column.per_tokens)
                    .ok_or_else(|| invalid_price("the price overflows when converted to per 1M tokens"))?;
                self.push(
                    PagePrice {
                        region: region.to_owned(),
                        model: row.model.clone(),
                        deployment_type: row.deployment_type,
                        tier,
                        kind,
                        context_band: row.band,
                        price_per_million,
                        label: label.clone(),
                    },
                    at(),
                )?;
            }
        }
        Ok(())
    }

    fn push(&mut self, price: PagePrice, at: Box<Location>) -> Result<(), PageError> {
        let key = (
            price.region.clone(),
            price.model.clone(),
            price.deployment_type,
            price.tier,
            price.kind,
            price.context_band,
        );
        if let Some(first) = self.labels.get(&key) {
            return Err(PageError::DuplicatePrice {
                at,
                label: price.label,
                region: price.region,
                first: first.clone(),
            });
        }
        self.labels.insert(key, price.label.clone());
        self.prices.push(price);
        Ok(())
    }
}

/// Returns the token kind of a price label, or the labels accepted in its place.
///
/// An empty label takes the column's kind, so only a column without one needs a label. In a
/// column of one kind, a label must name that kind.
fn price_kind(label: &str, column_kind: Option<TokenKind>) -> Result<TokenKind, &'static str> {
    let named = match label.to_lowercase().as_str() {
        "" => None,
        "input" | "prompt" => Some(TokenKind::Input),
        "cached input" => Some(TokenKind::CachedInput),
        "output" | "completion" => Some(TokenKind::Output),
        _ => return Err(KNOWN_PRICE_LABELS),
    };
    match (named, column_kind) {
        (None, Some(kind)) => Ok(kind),
        (None, None) => Err(KNOWN_PRICE_LABELS),
        (Some(kind), None) => Ok(kind),
        (Some(kind), Some(expected)) if kind == expected => Ok(kind),
        (Some(_), Some(expected)) => Err(match expected {
            TokenKind::Input => "Input, Prompt (the column's own token kind)",
            TokenKind::CachedInput => "Cached Input (the column's own token kind)",
            _ => "Output, Completion (the column's own token kind)",
        }),
    }
}

/// Converts a price per `per_tokens` tokens (1,000 or 1,000,000) into a price per 1,000,000.
fn per_million(listed: Decimal, per_tokens: Option<u64>) -> Option<Decimal> {
    let factor = 1_000_000u64.checked_div(per_tokens?)?;
    listed.checked_mul(Decimal::from(factor)).map(|value| value.normalize())
}

fn label_error(error: LabelError, at: &Location) -> PageError {
    let at = Box::new(at.clone());
    match error {
        LabelError::NoDeploymentType => PageError::NoDeploymentType { at },
        LabelError::InvalidModel(reason) => PageError::InvalidModel { at, reason },
        LabelError::InvalidBand { text, reason } => PageError::InvalidContextBand { at, text, reason },
    }
}
