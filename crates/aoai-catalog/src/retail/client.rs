//! An HTTP client for the Azure Retail Prices API that fetches the Azure OpenAI rows
//! of one service for a list of regions.
//!
//! One fetch sends, for each region in turn, a GET for
//! `$filter=serviceName eq '<service>' and priceType eq 'Consumption' and armRegionName eq '<region>'`
//! with `api-version=2023-01-01-preview` and `currencyCode=<code>`, then follows each
//! page's `NextPageLink` as returned until it is null or absent. Only rows whose
//! `productName` starts with `Azure OpenAI` are kept.
//!
//! Each page request is retried on HTTP 429, HTTP 5xx, connection failures and timeouts
//! with exponential backoff that honours `Retry-After`, within the retry budget of
//! [`RetailClientOptions::retry_budget`]. Any other status fails at once.

use std::collections::HashSet;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use aoai_core::Currency;
use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;
use url::{Host, Url};

use super::{RetailItem, RetailPage};

/// The public Retail Prices endpoint.
pub const DEFAULT_BASE_URL: &str = "https://prices.azure.com/api/retail/prices";

/// The API version sent with every first-page request.
pub const API_VERSION: &str = "2023-01-01-preview";

/// The service name of the Azure OpenAI meters since the rename. Before it, the same
/// meters were listed under `Cognitive Services`.
pub const DEFAULT_SERVICE_NAME: &str = "Foundry Models";

/// The default limit on pages per region. Real pages carry 1000 rows (their next links
/// end in `$skip=1000`), and eastus2 had 1520 `Foundry Models` rows in August 2026, so
/// the limit only stops a server that pages without end.
pub const DEFAULT_MAX_PAGES: usize = 1000;

/// The default timeout of one HTTP request, from sending it to reading the whole body.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The default retry budget of one page.
pub const DEFAULT_RETRY_BUDGET: Duration = Duration::from_secs(60);

/// The wait before the first retry when the server sends no `Retry-After`. Each
/// further retry doubles it, up to [`MAX_BACKOFF`].
const INITIAL_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// The maximum page body accepted. A page of 1000 rows is about 600 KB, estimated from
/// the size of the eastus2 fixture.
const MAX_PAGE_BYTES: usize = 32 * 1024 * 1024;

/// How much of an error response body is read, and how much of it an error shows.
const ERROR_BODY_READ_BYTES: usize = 16 * 1024;
const ERROR_BODY_SNIPPET_BYTES: usize = 512;

/// Settings of a [`RetailClient`], checked by [`RetailClient::new`].
#[derive(Debug, Clone)]
pub struct RetailClientOptions {
    /// The endpoint, without a query. Default [`DEFAULT_BASE_URL`]. It must be `https`,
    /// except that plain `http` is accepted for loopback hosts (local stand-ins).
    pub base_url: String,
    /// The `serviceName` in the filter, compared case-sensitively by the API.
    /// Default [`DEFAULT_SERVICE_NAME`]; use `Cognitive Services` for data from
    /// before the rename.
    pub service_name: String,
    /// The currency sent as `currencyCode`. Every returned row must be in it.
    /// Default USD.
    pub currency: Currency,
    /// The ARM region names to fetch, in order, such as `eastus2`. The API compares
    /// them case-sensitively, so they must be lower-case. No default.
    pub regions: Vec<String>,
    /// The timeout of one HTTP request. Default [`DEFAULT_REQUEST_TIMEOUT`].
    pub request_timeout: Duration,
    /// The maximum time spent on one page, from its first attempt to the start of its
    /// last retry. An attempt started within the budget may still run for up to
    /// `request_timeout`. Zero disables retries. Default [`DEFAULT_RETRY_BUDGET`].
    pub retry_budget: Duration,
    /// The maximum number of pages per region. Default [`DEFAULT_MAX_PAGES`].
    pub max_pages: usize,
}

impl RetailClientOptions {
    /// Creates options for `regions` with every other setting at its default.
    pub fn for_regions<I, S>(regions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            service_name: DEFAULT_SERVICE_NAME.to_owned(),
            currency: Currency::USD,
            regions: regions.into_iter().map(Into::into).collect(),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            retry_budget: DEFAULT_RETRY_BUDGET,
            max_pages: DEFAULT_MAX_PAGES,
        }
    }
}

/// Error for [`RetailClientOptions`] that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "invalid Retail Prices base URL '{value}': {reason}. \
         Expected an https URL without a query, such as {DEFAULT_BASE_URL}"
    )]
    InvalidBaseUrl { value: String, reason: String },
    #[error("no regions to fetch: give at least one ARM region name, such as eastus2")]
    NoRegions,
    #[error(
        "invalid region '{value}': expected a lower-case ARM region name of letters \
         and digits, such as eastus2, because the Retail Prices filter is case-sensitive"
    )]
    InvalidRegion { value: String },
    #[error("the service name is empty: use '{DEFAULT_SERVICE_NAME}', or 'Cognitive Services' for older data")]
    EmptyServiceName,
    #[error("{setting} must be greater than zero")]
    ZeroSetting { setting: &'static str },
    #[error("failed to build the HTTP client: {0}")]
    HttpClient(#[source] reqwest::Error),
}

/// Error for a fetch that did not return the catalog.
///
/// [`FetchError::is_retryable`] returns true for the failures that may pass when the
/// fetch runs again later.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// A status that is not retried (any 4xx but 429, or an unfollowed 3xx). Not retryable.
    #[error(
        "Retail Prices request {url} failed with HTTP {status}: {body_snippet}. \
         This status is not retried; check the base URL, region and service name"
    )]
    Status {
        url: String,
        status: StatusCode,
        body_snippet: String,
    },
    /// Every attempt failed with a transient error until the budget ran out. Retryable.
    #[error(
        "Retail Prices request {url} still failed after {attempts} attempts within the \
         {budget:?} retry budget (last failure: {last_failure}). The API may be throttling \
         or unavailable; run the fetch again later"
    )]
    RetryBudgetExhausted {
        url: String,
        attempts: u32,
        budget: Duration,
        last_failure: String,
    },
    /// The server asked to wait longer than the budget has left. Retryable.
    #[error(
        "Retail Prices API asked to wait {retry_after:?} (Retry-After) before retrying {url}, \
         more than the {remaining:?} left of the {budget:?} retry budget. Run the fetch \
         again later"
    )]
    RetryAfterExceedsBudget {
        url: String,
        retry_after: Duration,
        remaining: Duration,
        budget: Duration,
    },
    /// A request failure that is not transient, such as a redirect loop. Not retryable.
    #[error("Retail Prices request {url} failed: {source}")]
    Transport {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    /// A body larger than the page limit. Not retryable.
    #[error(
        "Retail Prices response from {url} is larger than {limit_bytes} bytes; \
         check that the base URL is the Retail Prices API"
    )]
    PageTooLarge { url: String, limit_bytes: usize },
    /// A body that is not a Retail Prices page. Not retryable.
    #[error(
        "invalid Retail Prices page from {url}: {source}. The response format may have \
         changed; fetch the URL by hand and compare its fields with RetailPage"
    )]
    InvalidPage {
        url: String,
        #[source]
        source: serde_json::Error,
    },
    /// The first page of a region contains no rows at all. Not retryable.
    #[error(
        "Retail Prices API returned no rows for filter `{filter}` ({url}). Check that the \
         region is a lower-case ARM region name and that the service name is right \
         ('Foundry Models' since the rename, 'Cognitive Services' before it)"
    )]
    NoRows { filter: String, url: String },
    /// A row in another currency than the requested one. Not retryable.
    #[error(
        "Retail Prices row '{meter_name}' from {url} is in currency '{found}', but \
         {expected} was requested; check that the API supports currencyCode={expected}"
    )]
    CurrencyMismatch {
        url: String,
        expected: Currency,
        found: String,
        meter_name: String,
    },
    /// A `NextPageLink` that does not parse or is not an allowed URL. Not retryable.
    #[error("invalid NextPageLink '{link}' for filter `{filter}`: {reason}")]
    InvalidNextLink {
        link: String,
        filter: String,
        reason: String,
    },
    /// A `NextPageLink` to a page already fetched for the same region. Not retryable.
    #[error(
        "NextPageLink '{link}' repeats a page already fetched for filter `{filter}`, so the \
         paging would never end; stopped. Run the fetch again later"
    )]
    NextLinkLoop { link: String, filter: String },
    /// More pages than `max_pages` for one region. Not retryable.
    #[error(
        "filter `{filter}` has more than {max_pages} pages; stopped. Raise max_pages if \
         the catalog really is that large"
    )]
    TooManyPages { filter: String, max_pages: usize },
}

impl FetchError {
    /// Returns true for transient failures (throttling, server errors, network errors),
    /// after which running the fetch again later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            FetchError::RetryBudgetExhausted { .. } | FetchError::RetryAfterExceedsBudget { .. }
        )
    }
}

/// The Azure OpenAI rows of one fetch.
#[derive(Debug, Clone)]
pub struct FetchOutcome {
    /// The kept rows, by region in the order of the options, then in page order.
    pub items: Vec<RetailItem>,
    /// The number of pages fetched over all regions.
    pub pages: usize,
    /// The time the fetch started, before the first request was sent.
    pub fetched_at: DateTime<Utc>,
}

/// A Retail Prices API client with validated options.
#[derive(Debug, Clone)]
pub struct RetailClient {
    http: reqwest::Client,
    base_url: Url,
    options: RetailClientOptions,
}

impl RetailClient {
    /// Validates `options` and builds the HTTP client.
    pub fn new(options: RetailClientOptions) -> Result<Self, ConfigError> {
        let base_url = parse_base_url(&options.base_url)?;

        if options.regions.is_empty() {
            return Err(ConfigError::NoRegions);
        }
        if let Some(region) = options.regions.iter().find(|region| !is_arm_region_name(region)) {
            return Err(ConfigError::InvalidRegion { value: region.clone() });
        }
        if options.service_name.trim().is_empty() {
            return Err(ConfigError::EmptyServiceName);
        }
        if options.request_timeout.is_zero() {
            return Err(ConfigError::ZeroSetting {
                setting: "request_timeout",
            });
        }
        if options.max_pages == 0 {
            return Err(ConfigError::ZeroSetting { setting: "max_pages" });
        }

        let http = reqwest::Client::builder()
            .timeout(options.request_timeout)
            .user_agent(concat!("aoai-meter/", env!("CARGO_PKG_VERSION")))
            .redirect(crate::http::redirect_policy())
            .build()
            .map_err(ConfigError::HttpClient)?;

        Ok(Self {
            http,
            base_url,
            options,
        })
    }

    /// Fetches every page of every region and returns the Azure OpenAI rows.
    pub async fn fetch(&self) -> Result<FetchOutcome, FetchError> {
        let fetched_at = Utc::now();
        let mut items = Vec::new();
        let mut pages = 0;
        for region in &self.options.regions {
            pages += self.fetch_region(region, &mut items).await?;
        }
        Ok(FetchOutcome {
            items,
            pages,
            fetched_at,
        })
    }

    /// Returns the OData filter of `region`.
    fn filter_for(&self, region: &str) -> String {
        format!(
            "serviceName eq '{}' and priceType eq 'Consumption' and armRegionName eq '{}'",
            escape_odata_string(&self.options.service_name),
            escape_odata_string(region),
        )
    }

    /// Builds the first-page URL of `filter`, percent-encoding each value.
    fn first_page_url(&self, filter: &str) -> Url {
        // The form encoder writes a space as `+` and a literal `+` as `%2B`, so every
        // `+` it returns is a space. The API writes `%20` in its own links, and so do we.
        let encode = |value: &str| {
            url::form_urlencoded::byte_serialize(value.as_bytes())
                .collect::<String>()
                .replace('+', "%20")
        };
        let query = format!(
            "api-version={}&currencyCode={}&$filter={}",
            encode(API_VERSION),
            encode(self.options.currency.as_str()),
            encode(filter),
        );
        let mut url = self.base_url.clone();
        url.set_query(Some(&query));
        url
    }

    /// Fetches all pages of `region`, appends its Azure OpenAI rows to `items` and
    /// returns the number of pages.
    async fn fetch_region(&self, region: &str, items: &mut Vec<RetailItem>) -> Result<usize, FetchError> {
        let filter = self.filter_for(region);
        let first_url = self.first_page_url(&filter);
        let mut fetched = HashSet::from([first_url.clone()]);
        let mut next_url = Some(first_url);
        let mut pages = 0;
        let mut rows = 0;
        let mut kept = 0;

        while let Some(url) = next_url.take() {
            let body = self.get_with_retries(&url).await?;
            let page: RetailPage = serde_json::from_slice(&body).map_err(|source| FetchError::InvalidPage {
                url: url.to_string(),
                source,
            })?;
            pages += 1;
            tracing::debug!(%url, region, page = pages, rows = page.items.len(), "fetched Retail Prices page");

            if pages == 1 && page.items.is_empty() {
                return Err(FetchError::NoRows {
                    filter,
                    url: url.to_string(),
                });
            }
            self.check_currency(&url, &page.items)?;

            rows += page.items.len();
            for item in page.items.into_iter().filter(RetailItem::is_azure_openai) {
                items.push(item);
                kept += 1;
            }

            // Follow the link as returned. Parsing it only checks it, and the comparison
            // with pages already fetched is on the parsed form, so `:443` or not is the same page.
            let Some(link) = page.next_page_link else {
                break;
            };
            let next = parse_next_link(&link, &filter)?;
            if !fetched.insert(next.clone()) {
                return Err(FetchError::NextLinkLoop { link, filter });
            }
            if pages == self.options.max_pages {
                return Err(FetchError::TooManyPages {
                    filter,
                    max_pages: self.options.max_pages,
                });
            }
            next_url = Some(next);
        }

        tracing::info!(region, pages, rows, kept, "fetched Retail Prices region");
        Ok(pages)
    }

    /// Rejects the page when any row is not in the requested currency.
    fn check_currency(&self, url: &Url, page_items: &[RetailItem]) -> Result<(), FetchError> {
        let expected = self.options.currency;
        let mismatch = page_items
            .iter()
            .find(|item| item.currency_code.parse::<Currency>().ok() != Some(expected));
        match mismatch {
            None => Ok(()),
            Some(item) => Err(FetchError::CurrencyMismatch {
                url: url.to_string(),
                expected,
                found: item.currency_code.clone(),
                meter_name: item.meter_name.clone(),
            }),
        }
    }

    /// Sends a GET for `url`, retrying transient failures within the retry budget, and
    /// returns the body of the first successful response.
    async fn get_with_retries(&self, url: &Url) -> Result<Vec<u8>, FetchError> {
        let budget = self.options.retry_budget;
        let started = Instant::now();
        let mut attempts: u32 = 1;
        loop {
            let (failure, retry_after) = match self.get_once(url).await? {
                Attempt::Success(body) => return Ok(body),
                Attempt::Transient { failure, retry_after } => (failure, retry_after),
            };

            let remaining = budget.saturating_sub(started.elapsed());
            if remaining.is_zero() {
                return Err(FetchError::RetryBudgetExhausted {
                    url: url.to_string(),
                    attempts,
                    budget,
                    last_failure: failure,
                });
            }

            // Wait at least the `Retry-After` delay, and never past the budget.
            let backoff = backoff_before_retry(attempts);
            let wait = match retry_after {
                Some(retry_after) if retry_after > remaining => {
                    return Err(FetchError::RetryAfterExceedsBudget {
                        url: url.to_string(),
                        retry_after,
                        remaining,
                        budget,
                    });
                }
                Some(retry_after) => retry_after.max(backoff).min(remaining),
                None => backoff.min(remaining),
            };

            tracing::warn!(%url, %failure, attempt = attempts, wait = ?wait, "retrying Retail Prices request");
            tokio::time::sleep(wait).await;
            attempts += 1;
        }
    }

    /// Sends one GET for `url` and sorts the response into success, transient failure
    /// or final error.
    async fn get_once(&self, url: &Url) -> Result<Attempt, FetchError> {
        let response = match self.http.get(url.clone()).send().await {
            Ok(response) => response,
            Err(error) if is_transient(&error) => return Ok(Attempt::transient(error)),
            Err(source) => {
                return Err(FetchError::Transport {
                    url: url.to_string(),
                    source,
                });
            }
        };

        let status = response.status();
        if status.is_success() {
            return match read_body(response, MAX_PAGE_BYTES).await {
                Ok(Body { bytes, complete: true }) => Ok(Attempt::Success(bytes)),
                Ok(Body { complete: false, .. }) => Err(FetchError::PageTooLarge {
                    url: url.to_string(),
                    limit_bytes: MAX_PAGE_BYTES,
                }),
                Err(error) if is_transient(&error) => Ok(Attempt::transient(error)),
                Err(source) => Err(FetchError::Transport {
                    url: url.to_string(),
                    source,
                }),
            };
        }

        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            let retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| parse_retry_after(value, Utc::now()));
            return Ok(Attempt::Transient {
                failure: format!("HTTP {status}"),
                retry_after,
            });
        }

        // The body only serves the error message, so a failure to read it is not reported.
        let body = read_body(response, ERROR_BODY_READ_BYTES)
            .await
            .map(|body| body.bytes)
            .unwrap_or_default();
        Err(FetchError::Status {
            url: url.to_string(),
            status,
            body_snippet: body_snippet(&body, ERROR_BODY_SNIPPET_BYTES),
        })
    }
}

/// The result of one attempt that did not end the retries with an error.
enum Attempt {
    Success(Vec<u8>),
    Transient {
        /// Description of the failure, for the retry log and the final error.
        failure: String,
        retry_after: Option<Duration>,
    },
}

impl Attempt {
    fn transient(error: reqwest::Error) -> Self {
        Attempt::Transient {
            failure: error.to_string(),
            retry_after: None,
        }
    }
}

/// A body read up to a limit. `complete` is false when the body went on past it.
struct Body {
    bytes: Vec<u8>,
    complete: bool,
}

async fn read_body(mut response: reqwest::Response, limit: usize) -> Result<Body, reqwest::Error> {
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if bytes.len() + chunk.len() > limit {
            let room = limit - bytes.len();
            bytes.extend_from_slice(&chunk[..room]);
            return Ok(Body { bytes, complete: false });
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Body { bytes, complete: true })
}

/// True for failures that may pass on their own: timeouts, refused or reset
/// connections and bodies cut off mid-way.
fn is_transient(error: &reqwest::Error) -> bool {
    error.is_timeout() || error.is_connect() || error.is_request() || error.is_body()
}

/// Returns the wait before retry number `attempt` (1 for the first retry):
/// [`INITIAL_BACKOFF`] doubled for each earlier retry, at most [`MAX_BACKOFF`].
fn backoff_before_retry(attempt: u32) -> Duration {
    let factor = 1u32.checked_shl(attempt.saturating_sub(1)).unwrap_or(u32::MAX);
    INITIAL_BACKOFF.saturating_mul(factor).min(MAX_BACKOFF)
}

/// Parses `Retry-After` as whole seconds or as an HTTP date (IMF-fixdate), which
/// counts from `now` and is zero when already past.
///
/// NOTE: the obsolete RFC 850 and asctime date forms are not parsed. Such a value is
/// ignored, and the exponential backoff applies.
fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = DateTime::parse_from_rfc2822(value).ok()?;
    Some((date.with_timezone(&Utc) - now).to_std().unwrap_or(Duration::ZERO))
}

/// Returns the start of an error body on one line, cut at `max_bytes` on a character
/// boundary and marked with `…` when cut.
fn body_snippet(body: &[u8], max_bytes: usize) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        return "(empty body)".to_owned();
    }
    if text.len() <= max_bytes {
        return text;
    }
    let end = text.floor_char_boundary(max_bytes);
    format!("{}…", &text[..end])
}

/// Doubles each single quote, as OData string literals require.
fn escape_odata_string(value: &str) -> String {
    value.replace('\'', "''")
}

/// True for names such as `eastus2` or `swedencentral`.
fn is_arm_region_name(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit())
}

fn parse_base_url(value: &str) -> Result<Url, ConfigError> {
    let invalid = |reason: String| ConfigError::InvalidBaseUrl {
        value: value.to_owned(),
        reason,
    };
    let url = Url::parse(value).map_err(|error| invalid(error.to_string()))?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(
            "it has a query or fragment, which the client sets itself".to_owned(),
        ));
    }
    check_scheme(&url).map_err(invalid)?;
    Ok(url)
}

fn parse_next_link(link: &str, filter: &str) -> Result<Url, FetchError> {
    let invalid = |reason: String| FetchError::InvalidNextLink {
        link: link.to_owned(),
        filter: filter.to_owned(),
        reason,
    };
    let url = Url::parse(link).map_err(|error| invalid(error.to_string()))?;
    check_scheme(&url).map_err(invalid)?;
    Ok(url)
}

/// Accepts `https`, and plain `http` only for loopback hosts.
fn check_scheme(url: &Url) -> Result<(), String> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => Err("plain http is accepted only for loopback hosts; use https".to_owned()),
        other => Err(format!("scheme '{other}' is not http or https")),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(address)) => IpAddr::V4(address).is_loopback(),
        Some(Host::Ipv6(address)) => IpAddr::V6(address).is_loopback(),
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(base_url: &str) -> RetailClientOptions {
        RetailClientOptions {
            base_url: base_url.to_owned(),
            ..RetailClientOptions::for_regions(["eastus2"])
        }
    }

    #[test]
    fn base_url_schemes() {
        let cases = [
            (DEFAULT_BASE_URL, true),
            ("http://127.0.0.1:8080/api/retail/prices", true),
            ("http://[::1]:8080/api/retail/prices", true),
            ("http://localhost/api/retail/prices", true),
            ("http://prices.azure.com/api/retail/prices", false),
            ("http://10.0.0.1/api/retail/prices", false),
            ("ftp://prices.azure.com/api/retail/prices", false),
            ("prices.azure.com/api/retail/prices", false),
            ("https://prices.azure.com/api/retail/prices?api-version=1", false),
        ];
        for (base_url, accepted) in cases {
            let result = RetailClient::new(options(base_url));
            assert_eq!(result.is_ok(), accepted, "{base_url}: {result:?}");
            if let Err(error) = result {
                assert!(error.to_string().contains(base_url), "{base_url}: {error}");
            }
        }
    }

    #[test]
    fn region_names_are_checked() {
        for region in ["EastUS2", "east us", "", "eastus2'"] {
            let error =
                RetailClient::new(RetailClientOptions::for_regions([region])).expect_err("the options are rejected");
            assert!(matches!(error, ConfigError::InvalidRegion { .. }), "{region}: {error}");
        }
        let error = RetailClient::new(RetailClientOptions::for_regions(Vec::<String>::new()))
            .expect_err("the options are rejected");
        assert!(matches!(error, ConfigError::NoRegions), "{error}");
    }

    #[test]
    fn zero_settings_are_rejected() {
        let zero_timeout = RetailClientOptions {
            request_timeout: Duration::ZERO,
            ..options(DEFAULT_BASE_URL)
        };
        let error = RetailClient::new(zero_timeout).expect_err("the options are rejected");
        assert!(error.to_string().contains("request_timeout"), "{error}");

        let zero_pages = RetailClientOptions {
            max_pages: 0,
            ..options(DEFAULT_BASE_URL)
        };
        let error = RetailClient::new(zero_pages).expect_err("the options are rejected");
        assert!(error.to_string().contains("max_pages"), "{error}");
    }

    #[test]
    fn first_page_url_encodes_values() {
        let client = RetailClient::new(RetailClientOptions {
            service_name: "Cognitive Services".to_owned(),
            currency: "eur".parse().expect("valid code"),
            ..options(DEFAULT_BASE_URL)
        })
        .expect("valid options");
        let url = client.first_page_url(&client.filter_for("eastus2"));
        assert_eq!(
            url.as_str(),
            "https://prices.azure.com/api/retail/prices?api-version=2023-01-01-preview&currencyCode=EUR\
             &$filter=serviceName%20eq%20%27Cognitive%20Services%27%20and%20priceType%20eq%20%27Consumption%27\
             %20and%20armRegionName%20eq%20%27eastus2%27"
        );
    }

    #[test]
    fn quotes_are_doubled_in_the_filter() {
        let client = RetailClient::new(RetailClientOptions {
            service_name: "O'Brien Models".to_owned(),
            ..options(DEFAULT_BASE_URL)
        })
        .expect("valid options");
        assert!(
            client
                .filter_for("eastus2")
                .starts_with("serviceName eq 'O''Brien Models' and")
        );
    }

    #[test]
    fn retry_after_forms() {
        let now = DateTime::parse_from_rfc3339("2026-01-11T08:49:37Z")
            .expect("date")
            .with_timezone(&Utc);
        let cases = [
            ("1", Some(Duration::from_secs(1))),
            (" 120 ", Some(Duration::from_secs(120))),
            ("0", Some(Duration::ZERO)),
            ("Sun, 11 Jan 2026 08:49:47 GMT", Some(Duration::from_secs(10))),
            ("Sun, 11 Jan 2026 08:49:30 GMT", Some(Duration::ZERO)),
            ("soon", None),
            ("-1", None),
            ("", None),
        ];
        for (value, expected) in cases {
            assert_eq!(parse_retry_after(value, now), expected, "{value:?}");
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_maximum() {
        assert_eq!(backoff_before_retry(1), Duration::from_millis(500));
        assert_eq!(backoff_before_retry(2), Duration::from_secs(1));
        assert_eq!(backoff_before_retry(3), Duration::from_secs(2));
        assert_eq!(backoff_before_retry(10), MAX_BACKOFF);
        assert_eq!(backoff_before_retry(u32::MAX), MAX_BACKOFF);
    }

    #[test]
    fn snippet_cuts_on_a_character_boundary() {
        // "é" is two bytes, so a cut at an odd byte count falls inside one.
        let body = "é".repeat(10);
        let snippet = body_snippet(body.as_bytes(), 5);
        assert_eq!(snippet, "éé…");

        assert_eq!(body_snippet(b"{\"error\":\n  \"bad\"}", 100), "{\"error\": \"bad\"}");
        assert_eq!(body_snippet(b"  ", 100), "(empty body)");
    }
}
