//! `secrets.external.externalSecretSpec` and `secrets.external.overrides`: ESO's own
//! ExternalSecret `spec` fields and the ExternalSecret's labels and annotations, for every
//! rendered ExternalSecret, for one name (`agent-env`) or for one name in one namespace
//! (`team-a/agent-env`).
//!
//! Precedence, later winning (maps merge key by key, a list or scalar replaces):
//! `externalSecretSpec`, then `overrides.<name>`, then `overrides.<namespace>/<name>`; for
//! labels and annotations, `secrets.commonLabels`/`commonAnnotations`, then
//! `overrides.<name>.metadata`, then `overrides.<namespace>/<name>.metadata`.

use std::collections::BTreeMap;

use super::reader::Reader;
use super::secrets::checked_metadata;
use super::*;

/// The labels and annotations of one ExternalSecret, beyond the common ones.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ObjectMetadata {
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
}

/// A `spec` patch as written, to point at the values key behind a rendered field.
#[derive(Clone, Debug)]
pub struct SpecSource {
    /// `""` (every ExternalSecret), a name, or `namespace/name`.
    pub scope: String,
    /// `secrets.external.overrides.team-a/agent-env.spec`.
    pub at: String,
    pub node: Node,
}

/// The options, merged per scope.
#[derive(Clone, Debug, Default)]
pub(super) struct Options {
    pub(super) spec_patches: BTreeMap<String, serde_json::Value>,
    pub(super) metadata: BTreeMap<String, ObjectMetadata>,
    pub(super) spec_sources: Vec<SpecSource>,
}

pub(super) fn options(
    r: &mut Reader<'_>,
    api_version: &str,
    gcp_rendered: bool,
    teams: &[String],
    platform: &str,
) -> Options {
    let mut out = Options::default();
    let Some(schema) = crd::spec_schema(api_version, "ExternalSecret") else {
        return out;
    };
    let global_path = ["secrets", "external", "externalSecretSpec"];
    let global_at = global_path.join(".");
    let global = r
        .map(&global_path)
        .and_then(|_| r.node(&global_path))
        .and_then(|n| {
            let p = spec_patch(r, schema, n, &global_at, None)?;
            out.spec_sources.push(SpecSource {
                scope: String::new(),
                at: global_at.clone(),
                node: n.clone(),
            });
            Some(p)
        });
    // scope -> (spec patch, metadata), as written.
    let mut by_name: BTreeMap<&str, (Option<serde_json::Value>, ObjectMetadata)> = BTreeMap::new();
    let mut by_namespace: BTreeMap<(String, &str), (Option<serde_json::Value>, ObjectMetadata)> =
        BTreeMap::new();
    let overrides_path = ["secrets", "external", "overrides"];
    if let Some(map) = r.map(&overrides_path) {
        for (key, node) in map {
            if node.is_null() {
                continue;
            }
            // The key is the user's text: escaped when it holds a control character.
            let shown_key = if key.chars().any(|c| c.is_control() || c.is_whitespace()) {
                format!("{key:?}")
            } else {
                key.clone()
            };
            let path = format!("secrets.external.overrides.{shown_key}");
            let (namespace, name) = match key.split_once('/') {
                Some((ns, n)) => (Some(ns), n),
                None => (None, key.as_str()),
            };
            let Some(known) = EXTERNAL_SECRET_NAMES.iter().find(|n| **n == name) else {
                let hint = names::nearest(name, EXTERNAL_SECRET_NAMES)
                    .map(|n| format!("did you mean `{n}`? "))
                    .unwrap_or_default();
                r.diags.error(
                    Some(node.origin.clone()),
                    path,
                    format!(
                        "is not an ExternalSecret recif-secrets renders; {hint}expected one of: {} (or NAMESPACE/NAME for one namespace)",
                        EXTERNAL_SECRET_NAMES.join(", ")
                    ),
                );
                continue;
            };
            if let Some(ns) = namespace {
                let pattern = keys::Pattern::DnsLabel;
                if !pattern.matches(ns) || ns.is_empty() {
                    r.diags.error(
                        Some(node.origin.clone()),
                        path,
                        format!("{}; the key is NAMESPACE/NAME", pattern.problem(ns)),
                    );
                    continue;
                }
                let rendered = namespaces_of(known, teams, platform);
                if !rendered.contains(&ns) {
                    let hint = names::nearest(ns, &rendered)
                        .map(|n| format!("did you mean `{n}/{known}`? "))
                        .unwrap_or_default();
                    r.diags.warning(
                        Some(node.origin.clone()),
                        path.clone(),
                        format!(
                            "{known} is not rendered in {ns} ({hint}it is rendered in: {}); ignored",
                            if *known == PLATFORM_GCP_SA {
                                format!("{platform}, the platform namespace (-n)")
                            } else {
                                format!("{} (namespaces.defaultTeam and teams)", rendered.join(", "))
                            }
                        ),
                    );
                }
            }
            let Some(fields) = node.as_map() else {
                r.diags.error(
                    Some(node.origin.clone()),
                    path,
                    format!(
                        "expected a map with `metadata` and `spec`, found a {}",
                        node.type_name()
                    ),
                );
                continue;
            };
            for (k, v) in fields {
                if k != "spec" && k != "metadata" && !v.is_null() {
                    r.diags.error(
                        Some(v.origin.clone()),
                        format!("{path}.{k}"),
                        "unknown field; an override has `metadata` (labels, annotations) and `spec`",
                    );
                }
            }
            let metadata = fields
                .get("metadata")
                .filter(|n| !n.is_null())
                .map(|m| object_metadata(r, m, &format!("{path}.metadata")))
                .unwrap_or_default();
            let spec = fields.get("spec").filter(|n| !n.is_null());
            if *known != AGENT_ENV && !gcp_rendered {
                r.diags.warning(
                    Some(node.origin.clone()),
                    path.clone(),
                    format!("{known} is not rendered (no keys.gcpServiceAccount, or Workload Identity); ignored"),
                );
            }
            let patch = spec.and_then(|spec| {
                let at = format!("{path}.spec");
                let p = spec_patch(r, schema, spec, &at, Some(known))?;
                out.spec_sources.push(SpecSource {
                    scope: key.clone(),
                    at,
                    node: spec.clone(),
                });
                Some(p)
            });
            match namespace {
                Some(ns) => {
                    by_namespace.insert((ns.to_string(), known), (patch, metadata));
                }
                None => {
                    by_name.insert(known, (patch, metadata));
                }
            }
        }
    }
    let layered = |layers: &[Option<&serde_json::Value>]| {
        let mut patch = serde_json::Value::Null;
        for layer in layers.iter().flatten() {
            if patch.is_null() {
                patch = (*layer).clone();
            } else {
                crd::merge(&mut patch, layer);
            }
        }
        (!patch.is_null()).then_some(patch)
    };
    for name in EXTERNAL_SECRET_NAMES {
        let (named_patch, named_meta) = by_name
            .get(name)
            .map(|(p, m)| (p.as_ref(), m.clone()))
            .unwrap_or_default();
        if let Some(p) = layered(&[global.as_ref(), named_patch]) {
            out.spec_patches.insert(name.to_string(), p);
        }
        if named_meta != ObjectMetadata::default() {
            out.metadata.insert(name.to_string(), named_meta.clone());
        }
        for ((ns, _), (patch, meta)) in by_namespace.iter().filter(|((_, n), _)| n == name) {
            let scope = format!("{ns}/{name}");
            if let Some(p) = layered(&[global.as_ref(), named_patch, patch.as_ref()]) {
                out.spec_patches.insert(scope.clone(), p);
            }
            let mut m = named_meta.clone();
            m.labels.extend(meta.labels.clone());
            m.annotations.extend(meta.annotations.clone());
            if m != ObjectMetadata::default() {
                out.metadata.insert(scope, m);
            }
        }
    }
    out
}

/// `overrides.<key>.metadata`: labels and annotations, checked as the common ones are.
fn object_metadata(r: &mut Reader<'_>, node: &Node, at: &str) -> ObjectMetadata {
    let mut out = ObjectMetadata::default();
    let Some(map) = node.as_map() else {
        r.diags.error(
            Some(node.origin.clone()),
            at,
            format!(
                "expected a map with labels and annotations, found a {}",
                node.type_name()
            ),
        );
        return out;
    };
    for (k, v) in map {
        if v.is_null() {
            continue;
        }
        let shown = format!("{at}.{k}");
        match k.as_str() {
            "labels" | "annotations" => {
                let entries = r.strings_of(v, &shown);
                let checked = checked_metadata(r, &shown, entries, k == "labels");
                if k == "labels" {
                    out.labels = checked;
                } else {
                    out.annotations = checked;
                }
            }
            _ => r.diags.error(
                Some(v.origin.clone()),
                shown,
                "cannot be overridden; only labels and annotations (the name and namespace are the ones the platform looks up)",
            ),
        }
    }
    out
}

impl External {
    /// The `spec` fields merged into the ExternalSecret `name` in `namespace`.
    pub fn spec_patch_for(&self, namespace: &str, name: &str) -> Option<&serde_json::Value> {
        self.spec_patches
            .get(&format!("{namespace}/{name}"))
            .or_else(|| self.spec_patches.get(name))
    }

    /// The labels and annotations added to the ExternalSecret `name` in `namespace`.
    pub fn metadata_for(&self, namespace: &str, name: &str) -> Option<&ObjectMetadata> {
        self.metadata
            .get(&format!("{namespace}/{name}"))
            .or_else(|| self.metadata.get(name))
    }

    /// The `spec` patches that apply to `name` in `namespace`, the most specific first.
    pub fn spec_sources_for<'a>(
        &'a self,
        namespace: &'a str,
        name: &'a str,
    ) -> impl Iterator<Item = &'a SpecSource> + 'a {
        let scoped = format!("{namespace}/{name}");
        let rank = move |s: &SpecSource| {
            if s.scope == scoped {
                Some(0)
            } else if s.scope == name {
                Some(1)
            } else if s.scope.is_empty() {
                Some(2)
            } else {
                None
            }
        };
        let mut v: Vec<(usize, &SpecSource)> = self
            .spec_sources
            .iter()
            .filter_map(|s| rank(s).map(|r| (r, s)))
            .collect();
        v.sort_by_key(|(r, _)| *r);
        v.into_iter().map(|(_, s)| s)
    }

    /// Whether an override names `namespace` (its objects then differ from the same
    /// objects in other namespaces by more than the namespace).
    pub fn overrides_namespace(&self, namespace: &str) -> bool {
        let prefix = format!("{namespace}/");
        self.spec_patches
            .keys()
            .chain(self.metadata.keys())
            .any(|k| k.starts_with(&prefix))
    }
}

/// One `spec` patch, checked; `name` is the one ExternalSecret it applies to, if only one.
pub(super) fn spec_patch(
    r: &mut Reader<'_>,
    schema: &serde_json::Value,
    node: &Node,
    path: &str,
    name: Option<&str>,
) -> Option<serde_json::Value> {
    let map = node.as_map()?;
    let before = r.diags.items.len();
    if let Some(v) = map.get("secretStoreRef").filter(|n| !n.is_null()) {
        r.diags.error(
            Some(v.origin.clone()),
            format!("{path}.secretStoreRef"),
            "cannot be set here: the store reference comes from secrets.external.storeName and storeKind",
        );
    }
    if let Some(v) = node.get(&["target", "name"]).filter(|n| !n.is_null()) {
        if name.is_none() || v.scalar_text().as_deref() != name {
            r.diags.error(
                Some(v.origin.clone()),
                format!("{path}.target.name"),
                format!(
                    "cannot be changed: the platform mounts the Secret by its name ({})",
                    name.map_or_else(|| EXTERNAL_SECRET_NAMES.join(", "), str::to_string)
                ),
            );
        }
    }
    if let Some(v) = node.get(&["target", "manifest"]).filter(|n| !n.is_null()) {
        let secret = v
            .get(&["apiVersion"])
            .and_then(Node::scalar_text)
            .as_deref()
            == Some("v1")
            && v.get(&["kind"]).and_then(Node::scalar_text).as_deref() == Some("Secret");
        if !secret {
            r.diags.error(
                Some(v.origin.clone()),
                format!("{path}.target.manifest"),
                "cannot be set: ESO would write that kind instead of the Secret the platform mounts (only apiVersion v1, kind Secret, the default, is accepted)",
            );
        }
    }
    if let Some(t) = map.get("refreshInterval").filter(|n| !n.is_null()) {
        if let Some(text) = t.scalar_text() {
            if let Err(why) = duration::check_go_duration(&text) {
                r.diags.error(
                    Some(t.origin.clone()),
                    format!("{path}.refreshInterval"),
                    format!("{text:?} is not a Go duration such as 1h, 30m, 15s or 0: {why}"),
                );
            }
        }
    }
    let mode = crd::Mode {
        exact_scalars: false,
        partial: vec![path.to_string(), format!("{path}.target")],
    };
    let out = crd::check(schema, node, path, &mode, r.diags);
    if r.diags.items[before..].iter().any(|d| d.is_error()) {
        return None;
    }
    out.filter(|j| j.as_object().is_some_and(|m| !m.is_empty()))
}
