//! The Application Insights connection string: `InstrumentationKey=…;IngestionEndpoint=…`.
//!
//! The exporter's own parser turns an `http://` endpoint into `https://`, which breaks a
//! plain-http ingestion endpoint on the loopback address, such as the local usage function.
//! This parser keeps plain http for loopback addresses and upgrades it elsewhere.

use crate::error::ChatError;

/// The default ingestion endpoint of Application Insights.
const DEFAULT_INGESTION_ENDPOINT: &str = "https://dc.services.visualstudio.com";

/// The parts of a connection string the exporter needs.
#[derive(Clone, PartialEq, Eq)]
pub struct ConnectionString {
    pub instrumentation_key: String,
    pub ingestion_endpoint: String,
}

impl std::fmt::Debug for ConnectionString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionString")
            .field("instrumentation_key", &"<hidden>")
            .field("ingestion_endpoint", &self.ingestion_endpoint)
            .finish()
    }
}

impl ConnectionString {
    pub fn parse(text: &str) -> Result<ConnectionString, ChatError> {
        let mut key = None;
        let mut endpoint = None;
        for part in text.split(';').map(str::trim).filter(|part| !part.is_empty()) {
            let Some((name, value)) = part.split_once('=') else {
                return Err(ChatError::Usage(
                    "APPLICATIONINSIGHTS_CONNECTION_STRING has a part without '='; expected \
                     InstrumentationKey=<key>;IngestionEndpoint=<url>"
                        .to_owned(),
                ));
            };
            match name.trim().to_ascii_lowercase().as_str() {
                "instrumentationkey" => key = Some(value.trim().to_owned()),
                "ingestionendpoint" => endpoint = Some(value.trim().to_owned()),
                _ => {}
            }
        }
        let instrumentation_key = key.filter(|key| !key.is_empty()).ok_or_else(|| {
            ChatError::Usage("APPLICATIONINSIGHTS_CONNECTION_STRING has no InstrumentationKey".to_owned())
        })?;
        let endpoint = endpoint.unwrap_or_else(|| DEFAULT_INGESTION_ENDPOINT.to_owned());
        let mut url = url::Url::parse(&endpoint).map_err(|error| {
            ChatError::Usage(format!(
                "the IngestionEndpoint of APPLICATIONINSIGHTS_CONNECTION_STRING is not a URL: {error}"
            ))
        })?;
        let loopback = match url.host() {
            Some(url::Host::Ipv4(address)) => address.is_loopback(),
            Some(url::Host::Ipv6(address)) => address.is_loopback(),
            Some(url::Host::Domain(name)) => name == "localhost",
            None => false,
        };
        if url.scheme() == "http" && !loopback {
            let _ = url.set_scheme("https");
        }
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ChatError::Usage(format!(
                "the IngestionEndpoint scheme '{}' is not http or https",
                url.scheme()
            )));
        }
        Ok(ConnectionString {
            instrumentation_key,
            ingestion_endpoint: url.as_str().trim_end_matches('/').to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_http_kept_other_http_upgraded() {
        let local =
            ConnectionString::parse("InstrumentationKey=abc;IngestionEndpoint=http://127.0.0.1:7072/").expect("valid");
        assert_eq!(local.ingestion_endpoint, "http://127.0.0.1:7072");
        assert_eq!(local.instrumentation_key, "abc");
        let remote = ConnectionString::parse(
            "instrumentationkey=abc;ingestionendpoint=http://westeurope-5.in.applicationinsights.azure.com/",
        )
        .expect("valid");
        assert_eq!(
            remote.ingestion_endpoint,
            "https://westeurope-5.in.applicationinsights.azure.com"
        );
        let default = ConnectionString::parse("InstrumentationKey=abc").expect("valid");
        assert_eq!(default.ingestion_endpoint, DEFAULT_INGESTION_ENDPOINT);
        assert!(ConnectionString::parse("IngestionEndpoint=https://x").is_err());
        assert!(ConnectionString::parse("garbage").is_err());
        assert!(!format!("{local:?}").contains("abc"));
    }
}
