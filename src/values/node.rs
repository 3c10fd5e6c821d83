//! The values tree: a JSON-like value where every node remembers where it came from.

use std::collections::BTreeMap;

pub use crate::diag::Origin;

/// A value as Helm sees it once YAML is read: null, bool, number, string, list or map.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// An integer outside the range of i64, kept as its exact decimal digits
    /// (Helm would round it to a float64; we keep the data).
    BigInt(String),
    Str(String),
    Seq(Vec<Node>),
    Map(BTreeMap<String, Node>),
}

/// A value and where it came from.
#[derive(Clone, Debug)]
pub struct Node {
    pub value: Value,
    pub origin: Origin,
}

impl PartialEq for Node {
    /// Nodes compare by value only: where a value came from does not change what it is.
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl Node {
    pub fn new(value: Value, origin: Origin) -> Self {
        Node { value, origin }
    }

    pub fn map(origin: Origin) -> Self {
        Node::new(Value::Map(BTreeMap::new()), origin)
    }

    pub fn as_map(&self) -> Option<&BTreeMap<String, Node>> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// The node at a dotted path of map keys, if every step is a map holding the key.
    pub fn get(&self, path: &[&str]) -> Option<&Node> {
        let mut cur = self;
        for key in path {
            cur = cur.as_map()?.get(*key)?;
        }
        Some(cur)
    }

    /// The text of a scalar as Helm's templates would print it, for places that expect a
    /// string: strings as they are, booleans as `true`/`false`, numbers in full.
    /// Null, lists and maps have no scalar text.
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::Str(s) => Some(s.clone()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Int(i) => Some(i.to_string()),
            Value::BigInt(s) => Some(s.clone()),
            Value::Float(f) => Some(format_float(*f)),
            Value::Null | Value::Seq(_) | Value::Map(_) => None,
        }
    }

    /// A short name of the node's type for error messages.
    pub fn type_name(&self) -> &'static str {
        self.value.type_name()
    }

    /// Converts to a plain JSON value (used for `values -o json` and the schema tests).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(J::Number)
                .unwrap_or_else(|| J::String(format_float(*f))),
            // Within u64 a JSON number; beyond, serde_json has no exact number, so the exact
            // digits are kept as a string rather than rounded.
            Value::BigInt(s) => s
                .parse::<u64>()
                .map(J::from)
                .unwrap_or_else(|_| J::String(s.clone())),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(m) => J::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
        }
    }
}

impl Value {
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) | Value::BigInt(_) => "integer",
            Value::Float(_) => "number",
            Value::Str(_) => "string",
            Value::Seq(_) => "list",
            Value::Map(_) => "map",
        }
    }
}

/// Formats a float the way YAML and JSON readers understand it, without losing digits.
pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        ".nan".to_string()
    } else if f.is_infinite() {
        if f > 0.0 { ".inf" } else { "-.inf" }.to_string()
    } else if f == f.trunc() && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}
