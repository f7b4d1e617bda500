//! The checks that read the whole repository: every Bicep file and policy on its own, then
//! the templates against the policies, the function definitions and the apps' settings.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::bicep::BicepFile;
use crate::policy::{PolicyDocument, named_value_references};
use crate::{Finding, Spec, gateway_policy, roles};

/// The policy of the Azure OpenAI API, which the metering rules apply to.
const GATEWAY_POLICY: &str = "infra/policies/azure-openai-api.xml";
/// The variable in the API Management module that lists the named values.
const NAMED_VALUES_VARIABLE: &str = "namedValues";
const MAIN_TEMPLATE: &str = "infra/main.bicep";

pub fn check(root: &Path, spec: &Spec) -> Vec<Finding> {
    let mut findings = Vec::new();
    let files = read_bicep_files(root, &mut findings);
    for file in &files {
        findings.extend(file.syntax_errors());
        findings.extend(check_loaded_files(root, file));
    }
    findings.extend(check_parameter_files(&files));

    let policies = read_policies(root, spec, &mut findings);
    findings.extend(check_named_values(&files, &policies));
    findings.extend(roles::check(&files));

    match files.iter().find(|file| file.path == MAIN_TEMPLATE) {
        None => findings.push(file_finding(MAIN_TEMPLATE, "the main template is missing".to_owned())),
        Some(main) => {
            findings.extend(check_settings(root, main, spec));
            findings.extend(check_operations(root, main, spec));
        }
    }
    findings
}

fn file_finding(file: &str, message: String) -> Finding {
    Finding {
        file: file.to_owned(),
        line: 0,
        message,
    }
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

fn files_under(dir: &Path, extensions: &[&str]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path
                .extension()
                .and_then(|extension| extension.to_str())
                .is_some_and(|extension| extensions.contains(&extension))
            {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

fn read_bicep_files(root: &Path, findings: &mut Vec<Finding>) -> Vec<BicepFile> {
    let mut files = Vec::new();
    for path in files_under(&root.join("infra"), &["bicep", "bicepparam"]) {
        let name = relative(root, &path);
        match std::fs::read_to_string(&path) {
            Ok(text) => files.push(BicepFile::parse(&name, &text)),
            Err(error) => findings.push(file_finding(&name, format!("cannot read: {error}"))),
        }
    }
    if files.is_empty() {
        findings.push(file_finding("infra", "no Bicep files found".to_owned()));
    }
    files
}

/// Checks that every `loadTextContent('…')` names a file that exists next to the template.
fn check_loaded_files(root: &Path, file: &BicepFile) -> Vec<Finding> {
    let dir = root
        .join(&file.path)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut findings = Vec::new();
    for call in file.calls("loadTextContent") {
        let Some(path) = file
            .call_arguments(call)
            .first()
            .and_then(|node| file.string_literal(*node))
        else {
            findings.push(file.finding(call, "loadTextContent needs a literal path".to_owned()));
            continue;
        };
        if !dir.join(&path).is_file() {
            findings.push(file.finding(
                call,
                format!("loadTextContent('{path}'): no such file next to the template"),
            ));
        }
    }
    findings
}

/// Checks each `.bicepparam` file against the template its `using` statement names: every
/// value it sets is a parameter there, and every parameter without a default is set.
fn check_parameter_files(files: &[BicepFile]) -> Vec<Finding> {
    let mut findings = Vec::new();
    for file in files.iter().filter(|file| file.path.ends_with(".bicepparam")) {
        let (target, values) = file.parameter_values();
        let Some(target) = target else {
            findings.push(file_finding(&file.path, "no using statement".to_owned()));
            continue;
        };
        let dir = Path::new(&file.path).parent().unwrap_or(Path::new(""));
        let target_path = dir
            .join(target.trim_start_matches("./"))
            .to_string_lossy()
            .replace('\\', "/");
        let Some(template) = files.iter().find(|candidate| candidate.path == target_path) else {
            findings.push(file_finding(
                &file.path,
                format!("using '{target}': template not found"),
            ));
            continue;
        };
        let parameters = template.parameters();
        for (name, line) in &values {
            if !parameters.contains_key(name) {
                findings.push(Finding {
                    file: file.path.clone(),
                    line: *line,
                    message: format!("param '{name}' is not a parameter of {target_path}"),
                });
            }
        }
        for (name, has_default) in &parameters {
            if !has_default && !values.iter().any(|(set, _)| set == name) {
                findings.push(file_finding(
                    &file.path,
                    format!("required parameter '{name}' of {target_path} has no value"),
                ));
            }
        }
    }
    findings
}

/// Reads every policy under `infra/policies`, checks that it is well-formed with the four
/// sections, and applies the metering rules to the gateway policy.
fn read_policies(root: &Path, spec: &Spec, findings: &mut Vec<Finding>) -> Vec<(String, String)> {
    let mut policies = Vec::new();
    for path in files_under(&root.join("infra/policies"), &["xml"]) {
        let name = relative(root, &path);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) => {
                findings.push(file_finding(&name, format!("cannot read: {error}")));
                continue;
            }
        };
        policies.push((name.clone(), text.clone()));
        let policy = match PolicyDocument::read(&name, &text) {
            Ok(policy) => policy,
            Err(finding) => {
                findings.push(finding);
                continue;
            }
        };
        let doc = match policy.xml() {
            Ok(doc) => doc,
            Err(finding) => {
                findings.push(finding);
                continue;
            }
        };
        let root_element = doc.root_element();
        if !root_element.has_tag_name("policies") {
            findings.push(policy.finding(&doc, root_element, "the root element must be <policies>".to_owned()));
        }
        for section in ["inbound", "backend", "outbound", "on-error"] {
            if !root_element.children().any(|node| node.has_tag_name(section)) {
                findings.push(policy.finding(&doc, root_element, format!("<policies> has no <{section}> section")));
            }
        }
        if name == GATEWAY_POLICY {
            findings.extend(gateway_policy::check(&policy, &doc, &spec.metric_dimensions));
        }
    }
    if !policies.iter().any(|(name, _)| name == GATEWAY_POLICY) {
        findings.push(file_finding(
            GATEWAY_POLICY,
            "the Azure OpenAI API's policy is missing".to_owned(),
        ));
    }
    policies
}

/// Checks that every `{{name}}` in the policies and templates is a named value that the API
/// Management module defines, and that every defined one is used.
fn check_named_values(files: &[BicepFile], policies: &[(String, String)]) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut defined = BTreeSet::new();
    for file in files {
        let variables = file.variables();
        let Some(list) = variables.get(NAMED_VALUES_VARIABLE) else {
            continue;
        };
        for object in file.array_objects(*list) {
            match object.get("name").and_then(|node| file.string_literal(*node)) {
                Some(name) => {
                    defined.insert(name);
                }
                None => findings.push(file.finding(*list, "a named value's name must be a string literal".to_owned())),
            }
        }
    }

    let mut used = BTreeSet::new();
    let mut references: Vec<(String, String, usize)> = Vec::new();
    for (path, text) in policies {
        for (name, line) in named_value_references(text) {
            references.push((path.clone(), name, line));
        }
    }
    for file in files {
        for (content, line) in file.string_contents() {
            for (name, _) in named_value_references(&content) {
                references.push((file.path.clone(), name, line));
            }
        }
    }
    for (path, name, line) in references {
        if !defined.contains(&name) {
            findings.push(Finding {
                file: path,
                line,
                message: format!("named value '{{{{{name}}}}}' is not defined in the '{NAMED_VALUES_VARIABLE}' list of the API Management module"),
            });
        }
        used.insert(name);
    }
    for name in defined.difference(&used) {
        findings.push(file_finding(
            "infra/modules/apim.bicep",
            format!("named value '{name}' is defined but no policy or template uses it"),
        ));
    }
    findings
}

/// Checks each app's settings object in `main.bicep` against what its binary reads, and
/// `local.settings.json` against every app.
fn check_settings(root: &Path, main: &BicepFile, spec: &Spec) -> Vec<Finding> {
    let mut findings = Vec::new();
    let variables = main.variables();
    for app in &spec.apps {
        let Some(value) = variables.get(&app.settings_variable) else {
            findings.push(file_finding(
                &main.path,
                format!("no variable '{}' with the {} settings", app.settings_variable, app.name),
            ));
            continue;
        };
        let keys = match main.object_keys(*value) {
            Ok(keys) => keys,
            Err(error) => {
                findings.push(main.finding(*value, format!("cannot read '{}': {error}", app.settings_variable)));
                continue;
            }
        };
        let set: BTreeSet<&str> = keys.iter().map(|(key, _)| key.as_str()).collect();
        for setting in &app.settings {
            let name = setting.as_str();
            let forbidden = spec
                .host_settings
                .iter()
                .chain(&spec.secret_settings)
                .any(|other| other == name);
            if !forbidden && !set.contains(name) {
                findings.push(main.finding(
                    *value,
                    format!(
                        "{} reads {name}, but '{}' does not set it",
                        app.name, app.settings_variable
                    ),
                ));
            }
        }
        for (key, line) in &keys {
            let message = if spec.host_settings.contains(key) {
                format!(
                    "{key} is set by the Functions host; remove it from '{}'",
                    app.settings_variable
                )
            } else if spec.secret_settings.contains(key) {
                format!(
                    "{key} is a secret; the apps use managed identities, so remove it from '{}'",
                    app.settings_variable
                )
            } else if !app.settings.contains(key) {
                format!("{key} is not a setting that {} reads; check its spelling", app.name)
            } else {
                continue;
            };
            findings.push(Finding {
                file: main.path.clone(),
                line: *line,
                message,
            });
        }
    }

    let path = root.join("local.settings.json");
    let local: BTreeMap<String, serde_json::Value> = match std::fs::read_to_string(&path)
        .map_err(|error| error.to_string())
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).map_err(|error| error.to_string()))
    {
        Ok(document) => document
            .get("Values")
            .and_then(serde_json::Value::as_object)
            .map(|values| values.clone().into_iter().collect())
            .unwrap_or_default(),
        Err(error) => {
            findings.push(file_finding("local.settings.json", format!("cannot read: {error}")));
            return findings;
        }
    };
    let every_setting: BTreeSet<&String> = spec.apps.iter().flat_map(|app| &app.settings).collect();
    for setting in every_setting {
        if spec.host_settings.contains(setting) {
            if local.contains_key(setting) {
                findings.push(file_finding(
                    "local.settings.json",
                    format!("{setting} is set by the Functions host; remove it"),
                ));
            }
            continue;
        }
        match local.get(setting) {
            None => findings.push(file_finding(
                "local.settings.json",
                format!("Values has no {setting}; list every setting the apps read"),
            )),
            Some(value) if spec.secret_settings.contains(setting) && value.as_str() != Some("") => {
                findings.push(file_finding(
                    "local.settings.json",
                    format!("{setting} is a secret; leave its value empty in the repository"),
                ));
            }
            Some(_) => {}
        }
    }
    findings
}

/// Checks that each app's gateway operations in `main.bicep` are exactly the routes of its
/// functions in `functions/apps.json`.
fn check_operations(root: &Path, main: &BicepFile, spec: &Spec) -> Vec<Finding> {
    let mut findings = Vec::new();
    let apps: BTreeMap<String, serde_json::Value> = match read_json(&root.join("functions/apps.json")) {
        Ok(serde_json::Value::Object(apps)) => apps.into_iter().collect(),
        Ok(_) => {
            findings.push(file_finding(
                "functions/apps.json",
                "must be a JSON object of apps".to_owned(),
            ));
            return findings;
        }
        Err(error) => {
            findings.push(file_finding("functions/apps.json", error));
            return findings;
        }
    };
    let variables = main.variables();
    for app in &spec.apps {
        let functions: Vec<String> = apps
            .get(&app.name)
            .and_then(|entry| entry.get("functions"))
            .and_then(serde_json::Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(|name| name.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let mut expected = BTreeSet::new();
        for function in &functions {
            let file = format!("functions/{function}/function.json");
            let route = read_json(&root.join(&file)).ok().and_then(|document| {
                document
                    .get("bindings")?
                    .as_array()?
                    .iter()
                    .find(|binding| binding.get("type").and_then(|kind| kind.as_str()) == Some("httpTrigger"))?
                    .get("route")?
                    .as_str()
                    .map(str::to_owned)
            });
            let Some(route) = route else {
                findings.push(file_finding(&file, "no httpTrigger binding with a route".to_owned()));
                continue;
            };
            expected.extend(gateway_templates(&route));
        }

        let Some(list) = variables.get(&app.operations_variable) else {
            findings.push(file_finding(
                &main.path,
                format!(
                    "no variable '{}' with the {} operations",
                    app.operations_variable, app.name
                ),
            ));
            continue;
        };
        let declared: BTreeSet<String> = main
            .array_objects(*list)
            .iter()
            .filter_map(|object| object.get("urlTemplate").and_then(|node| main.string_literal(*node)))
            .collect();
        for missing in expected.difference(&declared) {
            findings.push(main.finding(
                *list,
                format!(
                    "{} serves {missing}, but '{}' has no operation for it",
                    app.name, app.operations_variable
                ),
            ));
        }
        for extra in declared.difference(&expected) {
            findings.push(main.finding(
                *list,
                format!(
                    "operation {extra} in '{}' is not a route of any {} function",
                    app.operations_variable, app.name
                ),
            ));
        }
    }
    findings
}

/// Converts a function route to the gateway URL templates that serve it: a catch-all
/// `{*name}` segment becomes the bare path and the path with a `/*` wildcard.
fn gateway_templates(route: &str) -> Vec<String> {
    match route.split_once("/{*") {
        Some((base, _)) => vec![format!("/{base}"), format!("/{base}/*")],
        None => vec![format!("/{route}")],
    }
}

fn read_json(path: &Path) -> Result<serde_json::Value, String> {
    let text = std::fs::read_to_string(path).map_err(|error| format!("cannot read: {error}"))?;
    serde_json::from_str(&text).map_err(|error| format!("invalid JSON: {error}"))
}
