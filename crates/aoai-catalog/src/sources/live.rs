//! Loads catalogs from the configured source: the Retail Prices API, the pricing page
//! with the published exchange rates, both in turn, or the bundled snapshot.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use aoai_core::Currency;
use chrono::{DateTime, Utc};

use super::cache::{CacheKey, LoadFuture, Loader};
use super::{LoadError, LoadedCatalog, SourceKind, SourceSettings};
use crate::catalog::{PriceKey, price_key};
use crate::currency::ExchangeRates;
use crate::entry::{CatalogStats, PriceEntry, PriceOrigin};
use crate::page::{PagePrice, parse_page};
use crate::retail::RetailClient;
use crate::{Catalog, snapshot};

/// The public Azure OpenAI pricing page.
pub const DEFAULT_PAGE_URL: &str = "https://azure.microsoft.com/en-us/pricing/details/azure-openai/";

/// The largest pricing page or rates document read; the real page is about 1 MB.
const BODY_LIMIT: usize = 32 * 1024 * 1024;

/// Loads catalogs over HTTP for the configured source.
#[derive(Debug, Clone)]
pub struct LiveLoader {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    settings: SourceSettings,
    /// Built on first use: building it reads the system's root certificates, which a
    /// process serving the bundled snapshot never needs.
    http: OnceLock<Result<reqwest::Client, String>>,
    snapshot: OnceLock<Result<Arc<Catalog>, String>>,
}

impl LiveLoader {
    pub fn new(settings: SourceSettings) -> Result<LiveLoader, String> {
        Ok(LiveLoader {
            inner: Arc::new(Inner {
                settings,
                http: OnceLock::new(),
                snapshot: OnceLock::new(),
            }),
        })
    }

    /// Returns the HTTP client of the page and rates sources, building it on first use.
    fn http(&self) -> Result<reqwest::Client, LoadError> {
        let settings = &self.inner.settings;
        self.inner
            .http
            .get_or_init(|| {
                reqwest::Client::builder()
                    .timeout(settings.request_timeout)
                    .connect_timeout(Duration::from_secs(10))
                    .redirect(crate::http::redirect_policy())
                    .build()
                    .map_err(|error| format!("failed to build the HTTP client: {error}"))
            })
            .clone()
            .map_err(LoadError::Failed)
    }

    pub fn settings(&self) -> &SourceSettings {
        &self.inner.settings
    }

    /// Builds the bundled snapshot once and returns it.
    pub fn snapshot(&self) -> Result<Arc<Catalog>, LoadError> {
        self.inner
            .snapshot
            .get_or_init(|| {
                snapshot::bundled_catalog()
                    .map(Arc::new)
                    .map_err(|error| error.to_string())
            })
            .clone()
            .map_err(LoadError::Failed)
    }

    /// Returns the bundled snapshot as a loaded catalog, `fixed` when it is the configured source.
    pub fn snapshot_loaded(&self) -> Result<LoadedCatalog, LoadError> {
        Ok(LoadedCatalog {
            catalog: (*self.snapshot()?).clone(),
            source: SourceKind::Snapshot,
            currency: Currency::USD,
            as_of: snapshot::as_of(),
            fixed: self.inner.settings.kind == SourceKind::Snapshot,
            warnings: Vec::new(),
        })
    }

    async fn load_prices(&self, currency: Currency) -> Result<LoadedCatalog, LoadError> {
        let kind = self.inner.settings.kind;
        if !crate::currency::is_azure_currency(currency) {
            return Err(LoadError::Unavailable(format!(
                "Azure publishes no prices in {currency}; ask for one of {}",
                crate::currency::AZURE_CURRENCIES.join(", ")
            )));
        }
        let fetched_at = Utc::now();
        let (catalog, warnings) = match kind {
            SourceKind::Snapshot => {
                if currency != Currency::USD {
                    return Err(LoadError::Unavailable(format!(
                        "the bundled price snapshot is in USD only, because it is the Retail Prices list \
                         fetched in USD; no prices in {currency} are available offline. Set PRICING_SOURCE \
                         to retail-api, pricing-page or auto to fetch prices in {currency}"
                    )));
                }
                return self.snapshot_loaded();
            }
            SourceKind::RetailApi => (self.retail(currency).await?, Vec::new()),
            SourceKind::PricingPage => {
                let page = self.page().await?;
                (self.in_currency(&page, currency).await?, Vec::new())
            }
            SourceKind::Auto => self.auto(currency).await?,
        };
        Ok(LoadedCatalog {
            catalog,
            source: kind,
            currency,
            as_of: fetched_at,
            fixed: false,
            warnings,
        })
    }

    /// Loads the Retail Prices API, then fills the keys it lacks from the pricing page, then from the snapshot.
    async fn auto(&self, currency: Currency) -> Result<(Catalog, Vec<String>), LoadError> {
        let mut warnings = Vec::new();
        let retail = self.retail(currency).await;
        let page = self.page().await;
        if let (Err(retail), Err(page)) = (&retail, &page) {
            return Err(LoadError::Failed(format!(
                "both live sources failed. Retail Prices API: {retail}. Pricing page: {page}"
            )));
        }
        let mut catalog = match retail {
            Ok(catalog) => catalog,
            Err(error) => {
                warnings.push(format!(
                    "Retail Prices API failed; prices come from the pricing page and the snapshot: {error}"
                ));
                Catalog::default()
            }
        };
        match page {
            Ok(page) => match self.in_currency(&page, currency).await {
                Ok(page) => catalog = catalog.filled_from(&page),
                Err(error) => warnings.push(format!("pricing page prices not used: {error}")),
            },
            Err(error) => warnings.push(format!(
                "pricing page failed; keys the Retail Prices API lacks come from the snapshot: {error}"
            )),
        }
        let snapshot = self.snapshot()?;
        match self.in_currency(&snapshot, currency).await {
            Ok(snapshot) => catalog = catalog.filled_from(&snapshot),
            Err(error) => warnings.push(format!("bundled snapshot prices not used: {error}")),
        }
        Ok((catalog, warnings))
    }

    /// Converts a USD catalog to `currency` with the published rates.
    async fn in_currency(&self, catalog: &Catalog, currency: Currency) -> Result<Catalog, LoadError> {
        if currency == Currency::USD {
            return Ok(catalog.clone());
        }
        let rates = self.rates().await?;
        catalog
            .converted(currency, &rates)
            .map_err(|error| LoadError::Unavailable(error.to_string()))
    }

    async fn retail(&self, currency: Currency) -> Result<Catalog, LoadError> {
        let mut options = self.inner.settings.retail.clone();
        options.currency = currency;
        let client = RetailClient::new(options).map_err(|error| LoadError::Failed(error.to_string()))?;
        let outcome = client
            .fetch()
            .await
            .map_err(|error| LoadError::Failed(error.to_string()))?;
        let rows = outcome.items.len();
        let catalog = Catalog::build([(outcome.fetched_at, outcome.items)]);
        if catalog.is_empty() {
            return Err(LoadError::Failed(format!(
                "the Retail Prices API returned {rows} rows but none became an Azure OpenAI token price"
            )));
        }
        Ok(catalog)
    }

    async fn page(&self) -> Result<Catalog, LoadError> {
        let url = &self.inner.settings.page_url;
        let fetched_at = Utc::now();
        let html = self.get_text(url, "pricing page").await?;
        let shown = crate::http::redact(url);
        let prices = parse_page(&html).map_err(|error| LoadError::Failed(format!("pricing page {shown}: {error}")))?;
        page_catalog(prices, fetched_at).map_err(|error| LoadError::Failed(format!("pricing page {shown}: {error}")))
    }

    async fn rates(&self) -> Result<ExchangeRates, LoadError> {
        let url = &self.inner.settings.rates_url;
        let fetched_at = Utc::now();
        let json = self.get_text(url, "exchange rates").await?;
        let rates = ExchangeRates::parse(&json, fetched_at)
            .map_err(|error| LoadError::Failed(format!("exchange rates from {}: {error}", crate::http::redact(url))))?;
        for (code, reason) in rates.skipped() {
            tracing::warn!(currency = %code, reason = %reason, "exchange rate skipped");
        }
        Ok(rates)
    }

    async fn get_text(&self, url: &str, what: &str) -> Result<String, LoadError> {
        let shown = crate::http::redact(url);
        let failed = |reason: String| LoadError::Failed(format!("{what} request {shown} failed: {reason}"));
        let mut response = self
            .http()?
            .get(url)
            .send()
            .await
            .map_err(|error| failed(crate::http::error_chain(&error.without_url())))?;
        let status = response.status();
        if !status.is_success() {
            return Err(failed(format!("HTTP {status}")));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| failed(crate::http::error_chain(&error.without_url())))?
        {
            if body.len() + chunk.len() > BODY_LIMIT {
                return Err(failed(format!("the response is larger than {BODY_LIMIT} bytes")));
            }
            body.extend_from_slice(&chunk);
        }
        String::from_utf8(body).map_err(|_| failed("the response is not UTF-8 text".to_owned()))
    }

    /// Loads the Retail Prices API and the pricing page side by side, both in USD.
    async fn load_compare(&self) -> Result<LoadedCatalog, LoadError> {
        if !self.inner.settings.kind.is_live() {
            return Err(LoadError::Unavailable(
                "comparing the live sources needs PRICING_SOURCE set to retail-api, pricing-page or auto; \
                 the snapshot source contacts no outside host"
                    .to_owned(),
            ));
        }
        let fetched_at = Utc::now();
        let retail = self.retail(Currency::USD).await?;
        let page = self.page().await?;
        let catalog = Catalog::from_entries(
            retail.entries().iter().chain(page.entries()).cloned().collect(),
            Vec::new(),
            CatalogStats::default(),
        );
        Ok(LoadedCatalog {
            catalog,
            source: self.inner.settings.kind,
            currency: Currency::USD,
            as_of: fetched_at,
            fixed: false,
            warnings: Vec::new(),
        })
    }
}

impl Loader for LiveLoader {
    fn load(&self, key: CacheKey) -> LoadFuture {
        let loader = self.clone();
        Box::pin(async move {
            match key {
                CacheKey::Prices(currency) => loader.load_prices(currency).await,
                CacheKey::Compare => loader.load_compare().await,
            }
        })
    }
}

/// Turns the page's prices into catalog entries. The page gives no start dates, so a
/// price is known to hold only from the fetch on. A call before it is priced at it as an
/// assumption. It stays in force until a later fetch replaces it.
pub fn page_catalog(prices: Vec<PagePrice>, fetched_at: DateTime<Utc>) -> Result<Catalog, String> {
    let mut by_key: HashMap<PriceKey, PriceEntry> = HashMap::new();
    for price in prices {
        let effective_from = fetched_at;
        let entry = PriceEntry {
            region: price.region,
            model: price.model,
            deployment_type: price.deployment_type,
            tier: price.tier,
            kind: price.kind,
            context_band: price.context_band,
            currency: Currency::USD,
            price: price.price_per_million,
            effective_from,
            effective_to: None,
            meter_name: price.label,
            origin: PriceOrigin::PricingPage,
            conversion: None,
        };
        let key = price_key(&entry);
        if let Some(existing) = by_key.get(&key) {
            if existing.price != entry.price {
                return Err(format!(
                    "rows '{}' and '{}' price the same key differently ({} and {} USD in {})",
                    existing.meter_name, entry.meter_name, existing.price, entry.price, entry.region
                ));
            }
            continue;
        }
        by_key.insert(key, entry);
    }
    let mut entries: Vec<PriceEntry> = by_key.into_values().collect();
    entries.sort_by_key(price_key);
    let stats = CatalogStats {
        rows: entries.len(),
        token_prices: entries.len(),
        ..CatalogStats::default()
    };
    Ok(Catalog::from_entries(entries, Vec::new(), stats))
}
