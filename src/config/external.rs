//! `secrets.external`: the store reference, the backend keys, ESO spec patches and the
//! optional store block.

use super::reader::Reader;
use super::*;

pub(super) fn external(
    r: &mut Reader<'_>,
    with_gcp: bool,
    teams: &[String],
    platform: &str,
) -> External {
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
    let agent_env_key = remote_key(r, &[keys[0], keys[1], keys[2], "agentEnv"]);
    if agent_env_key.is_empty() {
        let origin = r.origin(&[keys[0], keys[1], keys[2], "agentEnv"]);
        r.diags.error(
            origin,
            "secrets.external.keys.agentEnv",
            "is required: the path or name of the secret holding the LLM variables",
        );
    }
    let gcp_key = Some(remote_key(
        r,
        &[keys[0], keys[1], keys[2], "gcpServiceAccount"],
    ))
    .filter(|s| !s.is_empty());
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
    let options = overrides::options(
        r,
        &api_version,
        with_gcp && gcp_key.is_some(),
        teams,
        platform,
    );
    External {
        store_name,
        store_kind,
        refresh_interval,
        api_version,
        keys: ExternalKeys {
            agent_env: agent_env_key,
            gcp_service_account: gcp_key,
            gcp_service_account_property: gcp_property,
            gcp_service_account_decoding_strategy: gcp_decoding_strategy,
            gcp_service_account_version: gcp_version,
        },
        spec_patches: options.spec_patches,
        metadata: options.metadata,
        spec_sources: options.spec_sources,
        store,
        with_gcp,
    }
}

/// A remote key (`keys.agentEnv`, `keys.gcpServiceAccount`), as written: its `$(namespace)`
/// placeholder is expanded per ExternalSecret (see [`remote_key`]); a `$` that starts
/// neither the placeholder nor `$$` is an error.
fn remote_key(r: &mut Reader<'_>, path: &[&str]) -> String {
    let Some(t) = r.text(path) else {
        return String::new();
    };
    if let Err(why) = remote_key::expand(&t.value, "namespace") {
        // Not also "is required": the key is set, only wrongly.
        r.diags.error(Some(t.origin), path.join("."), why);
    }
    t.value
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
