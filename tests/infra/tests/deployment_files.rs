//! Runs the deployment checks on the repository's own `infra/`, then on copies with one fault
//! each, to show that every check can fail.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use aoai_infra_check::{AppSpec, Finding, Spec, check};

fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Returns the names `read` looks up under each of the given variable sets.
fn names_read(configurations: &[&[(&str, &str)]], read: impl Fn(&dyn Fn(&str) -> Option<String>)) -> BTreeSet<String> {
    let asked = RefCell::new(BTreeSet::new());
    for configuration in configurations {
        let lookup = |name: &str| {
            asked.borrow_mut().insert(name.to_owned());
            configuration
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        };
        read(&lookup);
    }
    asked.into_inner()
}

fn documented(tables: &[&[(&str, &str, &str)]]) -> BTreeSet<String> {
    tables
        .iter()
        .flat_map(|table| table.iter().map(|(name, _, _)| (*name).to_owned()))
        .collect()
}

const GUID: &str = "00000000-0000-0000-0000-000000000001";

/// Every setting each binary reads: what its configuration looks up on each backend and
/// credential, plus `RUST_LOG` for logging. Every name looked up must be in the binary's
/// documented table.
fn spec() -> Spec {
    let pricing_read = names_read(&[&[]], |lookup| {
        let _ = aoai_pricing::config::Config::from_lookup(lookup);
    });
    let usage_read = names_read(
        &[
            &[],
            &[("APPINSIGHTS_APP_ID", GUID)],
            &[
                ("LOG_ANALYTICS_WORKSPACE_ID", GUID),
                ("AZURE_CREDENTIAL", "client_secret"),
            ],
        ],
        |lookup| {
            let _ = aoai_usage::config::Config::from_lookup(lookup);
        },
    );
    let price_table = aoai_catalog::sources::VARIABLES;
    let pricing_documented = documented(&[
        price_table,
        &[("FUNCTIONS_CUSTOMHANDLER_PORT", "", ""), ("PRICING_BIND", "", "")],
    ]);
    let usage_documented = documented(&[price_table, aoai_usage::config::VARIABLES]);
    let undocumented: Vec<&String> = pricing_read.difference(&pricing_documented).collect();
    assert!(
        undocumented.is_empty(),
        "aoai-pricing reads undocumented settings {undocumented:?}"
    );
    let undocumented: Vec<&String> = usage_read.difference(&usage_documented).collect();
    assert!(
        undocumented.is_empty(),
        "aoai-usage reads undocumented settings {undocumented:?}"
    );

    let with_logging =
        |names: BTreeSet<String>| -> Vec<String> { names.into_iter().chain(["RUST_LOG".to_owned()]).collect() };
    let dimensions = aoai_usage::config::VARIABLES
        .iter()
        .find(|(name, _, _)| *name == "USAGE_METRIC_DIMENSIONS")
        .map(|(_, default, _)| default.split(',').map(str::to_owned).collect())
        .expect("USAGE_METRIC_DIMENSIONS is documented");
    Spec {
        apps: vec![
            AppSpec {
                name: "pricing-app".to_owned(),
                settings_variable: "pricingAppSettings".to_owned(),
                operations_variable: "pricingOperations".to_owned(),
                settings: with_logging(pricing_read.union(&pricing_documented).cloned().collect()),
            },
            AppSpec {
                name: "usage-app".to_owned(),
                settings_variable: "usageAppSettings".to_owned(),
                operations_variable: "usageOperations".to_owned(),
                settings: with_logging(usage_read.union(&usage_documented).cloned().collect()),
            },
        ],
        host_settings: vec!["FUNCTIONS_CUSTOMHANDLER_PORT".to_owned()],
        secret_settings: vec!["AZURE_CLIENT_SECRET".to_owned()],
        metric_dimensions: dimensions,
    }
}

/// A copy of the files the checks read, in a fresh temporary folder.
struct Copy {
    root: PathBuf,
}

impl Copy {
    fn new(name: &str) -> Copy {
        let root = std::env::temp_dir().join(format!("aoai-infra-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let source = repository_root();
        for folder in ["infra", "functions"] {
            copy_dir(&source.join(folder), &root.join(folder));
        }
        std::fs::copy(source.join("local.settings.json"), root.join("local.settings.json"))
            .expect("copy local.settings.json");
        Copy { root }
    }

    /// Replaces `from` with `to` in `file`, which must contain `from`.
    fn edit(&self, file: &str, from: &str, to: &str) -> &Copy {
        let path = self.root.join(file);
        let text = std::fs::read_to_string(&path).expect("read copied file");
        assert!(text.contains(from), "{file} does not contain {from:?}");
        std::fs::write(&path, text.replacen(from, to, 1)).expect("write copied file");
        self
    }

    fn findings(&self) -> Vec<Finding> {
        check(&self.root, &spec())
    }
}

impl Drop for Copy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create folder");
    for entry in std::fs::read_dir(from).expect("read folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).expect("copy file");
        }
    }
}

/// Asserts that one finding is in `file` and contains every one of `words`.
fn assert_found(findings: &[Finding], file: &str, words: &[&str]) {
    let listed: Vec<String> = findings.iter().map(ToString::to_string).collect();
    assert!(
        findings
            .iter()
            .any(|finding| finding.file == file && words.iter().all(|word| finding.message.contains(word))),
        "expected a finding in {file} with {words:?}; found:\n{}",
        listed.join("\n")
    );
}

const POLICY: &str = "infra/policies/azure-openai-api.xml";
const MAIN: &str = "infra/main.bicep";

#[test]
fn repository_infra_passes() {
    let findings = check(&repository_root(), &spec());
    let listed: Vec<String> = findings.iter().map(ToString::to_string).collect();
    assert!(
        findings.is_empty(),
        "deployment files have problems:\n{}",
        listed.join("\n")
    );
}

#[test]
fn bicep_syntax_error_is_found() {
    let copy = Copy::new("syntax");
    copy.edit(
        "infra/modules/apim.bicep",
        "  properties: {\n    publisherEmail",
        "  properties: \n    publisherEmail",
    );
    assert_found(&copy.findings(), "infra/modules/apim.bicep", &["Bicep syntax error"]);
}

#[test]
fn bicepparam_unknown_parameter_is_found() {
    let copy = Copy::new("bicepparam");
    copy.edit(
        "infra/main.bicepparam",
        "param currency = 'USD'",
        "param currencyCode = 'USD'",
    );
    assert_found(
        &copy.findings(),
        "infra/main.bicepparam",
        &["'currencyCode' is not a parameter of infra/main.bicep"],
    );
}

#[test]
fn user_id_from_header_is_rejected() {
    let copy = Copy::new("header-user");
    copy.edit(
        POLICY,
        r#"value="@(((Jwt)context.Variables["caller-token"]).Claims.GetValueOrDefault("{{user-id-claim}}", ""))""#,
        r#"value="@(context.Request.Headers.GetValueOrDefault("x-user-id", ""))""#,
    );
    let findings = copy.findings();
    assert_found(
        &findings,
        POLICY,
        &["x-user-id is not the validated caller", "context.Request.Headers"],
    );
    assert_found(&findings, POLICY, &["dimension 'User ID' is not the validated caller"]);
}

#[test]
fn user_id_from_body_is_rejected() {
    let copy = Copy::new("body-user");
    copy.edit(
        POLICY,
        r#"<dimension name="User ID" value="@((string)context.Variables["user-id"])" />"#,
        r#"<dimension name="User ID" value="@(context.Request.Body.As<JObject>(preserveContent: true).Value<string>("user"))" />"#,
    );
    assert_found(
        &copy.findings(),
        POLICY,
        &["dimension 'User ID'", "context.Request.Body"],
    );
}

#[test]
fn user_header_without_override_is_rejected() {
    let copy = Copy::new("no-override");
    copy.edit(
        POLICY,
        r#"<set-header name="x-user-id" exists-action="override">"#,
        r#"<set-header name="x-user-id" exists-action="skip">"#,
    );
    assert_found(&copy.findings(), POLICY, &["exists-action=\"override\""]);
}

#[test]
fn missing_token_validation_is_rejected() {
    let copy = Copy::new("no-validation");
    copy.edit(POLICY, "<validate-azure-ad-token ", "<validate-jwt ");
    copy.edit(POLICY, "</validate-azure-ad-token>", "</validate-jwt>");
    assert_found(&copy.findings(), POLICY, &["no validate-azure-ad-token"]);
}

#[test]
fn dimension_without_value_is_rejected() {
    let copy = Copy::new("dimension-value");
    copy.edit(
        POLICY,
        r#"<dimension name="Subscription ID" value="@(context.Subscription?.Id ?? "")" />"#,
        r#"<dimension name="Subscription ID" />"#,
    );
    assert_found(
        &copy.findings(),
        POLICY,
        &["dimension 'Subscription ID' has no value expression"],
    );
}

#[test]
fn renamed_dimension_is_rejected() {
    let copy = Copy::new("dimension-name");
    copy.edit(POLICY, r#"<dimension name="Streamed""#, r#"<dimension name="Stream""#);
    assert_found(
        &copy.findings(),
        POLICY,
        &["the usage app reads [User ID, Deployment, Subscription ID, Streamed]"],
    );
}

#[test]
fn stream_options_on_every_operation_is_rejected() {
    let copy = Copy::new("stream-all");
    copy.edit(
        POLICY,
        r#"<when condition="@(context.Operation.Id == "ChatCompletions_Create" || context.Operation.Id == "V1ChatCompletions_Create")">"#,
        r#"<when condition="@(context.Operation.Id != "")">"#,
    );
    assert_found(&copy.findings(), POLICY, &["only to the chat-completion operations"]);
}

#[test]
fn backend_without_managed_identity_is_rejected() {
    let copy = Copy::new("no-identity");
    copy.edit(
        POLICY,
        r#"resource="https://cognitiveservices.azure.com""#,
        r#"resource="https://management.azure.com""#,
    );
    assert_found(
        &copy.findings(),
        POLICY,
        &["resource=\"https://cognitiveservices.azure.com\""],
    );
}

#[test]
fn malformed_policy_is_rejected() {
    let copy = Copy::new("malformed");
    copy.edit("infra/policies/pricing-api.xml", "<backend>", "<backend");
    assert_found(
        &copy.findings(),
        "infra/policies/pricing-api.xml",
        &["not well-formed XML"],
    );

    let copy = Copy::new("unclosed-expression");
    copy.edit(POLICY, r#"value="@(false)""#, r#"value="@(false""#);
    assert_found(&copy.findings(), POLICY, &["has no closing ')'"]);
}

#[test]
fn undefined_named_value_is_found() {
    let copy = Copy::new("named-value");
    copy.edit(POLICY, "{{gateway-audience}}", "{{gateway-audiences}}");
    let findings = copy.findings();
    assert_found(
        &findings,
        POLICY,
        &["named value '{{gateway-audiences}}' is not defined"],
    );
    assert_found(
        &findings,
        "infra/modules/apim.bicep",
        &["'gateway-audience' is defined but no policy"],
    );
}

#[test]
fn missing_app_setting_is_found() {
    let copy = Copy::new("setting");
    copy.edit(MAIN, "  USAGE_SOURCE: 'apim'\n", "  USAGE_SORCE: 'apim'\n");
    let findings = copy.findings();
    assert_found(&findings, MAIN, &["usage-app reads USAGE_SOURCE"]);
    assert_found(&findings, MAIN, &["USAGE_SORCE is not a setting"]);

    let copy = Copy::new("secret-setting");
    copy.edit(
        MAIN,
        "  AZURE_TENANT_ID: ''\n",
        "  AZURE_TENANT_ID: ''\n  AZURE_CLIENT_SECRET: ''\n",
    );
    assert_found(&copy.findings(), MAIN, &["AZURE_CLIENT_SECRET is a secret"]);

    let copy = Copy::new("local-setting");
    copy.edit("local.settings.json", "\"USAGE_SOURCE\"", "\"USAGE_SOURCE_X\"");
    assert_found(&copy.findings(), "local.settings.json", &["Values has no USAGE_SOURCE"]);
}

#[test]
fn wrong_role_id_is_found() {
    let copy = Copy::new("role");
    copy.edit(
        "infra/modules/role-ids.bicep",
        "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd",
        "5e0bd9bd-7b93-4f28-af87-19fc36ad61be",
    );
    assert_found(
        &copy.findings(),
        "infra/modules/role-ids.bicep",
        &["'Cognitive Services OpenAI User' is '5e0bd9bd-7b93-4f28-af87-19fc36ad61bd'"],
    );

    let copy = Copy::new("role-literal");
    copy.edit(
        "infra/modules/role-assignments.bicep",
        "roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.reader)",
        "roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'acdd72a7-3385-48ef-bd42-f606fba81ae7')",
    );
    assert_found(
        &copy.findings(),
        "infra/modules/role-assignments.bicep",
        &["is not taken from the checked 'roleIds' table"],
    );
}

#[test]
fn missing_gateway_operation_is_found() {
    let copy = Copy::new("operation");
    copy.edit(
        MAIN,
        "urlTemplate: '/prices/compare'",
        "urlTemplate: '/prices/comparison'",
    );
    let findings = copy.findings();
    assert_found(&findings, MAIN, &["pricing-app serves /prices/compare"]);
    assert_found(&findings, MAIN, &["operation /prices/comparison"]);
}

#[test]
fn missing_loaded_file_is_found() {
    let copy = Copy::new("loaded-file");
    copy.edit(
        MAIN,
        "loadTextContent('policies/usage-api.xml')",
        "loadTextContent('policies/usage.xml')",
    );
    assert_found(&copy.findings(), MAIN, &["loadTextContent('policies/usage.xml')"]);
}
