//! `aoai-chat`: chat with Azure OpenAI as a named user, with GenAI telemetry.

mod connection;
mod error;
mod openai;
mod session;
mod settings;
mod telemetry;

use std::process::ExitCode;

use connection::ConnectionString;
use error::ChatError;
use settings::{HELP, Parsed};
use telemetry::Telemetry;

fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    match run(&arguments) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            if error != ChatError::Interrupted {
                eprintln!("aoai-chat: {error}");
            }
            ExitCode::from(error.exit_code())
        }
    }
}

fn run(arguments: &[String]) -> Result<(), ChatError> {
    let settings = match settings::parse(arguments, |name| std::env::var(name).ok())? {
        Parsed::Help => {
            println!("{HELP}");
            return Ok(());
        }
        Parsed::Run(settings) => *settings,
    };
    let connection = settings
        .connection_string
        .as_deref()
        .map(ConnectionString::parse)
        .transpose()?;
    // The exporter's threads use a blocking client, so it starts and stops outside the runtime.
    let telemetry = Telemetry::start(connection.as_ref())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|error| ChatError::Usage(format!("cannot start the async runtime: {error}")))?;
    let result = runtime.block_on(session::run(settings, &telemetry));
    // The input thread may still wait for a line; it does not hold the runtime up.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    for failure in telemetry.shutdown() {
        eprintln!("aoai-chat: telemetry not fully sent ({failure})");
    }
    result
}
