//! `aoai-pricing`: the Azure Functions custom handler that serves token prices.

use std::net::SocketAddr;

use anyhow::Context;
use aoai_catalog::sources::PriceService;
use aoai_pricing::config::Config;
use aoai_pricing::{AppState, app};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    init_tracing();
    let config = Config::from_lookup(|name| std::env::var(name).ok())?;
    let prices = PriceService::start(&config.prices)
        .map_err(anyhow::Error::msg)
        .context("failed to start the price source")?;
    if let Some(path) = &prices.overrides_path {
        tracing::info!(path = %path.display(), rules = prices.overrides.rule_count(), "price overrides read");
    }

    let address = SocketAddr::new(config.bind, config.port);
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| format!("failed to listen on {address}; set FUNCTIONS_CUSTOMHANDLER_PORT to a free port"))?;
    tracing::info!(
        %address,
        source = prices.kind.as_str(),
        default_currency = %prices.default_currency,
        "aoai-pricing listening"
    );

    axum::serve(listener, app(AppState { prices }))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("server failed")?;
    tracing::info!("aoai-pricing stopped");
    Ok(())
}

/// Log level from `RUST_LOG`, `info` when it is unset or invalid.
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

/// Resolves on SIGTERM (how the Functions host stops a handler) or Ctrl-C.
async fn shutdown_signal() {
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
