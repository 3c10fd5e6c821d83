//! Values in the wrong place: a Kubernetes manifest given as values, keys of our sections
//! written at the top level or one level off, unknown keys (warned, with the nearest name).

use super::reader::Reader;
use super::{keys, names, Backend};
use crate::values::{Node, Origin};

/// A values document that is a Kubernetes object (`apiVersion` and `kind` at the top, such as
/// a ClusterSecretStore pasted from a manifest) is refused: its keys would all be ignored.
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

/// Top-level keys that belong in one of our sections (a documented block pasted without its
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
            misplaced(r, v, k.clone(), "not a top-level key", &home);
        }
    }
}

/// A key of ours written at the wrong place (`at`), whose place is `home`. When it is
/// exactly one of our keys and it would change what is rendered (its home holds no value of
/// the user's, and it is not the default written again), it is an error with the fix: left
/// as a warning, the objects would silently fall back to the defaults (the default store,
/// no `gcp-adc`). Otherwise (a store backend name, which other charts' values use too; a key
/// also set at its home; the default value) it stays a warning.
pub(super) fn misplaced(r: &mut Reader<'_>, node: &Node, at: String, what: &str, home: &str) {
    let home_path: Vec<&str> = home.split('.').collect();
    let ours = is_our_key(home);
    let at_home = r.root.get(&home_path);
    let set_at_home = at_home.is_some_and(|h| h.origin != Origin::Default);
    let same_as_default = at_home.is_some_and(|h| h == node);
    if ours && !set_at_home && !same_as_default && !node.is_null() {
        r.diags.error(
            Some(node.origin.clone()),
            at,
            format!("{what}: this key belongs at `{home}`; here it is ignored and the objects would fall back to the defaults. Move it to `{home}`"),
        );
    } else {
        r.diags.warning(
            Some(node.origin.clone()),
            at,
            format!("{what}, ignored; did you mean `{home}`?"),
        );
    }
}

/// Whether `home` (from [`home_of`]) is exactly a key of our tables or an LLM key, as
/// opposed to a store backend name.
fn is_our_key(home: &str) -> bool {
    !home.starts_with("secrets.external.store.")
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
            (None, Some(home)) => {
                let v = v.clone();
                misplaced(
                    r,
                    &v,
                    format!("{}.{k}", path.join(".")),
                    "not a key of this section",
                    &home,
                );
                continue;
            }
            (None, None) => format!("; known keys: {}", known.join(", ")),
        };
        r.diags.warning(
            Some(v.origin.clone()),
            format!("{}.{k}", path.join(".")),
            format!("unknown key, ignored{hint}"),
        );
    }
}
