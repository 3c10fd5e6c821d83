//! External Secrets Operator objects. Their `spec` is ESO's to define: it is kept as JSON and
//! checked against the CRD schema of the object's API version (extracted from ESO's CRDs,
//! see [`crate::config::crd`]), strictly: an unknown field is an error that names the
//! nearest allowed one, as are wrong enums, missing required fields and the rest. The typed
//! part is what every Kubernetes object shares.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as J};

use super::webhook;
use crate::config::{crd, remote_key, Config};
use crate::diag::Diagnostic;
use crate::values::{Node, Value};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExternalSecret {
    pub api_version: String,
    pub kind: String,
    pub metadata: ObjectMeta,
    pub spec: Map<String, J>,
}

/// A `SecretStore` or `ClusterSecretStore`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretStore {
    pub api_version: String,
    pub kind: String,
    pub metadata: ObjectMeta,
    pub spec: Map<String, J>,
}

/// The problems of an ESO object's `spec` against its CRD schema, as `spec.…: message`.
pub fn check_spec(api_version: &str, kind: &str, spec: &Map<String, J>) -> Vec<String> {
    match crd::spec_schema(api_version, kind) {
        Some(schema) => crd::check_json(schema, &J::Object(spec.clone()), "spec"),
        None => vec![format!("no {kind} schema for {api_version}")],
    }
}

/// Merges `secrets.external.externalSecretSpec` / `overrides.<name>.spec` /
/// `overrides.<namespace>/<name>.spec` (checked in config) into the ExternalSecret of that
/// name and namespace: maps merge, a list or scalar replaces ours.
pub fn apply_options(e: &mut ExternalSecret, config: &Config) {
    let Some(ext) = &config.external else {
        return;
    };
    let name = e.metadata.name.as_deref().unwrap_or("");
    let namespace = e.metadata.namespace.as_deref().unwrap_or("");
    if let Some(patch) = ext.spec_patch_for(namespace, name) {
        let mut spec = J::Object(std::mem::take(&mut e.spec));
        crd::merge(&mut spec, patch);
        if let J::Object(m) = spec {
            e.spec = m;
        }
    }
}

/// The labels and annotations of `overrides.<name>.metadata` /
/// `overrides.<namespace>/<name>.metadata`, over the common ones (after those).
pub fn apply_metadata(e: &mut ExternalSecret, config: &Config) {
    let Some(ext) = &config.external else {
        return;
    };
    let name = e.metadata.name.as_deref().unwrap_or("");
    let namespace = e.metadata.namespace.as_deref().unwrap_or("");
    let Some(m) = ext.metadata_for(namespace, name).cloned() else {
        return;
    };
    if !m.labels.is_empty() {
        e.metadata
            .labels
            .get_or_insert_with(Default::default)
            .extend(m.labels);
    }
    if !m.annotations.is_empty() {
        e.metadata
            .annotations
            .get_or_insert_with(Default::default)
            .extend(m.annotations);
    }
}

/// What ESO's admission webhook would refuse in `e` ([`webhook`]): each refusal pointed at
/// the values key that set the offending value (`Ok`: key path, origin, message), or, when
/// no values key did (a `--templates` override), as `spec.<path>: message` (`Err`).
pub fn admission(e: &ExternalSecret, config: &Config) -> Vec<Result<Diagnostic, String>> {
    let name = e.metadata.name.as_deref().unwrap_or("");
    let namespace = e.metadata.namespace.as_deref().unwrap_or("");
    let mut out = Vec::new();
    for refusal in webhook::refusals(&e.api_version, &e.spec) {
        let blamed = config.external.as_ref().and_then(|ext| {
            ext.spec_sources_for(namespace, name).find_map(|source| {
                refusal.at.iter().find_map(|p| {
                    node_at(&source.node, p).map(|n| {
                        (
                            format!("{}.{}", source.at, webhook::show(p)),
                            n.origin.clone(),
                        )
                    })
                })
            })
        });
        out.push(match blamed {
            Some((at, origin)) => Ok(Diagnostic::error(
                Some(origin),
                at,
                format!("{} (ExternalSecret {namespace}/{name})", refusal.message),
            )),
            None => Err(format!("spec: {}", refusal.message)),
        });
    }
    out
}

/// The node at a path inside a values `spec` patch.
fn node_at<'a>(node: &'a Node, path: &[webhook::Seg]) -> Option<&'a Node> {
    let mut cur = node;
    for seg in path {
        cur = match (seg, &cur.value) {
            (webhook::Seg::Key(k), Value::Map(m)) => m.get(k)?,
            (webhook::Seg::Index(i), Value::Seq(items)) => items.get(*i)?,
            _ => return None,
        };
        if cur.is_null() {
            return None;
        }
    }
    Some(cur)
}

/// Adds `d` to `diags`, or, when the same key already has the same refusal for another
/// ExternalSecret (a patch for every team), names this one there too.
pub fn push_refusal(diags: &mut crate::diag::Diagnostics, d: Diagnostic) {
    let Some((rule, object)) = d.message.rsplit_once(" (ExternalSecret ") else {
        diags.push(d);
        return;
    };
    let object = object.trim_end_matches(')');
    let same = diags.items.iter_mut().find(|x| {
        x.origin == d.origin
            && x.path == d.path
            && x.message.starts_with(rule)
            && x.message[rule.len()..].starts_with(" (ExternalSecret")
    });
    match same {
        Some(x) => {
            x.message.pop();
            x.message.push_str(&format!(", {object})"));
        }
        None => diags.push(d),
    }
}

/// Our own rules for a rendered ExternalSecret, beyond ESO's: the Secret it writes is the
/// one the platform mounts (no `target.manifest` of another kind), and a remote key's
/// `$(namespace)` placeholder was expanded (a `--templates` override may print
/// `external.keys.agentEnv` as written).
pub fn policy(e: &ExternalSecret, config: &Config) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(m) = e
        .spec
        .get("target")
        .and_then(|t| t.get("manifest"))
        .filter(|m| !m.is_null())
    {
        if m.get("apiVersion") != Some(&J::from("v1")) || m.get("kind") != Some(&J::from("Secret"))
        {
            problems.push("spec.target.manifest: ESO would write that kind instead of the Secret the platform mounts; refused (only apiVersion v1, kind Secret)".to_string());
        }
    }
    let Some(ext) = &config.external else {
        return problems;
    };
    let raw: Vec<(&str, &str)> = [
        ("agentEnv", Some(ext.keys.agent_env.as_str())),
        ("gcpServiceAccount", ext.keys.gcp_service_account.as_deref()),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.filter(|v| remote_key::per_namespace(v)).map(|v| (k, v)))
    .collect();
    if !raw.is_empty() {
        fn strings<'a>(v: &'a J, out: &mut Vec<&'a str>) {
            match v {
                J::String(s) => out.push(s),
                J::Array(a) => a.iter().for_each(|x| strings(x, out)),
                J::Object(m) => m.values().for_each(|x| strings(x, out)),
                _ => {}
            }
        }
        let mut all = Vec::new();
        e.spec.values().for_each(|v| strings(v, &mut all));
        for (key, value) in raw {
            if all.contains(&value) {
                problems.push(format!("spec: holds keys.{key} as written, with its $(namespace) placeholder; a template prints it through the filter: external.keys.{key} | forNamespace(namespace)"));
            }
        }
    }
    problems
}
