//! App Service authentication's `X-MS-CLIENT-PRINCIPAL` header: base64 of a JSON object with
//! the signed-in caller's claims as `{"typ", "val"}` pairs. The platform sets it after signing
//! the caller in and removes any copy a client sends, so the app trusts it as it is.

use axum::http::HeaderMap;
use base64::Engine;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{AuthError, OBJECT_ID_CLAIM_TYPE};

const HEADER: &str = "x-ms-client-principal";

#[derive(Deserialize)]
struct Principal {
    #[serde(default)]
    claims: Vec<Claim>,
    /// The claim type of roles; `roles` when absent.
    role_typ: Option<String>,
}

#[derive(Deserialize)]
struct Claim {
    typ: String,
    val: String,
}

/// Returns the principal's claims as a map: each claim type with its value, the object id
/// also under `oid`, and every role under `roles`.
pub fn claims(headers: &HeaderMap) -> Result<Map<String, Value>, AuthError> {
    let unauthenticated = |message: &str| AuthError::Unauthenticated(message.to_owned());
    let value = headers.get(HEADER).ok_or_else(|| {
        unauthenticated("the request has no X-MS-CLIENT-PRINCIPAL header; sign in through App Service authentication")
    })?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(value.as_bytes().trim_ascii())
        .map_err(|_| unauthenticated("the X-MS-CLIENT-PRINCIPAL header is not base64"))?;
    let principal: Principal = serde_json::from_slice(&bytes)
        .map_err(|_| unauthenticated("the X-MS-CLIENT-PRINCIPAL header is not a client principal"))?;
    let role_type = principal.role_typ.as_deref().unwrap_or("roles");
    let mut claims = Map::new();
    let mut roles = Vec::new();
    for claim in principal.claims {
        if claim.typ == role_type || claim.typ == "roles" {
            roles.push(Value::String(claim.val));
            continue;
        }
        if claim.typ == OBJECT_ID_CLAIM_TYPE {
            claims.insert("oid".to_owned(), Value::String(claim.val.clone()));
        }
        claims.entry(claim.typ).or_insert(Value::String(claim.val));
    }
    claims.insert("roles".to_owned(), Value::Array(roles));
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(principal: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let encoded = base64::engine::general_purpose::STANDARD.encode(principal);
        headers.insert(HEADER, HeaderValue::from_str(&encoded).expect("header"));
        headers
    }

    #[test]
    fn object_id_and_roles_read() {
        let principal = format!(
            r#"{{"auth_typ":"aad","name_typ":"name","role_typ":"http://schemas.microsoft.com/ws/2008/06/identity/claims/role",
               "claims":[{{"typ":"{OBJECT_ID_CLAIM_TYPE}","val":"0b1c"}},{{"typ":"name","val":"Ana"}},
               {{"typ":"http://schemas.microsoft.com/ws/2008/06/identity/claims/role","val":"Usage.ReadAll"}},
               {{"typ":"roles","val":"Other"}}]}}"#
        );
        let claims = claims(&headers(&principal)).expect("claims");
        assert_eq!(claims["oid"], "0b1c");
        assert_eq!(claims["name"], "Ana");
        assert_eq!(claims["roles"], serde_json::json!(["Usage.ReadAll", "Other"]));
    }

    #[test]
    fn missing_or_garbled_header_is_unauthenticated() {
        assert!(matches!(claims(&HeaderMap::new()), Err(AuthError::Unauthenticated(_))));
        let mut garbled = HeaderMap::new();
        garbled.insert(HEADER, HeaderValue::from_static("not base64!"));
        assert!(matches!(claims(&garbled), Err(AuthError::Unauthenticated(_))));
        assert!(matches!(claims(&headers("[1,2]")), Err(AuthError::Unauthenticated(_))));
    }
}
