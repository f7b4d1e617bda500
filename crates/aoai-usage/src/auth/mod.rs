//! Access control of usage. Usage is personal data: with `USAGE_AUTH` set, every usage
//! response and the dashboard need a caller. A caller reads only their own usage unless
//! they have the reader role.
//!
//! `entra` validates the caller's Microsoft Entra ID bearer token in the app itself, against
//! the tenant's signing keys, so it works behind API Management and on plans without App
//! Service authentication. `easyauth` trusts the `X-MS-CLIENT-PRINCIPAL` header that App
//! Service authentication sets after it has signed the caller in.

mod easyauth;
mod entra;
mod settings;

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

pub use entra::{EntraValidator, KeyFetchError};
pub use settings::{AuthMode, AuthSettings, EntraSettings};

/// The claim type of the object id in App Service authentication's principal.
pub const OBJECT_ID_CLAIM_TYPE: &str = "http://schemas.microsoft.com/identity/claims/objectidentifier";

/// A signed-in caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The value of the user claim, matched against the user ids of usage.
    pub user_id: String,
    /// True when the caller has the reader role and may read everyone's usage.
    pub reads_everyone: bool,
}

/// Checks callers of the usage routes, as `USAGE_AUTH` configures.
#[derive(Debug, Clone)]
pub enum Authenticator {
    /// No check in the app: function keys or the gateway stand in front of it.
    None,
    Entra {
        validator: Arc<EntraValidator>,
        settings: Arc<AuthSettings>,
    },
    EasyAuth {
        settings: Arc<AuthSettings>,
    },
}

/// The reason a request has no caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No identity, or one that is not valid: 401.
    #[error("{0}")]
    Unauthenticated(String),
    /// The signing keys could not be fetched: 503, the request may be sent again.
    #[error("{0}")]
    KeysUnavailable(String),
}

impl Authenticator {
    pub fn new(settings: AuthSettings) -> Result<Authenticator, String> {
        let settings = Arc::new(settings);
        Ok(match &settings.mode {
            AuthMode::None => Authenticator::None,
            AuthMode::EasyAuth => Authenticator::EasyAuth { settings },
            AuthMode::Entra(entra) => Authenticator::Entra {
                validator: Arc::new(EntraValidator::new(entra.clone())?),
                settings,
            },
        })
    }

    /// Returns the caller of a request, or `None` when no check is configured.
    pub async fn caller(&self, headers: &HeaderMap) -> Result<Option<Caller>, AuthError> {
        match self {
            Authenticator::None => Ok(None),
            Authenticator::EasyAuth { settings } => {
                let claims = easyauth::claims(headers)?;
                caller_from(&claims, settings).map(Some)
            }
            Authenticator::Entra { validator, settings } => {
                let token = bearer_token(headers)?;
                let claims = validator.validate(token).await?;
                caller_from(&claims, settings).map(Some)
            }
        }
    }
}

/// Reads the token of an `Authorization: Bearer` header.
fn bearer_token(headers: &HeaderMap) -> Result<&str, AuthError> {
    let value = headers.get(header::AUTHORIZATION).ok_or_else(|| {
        AuthError::Unauthenticated(
            "the request has no Authorization header; send a Microsoft Entra ID bearer token".to_owned(),
        )
    })?;
    let text = value
        .to_str()
        .map_err(|_| AuthError::Unauthenticated("the Authorization header is not text".to_owned()))?;
    let (scheme, token) = text
        .split_once(' ')
        .ok_or_else(|| AuthError::Unauthenticated("the Authorization header is not 'Bearer <token>'".to_owned()))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(AuthError::Unauthenticated(
            "the Authorization header is not 'Bearer <token>'".to_owned(),
        ));
    }
    Ok(token.trim())
}

/// Builds the caller from validated claims: the user claim, and the roles in `roles`.
fn caller_from(claims: &Map<String, Value>, settings: &AuthSettings) -> Result<Caller, AuthError> {
    let user_id = claims
        .get(&settings.user_claim)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .ok_or_else(|| {
            AuthError::Unauthenticated(format!(
                "the identity has no '{}' claim to match usage against; set USAGE_AUTH_USER_CLAIM to a claim it has",
                settings.user_claim
            ))
        })?;
    let reads_everyone = match claims.get("roles") {
        Some(Value::Array(roles)) => roles
            .iter()
            .filter_map(Value::as_str)
            .any(|role| role == settings.reader_role),
        Some(Value::String(role)) => *role == settings.reader_role,
        _ => false,
    };
    Ok(Caller {
        user_id: user_id.to_owned(),
        reads_everyone,
    })
}

/// Keeps a caller to their own usage: with no `user` filter the request is narrowed to the
/// caller, and a filter naming anyone else is refused.
pub fn scope_users(caller: Option<&Caller>, users: &mut Vec<String>) -> Result<(), String> {
    let Some(caller) = caller else { return Ok(()) };
    if caller.reads_everyone {
        return Ok(());
    }
    // The same rule as the rows: trimmed, lower case with Unicode rules.
    let own = caller.user_id.trim().to_lowercase();
    // Calls without a user are shown under this name; it is nobody's own usage.
    if own == crate::report::UNATTRIBUTED || own == "n/a" {
        return Err(format!(
            "the identity's user claim is '{}', which is not a user id; ask for the reader role",
            caller.user_id
        ));
    }
    if let Some(other) = users.iter().find(|user| user.trim().to_lowercase() != own) {
        return Err(format!(
            "you may read only your own usage (user {}), not that of '{other}'; leave out user= or ask for the reader role",
            caller.user_id
        ));
    }
    *users = vec![own];
    Ok(())
}

/// Checks the caller of a protected route. A request without a valid caller ends here; the
/// caller of any other is added to the request's extensions.
pub async fn require_caller(State(authenticator): State<Authenticator>, mut request: Request, next: Next) -> Response {
    match authenticator.caller(request.headers()).await {
        Ok(caller) => {
            if let Some(caller) = caller {
                request.extensions_mut().insert(caller);
            }
            next.run(request).await
        }
        Err(AuthError::Unauthenticated(message)) => {
            tracing::info!(reason = %message, path = %request.uri().path(), "caller not authenticated");
            let mut response = error_response(StatusCode::UNAUTHORIZED, "unauthenticated", &message);
            if matches!(authenticator, Authenticator::Entra { .. }) {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            response
        }
        Err(AuthError::KeysUnavailable(message)) => {
            tracing::warn!(error = %message, "signing keys unavailable");
            error_response(StatusCode::SERVICE_UNAVAILABLE, "unavailable", &message)
        }
    }
}

fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({ "error": { "code": code, "message": message } })),
    )
        .into_response()
}
