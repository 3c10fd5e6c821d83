//! Delivery: --output-dir (checked with the real `kubectl kustomize`), --apply (with a
//! recording stand-in and with the real kubectl), -o json, --show-only, init, completions, man.

use crate::common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::*;

fn sorted_objects(mut docs: Vec<serde_json::Value>) -> Vec<serde_json::Value> {
    docs.sort_by_key(|d| d.to_string());
    docs
}

#[test]
fn output_dir_writes_one_private_file_per_object_and_a_kustomization() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("rendered");
    let d = dir.to_str().unwrap();
    let out = run(
        &["render", "-f", "examples/inline.yaml", "--output-dir", d],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "kustomization.yaml",
            "recif-system.secret.recif-platform-gcp-sa.yaml",
            "team-default.secret.agent-env.yaml",
            "team-default.secret.gcp-adc.yaml",
            "team-research.secret.agent-env.yaml",
            "team-research.secret.gcp-adc.yaml",
        ]
    );
    for n in &names {
        let mode = std::fs::metadata(dir.join(n)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{n}");
    }
    // The folder holds the same objects as standard output.
    let stream = stdout(&run(&["render", "-f", "examples/inline.yaml"], ""));
    let mut from_files = Vec::new();
    for n in names.iter().filter(|n| *n != "kustomization.yaml") {
        from_files.extend(docs(&std::fs::read_to_string(dir.join(n)).unwrap()));
    }
    assert_eq!(sorted_objects(from_files), sorted_objects(docs(&stream)));
}

#[test]
#[cfg_attr(no_kubectl, ignore = "needs kubectl: run scripts/fetch-tools.sh")]
fn kubectl_kustomize_gives_the_same_objects_as_stdout() {
    let kubectl = tool("KUBECTL", "kubectl");
    for (example, extra) in [
        (
            "examples/inline.yaml",
            vec!["--set", "namespaces.create=true"],
        ),
        ("examples/external-aws-parameter-store.yaml", vec![]),
        ("examples/workload-identity-eks.yaml", vec![]),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path().to_str().unwrap();
        let mut args = vec!["render", "-f", example, "--output-dir", d];
        args.extend(&extra);
        assert!(run(&args, "").status.success());
        let k = std::process::Command::new(&kubectl)
            .args(["kustomize", d])
            .output()
            .unwrap();
        assert!(
            k.status.success(),
            "kubectl kustomize: {}",
            String::from_utf8_lossy(&k.stderr)
        );
        let mut stdout_args = vec!["render", "-f", example];
        stdout_args.extend(&extra);
        let stream = stdout(&run(&stdout_args, ""));
        assert_eq!(
            sorted_objects(docs(&String::from_utf8(k.stdout).unwrap())),
            sorted_objects(docs(&stream)),
            "{example}"
        );
    }
}

#[test]
fn output_dir_removes_only_its_own_stale_files() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().to_str().unwrap();
    assert!(run(
        &["render", "-f", "examples/inline.yaml", "--output-dir", d],
        ""
    )
    .status
    .success());
    // A file of the user's, with our naming but not our label, and one with another name.
    std::fs::write(
        tmp.path().join("team-x.secret.mine.yaml"),
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: mine\n",
    )
    .unwrap();
    std::fs::write(tmp.path().join("README.md"), "notes").unwrap();
    let out = run(
        &[
            "render",
            "-f",
            "examples/inline.yaml",
            "--set",
            "namespaces.teams=null",
            "--output-dir",
            d,
        ],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("removed 2 stale"), "{}", stderr(&out));
    assert!(!tmp
        .path()
        .join("team-research.secret.agent-env.yaml")
        .exists());
    assert!(tmp.path().join("team-x.secret.mine.yaml").exists());
    assert!(tmp.path().join("README.md").exists());
    let k = std::fs::read_to_string(tmp.path().join("kustomization.yaml")).unwrap();
    assert!(!k.contains("team-research"), "{k}");
}

#[test]
#[cfg_attr(no_setpriv, ignore = "needs setpriv (to run as nobody under root)")]
fn output_dir_refuses_a_foreign_kustomization_and_unwritable_folders() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("kustomization.yaml"),
        "resources: [mine.yaml]\n",
    )
    .unwrap();
    let out = run(
        &[
            "render",
            "--example",
            "--output-dir",
            tmp.path().to_str().unwrap(),
        ],
        "",
    );
    expect_exit(&out, 3, "");
    assert!(stderr(&out).contains("did not write"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("kustomization.yaml")).unwrap(),
        "resources: [mine.yaml]\n"
    );

    // A folder that cannot be created (below a regular file): fails for every user, root too.
    let file = tempfile::NamedTempFile::new().unwrap();
    let below_file = file.path().join("out");
    let out = run(
        &[
            "render",
            "--example",
            "--output-dir",
            below_file.to_str().unwrap(),
        ],
        "",
    );
    expect_exit(&out, 3, "");
    assert!(stdout(&out).is_empty());

    // A read-only folder, written by a user without privileges (root writes anywhere).
    let ro = tempfile::tempdir().unwrap();
    std::fs::set_permissions(ro.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
    let out = run_unprivileged(&[
        "render",
        "--example",
        "--output-dir",
        ro.path().to_str().unwrap(),
    ]);
    expect_exit(&out, 3, "a read-only output folder");
    assert_eq!(std::fs::read_dir(ro.path()).unwrap().count(), 0);
}

#[test]
fn output_dir_writes_nothing_when_rendering_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    let out = run(
        &[
            "render",
            "--set",
            "secrets.provider=bad",
            "--output-dir",
            dir.to_str().unwrap(),
        ],
        "",
    );
    expect_exit(&out, 1, "");
    assert!(!dir.exists());
}

#[test]
fn output_dir_in_a_git_work_tree_warns_about_inline_secrets() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join(".git")).unwrap();
    let d = tmp.path().join("rendered");
    let out = run(
        &["render", "--example", "--output-dir", d.to_str().unwrap()],
        "",
    );
    assert!(out.status.success());
    assert!(stderr(&out).contains("git work tree"), "{}", stderr(&out));
    let out = run(
        &[
            "render",
            "-f",
            "examples/external-vault.yaml",
            "--output-dir",
            d.to_str().unwrap(),
        ],
        "",
    );
    assert!(
        !stderr(&out).contains("git work tree"),
        "no inline Secret, no warning"
    );
}

/// A stand-in kubectl that records its arguments and standard input.
fn recording_kubectl(dir: &Path, exit: i32) -> std::path::PathBuf {
    let path = dir.join("kubectl");
    std::fs::write(
        &path,
        format!("#!/bin/sh\necho \"$@\" > \"{0}/args\"\ncat > \"{0}/stdin\"\necho 'secret/agent-env configured'\nexit {exit}\n", dir.display()),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[test]
fn apply_pipes_the_stream_into_kubectl_with_the_flags_passed_on() {
    let tmp = tempfile::tempdir().unwrap();
    let k = recording_kubectl(tmp.path(), 0);
    let out = run(
        &[
            "render",
            "--example",
            "--apply",
            "--kubectl",
            k.to_str().unwrap(),
            "--context",
            "prod",
            "--kubeconfig",
            "/tmp/kc",
            "--dry-run",
            "server",
            "--server-side",
        ],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("secret/agent-env configured"),
        "kubectl's output is shown"
    );
    let args = std::fs::read_to_string(tmp.path().join("args")).unwrap();
    assert_eq!(
        args.trim(),
        "apply -f - --context=prod --kubeconfig=/tmp/kc --request-timeout=10s --dry-run=server --server-side --field-manager=recif-secrets"
    );
    let piped = std::fs::read_to_string(tmp.path().join("stdin")).unwrap();
    assert_eq!(piped, stdout(&run(&["render", "--example"], "")));
}

#[test]
fn apply_failures_exit_3_and_nothing_starts_when_rendering_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let k = recording_kubectl(tmp.path(), 1);
    let out = run(
        &[
            "render",
            "--example",
            "--apply",
            "--kubectl",
            k.to_str().unwrap(),
        ],
        "",
    );
    expect_exit(&out, 3, "");
    assert!(
        stderr(&out).contains("kubectl apply failed (exit code 1)"),
        "{}",
        stderr(&out)
    );

    let missing = run(
        &[
            "render",
            "--example",
            "--apply",
            "--kubectl",
            "/nonexistent/kubectl",
        ],
        "",
    );
    expect_exit(&missing, 3, "");
    assert!(
        stderr(&missing).contains("not found"),
        "{}",
        stderr(&missing)
    );

    std::fs::remove_file(tmp.path().join("args")).ok();
    let bad = run(
        &[
            "render",
            "--set",
            "secrets.provider=bad",
            "--apply",
            "--kubectl",
            k.to_str().unwrap(),
        ],
        "",
    );
    expect_exit(&bad, 1, "");
    assert!(!tmp.path().join("args").exists(), "kubectl was not started");
}

#[test]
fn cluster_flags_without_apply_are_a_usage_error() {
    let out = run(&["render", "--example", "--context", "prod"], "");
    expect_exit(&out, 2, "");
    assert!(
        stderr(&out).contains("--context only applies with --apply"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty(), "nothing rendered");
}

/// `render --example --apply` with this kubectl and kubeconfig.
fn apply_example(kubectl: &Path, kubeconfig: &Path) -> std::process::Output {
    run(
        &[
            "render",
            "--example",
            "--apply",
            "--kubectl",
            kubectl.to_str().unwrap(),
            "--kubeconfig",
            kubeconfig.to_str().unwrap(),
        ],
        "",
    )
}

#[test]
#[cfg_attr(no_kubectl, ignore = "needs kubectl: run scripts/fetch-tools.sh")]
fn apply_with_the_real_kubectl_and_no_cluster_fails_cleanly() {
    let kubectl = tool("KUBECTL", "kubectl");
    let tmp = tempfile::tempdir().unwrap();
    let kubeconfig = tmp.path().join("kubeconfig");
    // A cluster address nothing listens on (loopback, port 9).
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: none\n  cluster:\n    server: https://127.0.0.1:9\ncontexts:\n- name: none\n  context:\n    cluster: none\n    user: none\nusers:\n- name: none\n  user: {}\ncurrent-context: none\n",
    )
    .unwrap();
    let out = apply_example(&kubectl, &kubeconfig);
    expect_exit(&out, 3, "");
    assert!(
        stderr(&out).contains("kubectl apply failed"),
        "{}",
        stderr(&out)
    );
}

/// kubectl's advice to turn its validation off names a kubectl flag `render --apply` does not
/// offer: it is left out (the real kubectl against the stand-in API server, serving no
/// OpenAPI schema (`no_openapi`), so kubectl's client-side validation fails with that advice).
#[test]
#[cfg_attr(
    any(no_kubectl, no_python3),
    ignore = "needs kubectl; python3: run scripts/fetch-tools.sh"
)]
fn apply_does_not_pass_on_advice_to_use_a_kubectl_flag() {
    use common::standin::{Cluster, StandIn};
    let kubectl = common::standin::kubectl();
    let s = StandIn::start(&Cluster::new(&["external.json"]).no_openapi());
    let out = apply_example(&kubectl, &s.kubeconfig());
    let err = stderr(&out);
    expect_exit(&out, 3, &err);
    // kubectl's own reason is shown ...
    assert!(err.contains("failed to download openapi"), "{err}");
    assert!(err.contains("kubectl apply failed"), "{err}");
    // ... without advice the user cannot follow through recif-secrets.
    assert!(!err.contains("--validate"), "{err}");
    s.assert_read_only();
}

#[test]
fn json_output_is_one_v1_list() {
    let out = run(
        &["render", "-f", "examples/external-vault.yaml", "-o", "json"],
        "",
    );
    assert!(out.status.success());
    let list: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(list["apiVersion"], "v1");
    assert_eq!(list["kind"], "List");
    let yaml = docs(&stdout(&run(
        &["render", "-f", "examples/external-vault.yaml"],
        "",
    )));
    assert_eq!(list["items"].as_array().unwrap(), &yaml);
}

#[test]
fn show_only_filters_and_lists_what_was_rendered() {
    let out = run(
        &[
            "render",
            "-f",
            "examples/inline.yaml",
            "--show-only",
            "secret/agent-env",
        ],
        "",
    );
    assert!(out.status.success());
    let d = docs(&stdout(&out));
    assert_eq!(d.len(), 2);
    assert!(d.iter().all(|d| d["metadata"]["name"] == "agent-env"));
    let out = run(
        &[
            "render",
            "-f",
            "examples/inline.yaml",
            "--show-only",
            "Secret/gcp-adc",
            "--show-only",
            "secret/recif-platform-gcp-sa",
        ],
        "",
    );
    assert_eq!(docs(&stdout(&out)).len(), 3);
    let bad = run(
        &[
            "render",
            "-f",
            "examples/inline.yaml",
            "--show-only",
            "secret/nope",
        ],
        "",
    );
    expect_exit(&bad, 1, "");
    assert!(bad.stdout.is_empty());
    assert!(
        stderr(&bad)
            .contains("rendered: secret/agent-env, secret/gcp-adc, secret/recif-platform-gcp-sa"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn init_writes_a_private_values_file_and_ignores_it() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run_in(tmp.path(), &["init"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    let path = tmp.path().join("values-secret.yaml");
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        std::fs::read_to_string(root().join("values-secret.yaml.example")).unwrap()
    );
    assert_eq!(
        std::fs::read_to_string(tmp.path().join(".gitignore")).unwrap(),
        "values-secret.yaml\n"
    );
    // Never overwrites; never lists it twice; keeps what .gitignore had.
    std::fs::write(&path, "mine").unwrap();
    std::fs::write(tmp.path().join(".gitignore"), "target").unwrap();
    let out = run_in(tmp.path(), &["init"], "");
    assert!(out.status.success());
    assert!(stderr(&out).contains("already exists"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "mine");
    assert_eq!(
        std::fs::read_to_string(tmp.path().join(".gitignore")).unwrap(),
        "target\nvalues-secret.yaml\n"
    );
    run_in(tmp.path(), &["init"], "");
    assert_eq!(
        std::fs::read_to_string(tmp.path().join(".gitignore")).unwrap(),
        "target\nvalues-secret.yaml\n"
    );
}

#[test]
#[cfg_attr(no_bash, ignore = "needs bash")]
fn completions_and_man_page() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = run(&["completions", shell], "");
        assert!(out.status.success(), "{shell}");
        assert!(stdout(&out).contains("show-only"), "{shell}");
    }
    let bash = tool("BASH", "bash");
    let status = std::process::Command::new(bash)
        .arg("-n")
        .arg("-c")
        .arg(stdout(&run(&["completions", "bash"], "")))
        .status()
        .expect("bash runs");
    assert!(status.success(), "the bash completion script parses");
    let man = stdout(&run(&["man"], ""));
    assert!(
        man.starts_with(".ie") || man.contains(".TH"),
        "{}",
        &man[..100.min(man.len())]
    );
    assert!(man.contains("recif\\-secrets"));
}

#[test]
fn a_new_nested_output_dir_in_a_git_work_tree_warns_too() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join(".git")).unwrap();
    // Neither `clusters` nor `clusters/prod` exists yet.
    let d = tmp.path().join("clusters/prod/recif-secrets");
    let out = run(
        &["render", "--example", "--output-dir", d.to_str().unwrap()],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("git work tree"), "{}", stderr(&out));
    assert!(d.join("kustomization.yaml").exists());
}
