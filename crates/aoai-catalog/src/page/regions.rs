//! Region slugs of the Azure pricing pages and their Azure Resource Manager names.
//!
//! The pricing pages on azure.microsoft.com key every `data-amount` price by a slug of
//! their own (`us-east-2`, `europe-west`), not by the ARM name (`eastus2`,
//! `westeurope`). The slugs are the `value`s of the region selector on those pages, as
//! public scrapers of the pages record them. The area comes first and the direction
//! after it (`us-north-central`, `asia-pacific-southeast`, `united-kingdom-south`).
//! A trailing number stays where the ARM name has one (`us-west-3`, `australia-central-2`).
//!
//! The table is maintained by hand. It covers every ARM region that appears in the
//! Retail Prices fixtures under `tests/fixtures/retail-prices/`, and a test checks that.
//! A slug missing from the table fails the whole page with
//! [`PageError::UnknownRegion`](super::PageError::UnknownRegion). Add the new
//! region here when that happens.

/// Pairs of (page slug, ARM region name), sorted by slug.
pub const REGION_SLUGS: &[(&str, &str)] = &[
    ("asia-pacific-east", "eastasia"),
    ("asia-pacific-southeast", "southeastasia"),
    ("australia-central", "australiacentral"),
    ("australia-central-2", "australiacentral2"),
    ("australia-east", "australiaeast"),
    ("australia-southeast", "australiasoutheast"),
    ("brazil-south", "brazilsouth"),
    ("canada-central", "canadacentral"),
    ("canada-east", "canadaeast"),
    ("central-india", "centralindia"),
    ("europe-north", "northeurope"),
    ("europe-west", "westeurope"),
    ("france-central", "francecentral"),
    ("germany-west-central", "germanywestcentral"),
    ("indonesia-central", "indonesiacentral"),
    ("italy-north", "italynorth"),
    ("japan-east", "japaneast"),
    ("japan-west", "japanwest"),
    ("korea-central", "koreacentral"),
    ("norway-east", "norwayeast"),
    ("poland-central", "polandcentral"),
    ("south-africa-north", "southafricanorth"),
    ("south-india", "southindia"),
    ("spain-central", "spaincentral"),
    ("sweden-central", "swedencentral"),
    ("switzerland-north", "switzerlandnorth"),
    ("switzerland-west", "switzerlandwest"),
    ("uae-north", "uaenorth"),
    ("united-kingdom-south", "uksouth"),
    ("united-kingdom-west", "ukwest"),
    ("us-central", "centralus"),
    ("us-east", "eastus"),
    ("us-east-2", "eastus2"),
    ("us-north-central", "northcentralus"),
    ("us-south-central", "southcentralus"),
    ("us-west", "westus"),
    ("us-west-2", "westus2"),
    ("us-west-3", "westus3"),
    ("us-west-central", "westcentralus"),
    ("usgov-arizona", "usgovarizona"),
    ("usgov-texas", "usgovtexas"),
    ("usgov-virginia", "usgovvirginia"),
];

/// Returns the ARM region name of a page slug, or `None` for a slug not in [`REGION_SLUGS`].
pub fn arm_region(slug: &str) -> Option<&'static str> {
    REGION_SLUGS
        .binary_search_by(|(known, _)| known.cmp(&slug))
        .ok()
        .map(|index| REGION_SLUGS[index].1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_sorted_and_unique() {
        for pair in REGION_SLUGS.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{} must sort before {}", pair[0].0, pair[1].0);
        }
    }

    #[test]
    fn arm_names_are_unique() {
        let mut names: Vec<&str> = REGION_SLUGS.iter().map(|(_, arm)| *arm).collect();
        names.sort_unstable();
        let count = names.len();
        names.dedup();
        assert_eq!(names.len(), count);
    }

    #[test]
    fn slugs_map_to_arm_names() {
        let cases = [
            ("us-east", Some("eastus")),
            ("us-east-2", Some("eastus2")),
            ("europe-west", Some("westeurope")),
            ("europe-north", Some("northeurope")),
            ("sweden-central", Some("swedencentral")),
            ("asia-pacific-southeast", Some("southeastasia")),
            ("united-kingdom-south", Some("uksouth")),
            ("us-west-central", Some("westcentralus")),
            ("eastus2", None),
            ("US-EAST", None),
            ("", None),
        ];
        for (slug, expected) in cases {
            assert_eq!(arm_region(slug), expected, "{slug}");
        }
    }
}
