//! The checker: values and rendered objects held to a schema of the embedded document,
//! strictly (unknown fields, enums, required fields, bounds, patterns, CEL rules).

use super::*;

/// How strictly a check reads its input.
#[derive(Clone, Debug, Default)]
pub struct Mode {
    /// Values (Helm-like): a number or boolean where a string is expected becomes its text.
    /// Rendered objects: it is an error, as for the API server.
    pub exact_scalars: bool,
    /// Paths of maps that are merged into ours (a partial spec): their required fields may
    /// come from ours, so they are not required here.
    pub partial: Vec<String>,
}

/// Checks `node` (at key path `path`) against `schema`; returns it as JSON with scalars
/// converted, or `None` after reporting every problem.
pub fn check(
    schema: &J,
    node: &Node,
    path: &str,
    mode: &Mode,
    diags: &mut Diagnostics,
) -> Option<J> {
    let before = diags.items.len();
    let out = walk(schema, node, path, mode, diags);
    if diags.items[before..].iter().any(|d| d.is_error()) {
        None
    } else {
        out
    }
}

/// Checks a rendered JSON value; the problems as `path: message` lines.
pub fn check_json(schema: &J, value: &J, path: &str) -> Vec<String> {
    let node = Node::from_json(value, crate::values::Origin::Default);
    let mut diags = Diagnostics::default();
    let mode = Mode {
        exact_scalars: true,
        partial: Vec::new(),
    };
    walk(schema, &node, path, &mode, &mut diags);
    diags
        .items
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{}: {}", d.path, d.message))
        .collect()
}

/// The schema keywords the checker implements. `default` is applied by the API server and
/// changes nothing to what is valid; `x-kubernetes-map-type` only tells server-side apply
/// how to merge. Any other keyword is refused where it occurs.
pub const KEYWORDS: &[&str] = &[
    "type",
    "properties",
    "additionalProperties",
    "required",
    "items",
    "enum",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "minimum",
    "maximum",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
    "default",
    "anyOf",
    "x-kubernetes-int-or-string",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-map-type",
    "x-kubernetes-list-type",
    "x-kubernetes-validations",
];

fn types(schema: &J) -> Vec<&str> {
    match schema.get("type") {
        Some(J::String(t)) => vec![t.as_str()],
        Some(J::Array(ts)) => ts.iter().filter_map(J::as_str).collect(),
        _ if schema.get("properties").is_some() => vec!["object"],
        _ => vec![],
    }
}

/// What the checker cannot check in this schema node, if anything.
pub(super) fn unsupported(schema: &J) -> Option<String> {
    let m = schema.as_object()?;
    if let Some(k) = m.keys().find(|k| !KEYWORDS.contains(&k.as_str())) {
        return Some(format!("the schema keyword `{k}`"));
    }
    if let Some(f) = m.get("format").and_then(J::as_str) {
        if !["byte", "int32", "int64"].contains(&f) {
            return Some(format!("the format `{f}`"));
        }
    }
    if let Some(t) = m.get("x-kubernetes-list-type").and_then(J::as_str) {
        if t != "atomic" {
            return Some(format!("the list type `{t}`"));
        }
    }
    if m.contains_key("anyOf") && m.get("x-kubernetes-int-or-string") != Some(&J::Bool(true)) {
        return Some("`anyOf` other than int-or-string".to_string());
    }
    for rule in m
        .get("x-kubernetes-validations")
        .and_then(J::as_array)
        .into_iter()
        .flatten()
    {
        let text = rule["rule"].as_str().unwrap_or("");
        if cel::parse(text).is_none() {
            return Some(format!("the validation rule `{text}`"));
        }
    }
    None
}

fn walk(schema: &J, node: &Node, path: &str, mode: &Mode, diags: &mut Diagnostics) -> Option<J> {
    let schema = resolve(schema);
    let err =
        |diags: &mut Diagnostics, msg: String| diags.error(Some(node.origin.clone()), path, msg);
    if let Some(what) = unsupported(schema) {
        err(
            diags,
            format!("ESO's schema here uses {what}, which recif-secrets cannot check; refused rather than passed unchecked"),
        );
        return None;
    }
    if schema.get("x-kubernetes-int-or-string") == Some(&J::Bool(true)) {
        return match &node.value {
            Value::Int(i) => Some(J::from(*i)),
            Value::Str(s) => Some(J::String(s.clone())),
            _ => {
                err(
                    diags,
                    format!(
                        "expected an integer or a string, found a {}",
                        node.type_name()
                    ),
                );
                None
            }
        };
    }
    let ty = types(schema);
    let first = ty.first().copied().unwrap_or("");
    match first {
        "object" => walk_object(schema, node, path, mode, diags),
        "array" => {
            let Value::Seq(items) = &node.value else {
                err(
                    diags,
                    format!("expected a list, found a {}", node.type_name()),
                );
                return None;
            };
            for msg in out_of_bounds(
                schema,
                ["minItems", "maxItems"],
                items.len() as i64,
                |min| format!("must have at least {min} items"),
                |max| format!("must have at most {max} items"),
            ) {
                err(diags, msg);
            }
            let empty = J::Object(Map::new());
            let item_schema = schema.get("items").unwrap_or(&empty);
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                if let Some(j) = walk(item_schema, item, &format!("{path}[{i}]"), mode, diags) {
                    out.push(j);
                }
            }
            Some(J::Array(out))
        }
        "string" => {
            let text = match &node.value {
                Value::Str(s) => Some(s.clone()),
                _ if mode.exact_scalars => None,
                _ => node.scalar_text(),
            };
            let Some(text) = text else {
                err(
                    diags,
                    format!("expected a string, found a {}", node.type_name()),
                );
                return None;
            };
            if let Some(allowed) = schema.get("enum").and_then(J::as_array) {
                if !allowed.iter().any(|a| a.as_str() == Some(&text)) {
                    let list: Vec<&str> = allowed.iter().filter_map(J::as_str).collect();
                    let hint = names::nearest(&text, &list)
                        .map(|n| format!("did you mean `{n}`? "))
                        .unwrap_or_default();
                    err(
                        diags,
                        format!(
                            "{text:?} is not allowed; {hint}expected one of: {}",
                            list.join(", ")
                        ),
                    );
                    return None;
                }
            }
            for msg in out_of_bounds(
                schema,
                ["minLength", "maxLength"],
                text.chars().count() as i64,
                |min| format!("must be at least {min} characters long"),
                |max| format!("must be at most {max} characters long"),
            ) {
                err(diags, msg);
            }
            if let Some(p) = schema.get("pattern").and_then(J::as_str) {
                match pattern_problem(p, &text) {
                    Pattern::Matches => {}
                    Pattern::Fails(why) => err(diags, why.to_string()),
                    Pattern::Unknown => err(
                        diags,
                        format!("ESO's schema here uses the pattern `{p}`, which recif-secrets cannot check; refused rather than passed unchecked"),
                    ),
                }
            }
            if schema.get("format").and_then(J::as_str) == Some("byte")
                && base64::engine::general_purpose::STANDARD
                    .decode(text.as_bytes())
                    .is_err()
            {
                err(diags, "must be base64".to_string());
            }
            Some(J::String(text))
        }
        "integer" => match &node.value {
            Value::Int(i) => {
                let i = *i;
                let (lo, hi) = match schema.get("format").and_then(J::as_str) {
                    Some("int32") => (i64::from(i32::MIN), i64::from(i32::MAX)),
                    _ => (i64::MIN, i64::MAX),
                };
                if i < lo || i > hi {
                    err(diags, "is out of range for a 32-bit integer".to_string());
                }
                for msg in out_of_bounds(
                    schema,
                    ["minimum", "maximum"],
                    i,
                    |min| format!("must be at least {min}"),
                    |max| format!("must be at most {max}"),
                ) {
                    err(diags, msg);
                }
                Some(J::from(i))
            }
            _ => {
                err(
                    diags,
                    format!("expected an integer, found a {}", node.type_name()),
                );
                None
            }
        },
        "boolean" => match &node.value {
            Value::Bool(b) => Some(J::Bool(*b)),
            _ => {
                err(
                    diags,
                    format!("expected true or false, found a {}", node.type_name()),
                );
                None
            }
        },
        "" if schema.get("x-kubernetes-preserve-unknown-fields") == Some(&J::Bool(true)) => {
            Some(node.to_json())
        }
        other => {
            err(
                diags,
                format!("ESO's schema here uses the type `{other}`, which recif-secrets cannot check; refused rather than passed unchecked"),
            );
            None
        }
    }
}

/// The problems of a measure `n` (a count, a length, a value) against the lower and upper
/// bound keywords `keys` of `schema` (`minItems`/`maxItems`, `minLength`/`maxLength`,
/// `minimum`/`maximum`), each phrased from its bound.
pub(super) fn out_of_bounds(
    schema: &J,
    keys: [&str; 2],
    n: i64,
    too_small: impl Fn(i64) -> String,
    too_large: impl Fn(i64) -> String,
) -> Vec<String> {
    let bound = |k: &str| schema.get(k).and_then(J::as_i64);
    let mut out = Vec::new();
    if let Some(min) = bound(keys[0]).filter(|min| n < *min) {
        out.push(too_small(min));
    }
    if let Some(max) = bound(keys[1]).filter(|max| n > *max) {
        out.push(too_large(max));
    }
    out
}

fn walk_object(
    schema: &J,
    node: &Node,
    path: &str,
    mode: &Mode,
    diags: &mut Diagnostics,
) -> Option<J> {
    let Value::Map(map) = &node.value else {
        diags.error(
            Some(node.origin.clone()),
            path,
            format!("expected a map, found a {}", node.type_name()),
        );
        return None;
    };
    let props = schema.get("properties").and_then(J::as_object);
    let additional = schema.get("additionalProperties").filter(|a| a.is_object());
    let preserve = schema.get("x-kubernetes-preserve-unknown-fields") == Some(&J::Bool(true));
    let mut out = Map::new();
    let mut present: Vec<&str> = Vec::new();
    for (k, v) in map {
        if v.is_null() {
            continue;
        }
        present.push(k);
        let child_path = format!("{path}.{k}");
        let child_schema = props.and_then(|p| p.get(k)).or(additional);
        match child_schema {
            Some(s) => {
                if let Some(j) = walk(s, v, &child_path, mode, diags) {
                    out.insert(k.clone(), j);
                }
            }
            None if preserve => {
                out.insert(k.clone(), v.to_json());
            }
            None => {
                let allowed: Vec<&str> = props
                    .map(|p| p.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                let hint = names::nearest(k, &allowed)
                    .map(|n| format!("did you mean `{n}`? "))
                    .unwrap_or_default();
                let list = if allowed.is_empty() {
                    "no field is allowed here".to_string()
                } else {
                    format!("allowed here: {}", allowed.join(", "))
                };
                diags.error(
                    Some(v.origin.clone()),
                    child_path,
                    format!("unknown field; {hint}{list}"),
                );
            }
        }
    }
    let err = |diags: &mut Diagnostics, msg: String| {
        diags.error(Some(node.origin.clone()), path, msg);
    };
    if !mode.partial.iter().any(|p| p == path) {
        for req in schema
            .get("required")
            .and_then(J::as_array)
            .into_iter()
            .flatten()
            .filter_map(J::as_str)
        {
            if !present.contains(&req) {
                err(diags, format!("the field `{req}` is required"));
            }
        }
    }
    let n = present.len() as u64;
    if let Some(max) = schema.get("maxProperties").and_then(J::as_u64) {
        if n > max {
            let names = present.join(", ");
            err(
                diags,
                if max == 1 {
                    format!("sets {names}; set only one of them")
                } else {
                    format!("sets {n} fields ({names}); at most {max} are allowed")
                },
            );
        }
    }
    if let Some(min) = schema.get("minProperties").and_then(J::as_u64) {
        if n < min {
            let allowed: Vec<&str> = props
                .map(|p| p.keys().map(String::as_str).collect())
                .unwrap_or_default();
            err(
                diags,
                format!(
                    "must set at least {min} of: {}",
                    if allowed.is_empty() {
                        "its fields".to_string()
                    } else {
                        allowed.join(", ")
                    }
                ),
            );
        }
    }
    for rule in schema
        .get("x-kubernetes-validations")
        .and_then(J::as_array)
        .into_iter()
        .flatten()
    {
        let text = rule["rule"].as_str().unwrap_or("");
        let expr = cel::parse(text).expect("checked by unsupported()");
        if !expr.holds(&present) {
            let message = rule["message"].as_str().unwrap_or(text);
            err(diags, message.to_string());
        }
    }
    Some(J::Object(out))
}
