//! Values in the wrong place: a Kubernetes manifest given as values, keys of our sections
//! written at the top level or one level off, unknown keys (warned, with the nearest name).

use super::reader::Reader;
use super::{keys, names, Backend};
use crate::values::{Node, Origin};

/// A values document that is a Kubernetes object (`apiVersion` and `kind` at the top, such as
/// a ClusterSecretStore copied from the guide) is refused: its keys would all be ignored.
pub(super) fn refuse_manifest(r: &mut Reader<'_>) {
    if let Some(d) = manifest_given_as_values(r.root) {
        r.diags.push(d);
    }
}

/// The error for values that are a Kubernetes manifest (also used by `values`).
pub fn manifest_given_as_values(root: &Node) -> Option<crate::diag::Diagnostic> {
    let (api, kind) = (root.get(&["apiVersion"])?, root.get(&["kind"])?);
    api.scalar_text()?;
    let kind_name = kind.scalar_text()?;
    // The kind is named only when it looks like one (it is the user's text).
    let shown = if kind_name.len() <= 63 && kind_name.chars().all(|c| c.is_ascii_alphanumeric()) {
        format!(" ({kind_name})")
    } else {
        String::new()
    };
    Some(crate::diag::Diagnostic::error(
        Some(kind.origin.clone()),
        "kind",
        format!(
            "this is a Kubernetes manifest{shown}, not values: give recif-secrets a values file (see values-secret.yaml.example); a store goes under secrets.external.store"
        ),
    ))
}

/// Top-level keys that belong in one of our sections (a guide block pasted without its
/// indentation): "did you mean `secrets.provider`?". Other top-level keys are the rest of
/// a Récif chart's values and are left alone.
pub(super) fn misplaced_top_level_keys(r: &mut Reader<'_>) {
    let Some(root) = r.root.as_map() else {
        return;
    };
    let top = keys::names(keys::ROOT);
    for (k, v) in root {
        if top.contains(&k.as_str()) || v.origin == Origin::Default {
            continue;
        }
        if let Some(home) = home_of(k) {
            r.diags.warning(
                Some(v.origin.clone()),
                k.clone(),
                format!("not a top-level key, ignored; did you mean `{home}`?"),
            );
        }
    }
}

/// Where a key of ours lives (`storeName` -> `secrets.external.storeName`), for a key
/// written at the wrong level.
pub(super) fn home_of(k: &str) -> Option<String> {
    let sections: [(&str, &[keys::Key]); 7] = [
        ("secrets", keys::SECRETS),
        ("secrets.external", keys::EXTERNAL),
        ("secrets.external.keys", keys::EXTERNAL_KEYS),
        ("llm", keys::LLM),
        ("llm.gcp", keys::GCP),
        ("namespaces", keys::NAMESPACES),
        ("workloadIdentity", keys::WORKLOAD_IDENTITY),
    ];
    if let Some((section, _)) = sections
        .iter()
        .find(|(_, table)| table.iter().any(|key| key.name == k))
    {
        return Some(format!("{section}.{k}"));
    }
    if names::llm_env_name(k).is_some() {
        return Some(format!("llm.{k}"));
    }
    if !Backend::versions_of(k).is_empty() {
        return Some(format!("secrets.external.store.{k}"));
    }
    None
}

/// Warns about keys of the map at `path` that are not in `known`.
pub(super) fn unknown_keys(r: &mut Reader<'_>, path: &[&str], known: &[&str]) {
    let Some(map) = r.root.get(path).and_then(Node::as_map) else {
        return;
    };
    for (k, v) in map {
        if known.contains(&k.as_str()) {
            continue;
        }
        let hint = match (names::nearest(k, known), home_of(k)) {
            (Some(n), _) => format!("; did you mean `{}.{n}`?", path.join(".")),
            (None, Some(home)) => format!("; did you mean `{home}`?"),
            (None, None) => format!("; known keys: {}", known.join(", ")),
        };
        r.diags.warning(
            Some(v.origin.clone()),
            format!("{}.{k}", path.join(".")),
            format!("unknown key, ignored{hint}"),
        );
    }
}
