//! The parts every custom handler shares with the Azure Functions host: logs on standard error,
//! which the host collects, HTTP serving with limits on slow and large request heads, and a
//! clean stop on SIGTERM, which the host sends.

mod serve;

pub use serve::{HEADER_READ_TIMEOUT, Limits, MAX_HEAD_BYTES, serve, serve_with};

/// Starts logging to standard error at the level in `RUST_LOG`, `info` when it is unset or invalid.
pub fn init_tracing() {
    init_tracing_at("info");
}

/// Starts logging to standard error at the level in `RUST_LOG`, else `default`. Colours are
/// used only when standard error is a terminal, so logs written to files stay plain.
pub fn init_tracing_at(default: &str) {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

/// Resolves on SIGTERM (how the Functions host stops a handler) or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!(%error, "failed to listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "failed to listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();

    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C received; shutting down"),
        () = terminate => tracing::info!("SIGTERM received; shutting down"),
    }
}
