//! Reads the user directory fixtures under `tests/fixtures/directory/`.

use std::path::PathBuf;

use aoai_usage::directory::{Directory, DirectoryEntry, DirectoryError};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/directory")
        .join(name)
}

fn load(name: &str) -> Directory {
    Directory::from_file(&fixture(name)).unwrap_or_else(|error| panic!("{name} loads: {error}"))
}

fn load_error(name: &str) -> String {
    match Directory::from_file(&fixture(name)) {
        Ok(directory) => panic!("expected an error for {name}, loaded {} users", directory.len()),
        Err(error) => error.to_string(),
    }
}

fn entry<'a>(directory: &'a Directory, id: &str) -> &'a DirectoryEntry {
    directory.get(id).unwrap_or_else(|| panic!("user {id} is missing"))
}

#[test]
fn csv_fixture_loads_every_user() {
    let directory = load("users.csv");
    assert_eq!(directory.len(), 4);
    assert_eq!(directory.iter().count(), 4);
}

#[test]
fn csv_quoted_cells_and_bom() {
    let directory = load("users.csv");

    let jane = entry(&directory, "3f2b8c1e-9a4d-4c6b-8e21-7d5a0b9c4e13");
    assert_eq!(jane.id, "3F2B8C1E-9A4D-4C6B-8E21-7D5A0B9C4E13");
    assert_eq!(jane.display_name.as_deref(), Some("Doe, Jane"));
    assert_eq!(jane.email.as_deref(), Some("jane.doe@contoso.com"));
    assert_eq!(jane.team.as_deref(), Some("Platform"));
    assert_eq!(jane.cost_center.as_deref(), Some("CC-1040"));

    let arjun = entry(&directory, "a7d04c9b-1e2f-4b3a-9c8d-0f1e2d3c4b5a");
    assert_eq!(arjun.team.as_deref(), Some("Search, Ranking"));

    let lily = entry(&directory, "li.wei@contoso.com");
    assert_eq!(lily.display_name.as_deref(), Some("Wei \"Lily\" Li"));
}

#[test]
fn csv_empty_cells_are_none() {
    let directory = load("users.csv");

    let agent = entry(&directory, "b91e6f20-4c7d-4e8a-a1b2-c3d4e5f60718");
    assert_eq!(agent.email, None);
    assert_eq!(agent.cost_center, None);
    assert_eq!(agent.team.as_deref(), Some("Platform"));

    let lily = entry(&directory, "li.wei@contoso.com");
    assert_eq!(lily.team, None);
}

#[test]
fn lookup_trims_and_ignores_case() {
    let directory = load("users.csv");
    let cases = [
        "3F2B8C1E-9A4D-4C6B-8E21-7D5A0B9C4E13",
        "3f2b8c1e-9a4d-4c6b-8e21-7d5a0b9c4e13",
        "  3f2b8c1e-9a4d-4c6b-8e21-7d5a0b9c4e13\t",
    ];
    for id in cases {
        assert_eq!(
            entry(&directory, id).display_name.as_deref(),
            Some("Doe, Jane"),
            "{id:?}"
        );
    }
    assert_eq!(entry(&directory, "LI.WEI@CONTOSO.COM").id, "li.wei@contoso.com");
    assert!(directory.get("jane.doe@contoso.com").is_none());
    assert!(directory.get("").is_none());
}

#[test]
fn json_users_object_loads() {
    let directory = load("users.json");
    assert_eq!(directory.len(), 3);

    let jane = entry(&directory, "3f2b8c1e-9a4d-4c6b-8e21-7d5a0b9c4e13");
    assert_eq!(jane.display_name.as_deref(), Some("Doe, Jane"));
    assert_eq!(jane.cost_center.as_deref(), Some("CC-1040"));

    let agent = entry(&directory, "b91e6f20-4c7d-4e8a-a1b2-c3d4e5f60718");
    assert_eq!(agent.email, None);
    assert_eq!(agent.cost_center, None);

    let lily = entry(&directory, "li.wei@contoso.com");
    assert_eq!(lily.team, None);
    assert_eq!(lily.display_name.as_deref(), Some("Wei \"Lily\" Li"));
}

#[test]
fn json_array_loads() {
    let directory = load("users_array.json");
    assert_eq!(directory.len(), 2);
    assert_eq!(
        entry(&directory, "A7D04C9B-1E2F-4B3A-9C8D-0F1E2D3C4B5A")
            .team
            .as_deref(),
        Some("Search, Ranking")
    );
    assert_eq!(
        entry(&directory, "104233").display_name.as_deref(),
        Some("Contractor 104233")
    );
}

#[test]
fn csv_and_json_agree() {
    let csv = load("users.csv");
    let json = load("users.json");
    for user in json.iter() {
        let row = entry(&csv, &user.id);
        assert_eq!(row.display_name, user.display_name, "{}", user.id);
        assert_eq!(row.email, user.email, "{}", user.id);
        assert_eq!(row.cost_center, user.cost_center, "{}", user.id);
    }
}

#[test]
fn duplicate_csv_id_names_lines() {
    let message = load_error("invalid_duplicate_id.csv");
    assert!(message.contains("invalid_duplicate_id.csv"), "{message}");
    assert!(message.contains("'3F2B8C1E-9A4D-4C6B-8E21-7D5A0B9C4E13'"), "{message}");
    assert!(message.contains("line 2"), "{message}");
    assert!(message.contains("line 4"), "{message}");
}

#[test]
fn duplicate_json_id_names_indexes() {
    let message = load_error("invalid_duplicate_id.json");
    assert!(message.contains("invalid_duplicate_id.json"), "{message}");
    assert!(message.contains("'U1'"), "{message}");
    assert!(message.contains("index 0"), "{message}");
    assert!(message.contains("index 1"), "{message}");
}

#[test]
fn empty_id_names_line() {
    let message = load_error("invalid_empty_id.csv");
    assert!(message.contains("invalid_empty_id.csv"), "{message}");
    assert!(message.contains("line 3"), "{message}");
    assert!(message.contains("id is empty"), "{message}");
}

#[test]
fn missing_id_column_lists_headers() {
    let message = load_error("invalid_missing_id_column.csv");
    assert!(message.contains("no 'id' column"), "{message}");
    assert!(message.contains("'user'"), "{message}");
}

#[test]
fn unquoted_comma_names_line() {
    let message = load_error("invalid_unquoted_comma.csv");
    assert!(message.contains("invalid_unquoted_comma.csv"), "{message}");
    assert!(message.contains("not valid CSV"), "{message}");
    assert!(message.contains("line: 2"), "{message}");
}

#[test]
fn unsupported_extension_is_rejected() {
    let error = Directory::from_file(&fixture("invalid_extension.tsv")).expect_err("tsv is rejected");
    assert!(matches!(error, DirectoryError::UnsupportedFormat { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("invalid_extension.tsv"), "{message}");
    assert!(message.contains(".csv or .json"), "{message}");
}

#[test]
fn extension_ignores_case() {
    let directory_dir = std::env::temp_dir().join(format!("aoai-usage-directory-{}", std::process::id()));
    std::fs::create_dir_all(&directory_dir).expect("temp dir");
    let path = directory_dir.join("USERS.CSV");
    std::fs::copy(fixture("users.csv"), &path).expect("copy fixture");

    let loaded = Directory::from_file(&path);
    std::fs::remove_dir_all(&directory_dir).expect("remove temp dir");
    assert_eq!(loaded.expect("upper-case extension loads").len(), 4);
}

#[test]
fn missing_file_names_path() {
    let message = load_error("no_such_users.csv");
    assert!(message.contains("failed to read"), "{message}");
    assert!(message.contains("no_such_users.csv"), "{message}");
}

#[test]
fn truncated_files_parse_without_panic() {
    for name in [
        "users.csv",
        "invalid_duplicate_id.csv",
        "users.json",
        "users_array.json",
    ] {
        let full = std::fs::read_to_string(fixture(name)).expect("fixture reads");
        let text = full.trim_end();
        for cut in (0..text.len()).filter(|cut| text.is_char_boundary(*cut)) {
            let prefix = &text[..cut];
            if name.ends_with(".json") {
                let result = Directory::parse_json(prefix, name);
                assert!(result.is_err(), "{name} cut at byte {cut} parsed");
            } else {
                // A CSV prefix may be a valid shorter file, so only a panic fails here.
                let _ = Directory::parse_csv(prefix, name);
            }
        }
    }
}
