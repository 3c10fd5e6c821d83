//! `secrets.external.store.<backend>`: the block is ESO's `spec.provider.<backend>`, for any
//! provider of the chosen API version's CRD, checked against ESO's own schema for it
//! ([`super::crd`]), strictly. Scalars are converted to the type the schema asks for where
//! Helm would print them that way (a number where a string is expected becomes its text).
//! Also what is known per provider: where the GCP key's JSON is (the default of
//! `keys.gcpServiceAccountProperty`) and how to store the two secrets (the table in docs/external-secrets.md).

use serde_json::Value as J;

use super::crd;
use crate::diag::Diagnostics;
use crate::values::Node;

/// Checks `node` (at key path `path`) against the backend's schema; returns the block as JSON
/// with scalars converted, or `None` after reporting every problem. `None` without a report
/// when the backend is not a provider of this version (the caller reports it).
pub fn check(
    api_version: &str,
    backend: &str,
    node: &Node,
    path: &str,
    diags: &mut Diagnostics,
) -> Option<J> {
    let schema = crd::provider_schema(api_version, backend)?;
    let before = diags.errors().count();
    literal_credentials(node, path, "", diags);
    let checked = crd::check(schema, node, path, &crd::Mode::default(), diags);
    // A block holding a literal credential is never rendered: it would reach the GitOps
    // folder in clear (`values` redacts it, but the store object would carry it).
    if diags.errors().count() > before {
        return None;
    }
    checked
}

/// Reports every literal credential in a store block (a scalar under a key that names one:
/// `headers.Authorization`, `token`, `password`, `apiKey`, `clientSecret`...), never its
/// value: the store object is written to the cluster or a GitOps folder in clear, so a
/// credential must come from a Kubernetes Secret through ESO's `secretRef` form.
fn literal_credentials(node: &Node, path: &str, parent: &str, diags: &mut Diagnostics) {
    use crate::values::secrets;
    let Some(map) = node.as_map() else {
        if let crate::values::Value::Seq(items) = &node.value {
            for (i, item) in items.iter().enumerate() {
                literal_credentials(item, &format!("{path}[{i}]"), parent, diags);
            }
        }
        return;
    };
    for (k, v) in map {
        let at = format!("{path}.{k}");
        // A template (`Bearer {{ .auth.token }}`) takes the credential from a secretRef.
        let templated = v.scalar_text().is_some_and(|t| t.contains("{{"));
        if secrets::is_secret_entry(parent, k, v) && !secrets::is_empty(v) && !templated {
            diags.error(
                Some(v.origin.clone()),
                at,
                "a literal credential in a store block (value not shown) would be written in clear into the store object, and so into the cluster or the GitOps folder; keep it in a Kubernetes Secret and reference it with ESO's secretRef form (e.g. `tokenSecretRef: {name: vault-token, key: token}`, or for a webhook header `secrets: [{name: auth, secretRef: {name: webhook-auth, key: token}}]` with `Authorization: \"Bearer {{ .auth.token }}\"`)",
            );
        } else {
            literal_credentials(v, &at, k, diags);
        }
    }
}

/// What recif-secrets knows of one provider's layout.
pub struct Notes {
    pub provider: &'static str,
    /// The default of `keys.gcpServiceAccountProperty` with this provider.
    pub gcp_property: Option<&'static str>,
    /// How to store agent-env (every key becomes a variable).
    pub agent_env: &'static str,
    /// How to store the service-account JSON.
    pub gcp_key: &'static str,
}

const fn notes(
    provider: &'static str,
    gcp_property: Option<&'static str>,
    agent_env: &'static str,
    gcp_key: &'static str,
) -> Notes {
    Notes {
        provider,
        gcp_property,
        agent_env,
        gcp_key,
    }
}

/// The providers whose layout is documented here; the others get [`GENERIC`].
pub const NOTES: &[Notes] = &[
    notes(
        "vault",
        Some("value"),
        "`vault kv put secret/recif/agent-env OPENAI_API_KEY=sk-…` (one field per variable)",
        "`vault kv put secret/recif/gcp-sa value=@sa-key.json` (property `value`, the default)",
    ),
    notes(
        "openBao",
        Some("value"),
        "`bao kv put secret/recif/agent-env OPENAI_API_KEY=sk-…` (one field per variable)",
        "`bao kv put secret/recif/gcp-sa value=@sa-key.json` (property `value`, the default)",
    ),
    notes(
        "aws",
        None,
        "Secrets Manager: `aws secretsmanager create-secret --name recif/agent-env --secret-string '{\"OPENAI_API_KEY\":\"sk-…\"}'`; Parameter Store: a SecureString holding that JSON",
        "`aws secretsmanager create-secret --name recif/gcp-sa --secret-string file://sa-key.json` (the whole secret, no property)",
    ),
    notes(
        "gcpsm",
        None,
        "`gcloud secrets create recif-agent-env --data-file=env.json` (a JSON object of variables)",
        "`gcloud secrets create recif-gcp-sa --data-file=sa-key.json` (the whole secret, no property)",
    ),
    notes(
        "azurekv",
        None,
        "`az keyvault secret set --vault-name V --name recif-agent-env --file env.json` (a JSON object; names cannot hold `_` or `/`, see the `dataFrom.find` example to map one secret per key)",
        "`az keyvault secret set --vault-name V --name recif-gcp-sa --file sa-key.json`",
    ),
    notes(
        "doppler",
        None,
        "a secret `RECIF_AGENT_ENV` holding a JSON object of variables (or `dataFrom.find` over the config)",
        "a secret `RECIF_GCP_SA` holding the key JSON",
    ),
    notes(
        "kubernetes",
        None,
        "a Secret `recif-agent-env` in `remoteNamespace` whose keys are the variables",
        "a Secret `recif-gcp-sa` with the JSON under one key; set `gcpServiceAccountProperty` to that key",
    ),
    notes(
        "infisical",
        None,
        "one Infisical secret per variable, read with the `dataFrom.find` override, or one secret holding a JSON object",
        "a secret `RECIF_GCP_SA` holding the key JSON",
    ),
    notes(
        "onepassword",
        None,
        "an item `recif-agent-env` with one field per variable",
        "an item `recif-gcp-sa`; set `gcpServiceAccountProperty` to the field holding the JSON",
    ),
    notes(
        "onepasswordSDK",
        None,
        "an item `recif-agent-env` with one field per variable",
        "an item `recif-gcp-sa`; set `gcpServiceAccountProperty` to the field holding the JSON",
    ),
    notes(
        "bitwardensecretsmanager",
        None,
        "a secret holding a JSON object of variables",
        "a secret holding the key JSON (`keys.gcpServiceAccount` is its id)",
    ),
    notes(
        "akeyless",
        None,
        "a static secret `/recif/agent-env` holding a JSON object of variables",
        "a static secret `/recif/gcp-sa` holding the key JSON",
    ),
    notes(
        "conjur",
        None,
        "a variable holding a JSON object of variables",
        "a variable `recif/gcp-sa` holding the key JSON",
    ),
    notes(
        "webhook",
        None,
        "your endpoint returns a JSON object of variables for the agent-env key",
        "your endpoint returns the key JSON (or an object: set `gcpServiceAccountProperty`)",
    ),
];

/// For the other providers.
pub const GENERIC: (&str, &str) = (
    "a secret holding a JSON object of variables",
    "a secret holding the key JSON (or a field: `gcpServiceAccountProperty`)",
);

/// The notes for a provider, if it has its own.
pub fn notes_for(provider: &str) -> Option<&'static Notes> {
    NOTES.iter().find(|n| n.provider == provider)
}

/// The provider table of docs/external-secrets.md: one row per provider of any version, generated from the CRD data and
/// [`NOTES`] (a test keeps the file equal to it).
pub fn readme_table() -> String {
    let mut out =
        String::from("| provider | API versions | agent-env | GCP key JSON |\n|---|---|---|---|\n");
    for p in crd::all_providers() {
        let versions: Vec<String> = crd::api_versions()
            .into_iter()
            .filter(|v| crd::providers(v).contains(&p))
            .map(|v| v.rsplit('/').next().unwrap_or("").to_string())
            .collect();
        let (env, key) = notes_for(p).map_or(GENERIC, |n| (n.agent_env, n.gcp_key));
        out.push_str(&format!(
            "| `{p}` | {} | {env} | {key} |\n",
            versions.join(", ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::yaml;
    use std::sync::Arc;

    fn check_yaml(api: &str, backend: &str, text: &str) -> (Option<J>, Diagnostics) {
        let node = yaml::load(text, &Arc::from("v.yaml")).unwrap();
        let mut d = Diagnostics::default();
        let out = check(api, backend, &node, "secrets.external.store.x", &mut d);
        (out, d)
    }

    #[test]
    fn notes_name_real_providers() {
        let all = crd::all_providers();
        for n in NOTES {
            assert!(all.contains(&n.provider), "{}", n.provider);
        }
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

    #[test]
    fn the_long_tail_is_checked_too() {
        let (out, d) = check_yaml(
            "external-secrets.io/v1",
            "infisical",
            "hostAPI: https://app.infisical.com\nsecretsScope:\n  projectSlug: p\n  environmentSlug: dev\nauth:\n  universalAuthCredentials:\n    clientId: {name: u, key: id}\n    clientSecret: {name: u, key: secret}\n",
        );
        assert!(out.is_some(), "{:?}", d.items);
        let (_, d) = check_yaml(
            "external-secrets.io/v1",
            "infisical",
            "secretScope: {}\nauth: {}\n",
        );
        assert!(
            d.items
                .iter()
                .any(|i| i.message.contains("did you mean `secretsScope`")),
            "{:?}",
            d.items
        );
    }
}
