//! Reading typed values out of the values tree, each problem reported with its origin and
//! key path.

use std::collections::BTreeMap;

use super::keys::{self, Kind};
use crate::diag::Diagnostics;
use crate::values::{Node, Origin, Value};

/// A string value and where it came from.
pub(super) struct Text {
    pub(super) value: String,
    pub(super) origin: Origin,
}

/// Reads typed values out of the tree, reporting type problems.
pub(super) struct Reader<'a> {
    pub(super) root: &'a Node,
    pub(super) diags: &'a mut Diagnostics,
}

impl<'a> Reader<'a> {
    /// The node at `path`, or `None` when it (or a parent) is missing or null.
    pub(super) fn node(&self, path: &[&str]) -> Option<&'a Node> {
        self.root.get(path).filter(|n| !n.is_null())
    }

    /// Where to point for a missing value: the deepest existing parent that the user wrote.
    /// `None` when nothing of the user's is on the way: the built-in defaults are never
    /// blamed for what the user did not set.
    pub(super) fn origin(&self, path: &[&str]) -> Option<Origin> {
        (0..=path.len())
            .rev()
            .find_map(|i| self.root.get(&path[..i]).map(|n| n.origin.clone()))
            .filter(|o| *o != Origin::Default)
    }

    pub(super) fn text(&mut self, path: &[&str]) -> Option<Text> {
        let node = self.node(path)?;
        self.scalar(node, &path.join("."))
    }

    /// `node` (shown at `shown`) as text: a string, or a number or boolean as Helm prints it.
    pub(super) fn scalar(&mut self, node: &Node, shown: &str) -> Option<Text> {
        match node.scalar_text() {
            Some(value) => Some(Text {
                value,
                origin: node.origin.clone(),
            }),
            None => {
                self.diags.error(
                    Some(node.origin.clone()),
                    shown,
                    format!("expected a string, found a {}", node.type_name()),
                );
                None
            }
        }
    }

    /// A string, with `""` when missing.
    pub(super) fn string(&mut self, path: &[&str]) -> String {
        self.text(path).map(|t| t.value).unwrap_or_default()
    }

    fn bool(&mut self, path: &[&str]) -> bool {
        match self.node(path) {
            None => false,
            Some(Node {
                value: Value::Bool(b),
                ..
            }) => *b,
            Some(node) => {
                self.diags.error(
                    Some(node.origin.clone()),
                    path.join("."),
                    format!("expected true or false, found a {}", node.type_name()),
                );
                false
            }
        }
    }

    pub(super) fn map(&mut self, path: &[&str]) -> Option<&'a BTreeMap<String, Node>> {
        let node = self.node(path)?;
        match &node.value {
            Value::Map(m) => Some(m),
            _ => {
                self.diags.error(
                    Some(node.origin.clone()),
                    path.join("."),
                    format!("expected a map, found a {}", node.type_name()),
                );
                None
            }
        }
    }

    pub(super) fn list(&mut self, path: &[&str]) -> &'a [Node] {
        let Some(node) = self.node(path) else {
            return &[];
        };
        match &node.value {
            Value::Seq(items) => items,
            _ => {
                self.diags.error(
                    Some(node.origin.clone()),
                    path.join("."),
                    format!("expected a list, found a {}", node.type_name()),
                );
                &[]
            }
        }
    }

    /// A key declared `TextMap` (labels, annotations, extraEnv): its entries; null entries are
    /// left out.
    pub(super) fn string_map(&mut self, path: &[&str]) -> Vec<(String, Text)> {
        assert!(
            matches!(keys::kind_at(path), Kind::TextMap),
            "{} is not declared as a map of strings",
            path.join(".")
        );
        match self.node(path) {
            Some(node) => self.strings_of(node, &path.join(".")),
            None => Vec::new(),
        }
    }

    /// `node` (shown at `shown`) as a map of strings; null entries are left out.
    pub(super) fn strings_of(&mut self, node: &Node, shown: &str) -> Vec<(String, Text)> {
        let Some(map) = node.as_map() else {
            self.diags.error(
                Some(node.origin.clone()),
                shown,
                format!("expected a map, found a {}", node.type_name()),
            );
            return Vec::new();
        };
        let mut out = Vec::with_capacity(map.len());
        for (k, v) in map {
            if v.is_null() {
                continue;
            }
            match v.scalar_text() {
                Some(value) => out.push((
                    k.clone(),
                    Text {
                        value,
                        origin: v.origin.clone(),
                    },
                )),
                None => self.diags.error(
                    Some(v.origin.clone()),
                    format!("{shown}.{k}"),
                    format!("expected a string, found a {}", v.type_name()),
                ),
            }
        }
        out
    }

    /// A key declared `Enum` in the key table: one of the values it lists, or an error naming
    /// them; `None` when missing or empty (the caller's default applies).
    pub(super) fn choice(&mut self, path: &[&str]) -> Option<&'static str> {
        let Kind::Enum(allowed) = keys::kind_at(path) else {
            panic!("{} is not declared as an enum", path.join("."));
        };
        let t = self.text(path).filter(|t| !t.value.is_empty())?;
        if let Some(v) = allowed.iter().find(|a| **a == t.value) {
            return Some(v);
        }
        let hint = super::names::nearest(&t.value, allowed)
            .map(|n| format!("; did you mean `{n}`?"))
            .unwrap_or_default();
        self.diags.error(
            Some(t.origin),
            path.join("."),
            format!(
                "{:?} is not allowed; expected one of: {}{hint}",
                t.value,
                allowed.join(", ")
            ),
        );
        None
    }

    /// A key declared `Bool` in the key table; `false` when missing.
    pub(super) fn flag(&mut self, path: &[&str]) -> bool {
        assert!(
            matches!(keys::kind_at(path), Kind::Bool),
            "{} is not declared as a boolean",
            path.join(".")
        );
        self.bool(path)
    }

    /// A key declared `Name(pattern)` in the key table: its text when it follows the
    /// pattern; `None` when missing or empty, or (with an error) when it does not.
    pub(super) fn name(&mut self, path: &[&str]) -> Option<Text> {
        let t = self.text(path).filter(|t| !t.value.is_empty())?;
        self.check_name(t, &path.join("."), path)
    }

    /// `t`, shown at `shown`, checked against the pattern the key table declares at `path`
    /// (`Name` or `NameList`).
    pub(super) fn check_name(&mut self, t: Text, shown: &str, path: &[&str]) -> Option<Text> {
        let (Kind::Name(pattern) | Kind::NameList(pattern)) = keys::kind_at(path) else {
            panic!("{} is not declared as a name", path.join("."));
        };
        if pattern.matches(&t.value) {
            return Some(t);
        }
        self.diags
            .error(Some(t.origin), shown, pattern.problem(&t.value));
        None
    }

    /// A key declared `TextList`: its items as text, each with its path (`a.b[2]`); items
    /// that are not scalars are errors.
    pub(super) fn texts(&mut self, path: &[&str]) -> Vec<(String, Text)> {
        assert!(
            matches!(keys::kind_at(path), Kind::TextList),
            "{} is not declared as a list of strings",
            path.join(".")
        );
        let mut out = Vec::new();
        for (i, item) in self.list(path).iter().enumerate() {
            let shown = format!("{}[{i}]", path.join("."));
            if let Some(t) = self.scalar(item, &shown) {
                out.push((shown, t));
            }
        }
        out
    }

    /// A key declared `NameList(pattern)`: the items that follow the pattern, with their
    /// paths (`namespaces.teams[2]`); the others are errors.
    pub(super) fn names(&mut self, path: &[&str]) -> Vec<(String, Text)> {
        let mut out = Vec::new();
        for (i, item) in self.list(path).iter().enumerate() {
            let shown = format!("{}[{i}]", path.join("."));
            match item.scalar_text() {
                Some(value) => {
                    let t = Text {
                        value,
                        origin: item.origin.clone(),
                    };
                    if let Some(t) = self.check_name(t, &shown, path) {
                        out.push((shown, t));
                    }
                }
                None => self.diags.error(
                    Some(item.origin.clone()),
                    shown,
                    format!("expected a name, found a {}", item.type_name()),
                ),
            }
        }
        out
    }
}
