use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ParseError;

/// A kind of token that Azure prices separately.
///
/// Text kinds carry no modality prefix in their names (`input`, not `text_input`)
/// because they are the ones every chat model has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    Input,
    CachedInput,
    /// Tokens written into the prompt cache, priced on some newer models.
    CacheWrite,
    Output,
    AudioInput,
    CachedAudioInput,
    AudioOutput,
    ImageInput,
    CachedImageInput,
    ImageOutput,
}

impl TokenKind {
    pub const ALL: [TokenKind; 10] = [
        Self::Input,
        Self::CachedInput,
        Self::CacheWrite,
        Self::Output,
        Self::AudioInput,
        Self::CachedAudioInput,
        Self::AudioOutput,
        Self::ImageInput,
        Self::CachedImageInput,
        Self::ImageOutput,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Input => "input",
            Self::CachedInput => "cached_input",
            Self::CacheWrite => "cache_write",
            Self::Output => "output",
            Self::AudioInput => "audio_input",
            Self::CachedAudioInput => "cached_audio_input",
            Self::AudioOutput => "audio_output",
            Self::ImageInput => "image_input",
            Self::CachedImageInput => "cached_image_input",
            Self::ImageOutput => "image_output",
        }
    }
}

impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TokenKind {
    type Err = ParseError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == value)
            .ok_or_else(|| ParseError {
                what: "token kind",
                value: value.to_owned(),
                expected: "input, cached_input, cache_write, output, audio_input, cached_audio_input, \
                           audio_output, image_input, cached_image_input, image_output",
            })
    }
}

/// The prompt-length band of a model whose price depends on the context length.
///
/// Azure names these `ShortCo` and `LongCo` in its meters; the short band is the
/// price of prompts below the model's threshold (for example 272k tokens).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContextBand {
    Short,
    Long,
}

impl ContextBand {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Short => "short",
            Self::Long => "long",
        }
    }
}

impl fmt::Display for ContextBand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ContextBand {
    type Err = ParseError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.to_ascii_lowercase().as_str() {
            "short" => Ok(Self::Short),
            "long" => Ok(Self::Long),
            _ => Err(ParseError {
                what: "context band",
                value: value.to_owned(),
                expected: "short, long",
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_kind_names_round_trip() {
        for kind in TokenKind::ALL {
            assert_eq!(kind.as_str().parse::<TokenKind>(), Ok(kind));
            let json = serde_json::to_string(&kind).expect("serialize");
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
    }

    #[test]
    fn unknown_token_kind_is_rejected() {
        let error = "reasoning".parse::<TokenKind>().unwrap_err();
        assert_eq!(error.value, "reasoning");
    }
}
