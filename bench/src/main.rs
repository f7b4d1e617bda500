//! `aoai-bench`: makes the benchmark inputs and runs the measurements that need a tool
//! outside criterion. BENCHMARKS.md lists the commands that produced its figures.

// Timings are printed as floating-point milliseconds.
#![allow(clippy::float_arithmetic)]

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};

const HELP: &str = "aoai-bench <command>

  data <dir>                       write the comparison inputs: pricing-page.html (1 MB),
                                   query-response.json (500,000 rows), prices.json,
                                   records.jsonl (200,000 calls), deployments.json
  compare <dir> [runs]             time the Rust side of the comparison on those files
  fill <store> [records]           fill a usage store with a month of generated calls
  breakdown <query>...             time /api/usage's parts on USAGE_STORE: compute, JSON, text
  start <binary> <path> [runs] [NAME=VALUE...]
                                   start a handler runs times; time to its first 200 on path
  load <binary> <warm-up path> <path> [concurrency] [seconds] [NAME=VALUE...]
                                   start a handler and load path from concurrent connections
  snapshot                         time loading the bundled catalog, saved and from its rows
  ingest <binary> [clients] [seconds] [NAME=VALUE...]
                                   start aoai-usage and post gzip batches of 512 spans";

/// Reads `NAME=VALUE` arguments as environment variables for a started handler.
fn environment(arguments: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    arguments
        .iter()
        .map(|argument| {
            argument
                .split_once('=')
                .map(|(name, value)| (name.to_owned(), value.to_owned()))
                .ok_or_else(|| anyhow!("expected NAME=VALUE, got '{argument}'"))
        })
        .collect()
}

fn number<T: std::str::FromStr>(arguments: &[String], index: usize, default: T) -> anyhow::Result<T> {
    match arguments.get(index) {
        None => Ok(default),
        Some(value) => value.parse().map_err(|_| anyhow!("'{value}' is not a number")),
    }
}

fn main() -> anyhow::Result<()> {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let argument = |index: usize, what: &str| {
        arguments
            .get(index)
            .map(String::as_str)
            .ok_or_else(|| anyhow!("missing {what}\n\n{HELP}"))
    };
    match arguments.first().map(String::as_str) {
        Some("data") => {
            let dir = argument(1, "the folder")?;
            let started = Instant::now();
            aoai_bench::data::write_all(Path::new(dir), 500_000, 200_000)?;
            eprintln!("wrote the inputs to {dir} in {:.1} s", started.elapsed().as_secs_f32());
            Ok(())
        }
        Some("compare") => {
            aoai_bench::compare::run(Path::new(argument(1, "the data folder")?), number(&arguments, 2, 5)?)
        }
        Some("fill") => {
            let store = Path::new(argument(1, "the store path")?);
            let records = number(&arguments, 2, 1_000_000u64)?;
            let started = Instant::now();
            aoai_bench::workload::fill_store(store, aoai_bench::workload::Shape::new(records))?;
            aoai_bench::workload::write_deployments(&store.with_file_name("deployments.json"))?;
            eprintln!(
                "filled {} with {records} calls in {:.1} s",
                store.display(),
                started.elapsed().as_secs_f32()
            );
            Ok(())
        }
        Some("breakdown") => aoai_bench::compare::breakdown(&arguments[1..]),
        Some("start") => {
            let binary = Path::new(argument(1, "the binary")?);
            let path = argument(2, "the path")?;
            let runs = number(&arguments, 3, 20usize)?;
            let env = environment(arguments.get(4..).unwrap_or_default())?;
            println!("{}", aoai_bench::process::cold_starts(binary, &env, path, runs)?);
            Ok(())
        }
        Some("load") => {
            let binary = Path::new(argument(1, "the binary")?);
            let warm_up = argument(2, "the warm-up path")?;
            let path = argument(3, "the path")?;
            let concurrency = number(&arguments, 4, 16usize)?;
            let seconds = number(&arguments, 5, 10u64)?;
            let env = environment(arguments.get(6..).unwrap_or_default())?;
            let (handler, _) = aoai_bench::process::start(binary, &env, warm_up)
                .with_context(|| format!("cannot start {}", binary.display()))?;
            let url = format!("http://127.0.0.1:{}{path}", handler.port);
            let result = aoai_bench::process::load(
                &url,
                concurrency,
                Duration::from_secs(seconds),
                Some(handler.child.id()),
            )?;
            println!("{result}");
            Ok(())
        }
        Some("snapshot") => {
            // The bundled catalog at start-up: decoded from its saved form, against a build
            // from the bundled Retail Prices rows.
            for _ in 0..3 {
                let started = Instant::now();
                let decoded = aoai_catalog::snapshot::bundled_catalog()?;
                let decoded_in = started.elapsed();
                let started = Instant::now();
                let built = aoai_catalog::snapshot::catalog_from_rows()?;
                let built_in = started.elapsed();
                println!(
                    "{}",
                    serde_json::json!({
                        "entries": decoded.entries().len(),
                        "decode_saved_ms": decoded_in.as_micros() as f64 / 1e3,
                        "build_from_rows_ms": built_in.as_micros() as f64 / 1e3,
                        "same": decoded.entries() == built.entries(),
                    })
                );
            }
            Ok(())
        }
        Some("ingest") => {
            let binary = Path::new(argument(1, "the binary")?);
            let clients = number(&arguments, 2, 2usize)?;
            let seconds = number(&arguments, 3, 10u64)?;
            let env = environment(arguments.get(4..).unwrap_or_default())?;
            // Exporters send up to 512 items per request.
            let mut bodies = Vec::new();
            let mut failure = None;
            aoai_bench::workload::generate(aoai_bench::workload::Shape::new(102_400), 512, |records| {
                match aoai_bench::envelope::track_body(&records) {
                    Ok(body) => bodies.push(body),
                    Err(error) => failure = Some(error),
                }
            });
            if let Some(error) = failure {
                return Err(error.into());
            }
            let (handler, _) = aoai_bench::process::start(binary, &env, "/")?;
            let url = format!("http://127.0.0.1:{}/v2/track", handler.port);
            let result = aoai_bench::process::ingest(&url, bodies, 512, clients, Duration::from_secs(seconds))?;
            println!("{result}");
            Ok(())
        }
        Some("--help" | "-h") | None => {
            println!("{HELP}");
            Ok(())
        }
        Some(other) => bail!("unknown command '{other}'\n\n{HELP}"),
    }
}
