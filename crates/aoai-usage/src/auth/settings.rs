//! The `USAGE_AUTH*` settings.

use aoai_catalog::sources::SettingError;
use url::Url;

/// The kind of caller check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthMode {
    None,
    Entra(EntraSettings),
    EasyAuth,
}

/// The issuer and audience of accepted Entra ID tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntraSettings {
    pub tenant_id: String,
    /// Accepted `aud` values: the app's client id, its application id URI, or both.
    pub audiences: Vec<String>,
    /// The authority, such as `https://login.microsoftonline.com`, without a trailing slash.
    pub authority_host: String,
}

impl EntraSettings {
    /// Returns the issuers of the tenant's tokens: version 2.0 at the authority, and
    /// version 1.0.
    // NOTE: the version 1.0 issuer is the public cloud's; sovereign clouds issue version 1.0
    // tokens under another host, which this rejects.
    pub fn issuers(&self) -> [String; 2] {
        [
            format!("{}/{}/v2.0", self.authority_host, self.tenant_id),
            format!("https://sts.windows.net/{}/", self.tenant_id),
        ]
    }

    /// Returns the address of the tenant's signing keys.
    pub fn keys_url(&self) -> String {
        format!("{}/{}/discovery/v2.0/keys", self.authority_host, self.tenant_id)
    }
}

/// All settings of the caller check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthSettings {
    pub mode: AuthMode,
    /// The claim whose value is matched against usage's user ids.
    pub user_claim: String,
    /// The app role whose holders read everyone's usage.
    pub reader_role: String,
}

impl AuthSettings {
    pub fn from_lookup(read: &dyn Fn(&str) -> Option<String>) -> Result<AuthSettings, SettingError> {
        let error = |variable: &'static str, value: &str, expected: &str| SettingError {
            variable,
            value: value.to_owned(),
            expected: expected.to_owned(),
        };
        let read = |name: &str| {
            read(name)
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
        };
        let user_claim = read("USAGE_AUTH_USER_CLAIM").unwrap_or_else(|| "oid".to_owned());
        let reader_role = read("USAGE_AUTH_READER_ROLE").unwrap_or_else(|| "Usage.ReadAll".to_owned());
        let mode = match read("USAGE_AUTH").map(|value| value.to_ascii_lowercase()).as_deref() {
            None | Some("none") => AuthMode::None,
            Some("easyauth") => AuthMode::EasyAuth,
            Some("entra") => {
                let tenant_id = read("USAGE_AUTH_TENANT_ID").ok_or_else(|| {
                    error(
                        "USAGE_AUTH_TENANT_ID",
                        "(unset)",
                        "the tenant id (a GUID), which USAGE_AUTH=entra needs",
                    )
                })?;
                if !is_guid(&tenant_id) {
                    return Err(error("USAGE_AUTH_TENANT_ID", &tenant_id, "a tenant id (a GUID)"));
                }
                let audiences: Vec<String> = read("USAGE_AUTH_AUDIENCE")
                    .map(|value| {
                        value
                            .split(',')
                            .map(str::trim)
                            .filter(|audience| !audience.is_empty())
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default();
                if audiences.is_empty() {
                    return Err(error(
                        "USAGE_AUTH_AUDIENCE",
                        "(unset)",
                        "the app's client id or application id URI, which USAGE_AUTH=entra needs",
                    ));
                }
                let host =
                    read("USAGE_AUTH_AUTHORITY_HOST").unwrap_or_else(|| "https://login.microsoftonline.com".to_owned());
                AuthMode::Entra(EntraSettings {
                    tenant_id: tenant_id.to_ascii_lowercase(),
                    audiences,
                    authority_host: authority_host(&host)
                        .map_err(|expected| error("USAGE_AUTH_AUTHORITY_HOST", &host, &expected))?,
                })
            }
            Some(other) => return Err(error("USAGE_AUTH", other, "entra, easyauth or none")),
        };
        Ok(AuthSettings {
            mode,
            user_claim,
            reader_role,
        })
    }
}

/// Checks an authority host: https, or http on loopback for tests, with no credentials, path
/// or query. Returns it without a trailing slash.
fn authority_host(value: &str) -> Result<String, String> {
    let url = Url::parse(value).map_err(|_| "an https URL such as https://login.microsoftonline.com".to_owned())?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    if url.scheme() != "https" && !(url.scheme() == "http" && loopback) {
        return Err("an https URL (plain http only on the loopback address)".to_owned());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("a URL without credentials".to_owned());
    }
    if url.path() != "/" || url.query().is_some() {
        return Err("a host without a path, such as https://login.microsoftonline.com".to_owned());
    }
    Ok(value.trim_end_matches('/').to_owned())
}

fn is_guid(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(part, length)| part.len() == length && part.bytes().all(|byte| byte.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<AuthSettings, SettingError> {
        let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        AuthSettings::from_lookup(&|name| {
            pairs
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
        })
    }

    const TENANT: &str = "72F988BF-86F1-41AF-91AB-2D7CD011DB47";

    #[test]
    fn entra_needs_tenant_and_audience() {
        assert_eq!(settings(&[]).expect("none").mode, AuthMode::None);
        assert_eq!(
            settings(&[("USAGE_AUTH", "EasyAuth")]).expect("easyauth").mode,
            AuthMode::EasyAuth
        );
        let entra = settings(&[
            ("USAGE_AUTH", "entra"),
            ("USAGE_AUTH_TENANT_ID", TENANT),
            (
                "USAGE_AUTH_AUDIENCE",
                "api://usage, 11111111-2222-3333-4444-555555555555",
            ),
            ("USAGE_AUTH_AUTHORITY_HOST", "http://127.0.0.1:9000/"),
        ])
        .expect("entra");
        let AuthMode::Entra(entra) = entra.mode else {
            panic!("entra expected");
        };
        assert_eq!(entra.audiences, ["api://usage", "11111111-2222-3333-4444-555555555555"]);
        assert_eq!(
            entra.keys_url(),
            "http://127.0.0.1:9000/72f988bf-86f1-41af-91ab-2d7cd011db47/discovery/v2.0/keys"
        );
        assert_eq!(
            entra.issuers()[0],
            "http://127.0.0.1:9000/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0"
        );

        for (pairs, variable) in [
            (vec![("USAGE_AUTH", "entra")], "USAGE_AUTH_TENANT_ID"),
            (
                vec![("USAGE_AUTH", "entra"), ("USAGE_AUTH_TENANT_ID", "contoso")],
                "USAGE_AUTH_TENANT_ID",
            ),
            (
                vec![("USAGE_AUTH", "entra"), ("USAGE_AUTH_TENANT_ID", TENANT)],
                "USAGE_AUTH_AUDIENCE",
            ),
            (
                vec![
                    ("USAGE_AUTH", "entra"),
                    ("USAGE_AUTH_TENANT_ID", TENANT),
                    ("USAGE_AUTH_AUDIENCE", "api://usage"),
                    ("USAGE_AUTH_AUTHORITY_HOST", "http://login.example.com"),
                ],
                "USAGE_AUTH_AUTHORITY_HOST",
            ),
            (vec![("USAGE_AUTH", "saml")], "USAGE_AUTH"),
        ] {
            let error = settings(&pairs).expect_err(variable);
            assert_eq!(error.variable, variable, "{error}");
        }
    }
}
