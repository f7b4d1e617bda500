//! Checks of the deployment files that run without Azure. The Bicep templates must parse, and
//! the API Management policies must be well-formed and meter users truthfully. The templates
//! must also agree with the rest of the repository: named values, app settings, gateway
//! operations and role ids.
//!
//! [`check`] returns findings rather than stopping at the first, so one run lists every problem.

pub mod bicep;
mod consistency;
pub mod gateway_policy;
pub mod policy;
pub mod roles;

use std::fmt;
use std::path::Path;

/// One problem, located in a file of the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Path relative to the repository root.
    pub file: String,
    /// 1-based line, or 0 for the file as a whole.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// What the repository's binaries expect of the deployment.
#[derive(Debug, Clone)]
pub struct Spec {
    pub apps: Vec<AppSpec>,
    /// Settings the Functions host sets itself (such as `FUNCTIONS_CUSTOMHANDLER_PORT`), which
    /// neither Bicep nor `local.settings.json` may set.
    pub host_settings: Vec<String>,
    /// Secret settings, which Bicep must not set (the apps use managed identities in Azure) and
    /// `local.settings.json` lists with an empty value.
    pub secret_settings: Vec<String>,
    /// Token metric dimension names the usage app reads: user, deployment, subscription, streamed.
    pub metric_dimensions: Vec<String>,
}

/// One function app of `functions/apps.json`.
#[derive(Debug, Clone)]
pub struct AppSpec {
    /// The app's name in `functions/apps.json`, such as `pricing-app`.
    pub name: String,
    /// The `main.bicep` variable with the app's settings object.
    pub settings_variable: String,
    /// The `main.bicep` variable with the app's gateway operations.
    pub operations_variable: String,
    /// Every setting the app's binary reads.
    pub settings: Vec<String>,
}

/// Checks the files under `root/infra` against `root/functions` and `root/local.settings.json`.
pub fn check(root: &Path, spec: &Spec) -> Vec<Finding> {
    consistency::check(root, spec)
}

/// Checks a single Bicep or Bicep parameters file for syntax errors.
pub fn check_bicep_syntax(path: &str, text: &str) -> Vec<Finding> {
    bicep::BicepFile::parse(path, text).syntax_errors()
}
