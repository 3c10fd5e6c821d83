//! External Secrets: every backend × both store kinds × both API versions passes the strict
//! checker; the refusals of the `secrets.external` values, each naming its key.

use crate::common;

use common::*;

const BACKEND_EXAMPLES: &[&str] = &[
    "examples/external-vault.yaml",
    "examples/external-openbao-v1beta1.yaml",
    "examples/external-gcpsm.yaml",
    "examples/external-aws.yaml",
    "examples/external-aws-parameter-store.yaml",
    "examples/external-azurekv.yaml",
    "examples/external-doppler.yaml",
];

#[test]
#[cfg_attr(
    no_checker,
    ignore = "needs python3 with pyyaml, jsonschema, kubernetes-validate: run scripts/fetch-tools.sh"
)]
fn every_backend_store_kind_and_api_version_is_valid() {
    let mut all = String::new();
    for example in BACKEND_EXAMPLES {
        for kind in ["ClusterSecretStore", "SecretStore"] {
            for api in ["external-secrets.io/v1", "external-secrets.io/v1beta1"] {
                let kind_arg = format!("secrets.external.storeKind={kind}");
                let api_arg = format!("secrets.external.apiVersion={api}");
                let out = run(
                    &[
                        "render",
                        "-f",
                        example,
                        "--set",
                        &kind_arg,
                        "--set",
                        &api_arg,
                        "--set",
                        "namespaces.teams={team-a,team-b}",
                    ],
                    "",
                );
                assert!(
                    out.status.success(),
                    "{example} {kind} {api}: {}",
                    stderr(&out)
                );
                let stream = stdout(&out);
                let docs = docs(&stream);
                let stores: Vec<_> = docs.iter().filter(|d| d["kind"] == kind).collect();
                let externals: Vec<_> = docs
                    .iter()
                    .filter(|d| d["kind"] == "ExternalSecret")
                    .collect();
                assert!(
                    docs.iter()
                        .all(|d| d["kind"] == "ExternalSecret" || d["kind"] == kind),
                    "{example}"
                );
                assert!(docs.iter().all(|d| d["apiVersion"] == api), "{example}");
                if kind == "ClusterSecretStore" {
                    assert_eq!(stores.len(), 1, "{example}");
                } else {
                    // One SecretStore in every namespace that has an ExternalSecret.
                    let mut es_ns: Vec<&str> = externals
                        .iter()
                        .map(|d| d["metadata"]["namespace"].as_str().unwrap())
                        .collect();
                    es_ns.dedup();
                    let store_ns: Vec<&str> = stores
                        .iter()
                        .map(|d| d["metadata"]["namespace"].as_str().unwrap())
                        .collect();
                    assert_eq!(store_ns, es_ns, "{example}");
                }
                for e in &externals {
                    assert_eq!(e["spec"]["secretStoreRef"]["kind"], kind);
                }
                all.push_str(&stream);
            }
        }
    }
    // One run of the checker over every stream (it loads the CRDs once).
    if let Err(p) = check_manifests(&all) {
        panic!("{p}");
    }
}

#[test]
fn external_secrets_follow_the_spec_field_by_field() {
    let out = run(&["render", "-f", "examples/external-vault.yaml"], "");
    let docs = docs(&stdout(&out));
    let agent = docs
        .iter()
        .find(|d| d["metadata"]["name"] == "agent-env")
        .unwrap();
    assert_eq!(
        agent["spec"],
        serde_json::json!({
            "refreshInterval": "1h",
            "secretStoreRef": {"name": "recif-secret-store", "kind": "ClusterSecretStore"},
            "target": {"name": "agent-env", "creationPolicy": "Owner"},
            "dataFrom": [{"extract": {"key": "recif/agent-env"}}]
        })
    );
    for (name, ns) in [
        ("gcp-adc", "team-default"),
        ("recif-platform-gcp-sa", "recif-system"),
    ] {
        let d = docs.iter().find(|d| d["metadata"]["name"] == name).unwrap();
        assert_eq!(d["metadata"]["namespace"], ns);
        assert_eq!(
            d["spec"]["target"],
            serde_json::json!({"name": name, "creationPolicy": "Owner"})
        );
        // Vault store with the property unset: the `value=@sa-key.json` layout.
        assert_eq!(
            d["spec"]["data"],
            serde_json::json!([{"secretKey": "adc.json", "remoteRef": {"key": "recif/gcp-sa", "property": "value"}}])
        );
    }
}

#[test]
fn gcp_service_account_property_rules() {
    // Not a vault store: no property unless set.
    let out = run(&["render", "-f", "examples/external-gcpsm.yaml"], "");
    let docs_ = docs(&stdout(&out));
    let d = docs_
        .iter()
        .find(|d| d["metadata"]["name"] == "gcp-adc")
        .unwrap();
    assert_eq!(
        d["spec"]["data"][0]["remoteRef"],
        serde_json::json!({"key": "recif-gcp-sa"})
    );
    // Set explicitly: used as set, also with vault.
    let out = run(
        &[
            "render",
            "-f",
            "examples/external-vault.yaml",
            "--set",
            "secrets.external.keys.gcpServiceAccountProperty=json",
        ],
        "",
    );
    let docs_ = docs(&stdout(&out));
    let d = docs_
        .iter()
        .find(|d| d["metadata"]["name"] == "gcp-adc")
        .unwrap();
    assert_eq!(d["spec"]["data"][0]["remoteRef"]["property"], "json");
    // No store given at all: no property.
    let out = run(&["render", "--set", "secrets.provider=external"], "");
    let docs_ = docs(&stdout(&out));
    let d = docs_
        .iter()
        .find(|d| d["metadata"]["name"] == "gcp-adc")
        .unwrap();
    assert!(d["spec"]["data"][0]["remoteRef"].get("property").is_none());
}

#[test]
fn empty_gcp_key_leaves_the_gcp_external_secrets_out() {
    for set in [
        "secrets.external.keys.gcpServiceAccount=",
        "secrets.external.keys.gcpServiceAccount=null",
    ] {
        let out = run(
            &["render", "-f", "examples/external-vault.yaml", "--set", set],
            "",
        );
        assert!(out.status.success(), "{}", stderr(&out));
        let names: Vec<String> = docs(&stdout(&out))
            .iter()
            .map(|d| {
                format!(
                    "{}/{}",
                    d["kind"].as_str().unwrap(),
                    d["metadata"]["name"].as_str().unwrap()
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                "ClusterSecretStore/recif-secret-store",
                "ExternalSecret/agent-env"
            ],
            "{set}"
        );
    }
}

#[test]
fn refusals_name_the_key_and_what_is_expected() {
    let cases: &[(&str, &str)] = &[
        ("secrets.external.storeName=Bad_Name", "RFC 1123 subdomain"),
        (
            "secrets.external.storeKind=Store",
            "ClusterSecretStore, SecretStore",
        ),
        (
            "secrets.external.apiVersion=external-secrets.io/v2",
            "external-secrets.io/v1, external-secrets.io/v1beta1",
        ),
        ("secrets.external.refreshInterval=1x", "Go duration"),
        ("secrets.external.refreshInterval=-1h", "negative"),
        ("secrets.external.refreshInterval=1 h", "Go duration"),
        (
            "secrets.external.keys.agentEnv=",
            "secrets.external.keys.agentEnv: is required",
        ),
        (
            "secrets.external.store.vault.auth.kubernetes.mountpath=k",
            "did you mean `mountPath`",
        ),
        (
            "secrets.external.store.gcpsm.projectID=p",
            "set exactly one",
        ),
        (
            "secrets.external.store.hashicorp.x=1",
            "is not a provider of ESO's external-secrets.io/v1 stores; expected one of: akeyless, aws,",
        ),
        (
            "secrets.external.store.vault.version=v3",
            "expected one of: v1, v2",
        ),
    ];
    for (set, want) in cases {
        let out = run(
            &["render", "-f", "examples/external-vault.yaml", "--set", set],
            "",
        );
        expect_exit(&out, 1, set);
        assert!(out.stdout.is_empty(), "{set}");
        let err = stderr(&out);
        assert!(err.contains(want), "{set}: {err}");
        let origin = if set.contains("gcpsm") {
            "external-vault.yaml:"
        } else {
            "--set "
        };
        assert!(err.contains(origin), "{set}: points at {origin}: {err}");
    }
}

#[test]
fn refresh_interval_zero_and_numbers() {
    for (set, want) in [
        ("secrets.external.refreshInterval=0", "0"),
        ("secrets.external.refreshInterval=1h30m", "1h30m"),
    ] {
        let out = run(
            &["render", "-f", "examples/external-aws.yaml", "--set", set],
            "",
        );
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(docs(&stdout(&out))
            .iter()
            .filter(|d| d["kind"] == "ExternalSecret")
            .all(|d| d["spec"]["refreshInterval"] == want));
    }
}

#[test]
fn workload_identity_with_external_llm_keys_renders_only_that() {
    let out = run(
        &[
            "render",
            "-f",
            "examples/workload-identity-llm-external.yaml",
            "--set",
            "namespaces.teams={team-a}",
        ],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let names = ids(&docs(&stdout(&out)));
    assert_eq!(
        names,
        [
            "ServiceAccount/recif-system/recif-api",
            "ExternalSecret/team-a/agent-env",
            "ExternalSecret/team-default/agent-env"
        ]
    );
}
