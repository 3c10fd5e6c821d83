//! `secrets.external.store.<backend>`: the block is ESO's `spec.provider.<backend>`, checked
//! against ESO's own schema for the chosen API version (extracted from the CRDs by
//! `scripts/extract-store-schemas.py`), strictly: an unknown field is an error that names
//! the allowed ones. Scalars are converted to the type the schema asks for where Helm would
//! print them that way (a number where a string is expected becomes its text).

use std::sync::OnceLock;

use base64::Engine as _;
use serde_json::{Map, Value as J};

use super::names;
use crate::diag::Diagnostics;
use crate::values::{Node, Value};

const SCHEMAS_JSON: &str = include_str!("../manifests/store-schemas.json");

fn schemas() -> &'static J {
    static S: OnceLock<J> = OnceLock::new();
    S.get_or_init(|| serde_json::from_str(SCHEMAS_JSON).expect("store-schemas.json is JSON"))
}

/// The schema of `spec.provider.<backend>` for `api_version` (`external-secrets.io/v1`…).
pub fn schema_for(api_version: &str, backend: &str) -> Option<&'static J> {
    let version = api_version.rsplit('/').next()?;
    schemas().get(version)?.get(backend)
}

/// Checks `node` (at key path `path`) against the backend's schema; returns the block as JSON
/// with scalars converted, or `None` after reporting every problem.
pub fn check(
    api_version: &str,
    backend: &str,
    node: &Node,
    path: &str,
    diags: &mut Diagnostics,
) -> Option<J> {
    let schema = schema_for(api_version, backend)?;
    let before = diags.items.len();
    let out = walk(schema, node, path, diags);
    if diags.items[before..].iter().any(|d| d.is_error()) {
        None
    } else {
        out
    }
}

fn types(schema: &J) -> Vec<&str> {
    match schema.get("type") {
        Some(J::String(t)) => vec![t.as_str()],
        Some(J::Array(ts)) => ts.iter().filter_map(J::as_str).collect(),
        _ if schema.get("properties").is_some() => vec!["object"],
        _ => vec![],
    }
}

fn walk(schema: &J, node: &Node, path: &str, diags: &mut Diagnostics) -> Option<J> {
    let err =
        |diags: &mut Diagnostics, msg: String| diags.error(Some(node.origin.clone()), path, msg);
    let ty = types(schema);
    let first = ty.first().copied().unwrap_or("");
    match first {
        "object" => {
            let Value::Map(map) = &node.value else {
                err(
                    diags,
                    format!("expected a map, found a {}", node.type_name()),
                );
                return None;
            };
            let props = schema.get("properties").and_then(J::as_object);
            let additional = schema.get("additionalProperties").filter(|a| a.is_object());
            let preserve =
                schema.get("x-kubernetes-preserve-unknown-fields") == Some(&J::Bool(true));
            let mut out = Map::new();
            for (k, v) in map {
                if v.is_null() {
                    continue;
                }
                let child_path = format!("{path}.{k}");
                let child_schema = props.and_then(|p| p.get(k)).or(additional);
                match child_schema {
                    Some(s) => {
                        if let Some(j) = walk(s, v, &child_path, diags) {
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
                        diags.error(
                            Some(v.origin.clone()),
                            child_path,
                            format!("unknown field; {hint}allowed here: {}", allowed.join(", ")),
                        );
                    }
                }
            }
            for req in schema
                .get("required")
                .and_then(J::as_array)
                .into_iter()
                .flatten()
                .filter_map(J::as_str)
            {
                if !out.contains_key(req) && map.get(req).is_none_or(|n| n.is_null()) {
                    err(diags, format!("the field `{req}` is required"));
                }
            }
            Some(J::Object(out))
        }
        "array" => {
            let Value::Seq(items) = &node.value else {
                err(
                    diags,
                    format!("expected a list, found a {}", node.type_name()),
                );
                return None;
            };
            let item_schema = schema
                .get("items")
                .cloned()
                .unwrap_or(J::Object(Map::new()));
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                if let Some(j) = walk(&item_schema, item, &format!("{path}[{i}]"), diags) {
                    out.push(j);
                }
            }
            Some(J::Array(out))
        }
        "string" => {
            let Some(text) = node.scalar_text() else {
                err(
                    diags,
                    format!("expected a string, found a {}", node.type_name()),
                );
                return None;
            };
            if let Some(allowed) = schema.get("enum").and_then(J::as_array) {
                if !allowed.iter().any(|a| a.as_str() == Some(&text)) {
                    let list: Vec<&str> = allowed.iter().filter_map(J::as_str).collect();
                    err(
                        diags,
                        format!(
                            "{text:?} is not allowed; expected one of: {}",
                            list.join(", ")
                        ),
                    );
                    return None;
                }
            }
            let len = text.chars().count() as u64;
            if let Some(min) = schema.get("minLength").and_then(J::as_u64) {
                if len < min {
                    err(diags, format!("must be at least {min} characters long"));
                }
            }
            if let Some(max) = schema.get("maxLength").and_then(J::as_u64) {
                if len > max {
                    err(diags, format!("must be at most {max} characters long"));
                }
            }
            if let Some(p) = schema.get("pattern").and_then(J::as_str) {
                if let Some(why) = pattern_problem(p, &text) {
                    err(diags, why.to_string());
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
            Value::Int(i) => Some(J::from(*i)),
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
        _ => Some(node.to_json()),
    }
}

/// One pattern of ESO's provider schemas as a named check: the regex text as the schema
/// spells it (the lookup key), what it means, and the check itself (hand-written: five
/// fixed, simple patterns do not justify a regex engine).
pub struct Pattern {
    pub regex: &'static str,
    pub why: &'static str,
    pub check: fn(&str) -> bool,
}

/// Every pattern of the embedded schemas is here (a unit test makes sure); each entry
/// carries its own check, so the order of the table means nothing.
pub const KNOWN_PATTERNS: &[Pattern] = &[
    Pattern {
        regex: r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
        why: "must be a DNS subdomain name (lower-case letters, digits, '-', '.')",
        check: |s| s.split('.').all(dns_label),
    },
    Pattern {
        regex: r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
        why: "must be a DNS label (lower-case letters, digits, '-')",
        check: dns_label,
    },
    Pattern {
        regex: r"^[-._a-zA-Z0-9]+$",
        why: "must be a Secret key (letters, digits, '-', '_', '.')",
        check: |s| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
        },
    },
    Pattern {
        regex: r"^[a-z0-9-]+$",
        why: "must be lower-case letters, digits and '-'",
        check: |s| !s.is_empty() && s.bytes().all(lower_digit_dash),
    },
    Pattern {
        regex: r"^.*@.*\.iam\.gserviceaccount\.com$",
        why: "must be a Google service-account email (…@….iam.gserviceaccount.com)",
        check: |s| {
            s.split_once('@').is_some_and(|(_, d)| {
                d.contains(".iam.gserviceaccount.com") && s.ends_with(".iam.gserviceaccount.com")
            })
        },
    },
];

fn lower_digit_dash(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'
}

fn dns_label(l: &str) -> bool {
    !l.is_empty() && l.bytes().all(lower_digit_dash) && !l.starts_with('-') && !l.ends_with('-')
}

/// The problem with `s` under the schema pattern `pattern` (looked up by its text).
fn pattern_problem(pattern: &str, s: &str) -> Option<&'static str> {
    let p = KNOWN_PATTERNS.iter().find(|p| p.regex == pattern)?;
    (!(p.check)(s)).then_some(p.why)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::yaml;
    use std::sync::Arc;

    fn all_patterns(s: &J, out: &mut Vec<String>) {
        match s {
            J::Object(m) => {
                if let Some(J::String(p)) = m.get("pattern") {
                    out.push(p.clone());
                }
                m.values().for_each(|v| all_patterns(v, out));
            }
            J::Array(a) => a.iter().for_each(|v| all_patterns(v, out)),
            _ => {}
        }
    }

    #[test]
    fn every_schema_pattern_is_known() {
        let mut ps = Vec::new();
        all_patterns(schemas(), &mut ps);
        assert!(!ps.is_empty());
        for p in ps {
            assert!(
                KNOWN_PATTERNS.iter().any(|k| k.regex == p),
                "unknown pattern {p}"
            );
        }
    }

    #[test]
    fn patterns_behave_like_their_regexes() {
        assert!(pattern_problem(KNOWN_PATTERNS[0].regex, "a.b-c").is_none());
        assert!(pattern_problem(KNOWN_PATTERNS[0].regex, "A").is_some());
        assert!(pattern_problem(KNOWN_PATTERNS[1].regex, "a.b").is_some());
        assert!(pattern_problem(KNOWN_PATTERNS[2].regex, "adc.json").is_none());
        assert!(pattern_problem(KNOWN_PATTERNS[4].regex, "x@p.iam.gserviceaccount.com").is_none());
        assert!(pattern_problem(KNOWN_PATTERNS[4].regex, "x@gmail.com").is_some());
    }

    fn check_yaml(api: &str, backend: &str, text: &str) -> (Option<J>, Diagnostics) {
        let node = yaml::load(text, &Arc::from("v.yaml")).unwrap();
        let mut d = Diagnostics::default();
        let out = check(api, backend, &node, "secrets.external.store.x", &mut d);
        (out, d)
    }

    #[test]
    fn unknown_fields_are_refused_with_the_allowed_ones() {
        let (out, d) = check_yaml("external-secrets.io/v1", "vault", "server: https://v\npath: secret\nauth:\n  kubernetes:\n    mountpath: k\n    role: r\n");
        assert!(out.is_none());
        let msg = d.items[0].to_string();
        assert!(msg.contains("v.yaml:5:16"), "{msg}");
        assert!(msg.contains("did you mean `mountPath`"), "{msg}");
        assert!(msg.contains("allowed here:"), "{msg}");
    }

    #[test]
    fn enums_required_and_types() {
        let (_, d) = check_yaml(
            "external-secrets.io/v1",
            "aws",
            "service: Vault\nregion: us-east-1\n",
        );
        assert!(
            d.items[0].message.contains("SecretsManager"),
            "{:?}",
            d.items
        );
        let (out, d) = check_yaml(
            "external-secrets.io/v1",
            "aws",
            "service: ParameterStore\nregion: us-east-1\n",
        );
        assert!(out.is_some() && !d.has_errors(), "{:?}", d.items);
        let (_, d) = check_yaml("external-secrets.io/v1", "vault", "path: secret\n");
        assert!(
            d.items
                .iter()
                .any(|i| i.message.contains("`server` is required")),
            "{:?}",
            d.items
        );
    }

    #[test]
    fn scalars_become_the_schema_type() {
        let (out, d) = check_yaml("external-secrets.io/v1", "gcpsm", "projectID: 12345\n");
        assert!(!d.has_errors(), "{:?}", d.items);
        assert_eq!(out.unwrap(), serde_json::json!({"projectID": "12345"}));
    }
}
