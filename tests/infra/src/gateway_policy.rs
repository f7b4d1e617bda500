//! Rules for the policy of the Azure OpenAI API, which per-user metering depends on. The
//! caller's identity comes from a validated Entra ID token. The gateway calls Azure OpenAI with
//! its own identity. The token metrics carry the dimensions the usage app reads.

use roxmltree::{Document, Node};

use crate::Finding;
use crate::policy::{PolicyDocument, Provenance};

/// The token metric policies API Management offers; either one may be used.
const METRIC_POLICIES: [&str; 2] = ["azure-openai-emit-token-metric", "llm-emit-token-metric"];
const LIMIT_POLICIES: [&str; 2] = ["azure-openai-token-limit", "llm-token-limit"];
/// The operations whose streamed calls get `stream_options.include_usage`.
const CHAT_COMPLETION_OPERATIONS: [&str; 2] = ["ChatCompletions_Create", "V1ChatCompletions_Create"];

/// Checks the gateway policy; `dimensions` are the metric dimension names the usage app reads,
/// in order: user, deployment, subscription, streamed.
pub fn check(policy: &PolicyDocument, doc: &Document<'_>, dimensions: &[String]) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut fail = |node: Node<'_, '_>, message: String| findings.push(policy.finding(doc, node, message));
    let root = doc.root_element();
    let Some(inbound) = root.children().find(|node| node.has_tag_name("inbound")) else {
        fail(root, "the policy has no <inbound> section".to_owned());
        return findings;
    };
    let provenance = Provenance::of(policy, doc);

    // The caller's token is validated before anything else reads the caller's identity.
    match elements(inbound, "validate-azure-ad-token").first() {
        None => fail(
            inbound,
            "no validate-azure-ad-token in <inbound>: callers must present a valid Entra ID token".to_owned(),
        ),
        Some(validate) => check_validation(*validate, &mut fail),
    }

    // x-user-id carries the validated user id and replaces any value the caller sent.
    let user_headers: Vec<Node> = elements(inbound, "set-header")
        .into_iter()
        .filter(|node| {
            node.attribute("name")
                .is_some_and(|name| name.eq_ignore_ascii_case("x-user-id"))
        })
        .collect();
    if user_headers.is_empty() {
        fail(inbound, "no set-header for x-user-id".to_owned());
    }
    for header in &user_headers {
        if header.attribute("exists-action") != Some("override") {
            fail(
                *header,
                "set-header x-user-id must have exists-action=\"override\", so that no value from the caller passes"
                    .to_owned(),
            );
        }
        let value = header
            .children()
            .find(|child| child.has_tag_name("value"))
            .and_then(|value| value.text())
            .unwrap_or("");
        check_identity(policy, &provenance, *header, value, "x-user-id", &mut fail);
    }

    // The gateway's own identity authenticates to Azure OpenAI, and the caller's token does not pass.
    match elements(inbound, "authentication-managed-identity").first() {
        None => fail(
            inbound,
            "no authentication-managed-identity: the gateway must call Azure OpenAI with its managed identity"
                .to_owned(),
        ),
        Some(identity) => {
            if identity.attribute("resource") != Some("https://cognitiveservices.azure.com") {
                fail(
                    *identity,
                    "authentication-managed-identity must have resource=\"https://cognitiveservices.azure.com\""
                        .to_owned(),
                );
            }
            if let Some(variable) = identity.attribute("output-token-variable-name") {
                let overrides = elements(inbound, "set-header").into_iter().any(|header| {
                    header
                        .attribute("name")
                        .is_some_and(|name| name.eq_ignore_ascii_case("Authorization"))
                        && header.attribute("exists-action") == Some("override")
                        && header
                            .descendants()
                            .filter_map(|node| node.text())
                            .filter_map(|text| policy.expression(text))
                            .any(|expression| expression.contains(&format!("context.Variables[\"{variable}\"]")))
                });
                if !overrides {
                    fail(
                        *identity,
                        format!(
                            "no set-header Authorization with exists-action=\"override\" uses the token in '{variable}'"
                        ),
                    );
                }
            }
        }
    }

    check_stream_options(policy, &provenance, inbound, &mut fail);
    check_metrics(policy, &provenance, inbound, dimensions, &mut fail);

    for limit in LIMIT_POLICIES.iter().flat_map(|name| elements(inbound, name)) {
        let key = limit.attribute("counter-key").unwrap_or("");
        check_identity(
            policy,
            &provenance,
            limit,
            key,
            "the token limit's counter-key",
            &mut fail,
        );
        if !limit.ancestors().any(|node| node.has_tag_name("when")) {
            fail(
                limit,
                "the per-user token limit must sit in a <when> so that it can stay off by default".to_owned(),
            );
        }
    }
    findings
}

fn check_validation(validate: Node<'_, '_>, fail: &mut dyn FnMut(Node<'_, '_>, String)) {
    let tenant = validate.attribute("tenant-id").unwrap_or("");
    if !tenant.contains("{{") {
        fail(validate, format!("tenant-id '{tenant}' must come from a named value"));
    }
    if validate.attribute("failed-validation-httpcode") != Some("401") {
        fail(validate, "failed-validation-httpcode must be 401".to_owned());
    }
    if validate
        .attribute("output-token-variable-name")
        .is_none_or(str::is_empty)
    {
        fail(
            validate,
            "validate-azure-ad-token needs output-token-variable-name, the source of the user id".to_owned(),
        );
    }
    for (list, item) in [("client-application-ids", "application-id"), ("audiences", "audience")] {
        let values: Vec<&str> = validate
            .children()
            .filter(|node| node.has_tag_name(list))
            .flat_map(|node| node.children().filter(move |child| child.has_tag_name(item)))
            .filter_map(|node| node.text())
            .collect();
        if values.is_empty() {
            fail(validate, format!("validate-azure-ad-token has no <{list}>/<{item}>"));
        }
        for value in values {
            if !value.contains("{{") {
                fail(validate, format!("<{item}> '{value}' must come from a named value"));
            }
        }
    }
}

/// Checks that a value naming the user comes from a validated token and from nothing the caller sends.
fn check_identity(
    policy: &PolicyDocument,
    provenance: &Provenance,
    node: Node<'_, '_>,
    value: &str,
    what: &str,
    fail: &mut dyn FnMut(Node<'_, '_>, String),
) {
    match policy.expression(value) {
        None => fail(
            node,
            format!("{what} must be a policy expression over the validated token, not '{value}'"),
        ),
        Some(expression) => {
            if let Some(problem) = provenance.untrusted_identity(expression) {
                fail(node, format!("{what} is not the validated caller: {problem}"));
            }
        }
    }
}

fn check_stream_options(
    policy: &PolicyDocument,
    provenance: &Provenance,
    inbound: Node<'_, '_>,
    fail: &mut dyn FnMut(Node<'_, '_>, String),
) {
    let bodies: Vec<Node> = elements(inbound, "set-body")
        .into_iter()
        .filter(|node| {
            node.text()
                .and_then(|text| policy.expression(text))
                .is_some_and(|expression| expression.contains("include_usage"))
        })
        .collect();
    if bodies.is_empty() {
        fail(
            inbound,
            "no set-body adds stream_options.include_usage to streamed chat completions".to_owned(),
        );
    }
    for body in bodies {
        let conditions: Vec<String> = body
            .ancestors()
            .filter(|node| node.has_tag_name("when"))
            .filter_map(|node| node.attribute("condition"))
            .filter_map(|condition| policy.expression(condition))
            .map(|expression| provenance.expanded(expression))
            .collect();
        let by_operation = conditions
            .iter()
            .any(|condition| condition.contains("context.Operation.Id") && only_chat_operations(condition));
        if !by_operation {
            fail(
                body,
                format!(
                    "stream_options must be added only to the chat-completion operations: put it in a <when> on context.Operation.Id == {}",
                    CHAT_COMPLETION_OPERATIONS.join(" or ")
                ),
            );
        }
        if !conditions.iter().any(|condition| condition.contains("\"stream\"")) {
            fail(
                body,
                "stream_options must be added only when the request body has \"stream\": true".to_owned(),
            );
        }
    }
}

/// Returns whether every quoted operation id that `condition` compares with is a chat-completion one.
fn only_chat_operations(condition: &str) -> bool {
    let mut rest = condition;
    let mut found = false;
    while let Some(start) = rest.find("context.Operation.Id") {
        let after = &rest[start + "context.Operation.Id".len()..];
        let Some(quote) = after.find('"') else { return false };
        let literal = &after[quote + 1..];
        let Some(end) = literal.find('"') else { return false };
        if !CHAT_COMPLETION_OPERATIONS.contains(&&literal[..end]) {
            return false;
        }
        found = true;
        rest = &literal[end..];
    }
    found
}

fn check_metrics(
    policy: &PolicyDocument,
    provenance: &Provenance,
    inbound: Node<'_, '_>,
    dimensions: &[String],
    fail: &mut dyn FnMut(Node<'_, '_>, String),
) {
    let metrics: Vec<Node> = METRIC_POLICIES
        .iter()
        .flat_map(|name| elements(inbound, name))
        .collect();
    if metrics.is_empty() {
        fail(
            inbound,
            format!("no token metric policy ({}) in <inbound>", METRIC_POLICIES.join(" or ")),
        );
    }
    for metric in metrics {
        let declared: Vec<Node> = metric
            .children()
            .filter(|node| node.has_tag_name("dimension"))
            .collect();
        let names: Vec<&str> = declared.iter().filter_map(|node| node.attribute("name")).collect();
        if names != dimensions.iter().map(String::as_str).collect::<Vec<_>>() {
            fail(
                metric,
                format!(
                    "token metric dimensions are [{}], but the usage app reads [{}] (USAGE_METRIC_DIMENSIONS)",
                    names.join(", "),
                    dimensions.join(", ")
                ),
            );
        }
        for dimension in &declared {
            let name = dimension.attribute("name").unwrap_or("");
            match dimension.attribute("value") {
                None | Some("") => fail(
                    *dimension,
                    format!("dimension '{name}' has no value expression; API Management would fill in its own value"),
                ),
                Some(value) if Some(name) == dimensions.first().map(String::as_str) => {
                    check_identity(
                        policy,
                        provenance,
                        *dimension,
                        value,
                        &format!("dimension '{name}'"),
                        fail,
                    );
                }
                Some(_) => {}
            }
        }
    }
}

fn elements<'a, 'input>(scope: Node<'a, 'input>, name: &str) -> Vec<Node<'a, 'input>> {
    scope.descendants().filter(|node| node.has_tag_name(name)).collect()
}
