//! The Application Insights and Log Analytics query APIs, called with a Microsoft Entra ID
//! token, with bounded retries and errors that name the next step.

use std::sync::Arc;
use std::time::Duration;

use azure_core::credentials::TokenCredential;
use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::StatusCode;
use serde_json::json;

use super::response::{QueryRows, read_error, read_rows};

/// The query API a client calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Api {
    /// `POST {endpoint}/v1/apps/{app_id}/query`.
    AppInsights { app_id: String },
    /// `POST {endpoint}/v1/workspaces/{workspace_id}/query`.
    LogAnalytics { workspace_id: String },
}

impl Api {
    fn path(&self) -> String {
        match self {
            Self::AppInsights { app_id } => format!("/v1/apps/{app_id}/query"),
            Self::LogAnalytics { workspace_id } => format!("/v1/workspaces/{workspace_id}/query"),
        }
    }

    /// Returns the role the identity needs to read the telemetry.
    fn role(&self) -> &'static str {
        match self {
            Self::AppInsights { .. } => "Reader (or Monitoring Reader) on the Application Insights resource",
            Self::LogAnalytics { .. } => "Log Analytics Reader on the workspace",
        }
    }
}

/// The failure of a query, in the terms of the usage route's responses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// The query API rejected the query or the identity: a 502 with the upstream code.
    #[error("{0}")]
    Upstream(String),
    /// Throttled until the retries ran out: a 503 with `Retry-After`.
    #[error("{message}")]
    Throttled { message: String, retry_after: Duration },
    /// Failed or timed out until the retries ran out: a 504.
    #[error("{0}")]
    Timeout(String),
    /// No token could be obtained: a 502 that names the credential and the scope.
    #[error("{0}")]
    Credential(String),
}

/// Settings of the query client.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    pub endpoint: String,
    pub scope: String,
    /// How long the query API may run a query (`Prefer: wait=`).
    pub query_timeout: Duration,
    /// Attempts of one query, counting the first.
    pub attempts: u32,
    /// The longest `Retry-After` waited for inside one request.
    pub max_retry_wait: Duration,
}

/// A client of one query API.
#[derive(Debug, Clone)]
pub struct QueryClient {
    api: Api,
    settings: ClientSettings,
    credential: Arc<dyn TokenCredential>,
    credential_name: &'static str,
    http: reqwest::Client,
}

impl QueryClient {
    pub fn new(
        api: Api,
        settings: ClientSettings,
        credential: Arc<dyn TokenCredential>,
        credential_name: &'static str,
    ) -> Result<QueryClient, String> {
        let http = reqwest::Client::builder()
            // The query API gets `query_timeout` to run the query; the request a little longer.
            .timeout(settings.query_timeout + Duration::from_secs(15))
            .connect_timeout(Duration::from_secs(10))
            .redirect(aoai_catalog::http::redirect_policy())
            .build()
            .map_err(|error| format!("failed to build the HTTP client: {error}"))?;
        Ok(QueryClient {
            api,
            settings,
            credential,
            credential_name,
            http,
        })
    }

    pub fn api(&self) -> &Api {
        &self.api
    }

    /// Runs `query` over `[from, to)` and returns its rows.
    pub async fn run(&self, query: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<QueryRows, QueryError> {
        let token = self
            .credential
            .get_token(&[self.settings.scope.as_str()], None)
            .await
            .map_err(|error| {
                QueryError::Credential(format!(
                    "the {} credential could not get a token for scope {}: {error}",
                    self.credential_name, self.settings.scope
                ))
            })?;
        let url = format!("{}{}", self.settings.endpoint.trim_end_matches('/'), self.api.path());
        let timespan = format!(
            "{}/{}",
            from.to_rfc3339_opts(SecondsFormat::Secs, true),
            to.to_rfc3339_opts(SecondsFormat::Secs, true)
        );
        let body = json!({ "query": query, "timespan": timespan });
        let wait = self.settings.query_timeout.as_secs().max(1);

        let mut last_failure = String::new();
        for attempt in 1..=self.settings.attempts.max(1) {
            let sent = self
                .http
                .post(&url)
                .bearer_auth(token.token.secret())
                .header("Prefer", format!("wait={wait}"))
                .json(&body)
                .send()
                .await;
            let response = match sent {
                Ok(response) => response,
                Err(error) => {
                    last_failure = format!(
                        "the request failed: {}",
                        aoai_catalog::http::error_chain(&error.without_url())
                    );
                    tracing::warn!(attempt, error = %last_failure, "usage query failed; retrying");
                    backoff(attempt).await;
                    continue;
                }
            };
            let status = response.status();
            let retry_after = retry_after(response.headers());
            let text = response.text().await.unwrap_or_default();
            match status {
                StatusCode::OK => {
                    return read_rows(&text).map_err(|error| {
                        QueryError::Upstream(format!("the query API's response is invalid: {error}"))
                    });
                }
                StatusCode::TOO_MANY_REQUESTS => {
                    let wait_for = retry_after.unwrap_or(Duration::from_secs(1));
                    if attempt == self.settings.attempts || wait_for > self.settings.max_retry_wait {
                        return Err(QueryError::Throttled {
                            message: "the query API is throttling requests; send the request again after Retry-After"
                                .to_owned(),
                            retry_after: wait_for,
                        });
                    }
                    tracing::warn!(
                        attempt,
                        wait_ms = wait_for.as_millis() as u64,
                        "usage query throttled; retrying"
                    );
                    tokio::time::sleep(wait_for).await;
                }
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                    let detail = read_error(&text).map(|error| error.describe()).unwrap_or_default();
                    return Err(QueryError::Upstream(format!(
                        "the query API refused the identity (HTTP {}): {detail}. Give the identity of the {} \
                         credential the role {}",
                        status.as_u16(),
                        self.credential_name,
                        self.api.role()
                    )));
                }
                status if status.is_server_error() => {
                    last_failure = match read_error(&text) {
                        Some(error) => format!("HTTP {}: {}", status.as_u16(), error.describe()),
                        None => format!("HTTP {}", status.as_u16()),
                    };
                    tracing::warn!(attempt, error = %last_failure, "usage query failed; retrying");
                    backoff(attempt).await;
                }
                status => {
                    let detail = match read_error(&text) {
                        Some(error) => format!("{} ({})", error.describe(), error.innermost_code()),
                        None => text.chars().take(300).collect(),
                    };
                    return Err(QueryError::Upstream(format!(
                        "the query API rejected the query (HTTP {}): {detail}",
                        status.as_u16()
                    )));
                }
            }
        }
        Err(QueryError::Timeout(format!(
            "the query API returned no result after {} attempts: {last_failure}. Try a shorter range, or again later",
            self.settings.attempts
        )))
    }
}

async fn backoff(attempt: u32) {
    tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
}

/// Reads `Retry-After` in seconds.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}
