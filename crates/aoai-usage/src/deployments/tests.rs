use aoai_core::{DeploymentType, Tier};

use super::*;

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("valid test date")
}

fn item(name: &str, model: &str, version: &str, sku: &str) -> String {
    format!(
        r#"{{"name": "{name}", "sku": {{"name": "{sku}", "capacity": 10}},
            "properties": {{"model": {{"format": "OpenAI", "name": "{model}", "version": "{version}"}}}}}}"#
    )
}

fn parse_error(text: &str) -> String {
    match DeploymentCatalog::parse(text, "catalog.json", "eastus2") {
        Ok(deployments) => panic!("expected an error for {text}, parsed {deployments:?}"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn region_normalization() {
    let cases = [
        ("eastus2", Some("eastus2")),
        ("East US 2", Some("eastus2")),
        ("  Sweden Central ", Some("swedencentral")),
        ("WESTEUROPE", Some("westeurope")),
        ("east-us", None),
        ("", None),
        ("   ", None),
        ("eastüs", None),
    ];
    for (input, expected) in cases {
        assert_eq!(normalize_region(input).as_deref(), expected, "{input:?}");
    }
}

#[test]
fn version_forms() {
    let cases = [
        ("gpt-4o", "2024-11-20", Some("2024-11-20")),
        ("gpt-35-turbo", "0613", Some("2023-06-13")),
        ("gpt-35-turbo", "0125", Some("2024-01-25")),
        ("gpt-4", "0613", Some("2023-06-13")),
        ("text-embedding-3-large", "1", None),
        ("text-embedding-ada-002", "2", None),
        ("whisper", "001", None),
        ("gpt-4", "1106-Preview", None),
        ("gpt-4", "turbo-2024-04-09", None),
        ("dall-e-3", "3.0", None),
        ("gpt-4o", "", None),
    ];
    for (model, version, expected) in cases {
        let parsed = parse_version(model, version).expect(version);
        assert_eq!(parsed, expected.map(date), "{model} {version}");
    }
}

#[test]
fn invalid_versions_are_rejected() {
    let cases = [
        ("gpt-4o", "2024-13-40", "not a valid YYYY-MM-DD date"),
        ("gpt-4o", "2024-02-30", "not a valid YYYY-MM-DD date"),
        ("gpt-4o", "2024-1-1-1", "not a valid YYYY-MM-DD date"),
        ("gpt-4o", "0101", "not a known release"),
        ("gpt-35-turbo-instruct", "0914", "no known release dates"),
    ];
    for (model, version, expected) in cases {
        let reason = parse_version(model, version).expect_err(version);
        assert!(reason.contains(expected), "{version}: {reason}");
        assert!(reason.contains(version), "{version}: {reason}");
    }
}

#[test]
fn bare_array_takes_default_region() {
    let text = format!("[{}]", item("chat", "gpt-4o", "2024-11-20", "GlobalStandard"));
    let deployments = DeploymentCatalog::parse(&text, "bare.json", "Sweden Central").expect("parses");
    assert_eq!(deployments.len(), 1);
    assert_eq!(deployments[0].region, "swedencentral");
    assert_eq!(deployments[0].account, None);
}

#[test]
fn account_file_takes_its_location() {
    let text = format!(
        r#"{{"account": "aoai-eu", "location": "West Europe", "deployments": [{}]}}"#,
        item("chat", "gpt-4o", "2024-11-20", "DataZoneStandard")
    );
    let deployments = DeploymentCatalog::parse(&text, "eu.json", "eastus2").expect("parses");
    assert_eq!(deployments[0].region, "westeurope");
    assert_eq!(deployments[0].account.as_deref(), Some("aoai-eu"));
}

#[test]
fn rest_value_wrapper_takes_default_region() {
    let text = format!(r#"{{"value": [{}]}}"#, item("chat", "gpt-4o", "2024-11-20", "Standard"));
    let deployments = DeploymentCatalog::parse(&text, "rest.json", "eastus2").expect("parses");
    assert_eq!(deployments[0].region, "eastus2");
    assert_eq!(deployments[0].sku.deployment_type, DeploymentType::Regional);
}

#[test]
fn item_fields_are_mapped() {
    let text = format!("[{}]", item(" prod-chat ", "GPT-3.5-Turbo", "0613", "globalbatch"));
    let deployments = DeploymentCatalog::parse(&text, "bare.json", "eastus2").expect("parses");
    let deployment = &deployments[0];
    assert_eq!(deployment.name, "prod-chat");
    assert_eq!(deployment.model.name, "gpt-35-turbo");
    assert_eq!(deployment.model.version, Some(date("2023-06-13")));
    assert_eq!(deployment.sku_name, "globalbatch");
    assert_eq!(deployment.sku.deployment_type, DeploymentType::Global);
    assert_eq!(deployment.sku.tier, Some(Tier::Batch));
    assert!(!deployment.sku.provisioned);
}

#[test]
fn missing_version_keeps_model_name_suffix() {
    let text =
        r#"[{"name": "a", "sku": {"name": "Standard"}, "properties": {"model": {"name": "gpt-4o-2024-08-06"}}}]"#;
    let deployments = DeploymentCatalog::parse(text, "bare.json", "eastus2").expect("parses");
    assert_eq!(deployments[0].model.name, "gpt-4o");
    assert_eq!(deployments[0].model.version, Some(date("2024-08-06")));
}

#[test]
fn malformed_catalogs_are_rejected() {
    let good = item("chat", "gpt-4o", "2024-11-20", "GlobalStandard");
    let cases: Vec<(&str, String, &[&str])> = vec![
        ("empty text", String::new(), &["catalog.json", "is empty"]),
        ("blank text", "  \n ".to_owned(), &["is empty"]),
        ("not JSON", "name,model".to_owned(), &["catalog.json", "not valid JSON"]),
        ("truncated JSON", "[{\"name\": ".to_owned(), &["not valid JSON"]),
        ("number at top", "42".to_owned(), &["the top level is a number"]),
        (
            "object without list",
            "{}".to_owned(),
            &["neither a \"deployments\" nor a \"value\""],
        ),
        (
            "deployments not array",
            r#"{"location": "eastus", "deployments": 3}"#.to_owned(),
            &["\"deployments\" is a number"],
        ),
        (
            "value not array",
            r#"{"value": {"name": "x"}}"#.to_owned(),
            &["\"value\" is an object"],
        ),
        (
            "account file without location",
            format!(r#"{{"deployments": [{good}]}}"#),
            &["\"location\" is missing"],
        ),
        (
            "location not string",
            format!(r#"{{"location": 5, "deployments": [{good}]}}"#),
            &["\"location\" is a number"],
        ),
        (
            "account not string",
            format!(r#"{{"account": [], "location": "eastus", "deployments": [{good}]}}"#),
            &["\"account\" is an array"],
        ),
        (
            "invalid location",
            format!(r#"{{"location": "east-us", "deployments": [{good}]}}"#),
            &["invalid region 'east-us'", "field 'location'"],
        ),
        (
            "item not object",
            "[1]".to_owned(),
            &["item at index 0", "'(item)'", "a number"],
        ),
        (
            "name missing",
            "[{}]".to_owned(),
            &["item at index 0", "'name'", "is missing"],
        ),
        (
            "name wrong type",
            r#"[{"name": 5}]"#.to_owned(),
            &["'name'", "is a number, not a string"],
        ),
        ("name blank", r#"[{"name": " "}]"#.to_owned(), &["'name'", "is empty"]),
        (
            "model missing",
            r#"[{"name": "chat", "sku": {"name": "Standard"}}]"#.to_owned(),
            &["deployment 'chat' (index 0)", "'properties.model.name'", "is missing"],
        ),
        (
            "properties not object",
            r#"[{"name": "chat", "properties": "x"}]"#.to_owned(),
            &["'properties.model.name'", "'model' sits in a string"],
        ),
        (
            "model name blank",
            r#"[{"name": "chat", "properties": {"model": {"name": ""}}}]"#.to_owned(),
            &["'properties.model.name'", "is empty"],
        ),
        (
            "version wrong type",
            r#"[{"name": "chat", "properties": {"model": {"name": "gpt-4o", "version": 613}}}]"#.to_owned(),
            &["'properties.model.version'", "is a number"],
        ),
        (
            "invalid date version",
            format!("[{}]", item("chat", "gpt-4o", "2024-13-40", "Standard")),
            &["'properties.model.version'", "'2024-13-40'", "YYYY-MM-DD"],
        ),
        (
            "unknown MMDD",
            format!("[{}]", item("chat", "gpt-4o", "0101", "Standard")),
            &["'properties.model.version'", "'0101'", "not a known release"],
        ),
        (
            "sku missing",
            r#"[{"name": "chat", "properties": {"model": {"name": "gpt-4o"}}}]"#.to_owned(),
            &["deployment 'chat'", "'sku.name'", "is missing"],
        ),
        (
            "unknown sku",
            format!("[{}]", item("chat", "gpt-4o", "2024-11-20", "GlobalTurbo")),
            &[
                "catalog.json",
                "deployment 'chat'",
                "unknown SKU 'GlobalTurbo'",
                "DataZoneProvisionedManaged",
            ],
        ),
        (
            "second item bad",
            format!("[{good}, {}]", item("other", "gpt-4o", "2024-11-20", "Gold")),
            &["deployment 'other' (index 1)", "'Gold'"],
        ),
    ];
    for (label, text, expected) in cases {
        let message = parse_error(&text);
        for part in expected {
            assert!(message.contains(part), "{label}: missing {part:?} in: {message}");
        }
    }
}

#[test]
fn invalid_default_region_is_rejected() {
    let text = format!("[{}]", item("chat", "gpt-4o", "2024-11-20", "Standard"));
    let error = DeploymentCatalog::parse(&text, "bare.json", "us east!").expect_err("invalid region");
    let message = error.to_string();
    assert!(message.contains("'us east!'"), "{message}");
    assert!(message.contains("AOAI_DEFAULT_REGION"), "{message}");
}

#[test]
fn invalid_default_region_unused_by_account_file() {
    let text = format!(
        r#"{{"location": "eastus", "deployments": [{}]}}"#,
        item("chat", "gpt-4o", "2024-11-20", "Standard")
    );
    let deployments = DeploymentCatalog::parse(&text, "acct.json", "not a region!").expect("parses");
    assert_eq!(deployments[0].region, "eastus");
}

fn deployment(name: &str, region: &str) -> Deployment {
    Deployment {
        name: name.to_owned(),
        account: Some("aoai-one".to_owned()),
        model: ModelKey::parse("gpt-4o-2024-11-20"),
        sku: "GlobalStandard".parse().expect("known SKU"),
        sku_name: "GlobalStandard".to_owned(),
        region: region.to_owned(),
    }
}

#[test]
fn lookup_ignores_case() {
    let catalog = DeploymentCatalog::from_deployments(vec![deployment("Prod-Chat", "eastus2")]).expect("builds");
    assert_eq!(catalog.get("prod-chat").map(|d| d.name.as_str()), Some("Prod-Chat"));
    assert_eq!(catalog.get("PROD-CHAT").map(|d| d.name.as_str()), Some("Prod-Chat"));
    assert!(catalog.get("prod-chat-eu").is_none());
    assert!(catalog.get("").is_none());
}

#[test]
fn identical_duplicates_are_merged() {
    let mut second = deployment("PROD-CHAT", "eastus2");
    second.sku_name = "globalstandard".to_owned();
    let catalog =
        DeploymentCatalog::from_deployments(vec![deployment("prod-chat", "eastus2"), second]).expect("builds");
    assert_eq!(catalog.len(), 1);
    assert_eq!(catalog.iter().count(), 1);
    assert_eq!(catalog.get("prod-chat").map(|d| d.name.as_str()), Some("prod-chat"));
}

#[test]
fn conflicting_duplicates_are_rejected() {
    let cases = [
        ("region", deployment("PROD-chat", "westeurope")),
        (
            "account",
            Deployment {
                account: None,
                ..deployment("prod-chat", "eastus2")
            },
        ),
        (
            "model",
            Deployment {
                model: ModelKey::parse("gpt-4o-mini"),
                ..deployment("prod-chat", "eastus2")
            },
        ),
        (
            "sku",
            Deployment {
                sku: "DataZoneStandard".parse().expect("known SKU"),
                ..deployment("prod-chat", "eastus2")
            },
        ),
    ];
    for (label, conflicting) in cases {
        let error = DeploymentCatalog::from_deployments(vec![deployment("prod-chat", "eastus2"), conflicting])
            .expect_err(label);
        let message = error.to_string();
        assert!(message.contains("list entry 0"), "{label}: {message}");
        assert!(message.contains("list entry 1"), "{label}: {message}");
        assert!(
            message.contains("'PROD-chat'") || message.contains("'prod-chat'"),
            "{label}: {message}"
        );
    }
}

#[test]
fn empty_catalog() {
    let catalog = DeploymentCatalog::from_deployments(Vec::new()).expect("builds");
    assert!(catalog.is_empty());
    assert_eq!(catalog.len(), 0);
    assert!(catalog.get("chat").is_none());
}

#[test]
fn inline_catalog_is_read_before_the_files() {
    let inline = format!(
        r#"{{"account": "aoai-meter-oai", "location": "swedencentral", "deployments": [{}]}}"#,
        item("chat", "gpt-4o", "2024-11-20", "DataZoneStandard")
    );
    let catalog = DeploymentCatalog::from_sources(Some(&inline), &[], "eastus2").expect("inline catalog");
    let chat = catalog.get("CHAT").expect("chat is in the catalog");
    assert_eq!(chat.region, "swedencentral");
    assert_eq!(chat.account.as_deref(), Some("aoai-meter-oai"));
    assert_eq!(chat.sku.deployment_type, DeploymentType::DataZone);
    assert_eq!(chat.model.version, Some(date("2024-11-20")));

    let error = DeploymentCatalog::from_sources(Some("[1"), &[], "eastus2")
        .expect_err("broken inline JSON")
        .to_string();
    assert!(error.contains("'AOAI_DEPLOYMENTS_JSON' is not valid JSON"), "{error}");

    let dir = std::env::temp_dir().join(format!("aoai-inline-catalog-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary folder");
    let file = dir.join("other.json");
    std::fs::write(
        &file,
        format!("[{}]", item("chat", "gpt-4o-mini", "2024-07-18", "GlobalStandard")),
    )
    .expect("catalog file");
    let error = DeploymentCatalog::from_sources(Some(&inline), std::slice::from_ref(&file), "eastus2")
        .expect_err("the file disagrees with the inline catalog")
        .to_string();
    assert!(error.contains("AOAI_DEPLOYMENTS_JSON"), "{error}");
    std::fs::remove_dir_all(&dir).ok();
}
