//! `cargo xtask package [--no-zig] [--out <dir>]`: stages `dist/pricing-app/` and
//! `dist/usage-app/` for the Azure Functions hosts.

use std::path::PathBuf;
use std::process::ExitCode;

const HELP: &str = "cargo xtask package [--no-zig] [--out <dir>]

Builds the release binaries and stages each Functions app of functions/apps.json in
<dir>/<app> (default dist/): host.json pointing at its binary, its function folders, the
binary with its execute bit, local.settings.json and a .funcignore.

  --no-zig   build with plain cargo instead of cargo zigbuild against glibc 2.31; the
             binaries then run only where the build machine's glibc is present";

fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let root = xtask::repository_root();
    let mut options = xtask::Options::new(&root);
    let mut rest = arguments.iter();
    match rest.next().map(String::as_str) {
        Some("package") => {}
        Some("--help" | "-h") | None => {
            println!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Some(other) => {
            eprintln!("xtask: unknown command '{other}'\n\n{HELP}");
            return ExitCode::from(2);
        }
    }
    while let Some(argument) = rest.next() {
        match argument.as_str() {
            "--help" | "-h" => {
                println!("{HELP}");
                return ExitCode::SUCCESS;
            }
            "--no-zig" => options.zig = false,
            "--out" => match rest.next() {
                Some(out) => options.out = PathBuf::from(out),
                None => {
                    eprintln!("xtask: --out needs a folder");
                    return ExitCode::from(2);
                }
            },
            other => {
                eprintln!("xtask: unknown option '{other}'\n\n{HELP}");
                return ExitCode::from(2);
            }
        }
    }
    match xtask::package(&root, &options) {
        Ok(staged) => {
            for dir in staged {
                println!("staged {}", dir.display());
            }
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}
