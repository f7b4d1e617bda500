use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Error for a value that none of a type's accepted spellings matches.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what} '{value}': expected one of {expected}")]
pub struct ParseError {
    /// The kind of value that was parsed, such as "deployment type".
    pub what: &'static str,
    /// The rejected input.
    pub value: String,
    /// The accepted spellings, comma-separated.
    pub expected: &'static str,
}

/// The scope of regions that process a deployment's requests, which sets its price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeploymentType {
    /// Any Azure region worldwide.
    Global,
    /// Regions inside one data zone (the US or the EU).
    DataZone,
    /// The deployment's own region.
    Regional,
}

impl DeploymentType {
    pub const ALL: [DeploymentType; 3] = [Self::Global, Self::DataZone, Self::Regional];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Global => "global",
            Self::DataZone => "datazone",
            Self::Regional => "regional",
        }
    }
}

impl fmt::Display for DeploymentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The billing tier of a call within a deployment type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    Standard,
    Batch,
    Priority,
    Flex,
}

impl Tier {
    pub const ALL: [Tier; 4] = [Self::Standard, Self::Batch, Self::Priority, Self::Flex];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Batch => "batch",
            Self::Priority => "priority",
            Self::Flex => "flex",
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Tier {
    type Err = ParseError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.to_ascii_lowercase().as_str() {
            "standard" | "default" => Ok(Self::Standard),
            "batch" => Ok(Self::Batch),
            "priority" => Ok(Self::Priority),
            "flex" => Ok(Self::Flex),
            _ => Err(ParseError {
                what: "tier",
                value: value.to_owned(),
                expected: "standard, batch, priority, flex",
            }),
        }
    }
}

/// A deployment type as a user or an Azure Resource Manager SKU names it.
///
/// The short names (`global`, `datazone`, `regional`) leave the tier open. The ARM SKU
/// names fix it where they imply one: `GlobalBatch` and `DataZoneBatch` are the batch tier,
/// and the provisioned SKUs are billed per hour rather than per token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeploymentSku {
    pub deployment_type: DeploymentType,
    /// The tier the name implies, or `None` when it leaves the tier open.
    pub tier: Option<Tier>,
    /// True for provisioned-throughput SKUs, which Azure bills per hour.
    pub provisioned: bool,
}

impl DeploymentSku {
    pub const ACCEPTED: &'static str = "global, datazone, regional, GlobalStandard, DataZoneStandard, Standard, \
         GlobalBatch, DataZoneBatch, GlobalProvisionedManaged, DataZoneProvisionedManaged, ProvisionedManaged";
}

impl FromStr for DeploymentSku {
    type Err = ParseError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        use DeploymentType::{DataZone, Global, Regional};

        let sku = |deployment_type, tier, provisioned| DeploymentSku {
            deployment_type,
            tier,
            provisioned,
        };
        let parsed = match value.to_ascii_lowercase().as_str() {
            "global" => sku(Global, None, false),
            "datazone" | "data-zone" | "data_zone" => sku(DataZone, None, false),
            "regional" => sku(Regional, None, false),
            "globalstandard" => sku(Global, Some(Tier::Standard), false),
            "datazonestandard" => sku(DataZone, Some(Tier::Standard), false),
            "standard" => sku(Regional, Some(Tier::Standard), false),
            "globalbatch" => sku(Global, Some(Tier::Batch), false),
            "datazonebatch" => sku(DataZone, Some(Tier::Batch), false),
            "globalprovisionedmanaged" => sku(Global, None, true),
            "datazoneprovisionedmanaged" => sku(DataZone, None, true),
            "provisionedmanaged" => sku(Regional, None, true),
            _ => {
                return Err(ParseError {
                    what: "deployment type",
                    value: value.to_owned(),
                    expected: Self::ACCEPTED,
                });
            }
        };
        Ok(parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sku_names_map_to_type_and_tier() {
        let cases = [
            ("global", DeploymentType::Global, None, false),
            ("DataZone", DeploymentType::DataZone, None, false),
            ("regional", DeploymentType::Regional, None, false),
            ("GlobalStandard", DeploymentType::Global, Some(Tier::Standard), false),
            (
                "DataZoneStandard",
                DeploymentType::DataZone,
                Some(Tier::Standard),
                false,
            ),
            ("Standard", DeploymentType::Regional, Some(Tier::Standard), false),
            ("GlobalBatch", DeploymentType::Global, Some(Tier::Batch), false),
            ("DataZoneBatch", DeploymentType::DataZone, Some(Tier::Batch), false),
            ("ProvisionedManaged", DeploymentType::Regional, None, true),
            ("GlobalProvisionedManaged", DeploymentType::Global, None, true),
            ("DataZoneProvisionedManaged", DeploymentType::DataZone, None, true),
        ];
        for (name, deployment_type, tier, provisioned) in cases {
            let sku: DeploymentSku = name.parse().expect(name);
            assert_eq!(sku.deployment_type, deployment_type, "{name}");
            assert_eq!(sku.tier, tier, "{name}");
            assert_eq!(sku.provisioned, provisioned, "{name}");
        }
    }

    #[test]
    fn unknown_sku_error_lists_accepted_names() {
        let error = "GlobalTurbo".parse::<DeploymentSku>().unwrap_err();
        let message = error.to_string();
        assert!(message.contains("'GlobalTurbo'"), "{message}");
        assert!(message.contains("DataZoneBatch"), "{message}");
    }

    #[test]
    fn tier_parses_case_insensitively() {
        assert_eq!("Batch".parse::<Tier>(), Ok(Tier::Batch));
        assert_eq!("priority".parse::<Tier>(), Ok(Tier::Priority));
        assert!("gold".parse::<Tier>().is_err());
    }
}
