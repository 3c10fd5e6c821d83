//! `secrets.external`: the store reference, the backend keys, ESO spec patches and the
//! optional store block.

use std::collections::BTreeMap;

use super::reader::Reader;
use super::*;

pub(super) fn external(r: &mut Reader<'_>, with_gcp: bool) -> External {
    let base = ["secrets", "external"];
    let p = |k: &'static str| [base[0], base[1], k];
    let given = r.node(&p("storeName")).is_some();
    let store_name = match r.name(&p("storeName")) {
        Some(t) => t.value,
        // Not a valid name: said by `name`.
        None if given => String::new(),
        None => {
            let origin = r.origin(&p("storeName"));
            r.diags
                .error(origin, "secrets.external.storeName", "is required");
            String::new()
        }
    };
    let store_kind = r
        .choice(&p("storeKind"))
        .unwrap_or(StoreKind::ClusterSecretStore.as_str())
        .to_string();
    let api_version = r
        .choice(&p("apiVersion"))
        .unwrap_or(ApiVersion::V1.as_str())
        .to_string();
    let refresh_interval = match r.text(&p("refreshInterval")) {
        None => "1h".to_string(),
        Some(t) => match duration::check_go_duration(&t.value) {
            Ok(()) => t.value,
            Err(why) => {
                r.diags.error(
                    Some(t.origin),
                    "secrets.external.refreshInterval",
                    format!(
                        "{:?} is not a Go duration such as 1h, 30m, 1h30m, 15s or 0: {why}",
                        t.value
                    ),
                );
                String::new()
            }
        },
    };
    let keys = ["secrets", "external", "keys"];
    let agent_env_key = r.string(&[keys[0], keys[1], keys[2], "agentEnv"]);
    if agent_env_key.is_empty() {
        let origin = r.origin(&[keys[0], keys[1], keys[2], "agentEnv"]);
        r.diags.error(
            origin,
            "secrets.external.keys.agentEnv",
            "is required: the path or name of the secret holding the LLM variables",
        );
    }
    let gcp_key =
        Some(r.string(&[keys[0], keys[1], keys[2], "gcpServiceAccount"])).filter(|s| !s.is_empty());
    if !crd::served(&api_version) {
        let origin = r.origin(&p("apiVersion"));
        r.diags.warning(
            origin,
            "secrets.external.apiVersion",
            format!(
                "{api_version} is `served: false` in the CRDs recif-secrets checks against (ESO 2.9): a cluster running such a release refuses it; use {} unless the cluster runs an ESO older than 0.16",
                API_VERSIONS[0]
            ),
        );
    }
    let store = store(r, &api_version);
    let gcp_property = Some(r.string(&[keys[0], keys[1], keys[2], "gcpServiceAccountProperty"]))
        .filter(|s| !s.is_empty())
        .or_else(|| {
            store
                .as_ref()
                .and_then(|s| store::notes_for(s.backend.as_str()))
                .and_then(|n| n.gcp_property)
                .map(str::to_string)
        });
    let gcp_decoding_strategy = r
        .choice(&[
            keys[0],
            keys[1],
            keys[2],
            "gcpServiceAccountDecodingStrategy",
        ])
        // None is ESO's default: not written.
        .filter(|s| *s != DecodingStrategy::None.as_str())
        .map(str::to_string);
    let gcp_version = Some(r.string(&[keys[0], keys[1], keys[2], "gcpServiceAccountVersion"]))
        .filter(|s| !s.is_empty());
    let spec_patches = spec_patches(r, &api_version, with_gcp && gcp_key.is_some());
    External {
        store_name,
        store_kind,
        refresh_interval,
        api_version,
        agent_env_key,
        gcp_key,
        gcp_property,
        gcp_decoding_strategy,
        gcp_version,
        spec_patches,
        store,
        with_gcp,
    }
}

/// `secrets.external.externalSecretSpec` and `secrets.external.overrides.<name>.spec`: ESO's
/// own ExternalSecret `spec` fields, checked against the CRD schema of `api_version`, merged
/// per rendered ExternalSecret (maps merge, a list or scalar given replaces ours). What the
/// platform depends on cannot be changed: the store reference (from storeName/storeKind) and
/// `target.name` (the Secret the workloads mount).
pub(super) fn spec_patches(
    r: &mut Reader<'_>,
    api_version: &str,
    gcp_rendered: bool,
) -> BTreeMap<String, serde_json::Value> {
    let mut out = BTreeMap::new();
    let Some(schema) = crd::spec_schema(api_version, "ExternalSecret") else {
        return out;
    };
    let global_path = ["secrets", "external", "externalSecretSpec"];
    let global = r
        .map(&global_path)
        .and_then(|_| r.node(&global_path))
        .and_then(|n| spec_patch(r, schema, n, &global_path.join("."), None));
    let overrides_path = ["secrets", "external", "overrides"];
    let mut per_name: BTreeMap<&str, serde_json::Value> = BTreeMap::new();
    if let Some(map) = r.map(&overrides_path) {
        for (name, node) in map {
            if node.is_null() {
                continue;
            }
            let path = format!("secrets.external.overrides.{name}");
            let Some(known) = EXTERNAL_SECRET_NAMES.iter().find(|n| *n == name) else {
                let hint = names::nearest(name, EXTERNAL_SECRET_NAMES)
                    .map(|n| format!("did you mean `{n}`? "))
                    .unwrap_or_default();
                r.diags.error(
                    Some(node.origin.clone()),
                    path,
                    format!(
                        "is not an ExternalSecret recif-secrets renders; {hint}expected one of: {}",
                        EXTERNAL_SECRET_NAMES.join(", ")
                    ),
                );
                continue;
            };
            let Some(fields) = node.as_map() else {
                r.diags.error(
                    Some(node.origin.clone()),
                    path,
                    format!("expected a map with `spec`, found a {}", node.type_name()),
                );
                continue;
            };
            for (k, v) in fields {
                if k != "spec" && !v.is_null() {
                    r.diags.error(
                        Some(v.origin.clone()),
                        format!("{path}.{k}"),
                        "unknown field; only `spec` can be overridden (metadata comes from secrets.commonLabels/commonAnnotations)",
                    );
                }
            }
            let Some(spec) = fields.get("spec").filter(|n| !n.is_null()) else {
                continue;
            };
            if *known != super::AGENT_ENV && !gcp_rendered {
                r.diags.warning(
                    Some(spec.origin.clone()),
                    format!("{path}.spec"),
                    format!("{known} is not rendered (no keys.gcpServiceAccount, or Workload Identity); ignored"),
                );
            }
            if let Some(j) = spec_patch(r, schema, spec, &format!("{path}.spec"), Some(known)) {
                per_name.insert(known, j);
            }
        }
    }
    for name in EXTERNAL_SECRET_NAMES {
        let mut patch = global.clone().unwrap_or(serde_json::Value::Null);
        if let Some(o) = per_name.remove(name) {
            if patch.is_null() {
                patch = o;
            } else {
                crd::merge(&mut patch, &o);
            }
        }
        if !patch.is_null() {
            out.insert(name.to_string(), patch);
        }
    }
    out
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

pub(super) fn store(r: &mut Reader<'_>, api_version: &str) -> Option<Store> {
    let path = ["secrets", "external", "store"];
    let map = r.map(&path)?;
    let present: Vec<(&String, &Node)> = map.iter().filter(|(_, v)| !v.is_null()).collect();
    if present.is_empty() {
        return None;
    }
    let origin = r.origin(&path);
    let mut ok = true;
    // Checked by the caller: the value is one of API_VERSIONS.
    let api = ApiVersion::from_name(api_version).unwrap_or(ApiVersion::V1);
    let backends = Backend::names(api);
    let mut chosen = None;
    for (k, v) in &present {
        let backend = Backend::from_name(api, k);
        if backend.is_none() {
            let elsewhere: Vec<&str> = Backend::versions_of(k)
                .into_iter()
                .map(ApiVersion::as_str)
                .collect();
            let message = if elsewhere.is_empty() {
                let hint = names::nearest(k, &backends)
                    .map(|n| format!("did you mean `{n}`? "))
                    .unwrap_or_default();
                format!(
                    "is not a provider of ESO's {api_version} stores; {hint}expected one of: {}",
                    backends.join(", ")
                )
            } else {
                format!(
                    "is a provider of {} only, not of {api_version} (secrets.external.apiVersion)",
                    elsewhere.join(", ")
                )
            };
            r.diags.error(
                Some(v.origin.clone()),
                format!("secrets.external.store.{k}"),
                message,
            );
            ok = false;
        } else if v.as_map().is_none() {
            r.diags.error(
                Some(v.origin.clone()),
                format!("secrets.external.store.{k}"),
                format!(
                    "expected a map (ESO's spec.provider.{k}), found a {}",
                    v.type_name()
                ),
            );
            ok = false;
        }
        chosen = chosen.or(backend.map(|b| (b, *v)));
    }
    if ok && present.len() > 1 {
        r.diags.error(
            origin,
            "secrets.external.store",
            format!(
                "has {} backends ({}); set exactly one",
                present.len(),
                present
                    .iter()
                    .map(|(k, _)| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
        ok = false;
    }
    if !ok {
        return None;
    }
    let (backend, node) = chosen?;
    let provider = store::check(
        api_version,
        backend.as_str(),
        node,
        &format!("secrets.external.store.{backend}"),
        r.diags,
    )?;
    Some(Store {
        backend,
        provider,
        origin: node.origin.clone(),
    })
}
