//! Chat completions on Azure OpenAI, directly or through API Management.

mod response;
mod stream;

use std::sync::Arc;
use std::time::Duration;

use azure_core::credentials::TokenCredential;
use serde_json::{Value, json};

pub use response::Completion;

use crate::error::ChatError;
use crate::settings::{Auth, Settings};

/// Attempts of a throttled or failed call, counting the first.
const ATTEMPTS: u32 = 3;
/// The maximum `Retry-After` waited for; a longer one ends the call.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);

/// One message of the conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub role: &'static str,
    pub content: String,
}

/// A client of one deployment.
#[derive(Debug, Clone)]
pub struct ChatClient {
    settings: Settings,
    http: reqwest::Client,
    credential: Option<Arc<dyn TokenCredential>>,
}

impl ChatClient {
    pub fn new(settings: Settings) -> Result<ChatClient, ChatError> {
        let credential = match &settings.auth {
            Auth::ApiKey(_) => None,
            Auth::Entra {
                credential,
                settings: values,
                ..
            } => Some(aoai_identity::build(*credential, values).map_err(ChatError::Credential)?),
        };
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .read_timeout(Duration::from_secs(120))
            .build()
            .map_err(|error| ChatError::Network(format!("failed to build the HTTP client: {error}")))?;
        Ok(ChatClient {
            settings,
            http,
            credential,
        })
    }

    /// Returns the address calls go to.
    pub fn url(&self) -> String {
        let base = self.settings.endpoint.as_str().trim_end_matches('/');
        match &self.settings.api_version {
            None => format!("{base}/openai/v1/chat/completions"),
            Some(version) => format!(
                "{base}/openai/deployments/{}/chat/completions?api-version={version}",
                url::form_urlencoded::byte_serialize(self.settings.deployment.as_bytes()).collect::<String>()
            ),
        }
    }

    pub fn server_address(&self) -> String {
        self.settings.endpoint.host_str().unwrap_or_default().to_owned()
    }

    fn body(&self, messages: &[Message], user: &str) -> Value {
        let messages: Vec<Value> = messages
            .iter()
            .map(|message| json!({"role": message.role, "content": message.content}))
            .collect();
        let mut body = json!({ "messages": messages, "user": user });
        if self.settings.api_version.is_none() {
            body["model"] = json!(self.settings.deployment);
        }
        if let Some(tokens) = self.settings.max_tokens {
            body["max_completion_tokens"] = json!(tokens);
        }
        if self.settings.stream {
            body["stream"] = json!(true);
            body["stream_options"] = json!({"include_usage": true});
        }
        body
    }

    async fn headers(&self) -> Result<Vec<(&'static str, String)>, ChatError> {
        Ok(match (&self.settings.auth, &self.credential) {
            (Auth::ApiKey(key), _) => vec![("api-key", key.clone())],
            (
                Auth::Entra {
                    scope,
                    credential: kind,
                    subscription_key,
                    ..
                },
                Some(credential),
            ) => {
                let token = credential.get_token(&[scope.as_str()], None).await.map_err(|error| {
                    ChatError::Credential(format!(
                        "the {} credential could not get a token for scope {scope}: {error}. Run az login, or set \
                         AZURE_CREDENTIAL or AZURE_OPENAI_API_KEY",
                        kind.as_str()
                    ))
                })?;
                let mut headers = vec![("authorization", format!("Bearer {}", token.token.secret()))];
                if let Some(key) = subscription_key {
                    headers.push(("ocp-apim-subscription-key", key.clone()));
                }
                headers
            }
            (Auth::Entra { .. }, None) => {
                return Err(ChatError::Credential("no credential was created".to_owned()));
            }
        })
    }

    /// Sends the conversation and returns the completion. With streaming, `on_text` gets each
    /// piece of text as it arrives.
    pub async fn complete(
        &self,
        messages: &[Message],
        user: &str,
        mut on_text: impl FnMut(&str),
    ) -> Result<Completion, ChatError> {
        let body = self.body(messages, user);
        let url = self.url();
        for attempt in 1..=ATTEMPTS {
            let mut request = self.http.post(&url).json(&body);
            for (name, value) in self.headers().await? {
                request = request.header(name, value);
            }
            let response = request.send().await.map_err(|error| {
                ChatError::Network(format!(
                    "the call to {} failed: {}. Check the endpoint and the network",
                    self.server_address(),
                    describe_network_error(&error)
                ))
            })?;
            let status = response.status();
            let event_stream = response
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|value| value.to_str().ok())
                .is_some_and(|value| value.starts_with("text/event-stream"));
            if status.is_success() {
                // A service that sends one JSON body for a stream request is read as such.
                return if self.settings.stream && event_stream {
                    stream::read(response, &mut on_text).await
                } else {
                    let text = response
                        .text()
                        .await
                        .map_err(|error| ChatError::Network(format!("the response could not be read: {error}")))?;
                    let completion = response::read(&text)?;
                    if self.settings.stream {
                        on_text(&completion.content);
                    }
                    Ok(completion)
                };
            }
            let wait = retry_after(response.headers());
            let text = response.text().await.unwrap_or_default();
            let retryable = status.as_u16() == 429 || status.is_server_error();
            if retryable && attempt < ATTEMPTS {
                let pause = wait.unwrap_or(Duration::from_millis(500 * u64::from(attempt)));
                if pause <= MAX_RETRY_WAIT {
                    eprintln!("(HTTP {}; retrying in {} ms)", status.as_u16(), pause.as_millis());
                    tokio::time::sleep(pause).await;
                    continue;
                }
            }
            return Err(self.failure(status.as_u16(), &text, wait, attempt));
        }
        Err(ChatError::Service("the call failed on every attempt".to_owned()))
    }

    fn failure(&self, status: u16, body: &str, wait: Option<Duration>, attempts: u32) -> ChatError {
        let error: Value = serde_json::from_str(body).unwrap_or(Value::Null);
        let code = error["error"]["code"].as_str().unwrap_or_default();
        let message = error["error"]["message"]
            .as_str()
            .unwrap_or(body)
            .chars()
            .take(500)
            .collect::<String>();
        let deployment = &self.settings.deployment;
        match status {
            401 | 403 => ChatError::Refused(match &self.settings.auth {
                Auth::ApiKey(_) => format!(
                    "the service refused the call (HTTP {status}: {message}). Check AZURE_OPENAI_API_KEY: it \
                     must be a key of this Azure OpenAI resource, and the resource must allow key access"
                ),
                Auth::Entra { .. } => format!(
                    "the service refused the call (HTTP {status}: {message}). The identity needs the role \
                     Cognitive Services OpenAI User on the Azure OpenAI resource; through API Management, the \
                     gateway must accept the token's audience and subscription key"
                ),
            }),
            404 => ChatError::NotFound(format!(
                "deployment '{deployment}' was not found at {} (HTTP 404: {message}). List the deployments with \
                 az cognitiveservices account deployment list -g <resource group> -n <account>",
                self.server_address()
            )),
            429 => ChatError::Throttled(format!(
                "the deployment is throttling calls after {attempts} attempt{}{}; try again later or raise its quota",
                if attempts == 1 { "" } else { "s" },
                wait.map(|wait| {
                    if wait > MAX_RETRY_WAIT {
                        format!(
                            " (it asked to wait {} ms, longer than the {} s this app waits)",
                            wait.as_millis(),
                            MAX_RETRY_WAIT.as_secs()
                        )
                    } else {
                        format!(" (it asked to wait {} ms)", wait.as_millis())
                    }
                })
                .unwrap_or_default()
            )),
            400 if code == "content_filter" => {
                let filters = response::filtered_categories(&error["error"]["innererror"]["content_filter_result"]);
                ChatError::ContentFilter(format!(
                    "the prompt was blocked by the content filter ({}); rephrase it",
                    if filters.is_empty() {
                        "no category named".to_owned()
                    } else {
                        filters.join(", ")
                    }
                ))
            }
            _ if code.is_empty() => ChatError::Service(format!("the call failed with HTTP {status}: {message}")),
            _ => ChatError::Service(format!("the call failed with HTTP {status} ({code}): {message}")),
        }
    }
}

/// Reads `retry-after-ms`, or `Retry-After` as seconds or an HTTP date. A value too large
/// to read waits longer than this app does.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let text = |name: &str| headers.get(name).and_then(|value| value.to_str().ok()).map(str::trim);
    if let Some(value) = text("retry-after-ms") {
        return Some(value.parse::<u64>().map_or(Duration::MAX, Duration::from_millis));
    }
    let value = text("retry-after")?;
    if value.bytes().all(|byte| byte.is_ascii_digit()) {
        return Some(value.parse::<u64>().map_or(Duration::MAX, Duration::from_secs));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    Some(
        (date.with_timezone(&chrono::Utc) - chrono::Utc::now())
            .to_std()
            .unwrap_or(Duration::ZERO),
    )
}

/// Describes a failed request by its cause: a timeout, a refused connection, or the
/// innermost error.
pub fn describe_network_error(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        return "timed out (10 s to connect, 120 s between reads)".to_owned();
    }
    let mut cause: &dyn std::error::Error = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    if error.is_connect() {
        format!("could not connect ({cause})")
    } else {
        cause.to_string()
    }
}
