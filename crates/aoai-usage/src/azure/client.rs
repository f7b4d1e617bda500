//! The Application Insights and Log Analytics query APIs, called with a Microsoft Entra ID
//! token, with bounded retries and errors that name the next step.

use std::sync::Arc;
use std::time::Duration;

use azure_core::credentials::TokenCredential;
use chrono::{DateTime, SecondsFormat, Utc};

use reqwest::StatusCode;
use serde_json::json;

use super::response::{Expected, QuerySummary, RowSink, read_error, read_rows};

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
            // The query APIs do not redirect; following one would send the query elsewhere.
            .redirect(reqwest::redirect::Policy::none())
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

    /// Runs `query` over `[from, to)` and hands its rows to `sink`.
    pub async fn run(
        &self,
        query: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        source: crate::record::UsageSource,
        sink: &mut RowSink<'_>,
    ) -> Result<QuerySummary, QueryError> {
        // The identity endpoint gets the same time as a query; one that hangs would otherwise
        // hold the request until the Functions front end gives up.
        let token = tokio::time::timeout(
            self.settings.query_timeout,
            self.credential.get_token(&[self.settings.scope.as_str()], None),
        )
        .await
        .map_err(|_| {
            QueryError::Timeout(format!(
                "the {} credential got no token for scope {} within {} s (USAGE_QUERY_TIMEOUT_SECONDS)",
                self.credential_name,
                self.settings.scope,
                self.settings.query_timeout.as_secs()
            ))
        })?
        .map_err(|error| {
            QueryError::Credential(format!(
                "the {} credential could not get a token for scope {}: {error}",
                self.credential_name, self.settings.scope
            ))
        })?;
        let url = format!("{}{}", self.settings.endpoint.trim_end_matches('/'), self.api.path());
        // The API applies `timespan` on top of the query's own bounds, and the queries look an
        // hour beyond the period for parent spans and gateway logs.
        let timespan = format!(
            "{}/{}",
            (from - chrono::Duration::hours(1)).to_rfc3339_opts(SecondsFormat::Secs, true),
            (to + chrono::Duration::hours(1)).to_rfc3339_opts(SecondsFormat::Secs, true)
        );
        let deadline = std::time::Instant::now() + TOTAL_BUDGET;
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
                // A query that ran out of time would run out again; it is not retried.
                Err(error) if error.is_timeout() => {
                    return Err(QueryError::Timeout(format!(
                        "the query API did not finish within {} s; ask for a shorter range or raise \
                         USAGE_QUERY_TIMEOUT_SECONDS",
                        self.settings.query_timeout.as_secs()
                    )));
                }
                Err(error) => {
                    last_failure = format!(
                        "the request failed: {}",
                        aoai_catalog::http::error_chain(&error.without_url())
                    );
                    tracing::warn!(attempt, error = %last_failure, "usage query failed; retrying");
                    if std::time::Instant::now() + backoff_time(attempt) > deadline {
                        break;
                    }
                    tokio::time::sleep(backoff_time(attempt)).await;
                    continue;
                }
            };
            let status = response.status();
            let retry_after = retry_after(response.headers());
            let json_body = response
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|value| value.to_str().ok())
                .is_some_and(|value| value.contains("json"));
            let text = read_body(response).await?;
            match status {
                StatusCode::OK => {
                    let expected = Expected { from, to, source };
                    return read_rows(&text, &expected, sink).map_err(|error| {
                        QueryError::Upstream(format!("the query API's response is invalid: {error}"))
                    });
                }
                StatusCode::TOO_MANY_REQUESTS => {
                    let wait_for = retry_after.unwrap_or(Duration::from_secs(1));
                    if attempt == self.settings.attempts
                        || wait_for > self.settings.max_retry_wait
                        || std::time::Instant::now() + wait_for > deadline
                    {
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
                StatusCode::UNAUTHORIZED => {
                    let detail = read_error(&text).map(|error| error.describe()).unwrap_or_default();
                    return Err(QueryError::Upstream(format!(
                        "the query API did not accept the token of the {} credential (HTTP 401): {detail}. Check that \
                         the token scope {} matches the endpoint (USAGE_QUERY_SCOPE)",
                        self.credential_name, self.settings.scope
                    )));
                }
                StatusCode::FORBIDDEN => {
                    let detail = read_error(&text).map(|error| error.describe()).unwrap_or_default();
                    return Err(QueryError::Upstream(format!(
                        "the query API refused the identity (HTTP 403): {detail}. Give the identity of the {} \
                         credential the role {}",
                        self.credential_name,
                        self.api.role()
                    )));
                }
                status if status.is_redirection() => {
                    return Err(QueryError::Upstream(format!(
                        "the query API answered with a redirect (HTTP {}), which is not followed; check \
                         the endpoint setting",
                        status.as_u16()
                    )));
                }
                status if status.is_server_error() => {
                    last_failure = match read_error(&text) {
                        Some(error) => format!("HTTP {}: {}", status.as_u16(), error.describe()),
                        None => format!("HTTP {}", status.as_u16()),
                    };
                    tracing::warn!(attempt, error = %last_failure, "usage query failed; retrying");
                    if std::time::Instant::now() + backoff_time(attempt) > deadline {
                        break;
                    }
                    tokio::time::sleep(backoff_time(attempt)).await;
                }
                status => {
                    // A body that is not the API's JSON error could echo the request, token included.
                    let detail = match read_error(&text) {
                        Some(error) if json_body => format!("{} ({})", error.describe(), error.innermost_code()),
                        _ => "the response carries no query API error".to_owned(),
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

/// The maximum time one usage request spends on a query, retries included, below the
/// 230 seconds after which the Functions front end drops an HTTP request.
const TOTAL_BUDGET: Duration = Duration::from_secs(200);

/// The largest response read; the query API's own result limit is about 64 MB.
const BODY_LIMIT: usize = 100 * 1024 * 1024;

fn backoff_time(attempt: u32) -> Duration {
    Duration::from_millis(200 * u64::from(attempt))
}

/// Reads a response body up to [`BODY_LIMIT`].
async fn read_body(mut response: reqwest::Response) -> Result<String, QueryError> {
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > BODY_LIMIT {
                    return Err(QueryError::Upstream(format!(
                        "the query API's response is larger than {BODY_LIMIT} bytes; ask for a shorter range"
                    )));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(error) => {
                return Err(QueryError::Timeout(format!(
                    "the query API's response broke off: {}",
                    aoai_catalog::http::error_chain(&error.without_url())
                )));
            }
        }
    }
    Ok(String::from_utf8_lossy(&body).into_owned())
}

/// Reads `Retry-After`, as seconds or as an HTTP date.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = date.with_timezone(&Utc) - Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::RETRY_AFTER, "7".parse().expect("value"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        let date = (Utc::now() + chrono::Duration::seconds(30)).to_rfc2822();
        headers.insert(reqwest::header::RETRY_AFTER, date.parse().expect("value"));
        let wait = retry_after(&headers).expect("a date");
        assert!(
            wait > Duration::from_secs(25) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
        headers.insert(reqwest::header::RETRY_AFTER, "soon".parse().expect("value"));
        assert_eq!(retry_after(&headers), None);
    }
}
