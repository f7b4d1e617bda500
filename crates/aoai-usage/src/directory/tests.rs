use super::*;

fn csv_error(text: &str) -> String {
    match Directory::parse_csv(text, "users.csv") {
        Ok(directory) => panic!("expected an error for {text:?}, parsed {} users", directory.len()),
        Err(error) => error.to_string(),
    }
}

fn json_error(text: &str) -> String {
    match Directory::parse_json(text, "users.json") {
        Ok(directory) => panic!("expected an error for {text:?}, parsed {} users", directory.len()),
        Err(error) => error.to_string(),
    }
}

#[test]
fn header_names_fold() {
    let cases = [
        ("id", Some(Field::Id)),
        ("ID", Some(Field::Id)),
        ("display_name", Some(Field::DisplayName)),
        ("Display Name", Some(Field::DisplayName)),
        ("displayName", Some(Field::DisplayName)),
        ("E-mail", Some(Field::Email)),
        ("Team", Some(Field::Team)),
        ("cost-center", Some(Field::CostCenter)),
        ("CostCenter", Some(Field::CostCenter)),
        ("department", None),
        ("", None),
    ];
    for (header, expected) in cases {
        assert_eq!(Field::from_header(header), expected, "{header:?}");
    }
}

#[test]
fn csv_maps_columns_by_header() {
    let text = "team,ID,display name,office,email,cost_center\n\
                Platform,U1,\"Doe, Jane\",Oslo,jane@contoso.com,CC-100\n";
    let directory = Directory::parse_csv(text, "users.csv").expect("parses");
    let entry = directory.get("u1").expect("u1 present");
    assert_eq!(entry.id, "U1");
    assert_eq!(entry.display_name.as_deref(), Some("Doe, Jane"));
    assert_eq!(entry.email.as_deref(), Some("jane@contoso.com"));
    assert_eq!(entry.team.as_deref(), Some("Platform"));
    assert_eq!(entry.cost_center.as_deref(), Some("CC-100"));
}

#[test]
fn csv_empty_cells_are_none() {
    let text = "id,display_name,email,team,cost_center\nu1,  ,,Research,\n";
    let directory = Directory::parse_csv(text, "users.csv").expect("parses");
    let entry = directory.get("u1").expect("u1 present");
    assert_eq!(entry.display_name, None);
    assert_eq!(entry.email, None);
    assert_eq!(entry.team.as_deref(), Some("Research"));
    assert_eq!(entry.cost_center, None);
}

#[test]
fn csv_id_column_alone_suffices() {
    let directory = Directory::parse_csv("id\nu1\nu2\n", "users.csv").expect("parses");
    assert_eq!(directory.len(), 2);
    assert_eq!(directory.get("u2").and_then(|entry| entry.team.clone()), None);
}

#[test]
fn csv_bom_and_crlf_are_tolerated() {
    let text = "\u{feff}id,team\r\nu1,Platform\r\n";
    let directory = Directory::parse_csv(text, "users.csv").expect("parses");
    assert_eq!(
        directory.get("u1").and_then(|entry| entry.team.as_deref()),
        Some("Platform")
    );
}

#[test]
fn csv_blank_rows_are_skipped() {
    let text = "id,team\nu1,Platform\n,\n\nu2,Research\n";
    let directory = Directory::parse_csv(text, "users.csv").expect("parses");
    assert_eq!(directory.len(), 2);
}

#[test]
fn csv_header_only_is_empty_directory() {
    let directory = Directory::parse_csv("id,display_name\n", "users.csv").expect("parses");
    assert!(directory.is_empty());
}

#[test]
fn malformed_csv_is_rejected() {
    let cases: [(&str, &str, &[&str]); 7] = [
        ("empty", "", &["users.csv", "is empty"]),
        ("only BOM", "\u{feff}", &["is empty"]),
        (
            "no id column",
            "name,team\nJane,Platform\n",
            &["no 'id' column", "'name', 'team'"],
        ),
        ("repeated column", "id,Team,team\nu1,a,b\n", &["'team' twice", "'Team'"]),
        (
            "empty id",
            "id,team\nu1,a\n  ,b\n",
            &["users.csv", "line 3", "id is empty"],
        ),
        (
            "ragged row",
            "id,team\nu1,a,extra\n",
            &["users.csv", "not valid CSV", "line: 2"],
        ),
        (
            "duplicate id",
            "id,team\nU1,a\nu2,b\n u1 ,c\n",
            &["users.csv", "'u1'", "line 2", "line 4", "different values"],
        ),
    ];
    for (label, text, expected) in cases {
        let message = csv_error(text);
        for part in expected {
            assert!(message.contains(part), "{label}: missing {part:?} in: {message}");
        }
    }
}

#[test]
fn identical_duplicate_rows_merge() {
    let text = "id,team\nu1,Platform\nU1,Platform\n";
    let directory = Directory::parse_csv(text, "users.csv").expect("parses");
    assert_eq!(directory.len(), 1);
    assert_eq!(directory.get("u1").map(|entry| entry.id.as_str()), Some("u1"));
}

#[test]
fn json_array_and_users_object() {
    let array = r#"[{"id": "u1", "displayName": "Jane Doe", "team": null, "extra": 3}]"#;
    let wrapped = r#"{"users": [{"id": "u1", "display_name": "Jane Doe", "team": ""}]}"#;
    let with_bom = format!("\u{feff}{array}");
    for text in [array, wrapped, with_bom.as_str()] {
        let directory = Directory::parse_json(text, "users.json").expect(text);
        let entry = directory.get("U1").expect("u1 present");
        assert_eq!(entry.display_name.as_deref(), Some("Jane Doe"), "{text}");
        assert_eq!(entry.team, None, "{text}");
    }
}

#[test]
fn json_numeric_id_is_text() {
    let directory = Directory::parse_json(r#"[{"id": 104233}]"#, "users.json").expect("parses");
    assert_eq!(directory.get("104233").map(|entry| entry.id.as_str()), Some("104233"));
}

#[test]
fn malformed_json_is_rejected() {
    let cases: [(&str, &str, &[&str]); 12] = [
        ("empty", " ", &["users.json", "is empty"]),
        ("not JSON", "id,team\nu1,a", &["users.json", "not valid JSON"]),
        ("number", "7", &["the top level is a number"]),
        ("object without users", r#"{"people": []}"#, &["no \"users\" key"]),
        (
            "users not array",
            r#"{"users": {"id": "u1"}}"#,
            &["\"users\" is an object"],
        ),
        ("item not object", r#"["u1"]"#, &["index 0", "a string, not an object"]),
        ("id missing", r#"[{"team": "a"}]"#, &["index 0", "'id'", "is missing"]),
        ("id null", r#"[{"id": null}]"#, &["index 0", "id is empty"]),
        (
            "id blank",
            r#"[{"id": "u1"}, {"id": "  "}]"#,
            &["index 1", "id is empty"],
        ),
        (
            "team wrong type",
            r#"[{"id": "u1", "team": 5}]"#,
            &["index 0", "'team'", "a number, not a string"],
        ),
        (
            "key repeated by spelling",
            r#"[{"id": "u1", "cost_center": "a", "costCenter": "b"}]"#,
            &["index 0", "'costCenter'", "'cost_center'", "repeats"],
        ),
        (
            "duplicate id",
            r#"[{"id": "u1", "team": "a"}, {"id": "U1", "team": "b"}]"#,
            &["'U1'", "index 0", "index 1", "different values"],
        ),
    ];
    for (label, text, expected) in cases {
        let message = json_error(text);
        for part in expected {
            assert!(message.contains(part), "{label}: missing {part:?} in: {message}");
        }
    }
}

#[test]
fn lookup_trims_and_ignores_case() {
    let text = "id\n3F2B8C1E-9A4D-4C6B-8E21-7D5A0B9C4E13\n";
    let directory = Directory::parse_csv(text, "users.csv").expect("parses");
    assert!(directory.get("3f2b8c1e-9a4d-4c6b-8e21-7d5a0b9c4e13").is_some());
    assert!(directory.get("  3F2B8C1E-9A4D-4C6B-8E21-7D5A0B9C4E13 ").is_some());
    assert!(directory.get("3f2b8c1e").is_none());
    assert!(directory.get("").is_none());
}

#[test]
fn default_directory_is_empty() {
    let directory = Directory::default();
    assert!(directory.is_empty());
    assert_eq!(directory.len(), 0);
    assert!(directory.get("u1").is_none());
}
