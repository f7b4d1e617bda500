//! Reads the deployment catalog fixtures under `tests/fixtures/deployments/`.

use std::path::PathBuf;

use aoai_core::{DeploymentType, Tier};
use aoai_usage::deployments::{Deployment, DeploymentCatalog};
use chrono::NaiveDate;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/deployments")
        .join(name)
}

fn date(text: &str) -> Option<NaiveDate> {
    Some(NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("valid test date"))
}

fn both_catalogs() -> DeploymentCatalog {
    let paths = [
        fixture("az_deployment_list_eastus2.json"),
        fixture("account_swedencentral.json"),
    ];
    DeploymentCatalog::from_files(&paths, "eastus2").expect("fixtures load")
}

fn lookup<'a>(catalog: &'a DeploymentCatalog, name: &str) -> &'a Deployment {
    catalog
        .get(name)
        .unwrap_or_else(|| panic!("deployment {name} is missing"))
}

fn load_error(names: &[&str]) -> String {
    let paths: Vec<PathBuf> = names.iter().map(|name| fixture(name)).collect();
    match DeploymentCatalog::from_files(&paths, "eastus2") {
        Ok(catalog) => panic!("expected an error for {names:?}, loaded {} deployments", catalog.len()),
        Err(error) => error.to_string(),
    }
}

#[test]
fn fixtures_load_every_deployment() {
    let catalog = both_catalogs();
    assert_eq!(catalog.len(), 13);
    assert_eq!(catalog.iter().count(), 13);
    assert!(!catalog.is_empty());
}

#[test]
fn every_sku_maps_to_type_tier_provisioned() {
    let catalog = both_catalogs();
    let cases = [
        (
            "prod-chat",
            "GlobalStandard",
            DeploymentType::Global,
            Some(Tier::Standard),
            false,
        ),
        (
            "legacy-35",
            "Standard",
            DeploymentType::Regional,
            Some(Tier::Standard),
            false,
        ),
        (
            "us-mini",
            "DataZoneStandard",
            DeploymentType::DataZone,
            Some(Tier::Standard),
            false,
        ),
        (
            "nightly-batch",
            "GlobalBatch",
            DeploymentType::Global,
            Some(Tier::Batch),
            false,
        ),
        (
            "eu-batch",
            "DataZoneBatch",
            DeploymentType::DataZone,
            Some(Tier::Batch),
            false,
        ),
        ("ptu-chat", "ProvisionedManaged", DeploymentType::Regional, None, true),
        (
            "ptu-global",
            "GlobalProvisionedManaged",
            DeploymentType::Global,
            None,
            true,
        ),
        (
            "ptu-eu",
            "DataZoneProvisionedManaged",
            DeploymentType::DataZone,
            None,
            true,
        ),
    ];
    for (name, sku_name, deployment_type, tier, provisioned) in cases {
        let deployment = lookup(&catalog, name);
        assert_eq!(deployment.sku_name, sku_name, "{name}");
        assert_eq!(deployment.sku.deployment_type, deployment_type, "{name}");
        assert_eq!(deployment.sku.tier, tier, "{name}");
        assert_eq!(deployment.sku.provisioned, provisioned, "{name}");
    }
}

#[test]
fn model_names_and_versions() {
    let catalog = both_catalogs();
    let cases = [
        ("prod-chat", "gpt-4o", date("2024-11-20")),
        ("legacy-35", "gpt-35-turbo", date("2023-06-13")),
        ("legacy-35-0125", "gpt-35-turbo", date("2024-01-25")),
        ("gpt4-legacy", "gpt-4", date("2023-06-13")),
        ("ptu-global", "gpt-4.1", date("2025-04-14")),
        ("embed-large", "text-embedding-3-large", None),
        ("embed-ada", "text-embedding-ada-002", None),
    ];
    for (name, model, version) in cases {
        let deployment = lookup(&catalog, name);
        assert_eq!(deployment.model.name, model, "{name}");
        assert_eq!(deployment.model.version, version, "{name}");
    }
}

#[test]
fn regions_and_accounts_by_file_form() {
    let catalog = both_catalogs();

    let bare = lookup(&catalog, "prod-chat");
    assert_eq!(bare.region, "eastus2");
    assert_eq!(bare.account, None);

    let account = lookup(&catalog, "prod-chat-eu");
    assert_eq!(account.region, "swedencentral");
    assert_eq!(account.account.as_deref(), Some("aoai-contoso-swc"));
}

#[test]
fn bare_array_uses_given_default_region() {
    let paths = [fixture("az_deployment_list_eastus2.json")];
    let catalog = DeploymentCatalog::from_files(&paths, "Central US").expect("fixture loads");
    assert_eq!(lookup(&catalog, "prod-chat").region, "centralus");
}

#[test]
fn lookup_ignores_case() {
    let catalog = both_catalogs();
    assert_eq!(lookup(&catalog, "PROD-CHAT-EU").name, "prod-chat-eu");
    assert_eq!(lookup(&catalog, "Embed-Large").name, "embed-large");
    assert!(catalog.get("prod-chat-us").is_none());
}

#[test]
fn repeated_identical_deployment_merges() {
    let paths = [
        fixture("az_deployment_list_eastus2.json"),
        fixture("repeated_prod_chat_eastus2.json"),
    ];
    let catalog = DeploymentCatalog::from_files(&paths, "eastus2").expect("fixtures load");
    assert_eq!(catalog.len(), 7);
    assert_eq!(lookup(&catalog, "prod-chat").name, "prod-chat");
}

#[test]
fn conflicting_duplicate_names_both_files() {
    let message = load_error(&["az_deployment_list_eastus2.json", "conflicting_prod_chat_westus3.json"]);
    assert!(message.contains("'Prod-Chat'"), "{message}");
    assert!(
        message.contains("az_deployment_list_eastus2.json' at index 0"),
        "{message}"
    );
    assert!(
        message.contains("conflicting_prod_chat_westus3.json' at index 0"),
        "{message}"
    );
    assert!(message.contains("remove one entry"), "{message}");
}

#[test]
fn unknown_sku_names_file_deployment_sku() {
    let message = load_error(&["invalid_unknown_sku.json"]);
    assert!(message.contains("invalid_unknown_sku.json"), "{message}");
    assert!(message.contains("deployment 'reserved-chat' (index 1)"), "{message}");
    assert!(message.contains("'DeveloperTier'"), "{message}");
    assert!(message.contains("GlobalProvisionedManaged"), "{message}");
}

#[test]
fn invalid_date_version_names_value() {
    let message = load_error(&["invalid_version_date.json"]);
    assert!(message.contains("invalid_version_date.json"), "{message}");
    assert!(message.contains("deployment 'typo-chat'"), "{message}");
    assert!(message.contains("'properties.model.version'"), "{message}");
    assert!(message.contains("'2024-11-31'"), "{message}");
}

#[test]
fn table_output_is_not_json() {
    let message = load_error(&["invalid_table_output.txt"]);
    assert!(message.contains("invalid_table_output.txt"), "{message}");
    assert!(message.contains("not valid JSON"), "{message}");
}

#[test]
fn empty_file_is_rejected() {
    let message = load_error(&["invalid_empty.json"]);
    assert!(message.contains("invalid_empty.json"), "{message}");
    assert!(message.contains("is empty"), "{message}");
}

#[test]
fn missing_file_names_path() {
    let message = load_error(&["no_such_catalog.json"]);
    assert!(message.contains("failed to read"), "{message}");
    assert!(message.contains("no_such_catalog.json"), "{message}");
}

#[test]
fn no_files_give_empty_catalog() {
    let catalog = DeploymentCatalog::from_files(&[], "eastus2").expect("empty list loads");
    assert!(catalog.is_empty());
}

#[test]
fn truncated_files_error_without_panic() {
    for name in ["az_deployment_list_eastus2.json", "account_swedencentral.json"] {
        let full = std::fs::read_to_string(fixture(name)).expect("fixture reads");
        let text = full.trim_end();
        let cuts = (0..text.len()).step_by(7).filter(|cut| text.is_char_boundary(*cut));
        for cut in cuts {
            let result = DeploymentCatalog::parse(&text[..cut], name, "eastus2");
            assert!(result.is_err(), "{name} cut at byte {cut} parsed");
        }
    }
}
