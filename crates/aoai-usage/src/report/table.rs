//! The aligned text table of the `report` command.

use unicode_width::UnicodeWidthStr;

use super::aggregate::Totals;
use super::group::Dimension;
use super::params::UsageParams;

/// Renders the rows and the total as a table with aligned columns: text to the left,
/// numbers to the right.
pub fn to_table(params: &UsageParams, totals: &Totals) -> String {
    let with_user = params.group_by.contains(&Dimension::User);
    let mut header: Vec<String> = params
        .group_by
        .iter()
        .map(|dimension| dimension.as_str().to_owned())
        .collect();
    if with_user {
        header.push("display_name".to_owned());
    }
    let keys = header.len();
    header.extend(
        ["requests", "input", "cached", "output", "reasoning", "cost"]
            .iter()
            .map(|name| (*name).to_owned()),
    );
    let user_index = params
        .group_by
        .iter()
        .position(|dimension| *dimension == Dimension::User);
    let mut lines: Vec<Vec<String>> = Vec::new();
    for (key, measures) in &totals.rows {
        let mut line = key.clone();
        if with_user {
            line.push(
                user_index
                    .and_then(|index| key.get(index))
                    .and_then(|user| totals.display_names.get(user))
                    .cloned()
                    .unwrap_or_default(),
            );
        }
        line.extend(numbers(measures));
        lines.push(line);
    }
    let mut total = vec!["total".to_owned()];
    total.resize(keys, String::new());
    total.extend(numbers(&totals.total));

    let all = std::iter::once(&header)
        .chain(lines.iter())
        .chain(std::iter::once(&total));
    let mut widths = vec![0; header.len()];
    for line in all {
        for (index, cell) in line.iter().enumerate() {
            widths[index] = widths[index].max(cell.width());
        }
    }
    let render = |line: &Vec<String>| {
        let cells: Vec<String> = line
            .iter()
            .enumerate()
            .map(|(index, cell)| {
                // Padding counts display columns, so wide characters line up.
                let padding = " ".repeat(widths[index].saturating_sub(cell.width()));
                if index < keys {
                    format!("{cell}{padding}")
                } else {
                    format!("{padding}{cell}")
                }
            })
            .collect();
        cells.join("  ").trim_end().to_owned()
    };
    let mut text = String::new();
    text.push_str(&render(&header));
    text.push('\n');
    let rule: usize = widths.iter().sum::<usize>() + 2 * widths.len().saturating_sub(1);
    text.push_str(&"-".repeat(rule));
    text.push('\n');
    for line in &lines {
        text.push_str(&render(line));
        text.push('\n');
    }
    text.push_str(&"-".repeat(rule));
    text.push('\n');
    text.push_str(&render(&total));
    text.push('\n');
    text
}

fn numbers(measures: &super::measures::Measures) -> Vec<String> {
    let shown = measures.shown();
    vec![
        shown.requests.to_string(),
        shown.input_tokens.to_string(),
        shown.cached_input_tokens.to_string(),
        shown.output_tokens.to_string(),
        shown.reasoning_tokens.to_string(),
        match (&shown.cost, shown.priced) {
            (Some(cost), true) => cost.clone(),
            (Some(cost), false) => format!("{cost}*"),
            (None, _) => "unpriced".to_owned(),
        },
    ]
}
