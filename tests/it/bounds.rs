//! Resource bounds (issue 10): inputs that used to loop or take gigabytes are refused at
//! once, and accepted inputs stay valid. Each run here is capped at 1 GiB of address space
//! (`ulimit -v`), so a regression fails (the allocation aborts the process) instead of
//! eating the machine; a run that does not end in 5 minutes is killed and fails. Memory and
//! time are measured, not asserted, by `scripts/bench-limits.sh`.

use crate::common;

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use common::*;

/// Address space allowed to every run, in KiB.
const VMEM_KIB: u64 = 1024 * 1024;

/// Runs the binary in `dir` with `args` under the address-space cap (stdin empty).
fn run_capped(dir: &Path, args: &[&str]) -> Output {
    wait_deadline(
        spawn_in(dir, args, Some(&format!("-v {VMEM_KIB}"))),
        Duration::from_secs(300),
    )
}

fn vault_values() -> String {
    std::fs::read_to_string(root().join("examples/external-vault.yaml")).unwrap()
}

/// A template override that is not valid YAML once rendered: one clear error, exit 1, and
/// no rendered text (serde_yaml used to repeat the error for ever, growing memory).
#[test]
fn a_yaml_error_in_a_template_override_ends_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let tpl = dir.path().join("tpl");
    std::fs::create_dir(&tpl).unwrap();
    let canary = "zQ7canaryXv9Lp2Wm";
    std::fs::write(
        tpl.join("secrets.yaml"),
        "---\napiVersion: v1\nkind: Secret\nmetadata: {name: x, namespace: y\ndata: {a: {{ agentEnvData | items | first | last }}}\n",
    )
    .unwrap();
    let out = run_capped(
        dir.path(),
        &[
            "render",
            "--set",
            &format!("llm.openaiApiKey={canary}"),
            "--templates",
            "tpl",
        ],
    );
    let err = stderr(&out);
    expect_exit(&out, 1, &err);
    assert!(err.contains("template secrets.yaml (document 1)"), "{err}");
    assert!(err.contains("at line 5 column"), "{err}");
    assert_eq!(err.matches("error:").count(), 1, "{err}");
    assert!(!err.contains("zQ7ca"), "{err}");
    assert!(stdout(&out).is_empty());
}

/// A 64 KiB string aliased 20,000 times (a 125 KB file) used to take 1.3 GB.
#[test]
fn aliases_of_a_long_string_are_refused_by_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let mut doc = format!(
        "llm:\n  openaiApiKey: sk-x\npad: &a \"{}\"\nmany: [",
        "x".repeat(64 * 1024)
    );
    doc.push_str(&vec!["*a"; 20_000].join(","));
    doc.push_str("]\n");
    std::fs::write(dir.path().join("v.yaml"), &doc).unwrap();
    let out = run_capped(dir.path(), &["render", "-f", "v.yaml"]);
    let err = stderr(&out);
    expect_exit(&out, 1, &err);
    assert!(err.contains("v.yaml:4:"), "{err}");
    assert!(err.contains("4 MiB) of text"), "{err}");
    // The budget is per run: two files each under it are refused together.
    let half = format!(
        "a{{}}: &a{{}} \"{}\"\nb{{}}: [*a{{}}, *a{{}}]\n",
        "x".repeat(1024 * 1024)
    );
    std::fs::write(dir.path().join("1.yaml"), half.replace("{}", "1")).unwrap();
    std::fs::write(dir.path().join("2.yaml"), half.replace("{}", "2")).unwrap();
    let out = run_capped(dir.path(), &["values", "-f", "1.yaml"]);
    expect_exit(&out, 0, "");
    let out = run_capped(dir.path(), &["values", "-f", "1.yaml", "-f", "2.yaml"]);
    expect_exit(&out, 1, "");
    assert!(stderr(&out).contains("2.yaml:"), "{}", stderr(&out));
}

/// A 16 MiB flow list (8 million items) used to take 610 MB, 16 MiB of tiny keys 335 MB:
/// the values of a run are bounded in number.
#[test]
fn values_files_are_bounded_in_number_of_values() {
    let dir = tempfile::tempdir().unwrap();
    let n = 8 * 1024 * 1024 - 16;
    std::fs::write(
        dir.path().join("flow.yaml"),
        format!("l: [{}]\n", vec!["1"; n].join(",")),
    )
    .unwrap();
    let keys: String = (0..1_600_000).map(|i| format!("k{i:x}: 1\n")).collect();
    std::fs::write(dir.path().join("keys.yaml"), keys).unwrap();
    for f in ["flow.yaml", "keys.yaml"] {
        let out = run_capped(dir.path(), &["render", "-f", f]);
        let err = stderr(&out);
        expect_exit(&out, 1, &err);
        assert!(err.contains("more than 200000 values"), "{err}");
        assert!(err.contains(&format!("{f}:")), "{err}");
    }
}

/// 400 `--set a[65536]=x` used to take 2.7 GB: the list budget is per run.
#[test]
fn set_list_padding_is_bounded_per_run() {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["values".to_string()];
    for i in 0..400 {
        args.push("--set".into());
        args.push(format!("a{i}[65536]=x"));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run_capped(dir.path(), &args);
    let err = stderr(&out);
    expect_exit(&out, 1, &err);
    assert!(err.contains("list entries in all"), "{err}");
    assert!(err.contains("--set a6[65536]"), "{err}");
    // One such argument is Helm's own limit, and accepted.
    let out = run_capped(dir.path(), &["values", "--set", "a[65536]=x"]);
    expect_exit(&out, 0, "");
}

/// A map key over 1024 characters (here from ESO's `target.template.data`) is written as an
/// explicit key, which YAML readers accept; a plain or quoted implicit key that long is
/// invalid YAML.
#[test]
#[cfg_attr(
    no_checker,
    ignore = "needs python3 with pyyaml, jsonschema, kubernetes-validate: run scripts/fetch-tools.sh"
)]
fn long_map_keys_are_written_as_explicit_keys() {
    let dir = tempfile::tempdir().unwrap();
    let long = "K".repeat(1500);
    let values = format!(
        "{}      target:\n        template:\n          data:\n            ? {long}\n            : \"{{{{ .x }}}}\"\n            short: \"{{{{ .y }}}}\"\n",
        "secrets:\n  provider: external\n  external:\n    storeName: vault-backend\n    storeKind: ClusterSecretStore\n    keys:\n      agentEnv: recif/agent-env\n      gcpServiceAccount: recif/gcp-sa\n    externalSecretSpec:\n"
    );
    std::fs::write(dir.path().join("v.yaml"), values).unwrap();
    let out = run_capped(dir.path(), &["render", "-f", "v.yaml"]);
    expect_exit(&out, 0, "");
    let yaml = stdout(&out);
    assert!(yaml.contains(&format!("? \"{long}\"\n")), "{yaml}");
    // serde_yaml
    let docs = docs(&yaml);
    assert_eq!(docs.len(), 3);
    for d in docs.iter().filter(|d| d["kind"] == "ExternalSecret") {
        assert_eq!(d["spec"]["target"]["template"]["data"][&long], "{{ .x }}");
    }
    // PyYAML
    let py = python(
        &[
            "-c",
            "import sys, yaml, json; print(json.dumps([d for d in yaml.safe_load_all(sys.stdin) if d]))",
        ],
        &yaml,
    );
    assert!(
        py.status.success(),
        "PyYAML refused the output: {}",
        String::from_utf8_lossy(&py.stderr)
    );
    let back: serde_json::Value = serde_json::from_slice(&py.stdout).unwrap();
    assert_eq!(back, serde_json::Value::Array(docs));
    // The strict checker.
    check_manifests(&yaml).unwrap();
}

fn override_dir(name: &str, text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let tpl = dir.path().join("tpl");
    std::fs::create_dir(&tpl).unwrap();
    std::fs::write(tpl.join(name), text).unwrap();
    std::fs::write(dir.path().join("v.yaml"), vault_values()).unwrap();
    dir
}

const ES_HEAD: &str = "---\napiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata:\n  name: x\n  namespace: team-default\nspec:\n  secretStoreRef:\n    kind: ClusterSecretStore\n    name: recif-secret-store\n";

/// Template overrides get the checks of built-in output: ESO enums from the CRD schema, and
/// a key given twice (which serde_json would have kept silently, the last one winning) is
/// an error naming the template and the key path.
#[test]
fn template_overrides_are_checked_like_built_in_output() {
    for (field, bad) in [
        (
            "  data:\n  - secretKey: a\n    remoteRef:\n      key: k\n      decodingStrategy: Base65\n",
            "spec.data[0].remoteRef.decodingStrategy",
        ),
        (
            "  data:\n  - secretKey: a\n    remoteRef:\n      key: k\n      conversionStrategy: Nope\n",
            "spec.data[0].remoteRef.conversionStrategy",
        ),
        (
            "  dataFrom:\n  - extract:\n      key: k\n  target:\n    deletionPolicy: Gone\n",
            "spec.target.deletionPolicy",
        ),
    ] {
        let dir = override_dir("externalsecrets.yaml", &format!("{ES_HEAD}{field}"));
        let out = run_capped(
            dir.path(),
            &["render", "-f", "v.yaml", "--templates", "tpl"],
        );
        let err = stderr(&out);
        expect_exit(&out, 1, &format!("{field}: {err}"));
        assert!(err.contains(bad), "{field}: {err}");
        assert!(err.contains("is not allowed"), "{field}: {err}");
    }
    for (text, path) in [
        (
            format!("{ES_HEAD}  data:\n  - secretKey: a\n    remoteRef:\n      key: k\n      key: other\n"),
            "`spec.data[0].remoteRef.key`",
        ),
        (
            format!("{ES_HEAD}  dataFrom:\n  - extract: {{key: k}}\n  secretStoreRef: {{kind: SecretStore, name: y}}\n"),
            "`spec.secretStoreRef`",
        ),
    ] {
        let dir = override_dir("externalsecrets.yaml", &text);
        let out = run_capped(
            dir.path(),
            &["render", "-f", "v.yaml", "--templates", "tpl"],
        );
        let err = stderr(&out);
        expect_exit(&out, 1, &format!("{text}: {err}"));
        assert!(err.contains("template externalsecrets.yaml"), "{err}");
        assert!(err.contains(&format!("is given twice ({path})")), "{err}");
        assert!(err.contains("at line"), "{err}");
        assert!(!err.contains("other"), "{err}");
    }
}
