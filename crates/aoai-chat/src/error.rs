//! The errors of the chat app, each with what to do and its exit code.

/// A failure that ends a turn or the run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChatError {
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Credential(String),
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Throttled(String),
    #[error("{0}")]
    ContentFilter(String),
    #[error("{0}")]
    Network(String),
    #[error("{0}")]
    Service(String),
    #[error("interrupted")]
    Interrupted,
}

impl ChatError {
    /// Returns the process exit code, as `--help` lists them.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Usage(_) => 2,
            Self::Credential(_) => 3,
            Self::Refused(_) => 4,
            Self::NotFound(_) => 5,
            Self::Throttled(_) => 6,
            Self::ContentFilter(_) => 7,
            Self::Network(_) => 8,
            Self::Service(_) => 9,
            Self::Interrupted => 130,
        }
    }

    /// Returns the value of the span attribute `error.type`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Usage(_) => "invalid_settings",
            Self::Credential(_) => "credential",
            Self::Refused(_) => "refused",
            Self::NotFound(_) => "not_found",
            Self::Throttled(_) => "throttled",
            Self::ContentFilter(_) => "content_filter",
            Self::Network(_) => "network",
            Self::Service(_) => "service",
            Self::Interrupted => "interrupted",
        }
    }
}
