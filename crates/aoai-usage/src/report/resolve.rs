//! Resolves a call's user, deployment and model, and prices it at the price in force at
//! its time.

use std::collections::HashMap;

use aoai_catalog::overrides::Overrides;
use aoai_catalog::{Catalog, LookupError, PriceQuery};
use aoai_core::{
    CostBreakdown, CostError, Currency, DeploymentType, ModelKey, ModelVersion, TextPrices, Tier, TokenUsage,
};
use chrono::{DateTime, Utc};

use crate::deployments::DeploymentCatalog;
use crate::directory::Directory;
use crate::record::UsageRecord;

/// The user of calls whose telemetry names none.
pub const UNATTRIBUTED: &str = "(unattributed)";

/// The reason a call has no cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Unpriced {
    /// The model is not in the price catalog.
    UnknownModel,
    /// The deployment is not in the deployment catalog and the call names no model.
    UnknownDeployment,
    /// The model is known but has no price for this deployment type, tier, region, time or token kind.
    NoMeter,
    /// Provisioned deployments are billed by the hour, not per token.
    Provisioned,
    /// The exact cost needs more digits than a decimal holds, and is not rounded.
    CostOverflow,
}

impl Unpriced {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UnknownModel => "unknown_model",
            Self::UnknownDeployment => "unknown_deployment",
            Self::NoMeter => "no_meter",
            Self::Provisioned => "provisioned",
            Self::CostOverflow => "cost_overflow",
        }
    }
}

/// A call with everything its groups and its cost need.
#[derive(Debug, Clone)]
pub struct ResolvedCall {
    pub time: DateTime<Utc>,
    pub user: String,
    pub unattributed: bool,
    pub display_name: Option<String>,
    pub team: Option<String>,
    pub cost_center: Option<String>,
    pub subscription: Option<String>,
    pub deployment: Option<String>,
    pub model: Option<String>,
    pub version: Option<ModelVersion>,
    pub deployment_type: Option<DeploymentType>,
    pub tier: Option<Tier>,
    pub region: Option<String>,
    pub requests: u64,
    pub usage: TokenUsage,
    pub estimated: bool,
    /// True when the price rests on an assumption: the deployment was not in the catalog,
    /// or the call is older than the key's earliest known price.
    pub assumed: bool,
    pub cost: Result<CostBreakdown, Unpriced>,
}

/// The settings that fill in what a call's telemetry leaves out.
#[derive(Debug, Clone)]
pub struct Assumptions {
    pub deployment_type: DeploymentType,
    pub region: String,
}

type PriceKey = (ModelKey, DeploymentType, Tier, String);

/// Effective prices that hold over `[from, until)`.
#[derive(Debug, Clone)]
struct Memo {
    from: DateTime<Utc>,
    until: Option<DateTime<Utc>>,
    prices: Result<TextPrices, Unpriced>,
    assumed: bool,
}

/// Resolves and prices calls for one response, reusing each quote over the span it holds.
#[derive(Debug)]
pub struct Resolver<'a> {
    pub deployments: &'a DeploymentCatalog,
    pub directory: &'a Directory,
    pub catalog: &'a Catalog,
    pub overrides: &'a Overrides,
    pub currency: Currency,
    pub assumptions: &'a Assumptions,
    memo: HashMap<PriceKey, Vec<Memo>>,
}

impl<'a> Resolver<'a> {
    pub fn new(
        deployments: &'a DeploymentCatalog,
        directory: &'a Directory,
        catalog: &'a Catalog,
        overrides: &'a Overrides,
        currency: Currency,
        assumptions: &'a Assumptions,
    ) -> Resolver<'a> {
        Resolver {
            deployments,
            directory,
            catalog,
            overrides,
            currency,
            assumptions,
            memo: HashMap::new(),
        }
    }

    /// Resolves a record whose usage is known.
    pub fn resolve(&mut self, record: &UsageRecord, usage: TokenUsage) -> ResolvedCall {
        // A literal "(unattributed)" is the same as no user, so the two never share a row
        // while only one is counted as unattributed.
        let user = record
            .user
            .as_deref()
            .map(str::trim)
            .filter(|user| !user.is_empty() && !user.eq_ignore_ascii_case("n/a") && *user != UNATTRIBUTED);
        let entry = user.and_then(|user| self.directory.get(user));
        let mut call = ResolvedCall {
            time: record.time,
            // User ids (Entra object ids, e-mail addresses) ignore case, so rows do too.
            user: user.map_or_else(|| UNATTRIBUTED.to_owned(), str::to_lowercase),
            unattributed: user.is_none(),
            display_name: entry.and_then(|entry| entry.display_name.clone()),
            team: entry.and_then(|entry| entry.team.clone()),
            cost_center: entry.and_then(|entry| entry.cost_center.clone()),
            subscription: record.subscription.clone(),
            deployment: record.deployment.clone(),
            model: None,
            version: None,
            deployment_type: None,
            tier: None,
            region: None,
            requests: record.requests,
            usage,
            estimated: record.estimated,
            assumed: false,
            cost: Err(Unpriced::UnknownDeployment),
        };

        let response = record.response_model.as_deref().map(ModelKey::parse);
        let deployment = record.deployment.as_deref().and_then(|name| self.deployments.get(name));
        let (model, deployment_type, tier, region, provisioned) = match (deployment, response) {
            (Some(deployment), response) => {
                // The response names the version that ran, which may be newer than the catalog's.
                let model = match response {
                    Some(response) if response.version.is_some() && response.name == deployment.model.name => response,
                    _ => deployment.model.clone(),
                };
                (
                    model,
                    deployment.sku.deployment_type,
                    deployment.sku.tier.unwrap_or(Tier::Standard),
                    deployment.region.clone(),
                    deployment.sku.provisioned,
                )
            }
            (None, Some(response)) => {
                call.assumed = true;
                (
                    response,
                    self.assumptions.deployment_type,
                    Tier::Standard,
                    self.assumptions.region.clone(),
                    false,
                )
            }
            (None, None) => return call,
        };
        let tier = match record.service_tier.as_deref().map(str::to_ascii_lowercase).as_deref() {
            Some("priority") => Tier::Priority,
            Some("flex") => Tier::Flex,
            _ => tier,
        };
        call.model = Some(model.name.clone());
        call.version = model.version;
        call.deployment_type = Some(deployment_type);
        call.tier = Some(tier);
        call.region = Some(region.clone());
        if provisioned {
            call.cost = Err(Unpriced::Provisioned);
            return call;
        }

        let memo = self.prices((model, deployment_type, tier, region), record.time);
        call.assumed |= memo.assumed;
        call.cost = memo.prices.and_then(|prices| {
            CostBreakdown::compute(&call.usage, &prices).map_err(|error| match error {
                CostError::MissingPrice(_) | CostError::Usage(_) => Unpriced::NoMeter,
                CostError::Overflow => Unpriced::CostOverflow,
            })
        });
        // Only a price can rest on an assumption; an unpriced call is counted as unpriced.
        call.assumed &= call.cost.is_ok();
        call
    }

    /// Returns the effective prices of `key` at `at`, from the memo when a quote covers it.
    fn prices(&mut self, key: PriceKey, at: DateTime<Utc>) -> Memo {
        if let Some(memo) = self.memo.get(&key).and_then(|memos| {
            memos
                .iter()
                .find(|memo| memo.from <= at && memo.until.is_none_or(|until| at < until))
        }) {
            return memo.clone();
        }
        let (model, deployment_type, tier, region) = &key;
        let query = |at: DateTime<Utc>| PriceQuery {
            model: model.clone(),
            deployment_type: *deployment_type,
            tier: *tier,
            region: region.clone(),
            currency: self.currency,
            at,
            context_band: None,
        };
        let memo = match self.catalog.price(&query(at)) {
            Ok(quote) => Memo {
                from: quote.valid_from,
                until: quote.valid_until,
                prices: Ok(self.overrides.apply(&quote).text_prices()),
                assumed: false,
            },
            // Older than any known price of the key: the earliest price is the best estimate.
            Err(LookupError::BeforeFirstPrice { .. }) => match self
                .earliest_start(&key)
                .map(|earliest| (earliest, self.catalog.price(&query(earliest))))
            {
                Some((earliest, Ok(quote))) => Memo {
                    from: DateTime::<Utc>::MIN_UTC,
                    until: Some(earliest),
                    prices: Ok(self.overrides.apply(&quote).text_prices()),
                    assumed: true,
                },
                _ => unpriced(Unpriced::NoMeter, at),
            },
            Err(LookupError::UnknownModel { .. }) => Memo {
                from: DateTime::<Utc>::MIN_UTC,
                until: None,
                prices: Err(Unpriced::UnknownModel),
                assumed: false,
            },
            Err(_) => unpriced(Unpriced::NoMeter, at),
        };
        self.memo.entry(key).or_default().push(memo.clone());
        memo
    }

    /// Returns the first time a price of the key's own version, or of a meter that prices
    /// every version, is in force.
    fn earliest_start(&self, key: &PriceKey) -> Option<DateTime<Utc>> {
        let (model, deployment_type, tier, region) = key;
        let filter = aoai_catalog::PriceFilter {
            model: Some(model.name.clone()),
            deployment_type: Some(*deployment_type),
            tier: Some(*tier),
            region: Some(region.clone()),
            currency: Some(self.currency),
            ..aoai_catalog::PriceFilter::default()
        };
        self.catalog
            .list(&filter)
            .into_iter()
            .filter(|entry| {
                entry.model.version.is_none() || model.version.is_none() || entry.model.version == model.version
            })
            .map(|entry| entry.effective_from)
            .min()
    }
}

/// Returns a memo entry for one instant only, for failures that may depend on the time.
fn unpriced(reason: Unpriced, at: DateTime<Utc>) -> Memo {
    Memo {
        from: at,
        until: Some(at + chrono::Duration::nanoseconds(1)),
        prices: Err(reason),
        assumed: false,
    }
}
