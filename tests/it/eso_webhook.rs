//! ESO's ExternalSecret admission webhook (src/manifests/webhook.rs): one table, with a
//! refused and an admitted case for every rule and every API version whose webhook has it.
//!
//! A refused case: `render` and `validate` exit 1, write nothing, and say the rule's
//! meaning at the values key that set the offending value (`<stdin>:LINE:` and the key
//! path); the object that would have been applied passes the CRD schema (our checker and
//! check-manifests.py), so `kubectl apply` would have reached the webhook and been refused
//! there; the webhook function itself refuses it. An admitted case renders, passes the
//! checker and is admitted by the webhook function.
//! A rule whose refused case the CRD schema already refuses (`crd: true`) is shown refused
//! at the same key by the schema.

use crate::common;

use common::*;
use recif_secrets::manifests::{eso, webhook};

const V1: &str = "external-secrets.io/v1";
const V1BETA1: &str = "external-secrets.io/v1beta1";

/// Values with `patch` (YAML lines, unindented) as `overrides.agent-env.spec`; the patch
/// starts at line 10.
fn values(api: &str, patch: &str) -> String {
    let mut s = format!("secrets:\n  provider: external\n  external:\n    storeName: s\n    apiVersion: {api}\n    keys: {{agentEnv: recif/agent-env}}\n    overrides:\n      agent-env:\n        spec:\n");
    for line in patch.lines() {
        s.push_str(&format!("          {line}\n"));
    }
    s
}

struct Case {
    rule: &'static str,
    api: &'static str,
    refused: &'static str,
    /// `LINE: key path under overrides.agent-env.spec`.
    at: &'static str,
    want: &'static str,
    admitted: &'static str,
    /// The CRD schema refuses the refused case before the webhook would see it.
    crd: bool,
}

const fn case(
    rule: &'static str,
    api: &'static str,
    refused: &'static str,
    at: &'static str,
    want: &'static str,
    admitted: &'static str,
) -> Case {
    Case {
        rule,
        api,
        refused,
        at,
        want,
        admitted,
        crd: false,
    }
}

fn cases() -> Vec<Case> {
    let mut v = Vec::new();
    for api in [V1, V1BETA1] {
        v.extend([
            case(
                "delete-needs-owner",
                api,
                "target:\n  deletionPolicy: Delete\n  creationPolicy: Merge",
                "12: target.creationPolicy",
                "deletionPolicy Delete with creationPolicy Merge is refused by the ESO admission webhook (deletionPolicy=Delete must not be used when the controller does not own the secret",
                "target:\n  deletionPolicy: Delete\n  creationPolicy: Owner",
            ),
            case(
                "delete-needs-owner",
                api,
                "target: {deletionPolicy: Delete, creationPolicy: None}",
                "10: target.creationPolicy",
                "deletionPolicy Delete with creationPolicy None is refused",
                "target: {deletionPolicy: Delete}",
            ),
            case(
                "merge-needs-a-secret",
                api,
                "target:\n  creationPolicy: None\n  deletionPolicy: Merge",
                "11: target.creationPolicy",
                "deletionPolicy Merge with creationPolicy None is refused by the ESO admission webhook (deletionPolicy=Merge must not be used with creationPolicy=None. There is no Secret to merge with)",
                "target:\n  creationPolicy: Merge\n  deletionPolicy: Merge",
            ),
            case(
                "data-or-dataFrom",
                api,
                "dataFrom: []",
                "10: dataFrom",
                "neither data nor dataFrom has an entry, which the ESO admission webhook refuses (either data or dataFrom should be specified)",
                "dataFrom: []\ndata: [{secretKey: OPENAI_API_KEY, remoteRef: {key: recif/openai}}]",
            ),
            case(
                "privileged-template",
                api,
                "target:\n  template:\n    type: kubernetes.io/service-account-token\n    metadata:\n      annotations:\n        kubernetes.io/service-account.name: recif-api",
                "15: target.template.metadata.annotations.kubernetes.io/service-account.name",
                "target.template.type kubernetes.io/service-account-token with the annotation kubernetes.io/service-account.name is refused by the ESO admission webhook",
                "target:\n  template:\n    type: Opaque\n    metadata:\n      annotations:\n        kubernetes.io/service-account.name: recif-api",
            ),
            case(
                "privileged-template",
                api,
                "target:\n  template:\n    type: kubernetes.io/service-account-token\n    templateFrom:\n      - literal: 'a: b'\n        target: Annotations",
                "15: target.template.templateFrom[0].target",
                "with a templateFrom of target Annotations is refused by the ESO admission webhook",
                "target:\n  template:\n    type: kubernetes.io/service-account-token\n    templateFrom:\n      - literal: 'a: b'\n        target: Labels",
            ),
            case(
                "privileged-template",
                api,
                "target:\n  template:\n    type: bootstrap.kubernetes.io/token",
                "12: target.template.type",
                "target.template.type bootstrap.kubernetes.io/token is refused by the ESO admission webhook",
                "target:\n  template:\n    type: kubernetes.io/basic-auth",
            ),
            case(
                "one-source-per-dataFrom",
                api,
                "dataFrom:\n  - extract: {key: recif/agent-env}\n    find: {name: {regexp: ^LLM_}}",
                "11: dataFrom[0].extract",
                "dataFrom[0] sets extract and find, which the ESO admission webhook refuses (extract, find, or generatorRef cannot be set at the same time)",
                "dataFrom:\n  - extract: {key: recif/agent-env}\n  - find: {name: {regexp: ^LLM_}}",
            ),
            Case {
                refused: "dataFrom:\n  - find: {name: {regexp: ^LLM_}}\n    sourceRef: {generatorRef: {apiVersion: generators.external-secrets.io/v1alpha1, kind: Password, name: p}}",
                at: "11: dataFrom[0].find",
                want: "dataFrom[0] sets find and sourceRef.generatorRef, which the ESO admission webhook refuses",
                admitted: "dataFrom:\n  - find: {name: {regexp: ^LLM_}}\n  - sourceRef: {generatorRef: {apiVersion: generators.external-secrets.io/v1alpha1, kind: Password, name: p}}",
                ..case("one-source-per-dataFrom", api, "", "", "", "")
            },
            case(
                "dataFrom-needs-a-source",
                api,
                "dataFrom:\n  - rewrite: [{regexp: {source: '^recif-(.*)$', target: '$1'}}]",
                "11: dataFrom[0]",
                "dataFrom[0] has none of extract, find and sourceRef (only rewrite), which the ESO admission webhook refuses (either extract, find, or sourceRef must be set to dataFrom)",
                "dataFrom:\n  - find: {name: {regexp: ^recif-}}\n    rewrite: [{regexp: {source: '^recif-(.*)$', target: '$1'}}]",
            ),
            Case {
                crd: true,
                ..case(
                    "sourceRef-needs-a-ref",
                    api,
                    "dataFrom:\n  - sourceRef: {}",
                    "11: dataFrom[0].sourceRef",
                    "must set at least 1 of: generatorRef, storeRef",
                    "dataFrom:\n  - sourceRef: {storeRef: {name: other, kind: ClusterSecretStore}}",
                )
            },
            case(
                "duplicate-secretKey",
                api,
                "dataFrom: []\ndata:\n  - secretKey: OPENAI_API_KEY\n    remoteRef: {key: recif/openai}\n  - secretKey: OPENAI_API_KEY\n    remoteRef: {key: recif/openai-2}",
                "14: data[1].secretKey",
                "data[1].secretKey \"OPENAI_API_KEY\" is also the secretKey of data[0], which the ESO admission webhook refuses with deletionPolicy Retain (duplicate secretKey found)",
                "target: {deletionPolicy: Merge}\ndataFrom: []\ndata:\n  - secretKey: OPENAI_API_KEY\n    remoteRef: {key: recif/openai}\n  - secretKey: OPENAI_API_KEY\n    remoteRef: {key: recif/openai-2}",
            ),
        ]);
    }
    v.extend([
        case(
            "delete-needs-owner",
            V1,
            "target: {deletionPolicy: Delete, creationPolicy: CreateOrMerge}",
            "10: target.creationPolicy",
            "deletionPolicy Delete with creationPolicy CreateOrMerge is refused",
            "target: {deletionPolicy: Retain, creationPolicy: CreateOrMerge}",
        ),
        case(
            "templateFrom-target",
            V1,
            "target:\n  template:\n    templateFrom:\n      - literal: 'Opaque'\n        target: type",
            "14: target.template.templateFrom[0].target",
            "target.template.templateFrom[0].target \"type\" is refused by the ESO admission webhook when the ExternalSecret writes a Secret (templateFrom target is not allowed when targeting a Secret, must be one of Data, Annotations or Labels)",
            // The webhook compares without case.
            "target:\n  template:\n    templateFrom:\n      - literal: 'a: b'\n        target: labels",
        ),
    ]);
    v
}

/// `base` with `patch` merged in: maps merge, anything else replaces (the tool's rule).
fn merge(base: &mut serde_json::Value, patch: &serde_json::Value) {
    match (base, patch) {
        (serde_json::Value::Object(a), serde_json::Value::Object(b)) => {
            for (k, v) in b {
                match a.get_mut(k) {
                    Some(slot) if slot.is_object() && v.is_object() => merge(slot, v),
                    _ => {
                        a.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (slot, v) => *slot = v.clone(),
    }
}

fn agent_env(stream: &str) -> serde_json::Value {
    docs(stream)
        .into_iter()
        .find(|d| d["kind"] == "ExternalSecret" && d["metadata"]["name"] == "agent-env")
        .expect("agent-env rendered")
}

#[test]
#[cfg_attr(
    no_checker,
    ignore = "needs python3 with pyyaml, jsonschema, kubernetes-validate: run scripts/fetch-tools.sh"
)]
fn every_webhook_rule_refuses_and_admits_at_the_values_key() {
    let cases = cases();
    // Every rule, for every API version whose webhook has it, has a case.
    for rule in webhook::RULES {
        for api in rule.versions {
            assert!(
                cases.iter().any(|c| c.rule == rule.id && c.api == *api),
                "no case for {} ({api})",
                rule.id
            );
        }
    }
    let mut objects = String::new();
    let mut admitted_stream = String::new();
    for c in &cases {
        let label = format!("{} {} {:?}", c.rule, c.api, c.refused);
        let (line, key) = c.at.split_once(": ").unwrap();
        let key = format!("secrets.external.overrides.agent-env.spec.{key}");
        let refused = values(c.api, c.refused);
        for cmd in ["render", "validate"] {
            let out = run(&[cmd, "-f", "-"], &refused);
            let err = stderr(&out);
            expect_exit(&out, 1, &format!("{cmd} {label}: {err}"));
            assert!(out.stdout.is_empty(), "{cmd} {label}");
            let hit = err
                .lines()
                .find(|l| l.contains(c.want))
                .unwrap_or_else(|| panic!("{cmd} {label}: no {:?} in {err}", c.want));
            assert!(
                hit.contains(&format!("<stdin>:{line}:")) && hit.contains(&format!("{key}: ")),
                "{cmd} {label}: not at <stdin>:{line}: {key}: {hit}"
            );
            if !c.crd {
                assert!(
                    hit.contains("(ExternalSecret team-default/agent-env)"),
                    "{label}: {hit}"
                );
            }
        }
        // What `kubectl apply` would have received.
        let base = run(&["render", "-f", "-"], &values(c.api, ""));
        assert!(base.status.success(), "{label}: {}", stderr(&base));
        let mut object = agent_env(&stdout(&base));
        let patch: serde_json::Value = serde_yaml::from_str(c.refused).unwrap();
        merge(&mut object["spec"], &patch);
        let spec = object["spec"].as_object().unwrap();
        let rules: Vec<&str> = webhook::refusals(c.api, spec)
            .into_iter()
            .map(|r| r.rule)
            .collect();
        assert!(
            rules.contains(&c.rule),
            "{label}: the webhook gives {rules:?}"
        );
        let schema = eso::check_spec(c.api, "ExternalSecret", spec);
        if c.crd {
            assert!(!schema.is_empty(), "{label}: the CRD admits it");
        } else {
            assert!(schema.is_empty(), "{label}: the CRD refuses it: {schema:?}");
            objects.push_str(&format!(
                "---\n{}\n",
                serde_json::to_string(&object).unwrap()
            ));
        }
        // The admitted case.
        let out = run(&["render", "-f", "-"], &values(c.api, c.admitted));
        assert!(
            out.status.success(),
            "{label}: admitted case: {}",
            stderr(&out)
        );
        let text = stdout(&out);
        let spec = agent_env(&text)["spec"].clone();
        assert!(
            webhook::refusals(c.api, spec.as_object().unwrap()).is_empty(),
            "{label}: admitted case refused by the webhook function"
        );
        admitted_stream.push_str(&text);
    }
    // The CRD schema, checked independently: every refused object is schema-valid (only
    // the webhook stands in the way), and so is every admitted render.
    for (what, stream) in [("refused", &objects), ("admitted", &admitted_stream)] {
        check_manifests(stream)
            .unwrap_or_else(|e| panic!("{what} objects: check-manifests.py: {e}"));
    }
}

/// A refusal caused by `externalSecretSpec` names every ExternalSecret it reaches, once;
/// the most specific values key is blamed (here an override of one name), and one from
/// `--set` is located as `--set key`.
#[test]
fn a_refusal_is_said_once_at_the_most_specific_key() {
    let v = "secrets:\n  provider: external\n  external:\n    storeName: s\n    keys: {agentEnv: recif/agent-env, gcpServiceAccount: recif/gcp-sa}\n    externalSecretSpec:\n      target: {deletionPolicy: Delete}\n    overrides:\n      gcp-adc:\n        spec:\n          target: {creationPolicy: Merge}\nnamespaces:\n  teams: [team-a]\n";
    let out = run(&["render", "-f", "-"], v);
    expect_exit(&out, 1, "");
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        lines[0].contains("<stdin>:11:")
            && lines[0].contains("secrets.external.overrides.gcp-adc.spec.target.creationPolicy: ")
            && lines[0].ends_with("(ExternalSecret team-default/gcp-adc, team-a/gcp-adc)"),
        "{err}"
    );
    // From --set, located as the flag.
    let out = run(
        &[
            "render",
            "-f",
            "-",
            "--set",
            "secrets.external.externalSecretSpec.target.creationPolicy=None",
        ],
        "secrets:\n  provider: external\n  external:\n    storeName: s\n    keys: {agentEnv: recif/agent-env}\n    externalSecretSpec:\n      target: {deletionPolicy: Merge}\n",
    );
    expect_exit(&out, 1, "");
    let err = stderr(&out);
    assert!(
        err.contains("--set secrets.external.externalSecretSpec.target.creationPolicy")
            && err.contains("deletionPolicy Merge with creationPolicy None"),
        "{err}"
    );
}

/// ESO's own volcengine example (docs/provider/volcengine.md) maps two remote keys to one
/// secretKey: the webhook refuses it, and so do we.
#[test]
fn a_duplicate_secret_key_in_esos_own_example_is_refused() {
    let v = "secrets:\n  provider: external\n  external:\n    storeName: s\n    keys: {agentEnv: recif/agent-env}\n    overrides:\n      agent-env:\n        spec:\n          dataFrom: []\n          data:\n            - secretKey: username\n              remoteRef: {key: my-secret, property: username}\n            - secretKey: username\n              remoteRef: {key: my-secret, property: password}\n";
    let out = run(&["validate", "-f", "-"], v);
    expect_exit(&out, 1, "");
    assert!(
        stderr(&out).contains("<stdin>:13:") && stderr(&out).contains("duplicate secretKey found"),
        "{}",
        stderr(&out)
    );
}

/// With `--templates`, a refusal no values key caused is named by the template and the
/// object, and nothing is written.
#[test]
fn a_template_override_is_held_to_the_webhook_too() {
    let tmp = template_changed(
        "externalsecrets.yaml",
        "    creationPolicy: Owner",
        "    creationPolicy: Merge\n    deletionPolicy: Delete",
    );
    let out = run(
        &[
            "render",
            "-f",
            "-",
            "--templates",
            tmp.path().to_str().unwrap(),
        ],
        "secrets:\n  provider: external\n  external:\n    storeName: s\n    keys: {agentEnv: recif/agent-env}\n",
    );
    expect_exit(&out, 1, "");
    assert!(out.stdout.is_empty());
    assert!(
        stderr(&out).contains("template externalsecrets.yaml (document 1): ExternalSecret: spec: target.deletionPolicy Delete with creationPolicy Merge is refused by the ESO admission webhook"),
        "{}",
        stderr(&out)
    );
}
