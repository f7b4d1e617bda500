//! Catalog of Azure OpenAI deployments, with the model, version, SKU and region behind
//! each deployment name.
//!
//! Callers put a deployment name in the request URL (`/openai/deployments/prod-chat-eu/…`),
//! and that name says nothing about the model. The app reads the catalog from the files
//! that `AOAI_DEPLOYMENTS` lists, separated by commas, and from the JSON text in
//! `AOAI_DEPLOYMENTS_JSON` (which the Bicep templates set). Each is one of these JSON forms:
//!
//! | form | region of its deployments |
//! |---|---|
//! | `{"account": "…", "location": "East US 2", "deployments": [ … ]}` | `location` |
//! | `[ … ]`, as `az cognitiveservices account deployment list` prints it | the default region |
//! | `{"value": [ … ]}`, the ARM REST response of Deployments - List | the default region |
//!
//! The app passes `AOAI_DEFAULT_REGION` (default `eastus2`) as the default region. A region
//! is lower-cased with its spaces removed (`East US 2` becomes `eastus2`).
//!
//! Each deployment item is read from these fields, and every other field is ignored:
//!
//! | field | becomes |
//! |---|---|
//! | `name` | [`Deployment::name`] |
//! | `properties.model.name` | [`ModelKey::name`], canonical (`gpt-3.5-turbo` becomes `gpt-35-turbo`) |
//! | `properties.model.version` `2024-11-20` | that date |
//! | `properties.model.version` `0613` (`MMDD`) | the model's release on that day, from [`resolve_version`] |
//! | `properties.model.version` of any other form (`1`, `001`), or absent | no version |
//! | `sku.name` | [`Deployment::sku`] through [`DeploymentSku`]'s `FromStr` |

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use aoai_catalog::normalize::resolve_version;
use aoai_core::{DeploymentSku, ModelKey, ModelVersion};
use chrono::NaiveDate;
use serde_json::{Map, Value};

/// One Azure OpenAI deployment as the catalog files describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    /// The name callers put in the request URL, spelled as in the catalog file.
    pub name: String,
    /// The Azure OpenAI account that contains the deployment, when the file names one.
    pub account: Option<String>,
    pub model: ModelKey,
    pub sku: DeploymentSku,
    /// The ARM SKU name as the file spells it, such as `GlobalStandard`.
    pub sku_name: String,
    /// ARM region name of lower-case letters and digits, such as `eastus2`.
    pub region: String,
}

/// Deployments by name, matched case-insensitively as Azure matches them.
#[derive(Debug, Clone, Default)]
pub struct DeploymentCatalog {
    deployments: Vec<Deployment>,
    /// Origin of each deployment (file and index) for duplicate errors, parallel to `deployments`.
    origins: Vec<String>,
    /// Lower-cased name to position in `deployments`.
    by_name: HashMap<String, usize>,
}

/// Error for a catalog file that cannot be read or that describes a deployment wrongly.
#[derive(Debug, thiserror::Error)]
pub enum DeploymentError {
    #[error("failed to read deployment catalog '{}': {source}; check the path in AOAI_DEPLOYMENTS", path.display())]
    Read { path: PathBuf, source: std::io::Error },

    #[error("deployment catalog '{origin}' is empty; write a JSON array of deployments into it or remove it")]
    Empty { origin: String },

    #[error(
        "deployment catalog '{origin}' is not valid JSON: {source}; save the output of `az cognitiveservices account deployment list` unchanged"
    )]
    Json { origin: String, source: serde_json::Error },

    #[error(
        "deployment catalog '{origin}' has an unsupported shape: {detail}; expected a JSON array of \
         deployments, or an object with \"location\" and \"deployments\""
    )]
    Shape { origin: String, detail: String },

    #[error("deployment catalog '{origin}', {deployment}: field '{field}' {problem}")]
    InvalidField {
        origin: String,
        /// The deployment's name and index, or only its index when the name is unreadable.
        deployment: String,
        field: &'static str,
        /// The fault in the value and the way to correct it.
        problem: String,
    },

    #[error(
        "deployment catalog '{origin}', {deployment}: unknown SKU '{sku}' in field 'sku.name'; \
         use one of {accepted}"
    )]
    UnknownSku {
        origin: String,
        deployment: String,
        sku: String,
        accepted: &'static str,
    },

    #[error(
        "invalid region '{region}' in {origin}: an ARM region name contains only letters and digits \
         once spaces are removed, such as 'eastus2'; correct it"
    )]
    InvalidRegion { origin: String, region: String },

    #[error(
        "deployment '{name}' is defined twice with different settings, in {first} and in {second}; \
         Azure deployment names are case-insensitive, so remove one entry or make them identical"
    )]
    Duplicate {
        name: String,
        first: String,
        second: String,
    },
}

impl DeploymentCatalog {
    /// Reads and merges the catalog files, in order.
    ///
    /// `default_region` is the region of deployments in files that name none.
    pub fn from_files(paths: &[PathBuf], default_region: &str) -> Result<DeploymentCatalog, DeploymentError> {
        Self::from_sources(None, paths, default_region)
    }

    /// Reads the inline catalog text `inline` (from `AOAI_DEPLOYMENTS_JSON`), then merges the
    /// catalog files, in order.
    pub fn from_sources(
        inline: Option<&str>,
        paths: &[PathBuf],
        default_region: &str,
    ) -> Result<DeploymentCatalog, DeploymentError> {
        let mut catalog = DeploymentCatalog::default();
        if let Some(text) = inline {
            let origin = "AOAI_DEPLOYMENTS_JSON";
            for (index, deployment) in Self::parse(text, origin, default_region)?.into_iter().enumerate() {
                catalog.insert(deployment, format!("'{origin}' at index {index}"))?;
            }
        }
        for path in paths {
            let origin = path.display().to_string();
            let text = read_text(path)?;
            let deployments = Self::parse(&text, &origin, default_region)?;
            for (index, deployment) in deployments.into_iter().enumerate() {
                catalog.insert(deployment, format!("'{origin}' at index {index}"))?;
            }
        }
        tracing::info!(
            files = paths.len(),
            inline = inline.is_some(),
            deployments = catalog.len(),
            "loaded deployment catalog"
        );
        Ok(catalog)
    }

    /// Parses the text of one catalog file. `origin` names the file in error messages.
    ///
    /// Duplicates within the text are left for [`DeploymentCatalog::from_deployments`] or
    /// [`DeploymentCatalog::from_files`] to reject.
    pub fn parse(text: &str, origin: &str, default_region: &str) -> Result<Vec<Deployment>, DeploymentError> {
        if text.trim().is_empty() {
            return Err(DeploymentError::Empty {
                origin: origin.to_owned(),
            });
        }
        let document: Value = serde_json::from_str(text).map_err(|source| DeploymentError::Json {
            origin: origin.to_owned(),
            source,
        })?;

        let file = FileContext::read(document, origin, default_region)?;

        let mut deployments = Vec::with_capacity(file.items.len());
        for (index, item) in file.items.iter().enumerate() {
            deployments.push(file.parse_item(index, item)?);
        }
        Ok(deployments)
    }

    /// Builds a catalog from deployments already parsed.
    ///
    /// Two deployments whose names differ only in case must be identical, and one is kept.
    pub fn from_deployments(deployments: Vec<Deployment>) -> Result<DeploymentCatalog, DeploymentError> {
        let mut catalog = DeploymentCatalog::default();
        for (index, deployment) in deployments.into_iter().enumerate() {
            catalog.insert(deployment, format!("list entry {index}"))?;
        }
        Ok(catalog)
    }

    /// Returns the deployment of that name, compared case-insensitively.
    pub fn get(&self, name: &str) -> Option<&Deployment> {
        let position = self.by_name.get(&name.to_lowercase())?;
        self.deployments.get(*position)
    }

    pub fn len(&self) -> usize {
        self.deployments.len()
    }

    pub fn is_empty(&self) -> bool {
        self.deployments.is_empty()
    }

    /// Iterates over the deployments in the order they were read.
    pub fn iter(&self) -> impl Iterator<Item = &Deployment> {
        self.deployments.iter()
    }

    fn insert(&mut self, deployment: Deployment, origin: String) -> Result<(), DeploymentError> {
        let key = deployment.name.to_lowercase();
        if let Some(&position) = self.by_name.get(&key) {
            let existing = &self.deployments[position];
            if same_deployment(existing, &deployment) {
                tracing::debug!(deployment = %deployment.name, %origin, "skipped identical duplicate deployment");
                return Ok(());
            }
            return Err(DeploymentError::Duplicate {
                name: deployment.name,
                first: self.origins[position].clone(),
                second: origin,
            });
        }
        self.by_name.insert(key, self.deployments.len());
        self.deployments.push(deployment);
        self.origins.push(origin);
        Ok(())
    }
}

impl<'a> IntoIterator for &'a DeploymentCatalog {
    type Item = &'a Deployment;
    type IntoIter = std::slice::Iter<'a, Deployment>;

    fn into_iter(self) -> Self::IntoIter {
        self.deployments.iter()
    }
}

fn read_text(path: &Path) -> Result<String, DeploymentError> {
    std::fs::read_to_string(path).map_err(|source| DeploymentError::Read {
        path: path.to_owned(),
        source,
    })
}

/// Compares every field except the SKU spelling. Names and accounts ignore case, as in
/// Azure, and SKUs are compared as parsed, so `globalstandard` equals `GlobalStandard`.
fn same_deployment(a: &Deployment, b: &Deployment) -> bool {
    let same_account = match (&a.account, &b.account) {
        (Some(x), Some(y)) => x.eq_ignore_ascii_case(y),
        (None, None) => true,
        _ => false,
    };
    a.name.eq_ignore_ascii_case(&b.name) && same_account && a.model == b.model && a.sku == b.sku && a.region == b.region
}

/// Lower-cases an ARM region name and removes its spaces (`East US 2` to `eastus2`).
///
/// Returns `None` unless the result is non-empty ASCII letters and digits.
pub(crate) fn normalize_region(region: &str) -> Option<String> {
    let normalized: String = region
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let valid = !normalized.is_empty() && normalized.chars().all(|c| c.is_ascii_alphanumeric());
    valid.then_some(normalized)
}

/// Reads `properties.model.version` for `model`, a canonical model name.
///
/// Returns `Ok(None)` for versions that name no date, such as `1` or `001` for embeddings,
/// and `Err` with the reason for a date that is invalid or an `MMDD` with no known release.
pub(crate) fn parse_version(model: &str, version: &str) -> Result<Option<ModelVersion>, String> {
    let version = version.trim();
    if looks_like_date(version) {
        return NaiveDate::parse_from_str(version, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| format!("'{version}' is not a valid YYYY-MM-DD date"));
    }
    if version.len() == 4 && version.bytes().all(|b| b.is_ascii_digit()) {
        return resolve_version(model, version).map(Some);
    }
    // NOTE: preview versions such as `1106-Preview` or `turbo-2024-04-09` (gpt-4) fall here
    // and are read as unversioned, so they match the model's unversioned prices.
    Ok(None)
}

/// True for four digits, a dash, and then only digits and dashes (`2024-13-40` included).
fn looks_like_date(version: &str) -> bool {
    let bytes = version.as_bytes();
    bytes.len() > 5
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[4] == b'-'
        && bytes[5..].iter().all(|b| b.is_ascii_digit() || *b == b'-')
}

/// The deployment items of one file with the account and region they share.
struct FileContext<'a> {
    origin: &'a str,
    items: Vec<Value>,
    account: Option<String>,
    region: String,
}

impl<'a> FileContext<'a> {
    fn read(document: Value, origin: &'a str, default_region: &str) -> Result<Self, DeploymentError> {
        let shape_error = |detail: String| DeploymentError::Shape {
            origin: origin.to_owned(),
            detail,
        };
        let default = || {
            normalize_region(default_region).ok_or_else(|| DeploymentError::InvalidRegion {
                origin: format!("the default region for '{origin}' (AOAI_DEFAULT_REGION)"),
                region: default_region.to_owned(),
            })
        };

        let mut object = match document {
            Value::Array(items) => {
                return Ok(FileContext {
                    origin,
                    items,
                    account: None,
                    region: default()?,
                });
            }
            Value::Object(object) => object,
            other => return Err(shape_error(format!("the top level is {}", type_name(&other)))),
        };

        if let Some(value) = object.remove("deployments") {
            let Value::Array(items) = value else {
                return Err(shape_error(format!(
                    "\"deployments\" is {}, not an array",
                    type_name(&value)
                )));
            };
            let account = account_name(&object, origin)?;
            let region = account_region(&object, origin)?;
            return Ok(FileContext {
                origin,
                items,
                account,
                region,
            });
        }
        if let Some(value) = object.remove("value") {
            let Value::Array(items) = value else {
                return Err(shape_error(format!("\"value\" is {}, not an array", type_name(&value))));
            };
            return Ok(FileContext {
                origin,
                items,
                account: None,
                region: default()?,
            });
        }
        Err(shape_error(
            "the object has neither a \"deployments\" nor a \"value\" array".to_owned(),
        ))
    }

    fn parse_item(&self, index: usize, item: &Value) -> Result<Deployment, DeploymentError> {
        let Value::Object(fields) = item else {
            return Err(DeploymentError::InvalidField {
                origin: self.origin.to_owned(),
                deployment: format!("item at index {index}"),
                field: "(item)",
                problem: format!(
                    "is {}, not an object; each item must be one deployment",
                    type_name(item)
                ),
            });
        };

        let unnamed = format!("item at index {index}");
        let name = self.required_string(fields, "name", &unnamed)?;
        if name.trim().is_empty() {
            return Err(self.invalid(
                &unnamed,
                "name",
                "is empty; give the deployment name as in the request URL",
            ));
        }
        let label = format!("deployment '{name}' (index {index})");

        let model_name = self.required_string(fields, "properties.model.name", &label)?;
        if model_name.trim().is_empty() {
            return Err(self.invalid(
                &label,
                "properties.model.name",
                "is empty; give the model name, such as 'gpt-4o'",
            ));
        }
        let mut model = ModelKey::parse(model_name);

        if let Some(version) = self.optional_string(fields, "properties.model.version", &label)? {
            let parsed = parse_version(&model.name, version).map_err(|reason| {
                self.invalid(
                    &label,
                    "properties.model.version",
                    &format!("has an invalid version: {reason}; write the release date as YYYY-MM-DD"),
                )
            })?;
            model.version = parsed.or(model.version);
        }

        let sku_name = self.required_string(fields, "sku.name", &label)?;
        let sku: DeploymentSku = sku_name.trim().parse().map_err(|_| DeploymentError::UnknownSku {
            origin: self.origin.to_owned(),
            deployment: label.clone(),
            sku: sku_name.to_owned(),
            accepted: DeploymentSku::ACCEPTED,
        })?;

        Ok(Deployment {
            name: name.trim().to_owned(),
            account: self.account.clone(),
            model,
            sku,
            sku_name: sku_name.trim().to_owned(),
            region: self.region.clone(),
        })
    }

    fn invalid(&self, deployment: &str, field: &'static str, problem: &str) -> DeploymentError {
        DeploymentError::InvalidField {
            origin: self.origin.to_owned(),
            deployment: deployment.to_owned(),
            field,
            problem: problem.to_owned(),
        }
    }

    /// Returns the string at a dotted `field` path, or `None` when any step is absent or null.
    fn optional_string<'v>(
        &self,
        fields: &'v Map<String, Value>,
        field: &'static str,
        label: &str,
    ) -> Result<Option<&'v str>, DeploymentError> {
        let mut steps = field.split('.');
        let Some(first) = steps.next() else {
            return Ok(None);
        };
        let mut current = fields.get(first);
        for step in steps {
            current = match current {
                None | Some(Value::Null) => None,
                Some(Value::Object(inner)) => inner.get(step),
                Some(other) => {
                    let problem = format!("cannot be read because '{step}' sits in {}", type_name(other));
                    return Err(self.invalid(label, field, &problem));
                }
            };
        }
        match current {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(other) => Err(self.invalid(
                label,
                field,
                &format!("is {}, not a string; write it as a JSON string", type_name(other)),
            )),
        }
    }

    fn required_string<'v>(
        &self,
        fields: &'v Map<String, Value>,
        field: &'static str,
        label: &str,
    ) -> Result<&'v str, DeploymentError> {
        self.optional_string(fields, field, label)?
            .ok_or_else(|| self.invalid(label, field, "is missing; every deployment needs it"))
    }
}

fn account_name(object: &Map<String, Value>, origin: &str) -> Result<Option<String>, DeploymentError> {
    match object.get("account") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(name)) if name.trim().is_empty() => Ok(None),
        Some(Value::String(name)) => Ok(Some(name.trim().to_owned())),
        Some(other) => Err(DeploymentError::Shape {
            origin: origin.to_owned(),
            detail: format!("\"account\" is {}, not a string", type_name(other)),
        }),
    }
}

fn account_region(object: &Map<String, Value>, origin: &str) -> Result<String, DeploymentError> {
    let location = match object.get("location") {
        Some(Value::String(location)) => location,
        None | Some(Value::Null) => {
            return Err(DeploymentError::Shape {
                origin: origin.to_owned(),
                detail: "\"location\" is missing next to \"deployments\"; add the account's region, \
                         or save the bare array to use the default region"
                    .to_owned(),
            });
        }
        Some(other) => {
            return Err(DeploymentError::Shape {
                origin: origin.to_owned(),
                detail: format!("\"location\" is {}, not a string", type_name(other)),
            });
        }
    };
    normalize_region(location).ok_or_else(|| DeploymentError::InvalidRegion {
        origin: format!("field 'location' of '{origin}'"),
        region: location.clone(),
    })
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
