//! Validates Microsoft Entra ID access tokens: RS256 signature against the tenant's published
//! signing keys, issuer, audience, expiry and not-before.
//!
//! The keys are fetched on first use and kept for a day. A token signed with a key id that
//! is not in the set makes one new fetch, at most every five minutes, since Entra ID rolls
//! its keys over without notice.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::Deserialize;
use serde_json::{Map, Value};
use tokio::sync::Mutex;

use super::AuthError;
use super::settings::EntraSettings;

/// How long a fetched key set is used before it is fetched again.
const KEYS_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);
/// The shortest time between two fetches caused by an unknown key id.
const REFETCH_INTERVAL: Duration = Duration::from_secs(5 * 60);
/// The time after a failed fetch during which no other fetch is made: requests meanwhile
/// fail at once instead of each waiting for a fetch of their own.
const FAILED_FETCH_PAUSE: Duration = Duration::from_secs(30);
/// The clock difference allowed on `exp` and `nbf`.
const LEEWAY_SECONDS: u64 = 60;

/// A key set that could not be fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the tenant's signing keys could not be fetched from {url}: {reason}")]
pub struct KeyFetchError {
    pub url: String,
    pub reason: String,
}

#[derive(Debug, Default)]
struct KeyCache {
    keys: HashMap<String, DecodingKey>,
    fetched_at: Option<Instant>,
    /// The time and error of the last fetch, when it failed.
    failed: Option<(Instant, KeyFetchError)>,
}

/// Validates tokens for one tenant and audience.
#[derive(Debug)]
pub struct EntraValidator {
    settings: EntraSettings,
    http: reqwest::Client,
    cache: Mutex<KeyCache>,
}

#[derive(Deserialize)]
struct KeySet {
    keys: Vec<Jwk>,
}

#[derive(Deserialize)]
struct Jwk {
    kty: String,
    kid: Option<String>,
    n: Option<String>,
    e: Option<String>,
}

impl EntraValidator {
    pub fn new(settings: EntraSettings) -> Result<EntraValidator, String> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| format!("cannot build the HTTP client for signing keys: {error}"))?;
        Ok(EntraValidator {
            settings,
            http,
            cache: Mutex::new(KeyCache::default()),
        })
    }

    /// Returns the claims of a valid token.
    pub async fn validate(&self, token: &str) -> Result<Map<String, Value>, AuthError> {
        let invalid = |reason: &str| AuthError::Unauthenticated(format!("the bearer token is not valid: {reason}"));
        let header = decode_header(token).map_err(|_| invalid("it is not a signed JWT"))?;
        if header.alg != Algorithm::RS256 {
            return Err(invalid(&format!("it is signed with {:?}, not RS256", header.alg)));
        }
        let kid = header
            .kid
            .ok_or_else(|| invalid("its header names no signing key (kid)"))?;
        let key = self
            .key(&kid)
            .await?
            .ok_or_else(|| invalid("it is signed with a key that is not one of the tenant's signing keys"))?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_nbf = true;
        validation.set_audience(&self.settings.audiences);
        validation.set_issuer(&self.settings.issuers());
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        decode::<Map<String, Value>>(token, &key, &validation)
            .map(|data| data.claims)
            .map_err(|error| {
                use jsonwebtoken::errors::ErrorKind;
                invalid(match error.kind() {
                    ErrorKind::ExpiredSignature => "it has expired",
                    ErrorKind::ImmatureSignature => "it is not valid yet (nbf)",
                    ErrorKind::InvalidAudience => "it is for another audience; see USAGE_AUTH_AUDIENCE",
                    ErrorKind::InvalidIssuer => "it was issued by another tenant or authority",
                    ErrorKind::InvalidSignature => "its signature does not match",
                    ErrorKind::MissingRequiredClaim(_) => "it lacks exp, iss or aud",
                    _ => "it cannot be read",
                })
            })
    }

    /// Returns the key `kid`, fetching the key set when it is missing, expired, or lacks the
    /// id and the last fetch is old enough.
    async fn key(&self, kid: &str) -> Result<Option<DecodingKey>, AuthError> {
        let mut cache = self.cache.lock().await;
        let age = cache.fetched_at.map(|at| at.elapsed());
        let expired = age.is_none_or(|age| age >= KEYS_LIFETIME);
        let unknown = !cache.keys.contains_key(kid) && age.is_none_or(|age| age >= REFETCH_INTERVAL);
        let paused = cache
            .failed
            .as_ref()
            .filter(|(at, _)| at.elapsed() < FAILED_FETCH_PAUSE)
            .map(|(_, error)| error.clone());
        if (expired || unknown)
            && let Some(error) = paused
        {
            // A fetch failed moments ago: keys held are used, else the request fails at once.
            return match cache.keys.get(kid) {
                Some(key) => Ok(Some(key.clone())),
                None if cache.keys.is_empty() || expired => Err(AuthError::KeysUnavailable(error.to_string())),
                None => Ok(None),
            };
        }
        if expired || unknown {
            match self.fetch().await {
                Ok(keys) => {
                    cache.keys = keys;
                    cache.fetched_at = Some(Instant::now());
                    cache.failed = None;
                }
                Err(error) => {
                    cache.failed = Some((Instant::now(), error.clone()));
                    // Keys already held stay in use until a fetch succeeds.
                    if cache.keys.contains_key(kid) {
                        tracing::warn!(%error, "signing keys not refreshed; the keys held are used");
                    } else {
                        return Err(AuthError::KeysUnavailable(error.to_string()));
                    }
                }
            }
        }
        Ok(cache.keys.get(kid).cloned())
    }

    async fn fetch(&self) -> Result<HashMap<String, DecodingKey>, KeyFetchError> {
        let url = self.settings.keys_url();
        let failed = |reason: String| KeyFetchError {
            url: url.clone(),
            reason,
        };
        let response = self
            .http
            .get(&url)
            .send()
            .await
            .map_err(|error| failed(aoai_catalog::http::error_chain(&error.without_url())))?;
        let status = response.status();
        if !status.is_success() {
            return Err(failed(format!("HTTP {status}")));
        }
        let body = response
            .bytes()
            .await
            .map_err(|error| failed(aoai_catalog::http::error_chain(&error.without_url())))?;
        let set: KeySet =
            serde_json::from_slice(&body).map_err(|error| failed(format!("the response is not a key set: {error}")))?;
        let keys: HashMap<String, DecodingKey> = set
            .keys
            .into_iter()
            .filter(|key| key.kty == "RSA")
            .filter_map(|key| {
                let decoding = DecodingKey::from_rsa_components(key.n.as_deref()?, key.e.as_deref()?).ok()?;
                Some((key.kid?, decoding))
            })
            .collect();
        if keys.is_empty() {
            return Err(failed("the key set has no RSA keys".to_owned()));
        }
        Ok(keys)
    }
}
