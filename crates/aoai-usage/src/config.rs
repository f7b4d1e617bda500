//! Settings of the usage function, read from environment variables.

use crate::auth::AuthSettings;
use std::net::IpAddr;
use std::path::PathBuf;

use aoai_catalog::sources::{PriceSettings, SettingError};
use aoai_core::{DeploymentSku, DeploymentType};

use crate::azure::{Api, ClientSettings, CredentialKind, CredentialSettings};
use crate::ingest::MetricNames;
use crate::record::UsageSource;

/// The usage function's settings.
#[derive(Debug, Clone)]
pub struct Config {
    pub bind: IpAddr,
    pub port: u16,
    pub store_path: PathBuf,
    pub source: UsageSource,
    pub metric_names: MetricNames,
    pub deployment_files: Vec<PathBuf>,
    /// An inline deployment catalog, in any of the file forms.
    pub deployment_json: Option<String>,
    pub default_region: String,
    pub default_deployment_type: DeploymentType,
    pub directory: Option<PathBuf>,
    pub max_range_days: i64,
    pub ingest_max_body_bytes: usize,
    /// The time a client has to send a track request's body.
    pub ingest_body_timeout: std::time::Duration,
    pub instrumentation_key: Option<String>,
    pub prices: PriceSettings,
    /// The caller check of the usage routes.
    pub auth: AuthSettings,
    /// The backend that usage is read from: the local store, or a query API.
    pub backend: BackendConfig,
}

/// The usage backend the settings choose.
#[derive(Debug, Clone)]
pub enum BackendConfig {
    Local,
    Azure {
        api: Api,
        client: ClientSettings,
        credential: CredentialKind,
        credential_settings: CredentialSettings,
    },
}

/// The default query endpoints and the token scopes that go with them.
const APPINSIGHTS_ENDPOINT: &str = "https://api.applicationinsights.io";
const APPINSIGHTS_SCOPE: &str = "https://api.applicationinsights.io/.default";
const LOG_ANALYTICS_ENDPOINT: &str = "https://api.loganalytics.azure.com";
const LOG_ANALYTICS_SCOPE: &str = "https://api.loganalytics.io/.default";

/// The variables [`Config::from_lookup`] reads beside the price settings, with defaults and meaning.
pub const VARIABLES: &[(&str, &str, &str)] = &[
    (
        "FUNCTIONS_CUSTOMHANDLER_PORT",
        "7072",
        "port, set by the Functions host",
    ),
    (
        "USAGE_BIND",
        "127.0.0.1",
        "address to listen on; beyond loopback, INGEST_INSTRUMENTATION_KEY is required",
    ),
    (
        "USAGE_STORE",
        "<data directory>/aoai-meter/usage.db",
        "SQLite file of the local usage store",
    ),
    (
        "USAGE_SOURCE",
        "otel",
        "usage source of requests that name none: otel or apim",
    ),
    (
        "USAGE_CACHED_METRIC",
        "Prompt Cached Tokens",
        "API Management metric of cached prompt tokens",
    ),
    (
        "USAGE_METRIC_DIMENSIONS",
        "User ID,Deployment,Subscription ID,Streamed",
        "API Management metric dimensions of user, deployment, subscription and streaming",
    ),
    ("AOAI_DEPLOYMENTS", "(none)", "comma-separated deployment catalog files"),
    (
        "AOAI_DEPLOYMENTS_JSON",
        "(none)",
        "deployment catalog as JSON text, read before the files",
    ),
    (
        "AOAI_DEFAULT_REGION",
        "eastus2",
        "region of deployments a catalog file does not place",
    ),
    (
        "AOAI_DEFAULT_DEPLOYMENT_TYPE",
        "global",
        "deployment type assumed for deployments not in the catalog",
    ),
    ("USAGE_DIRECTORY", "(none)", "CSV or JSON user directory"),
    ("USAGE_MAX_RANGE_DAYS", "400", "longest period one request may ask for"),
    (
        "INGEST_MAX_BODY_BYTES",
        "67108864",
        "largest track request body, after decompression",
    ),
    (
        "INGEST_BODY_TIMEOUT_SECONDS",
        "60",
        "time a client has to send a track request's body",
    ),
    (
        "INGEST_INSTRUMENTATION_KEY",
        "(none)",
        "instrumentation key every ingested item must carry",
    ),
    (
        "APPINSIGHTS_APP_ID",
        "(none)",
        "read usage from this Application Insights resource",
    ),
    (
        "LOG_ANALYTICS_WORKSPACE_ID",
        "(none)",
        "read usage from this Log Analytics workspace",
    ),
    (
        "APPINSIGHTS_QUERY_ENDPOINT",
        APPINSIGHTS_ENDPOINT,
        "Application Insights query API address",
    ),
    (
        "LOG_ANALYTICS_QUERY_ENDPOINT",
        LOG_ANALYTICS_ENDPOINT,
        "Log Analytics query API address",
    ),
    (
        "USAGE_QUERY_SCOPE",
        "(follows the endpoint)",
        "token scope of the query API",
    ),
    (
        "AZURE_CREDENTIAL",
        "managed_identity",
        "managed_identity, workload_identity, client_secret or developer_tools",
    ),
    (
        "AZURE_CLIENT_ID",
        "(none)",
        "client id of a user-assigned identity or app registration",
    ),
    (
        "AZURE_TENANT_ID",
        "(none)",
        "tenant of the app registration, for client_secret",
    ),
    (
        "AZURE_CLIENT_SECRET",
        "(none)",
        "secret of the app registration, for client_secret; never in a file",
    ),
    (
        "USAGE_QUERY_TIMEOUT_SECONDS",
        "60",
        "how long the query API may run a query",
    ),
    (
        "USAGE_QUERY_ATTEMPTS",
        "3",
        "attempts of a query that is throttled or fails",
    ),
    (
        "USAGE_AUTH",
        "(none)",
        "entra (validate bearer tokens) or easyauth (trust App Service authentication); unset, function keys or the gateway protect the app",
    ),
    ("USAGE_AUTH_TENANT_ID", "(none)", "tenant whose tokens entra accepts"),
    (
        "USAGE_AUTH_AUDIENCE",
        "(none)",
        "comma-separated accepted audiences: the app's client id or application id URI",
    ),
    (
        "USAGE_AUTH_AUTHORITY_HOST",
        "https://login.microsoftonline.com",
        "Entra ID authority that issues the tokens and publishes the signing keys",
    ),
    (
        "USAGE_AUTH_USER_CLAIM",
        "oid",
        "claim matched against the user ids of usage",
    ),
    (
        "USAGE_AUTH_READER_ROLE",
        "Usage.ReadAll",
        "app role whose holders read everyone's usage",
    ),
];

impl Config {
    /// Reads the settings through `lookup`, which returns a variable's value or `None`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, SettingError> {
        let read = |name: &str| {
            lookup(name)
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
        };
        let error = |variable: &'static str, value: String, expected: &str| SettingError {
            variable,
            value,
            expected: expected.to_owned(),
        };
        let number =
            |variable: &'static str, default: u64, range: std::ops::RangeInclusive<u64>, expected: &str| match read(
                variable,
            ) {
                None => Ok(default),
                Some(value) => value
                    .parse::<u64>()
                    .ok()
                    .filter(|number| range.contains(number))
                    .ok_or_else(|| error(variable, value, expected)),
            };

        let port = number(
            "FUNCTIONS_CUSTOMHANDLER_PORT",
            7072,
            1..=65535,
            "a TCP port from 1 to 65535",
        )?;
        let bind = match read("USAGE_BIND") {
            None => IpAddr::from([127, 0, 0, 1]),
            Some(value) => value
                .parse()
                .map_err(|_| error("USAGE_BIND", value, "an IP address such as 127.0.0.1 or 0.0.0.0"))?,
        };
        let instrumentation_key = read("INGEST_INSTRUMENTATION_KEY").filter(|key| !key.trim().is_empty());
        // The track routes write usage that becomes charges; beyond loopback, only senders
        // that know the key may write.
        if !bind.is_loopback() && instrumentation_key.is_none() {
            return Err(error(
                "INGEST_INSTRUMENTATION_KEY",
                "(unset)".to_owned(),
                &format!(
                    "a key, because USAGE_BIND {bind} accepts connections from other hosts and the track routes would \
                     take usage from anyone; set it, or bind USAGE_BIND to 127.0.0.1"
                ),
            ));
        }
        let store_path = read("USAGE_STORE")
            .map(PathBuf::from)
            .unwrap_or_else(|| data_dir().join("aoai-meter").join("usage.db"));
        let source = match read("USAGE_SOURCE") {
            None => UsageSource::Otel,
            Some(value) => value
                .parse()
                .map_err(|_| error("USAGE_SOURCE", value, "otel or apim"))?,
        };
        let mut metric_names = MetricNames::default();
        if let Some(value) = read("USAGE_CACHED_METRIC") {
            metric_names.cached = value;
        }
        if let Some(value) = read("USAGE_METRIC_DIMENSIONS") {
            let names: Vec<String> = value.split(',').map(|name| name.trim().to_owned()).collect();
            match names.as_slice() {
                [user, deployment, subscription, streamed] if names.iter().all(|name| !name.is_empty()) => {
                    metric_names.user = user.clone();
                    metric_names.deployment = deployment.clone();
                    metric_names.subscription = subscription.clone();
                    metric_names.streamed = streamed.clone();
                }
                _ => {
                    return Err(error(
                        "USAGE_METRIC_DIMENSIONS",
                        value,
                        "four comma-separated dimension names: user, deployment, subscription, streamed",
                    ));
                }
            }
        }
        let deployment_files = read("AOAI_DEPLOYMENTS")
            .map(|value| {
                value
                    .split(',')
                    .map(str::trim)
                    .filter(|path| !path.is_empty())
                    .map(PathBuf::from)
                    .collect()
            })
            .unwrap_or_default();
        let default_region = read("AOAI_DEFAULT_REGION").unwrap_or_else(|| "eastus2".to_owned());
        if !default_region
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit())
        {
            return Err(error(
                "AOAI_DEFAULT_REGION",
                default_region,
                "a lower-case ARM region name such as eastus2",
            ));
        }
        let default_deployment_type = match read("AOAI_DEFAULT_DEPLOYMENT_TYPE") {
            None => DeploymentType::Global,
            Some(value) => value
                .parse::<DeploymentSku>()
                .ok()
                .filter(|sku| sku.tier.is_none() && !sku.provisioned)
                .map(|sku| sku.deployment_type)
                .ok_or_else(|| error("AOAI_DEFAULT_DEPLOYMENT_TYPE", value, "global, datazone or regional"))?,
        };
        let max_range_days = number(
            "USAGE_MAX_RANGE_DAYS",
            400,
            1..=36600,
            "a whole number of days from 1 to 36600",
        )?;
        let ingest_body_timeout = number(
            "INGEST_BODY_TIMEOUT_SECONDS",
            60,
            1..=3600,
            "a whole number of seconds from 1 to 3600",
        )?;
        let ingest_max_body_bytes = number(
            "INGEST_MAX_BODY_BYTES",
            64 * 1024 * 1024,
            1024..=(4u64 << 30),
            "a number of bytes from 1024 to 4294967296",
        )?;
        let backend = backend(&read)?;
        Ok(Config {
            backend,
            bind,
            port: u16::try_from(port).unwrap_or(7072),
            store_path,
            source,
            metric_names,
            deployment_files,
            deployment_json: read("AOAI_DEPLOYMENTS_JSON"),
            default_region,
            default_deployment_type,
            directory: read("USAGE_DIRECTORY").map(PathBuf::from),
            max_range_days: i64::try_from(max_range_days).unwrap_or(400),
            ingest_max_body_bytes: usize::try_from(ingest_max_body_bytes).unwrap_or(64 * 1024 * 1024),
            ingest_body_timeout: std::time::Duration::from_secs(ingest_body_timeout),
            instrumentation_key,
            auth: AuthSettings::from_lookup(&read)?,
            prices: PriceSettings::from_lookup(lookup)?,
        })
    }
}

/// Reads the backend settings. Both query APIs at once is an error, because a response
/// covers one backend.
fn backend(read: &dyn Fn(&str) -> Option<String>) -> Result<BackendConfig, SettingError> {
    let error = |variable: &'static str, value: String, expected: &str| SettingError {
        variable,
        value,
        expected: expected.to_owned(),
    };
    let (api, default_endpoint, default_scope, endpoint_variable) =
        match (read("APPINSIGHTS_APP_ID"), read("LOG_ANALYTICS_WORKSPACE_ID")) {
            (None, None) => return Ok(BackendConfig::Local),
            (Some(app), Some(workspace)) => {
                return Err(error(
                    "APPINSIGHTS_APP_ID",
                    format!("{app}' and LOG_ANALYTICS_WORKSPACE_ID='{workspace}"),
                    "one of APPINSIGHTS_APP_ID and LOG_ANALYTICS_WORKSPACE_ID, because a response covers one backend",
                ));
            }
            (Some(app_id), None) => (
                Api::AppInsights {
                    app_id: check_id("APPINSIGHTS_APP_ID", app_id)?,
                },
                APPINSIGHTS_ENDPOINT,
                APPINSIGHTS_SCOPE,
                "APPINSIGHTS_QUERY_ENDPOINT",
            ),
            (None, Some(workspace_id)) => (
                Api::LogAnalytics {
                    workspace_id: check_id("LOG_ANALYTICS_WORKSPACE_ID", workspace_id)?,
                },
                LOG_ANALYTICS_ENDPOINT,
                LOG_ANALYTICS_SCOPE,
                "LOG_ANALYTICS_QUERY_ENDPOINT",
            ),
        };
    let endpoint = read(endpoint_variable).unwrap_or_else(|| default_endpoint.to_owned());
    let parsed = url::Url::parse(&endpoint)
        .ok()
        .filter(|url| aoai_catalog::http::is_allowed(url) && url.username().is_empty() && url.password().is_none())
        .ok_or_else(|| {
            error(
                if endpoint_variable == "APPINSIGHTS_QUERY_ENDPOINT" {
                    "APPINSIGHTS_QUERY_ENDPOINT"
                } else {
                    "LOG_ANALYTICS_QUERY_ENDPOINT"
                },
                aoai_catalog::http::redact(&endpoint),
                "an https URL without credentials (plain http only for the loopback address)",
            )
        })?;
    // A sovereign cloud or proxy endpoint takes its own origin as the token audience.
    let scope = read("USAGE_QUERY_SCOPE").unwrap_or_else(|| {
        if endpoint == default_endpoint {
            default_scope.to_owned()
        } else {
            format!("{}/.default", parsed.origin().ascii_serialization())
        }
    });
    let credential = match read("AZURE_CREDENTIAL") {
        None => CredentialKind::ManagedIdentity,
        Some(value) => {
            CredentialKind::parse(&value).ok_or_else(|| error("AZURE_CREDENTIAL", value, CredentialKind::NAMES))?
        }
    };
    let number = |variable: &'static str, default: u64, range: std::ops::RangeInclusive<u64>| match read(variable) {
        None => Ok(default),
        Some(value) => value
            .parse::<u64>()
            .ok()
            .filter(|number| range.contains(number))
            .ok_or_else(|| {
                error(
                    variable,
                    value,
                    &format!("a whole number from {} to {}", range.start(), range.end()),
                )
            }),
    };
    let timeout = number("USAGE_QUERY_TIMEOUT_SECONDS", 60, 1..=600)?;
    let attempts = number("USAGE_QUERY_ATTEMPTS", 3, 1..=10)?;
    Ok(BackendConfig::Azure {
        api,
        client: ClientSettings {
            endpoint,
            scope,
            query_timeout: std::time::Duration::from_secs(timeout),
            attempts: u32::try_from(attempts).unwrap_or(3),
            max_retry_wait: std::time::Duration::from_secs(30),
        },
        credential,
        credential_settings: CredentialSettings {
            client_id: read("AZURE_CLIENT_ID"),
            tenant_id: read("AZURE_TENANT_ID"),
            client_secret: read("AZURE_CLIENT_SECRET"),
        },
    })
}

/// Accepts an application or workspace id: a GUID, which also keeps the URL path plain.
fn check_id(variable: &'static str, value: String) -> Result<String, SettingError> {
    let valid = value.len() == 36
        && value.chars().enumerate().all(|(index, c)| {
            if [8, 13, 18, 23].contains(&index) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        });
    if valid {
        Ok(value)
    } else {
        Err(SettingError {
            variable,
            value,
            expected: "a GUID such as 00000000-0000-0000-0000-000000000000".to_owned(),
        })
    }
}

/// Returns the user's data directory: `XDG_DATA_HOME`, else `~/.local/share`, else `LOCALAPPDATA`
/// on Windows, else the working directory.
fn data_dir() -> PathBuf {
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|value| !value.is_empty())
            .map(PathBuf::from)
    };
    var("XDG_DATA_HOME")
        .or_else(|| var("HOME").map(|home| home.join(".local").join("share")))
        .or_else(|| var("LOCALAPPDATA"))
        .unwrap_or_else(|| PathBuf::from("."))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, SettingError> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_are_local() {
        let config = config(&[]).expect("defaults are valid");
        assert_eq!(config.port, 7072);
        assert_eq!(config.bind.to_string(), "127.0.0.1");
        assert_eq!(config.source, UsageSource::Otel);
        assert!(config.store_path.ends_with("aoai-meter/usage.db"));
        assert_eq!(config.metric_names, MetricNames::default());
        assert_eq!(config.default_region, "eastus2");
        assert_eq!(config.default_deployment_type, DeploymentType::Global);
        assert_eq!(config.max_range_days, 400);
        assert_eq!(config.ingest_max_body_bytes, 64 * 1024 * 1024);
    }

    #[test]
    fn settings_are_read() {
        let config = config(&[
            ("USAGE_SOURCE", "APIM"),
            ("USAGE_STORE", "/var/lib/usage.db"),
            ("USAGE_CACHED_METRIC", "Cached Tokens"),
            ("USAGE_METRIC_DIMENSIONS", "user, model, sub, stream"),
            ("AOAI_DEPLOYMENTS", "a.json, b.json"),
            ("AOAI_DEFAULT_DEPLOYMENT_TYPE", "DataZone"),
        ])
        .expect("valid settings");
        assert_eq!(config.source, UsageSource::Apim);
        assert_eq!(config.store_path, PathBuf::from("/var/lib/usage.db"));
        assert_eq!(config.metric_names.cached, "Cached Tokens");
        assert_eq!(config.metric_names.deployment, "model");
        assert_eq!(config.metric_names.streamed, "stream");
        assert_eq!(
            config.deployment_files,
            vec![PathBuf::from("a.json"), PathBuf::from("b.json")]
        );
        assert_eq!(config.default_deployment_type, DeploymentType::DataZone);
    }

    #[test]
    fn query_backend_settings() {
        let id = "11111111-2222-3333-4444-555555555555";
        let first = config(&[("APPINSIGHTS_APP_ID", id)]).expect("valid");
        let BackendConfig::Azure {
            api,
            client,
            credential,
            ..
        } = first.backend
        else {
            panic!("an Azure backend");
        };
        assert_eq!(api, Api::AppInsights { app_id: id.to_owned() });
        assert_eq!(client.endpoint, APPINSIGHTS_ENDPOINT);
        assert_eq!(client.scope, APPINSIGHTS_SCOPE);
        assert_eq!(credential, CredentialKind::ManagedIdentity);

        let second = config(&[
            ("LOG_ANALYTICS_WORKSPACE_ID", id),
            ("LOG_ANALYTICS_QUERY_ENDPOINT", "https://api.loganalytics.azure.cn"),
            ("AZURE_CREDENTIAL", "developer_tools"),
        ])
        .expect("valid");
        let BackendConfig::Azure { client, credential, .. } = second.backend else {
            panic!("an Azure backend");
        };
        assert_eq!(client.scope, "https://api.loganalytics.azure.cn/.default");
        assert_eq!(credential, CredentialKind::DeveloperTools);
        assert!(matches!(config(&[]).expect("valid").backend, BackendConfig::Local));

        let both = config(&[("APPINSIGHTS_APP_ID", id), ("LOG_ANALYTICS_WORKSPACE_ID", id)]).unwrap_err();
        assert!(both.to_string().contains("LOG_ANALYTICS_WORKSPACE_ID"), "{both}");
        for (variable, value) in [
            ("APPINSIGHTS_QUERY_ENDPOINT", "http://api.example.com"),
            ("AZURE_CREDENTIAL", "password"),
        ] {
            let error = config(&[("APPINSIGHTS_APP_ID", id), (variable, value)]).unwrap_err();
            assert_eq!(error.variable, variable);
        }
        let error = config(&[("APPINSIGHTS_APP_ID", "my-app")]).unwrap_err();
        assert_eq!(error.variable, "APPINSIGHTS_APP_ID");
    }

    #[test]
    fn binding_beyond_loopback_needs_the_instrumentation_key() {
        let error = config(&[("USAGE_BIND", "0.0.0.0")]).unwrap_err();
        assert_eq!(error.variable, "INGEST_INSTRUMENTATION_KEY");
        assert!(error.to_string().contains("0.0.0.0"), "{error}");
        let error = config(&[("USAGE_BIND", "0.0.0.0"), ("INGEST_INSTRUMENTATION_KEY", " ")]).unwrap_err();
        assert_eq!(error.variable, "INGEST_INSTRUMENTATION_KEY");
        let keyed = config(&[
            ("USAGE_BIND", "::"),
            ("INGEST_INSTRUMENTATION_KEY", "00000000-0000-0000-0000-000000000001"),
        ])
        .expect("a key allows any address");
        assert_eq!(keyed.bind.to_string(), "::");
        assert!(config(&[("USAGE_BIND", "::1")]).is_ok(), "IPv6 loopback needs no key");
    }

    #[test]
    fn invalid_values_name_the_variable() {
        for (variable, value) in [
            ("FUNCTIONS_CUSTOMHANDLER_PORT", "0"),
            ("USAGE_BIND", "here"),
            ("USAGE_SOURCE", "logs"),
            ("USAGE_METRIC_DIMENSIONS", "a,b"),
            ("AOAI_DEFAULT_REGION", "East US"),
            ("AOAI_DEFAULT_DEPLOYMENT_TYPE", "GlobalBatch"),
            ("USAGE_MAX_RANGE_DAYS", "0"),
            ("INGEST_MAX_BODY_BYTES", "ten"),
            ("PRICING_SOURCE", "bing"),
        ] {
            let error = config(&[(variable, value)]).unwrap_err();
            assert_eq!(error.variable, variable);
            assert!(error.to_string().contains(value), "{error}");
        }
    }
}
