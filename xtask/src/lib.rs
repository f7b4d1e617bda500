//! Packaging of the two Functions apps: release binaries linked against an old glibc, each
//! staged with its `host.json`, its function folders and a `.funcignore`, ready for
//! `func start` and `func azure functionapp publish <app> --custom`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The oldest glibc the Azure Functions Linux hosts may have; binaries link against it or older.
pub const GLIBC: &str = "2.31";

/// The Rust target the binaries are built for.
pub const TARGET: &str = "x86_64-unknown-linux-gnu";

/// Files of a staged app that `func azure functionapp publish` leaves out.
const FUNCIGNORE: &str = "# Not published: local settings and editor files.\nlocal.settings.json\n.vscode\n*.md\n";

/// One app of `functions/apps.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    pub name: String,
    pub binary: String,
    pub functions: Vec<String>,
}

/// Returns the repository root.
pub fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Reads the apps that `functions/apps.json` defines.
pub fn apps(root: &Path) -> Result<Vec<App>, String> {
    let path = root.join("functions/apps.json");
    let text = std::fs::read_to_string(&path).map_err(|error| format!("{}: {error}", path.display()))?;
    let value: Value = serde_json::from_str(&text).map_err(|error| format!("{}: {error}", path.display()))?;
    let object = value
        .as_object()
        .ok_or("functions/apps.json is not an object of apps")?;
    object
        .iter()
        .map(|(name, app)| {
            let binary = app["binary"]
                .as_str()
                .ok_or_else(|| format!("app {name} names no binary"))?
                .to_owned();
            let functions = app["functions"]
                .as_array()
                .ok_or_else(|| format!("app {name} lists no functions"))?
                .iter()
                .map(|function| {
                    function
                        .as_str()
                        .map(str::to_owned)
                        .ok_or("a function name is not a string")
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(App {
                name: name.clone(),
                binary,
                functions,
            })
        })
        .collect()
}

/// The build and staging settings of a packaging run.
#[derive(Debug, Clone)]
pub struct Options {
    /// The folder the apps are staged in (`dist/` by default).
    pub out: PathBuf,
    /// Build with `cargo zigbuild` against glibc [`GLIBC`]; plain `cargo build` otherwise,
    /// for a local `func start` only.
    pub zig: bool,
    /// The build directory of the packaging build, apart from the one of `cargo test`.
    pub target_dir: PathBuf,
}

impl Options {
    pub fn new(root: &Path) -> Options {
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("target"));
        Options {
            out: root.join("dist"),
            zig: true,
            target_dir: target.join("package"),
        }
    }
}

/// Builds the binaries and stages every app; returns the staged app folders.
pub fn package(root: &Path, options: &Options) -> Result<Vec<PathBuf>, String> {
    let apps = apps(root)?;
    let binaries = build(root, options, &apps)?;
    let host: Value = read_json(&root.join("host.json"))?;
    let mut staged = Vec::new();
    for app in &apps {
        let dir = options.out.join(&app.name);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|error| format!("cannot clear {}: {error}", dir.display()))?;
        }
        std::fs::create_dir_all(&dir).map_err(|error| format!("cannot create {}: {error}", dir.display()))?;

        let mut host = host.clone();
        host["customHandler"]["description"]["defaultExecutablePath"] = Value::String(app.binary.clone());
        write(&dir.join("host.json"), &format!("{host:#}\n"))?;
        for function in &app.functions {
            let source = root.join("functions").join(function).join("function.json");
            let target = dir.join(function);
            std::fs::create_dir_all(&target).map_err(|error| format!("{}: {error}", target.display()))?;
            std::fs::copy(&source, target.join("function.json"))
                .map_err(|error| format!("cannot copy {}: {error}", source.display()))?;
        }
        let binary = binaries.join(&app.binary);
        let staged_binary = dir.join(&app.binary);
        std::fs::copy(&binary, &staged_binary).map_err(|error| format!("cannot copy {}: {error}", binary.display()))?;
        make_executable(&staged_binary)?;
        write(&dir.join(".funcignore"), FUNCIGNORE)?;
        std::fs::copy(root.join("local.settings.json"), dir.join("local.settings.json"))
            .map_err(|error| format!("cannot copy local.settings.json: {error}"))?;
        staged.push(dir);
    }
    Ok(staged)
}

/// Builds the release binaries and returns the folder that holds them.
fn build(root: &Path, options: &Options, apps: &[App]) -> Result<PathBuf, String> {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    command.current_dir(root).env("CARGO_TARGET_DIR", &options.target_dir);
    if options.zig {
        command.args([
            "zigbuild",
            "--release",
            "--locked",
            "--target",
            &format!("{TARGET}.{GLIBC}"),
        ]);
    } else {
        command.args(["build", "--release", "--locked", "--target", TARGET]);
    }
    for app in apps {
        command.args(["--bin", &app.binary]);
    }
    let status = command.status().map_err(|error| format!("cannot run cargo: {error}"))?;
    if !status.success() {
        return Err(if options.zig {
            "cargo zigbuild failed; it needs `pip install ziglang` and `cargo install cargo-zigbuild` \
             (.ci/run installs both), or pass --no-zig for a local build"
                .to_owned()
        } else {
            "cargo build failed".to_owned()
        });
    }
    Ok(options.target_dir.join(TARGET).join("release"))
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|error| format!("{}: {error}", path.display()))?;
    serde_json::from_str(&text).map_err(|error| format!("{}: {error}", path.display()))
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|error| format!("cannot write {}: {error}", path.display()))
}

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(|error| format!("cannot mark {} executable: {error}", path.display()))
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> Result<(), String> {
    Ok(())
}

/// Returns the highest `GLIBC_x.y` symbol version a binary needs, read with `objdump -T`.
pub fn highest_glibc(binary: &Path) -> Result<Option<(u32, u32)>, String> {
    let output = Command::new("objdump")
        .arg("-T")
        .arg(binary)
        .output()
        .map_err(|error| format!("cannot run objdump (binutils): {error}"))?;
    if !output.status.success() {
        return Err(format!("objdump failed on {}", binary.display()));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    Ok(text
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .filter_map(|word| word.strip_prefix("GLIBC_"))
        .filter_map(|version| {
            let mut parts = version.split('.');
            let major = parts.next()?.parse().ok()?;
            let minor = parts.next().unwrap_or("0").parse().ok()?;
            Some((major, minor))
        })
        .max())
}
