//! Rules every outgoing request of the catalog follows.

/// The maximum number of redirects a request follows.
const MAX_REDIRECTS: usize = 5;

/// Follows a redirect only to an `https` address, or to plain `http` on the loopback
/// address, as the configured addresses themselves must be.
pub fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        if attempt.previous().len() >= MAX_REDIRECTS {
            return attempt.error(format!("more than {MAX_REDIRECTS} redirects"));
        }
        if is_allowed(attempt.url()) {
            attempt.follow()
        } else {
            let target = redact(attempt.url().as_str());
            attempt.error(format!(
                "redirect to {target} refused: only https, or http on the loopback address"
            ))
        }
    })
}

/// True for `https` addresses and plain `http` ones on the loopback address.
pub fn is_allowed(url: &url::Url) -> bool {
    let loopback = match url.host() {
        Some(url::Host::Ipv4(address)) => address.is_loopback(),
        Some(url::Host::Ipv6(address)) => address.is_loopback(),
        Some(url::Host::Domain(name)) => name == "localhost",
        None => false,
    };
    match url.scheme() {
        "https" => true,
        "http" => loopback,
        _ => false,
    }
}

/// Returns an error's message followed by those of its sources, which often hold the cause.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

/// Returns `url` without user name, password and query, which may hold credentials, for
/// errors and logs.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            if parsed.query().is_some() {
                parsed.set_query(Some("redacted"));
            }
            parsed.to_string()
        }
        // Text that is not a URL is shown unless it could hold credentials.
        Err(_) if url.contains(['@', '?']) => "<invalid URL>".to_owned(),
        Err(_) => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_removes_credentials() {
        assert_eq!(
            redact("http://admin:hunter2@127.0.0.1:8200/page?sig=TOPSECRET"),
            "http://127.0.0.1:8200/page?redacted"
        );
        assert_eq!(redact("https://example.com/prices"), "https://example.com/prices");
    }

    #[test]
    fn only_https_or_loopback_http_allowed() {
        for (text, allowed) in [
            ("https://prices.azure.com/api", true),
            ("http://127.0.0.1:9/x", true),
            ("http://[::1]:9/x", true),
            ("http://localhost/x", true),
            ("http://prices.azure.com/api", false),
            ("ftp://127.0.0.1/x", false),
        ] {
            let url = url::Url::parse(text).expect("URL");
            assert_eq!(is_allowed(&url), allowed, "{text}");
        }
    }
}
