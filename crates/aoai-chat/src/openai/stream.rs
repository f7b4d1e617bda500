//! Reads a streamed completion: server-sent events of `chat.completion.chunk`, ending with
//! `data: [DONE]`. With `include_usage`, the last chunk has empty `choices` and the usage.
//! Azure's first chunk also has empty `choices`, with `prompt_filter_results`, so empty
//! `choices` alone does not mean usage.

use serde_json::Value;

use super::response::{Completion, check_filter, non_empty, read_usage};
use crate::error::ChatError;

/// Reads the events of `response`, calling `on_text` with each piece of text.
pub async fn read(mut response: reqwest::Response, on_text: &mut impl FnMut(&str)) -> Result<Completion, ChatError> {
    let mut completion = Completion::default();
    let mut filter_results = Value::Null;
    let mut pending = String::new();
    loop {
        let chunk = response
            .chunk()
            .await
            .map_err(|error| ChatError::Network(format!("the stream broke off: {error}")))?;
        let Some(chunk) = chunk else {
            break;
        };
        pending.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = pending.find('\n') {
            let line = pending[..end].trim_end_matches('\r').to_owned();
            pending.drain(..=end);
            let Some(data) = line.strip_prefix("data:").map(str::trim) else {
                continue;
            };
            if data == "[DONE]" {
                check_filter(&completion, &filter_results)?;
                return Ok(completion);
            }
            let event: Value = serde_json::from_str(data)
                .map_err(|error| ChatError::Service(format!("a stream event is not JSON: {error}")))?;
            read_event(&event, &mut completion, &mut filter_results, on_text);
        }
    }
    check_filter(&completion, &filter_results)?;
    Ok(completion)
}

fn read_event(event: &Value, completion: &mut Completion, filter_results: &mut Value, on_text: &mut impl FnMut(&str)) {
    if completion.response_model.is_none() {
        completion.response_model = non_empty(&event["model"]);
    }
    if completion.response_id.is_none() {
        completion.response_id = non_empty(&event["id"]);
    }
    if let Some(usage) = read_usage(&event["usage"]) {
        completion.usage = Some(usage);
    }
    for choice in event["choices"].as_array().into_iter().flatten() {
        if let Some(text) = choice["delta"]["content"].as_str().filter(|text| !text.is_empty()) {
            on_text(text);
            completion.content.push_str(text);
        }
        if let Some(reason) = non_empty(&choice["finish_reason"]) {
            completion.finish_reason = Some(reason);
            *filter_results = choice["content_filter_results"].clone();
        }
    }
}
