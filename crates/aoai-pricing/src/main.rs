//! `aoai-pricing`: the Azure Functions custom handler that serves token prices.

use std::net::SocketAddr;

use anyhow::Context;
use aoai_catalog::sources::PriceService;
use aoai_pricing::config::Config;
use aoai_pricing::{AppState, app};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    aoai_host::init_tracing();
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

    aoai_host::serve(listener, app(AppState { prices }), aoai_host::shutdown_signal())
        .await
        .context("server failed")?;
    tracing::info!("aoai-pricing stopped");
    Ok(())
}
