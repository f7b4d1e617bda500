//! Errors for a pricing page whose structure or values are not understood.

use std::fmt;

/// The place on the page that an error refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The text of the model family's `<h2>`.
    pub family: String,
    /// The 1-based number of the body row in its table, below the heading row.
    pub row: usize,
    /// The text of the row's model cell, which names model, version and deployment type.
    pub model_cell: String,
    /// The heading of the column, when the error is about one cell.
    pub column: Option<String>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "family '{}', row {} '{}'", self.family, self.row, self.model_cell)?;
        if let Some(column) = &self.column {
            write!(f, ", column '{column}'")?;
        }
        Ok(())
    }
}

/// A pricing page that cannot be read in full. Any error fails the whole page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    #[error(
        "no <section id=\"pricing\"> in the page; check that the HTML is the Azure OpenAI pricing page \
         and whether its layout changed"
    )]
    MissingPricingSection,

    #[error("section#pricing contains no model family heading (<h2>) with a price table")]
    NoFamilies,

    #[error("section#pricing lists no prices: every price cell reads N/A or -")]
    EmptyPage,

    #[error("a <table> in section#pricing comes before any family heading (<h2>)")]
    TableWithoutFamily,

    #[error("family '{family}' has no <table> between its <h2> and the next family heading")]
    MissingTable { family: String },

    #[error(
        "the table of family '{family}' has no recognised heading row: expected a first row whose \
         first cell is 'Models', found {found}"
    )]
    MissingHeadingRow { family: String, found: String },

    #[error("unknown column heading '{heading}' in the table of family '{family}'; known headings: {known}")]
    UnknownColumn {
        family: String,
        heading: String,
        known: &'static str,
    },

    #[error(
        "column '{heading}' of family '{family}' states no unit, and the table's other headings do not \
         state exactly one; expected '(per 1M tokens)' or '(per 1,000 tokens)' in the heading"
    )]
    MissingUnit { family: String, heading: String },

    #[error("{at}: the row has {cells} cells but the table has {headings} headings")]
    CellCount {
        at: Box<Location>,
        cells: usize,
        headings: usize,
    },

    #[error("{at}: the cell contains no prices; expected labelled price-data spans such as 'Input:', or 'N/A'")]
    NoPrices { at: Box<Location> },

    #[error("{at}: a price-data span has no label before it; expected one of {known}")]
    PriceWithoutLabel { at: Box<Location>, known: &'static str },

    #[error("{at}: label '{label}' has no price-data span after it")]
    LabelWithoutPrice { at: Box<Location>, label: String },

    #[error("{at}: unknown price label '{label}'; known labels: {known}")]
    UnknownPriceLabel {
        at: Box<Location>,
        label: String,
        known: &'static str,
    },

    #[error("{at}, label '{label}': invalid data-amount '{text}': {reason}")]
    InvalidAmount {
        at: Box<Location>,
        label: String,
        text: String,
        reason: String,
    },

    #[error("{at}, label '{label}', region '{slug}': invalid price '{value}': {reason}")]
    InvalidPrice {
        at: Box<Location>,
        label: String,
        slug: String,
        value: String,
        reason: &'static str,
    },

    #[error(
        "{at}: unknown region slug '{slug}' in data-amount; add it with its ARM region name to \
         aoai_catalog::page::REGION_SLUGS"
    )]
    UnknownRegion { at: Box<Location>, slug: String },

    #[error(
        "{at}: the model cell names no deployment type; expected it to end in Global, Data Zone, DataZone or Regional"
    )]
    NoDeploymentType { at: Box<Location> },

    #[error("{at}: invalid model in the model cell: {reason}")]
    InvalidModel { at: Box<Location>, reason: String },

    #[error("{at}: invalid context band '{text}': {reason}")]
    InvalidContextBand {
        at: Box<Location>,
        text: String,
        reason: &'static str,
    },

    #[error(
        "{at}: the price '{label}' in region '{region}' has the same model, deployment type, tier, \
         token kind and context band as '{first}'"
    )]
    DuplicatePrice {
        at: Box<Location>,
        label: String,
        region: String,
        first: String,
    },
}
