//! Host protocol conformance: runs a handler binary as the Azure Functions host runs a
//! custom handler and sends each route its app's `function.json` files declare.
//!
//! The host starts the handler with a free port in `FUNCTIONS_CUSTOMHANDLER_PORT` and the
//! app root as its working directory, waits for `GET /` to succeed, then forwards each HTTP
//! request unchanged (`enableForwardingHttpRequest`) with its own headers added. The route
//! of a function is `/api/{route}`, `api` being the default route prefix.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Returns the repository root, where `functions/` and `host.json` live.
pub fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// One HTTP function of an app: its name, methods and the path the host serves it at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub function: String,
    pub methods: Vec<String>,
    pub path: String,
}

/// Reads the functions that `functions/apps.json` assigns to `app`, with their routes.
/// A route parameter gets a sample value, because the host matches any value.
pub fn app_routes(app: &str) -> Result<(String, Vec<Route>), String> {
    let root = repository_root();
    let read = |path: &Path| -> Result<Value, String> {
        let text = std::fs::read_to_string(path).map_err(|error| format!("{}: {error}", path.display()))?;
        serde_json::from_str(&text).map_err(|error| format!("{}: {error}", path.display()))
    };
    let apps = read(&root.join("functions/apps.json"))?;
    let entry = apps
        .get(app)
        .ok_or_else(|| format!("functions/apps.json has no app '{app}'"))?;
    let binary = entry["binary"].as_str().ok_or("the app names no binary")?.to_owned();
    let mut routes = Vec::new();
    for name in entry["functions"].as_array().ok_or("the app lists no functions")? {
        let name = name.as_str().ok_or("a function name is not a string")?;
        let function = read(&root.join("functions").join(name).join("function.json"))?;
        let trigger = function["bindings"]
            .as_array()
            .and_then(|bindings| bindings.iter().find(|binding| binding["type"] == "httpTrigger"))
            .ok_or_else(|| format!("function {name} has no httpTrigger binding"))?;
        let route = trigger["route"].as_str().unwrap_or(name);
        let path = route
            .split('/')
            .map(|segment| {
                if segment.starts_with("{*") {
                    "app.js"
                } else if segment.starts_with('{') {
                    "sample"
                } else {
                    segment
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        let methods = trigger["methods"]
            .as_array()
            .map(|methods| {
                methods
                    .iter()
                    .filter_map(|method| method.as_str().map(str::to_uppercase))
                    .collect()
            })
            .unwrap_or_else(|| vec!["GET".to_owned(), "POST".to_owned()]);
        routes.push(Route {
            function: name.to_owned(),
            methods,
            path: format!("/api/{path}"),
        });
    }
    Ok((binary, routes))
}

/// A handler process that is stopped when dropped.
#[derive(Debug)]
pub struct Handler {
    child: Child,
    pub base: String,
}

impl Drop for Handler {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `binary` as the host does: a free port, the repository root as working directory.
pub async fn start(binary: &Path, env: &[(&str, String)]) -> Handler {
    start_in(&repository_root(), binary, env).await
}

/// Starts `binary` as the host does, with `app_root` as its working directory.
pub async fn start_in(app_root: &Path, binary: &Path, env: &[(&str, String)]) -> Handler {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .unwrap_or(0);
    let mut command = Command::new(binary);
    command
        .current_dir(app_root)
        .env("FUNCTIONS_CUSTOMHANDLER_PORT", port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    let child = command
        .spawn()
        .unwrap_or_else(|error| panic!("{} does not start: {error}", binary.display()));
    let handler = Handler {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    // The host's readiness probe: GET / until it succeeds.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if reqwest::get(format!("{}/", handler.base))
            .await
            .is_ok_and(|response| response.status().is_success())
        {
            return handler;
        }
        assert!(
            Instant::now() < deadline,
            "{} did not answer GET / within 60 s",
            binary.display()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Sends every route with each of its methods and the host's headers, and returns the
/// routes the handler has no route for (its `no_route` or `method_not_allowed` error). An
/// application error such as a 404 for an unknown model means the route is served.
pub async fn unserved(handler: &Handler, routes: &[Route]) -> Vec<String> {
    let client = reqwest::Client::new();
    let mut failures = Vec::new();
    for (index, route) in routes.iter().enumerate() {
        for method in &route.methods {
            let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::GET);
            let response = client
                .request(method.clone(), format!("{}{}", handler.base, route.path))
                .header(
                    "X-Azure-Functions-InvocationId",
                    format!("00000000-0000-0000-0000-{index:012}"),
                )
                .header("X-Azure-Functions-HostVersion", "4.1040.300.25317")
                .header("User-Agent", "Azure-Functions-Host/4.1040.300.25317")
                .send()
                .await;
            match response {
                Ok(response) => {
                    let status = response.status();
                    let body: Value = response.json().await.unwrap_or(Value::Null);
                    let code = body["error"]["code"].as_str().unwrap_or_default();
                    if status.as_u16() == 405 || code == "no_route" || code == "method_not_allowed" {
                        failures.push(format!(
                            "{method} {} (function {}) is not served: {status} {code}",
                            route.path, route.function
                        ));
                    }
                }
                Err(error) => failures.push(format!("{method} {} failed: {error}", route.path)),
            }
        }
    }
    failures
}
