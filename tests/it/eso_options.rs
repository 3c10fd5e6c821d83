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
    if let Some(r) = check_manifests(&s) {
        r.unwrap();
    }
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
            "<stdin>:10:19: secrets.external.overrides.gcp-adc.metadata",
            "only `spec` can be overridden",
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
        assert_eq!(out.status.code(), Some(1), "{extra}: {err}");
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

/// The README's provider table is generated from the CRD data (UPDATE_README=1 rewrites it).
#[test]
fn readme_lists_every_provider() {
    let path = root().join("README.md");
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
        "README.md's provider table is stale: UPDATE_README=1 cargo test --test it eso_options::readme"
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
        assert_eq!(out.status.code(), Some(1), "{to}: {}", stderr(&out));
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
