//! Query parameters of the price routes, parsed strictly: an unknown, repeated or
//! invalid parameter is a 400 that names it.

use std::collections::BTreeMap;

use aoai_core::{ContextBand, Currency, DeploymentSku, ModelKey, ModelVersion, Tier};
use chrono::{DateTime, NaiveDate, Utc};

use super::error::ApiError;

/// The parameters both `/api/price` and `/api/prices` accept.
pub const PRICE_PARAMETERS: &[&str] = &[
    "model",
    "version",
    "deployment_type",
    "tier",
    "region",
    "currency",
    "at",
    "context_band",
];

/// Parsed price parameters; `None` where the request left a parameter out.
#[derive(Debug, Default)]
pub struct PriceParams {
    pub model: Option<ModelKey>,
    pub deployment: Option<DeploymentSku>,
    pub tier: Option<Tier>,
    pub region: Option<String>,
    pub currency: Option<Currency>,
    pub at: Option<DateTime<Utc>>,
    pub context_band: Option<ContextBand>,
}

impl PriceParams {
    pub fn parse(raw_query: Option<&str>) -> Result<PriceParams, ApiError> {
        let values = collect(raw_query, PRICE_PARAMETERS)?;
        let get = |name: &str| values.get(name).map(String::as_str);

        let mut model = match get("model") {
            None => None,
            Some("") => {
                return Err(ApiError::invalid(
                    "model",
                    "parameter 'model' is empty; pass a model such as gpt-4o or gpt-4o-2024-11-20",
                ));
            }
            Some(value) => Some(ModelKey::parse(value)),
        };
        if let Some(text) = get("version") {
            let version = parse_version(text)?;
            match model.as_mut() {
                None => return Err(ApiError::invalid("version", "parameter 'version' needs 'model'")),
                Some(key) => match key.version {
                    Some(carried) if carried != version => {
                        return Err(ApiError::invalid(
                            "version",
                            format!("parameter 'version' ({version}) contradicts the version in 'model' ({carried})"),
                        ));
                    }
                    _ => key.version = Some(version),
                },
            }
        }

        let deployment = get("deployment_type")
            .map(|text| {
                text.parse::<DeploymentSku>()
                    .map_err(|error| ApiError::invalid("deployment_type", error.to_string()))
            })
            .transpose()?;
        let tier = get("tier")
            .map(|text| {
                text.parse::<Tier>()
                    .map_err(|error| ApiError::invalid("tier", error.to_string()))
            })
            .transpose()?;
        if let (Some(sku), Some(tier)) = (deployment, tier)
            && let Some(implied) = sku.tier
            && implied != tier
            && implied != Tier::Standard
        {
            return Err(ApiError::invalid(
                "tier",
                format!("parameter 'tier' ({tier}) contradicts deployment_type, which implies the {implied} tier"),
            ));
        }
        if deployment.is_some_and(|sku| sku.provisioned) {
            return Err(ApiError::invalid(
                "deployment_type",
                "provisioned deployments are billed per hour, not per token; use global, datazone or regional",
            ));
        }

        let region = match get("region") {
            None => None,
            Some(text) if !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_alphanumeric()) => {
                Some(text.to_ascii_lowercase())
            }
            Some(text) => {
                return Err(ApiError::invalid(
                    "region",
                    format!("invalid region '{text}': expected an ARM region name such as eastus2"),
                ));
            }
        };
        let currency = get("currency")
            .map(|text| {
                text.parse::<Currency>()
                    .map_err(|error| ApiError::invalid("currency", error.to_string()))
            })
            .transpose()?;
        let at = get("at").map(parse_time).transpose()?;
        let context_band = get("context_band")
            .map(|text| {
                text.parse::<ContextBand>()
                    .map_err(|error| ApiError::invalid("context_band", error.to_string()))
            })
            .transpose()?;

        Ok(PriceParams {
            model,
            deployment,
            tier,
            region,
            currency,
            at,
            context_band,
        })
    }
}

/// Collects `name=value` pairs, rejecting names outside `allowed` and repeated names.
pub fn collect(raw_query: Option<&str>, allowed: &[&str]) -> Result<BTreeMap<String, String>, ApiError> {
    let mut values = BTreeMap::new();
    for (name, value) in url::form_urlencoded::parse(raw_query.unwrap_or("").as_bytes()) {
        // The Functions host reads the function key from `code`, and API Management its
        // subscription key from `subscription-key`; neither is a price parameter.
        if name == "code" || name == "subscription-key" {
            continue;
        }
        if !allowed.contains(&name.as_ref()) {
            let accepted = if allowed.is_empty() {
                "this route takes no parameters".to_owned()
            } else {
                format!("accepted: {}", allowed.join(", "))
            };
            return Err(ApiError::invalid(
                &name,
                format!("unknown parameter '{name}'; {accepted}"),
            ));
        }
        if values.insert(name.to_string(), value.trim().to_owned()).is_some() {
            return Err(ApiError::invalid(
                &name,
                format!("parameter '{name}' is given more than once"),
            ));
        }
    }
    Ok(values)
}

fn parse_version(text: &str) -> Result<ModelVersion, ApiError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        ApiError::invalid(
            "version",
            format!("invalid version '{text}': expected a date YYYY-MM-DD such as 2024-11-20"),
        )
    })
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, ApiError> {
    // An unencoded "+02:00" offset arrives as " 02:00", because "+" means space in a query.
    let text = text.replace(' ', "+");
    DateTime::parse_from_rfc3339(&text)
        .map(|time| time.with_timezone(&Utc))
        .map_err(|_| {
            ApiError::invalid(
                "at",
                format!("invalid time '{text}': expected RFC 3339 such as 2026-06-01T00:00:00Z"),
            )
        })
}
