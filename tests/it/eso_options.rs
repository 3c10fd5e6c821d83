//! ExternalSecret options (secrets.external.externalSecretSpec, overrides.<name>.spec, the
//! GCP key's decoding strategy and version) and every provider of the CRD: what they render,
//! and each refusal with its location, exit 1 and nothing written.

use crate::common;

use common::*;

const BASE: &str = "secrets:\n  provider: external\n  external:\n    storeName: s\n    keys:\n      agentEnv: recif/agent-env\n      gcpServiceAccount: recif/gcp-sa\n";

fn render(values: &str) -> std::process::Output {
    run(&["render", "-f", "-"], values)
}

fn spec_of(stream: &str, name: &str) -> serde_json::Value {
    docs(stream)
        .into_iter()
        .find(|d| d["metadata"]["name"] == name && d["kind"] == "ExternalSecret")
        .unwrap_or_else(|| panic!("{name} rendered"))["spec"]
        .clone()
}

#[test]
#[cfg_attr(
    no_checker,
    ignore = "needs python3 with pyyaml, jsonschema, kubernetes-validate: run scripts/fetch-tools.sh"
)]
fn options_merge_maps_and_replace_lists() {
    let values = format!(
        "{BASE}    refreshInterval: 30m\n    externalSecretSpec:\n      refreshInterval: 5m\n      refreshPolicy: Periodic\n      target:\n        deletionPolicy: Retain\n        immutable: true\n    overrides:\n      gcp-adc:\n        spec:\n          target:\n            name: gcp-adc\n            creationPolicy: Merge\n          data:\n            - secretKey: adc.json\n              remoteRef: {{key: other, property: json}}\n"
    );
    let out = render(&values);
    assert!(out.status.success(), "{}", stderr(&out));
    let s = stdout(&out);
    assert_eq!(
        spec_of(&s, "agent-env"),
        serde_json::json!({
            "refreshInterval": "5m",
            "refreshPolicy": "Periodic",
            "secretStoreRef": {"name": "s", "kind": "ClusterSecretStore"},
            "target": {"name": "agent-env", "creationPolicy": "Owner", "deletionPolicy": "Retain", "immutable": true},
            "dataFrom": [{"extract": {"key": "recif/agent-env"}}]
        })
    );
    let adc = spec_of(&s, "gcp-adc");
    assert_eq!(
        adc["target"],
        serde_json::json!({"name": "gcp-adc", "creationPolicy": "Merge", "deletionPolicy": "Retain", "immutable": true})
    );
    assert_eq!(
        adc["data"],
        serde_json::json!([{"secretKey": "adc.json", "remoteRef": {"key": "other", "property": "json"}}])
    );
    // The platform copy keeps ours: the override names gcp-adc only.
    let platform = spec_of(&s, "recif-platform-gcp-sa");
    assert_eq!(
        platform["data"][0]["remoteRef"],
        serde_json::json!({"key": "recif/gcp-sa"})
    );
    assert_eq!(platform["target"]["creationPolicy"], "Owner");
    check_manifests(&s).unwrap();
}

#[test]
fn gcp_key_decoding_strategy_and_version() {
    let values = format!(
        "{BASE}      gcpServiceAccountDecodingStrategy: Base64URL\n      gcpServiceAccountVersion: 7\n"
    );
    let out = render(&values);
    assert!(out.status.success(), "{}", stderr(&out));
    let s = stdout(&out);
    for name in ["gcp-adc", "recif-platform-gcp-sa"] {
        assert_eq!(
            spec_of(&s, name)["data"][0]["remoteRef"],
            serde_json::json!({"key": "recif/gcp-sa", "decodingStrategy": "Base64URL", "version": "7"})
        );
    }
    assert!(spec_of(&s, "agent-env")["dataFrom"][0]["extract"]
        .get("decodingStrategy")
        .is_none());
}

#[test]
fn gcp_key_property_defaults_per_provider() {
    for (store, want) in [
        ("vault: {server: https://v, path: secret}", Some("value")),
        (
            "openBao: {server: https://b, path: secret, auth: {tokenSecretRef: {name: t, key: k}}}",
            Some("value"),
        ),
        ("gcpsm: {projectID: p}", None),
        (
            "kubernetes: {remoteNamespace: x, server: {url: https://k}, auth: {serviceAccount: {name: sa}}}",
            None,
        ),
    ] {
        let values = format!("{BASE}    store:\n      {store}\n");
        let out = render(&values);
        assert!(out.status.success(), "{store}: {}", stderr(&out));
        let got = spec_of(&stdout(&out), "gcp-adc")["data"][0]["remoteRef"]
            .get("property")
            .cloned();
        assert_eq!(got, want.map(serde_json::Value::from), "{store}");
    }
}

#[test]
fn v1beta1_warns_that_it_is_not_served() {
    let values = format!("{BASE}    apiVersion: external-secrets.io/v1beta1\n");
    let out = render(&values);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("warning: <stdin>:")
            && err.contains("external-secrets.io/v1beta1 is `served: false`"),
        "{err}"
    );
    let out = render(BASE);
    assert!(!stderr(&out).contains("served: false"), "{}", stderr(&out));
}

#[test]
fn each_refusal_is_located_and_writes_nothing() {
    // (the values after BASE, the expected location, the expected message)
    let cases: &[(&str, &str, &str)] = &[
        (
            "    externalSecretSpec:\n      secretStoreRef: {name: other}\n",
            "<stdin>:9:23: secrets.external.externalSecretSpec.secretStoreRef",
            "comes from secrets.external.storeName and storeKind",
        ),
        (
            "    externalSecretSpec:\n      target: {name: mine}\n",
            "<stdin>:9:22: secrets.external.externalSecretSpec.target.name",
            "cannot be changed",
        ),
        (
            "    overrides:\n      agent-env:\n        spec:\n          target: {name: gcp-adc}\n",
            "<stdin>:11:26: secrets.external.overrides.agent-env.spec.target.name",
            "cannot be changed: the platform mounts the Secret by its name (agent-env)",
        ),
        (
            "    overrides:\n      agent-envs:\n        spec: {}\n",
            "secrets.external.overrides.agent-envs",
            "did you mean `agent-env`?",
        ),
        (
            "    overrides:\n      gcp-adc:\n        metadata: {name: x}\n",
            "<stdin>:10:26: secrets.external.overrides.gcp-adc.metadata.name",
            "cannot be overridden; only labels and annotations",
        ),
        (
            "    overrides:\n      gcp-adc:\n        status: {}\n",
            "<stdin>:10:17: secrets.external.overrides.gcp-adc.status",
            "unknown field; an override has `metadata` (labels, annotations) and `spec`",
        ),
        (
            "    overrides:\n      team-default/agent-env:\n        metadata:\n          labels: {app.kubernetes.io/managed-by: me}\n",
            "<stdin>:11:50: secrets.external.overrides.team-default/agent-env.metadata.labels.app.kubernetes.io/managed-by",
            "is set by recif-secrets on every object and cannot be overridden",
        ),
        (
            "    overrides:\n      Team_A/agent-env:\n        spec: {}\n",
            "<stdin>:10:9: secrets.external.overrides.Team_A/agent-env",
            "is not a valid namespace name",
        ),
        (
            "    overrides:\n      \"agent\\e[31m-env\": {spec: {}}\n",
            "<stdin>:9:32: secrets.external.overrides.\"agent\\u{1b}[31m-env\"",
            "is not an ExternalSecret recif-secrets renders",
        ),
        (
            "    overrides:\n      team-default/agent-envs:\n        spec: {}\n",
            "<stdin>:10:9: secrets.external.overrides.team-default/agent-envs",
            "did you mean `agent-env`?",
        ),
        (
            "    overrides:\n      agent-env:\n        spec:\n          target:\n            manifest: {apiVersion: v1, kind: ConfigMap}\n",
            "<stdin>:12:23: secrets.external.overrides.agent-env.spec.target.manifest",
            "cannot be set: ESO would write that kind instead of the Secret the platform mounts",
        ),
        (
            "    externalSecretSpec:\n      target:\n        manifest: {apiVersion: apps/v1, kind: Deployment}\n",
            "<stdin>:10:19: secrets.external.externalSecretSpec.target.manifest",
            "cannot be set: ESO would write that kind instead of the Secret the platform mounts",
        ),
        (
            "    externalSecretSpec:\n      refreshPolicy: Sometimes\n",
            "<stdin>:9:22: secrets.external.externalSecretSpec.refreshPolicy",
            "expected one of: CreatedOnce, Periodic, OnChange",
        ),
        (
            "    externalSecretSpec:\n      target: {creationPolicy: Owned}\n",
            "secrets.external.externalSecretSpec.target.creationPolicy",
            "did you mean `Owner`?",
        ),
        (
            "    externalSecretSpec:\n      refreshInterval: 1x\n",
            "<stdin>:9:24: secrets.external.externalSecretSpec.refreshInterval",
            "is not a Go duration",
        ),
        (
            "    overrides:\n      agent-env:\n        spec:\n          dataFrom:\n            - find: {name: {regex: x}}\n",
            "secrets.external.overrides.agent-env.spec.dataFrom[0].find.name.regex",
            "did you mean `regexp`?",
        ),
        (
            "    overrides:\n      agent-env:\n        spec:\n          dataFrom:\n            - extract: {key: k}\n              rewrite: [{regexp: {source: a, target: b}, transform: {template: t}}]\n",
            "secrets.external.overrides.agent-env.spec.dataFrom[0].rewrite[0]",
            "sets regexp, transform; set only one of them",
        ),
        (
            "    externalSecretSpec:\n      data:\n        - secretKey: x\n",
            "<stdin>:10:20: secrets.external.externalSecretSpec.data[0]",
            "the field `remoteRef` is required",
        ),
        (
            "      gcpServiceAccountDecodingStrategy: base64\n",
            "<stdin>:8:42: secrets.external.keys.gcpServiceAccountDecodingStrategy",
            "expected one of: None, Base64, Base64URL, Auto",
        ),
        (
            "    apiVersion: external-secrets.io/v1beta1\n    externalSecretSpec:\n      syncWindows: {}\n",
            "secrets.external.externalSecretSpec.syncWindows",
            "unknown field",
        ),
        (
            "    apiVersion: external-secrets.io/v1beta1\n    store:\n      openBao: {server: https://b}\n",
            "secrets.external.store.openBao",
            "is a provider of external-secrets.io/v1 only",
        ),
        (
            "    store:\n      vualt: {}\n",
            "secrets.external.store.vualt",
            "did you mean `vault`?",
        ),
        (
            "    store:\n      doppler:\n        auth:\n          secretRef: {dopplerToken: {name: t, key: k}}\n          oidcConfig: {identity: i, serviceAccountRef: {name: sa}}\n",
            "secrets.external.store.doppler.auth",
            "Exactly one of 'secretRef' or 'oidcConfig' must be specified",
        ),
        (
            "    store:\n      onepasswordSDK:\n        vault: v\n        auth: {serviceAccountSecretRef: {name: op, key: token}}\n        cache: {maxSize: 0}\n",
            "secrets.external.store.onepasswordSDK.cache.maxSize",
            "must be at least 1",
        ),
    ];
    for (extra, at, want) in cases {
        let values = format!("{BASE}{extra}");
        let out = render(&values);
        let err = stderr(&out);
        expect_exit(&out, 1, &format!("{extra}: {err}"));
        assert!(out.stdout.is_empty(), "{extra}");
        let line = err
            .lines()
            .find(|l| l.contains(want))
            .unwrap_or_else(|| panic!("{extra}: no {want:?} in {err}"));
        // `<stdin>:LINE:COL: path`: the line and the key path are asserted; the column is the
        // loader's (libyaml's, as go-yaml's: where the node starts).
        let (place, path) = at.split_once(": ").unwrap_or(("", at));
        let place_line = place.rsplit_once(':').map_or("", |(l, _)| l);
        assert!(line.contains(path), "{extra}: {line} is not at {at}");
        assert!(
            line.contains(&format!("{place_line}:")),
            "{extra}: {line} is not at {at}"
        );
        assert!(line.contains("<stdin>:"), "{extra}: {line} has no position");
    }
}

#[test]
fn overriding_a_gcp_secret_that_is_not_rendered_warns() {
    let values = "secrets:\n  provider: external\n  external:\n    keys:\n      gcpServiceAccount: ''\n    overrides:\n      gcp-adc:\n        spec: {refreshPolicy: OnChange}\n";
    let out = render(values);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("gcp-adc is not rendered"),
        "{}",
        stderr(&out)
    );
}

/// docs/external-secrets.md's provider table is generated from the CRD data (UPDATE_README=1
/// rewrites it).
#[test]
fn readme_lists_every_provider() {
    let path = root().join("docs/external-secrets.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let (start, end) = ("<!-- providers:start -->\n", "<!-- providers:end -->");
    let a = readme.find(start).expect("start marker") + start.len();
    let b = readme.find(end).expect("end marker");
    let table = recif_secrets::config::store::readme_table();
    if std::env::var_os("UPDATE_README").is_some() {
        std::fs::write(&path, format!("{}{table}{}", &readme[..a], &readme[b..])).unwrap();
        return;
    }
    assert!(
        readme[a..b] == table,
        "docs/external-secrets.md's provider table is stale: UPDATE_README=1 cargo test --test it eso_options::readme"
    );
}

/// A template override that writes an ExternalSecret or store field ESO does not know is
/// refused against the CRD schema, naming the field and the nearest one; the options are
/// merged into what the override renders too.
#[test]
fn overridden_eso_templates_are_checked_against_the_crd() {
    let tmp = tempfile::tempdir().unwrap();
    let builtin = std::fs::read_to_string(root().join("templates/externalsecrets.yaml")).unwrap();
    let store = std::fs::read_to_string(root().join("templates/secretstore.yaml")).unwrap();
    let dir = tmp.path().to_str().unwrap();
    let vault = "    store:\n      vault: {server: https://v, path: secret}\n";
    for (file, from, to, want) in [
        (
            "externalsecrets.yaml",
            "    creationPolicy: Owner",
            "    creationPolicy: Owner\n    deletionPolicy: Retian",
            "spec.target.deletionPolicy: \"Retian\" is not allowed; did you mean `Retain`?",
        ),
        (
            "externalsecrets.yaml",
            "  refreshInterval: {{ external.refreshInterval }}",
            "  refreshInterval: {{ external.refreshInterval }}\n  refreshPolicy: OnChange\n  syncWindow: {}",
            "spec.syncWindow: unknown field; did you mean `syncWindows`?",
        ),
        (
            "secretstore.yaml",
            "    {{ external.store.backend }}: {{ external.store.provider | yaml }}",
            "    {{ external.store.backend }}: {{ external.store.provider | yaml }}\n  retrySettings: {maxRetries: 3, retryInterval: 10s, bogus: 1}",
            "spec.retrySettings.bogus: unknown field",
        ),
    ] {
        let original = if file == "secretstore.yaml" { &store } else { &builtin };
        assert!(original.contains(from), "{from}");
        std::fs::write(tmp.path().join(file), original.replace(from, to)).unwrap();
        let out = run(
            &["render", "-f", "-", "--templates", dir],
            &format!("{BASE}{vault}"),
        );
        expect_exit(&out, 1, &format!("{to}: {}", stderr(&out)));
        assert!(stderr(&out).contains(want), "{to}: {}", stderr(&out));
        assert!(out.stdout.is_empty());
        std::fs::remove_file(tmp.path().join(file)).unwrap();
    }
    // A valid addition passes, and the options are merged into it.
    std::fs::write(
        tmp.path().join("externalsecrets.yaml"),
        builtin.replace(
            "    creationPolicy: Owner",
            "    creationPolicy: Owner\n    deletionPolicy: Retain",
        ),
    )
    .unwrap();
    let values = format!("{BASE}    externalSecretSpec:\n      refreshPolicy: OnChange\n");
    let out = run(&["render", "-f", "-", "--templates", dir], &values);
    assert!(out.status.success(), "{}", stderr(&out));
    let spec = spec_of(&stdout(&out), "agent-env");
    assert_eq!(spec["target"]["deletionPolicy"], "Retain");
    assert_eq!(spec["refreshPolicy"], "OnChange");
}

/// The ExternalSecret `name` in `namespace`.
fn object(stream: &str, namespace: &str, name: &str) -> serde_json::Value {
    docs(stream)
        .into_iter()
        .find(|d| {
            d["kind"] == "ExternalSecret"
                && d["metadata"]["name"] == name
                && d["metadata"]["namespace"] == namespace
        })
        .unwrap_or_else(|| panic!("{namespace}/{name} rendered"))
}

/// Overrides by name and by namespace/name, with labels and annotations, and a remote key
/// per namespace, for both API versions: each object gets its layers in order
/// (externalSecretSpec, <name>, <namespace>/<name>; commonLabels, then the override's), the
/// others are untouched (also among many teams, where the renderer shares work between
/// namespaces), and every object is valid against the CRD of its version.
#[test]
#[cfg_attr(
    no_checker,
    ignore = "needs python3 with pyyaml, jsonschema, kubernetes-validate: run scripts/fetch-tools.sh"
)]
fn overrides_per_namespace_with_metadata_and_per_namespace_keys() {
    let teams: Vec<String> = (0..12).map(|i| format!("team-{i}")).collect();
    for api in ["external-secrets.io/v1", "external-secrets.io/v1beta1"] {
        let values = format!(
            "secrets:\n  provider: external\n  commonLabels: {{tier: base, app.kubernetes.io/component: credentials}}\n  commonAnnotations: {{note: common}}\n  external:\n    storeName: s\n    apiVersion: {api}\n    keys:\n      agentEnv: teams/$(namespace)/agent-env\n      gcpServiceAccount: gcp/$(namespace)/sa$$1\n    externalSecretSpec:\n      refreshPolicy: Periodic\n      refreshInterval: 1h\n    overrides:\n      agent-env:\n        metadata: {{labels: {{tier: llm}}, annotations: {{owner: platform}}}}\n        spec: {{refreshInterval: 2h}}\n      team-7/agent-env:\n        metadata:\n          labels: {{tier: team7}}\n          annotations: {{note: seven}}\n        spec:\n          refreshInterval: 5m\n          target: {{deletionPolicy: Delete}}\n      recif-system/recif-platform-gcp-sa:\n        metadata: {{labels: {{platform: 'yes'}}}}\nnamespaces:\n  teams: {}\n",
            serde_json::to_string(&teams).unwrap()
        );
        let out = render(&values);
        assert!(out.status.success(), "{api}: {}", stderr(&out));
        assert!(
            stderr(&out).is_empty() || stderr(&out).contains("served: false"),
            "{api}: {}",
            stderr(&out)
        );
        let s = stdout(&out);
        for team in teams.iter().map(String::as_str).chain(["team-default"]) {
            let a = object(&s, team, "agent-env");
            assert_eq!(a["apiVersion"], api);
            assert_eq!(
                a["spec"]["dataFrom"][0]["extract"]["key"],
                format!("teams/{team}/agent-env"),
                "{api} {team}"
            );
            let g = object(&s, team, "gcp-adc");
            assert_eq!(
                g["spec"]["data"][0]["remoteRef"]["key"],
                format!("gcp/{team}/sa$1")
            );
            assert!(g["metadata"]
                .get("annotations")
                .is_some_and(|m| m["owner"].is_null()));
            assert_eq!(
                g["metadata"]["labels"]["tier"], "base",
                "gcp-adc: common only"
            );
            if team == "team-7" {
                assert_eq!(a["spec"]["refreshInterval"], "5m");
                assert_eq!(a["spec"]["target"]["deletionPolicy"], "Delete");
                assert_eq!(a["metadata"]["labels"]["tier"], "team7");
                assert_eq!(
                    a["metadata"]["annotations"],
                    serde_json::json!({"note": "seven", "owner": "platform"})
                );
            } else {
                assert_eq!(a["spec"]["refreshInterval"], "2h", "{api} {team}");
                assert!(
                    a["spec"]["target"].get("deletionPolicy").is_none(),
                    "{team}"
                );
                assert_eq!(a["metadata"]["labels"]["tier"], "llm");
                assert_eq!(
                    a["metadata"]["annotations"],
                    serde_json::json!({"note": "common", "owner": "platform"})
                );
            }
            assert_eq!(a["spec"]["refreshPolicy"], "Periodic");
            assert_eq!(
                a["metadata"]["labels"]["app.kubernetes.io/managed-by"],
                "recif-secrets"
            );
        }
        // One key for every team: the objects are identical but for the namespace, except
        // where an override names the namespace.
        let out = run(
            &[
                "render",
                "-f",
                "-",
                "--set",
                "secrets.external.keys.agentEnv=recif/agent-env",
            ],
            &values,
        );
        assert!(out.status.success(), "{api}: {}", stderr(&out));
        let shared = stdout(&out);
        for team in &teams {
            let a = object(&shared, team, "agent-env");
            let want = if team == "team-7" { "5m" } else { "2h" };
            assert_eq!(a["spec"]["refreshInterval"], want, "{api} {team}");
            assert_eq!(
                a["spec"]["dataFrom"][0]["extract"]["key"],
                "recif/agent-env"
            );
        }
        let p = object(&s, "recif-system", "recif-platform-gcp-sa");
        assert_eq!(
            p["spec"]["data"][0]["remoteRef"]["key"],
            "gcp/recif-system/sa$1"
        );
        assert_eq!(p["metadata"]["labels"]["platform"], "yes");
        check_manifests(&s).unwrap_or_else(|e| panic!("{api}: check-manifests.py: {e}"));
    }
}

/// An override for a namespace where that object is not rendered is a warning (an error
/// with --strict) that names where it is rendered.
#[test]
fn an_override_for_a_namespace_not_rendered_warns() {
    let values = format!("{BASE}    overrides:\n      team-defualt/agent-env:\n        spec: {{refreshPolicy: OnChange}}\n      team-default/recif-platform-gcp-sa:\n        spec: {{refreshPolicy: OnChange}}\n");
    let out = render(&values);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("<stdin>:10:") && err.contains("agent-env is not rendered in team-defualt (did you mean `team-default/agent-env`? it is rendered in: team-default"),
        "{err}"
    );
    assert!(
        err.contains("recif-platform-gcp-sa is not rendered in team-default")
            && err.contains("recif-system, the platform namespace (-n)"),
        "{err}"
    );
    let out = run(&["render", "--strict", "-f", "-"], &values);
    expect_exit(&out, 1, "");
    assert!(out.stdout.is_empty());
}

/// `$(namespace)` placeholders: a bad `$` is refused at its key; a template override that
/// prints the key as written (with the placeholder) is refused instead of reading a secret
/// named `teams/$(namespace)/…`.
#[test]
fn remote_key_placeholders_are_checked() {
    for (key, value, line) in [
        ("agentEnv", "teams/${namespace}/agent-env", 6),
        ("gcpServiceAccount", "gcp/$(NAMESPACE)", 7),
        ("agentEnv", "price$5", 6),
    ] {
        let values = BASE.replace(
            if key == "agentEnv" {
                "agentEnv: recif/agent-env"
            } else {
                "gcpServiceAccount: recif/gcp-sa"
            },
            &format!("{key}: {value}"),
        );
        let out = run(&["validate", "-f", "-"], &values);
        expect_exit(&out, 1, value);
        let err = stderr(&out);
        assert!(
            err.contains(&format!("<stdin>:{line}:"))
                && err.contains(&format!("secrets.external.keys.{key}: "))
                && err.contains("write `$$` for a `$` in the key"),
            "{value}: {err}"
        );
        assert!(!err.contains("is required"), "{err}");
    }
    let tmp = template_changed(
        "externalsecrets.yaml",
        "external.keys.agentEnv | forNamespace(ns)",
        "external.keys.agentEnv",
    );
    let dir = tmp.path().to_str().unwrap();
    let per_team = BASE.replace(
        "agentEnv: recif/agent-env",
        "agentEnv: teams/$(namespace)/agent-env",
    );
    let out = run(&["render", "-f", "-", "--templates", dir], &per_team);
    expect_exit(&out, 1, "");
    assert!(out.stdout.is_empty());
    assert!(
        stderr(&out).contains("holds keys.agentEnv as written, with its $(namespace) placeholder"),
        "{}",
        stderr(&out)
    );
    // Without a placeholder the old template is fine.
    let out = run(&["render", "-f", "-", "--templates", dir], BASE);
    assert!(out.status.success(), "{}", stderr(&out));
}
