//! Bicep files read with the `tree-sitter-bicep` grammar: syntax errors, and the parts of a
//! template the checks compare with the rest of the repository (variables, parameters,
//! string literals and function calls).
//!
//! The grammar (version 1.1) reads `.bicep` files only. A `.bicepparam` file differs in its
//! `param name = value` lines, which it reads after `param` is replaced with `var  ` of the
//! same length, so that error positions stay true.

use std::collections::BTreeMap;

use tree_sitter::{Node, Parser, Tree};

use crate::Finding;

/// One parsed Bicep or Bicep parameters file.
#[derive(Debug)]
pub struct BicepFile {
    /// Path relative to the repository root, for findings.
    pub path: String,
    pub text: String,
    tree: Tree,
}

impl BicepFile {
    /// Parses `text`; `path` ending in `.bicepparam` selects the parameters form.
    pub fn parse(path: &str, text: &str) -> BicepFile {
        let source = if path.ends_with(".bicepparam") {
            param_lines_as_variables(text)
        } else {
            text.to_owned()
        };
        let mut parser = Parser::new();
        // The grammar and the runtime come from the same tree-sitter ABI, checked at build time
        // by tree-sitter-language, so setting the language cannot fail at run time.
        parser
            .set_language(&tree_sitter_bicep::LANGUAGE.into())
            .unwrap_or_else(|error| unreachable!("tree-sitter-bicep is incompatible: {error}"));
        let tree = parser
            .parse(&source, None)
            .unwrap_or_else(|| unreachable!("tree-sitter returns a tree when no cancellation is set"));
        BicepFile {
            path: path.to_owned(),
            text: text.to_owned(),
            tree,
        }
    }

    /// Returns one finding per syntax error or missing token, with its line and the source there.
    pub fn syntax_errors(&self) -> Vec<Finding> {
        let mut findings = Vec::new();
        walk(self.tree.root_node(), &mut |node| {
            if node.is_error() || node.is_missing() {
                let what = if node.is_missing() {
                    format!("missing {}", node.kind())
                } else {
                    let snippet: String = self.node_text(node).chars().take(60).collect();
                    format!("cannot parse '{}'", snippet.trim())
                };
                findings.push(self.finding(node, format!("Bicep syntax error: {what}")));
                // An error node's children are part of the same error.
                return false;
            }
            true
        });
        findings
    }

    /// Returns the parameter names declared in a `.bicep` file, with whether each has a default.
    pub fn parameters(&self) -> BTreeMap<String, bool> {
        let mut parameters = BTreeMap::new();
        for node in children(self.tree.root_node()) {
            if node.kind() == "parameter_declaration" {
                let mut named = children(node).into_iter().filter(|child| child.is_named());
                if let Some(name) = named.next() {
                    // The type comes next; anything after it is the default value.
                    let has_default = named.nth(1).is_some();
                    parameters.insert(self.node_text(name).to_owned(), has_default);
                }
            }
        }
        parameters
    }

    /// Returns the `param` names a `.bicepparam` file sets, with their lines, and the file its
    /// `using` statement names.
    pub fn parameter_values(&self) -> (Option<String>, Vec<(String, usize)>) {
        let mut target = None;
        let mut values = Vec::new();
        for node in children(self.tree.root_node()) {
            match node.kind() {
                "using_statement" => {
                    target = children(node)
                        .into_iter()
                        .find(|child| child.kind() == "string")
                        .and_then(|string| self.string_literal(string));
                }
                "variable_declaration" => {
                    if let Some(name) = children(node).into_iter().find(|child| child.kind() == "identifier") {
                        values.push((self.node_text(name).to_owned(), line_of(node)));
                    }
                }
                _ => {}
            }
        }
        (target, values)
    }

    /// Returns the value expression of each top-level `var`, by name.
    pub fn variables(&self) -> BTreeMap<String, Node<'_>> {
        let mut variables = BTreeMap::new();
        for node in children(self.tree.root_node()) {
            if node.kind() == "variable_declaration" {
                let named: Vec<Node> = children(node).into_iter().filter(|child| child.is_named()).collect();
                if let [name, .., value] = named.as_slice() {
                    variables.insert(self.node_text(*name).to_owned(), *value);
                }
            }
        }
        variables
    }

    /// Returns the keys of the object that `node` evaluates to, with the line of each key.
    /// Variables and `union(...)` calls are followed. An error names what cannot be followed.
    pub fn object_keys(&self, node: Node<'_>) -> Result<Vec<(String, usize)>, String> {
        let variables = self.variables();
        self.object_keys_in(node, &variables, 0)
    }

    fn object_keys_in(
        &self,
        node: Node<'_>,
        variables: &BTreeMap<String, Node<'_>>,
        depth: usize,
    ) -> Result<Vec<(String, usize)>, String> {
        if depth > 16 {
            return Err("variables refer to each other in a cycle".to_owned());
        }
        match node.kind() {
            "object" => Ok(children(node)
                .into_iter()
                .filter(|child| child.kind() == "object_property")
                .filter_map(|property| self.property_key(property).map(|key| (key, line_of(property))))
                .collect()),
            "identifier" => {
                let name = self.node_text(node);
                let value = variables
                    .get(name)
                    .ok_or_else(|| format!("'{name}' is not a variable of this file"))?;
                self.object_keys_in(*value, variables, depth + 1)
            }
            "call_expression" if self.call_name(node) == Some("union") => {
                let mut keys = Vec::new();
                for argument in self.call_arguments(node) {
                    keys.extend(self.object_keys_in(argument, variables, depth + 1)?);
                }
                Ok(keys)
            }
            other => Err(format!(
                "'{}' ({other}) is not an object literal, a variable or union(...)",
                self.node_text(node).chars().take(40).collect::<String>()
            )),
        }
    }

    /// Returns the objects of the array that `node` is, each as its property values by key.
    pub fn array_objects<'t>(&'t self, node: Node<'t>) -> Vec<BTreeMap<String, Node<'t>>> {
        children(node)
            .into_iter()
            .filter(|child| child.kind() == "object")
            .map(|object| self.object_properties(object).into_iter().collect())
            .collect()
    }

    /// Returns the properties of an object literal as key and value node, in order.
    pub fn object_properties<'t>(&'t self, object: Node<'t>) -> Vec<(String, Node<'t>)> {
        children(object)
            .into_iter()
            .filter(|child| child.kind() == "object_property")
            .filter_map(|property| {
                let key = self.property_key(property)?;
                let value = children(property).into_iter().filter(|child| child.is_named()).nth(1)?;
                Some((key, value))
            })
            .collect()
    }

    /// Returns every call of the function `name` in the file.
    pub fn calls(&self, name: &str) -> Vec<Node<'_>> {
        let mut calls = Vec::new();
        walk(self.tree.root_node(), &mut |node| {
            if node.kind() == "call_expression" && self.call_name(node) == Some(name) {
                calls.push(node);
            }
            true
        });
        calls
    }

    /// Returns the arguments of a call expression, in order.
    pub fn call_arguments<'t>(&self, call: Node<'t>) -> Vec<Node<'t>> {
        call.child_by_field_name("arguments")
            .map(|arguments| {
                children(arguments)
                    .into_iter()
                    .filter(|child| child.is_named())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Returns the text of every string literal and of the literal parts of interpolated strings.
    pub fn string_contents(&self) -> Vec<(String, usize)> {
        let mut contents = Vec::new();
        walk(self.tree.root_node(), &mut |node| {
            if node.kind() == "string_content" || node.kind() == "multiline_string" {
                contents.push((self.node_text(node).to_owned(), line_of(node)));
            }
            true
        });
        contents
    }

    /// Returns the value of a string without interpolation, or `None`.
    pub fn string_literal(&self, node: Node<'_>) -> Option<String> {
        if node.kind() != "string" {
            return None;
        }
        let mut value = String::new();
        for part in children(node).into_iter().filter(|part| part.is_named()) {
            match part.kind() {
                "string_content" => value.push_str(self.node_text(part)),
                "escape_sequence" => value.push_str(&unescape(self.node_text(part))?),
                _ => return None,
            }
        }
        Some(value)
    }

    /// Returns the source text of `node`.
    pub fn node_text(&self, node: Node<'_>) -> &str {
        // Parameter files are parsed from a copy of the same length, so byte ranges agree.
        self.text.get(node.byte_range()).unwrap_or("")
    }

    /// Returns a finding at `node`'s line.
    pub fn finding(&self, node: Node<'_>, message: String) -> Finding {
        Finding {
            file: self.path.clone(),
            line: line_of(node),
            message,
        }
    }

    fn property_key(&self, property: Node<'_>) -> Option<String> {
        let key = children(property).into_iter().find(|child| child.is_named())?;
        match key.kind() {
            "identifier" => Some(self.node_text(key).to_owned()),
            "string" => self.string_literal(key),
            _ => None,
        }
    }

    fn call_name(&self, call: Node<'_>) -> Option<&str> {
        call.child_by_field_name("function")
            .filter(|function| function.kind() == "identifier")
            .map(|function| self.node_text(function))
    }
}

/// Returns the 1-based line of `node`.
pub fn line_of(node: Node<'_>) -> usize {
    node.start_position().row + 1
}

fn children(node: Node<'_>) -> Vec<Node<'_>> {
    let mut cursor = node.walk();
    node.children(&mut cursor).collect()
}

/// Visits `node` and its descendants depth first; `visit` returns false to skip a node's children.
fn walk<'t>(node: Node<'t>, visit: &mut dyn FnMut(Node<'t>) -> bool) {
    if visit(node) {
        for child in children(node) {
            walk(child, visit);
        }
    }
}

fn unescape(sequence: &str) -> Option<String> {
    Some(
        match sequence {
            "\\'" => "'",
            "\\\\" => "\\",
            "\\n" => "\n",
            "\\r" => "\r",
            "\\t" => "\t",
            "\\$" => "$",
            _ => return None,
        }
        .to_owned(),
    )
}

fn param_lines_as_variables(text: &str) -> String {
    text.split_inclusive('\n')
        .map(|line| match line.strip_prefix("param ") {
            Some(rest) => format!("var   {rest}"),
            None => line.to_owned(),
        })
        .collect()
}
