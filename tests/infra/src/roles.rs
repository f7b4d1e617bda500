//! Built-in Azure role definitions, and the check that the templates assign only these by
//! their real ids.

use crate::Finding;
use crate::bicep::BicepFile;

/// Built-in roles by name and id, from Microsoft's "Azure built-in roles" page
/// (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles).
pub const BUILT_IN_ROLES: [(&str, &str); 9] = [
    ("Cognitive Services OpenAI User", "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"),
    (
        "Cognitive Services OpenAI Contributor",
        "a001fd3d-188f-4b5d-821b-7da978bf7442",
    ),
    ("Cognitive Services User", "a97b65f3-24c7-4388-baec-2e87135dc908"),
    ("Log Analytics Reader", "73c42c96-874c-492b-b04d-ab87d138a893"),
    ("Monitoring Metrics Publisher", "3913510d-42f4-4e42-8a64-420c390055eb"),
    ("Monitoring Reader", "43d0d8ad-25c7-4714-9337-8ba259a9fe05"),
    ("Reader", "acdd72a7-3385-48ef-bd42-f606fba81ae7"),
    ("Storage Blob Data Contributor", "ba92f5b4-2d11-453d-a403-e96b0029c9fe"),
    ("Storage Blob Data Owner", "b7e6dc6d-f1e8-4753-8033-0f276bb0955b"),
];

/// Name of the exported variable that contains role ids by camel-case role name.
pub const ROLE_IDS_VARIABLE: &str = "roleIds";

/// Checks the `roleIds` table against [`BUILT_IN_ROLES`], and that every role definition a
/// template references is `roleIds.<name>` of that table.
pub fn check(files: &[BicepFile]) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut table = Vec::new();
    for file in files {
        let variables = file.variables();
        let Some(value) = variables.get(ROLE_IDS_VARIABLE) else {
            continue;
        };
        for (key, id_node) in file.object_properties(*value) {
            let id = file.string_literal(id_node).unwrap_or_default();
            match BUILT_IN_ROLES.iter().find(|(name, _)| camel_case(name).eq_ignore_ascii_case(&key)) {
                None => findings.push(file.finding(
                    id_node,
                    format!("role '{key}' is not a known built-in role; add it to BUILT_IN_ROLES with its id from the built-in roles page"),
                )),
                Some((name, real)) if *real != id => findings.push(file.finding(
                    id_node,
                    format!("role '{key}' has id '{id}', but the built-in role '{name}' is '{real}'"),
                )),
                Some(_) => table.push(key),
            }
        }
    }
    if table.is_empty() {
        findings.push(Finding {
            file: "infra".to_owned(),
            line: 0,
            message: format!("no Bicep file declares the '{ROLE_IDS_VARIABLE}' table of role ids"),
        });
    }

    for file in files {
        for call in file.calls("subscriptionResourceId") {
            let arguments = file.call_arguments(call);
            let Some(first) = arguments.first() else { continue };
            if file.string_literal(*first).as_deref() != Some("Microsoft.Authorization/roleDefinitions") {
                continue;
            }
            let reference = arguments.get(1).map(|node| file.node_text(*node)).unwrap_or("");
            let key = reference.strip_prefix(&format!("{ROLE_IDS_VARIABLE}.")).unwrap_or("");
            if !table.iter().any(|known| known == key) {
                findings.push(file.finding(
                    call,
                    format!("role definition '{reference}' is not taken from the checked '{ROLE_IDS_VARIABLE}' table"),
                ));
            }
        }
    }
    findings
}

/// Converts a role name to camel case: "Cognitive Services OpenAI User" becomes
/// "cognitiveServicesOpenaiUser". Keys are compared with it ignoring case.
pub fn camel_case(name: &str) -> String {
    let mut key = String::new();
    for (index, word) in name.split_whitespace().enumerate() {
        let lower = word.to_lowercase();
        if index == 0 {
            key.push_str(&lower);
        } else {
            let mut chars = lower.chars();
            if let Some(first) = chars.next() {
                key.extend(first.to_uppercase());
                key.push_str(chars.as_str());
            }
        }
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_become_keys() {
        assert_eq!(
            camel_case("Cognitive Services OpenAI User"),
            "cognitiveServicesOpenaiUser"
        );
        assert_eq!(camel_case("Reader"), "reader");
    }
}
