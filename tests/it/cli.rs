//! The command line, end to end: refusals, exit codes, hostile values.

use crate::common;

use base64::Engine as _;
use common::*;

#[test]
fn unknown_provider_is_refused_with_the_allowed_values() {
    let values = "secrets:\n  provider: vault\n";
    let out = run(&["render", "-f", "-"], values);
    expect_exit(&out, 1, "");
    assert!(out.stdout.is_empty(), "nothing on stdout");
    let err = stderr(&out);
    assert!(err.contains("<stdin>:2:13"), "{err}");
    assert!(err.contains("secrets.provider"), "{err}");
    assert!(err.contains("inline, external, none"), "{err}");
}

#[test]
fn set_errors_name_the_flag() {
    let out = run(&["render", "--set", "secrets.provider=nope"], "");
    expect_exit(&out, 1, "");
    assert!(
        stderr(&out).contains("--set secrets.provider"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn all_problems_are_reported_together() {
    let values = "secrets:\n  provider: external\n  external:\n    storeKind: Store\n    refreshInterval: 1x\n    apiVersion: v2\nnamespaces:\n  defaultTeam: Team_A\n";
    let out = run(&["render", "-f", "-"], values);
    expect_exit(&out, 1, "");
    let err = stderr(&out);
    for needle in [
        "<stdin>:4:16: secrets.external.storeKind",
        "<stdin>:5:22: secrets.external.refreshInterval",
        "<stdin>:6:17: secrets.external.apiVersion",
        "<stdin>:8:16: namespaces.defaultTeam",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
    assert!(out.stdout.is_empty());
}

#[test]
fn usage_errors_exit_2() {
    expect_exit(&run(&["render", "--bogus"], ""), 2, "");
    expect_exit(&run(&["render", "-o", "xml"], ""), 2, "");
    // -f takes a CSV list as Helm's --values: a stray quote is a usage error, as in Helm.
    let out = run(&["values", "-f", "a,b\"c.yaml"], "");
    expect_exit(&out, 2, "");
    assert!(stderr(&out).contains("comma-separated"), "{}", stderr(&out));
}

#[test]
fn values_flag_is_a_comma_separated_list_as_in_helm() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("a.yaml"), "a: 1\nshared: a\n").unwrap();
    std::fs::write(tmp.path().join("b,c.yaml"), "b: 2\nshared: b\n").unwrap();
    let out = run_in(
        tmp.path(),
        &[
            "values",
            "-o",
            "json",
            "-f",
            "a.yaml,\"b,c.yaml\"",
            "--values=,",
        ],
        "",
    );
    // `--values=,` names two empty file names, which do not open (as in Helm).
    expect_exit(&out, 1, "");
    let out = run_in(
        tmp.path(),
        &[
            "values",
            "-o",
            "json",
            "-f",
            "a.yaml,\"b,c.yaml\"",
            "-f",
            "",
        ],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (&v["a"], &v["b"], &v["shared"]),
        (&1.into(), &2.into(), &"b".into())
    );
}

#[test]
fn namespace_flag_sets_the_platform_namespace() {
    let out = run(&["render", "--example", "-n", "platform"], "");
    assert!(out.status.success());
    let docs = docs(&stdout(&out));
    assert!(docs
        .iter()
        .any(|d| d["metadata"]["name"] == "recif-platform-gcp-sa"
            && d["metadata"]["namespace"] == "platform"));
    let bad = run(&["render", "--example", "-n", "Bad_NS"], "");
    expect_exit(&bad, 1, "");
    assert!(stderr(&bad).contains("--namespace"), "{}", stderr(&bad));
}

const SA: &str =
    r#"{"type":"service_account","client_email":"a@b.iam.gserviceaccount.com","private_key":"k"}"#;

/// Values that try to break out of their field: they must land as data, exactly, and the
/// set of objects must not change.
#[test]
#[cfg_attr(
    no_checker,
    ignore = "needs python3 with pyyaml, jsonschema, kubernetes-validate: run scripts/fetch-tools.sh"
)]
fn hostile_values_round_trip_exactly() {
    let hostile = [
        "quote\" and 'single'",
        "new\nline\r\n",
        "---\nkind: Namespace\nmetadata:\n  name: evil",
        "{{ 7*7 }} {% if true %}x{% endif %}",
        "key: value # comment",
        "#hash",
        "line\u{2028}sep\u{2029}para\u{85}nel",
        "yes",
        "Off",
        "~",
        "0755",
        "",
        "tab\there",
        "\u{7f}\u{1}\u{feff}",
        "émoji 🚀 – unicode",
        "*alias &anchor !tag %dir @at `tick`",
        "trailing space ",
    ];
    let mut extra = serde_json::Map::new();
    for (i, v) in hostile.iter().enumerate() {
        extra.insert(
            format!("HOSTILE_{i}"),
            serde_json::Value::String(v.to_string()),
        );
    }
    // Env names YAML 1.1 reads as booleans or null.
    for name in ["YES", "ON", "N", "y", "off", "NULL", "True"] {
        extra.insert(
            name.to_string(),
            serde_json::Value::String(name.to_string()),
        );
    }
    let values = serde_json::json!({
        "llm": {"openaiApiKey": hostile.join("|"), "extraEnv": extra, "gcp": {"serviceAccountKey": SA}},
        "namespaces": {"teams": ["team-a"]},
    });
    let out = run(&["render", "-f", "-"], &json_values_file(&values));
    assert!(out.status.success(), "{}", stderr(&out));
    let stream = stdout(&out);
    let docs = docs(&stream);
    assert_eq!(docs.len(), 5, "2 agent-env, 2 gcp-adc, 1 platform secret");
    for d in docs.iter().filter(|d| d["metadata"]["name"] == "agent-env") {
        let data = d["data"].as_object().unwrap();
        assert_eq!(data.len(), extra.len() + 1);
        let decode = |k: &str| {
            String::from_utf8(
                base64::engine::general_purpose::STANDARD
                    .decode(data[k].as_str().unwrap())
                    .unwrap(),
            )
            .unwrap()
        };
        assert_eq!(decode("OPENAI_API_KEY"), hostile.join("|"));
        for (k, v) in &extra {
            assert_eq!(&decode(k), v.as_str().unwrap(), "{k}");
        }
    }
    if let Err(p) = check_manifests(&stream) {
        panic!("{p}");
    }
    // A YAML 1.1 reader (PyYAML, as kubectl's go-yaml v2) reads the names as strings too.
    let script = "import sys, yaml\nfor d in yaml.safe_load_all(sys.stdin):\n    if d and d['metadata']['name'] == 'agent-env':\n        assert all(isinstance(k, str) for k in d['data']), d['data'].keys()\n        assert {'YES','ON','N','y','off','NULL','True'} <= set(d['data'])\nprint('ok')\n";
    let o = python(&["-c", script], &stream);
    assert!(o.status.success(), "PyYAML read the names differently");
}

#[test]
fn yaml_1_1_words_are_quoted_in_the_output() {
    let out = run(
        &["render", "-f", "-"],
        "llm:\n  extraEnv:\n    'YES': '1'\n    'ON': '2'\n    \"N\": '3'\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let s = stdout(&out);
    for key in ["\"YES\":", "\"ON\":", "\"N\":"] {
        assert!(s.contains(key), "{key} not quoted in:\n{s}");
    }
}

#[test]
fn plain_yaml_1_1_keys_read_as_helm_reads_them() {
    // Unquoted `YES:` is a boolean key in YAML 1.1, so Helm (and we) read it as "true",
    // which is then not a name anyone meant: quoted keys are needed in values files.
    let out = run(
        &["values", "-f", "-", "-o", "json", "--reveal"],
        "llm:\n  extraEnv:\n    YES: x\n",
    );
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["llm"]["extraEnv"]["true"], "x");
}

#[test]
fn two_sources_of_one_variable_are_an_error() {
    let out = run(
        &["render", "-f", "-"],
        "llm:\n  openaiApiKey: a\n  extraEnv:\n    OPENAI_API_KEY: b\n",
    );
    expect_exit(&out, 1, "");
    let err = stderr(&out);
    assert!(err.contains("OPENAI_API_KEY"), "{err}");
    assert!(
        !err.contains(": a") && !err.contains(": b"),
        "no values: {err}"
    );
}

#[test]
fn bad_service_account_keys_are_explained_without_their_content() {
    let cases = [
        (
            "serviceAccountKeyBase64: 'eyJ0eXBlIjoic2VydmljZV9hY2NvdW50Ii...'",
            "not valid standard base64",
        ),
        (
            "serviceAccountKey: '{\"type\": \"service_account\", \"private_key\": \"SECRETKEY\"}'",
            "without client_email",
        ),
        (
            "serviceAccountKey: '{\"type\": \"weird\", \"private_key\": \"SECRETKEY\"}'",
            "expected one of: service_account",
        ),
        (
            "serviceAccountKey: 'SECRETKEY not json'",
            "not a JSON object",
        ),
    ];
    for (line, want) in cases {
        let out = run(
            &["render", "-f", "-"],
            &format!("llm:\n  gcp:\n    {line}\n"),
        );
        expect_exit(&out, 1, line);
        let err = stderr(&out);
        assert!(err.contains(want), "{line}: {err}");
        assert!(err.contains("<stdin>:3:"), "{err}");
        assert!(!err.contains("SECRETKEY"), "{err}");
    }
}

#[test]
fn workload_identity_without_a_cloud_says_what_to_set() {
    let out = run(&["render", "--set", "secrets.provider=none"], "");
    expect_exit(&out, 1, "");
    let err = stderr(&out);
    for key in [
        "llm.gcp.project",
        "workloadIdentity.gcpServiceAccount",
        "workloadIdentity.awsRoleArn",
        "workloadIdentity.azureClientId",
    ] {
        assert!(err.contains(key), "{key}: {err}");
    }
}

#[test]
fn no_inline_secret_with_external_or_workload_identity() {
    for args in [
        vec!["render", "--example", "--set", "secrets.provider=external"],
        vec!["render", "--example", "--set", "secrets.provider=none"],
        vec![
            "render",
            "--example",
            "--set",
            "secrets.provider=none,workloadIdentity.llmKeys=external",
        ],
    ] {
        let out = run(&args, "");
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        let s = stdout(&out);
        assert!(!docs(&s).iter().any(|d| d["kind"] == "Secret"), "{args:?}");
        assert!(
            !s.contains("c2stcHJvai1leGFtcGxl"),
            "no key material: {args:?}"
        );
        assert!(
            stderr(&out).contains("not rendered"),
            "warns about unused keys"
        );
    }
    let out = run(
        &[
            "render",
            "--example",
            "--set",
            "secrets.provider=none,workloadIdentity.llmKeys=inline",
        ],
        "",
    );
    let kinds: Vec<String> = docs(&stdout(&out))
        .iter()
        .map(|d| format!("{}/{}", d["kind"], d["metadata"]["name"]))
        .collect();
    assert_eq!(
        kinds,
        [
            "\"ServiceAccount\"/\"recif-api\"",
            "\"Secret\"/\"agent-env\""
        ]
    );
}

#[test]
fn common_labels_and_annotations_reach_every_object() {
    let out = run(
        &[
            "render",
            "--example",
            "--set",
            "secrets.commonLabels.team=platform",
            "--set",
            "secrets.commonAnnotations.argocd\\.argoproj\\.io/sync-wave=-1",
            "--set",
            "namespaces.create=true",
        ],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let docs = docs(&stdout(&out));
    assert_eq!(docs[0]["kind"], "Namespace");
    for d in &docs {
        assert_eq!(d["metadata"]["labels"]["team"], "platform");
        assert_eq!(
            d["metadata"]["labels"]["app.kubernetes.io/managed-by"],
            "recif-secrets"
        );
        assert_eq!(
            d["metadata"]["labels"]["app.kubernetes.io/part-of"],
            "recif"
        );
        assert_eq!(
            d["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"],
            "-1"
        );
    }
}

/// Built-in templates skip the field-by-field comparison that overrides get; this proves
/// they would pass it: the same templates given as overrides render the same output.
#[test]
fn builtin_templates_pass_the_strict_override_check() {
    let tmp = tempfile::tempdir().unwrap();
    for f in std::fs::read_dir(root().join("templates"))
        .unwrap()
        .flatten()
    {
        std::fs::copy(f.path(), tmp.path().join(f.file_name())).unwrap();
    }
    let dir = tmp.path().to_str().unwrap();
    for f in std::fs::read_dir(root().join("examples"))
        .unwrap()
        .flatten()
    {
        if f.path().extension().is_none_or(|x| x != "yaml") {
            continue;
        }
        let p = f.path();
        let p = p.to_str().unwrap();
        let plain = run(&["render", "-f", p, "--set", "namespaces.create=true"], "");
        let strict = run(
            &[
                "render",
                "-f",
                p,
                "--set",
                "namespaces.create=true",
                "--templates",
                dir,
            ],
            "",
        );
        assert!(strict.status.success(), "{p}: {}", stderr(&strict));
        assert_eq!(plain.stdout, strict.stdout, "{p}");
    }
}

#[test]
fn template_overrides_add_fields_and_are_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let builtin = std::fs::read_to_string(root().join("templates/secrets.yaml")).unwrap();
    // An override adding an annotation: it reaches the output.
    std::fs::write(tmp.path().join("secrets.yaml"), builtin.replace("  namespace: {{ ns }}\ntype: Opaque", "  namespace: {{ ns }}\n  annotations:\n    team.example.com/owner: platform\ntype: Opaque")).unwrap();
    let out = run(
        &[
            "render",
            "--example",
            "--templates",
            tmp.path().to_str().unwrap(),
        ],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let d = docs(&stdout(&out));
    let agent = d
        .iter()
        .find(|d| d["metadata"]["name"] == "agent-env")
        .unwrap();
    assert_eq!(
        agent["metadata"]["annotations"]["team.example.com/owner"],
        "platform"
    );
    // An unknown field is refused, naming it.
    std::fs::write(
        tmp.path().join("secrets.yaml"),
        builtin.replace("type: Opaque", "type: Opaque\nstringdata: {}"),
    )
    .unwrap();
    let out = run(
        &[
            "render",
            "--example",
            "--templates",
            tmp.path().to_str().unwrap(),
        ],
        "",
    );
    expect_exit(&out, 1, "");
    assert!(stderr(&out).contains("`stringdata`"), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    // An override cannot smuggle an inline Secret into the external strategy.
    std::fs::write(tmp.path().join("externalsecrets.yaml"), "---\napiVersion: v1\nkind: Secret\nmetadata: {name: sneaky, namespace: team-default}\ndata: {K: \"eA==\"}\n").unwrap();
    std::fs::remove_file(tmp.path().join("secrets.yaml")).unwrap();
    let out = run(
        &[
            "render",
            "--example",
            "--set",
            "secrets.provider=external",
            "--templates",
            tmp.path().to_str().unwrap(),
        ],
        "",
    );
    expect_exit(&out, 1, "");
    assert!(stderr(&out).contains("refused"), "{}", stderr(&out));
    // A template syntax error names the file and line.
    std::fs::write(tmp.path().join("externalsecrets.yaml"), "a\n{% if %}\n").unwrap();
    let out = run(
        &[
            "render",
            "--example",
            "--templates",
            tmp.path().to_str().unwrap(),
        ],
        "",
    );
    expect_exit(&out, 1, "");
    assert!(
        stderr(&out).contains("externalsecrets.yaml:2"),
        "{}",
        stderr(&out)
    );
}
