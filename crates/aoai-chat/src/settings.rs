//! The chat app's settings, from the command line and the environment.

use aoai_identity::{CredentialKind, CredentialSettings};

use crate::error::ChatError;

/// The scope of Azure OpenAI tokens.
pub const COGNITIVE_SERVICES_SCOPE: &str = "https://cognitiveservices.azure.com/.default";

pub const HELP: &str = "aoai-chat: chat with Azure OpenAI as a named user, with GenAI telemetry

Usage: aoai-chat --user <id> [options] [<prompt>]
       aoai-chat [options]            asks for the user, then reads prompts line by line

Options (each also read from the environment variable in brackets):
  --user <id>            user the calls are made for; sent as the request's `user` and on
                         every span as `user.id`
  --endpoint <url>       Azure OpenAI or API Management address [AZURE_OPENAI_ENDPOINT]; required
  --deployment <name>    deployment name [AZURE_OPENAI_DEPLOYMENT]; required
  --api-version <v>      a dated API version such as 2024-10-21, which calls
                         {endpoint}/openai/deployments/{deployment}/chat/completions;
                         without it the v1 API {endpoint}/openai/v1/chat/completions is
                         called [AZURE_OPENAI_API_VERSION]
  --system <text>        system message
  --stream               print the answer as it arrives
  --max-tokens <n>       largest completion, in tokens, sent as max_completion_tokens
  --record-content       also record the messages on the spans, as gen_ai.input.messages and
                         gen_ai.output.messages (off by default)
  -h, --help             print this help
  --                     ends the options; the rest is the prompt

Authentication, in this order:
  AZURE_OPENAI_API_KEY   an API key, sent as `api-key`
  AOAI_GATEWAY_SCOPE     through API Management: an Entra ID token for the gateway's audience
  otherwise              an Entra ID token for https://cognitiveservices.azure.com/.default
  APIM_SUBSCRIPTION_KEY  sent as `Ocp-Apim-Subscription-Key` with either Entra ID token
  AZURE_CREDENTIAL       developer_tools (default: az login), managed_identity (with
                         AZURE_CLIENT_ID for a user-assigned identity), workload_identity,
                         or client_secret (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET)

Telemetry:
  APPLICATIONINSIGHTS_CONNECTION_STRING  where spans and the token-usage histogram go; a plain
                         http IngestionEndpoint is kept on loopback and made https elsewhere

Calls: 10 s to connect, 120 s between reads; a throttled or failed call is tried 3 times,
waiting for Retry-After up to 60 s.

Exit codes (of a one-prompt run; an interactive run ends with 0 at end of input):
  0 success             2 invalid settings        3 no token from the credential
  4 refused (401/403)   5 deployment not found     6 throttled beyond the retry limit
  7 content filter      8 network failure or timeout   9 other service error
  130 interrupted (Ctrl-C)";

/// The authentication of requests.
#[derive(Clone)]
pub enum Auth {
    ApiKey(String),
    Entra {
        scope: String,
        credential: CredentialKind,
        settings: CredentialSettings,
        subscription_key: Option<String>,
    },
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ApiKey(_) => f.write_str("ApiKey(<hidden>)"),
            Self::Entra { scope, credential, .. } => write!(f, "Entra({scope}, {})", credential.as_str()),
        }
    }
}

/// All settings of one run.
#[derive(Debug, Clone)]
pub struct Settings {
    pub user: Option<String>,
    pub endpoint: url::Url,
    pub deployment: String,
    pub api_version: Option<String>,
    pub system: Option<String>,
    pub stream: bool,
    pub max_tokens: Option<u64>,
    pub record_content: bool,
    pub prompt: Option<String>,
    pub auth: Auth,
    pub connection_string: Option<String>,
}

/// The outcome of reading the command line.
#[derive(Debug)]
pub enum Parsed {
    Run(Box<Settings>),
    Help,
}

/// Reads the arguments (without the program name) and the environment through `env`.
pub fn parse(arguments: &[String], env: impl Fn(&str) -> Option<String>) -> Result<Parsed, ChatError> {
    let env = |name: &str| {
        env(name)
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
    };
    let mut user = None;
    let mut endpoint = env("AZURE_OPENAI_ENDPOINT");
    let mut deployment = env("AZURE_OPENAI_DEPLOYMENT");
    let mut api_version = env("AZURE_OPENAI_API_VERSION");
    let mut system = None;
    let mut stream = false;
    let mut max_tokens = None;
    let mut record_content = false;
    let mut prompt: Vec<String> = Vec::new();

    let mut rest = arguments.iter();
    while let Some(argument) = rest.next() {
        let mut value = |name: &str| {
            let value = rest
                .next()
                .map(|value| value.trim().to_owned())
                .ok_or_else(|| ChatError::Usage(format!("{name} needs a value; run aoai-chat --help")))?;
            if value.is_empty() || value.starts_with("--") {
                return Err(ChatError::Usage(format!(
                    "{name} needs a value, not '{value}'; run aoai-chat --help"
                )));
            }
            Ok(value)
        };
        match argument.as_str() {
            "--help" | "-h" => return Ok(Parsed::Help),
            "--user" => user = Some(value("--user")?),
            "--endpoint" => endpoint = Some(value("--endpoint")?),
            "--deployment" => deployment = Some(value("--deployment")?),
            "--api-version" => api_version = Some(value("--api-version")?),
            "--system" => system = Some(value("--system")?),
            "--stream" => stream = true,
            "--record-content" => record_content = true,
            "--max-tokens" => {
                let text = value("--max-tokens")?;
                max_tokens = Some(text.parse::<u64>().ok().filter(|tokens| *tokens > 0).ok_or_else(|| {
                    ChatError::Usage(format!("--max-tokens '{text}' is not a whole number of tokens above 0"))
                })?);
            }
            "--" => prompt.extend(rest.by_ref().cloned()),
            other if other.starts_with("--") => {
                return Err(ChatError::Usage(format!(
                    "unknown option '{other}'; run aoai-chat --help"
                )));
            }
            other => prompt.push(other.to_owned()),
        }
    }

    let endpoint = endpoint.ok_or_else(|| {
        ChatError::Usage(
            "no endpoint: pass --endpoint or set AZURE_OPENAI_ENDPOINT, such as https://contoso.openai.azure.com"
                .to_owned(),
        )
    })?;
    let endpoint = check_endpoint(&endpoint)?;
    let deployment = deployment.ok_or_else(|| {
        ChatError::Usage(
            "no deployment: pass --deployment or set AZURE_OPENAI_DEPLOYMENT; list them with \
             az cognitiveservices account deployment list -g <resource group> -n <account>"
                .to_owned(),
        )
    })?;
    // Azure deployment names are letters, digits, '-', '_' and '.', so they fit a URL path as they are.
    if deployment.is_empty()
        || !deployment
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"-_.".contains(&byte))
    {
        return Err(ChatError::Usage(format!(
            "deployment '{deployment}' is not a deployment name: use letters, digits, '-', '_' and '.'"
        )));
    }
    if let Some(version) = &api_version
        && (version.is_empty() || !version.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-'))
    {
        return Err(ChatError::Usage(format!(
            "--api-version '{version}' is not a version such as 2024-10-21"
        )));
    }
    let credential = match env("AZURE_CREDENTIAL") {
        None => CredentialKind::DeveloperTools,
        Some(text) => CredentialKind::parse(&text).ok_or_else(|| {
            ChatError::Usage(format!(
                "AZURE_CREDENTIAL '{text}' is not one of {}",
                CredentialKind::NAMES
            ))
        })?,
    };
    let credential_settings = CredentialSettings {
        client_id: env("AZURE_CLIENT_ID"),
        tenant_id: env("AZURE_TENANT_ID"),
        client_secret: env("AZURE_CLIENT_SECRET"),
    };
    let auth = match (env("AZURE_OPENAI_API_KEY"), env("AOAI_GATEWAY_SCOPE")) {
        (Some(key), _) => Auth::ApiKey(key),
        (None, Some(scope)) => Auth::Entra {
            scope,
            credential,
            settings: credential_settings,
            subscription_key: env("APIM_SUBSCRIPTION_KEY"),
        },
        (None, None) => Auth::Entra {
            scope: COGNITIVE_SERVICES_SCOPE.to_owned(),
            credential,
            settings: credential_settings,
            subscription_key: env("APIM_SUBSCRIPTION_KEY"),
        },
    };
    Ok(Parsed::Run(Box::new(Settings {
        user,
        endpoint,
        deployment,
        api_version,
        system,
        stream,
        max_tokens,
        record_content,
        prompt: (!prompt.is_empty()).then(|| prompt.join(" ")),
        auth,
        connection_string: env("APPLICATIONINSIGHTS_CONNECTION_STRING"),
    })))
}

/// Accepts an https address, or plain http on the loopback address.
fn check_endpoint(text: &str) -> Result<url::Url, ChatError> {
    let url =
        url::Url::parse(text).map_err(|error| ChatError::Usage(format!("endpoint '{text}' is not a URL: {error}")))?;
    let loopback = match url.host() {
        Some(url::Host::Ipv4(address)) => address.is_loopback(),
        Some(url::Host::Ipv6(address)) => address.is_loopback(),
        Some(url::Host::Domain(name)) => name == "localhost",
        None => false,
    };
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ChatError::Usage(format!(
            "endpoint '{text}' must have no query or fragment; give the resource address only"
        )));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback => Ok(url),
        _ => Err(ChatError::Usage(format!(
            "endpoint '{text}' must be https (plain http only on the loopback address)"
        ))),
    }
}
