//! Turns the model words of a meter name into the Azure model name.

/// Abbreviations that meter names use for model words.
fn expand(word: &str) -> Option<&str> {
    let expanded = match word {
        "rt" | "rtime" => "realtime",
        "mn" => "mini",
        "trscb" => "transcribe",
        "prvw" => "preview",
        "trb" => "turbo",
        "aud" => "audio",
        "img" => "image",
        // "GPT 5 Rsng" meters were renamed "GPT 5" later; both price gpt-5.
        "rsng" => return None,
        other => other,
    };
    Some(expanded)
}

/// Model names that the joined words spell differently from Azure's model name.
const ALIASES: &[(&str, &str)] = &[
    ("gpt-4o-realtime", "gpt-4o-realtime-preview"),
    ("gpt-4o-mini-realtime", "gpt-4o-mini-realtime-preview"),
    ("gpt-4o-realtime-preview", "gpt-4o-realtime-preview"),
    ("gpt-4.5", "gpt-4.5-preview"),
    ("gpt-4-8k", "gpt-4"),
    ("gpt-4-turbo-128k", "gpt-4-turbo"),
    ("gpt-35-turbo-4k", "gpt-35-turbo"),
    ("babbage-002-base", "babbage-002"),
    ("davinci-002-base", "davinci-002"),
];

/// Returns Azure's model name for a name that meters or the pricing page spell differently.
pub(crate) fn alias(name: &str) -> Option<&'static str> {
    ALIASES
        .iter()
        .find(|(spelled, _)| *spelled == name)
        .map(|(_, azure_name)| *azure_name)
}

/// The parts of a meter name beside its model words that change the model name.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    /// The number of modality words (`aud`, `txt`, `img`) after the model words.
    pub modalities: usize,
    /// True when the first of those words is audio.
    pub first_is_audio: bool,
    /// True when the meter names a version.
    pub has_version: bool,
}

/// Builds the canonical model name from `words`.
///
/// When a meter names two modalities, the first is part of the model
/// (`gpt-4o-aud-1217-txt` is a text price of gpt-4o-audio-preview), and a bare `gpt-4o`
/// or `gpt-4o-mini` with an audio price is the audio-preview model. The
/// `gpt-35-turbo-16K-0125` meter prices version 0125 of gpt-35-turbo, whose context is
/// 16k, while an unversioned `gpt-35-turbo-16k` meter prices the older 16k model.
pub fn canonical(words: &[String], context: Context) -> Result<String, String> {
    let mut parts: Vec<&str> = Vec::with_capacity(words.len() + 1);
    for (index, word) in words.iter().enumerate() {
        if index == 0 && word == "az" {
            continue;
        }
        if let Some(expanded) = expand(word) {
            parts.push(expanded);
        }
    }
    let Some(first) = parts.first() else {
        return Err("no model name in meter name".to_owned());
    };
    if first.starts_with(|c: char| c.is_ascii_digit()) {
        parts.insert(0, "gpt");
    }
    let mut name = parts.join("-");
    if let Some(azure_name) = alias(&name) {
        name = azure_name.to_owned();
    }
    if context.has_version && name == "gpt-35-turbo-16k" {
        name = "gpt-35-turbo".to_owned();
    }

    let audio_preview_base = name == "gpt-4o" || name == "gpt-4o-mini";
    if audio_preview_base && context.first_is_audio {
        name.push_str("-audio-preview");
    } else if context.modalities > 1 {
        return Err(format!("meter names more than one modality for model '{name}'"));
    }
    Ok(name)
}
