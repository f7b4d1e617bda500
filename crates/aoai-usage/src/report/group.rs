//! The dimensions a usage response is grouped by, and each call's value in them.

use std::str::FromStr;

use chrono::{DateTime, Timelike, Utc};
use chrono_tz::Tz;

use super::resolve::ResolvedCall;

/// The name of a group without a value: a user, team or cost centre that is not known.
pub const NONE: &str = "(none)";

/// A group key of `group_by`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dimension {
    User,
    Team,
    CostCenter,
    Subscription,
    Model,
    Version,
    Deployment,
    DeploymentType,
    Tier,
    Region,
    Hour,
    Day,
    Month,
}

impl Dimension {
    pub const ALL: [Dimension; 13] = [
        Self::User,
        Self::Team,
        Self::CostCenter,
        Self::Subscription,
        Self::Model,
        Self::Version,
        Self::Deployment,
        Self::DeploymentType,
        Self::Tier,
        Self::Region,
        Self::Hour,
        Self::Day,
        Self::Month,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Team => "team",
            Self::CostCenter => "cost_center",
            Self::Subscription => "subscription",
            Self::Model => "model",
            Self::Version => "version",
            Self::Deployment => "deployment",
            Self::DeploymentType => "deployment_type",
            Self::Tier => "tier",
            Self::Region => "region",
            Self::Hour => "hour",
            Self::Day => "day",
            Self::Month => "month",
        }
    }

    /// Returns the call's value in this dimension; times are cut in `tz`.
    pub fn value(self, call: &ResolvedCall, tz: Tz) -> String {
        let text = |value: &Option<String>| value.clone().unwrap_or_else(|| NONE.to_owned());
        match self {
            Self::User => call.user.clone(),
            Self::Team => text(&call.team),
            Self::CostCenter => text(&call.cost_center),
            Self::Subscription => text(&call.subscription),
            Self::Model => text(&call.model),
            Self::Version => call
                .version
                .map_or_else(|| NONE.to_owned(), |version| version.to_string()),
            Self::Deployment => text(&call.deployment),
            Self::DeploymentType => call
                .deployment_type
                .map_or_else(|| NONE.to_owned(), |value| value.to_string()),
            Self::Tier => call.tier.map_or_else(|| NONE.to_owned(), |value| value.to_string()),
            Self::Region => text(&call.region),
            Self::Hour | Self::Day | Self::Month => self.time_value(call.time, tz).unwrap_or_default(),
        }
    }

    /// Returns the value of a time dimension at `time` cut in `tz`, or `None` for the others.
    pub fn time_value(self, time: DateTime<Utc>, tz: Tz) -> Option<String> {
        match self {
            Self::Hour => Some(hour(time, tz)),
            Self::Day => Some(time.with_timezone(&tz).format("%Y-%m-%d").to_string()),
            Self::Month => Some(time.with_timezone(&tz).format("%Y-%m").to_string()),
            _ => None,
        }
    }
}

/// Returns the start of the local hour with its offset, so the two hours of a clock change
/// stay apart. The start is found on the instant, because a local time in a repeated hour is ambiguous.
fn hour(time: DateTime<Utc>, tz: Tz) -> String {
    let local = time.with_timezone(&tz);
    let into_hour = chrono::Duration::minutes(i64::from(local.minute()))
        + chrono::Duration::seconds(i64::from(local.second()))
        + chrono::Duration::nanoseconds(i64::from(local.nanosecond()));
    (time - into_hour).with_timezone(&tz).to_rfc3339()
}

impl FromStr for Dimension {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Dimension::ALL
            .into_iter()
            .find(|dimension| dimension.as_str() == value)
            .ok_or_else(|| {
                format!(
                    "unknown group_by key '{value}'; accepted: {}",
                    Dimension::ALL.map(Dimension::as_str).join(", ")
                )
            })
    }
}
