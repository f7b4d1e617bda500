//! Access control of the usage routes: Entra ID bearer tokens validated against a stand-in of
//! the tenant's signing keys on the loopback address, and App Service authentication's
//! principal header. A caller reads only their own usage unless they hold the reader role.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeyPair;
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine;
use serde_json::{Value, json};
use support::{Span, Usage};

const TENANT: &str = "7d1f0c2a-5b3e-4c6d-8e9f-a0b1c2d3e4f5";
const AUDIENCE: &str = "api://aoai-meter-usage";
const ANA: &str = "0b1c2d3e-0000-4000-8000-00000000000a";
const BO: &str = "0b1c2d3e-0000-4000-8000-00000000000b";

fn base64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Reads the modulus and exponent of an RSAPublicKey DER (RFC 8017): a sequence of two
/// integers, each without its sign byte.
fn modulus_and_exponent(der: &[u8]) -> (Vec<u8>, Vec<u8>) {
    fn element(bytes: &[u8]) -> (u8, &[u8], &[u8]) {
        let tag = bytes[0];
        let (length, start) = if bytes[1] < 0x80 {
            (usize::from(bytes[1]), 2)
        } else {
            let count = usize::from(bytes[1] & 0x7f);
            let length = bytes[2..2 + count]
                .iter()
                .fold(0usize, |length, byte| (length << 8) | usize::from(*byte));
            (length, 2 + count)
        };
        (tag, &bytes[start..start + length], &bytes[start + length..])
    }
    let (tag, sequence, _) = element(der);
    assert_eq!(tag, 0x30, "RSAPublicKey is a sequence");
    let (_, modulus, rest) = element(sequence);
    let (_, exponent, _) = element(rest);
    let strip = |integer: &[u8]| integer.iter().skip_while(|byte| **byte == 0).copied().collect();
    (strip(modulus), strip(exponent))
}

/// A signing key of the stand-in tenant.
struct Signer {
    kid: String,
    pair: KeyPair,
}

impl Signer {
    fn new(kid: &str) -> Signer {
        Signer {
            kid: kid.to_owned(),
            pair: KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).expect("RSA key"),
        }
    }

    fn jwk(&self) -> Value {
        let (n, e) = modulus_and_exponent(self.pair.public_key().as_ref());
        json!({"kty": "RSA", "use": "sig", "kid": self.kid, "n": base64url(&n), "e": base64url(&e)})
    }

    /// Signs `claims` with RS256, or with the header `alg` given.
    fn token_with(&self, alg: &str, claims: &Value) -> String {
        let header = json!({"typ": "JWT", "alg": alg, "kid": self.kid});
        let signing_input = format!(
            "{}.{}",
            base64url(header.to_string().as_bytes()),
            base64url(claims.to_string().as_bytes())
        );
        let mut signature = vec![0; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                signing_input.as_bytes(),
                &mut signature,
            )
            .expect("sign");
        format!("{signing_input}.{}", base64url(&signature))
    }

    fn token(&self, claims: &Value) -> String {
        self.token_with("RS256", claims)
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn claims(oid: &str, roles: &[&str]) -> Value {
    json!({
        "aud": AUDIENCE,
        "iss": format!("https://sts.windows.net/{TENANT}/"),
        "iat": now() - 60,
        "nbf": now() - 60,
        "exp": now() + 3600,
        "oid": oid,
        "tid": TENANT,
        "roles": roles,
    })
}

/// The tenant's key document on the loopback address, counting its fetches. It serves
/// `keys` until `fail` is set, then fails with 500.
struct KeyServer {
    url: String,
    fetches: Arc<AtomicUsize>,
    keys: Arc<std::sync::Mutex<Value>>,
    fail: Arc<std::sync::atomic::AtomicBool>,
}

impl KeyServer {
    async fn start(keys: Value) -> KeyServer {
        let fetches = Arc::new(AtomicUsize::new(0));
        let keys = Arc::new(std::sync::Mutex::new(keys));
        let fail = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let (count, served, failing) = (fetches.clone(), keys.clone(), fail.clone());
        let path = format!("/{TENANT}/discovery/v2.0/keys");
        let app = axum::Router::new().route(
            &path,
            axum::routing::get(move || {
                let (count, served, failing) = (count.clone(), served.clone(), failing.clone());
                async move {
                    count.fetch_add(1, Ordering::SeqCst);
                    if failing.load(Ordering::SeqCst) {
                        return (StatusCode::INTERNAL_SERVER_ERROR, "down".to_owned());
                    }
                    let body = served.lock().expect("keys").to_string();
                    (StatusCode::OK, body)
                }
            }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        KeyServer {
            url,
            fetches,
            keys,
            fail,
        }
    }
}

async fn usage_with_entra(test: &str, server: &KeyServer) -> Usage {
    let usage = Usage::with(
        test,
        &[
            ("USAGE_AUTH", "entra"),
            ("USAGE_AUTH_TENANT_ID", TENANT),
            ("USAGE_AUTH_AUDIENCE", AUDIENCE),
            ("USAGE_AUTH_AUTHORITY_HOST", &server.url),
        ],
    );
    usage
        .track(&[
            Span::chat("chat-global", 1000, 100).user(Some(ANA)).envelope(),
            Span::chat("chat-global", 2000, 200).user(Some(BO)).envelope(),
        ])
        .await;
    usage
}

async fn get(usage: &Usage, path: &str, headers: &[(&str, &str)]) -> (StatusCode, Value, Option<String>) {
    let mut request = Request::get(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = tower::ServiceExt::oneshot(
        aoai_usage::api::app(usage.state.clone()),
        request.body(Body::empty()).expect("request"),
    )
    .await
    .expect("router answers");
    let status = response.status();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|value| value.to_str().unwrap_or_default().to_owned());
    let bytes = http_body_util::BodyExt::collect(response.into_body())
        .await
        .expect("body")
        .to_bytes();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, body, challenge)
}

fn users(body: &Value) -> Vec<String> {
    body["rows"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .filter_map(|row| row["user"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

const MONTH: &str = "/api/usage?group_by=user&from=2026-08-01&to=2026-09-01";

#[tokio::test]
async fn entra_callers_read_only_their_own_usage() {
    let signer = Signer::new("key-1");
    let server = KeyServer::start(json!({"keys": [signer.jwk()]})).await;
    let usage = usage_with_entra("auth-entra", &server).await;
    let month = MONTH.to_owned();

    let bearer = |token: &str| format!("Bearer {token}");
    let ana = bearer(&signer.token(&claims(ANA, &[])));
    let (status, body, _) = get(&usage, &month, &[("authorization", &ana)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(users(&body), [ANA], "a caller sees only their own rows");
    assert_eq!(body["total"]["input_tokens"], 1000);

    let upper = month.clone() + "&user=" + &ANA.to_uppercase();
    let (status, _, _) = get(&usage, &upper, &[("authorization", &ana)]).await;
    assert_eq!(status, StatusCode::OK, "a caller may name themselves in any case");

    let other = month.clone() + "&user=" + BO;
    let (status, body, _) = get(&usage, &other, &[("authorization", &ana)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "forbidden");
    assert!(
        body["error"]["message"].as_str().unwrap_or_default().contains(BO),
        "{body}"
    );

    let reader = bearer(&signer.token(&claims(ANA, &["Usage.ReadAll"])));
    let (status, body, _) = get(&usage, &month, &[("authorization", &reader)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut everyone = users(&body);
    everyone.sort();
    assert_eq!(everyone, [ANA, BO], "the reader role sees everyone");
    let (status, _, _) = get(&usage, &other, &[("authorization", &reader)]).await;
    assert_eq!(status, StatusCode::OK);

    let (status, _, _) = get(&usage, "/api/dashboard", &[("authorization", &ana)]).await;
    assert_eq!(status, StatusCode::OK, "the dashboard opens for a signed-in caller");
    let (status, _, _) = get(&usage, "/api/usage/queries?user=someone", &[("authorization", &ana)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        server.fetches.load(Ordering::SeqCst),
        1,
        "the key set is fetched once and kept"
    );
}

#[tokio::test]
async fn entra_refuses_invalid_tokens() {
    let signer = Signer::new("key-1");
    let stranger = Signer::new("key-1");
    let server = KeyServer::start(json!({"keys": [signer.jwk()]})).await;
    let usage = usage_with_entra("auth-entra-invalid", &server).await;

    let with = |change: &dyn Fn(&mut Value)| {
        let mut claims = claims(ANA, &[]);
        change(&mut claims);
        signer.token(&claims)
    };
    let valid = signer.token(&claims(ANA, &[]));
    let (head, rest) = valid.split_once('.').expect("token");
    let (_, signature) = rest.split_once('.').expect("token");
    let forged_claims = claims(BO, &["Usage.ReadAll"]);
    let forged = format!("{head}.{}.{signature}", base64url(forged_claims.to_string().as_bytes()));
    let cases: Vec<(&str, String)> = vec![
        ("expired", with(&|claims| claims["exp"] = json!(now() - 3600))),
        ("not valid yet", with(&|claims| claims["nbf"] = json!(now() + 3600))),
        ("another audience", with(&|claims| claims["aud"] = json!("api://other"))),
        (
            "another tenant",
            with(&|claims| claims["iss"] = json!("https://sts.windows.net/00000000-0000-0000-0000-000000000000/")),
        ),
        (
            "no user claim",
            with(&|claims| {
                claims
                    .as_object_mut()
                    .map(|map| map.remove("oid"))
                    .map(drop)
                    .unwrap_or_default()
            }),
        ),
        (
            "signed by another key with the same id",
            stranger.token(&claims(ANA, &[])),
        ),
        ("claims changed after signing", forged),
        ("HS256 header", signer.token_with("HS256", &claims(ANA, &[]))),
        (
            "alg none",
            format!(
                "{}.{}.",
                base64url(br#"{"alg":"none","kid":"key-1"}"#),
                base64url(claims(ANA, &[]).to_string().as_bytes())
            ),
        ),
        ("not a JWT", "abc".to_owned()),
    ];
    for (case, token) in cases {
        let header = format!("Bearer {token}");
        let (status, body, challenge) = get(&usage, MONTH, &[("authorization", &header)]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{case}: {body}");
        assert_eq!(body["error"]["code"], "unauthenticated", "{case}");
        assert_eq!(challenge.as_deref(), Some("Bearer"), "{case}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(
            !message.contains(&token[..token.len().min(20)]) || token.len() < 20,
            "{case}: the token is echoed: {message}"
        );
    }
    for headers in [
        vec![],
        vec![("authorization", "Basic YTpi")],
        vec![("authorization", "Bearer ")],
    ] {
        let (status, _, _) = get(&usage, MONTH, &headers).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{headers:?}");
    }
    let (status, _, _) = get(&usage, "/", &[]).await;
    assert_eq!(status, StatusCode::OK, "readiness needs no caller");
}

#[tokio::test]
async fn entra_key_rollover_and_fetch_failure() {
    let old = Signer::new("old");
    let new = Signer::new("new");
    let server = KeyServer::start(json!({"keys": [old.jwk()]})).await;
    let usage = usage_with_entra("auth-entra-keys", &server).await;
    let bearer = |signer: &Signer| format!("Bearer {}", signer.token(&claims(ANA, &[])));

    let (status, _, _) = get(&usage, MONTH, &[("authorization", &bearer(&old))]).await;
    assert_eq!(status, StatusCode::OK);
    // A token of a key the set lacks makes one fetch; the set has not changed yet, so no
    // further fetch happens for five minutes.
    let (status, _, _) = get(&usage, MONTH, &[("authorization", &bearer(&new))]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        server.fetches.load(Ordering::SeqCst),
        1,
        "the first fetch is recent, so none is made"
    );

    let fresh = KeyServer::start(json!({"keys": [old.jwk(), new.jwk()]})).await;
    let usage = usage_with_entra("auth-entra-keys-2", &fresh).await;
    let (status, _, _) = get(&usage, MONTH, &[("authorization", &bearer(&new))]).await;
    assert_eq!(status, StatusCode::OK, "a new key is found in the set");

    let down = KeyServer::start(json!({"keys": []})).await;
    down.fail.store(true, Ordering::SeqCst);
    let usage = usage_with_entra("auth-entra-keys-down", &down).await;
    let (status, body, _) = get(&usage, MONTH, &[("authorization", &bearer(&old))]).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("signing keys"),
        "{body}"
    );
    // Later requests fail at once for a while, without a fetch each.
    for _ in 0..3 {
        let (status, _, _) = get(&usage, MONTH, &[("authorization", &bearer(&new))]).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    }
    assert_eq!(
        down.fetches.load(Ordering::SeqCst),
        1,
        "one fetch after a failure, not one per request"
    );
    *down.keys.lock().expect("keys") = json!({"keys": [old.jwk()]});
}

#[tokio::test]
async fn easyauth_principal_scopes_the_caller() {
    let usage = Usage::with("auth-easyauth", &[("USAGE_AUTH", "easyauth")]);
    usage
        .track(&[
            Span::chat("chat-global", 1000, 100).user(Some(ANA)).envelope(),
            Span::chat("chat-global", 2000, 200).user(Some(BO)).envelope(),
        ])
        .await;
    let principal = |oid: &str, roles: &[&str]| {
        let mut claims =
            vec![json!({"typ": "http://schemas.microsoft.com/identity/claims/objectidentifier", "val": oid})];
        claims.extend(roles.iter().map(|role| json!({"typ": "roles", "val": role})));
        base64::engine::general_purpose::STANDARD
            .encode(json!({"auth_typ": "aad", "claims": claims, "name_typ": "name", "role_typ": "roles"}).to_string())
    };

    let (status, body, _) = get(&usage, MONTH, &[("x-ms-client-principal", &principal(BO, &[]))]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(users(&body), [BO]);

    let (status, body, _) = get(
        &usage,
        MONTH,
        &[("x-ms-client-principal", &principal(BO, &["Usage.ReadAll"]))],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(users(&body).len(), 2);
    let (status, _, challenge) = get(&usage, MONTH, &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        challenge, None,
        "App Service authentication signs callers in, not a bearer challenge"
    );
    let (status, _, _) = get(
        &usage,
        &(MONTH.to_owned() + "&user=" + ANA),
        &[("x-ms-client-principal", &principal(BO, &[]))],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn easyauth_user_case_and_unattributed() {
    let usage = Usage::with("auth-case", &[("USAGE_AUTH", "easyauth")]);
    usage
        .track(&[
            Span::chat("chat-global", 1000, 100)
                .user(Some("Émile@contoso.com"))
                .envelope(),
            Span::chat("chat-global", 2000, 200).user(None).envelope(),
        ])
        .await;
    let principal = |oid: &str| {
        let claims = vec![json!({"typ": "http://schemas.microsoft.com/identity/claims/objectidentifier", "val": oid})];
        base64::engine::general_purpose::STANDARD
            .encode(json!({"auth_typ": "aad", "claims": claims, "role_typ": "roles"}).to_string())
    };
    for oid in ["ÉMILE@contoso.com", "émile@contoso.com", " Émile@Contoso.com "] {
        let (status, body, _) = get(&usage, MONTH, &[("x-ms-client-principal", &principal(oid))]).await;
        assert_eq!(status, StatusCode::OK, "{oid}: {body}");
        assert_eq!(users(&body), ["émile@contoso.com"], "{oid}");
        let own = MONTH.to_owned() + "&user=%C3%89MILE%40contoso.com";
        let (status, body, _) = get(&usage, &own, &[("x-ms-client-principal", &principal(oid))]).await;
        assert_eq!(status, StatusCode::OK, "{oid}: {body}");
        assert_eq!(body["total"]["requests"], 1, "{oid}");
    }
    for oid in ["(unattributed)", " (UNATTRIBUTED) ", "n/a"] {
        let (status, body, _) = get(&usage, MONTH, &[("x-ms-client-principal", &principal(oid))]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{oid}: {body}");
    }
}
