//! `recif-secrets schema`: accepts the defaults and every example, refuses bad enums and
//! names; checked with python's jsonschema and with the real helm (values.schema.json).

use crate::common;

use std::process::Command;

use common::*;

fn example_files() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root().join("examples"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    v.push(
        root()
            .join("values-secret.yaml.example")
            .to_string_lossy()
            .into_owned(),
    );
    v.sort();
    v
}

const BAD: &[(&str, &str)] = &[
    ("secrets:\n  provider: vault\n", "provider"),
    ("secrets:\n  external:\n    storeKind: Store\n", "storeKind"),
    (
        "secrets:\n  external:\n    apiVersion: external-secrets.io/v2\n",
        "apiVersion",
    ),
    (
        "secrets:\n  external:\n    refreshInterval: 1x\n",
        "refreshInterval",
    ),
    ("namespaces:\n  defaultTeam: Team_A\n", "defaultTeam"),
    ("namespaces:\n  teams: [ok, Not-OK]\n", "teams"),
    ("workloadIdentity:\n  llmKeys: sometimes\n", "llmKeys"),
    ("secrets:\n  provder: inline\n", "provder"),
    (
        "secrets:\n  external:\n    store:\n      vault: {}\n      gcpsm: {}\n",
        "store",
    ),
    ("secrets:\n  external:\n    store:\n      vualt: {}\n", "provider"),
    (
        "secrets:\n  external:\n    keys:\n      gcpServiceAccountDecodingStrategy: base64\n",
        "decodingStrategy",
    ),
    (
        "secrets:\n  external:\n    externalSecretSpec:\n      refreshPolicy: Sometimes\n",
        "refreshPolicy",
    ),
    (
        "secrets:\n  external:\n    externalSecretSpec:\n      target: {creationPolicy: Owned}\n",
        "creationPolicy",
    ),
    (
        "secrets:\n  external:\n    externalSecretSpec:\n      refreshPolcy: OnChange\n",
        "unknown spec field",
    ),
    (
        "secrets:\n  external:\n    externalSecretSpec:\n      secretStoreRef: {name: x}\n",
        "secretStoreRef",
    ),
    (
        "secrets:\n  external:\n    overrides:\n      agent-envs: {spec: {}}\n",
        "override name",
    ),
    (
        "secrets:\n  external:\n    overrides:\n      Team_A/agent-env: {spec: {}}\n",
        "override namespace",
    ),
    (
        "secrets:\n  external:\n    overrides:\n      team-a/agent-env: {metadata: {name: x}}\n",
        "override metadata",
    ),
    (
        "secrets:\n  external:\n    overrides:\n      agent-env: {spec: {target: {manifest: {apiVersion: v1, kind: ConfigMap}}}}\n",
        "target.manifest",
    ),
    (
        "secrets:\n  external:\n    keys:\n      agentEnv: teams/${namespace}/agent-env\n",
        "remote key placeholder",
    ),
    (
        "secrets:\n  external:\n    overrides:\n      agent-env: {spec: {dataFrom: [{find: {name: {regex: x}}}]}}\n",
        "find.name.regex",
    ),
];

fn python_validate(schema: &str, values_yaml: &str) -> bool {
    python_needs("no_jsonschema");
    let script = "import sys, json, yaml, jsonschema\nschema = json.load(open(sys.argv[1]))\nv = yaml.safe_load(sys.stdin.read()) or {}\njsonschema.Draft7Validator.check_schema(schema)\nerrs = list(jsonschema.Draft7Validator(schema).iter_errors(v))\nsys.exit(1 if errs else 0)\n";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("schema.json");
    std::fs::write(&path, schema).unwrap();
    let out = python(&["-c", script, path.to_str().unwrap()], values_yaml);
    out.status.success()
}

#[test]
#[cfg_attr(
    no_jsonschema,
    ignore = "needs python3 with pyyaml, jsonschema: run scripts/fetch-tools.sh"
)]
fn schema_accepts_the_defaults_and_every_example_and_refuses_bad_values() {
    let schema = stdout(&run(&["schema"], ""));
    let defaults = stdout(&run(&["values", "--defaults"], ""));
    assert!(python_validate(&schema, &defaults), "defaults");
    for f in example_files() {
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(python_validate(&schema, &text), "{f}");
    }
    for (bad, what) in BAD {
        assert!(!python_validate(&schema, bad), "{what}: {bad}");
    }
}

#[test]
#[cfg_attr(no_helm, ignore = "needs helm: run scripts/fetch-tools.sh")]
fn helm_validates_values_with_the_schema() {
    let helm = tool("HELM", "helm");
    let chart = tempfile::tempdir().unwrap();
    std::fs::create_dir(chart.path().join("templates")).unwrap();
    std::fs::write(
        chart.path().join("Chart.yaml"),
        "apiVersion: v2\nname: recif\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(
        chart.path().join("values.yaml"),
        recif_secrets::values::DEFAULTS_YAML,
    )
    .unwrap();
    std::fs::write(
        chart.path().join("values.schema.json"),
        stdout(&run(&["schema"], "")),
    )
    .unwrap();
    std::fs::write(
        chart.path().join("templates/cm.yaml"),
        "# {{ .Values.secrets.provider }}\n",
    )
    .unwrap();
    let helm_template = |values: &str| {
        let f = chart.path().join("v.yaml");
        std::fs::write(&f, values).unwrap();
        Command::new(&helm)
            .args([
                "template",
                "x",
                chart.path().to_str().unwrap(),
                "-f",
                f.to_str().unwrap(),
            ])
            .output()
            .unwrap()
    };
    for f in example_files() {
        let out = helm_template(&std::fs::read_to_string(&f).unwrap());
        assert!(
            out.status.success(),
            "{f}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for (bad, what) in BAD {
        let out = helm_template(bad);
        assert!(!out.status.success(), "helm accepted bad {what}");
    }
}
