//! Reads a streamed completion: server-sent events of `chat.completion.chunk`, ending with
//! `data: [DONE]`. With `include_usage`, the last chunk has empty `choices` and the usage.
//! Azure's first chunk also has empty `choices`, with `prompt_filter_results`, so empty
//! `choices` alone does not mean usage.

use serde_json::Value;

use super::response::{Completion, filtered_categories, non_empty, read_usage};
use crate::error::ChatError;

/// Reads the events of `response`, calling `on_text` with each piece of text. Bytes are
/// split into lines before they are decoded, so a character split across network chunks
/// stays whole.
pub async fn read(mut response: reqwest::Response, on_text: &mut impl FnMut(&str)) -> Result<Completion, ChatError> {
    let mut state = State::default();
    let mut pending: Vec<u8> = Vec::new();
    loop {
        let chunk = response.chunk().await.map_err(|error| {
            ChatError::Network(format!(
                "the stream broke off: {}",
                crate::openai::describe_network_error(&error)
            ))
        })?;
        let Some(chunk) = chunk else {
            break;
        };
        pending.extend_from_slice(&chunk);
        while let Some(end) = pending.iter().position(|byte| *byte == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            if state.line(&line, on_text)? {
                return Ok(state.completion);
            }
        }
    }
    // The last event may end without a line break.
    if !pending.is_empty() && state.line(&pending, on_text)? {
        return Ok(state.completion);
    }
    if state.completion.finish_reason.is_none() {
        return Err(ChatError::Network(
            "the stream ended before the completion did (no finish reason and no [DONE]); the completion is incomplete"
                .to_owned(),
        ));
    }
    Ok(state.completion)
}

#[derive(Default)]
struct State {
    completion: Completion,
}

impl State {
    /// Reads one line; returns true at `[DONE]`.
    fn line(&mut self, bytes: &[u8], on_text: &mut impl FnMut(&str)) -> Result<bool, ChatError> {
        let line = String::from_utf8_lossy(bytes);
        let line = line.trim_end_matches(['\r', '\n']);
        let Some(data) = line.strip_prefix("data:").map(str::trim) else {
            return Ok(false);
        };
        if data == "[DONE]" {
            return Ok(true);
        }
        let event: Value = serde_json::from_str(data)
            .map_err(|error| ChatError::Service(format!("a stream event is not JSON: {error}")))?;
        if let Some(error) = event.get("error") {
            return Err(ChatError::Service(format!(
                "the stream reported an error {}: {}",
                error["code"].as_str().unwrap_or("without a code"),
                error["message"].as_str().unwrap_or_default()
            )));
        }
        self.event(&event, on_text);
        Ok(false)
    }

    fn event(&mut self, event: &Value, on_text: &mut impl FnMut(&str)) {
        let completion = &mut self.completion;
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
                if reason == "content_filter" {
                    completion.filtered = Some(filtered_categories(&choice["content_filter_results"]));
                }
                completion.finish_reason = Some(reason);
            }
        }
    }
}
