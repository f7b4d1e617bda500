//! API Management policy documents: XML in which attribute values and element text may be
//! C# policy expressions, `@(...)` or `@{...}`. Deployed as `rawxml`, the expressions are not
//! XML-escaped, so they may hold `"`, `<` and `&&`. A document is read by replacing each
//! expression with a placeholder `@expr<N>`, then parsing the rest as XML.

use std::collections::{BTreeMap, BTreeSet};

use crate::Finding;

/// A policy document with its expressions taken out.
#[derive(Debug)]
pub struct PolicyDocument {
    /// Path relative to the repository root, for findings.
    pub path: String,
    /// The document with every expression replaced by `@expr<N>`.
    pub masked: String,
    /// The expressions, in order, without their `@(`/`@{` and closing bracket.
    pub expressions: Vec<String>,
}

impl PolicyDocument {
    /// Takes the expressions out of `text`; an unclosed expression is an error at its line.
    pub fn read(path: &str, text: &str) -> Result<PolicyDocument, Finding> {
        let (masked, expressions) = mask_expressions(text).map_err(|(line, message)| Finding {
            file: path.to_owned(),
            line,
            message,
        })?;
        Ok(PolicyDocument {
            path: path.to_owned(),
            masked,
            expressions,
        })
    }

    /// Parses the masked document as XML; the error carries the parser's line.
    pub fn xml(&self) -> Result<roxmltree::Document<'_>, Finding> {
        roxmltree::Document::parse(&self.masked).map_err(|error| Finding {
            file: self.path.clone(),
            line: error.pos().row as usize,
            message: format!("policy is not well-formed XML: {error}"),
        })
    }

    /// Returns the expression behind a value, or `None` when the value is plain text.
    pub fn expression<'a>(&'a self, value: &str) -> Option<&'a str> {
        let index: usize = value.trim().strip_prefix("@expr")?.parse().ok()?;
        self.expressions.get(index).map(String::as_str)
    }

    /// Returns a finding at `node`'s line.
    pub fn finding(&self, doc: &roxmltree::Document<'_>, node: roxmltree::Node<'_, '_>, message: String) -> Finding {
        Finding {
            file: self.path.clone(),
            line: doc.text_pos_at(node.range().start).row as usize,
            message,
        }
    }
}

/// Returns every `{{name}}` that `text` refers to, with its line.
pub fn named_value_references(text: &str) -> Vec<(String, usize)> {
    let mut references = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(start) = rest.find("{{") {
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else { break };
            let name = &after[..end];
            if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
                references.push((name.to_owned(), index + 1));
            }
            rest = &after[end + 2..];
        }
    }
    references
}

/// Replaces each `@(...)` and `@{...}` with `@expr<N>`, skipping brackets inside C# string
/// and character literals. Returns the masked text and the expressions.
fn mask_expressions(text: &str) -> Result<(String, Vec<String>), (usize, String)> {
    let bytes = text.as_bytes();
    let mut masked = String::with_capacity(text.len());
    let mut expressions = Vec::new();
    let mut copied = 0;
    let mut index = 0;
    while index + 1 < bytes.len() {
        let opening = bytes[index + 1];
        if bytes[index] != b'@' || (opening != b'(' && opening != b'{') {
            index += 1;
            continue;
        }
        let closing = if opening == b'(' { b')' } else { b'}' };
        let line = text[..index].matches('\n').count() + 1;
        let end = matching_bracket(bytes, index + 1, opening, closing).ok_or_else(|| {
            (
                line,
                format!(
                    "policy expression starting '{}' has no closing '{}'",
                    text[index..].chars().take(30).collect::<String>(),
                    char::from(closing)
                ),
            )
        })?;
        masked.push_str(&text[copied..index]);
        masked.push_str(&format!("@expr{}", expressions.len()));
        expressions.push(text[index + 2..end].to_owned());
        index = end + 1;
        copied = index;
    }
    masked.push_str(&text[copied..]);
    Ok((masked, expressions))
}

/// Returns the position of the bracket that closes the one at `start`.
fn matching_bracket(bytes: &[u8], start: usize, opening: u8, closing: u8) -> Option<usize> {
    let mut depth = 0usize;
    let mut index = start;
    while index < bytes.len() {
        match bytes[index] {
            b'"' => {
                // A verbatim string @"..." doubles its quotes; a regular one escapes with '\'.
                let verbatim = index > 0 && bytes[index - 1] == b'@';
                index += 1;
                while index < bytes.len() {
                    match bytes[index] {
                        b'\\' if !verbatim => index += 1,
                        b'"' if verbatim && bytes.get(index + 1) == Some(&b'"') => index += 1,
                        b'"' => break,
                        _ => {}
                    }
                    index += 1;
                }
            }
            b'\'' => {
                index += 1;
                while index < bytes.len() && bytes[index] != b'\'' {
                    if bytes[index] == b'\\' {
                        index += 1;
                    }
                    index += 1;
                }
            }
            byte if byte == opening => depth += 1,
            byte if byte == closing => {
                depth -= 1;
                if depth == 0 {
                    return Some(index);
                }
            }
            _ => {}
        }
        index += 1;
    }
    None
}

/// Request parts a caller controls. An expression that reads them cannot be trusted to name
/// the user.
const CALLER_INPUTS: [&str; 5] = [
    "context.Request.Headers",
    "context.Request.Body",
    "context.Request.Url",
    "context.Request.OriginalUrl",
    "context.Request.MatchedParameters",
];

/// Where the values of policy variables come from, for tracing a user id back to its source.
#[derive(Debug, Default)]
pub struct Provenance {
    /// Variable name to the expressions (or plain values) assigned to it.
    assignments: BTreeMap<String, Vec<String>>,
    /// Variables that a token validation policy writes: the validated token.
    validated_tokens: BTreeSet<String>,
}

impl Provenance {
    /// Collects the variable assignments and validated-token outputs of a document.
    pub fn of(policy: &PolicyDocument, doc: &roxmltree::Document<'_>) -> Provenance {
        let mut provenance = Provenance::default();
        for node in doc.descendants().filter(roxmltree::Node::is_element) {
            match node.tag_name().name() {
                "set-variable" => {
                    if let (Some(name), Some(value)) = (node.attribute("name"), node.attribute("value")) {
                        let expression = policy.expression(value).unwrap_or(value).to_owned();
                        provenance
                            .assignments
                            .entry(name.to_owned())
                            .or_default()
                            .push(expression);
                    }
                }
                "validate-azure-ad-token" | "validate-jwt" => {
                    if let Some(name) = node.attribute("output-token-variable-name") {
                        provenance.validated_tokens.insert(name.to_owned());
                    }
                }
                _ => {}
            }
        }
        provenance
    }

    /// Returns why `expression` cannot be trusted to carry the caller's identity, or `None`
    /// when every value it reads comes, through variables, from a validated token.
    pub fn untrusted_identity(&self, expression: &str) -> Option<String> {
        let mut seen = BTreeSet::new();
        let mut reaches_token = false;
        let problem = self.trace(expression, &mut seen, &mut reaches_token, 0);
        match problem {
            Some(problem) => Some(problem),
            None if !reaches_token => Some(format!(
                "'{expression}' does not read a validated token's claims (validate-azure-ad-token's output-token-variable-name)"
            )),
            None => None,
        }
    }

    /// Returns `expression` followed by the expressions of every variable it reads, recursively.
    pub fn expanded(&self, expression: &str) -> String {
        let mut text = expression.to_owned();
        let mut pending: Vec<String> = variables_read(expression);
        let mut seen = BTreeSet::new();
        while let Some(name) = pending.pop() {
            if !seen.insert(name.clone()) {
                continue;
            }
            for assigned in self.assignments.get(&name).into_iter().flatten() {
                text.push('\n');
                text.push_str(assigned);
                pending.extend(variables_read(assigned));
            }
        }
        text
    }

    fn trace(
        &self,
        expression: &str,
        seen: &mut BTreeSet<String>,
        reaches_token: &mut bool,
        depth: usize,
    ) -> Option<String> {
        if let Some(input) = CALLER_INPUTS.iter().find(|input| expression.contains(*input)) {
            return Some(format!("'{expression}' reads {input}, which the caller controls"));
        }
        if depth > 16 {
            return Some("variables refer to each other in a cycle".to_owned());
        }
        for name in variables_read(expression) {
            if self.validated_tokens.contains(&name) {
                *reaches_token = true;
                continue;
            }
            if !seen.insert(name.clone()) {
                continue;
            }
            let Some(assigned) = self.assignments.get(&name) else {
                return Some(format!("variable '{name}' is read but never set by set-variable"));
            };
            for value in assigned {
                if let Some(problem) = self.trace(value, seen, reaches_token, depth + 1) {
                    return Some(format!("variable '{name}': {problem}"));
                }
            }
        }
        None
    }
}

/// Returns the names in `context.Variables["name"]` and `context.Variables.GetValueOrDefault("name"...)`.
pub fn variables_read(expression: &str) -> Vec<String> {
    let mut names = Vec::new();
    for pattern in [
        "context.Variables[\"",
        "context.Variables.GetValueOrDefault<string>(\"",
        "context.Variables.GetValueOrDefault(\"",
    ] {
        let mut rest = expression;
        while let Some(start) = rest.find(pattern) {
            let after = &rest[start + pattern.len()..];
            if let Some(end) = after.find('"') {
                names.push(after[..end].to_owned());
                rest = &after[end..];
            } else {
                break;
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_skips_brackets_in_literals() {
        let text = r#"<a v="@(x.Get("a)b") + ')')" /><b>@{ return "}"; }</b>"#;
        let (masked, expressions) = mask_expressions(text).expect("balanced");
        assert_eq!(masked, r#"<a v="@expr0" /><b>@expr1</b>"#);
        assert_eq!(expressions[0], r#"x.Get("a)b") + ')'"#);
        assert_eq!(expressions[1], r#" return "}"; "#);
    }

    #[test]
    fn masking_reports_unclosed_expression() {
        let (line, message) = mask_expressions("<a>\n<b v=\"@(x.Get(\" /></a>").expect_err("unclosed");
        assert_eq!(line, 2);
        assert!(message.contains("no closing ')'"), "{message}");
    }

    #[test]
    fn named_value_references_are_found() {
        let references = named_value_references("a {{one}} b {{two-2}}\n{{ not a name }} {{three}}");
        assert_eq!(
            references,
            vec![("one".to_owned(), 1), ("two-2".to_owned(), 1), ("three".to_owned(), 2)]
        );
    }

    #[test]
    fn variables_read_are_listed() {
        let names = variables_read(r#"(string)context.Variables["a"] + context.Variables.GetValueOrDefault("b", "")"#);
        assert_eq!(names, vec!["a".to_owned(), "b".to_owned()]);
    }
}
