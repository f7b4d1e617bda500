//! A pricing page the size of the real one, built from real Retail Prices rows in the layout
//! that `aoai_catalog::page` reads. Each model has an `<h2>` and a table, with a row per
//! version and deployment type. The `Price`, `Batch API` and `Priority` columns carry every
//! region's price in `data-amount`.

use std::collections::BTreeMap;
use std::fmt::Write;

use aoai_catalog::Catalog;
use aoai_catalog::page::REGION_SLUGS;
use aoai_core::{DeploymentType, Tier, TokenKind};
use rust_decimal::Decimal;

/// Region slug, by ARM region name.
fn slug(region: &str) -> Option<&'static str> {
    REGION_SLUGS
        .iter()
        .find(|(_, arm)| *arm == region)
        .map(|(slug, _)| *slug)
}

/// Prices of one token kind, by region slug.
type Amounts = BTreeMap<&'static str, Decimal>;

/// Prices of one table row: tier, then token kind, then region.
type RowPrices = BTreeMap<u8, BTreeMap<u8, Amounts>>;

/// The size of the real page, about 1 MB, which [`render`] reaches with markup around the
/// prices as the real page has: navigation, frequently asked questions and inline data.
pub const PAGE_BYTES: usize = 1_000_000;

/// Renders the current price of every unbanded, versioned key of `catalog` as a pricing page
/// of [`PAGE_BYTES`].
pub fn render(catalog: &Catalog) -> String {
    // model -> (version, deployment type) -> tier -> kind -> amounts
    let mut models: BTreeMap<String, BTreeMap<(String, u8), RowPrices>> = BTreeMap::new();
    for entry in catalog.entries() {
        if entry.context_band.is_some() || entry.effective_to.is_some() {
            continue;
        }
        let Some(slug) = slug(&entry.region) else { continue };
        let Some(version) = entry.model.version else { continue };
        let kind = match entry.kind {
            TokenKind::Input => 0,
            TokenKind::CachedInput => 1,
            TokenKind::Output => 2,
            _ => continue,
        };
        let tier = match entry.tier {
            Tier::Standard => 0,
            Tier::Batch => 1,
            Tier::Priority => 2,
            _ => continue,
        };
        let deployment_type = match entry.deployment_type {
            DeploymentType::Global => 0,
            DeploymentType::DataZone => 1,
            DeploymentType::Regional => 2,
        };
        models
            .entry(entry.model.name.clone())
            .or_default()
            .entry((version.to_string(), deployment_type))
            .or_default()
            .entry(tier)
            .or_default()
            .entry(kind)
            .or_default()
            .insert(slug, entry.price);
    }

    let mut html = String::from(
        "<!DOCTYPE html>\n<html lang=\"en-us\">\n<head><title>Azure OpenAI Service - Pricing</title></head>\n<body>\n",
    );
    html.push_str(&navigation());
    html.push_str("<section id=\"pricing\">\n");
    for (model, rows) in &models {
        let _ = writeln!(html, "  <h2>{}</h2>", model.to_uppercase());
        html.push_str(
            "  <table class='data-table'>\n    <thead><tr><th>Models</th><th>Price (per 1M tokens)</th>\
             <th>Batch API (per 1M tokens)</th><th>Priority (per 1M tokens)</th></tr></thead>\n    <tbody>\n",
        );
        for ((version, deployment_type), tiers) in rows {
            let name = ["Global", "Data Zone", "Regional"][usize::from(*deployment_type)];
            let _ = write!(
                html,
                "      <tr>\n        <td>{}-{version} {name}</td>\n",
                model.to_uppercase()
            );
            for tier in 0..3u8 {
                html.push_str("        <td>");
                match tiers.get(&tier) {
                    None => html.push_str("N/A"),
                    Some(kinds) => {
                        let mut first = true;
                        for (kind, amounts) in kinds {
                            if !first {
                                html.push_str("<br>\n          ");
                            }
                            first = false;
                            let label = ["Input", "Cached Input", "Output"][usize::from(*kind)];
                            let regional: Vec<String> = amounts
                                .iter()
                                .map(|(slug, price)| format!("\"{slug}\":{price}"))
                                .collect();
                            let _ = write!(
                                html,
                                "{label}: <span class='price-data' data-amount='{{\"regional\":{{{}}}}}' data-decimals='2'>$-</span>",
                                regional.join(",")
                            );
                        }
                    }
                }
                html.push_str("</td>\n");
            }
            html.push_str("      </tr>\n");
        }
        html.push_str("    </tbody>\n  </table>\n");
    }
    html.push_str("</section>\n");
    pad(&mut html);
    html.push_str("</body>\n</html>\n");
    html
}

/// A site navigation of product links, as the top of every Azure page has.
fn navigation() -> String {
    let mut nav = String::from("<nav class=\"site\"><ul>\n");
    for index in 0..400 {
        let _ = writeln!(
            nav,
            "  <li><a href=\"/en-us/products/service-{index}/\" data-bi-name=\"product-{index}\">Azure service {index}</a></li>"
        );
    }
    nav.push_str("</ul></nav>\n");
    nav
}

/// Frequently asked questions and an inline data script after the prices, up to [`PAGE_BYTES`].
fn pad(html: &mut String) {
    html.push_str("<section id=\"faq\"><h2>Frequently asked questions</h2>\n");
    let mut question = 0;
    while html.len() < PAGE_BYTES * 3 / 4 {
        question += 1;
        let _ = writeln!(
            html,
            "  <div class=\"faq-item\"><h3>How is usage number {question} billed?</h3><p>Usage is billed per \
             1,000,000 tokens for each deployment type, with separate prices for input, cached input and \
             output tokens. Batch and Priority processing have their own prices, shown in the table above \
             for each model and region.</p></div>"
        );
    }
    html.push_str("</section>\n<script type=\"application/json\" id=\"page-data\">{\"regions\":[");
    let mut first = true;
    while html.len() < PAGE_BYTES - 40 {
        for (slug, arm) in REGION_SLUGS {
            if !first {
                html.push(',');
            }
            first = false;
            let _ = write!(html, "{{\"slug\":\"{slug}\",\"name\":\"{arm}\",\"enabled\":true}}");
        }
    }
    html.push_str("]}</script>\n");
}
