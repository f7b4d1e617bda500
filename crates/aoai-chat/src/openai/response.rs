//! Reads a chat completion and its `usage` block.

use aoai_core::TokenUsage;
use serde_json::Value;

use crate::error::ChatError;

/// The text, model, id and usage a call returned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Completion {
    pub content: String,
    pub response_model: Option<String>,
    pub response_id: Option<String>,
    /// `None` when the response carried no usage, such as a stream without its usage chunk.
    pub usage: Option<TokenUsage>,
    pub finish_reason: Option<String>,
    /// The categories that cut the completion when the content filter stopped it. The
    /// call is still billed, so its usage is kept.
    pub filtered: Option<Vec<String>>,
}

impl Completion {
    /// Returns the content-filter error of a completion the filter cut.
    pub fn filter_error(&self) -> Option<ChatError> {
        let filters = self.filtered.as_ref()?;
        Some(ChatError::ContentFilter(format!(
            "the completion was cut by the content filter ({}); rephrase the prompt",
            if filters.is_empty() {
                "no category named".to_owned()
            } else {
                filters.join(", ")
            }
        )))
    }
}

/// Reads a non-streamed completion.
pub fn read(text: &str) -> Result<Completion, ChatError> {
    let body: Value = serde_json::from_str(text)
        .map_err(|error| ChatError::Service(format!("the response is not a chat completion: {error}")))?;
    let Some(choice) = body["choices"].as_array().and_then(|choices| choices.first()) else {
        return Err(ChatError::Service(
            "the response has no choices, so it carries no completion".to_owned(),
        ));
    };
    let message = &choice["message"];
    // A model that declines returns a refusal instead of content.
    let content = message["content"]
        .as_str()
        .or_else(|| message["refusal"].as_str())
        .unwrap_or_default()
        .to_owned();
    let finish_reason = non_empty(&choice["finish_reason"]);
    Ok(Completion {
        content,
        response_model: non_empty(&body["model"]),
        response_id: non_empty(&body["id"]),
        usage: read_usage(&body["usage"]),
        filtered: (finish_reason.as_deref() == Some("content_filter"))
            .then(|| filtered_categories(&choice["content_filter_results"])),
        finish_reason,
    })
}

/// Returns the categories of a `content_filter_results` object that filtered.
pub fn filtered_categories(results: &Value) -> Vec<String> {
    results
        .as_object()
        .map(|categories| {
            categories
                .iter()
                .filter(|(_, result)| result["filtered"].as_bool() == Some(true))
                .map(|(name, result)| match result["severity"].as_str() {
                    Some(severity) => format!("{name}: {severity}"),
                    None => name.clone(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Reads a `usage` block; `None` when it is absent or null.
pub fn read_usage(usage: &Value) -> Option<TokenUsage> {
    let count = |value: &Value| value.as_u64();
    let input = count(&usage["prompt_tokens"])?;
    let output = count(&usage["completion_tokens"])?;
    Some(TokenUsage {
        input,
        cached_input: count(&usage["prompt_tokens_details"]["cached_tokens"]).unwrap_or(0),
        output,
        reasoning: count(&usage["completion_tokens_details"]["reasoning_tokens"]).unwrap_or(0),
    })
}

pub fn non_empty(value: &Value) -> Option<String> {
    value.as_str().filter(|text| !text.is_empty()).map(str::to_owned)
}
