//! `aoai-usage`: the Azure Functions custom handler that reports per-user usage and cost.

use std::net::SocketAddr;

use anyhow::Context;
use aoai_usage::api::app;
use aoai_usage::config::Config;
use aoai_usage::startup::build_state;

const HELP: &str = "aoai-usage: per-user Azure OpenAI usage and exact cost

Usage: aoai-usage [--sample-data]
       aoai-usage report [options]    print usage and cost; see aoai-usage report --help

  --sample-data  fill an empty local store with a generated 30-day sample, then serve it
  --help         print this help

Settings are read from environment variables; see the README.";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    // The report command prints data; its log shows only warnings unless RUST_LOG asks for more.
    if arguments.first().map(String::as_str) == Some("report") {
        aoai_host::init_tracing_at("warn");
        let mut config = Config::from_lookup(|name| std::env::var(name).ok())?;
        aoai_usage::sample::reuse_files(&mut config).context("failed to read the sample's files")?;
        return match aoai_usage::cli::report(&arguments[1..], &config).await {
            Ok(text) => {
                print!("{text}");
                Ok(())
            }
            Err(message) => {
                eprintln!("aoai-usage report: {message}");
                std::process::exit(2);
            }
        };
    }
    aoai_host::init_tracing();
    let mut sample = false;
    for argument in arguments {
        match argument.as_str() {
            "--sample-data" => sample = true,
            "--help" | "-h" => {
                println!("{HELP}");
                return Ok(());
            }
            other => anyhow::bail!("unknown argument '{other}'; run aoai-usage --help"),
        }
    }
    let mut config = Config::from_lookup(|name| std::env::var(name).ok())?;
    if sample {
        aoai_usage::sample::prepare(&mut config).context("failed to prepare the sample workload")?;
    } else {
        aoai_usage::sample::reuse_files(&mut config).context("failed to read the sample's files")?;
    }
    let state = build_state(&config).context("failed to start the usage function")?;
    if sample {
        aoai_usage::sample::fill(&state.store, chrono::Utc::now()).context("failed to write the sample workload")?;
    }

    let address = SocketAddr::new(config.bind, config.port);
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| format!("failed to listen on {address}; set FUNCTIONS_CUSTOMHANDLER_PORT to a free port"))?;
    tracing::info!(
        %address,
        store = %config.store_path.display(),
        source = config.source.as_str(),
        backend = state.backend.name(),
        deployments = state.deployments.len(),
        "aoai-usage listening"
    );
    aoai_host::serve(listener, app(state), aoai_host::shutdown_signal())
        .await
        .context("server failed")?;
    tracing::info!("aoai-usage stopped");
    Ok(())
}
