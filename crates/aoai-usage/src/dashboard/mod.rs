//! The dashboard: `GET /api/dashboard` serves a page, its script and its style, embedded in
//! the binary. The script fetches `/api/usage` from the same origin and draws everything itself,
//! so the page contacts no other host and runs under a strict Content-Security-Policy.

use axum::extract::RawQuery;
use axum::http::header;
use axum::response::{IntoResponse, Response};

const PAGE: &str = include_str!("assets/index.html");
const SCRIPT: &str = include_str!("assets/app.js");
const STYLE: &str = include_str!("assets/app.css");

/// Allows only this origin's script, style and requests, no frames and no forms elsewhere.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

fn headers(content_type: &'static str) -> [(header::HeaderName, &'static str); 4] {
    [
        (header::CONTENT_TYPE, content_type),
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::CACHE_CONTROL, "no-cache"),
    ]
}

/// The keys a request came with (the function key `code`, or API Management's
/// `subscription-key`), so that the page's own requests carry them too.
fn key_suffix(query: Option<&str>) -> String {
    let mut suffix = url::form_urlencoded::Serializer::new(String::new());
    let mut any = false;
    for (name, key) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if name == "code" || name == "subscription-key" {
            suffix.append_pair(&name, &key);
            any = true;
        }
    }
    if any {
        format!("?{}", suffix.finish())
    } else {
        String::new()
    }
}

pub async fn page(RawQuery(query): RawQuery) -> Response {
    let body = PAGE.replace("{{KEY}}", &key_suffix(query.as_deref()));
    (headers("text/html; charset=utf-8"), body).into_response()
}

pub async fn script() -> Response {
    (headers("text/javascript; charset=utf-8"), SCRIPT).into_response()
}

pub async fn style() -> Response {
    (headers("text/css; charset=utf-8"), STYLE).into_response()
}
