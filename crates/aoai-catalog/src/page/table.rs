//! Model families, column headings and body rows, with `rowspan` and `colspan` expanded.

use aoai_core::{Tier, TokenKind};
use scraper::ElementRef;

use super::PageError;

/// A model family: its `<h2>` and the tables between it and the next `<h2>`.
#[derive(Debug)]
pub(crate) struct Family<'a> {
    pub heading: String,
    pub tables: Vec<ElementRef<'a>>,
}

/// The contents of a column of a price table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// Model, version and deployment type (`GPT-4.1-2025-04-14 Global`).
    Model,
    /// A context band (`<272k context length`) or nothing.
    Context,
    /// Prices of one tier. Spans without a label take `kind` when it is set, as in the
    /// per-1,000 `Prompt` and `Completion` columns of older versions of the page.
    Prices { tier: Tier, kind: Option<TokenKind> },
}

/// A column of a price table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Column {
    /// The heading text as the page shows it, whitespace collapsed.
    pub heading: String,
    pub role: Role,
    /// The number of tokens a price is quoted for: 1,000 or 1,000,000.
    pub per_tokens: Option<u64>,
}

/// The column headings `parse_page` recognises, for error messages.
pub(crate) const KNOWN_HEADINGS: &str = "Models, Context, Price, Pricing, Standard, Batch API, Priority, Input, \
     Prompt, Cached Input, Output, Completion; each may end in a unit such as '(per 1M tokens)' or \
     '(Per 1,000 tokens)'";

/// Collapses the whitespace of an element's text into single spaces.
pub(crate) fn text_of(element: ElementRef<'_>) -> String {
    element
        .text()
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Finds `section#pricing`.
pub(crate) fn pricing_section<'a>(root: ElementRef<'a>) -> Result<ElementRef<'a>, PageError> {
    root.descendent_elements()
        .find(|element| element.value().name() == "section" && element.attr("id") == Some("pricing"))
        .ok_or(PageError::MissingPricingSection)
}

/// Groups the section's tables under the `<h2>` before each, in document order.
pub(crate) fn families<'a>(section: ElementRef<'a>) -> Result<Vec<Family<'a>>, PageError> {
    let mut families: Vec<Family<'a>> = Vec::new();
    for element in section.descendent_elements() {
        match element.value().name() {
            "h2" => families.push(Family {
                heading: text_of(element),
                tables: Vec::new(),
            }),
            "table" if !inside_table(element) => match families.last_mut() {
                Some(family) => family.tables.push(element),
                None => return Err(PageError::TableWithoutFamily),
            },
            _ => {}
        }
    }
    if families.is_empty() {
        return Err(PageError::NoFamilies);
    }
    if let Some(family) = families.iter().find(|family| family.tables.is_empty()) {
        return Err(PageError::MissingTable {
            family: family.heading.clone(),
        });
    }
    Ok(families)
}

fn inside_table(element: ElementRef<'_>) -> bool {
    element
        .ancestors()
        .filter_map(ElementRef::wrap)
        .any(|ancestor| ancestor.value().name() == "table")
}

/// Returns the `<tr>` rows of a table, from `<thead>`, `<tbody>` and `<tfoot>` or directly under it.
pub(crate) fn rows<'a>(table: ElementRef<'a>) -> Vec<ElementRef<'a>> {
    let mut rows = Vec::new();
    for child in table.child_elements() {
        match child.value().name() {
            "tr" => rows.push(child),
            "thead" | "tbody" | "tfoot" => {
                rows.extend(child.child_elements().filter(|row| row.value().name() == "tr"));
            }
            _ => {}
        }
    }
    rows
}

/// Places the cells of each row in their columns, repeating a cell with `rowspan` in
/// the rows below and a cell with `colspan` in the columns beside it.
pub(crate) fn expand_spans<'a>(rows: &[ElementRef<'a>]) -> Vec<Vec<ElementRef<'a>>> {
    // carried[column] is a cell from a row above that still covers `remaining` rows.
    let mut carried: Vec<Option<(ElementRef<'a>, usize)>> = Vec::new();
    let mut grid = Vec::with_capacity(rows.len());

    for row in rows {
        let mut cells = row
            .child_elements()
            .filter(|cell| matches!(cell.value().name(), "td" | "th"));
        let mut placed: Vec<ElementRef<'a>> = Vec::new();
        loop {
            let column = placed.len();
            if let Some(slot) = carried.get_mut(column)
                && let Some((cell, remaining)) = slot.as_mut()
            {
                placed.push(*cell);
                *remaining -= 1;
                if *remaining == 0 {
                    *slot = None;
                }
                continue;
            }

            let Some(cell) = cells.next() else { break };
            let row_span = span(cell, "rowspan", usize::MAX);
            for _ in 0..span(cell, "colspan", 1000) {
                let column = placed.len();
                if carried.len() <= column {
                    carried.resize(column + 1, None);
                }
                if row_span > 1 {
                    carried[column] = Some((cell, row_span - 1));
                }
                placed.push(cell);
            }
        }
        grid.push(placed);
    }
    grid
}

/// Reads `rowspan` or `colspan` as browsers do: a missing or invalid value is 1, and
/// `rowspan="0"` covers the rest of the table.
fn span(cell: ElementRef<'_>, attribute: &str, zero_means: usize) -> usize {
    match cell
        .attr(attribute)
        .and_then(|value| value.trim().parse::<usize>().ok())
    {
        Some(0) => zero_means,
        Some(value) => value.min(65_534),
        None => 1,
    }
}

/// Reads a heading row into columns. The first column must be the model column.
pub(crate) fn read_headings(family: &str, heading_row: &[ElementRef<'_>]) -> Result<Vec<Column>, PageError> {
    let texts: Vec<String> = heading_row.iter().map(|cell| text_of(*cell)).collect();
    let first_is_model = texts
        .first()
        .is_some_and(|text| matches!(heading_stem(text).as_str(), "models" | "model"));
    if !first_is_model {
        return Err(PageError::MissingHeadingRow {
            family: family.to_owned(),
            found: match texts.is_empty() {
                true => "a table without rows".to_owned(),
                false => format!("'{}'", texts.join(" | ")),
            },
        });
    }

    let mut columns = Vec::with_capacity(texts.len());
    for heading in texts {
        let role = role_of(&heading_stem(&heading)).ok_or_else(|| PageError::UnknownColumn {
            family: family.to_owned(),
            heading: heading.clone(),
            known: KNOWN_HEADINGS,
        })?;
        columns.push(Column {
            per_tokens: unit_of(&heading),
            heading,
            role,
        });
    }
    fill_units(family, &mut columns)?;
    Ok(columns)
}

/// Gives a price column without a unit the unit of the table's other headings, when
/// they state exactly one.
fn fill_units(family: &str, columns: &mut [Column]) -> Result<(), PageError> {
    let mut stated: Vec<u64> = columns.iter().filter_map(|column| column.per_tokens).collect();
    stated.sort_unstable();
    stated.dedup();
    let table_unit = match stated.as_slice() {
        [unit] => Some(*unit),
        _ => None,
    };
    for column in columns.iter_mut() {
        if !matches!(column.role, Role::Prices { .. }) || column.per_tokens.is_some() {
            continue;
        }
        column.per_tokens = Some(table_unit.ok_or_else(|| PageError::MissingUnit {
            family: family.to_owned(),
            heading: column.heading.clone(),
        })?);
    }
    Ok(())
}

/// Returns the heading in lower case without its unit, so `Batch API (per 1M tokens)` is `batch api`.
fn heading_stem(heading: &str) -> String {
    let lower = heading.to_lowercase();
    let cut = [lower.find('('), lower.find(" per ")].into_iter().flatten().min();
    let stem = match cut {
        Some(index) => &lower[..index],
        None => lower.as_str(),
    };
    stem.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn role_of(stem: &str) -> Option<Role> {
    let prices = |tier| Some(Role::Prices { tier, kind: None });
    let single = |kind| {
        Some(Role::Prices {
            tier: Tier::Standard,
            kind: Some(kind),
        })
    };
    match stem {
        "models" | "model" => Some(Role::Model),
        "context" | "context length" | "context window" => Some(Role::Context),
        "price" | "prices" | "pricing" | "standard" => prices(Tier::Standard),
        "batch api" | "batch" => prices(Tier::Batch),
        "priority" | "priority processing" => prices(Tier::Priority),
        "input" | "prompt" => single(TokenKind::Input),
        "cached input" => single(TokenKind::CachedInput),
        "output" | "completion" => single(TokenKind::Output),
        _ => None,
    }
}

/// Returns the token count a heading quotes prices for, when it states one.
fn unit_of(heading: &str) -> Option<u64> {
    let compact: String = heading.to_lowercase().chars().filter(|c| !c.is_whitespace()).collect();
    let per_million = ["per1m", "per1,000,000", "per1000000", "permillion", "/1m"];
    let per_thousand = ["per1k", "per1,000", "per1000", "perthousand", "/1k"];
    if per_million.iter().any(|marker| compact.contains(marker)) {
        Some(1_000_000)
    } else if per_thousand.iter().any(|marker| compact.contains(marker)) {
        Some(1_000)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use scraper::{Html, Selector};

    use super::*;

    #[test]
    fn units_read_from_headings() {
        let cases = [
            ("Price (per 1M tokens)", Some(1_000_000)),
            ("Batch API (Per 1,000,000 tokens)", Some(1_000_000)),
            ("Prompt (Per 1,000 tokens)", Some(1_000)),
            ("Completion (per 1K tokens)", Some(1_000)),
            ("Input per million tokens", Some(1_000_000)),
            ("Priority", None),
        ];
        for (heading, expected) in cases {
            assert_eq!(unit_of(heading), expected, "{heading}");
        }
    }

    #[test]
    fn heading_stems_drop_units() {
        assert_eq!(heading_stem("Batch API (per 1M tokens)"), "batch api");
        assert_eq!(heading_stem("  Prompt   per 1,000 tokens"), "prompt");
        assert_eq!(heading_stem("Models"), "models");
    }

    fn grid_texts(html: &str) -> Vec<Vec<String>> {
        let document = Html::parse_document(html);
        let selector = Selector::parse("table").expect("selector");
        let table = document.select(&selector).next().expect("table");
        expand_spans(&rows(table))
            .into_iter()
            .map(|row| row.into_iter().map(text_of).collect())
            .collect()
    }

    #[test]
    fn rowspan_repeats_cell_below() {
        let grid = grid_texts(
            "<table><tbody>\
             <tr><td rowspan='2'>A</td><td>1</td><td>2</td></tr>\
             <tr><td>3</td><td>4</td></tr>\
             <tr><td>B</td><td rowspan='x'>5</td><td>6</td></tr>\
             </tbody></table>",
        );
        assert_eq!(grid, [["A", "1", "2"], ["A", "3", "4"], ["B", "5", "6"]]);
    }

    #[test]
    fn rowspan_in_middle_column_and_colspan() {
        let grid = grid_texts(
            "<table>\
             <tr><td>A</td><td rowspan='3'>M</td><td>1</td></tr>\
             <tr><td>B</td><td>2</td></tr>\
             <tr><td colspan='1'>C</td><td>3</td></tr>\
             <tr><td colspan='2'>D</td><td>4</td></tr>\
             </table>",
        );
        assert_eq!(
            grid,
            [["A", "M", "1"], ["B", "M", "2"], ["C", "M", "3"], ["D", "D", "4"]]
        );
    }

    #[test]
    fn rowspan_zero_covers_remaining_rows() {
        let grid = grid_texts(
            "<table><tr><td rowspan='0'>A</td><td>1</td></tr><tr><td>2</td></tr><tr><td>3</td></tr></table>",
        );
        assert_eq!(grid, [["A", "1"], ["A", "2"], ["A", "3"]]);
    }
}
