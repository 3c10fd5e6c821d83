//! The External Secrets Operator's own schemas, extracted from its CRDs by
//! `scripts/extract-store-schemas.py` into `src/manifests/store-schemas.json` (every API
//! version, every provider, the ExternalSecret `spec`), and the checker that holds values
//! and rendered objects to them, strictly: an unknown field is an error that names the
//! nearest allowed one; enums, required fields, lengths, patterns, `format: byte`, integer
//! formats and minimums, property and item counts, and the CRDs' CEL validation rules are
//! checked. A schema keyword the checker does not implement is refused, never passed over.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use base64::Engine as _;
use serde_json::{Map, Value as J};

use super::names;
use crate::diag::Diagnostics;
use crate::values::{Node, Value};

const SCHEMAS_JSON: &str = include_str!("../../manifests/store-schemas.json");

/// The API group of every ESO object.
pub const GROUP: &str = "external-secrets.io";

fn doc() -> &'static J {
    static S: OnceLock<J> = OnceLock::new();
    S.get_or_init(|| serde_json::from_str(SCHEMAS_JSON).expect("store-schemas.json is JSON"))
}

/// Follows a `{"$ref": id}` into the shared sub-schemas.
fn resolve(s: &J) -> &J {
    match s.get("$ref").and_then(J::as_str) {
        Some(id) => resolve(&doc()["defs"][id]),
        None => s,
    }
}

fn version(api_version: &str) -> Option<&'static J> {
    let v = api_version.strip_prefix(GROUP)?.strip_prefix('/')?;
    doc()["versions"].get(v)
}

/// The API versions the CRDs define, `external-secrets.io/<v>`, newest first.
pub fn api_versions() -> Vec<String> {
    let mut v: Vec<String> = doc()["versions"]
        .as_object()
        .expect("versions")
        .keys()
        .map(|v| format!("{GROUP}/{v}"))
        .collect();
    // v1 before v1beta1: the stable version first.
    v.sort_by_key(|s| (s.contains("beta") || s.contains("alpha"), s.clone()));
    v
}

/// Whether the CRDs serve this version (`served: false` versions are refused by the API
/// server of a cluster running that ESO release).
pub fn served(api_version: &str) -> bool {
    version(api_version).is_some_and(|v| v["served"] == J::Bool(true))
}

/// Every field name and enum value of ESO's schemas (public words, which a message about a
/// template override may quote).
pub fn schema_words() -> &'static std::collections::HashSet<&'static str> {
    fn walk(s: &'static J, out: &mut std::collections::HashSet<&'static str>) {
        match s {
            J::Object(m) => {
                if let Some(props) = m.get("properties").and_then(J::as_object) {
                    out.extend(props.keys().map(String::as_str));
                }
                if let Some(values) = m.get("enum").and_then(J::as_array) {
                    out.extend(values.iter().filter_map(J::as_str));
                }
                m.values().for_each(|v| walk(v, out));
            }
            J::Array(a) => a.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    static WORDS: OnceLock<std::collections::HashSet<&'static str>> = OnceLock::new();
    WORDS.get_or_init(|| {
        let mut out = std::collections::HashSet::new();
        walk(doc(), &mut out);
        out
    })
}

/// The `spec` schema of `kind` (ExternalSecret, SecretStore, ClusterSecretStore).
pub fn spec_schema(api_version: &str, kind: &str) -> Option<&'static J> {
    version(api_version)?.get(kind).map(resolve)
}

/// The providers (`spec.provider.<name>`) of a store of this version, sorted.
pub fn providers(api_version: &str) -> Vec<&'static str> {
    spec_schema(api_version, "SecretStore")
        .map(|s| resolve(&s["properties"]["provider"]))
        .and_then(|p| p["properties"].as_object())
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

/// Every provider of any version, sorted and without repeats.
pub fn all_providers() -> Vec<&'static str> {
    let mut all: Vec<&str> = api_versions().iter().flat_map(|v| providers(v)).collect();
    all.sort_unstable();
    all.dedup();
    all
}

/// The schema of `spec.provider.<backend>` for `api_version`.
pub fn provider_schema(api_version: &str, backend: &str) -> Option<&'static J> {
    let store = spec_schema(api_version, "SecretStore")?;
    resolve(&store["properties"]["provider"])["properties"]
        .get(backend)
        .map(resolve)
}

/// Merges `patch` into `base` as the ExternalSecret options do: maps merge key by key; a
/// list or scalar given replaces ours.
pub fn merge(base: &mut J, patch: &J) {
    match (base, patch) {
        (J::Object(b), J::Object(p)) => {
            for (k, v) in p {
                match b.get_mut(k) {
                    Some(slot) => merge(slot, v),
                    None => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (slot, v) => *slot = v.clone(),
    }
}

pub mod cel;
mod check;
mod patterns;

pub use check::{check, check_json, Mode, KEYWORDS};
pub use patterns::{pattern_problem, NamedPattern, Pattern, PATTERNS};

/// Every sub-schema node of the embedded document, for the tests and the JSON Schema.
pub fn schema_nodes() -> Vec<&'static J> {
    fn visit<'a>(s: &'a J, out: &mut Vec<&'a J>) {
        if let J::Object(m) = s {
            if m.contains_key("$ref") {
                return;
            }
            out.push(s);
            for (k, v) in m {
                match k.as_str() {
                    "properties" => v
                        .as_object()
                        .into_iter()
                        .flat_map(|p| p.values())
                        .for_each(|x| visit(x, out)),
                    "items" | "additionalProperties" => visit(v, out),
                    "anyOf" => v
                        .as_array()
                        .into_iter()
                        .flatten()
                        .for_each(|x| visit(x, out)),
                    _ => {}
                }
            }
        }
    }
    let mut out = Vec::new();
    for d in doc()["defs"].as_object().expect("defs").values() {
        visit(d, &mut out);
    }
    for v in doc()["versions"].as_object().expect("versions").values() {
        for kind in ["SecretStore", "ClusterSecretStore", "ExternalSecret"] {
            visit(&v[kind], &mut out);
        }
    }
    out
}

/// A schema with every `$ref` replaced by what it stands for, for the JSON Schema of the
/// values.
pub fn expanded(schema: &J) -> J {
    match resolve(schema) {
        J::Object(m) => J::Object(
            m.iter()
                .map(|(k, v)| {
                    let v = match k.as_str() {
                        "properties" => J::Object(
                            v.as_object()
                                .into_iter()
                                .flatten()
                                .map(|(p, x)| (p.clone(), expanded(x)))
                                .collect(),
                        ),
                        "items" | "additionalProperties" if v.is_object() => expanded(v),
                        "anyOf" => {
                            J::Array(v.as_array().into_iter().flatten().map(expanded).collect())
                        }
                        _ => v.clone(),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The number of top-level providers per version, for messages and the README.
pub fn provider_counts() -> BTreeMap<String, usize> {
    api_versions()
        .into_iter()
        .map(|v| {
            let n = providers(&v).len();
            (v, n)
        })
        .collect()
}

#[cfg(test)]
mod tests;
