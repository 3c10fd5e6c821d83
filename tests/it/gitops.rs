//! The GitOps recipes of examples/gitops, each run as its users run it: the Argo CD plugin the
//! way Argo CD's plugin server runs it (a tarred copy of the repository, `ARGOCD_APP_*` and
//! `ARGOCD_ENV_*` set, no shell), its sidecar patch built with the real `kubectl kustomize` on
//! Argo CD's install manifest (testdata/argocd), the CI recipe through actionlint with
//! shellcheck and its shell steps run with bash in a fresh git repository, and the Dockerfile's
//! static-binary check on real and patched ELF files. (The Flux and encrypted-folder scripts
//! are run in the distribution and encrypted_output modules.)

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;

fn yaml_file(rel: &str) -> serde_json::Value {
    serde_yaml::from_str(&std::fs::read_to_string(root().join(rel)).unwrap()).unwrap()
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn commit_all(repo: &Path) {
    assert!(git(repo, &["add", "-A"]).status.success());
    let o = git(repo, &["commit", "-qm", "change", "--allow-empty"]);
    assert!(o.status.success(), "{}", out_text(&o));
}

// ---- Argo CD: the plugin ----

/// The shipped plugin configuration (the `plugin.yaml` of cmp-plugin.yaml's ConfigMap).
fn plugin_config() -> serde_json::Value {
    let cm = yaml_file("examples/gitops/argocd/cmp-plugin.yaml");
    serde_yaml::from_str(cm["data"]["plugin.yaml"].as_str().unwrap()).unwrap()
}

/// Whether Argo CD hands an Application that names the plugin to it, by the rule of its
/// repo server (util/app/discovery/discovery.go, `cmpSupports` with a named plugin, v3.5): a
/// plugin without a discover rule is always used; with one, only when the rule matches the
/// application folder (else: "could not find cmp-server plugin with name ... supporting the
/// given repository").
fn argo_cd_uses_named_plugin(plugin: &serde_json::Value, app_dir: &Path) -> bool {
    let discover = &plugin["spec"]["discover"];
    if discover.is_null() {
        return true;
    }
    match discover["fileName"].as_str() {
        Some(name) if !name.contains(['*', '?', '[']) => app_dir.join(name).exists(),
        _ => panic!("a discover rule this test does not model: {discover}"),
    }
}

/// A git repository holding an application folder, run through the plugin as Argo CD does.
struct ArgoApp {
    tmp: tempfile::TempDir,
    tar: PathBuf,
    /// `spec.source.path` of the shipped Application.
    path: String,
    /// Its plugin environment, as `ARGOCD_ENV_<name>`.
    env: BTreeMap<String, String>,
}

impl ArgoApp {
    fn new(tar: PathBuf) -> ArgoApp {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("repo")).unwrap();
        assert!(git(&tmp.path().join("repo"), &["init", "-q"])
            .status
            .success());
        let app = yaml_file("examples/gitops/argocd/application.yaml");
        let source = &app["spec"]["source"];
        let path = source["path"].as_str().unwrap().to_string();
        let env = source["plugin"]["env"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    format!("ARGOCD_ENV_{}", e["name"].as_str().unwrap()),
                    e["value"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        ArgoApp {
            tmp,
            tar,
            path,
            env,
        }
    }

    fn repo(&self) -> PathBuf {
        self.tmp.path().join("repo")
    }

    /// Writes a file of the application folder.
    fn file(&self, name: &str, text: &str) {
        write(&self.repo().join(&self.path).join(name), text);
    }

    /// Commits, sends a tarred copy of the repository as the repo server does, and runs the
    /// plugin's `generate` command (no shell) in the application folder of the copy.
    fn generate(&self, env: &[(&str, Option<&str>)]) -> Output {
        commit_all(&self.repo());
        let work = tempfile::tempdir().unwrap();
        let archive = self.tmp.path().join("repo.tgz");
        let o = Command::new(&self.tar)
            .arg("-C")
            .arg(self.repo())
            .args(["--exclude=.git", "-czf"])
            .arg(&archive)
            .arg(".")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", out_text(&o));
        let o = Command::new(&self.tar)
            .arg("-xzf")
            .arg(&archive)
            .arg("-C")
            .arg(work.path())
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", out_text(&o));

        let command: Vec<String> = plugin_config()["spec"]["generate"]["command"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            command[0], "/usr/local/bin/recif-secrets",
            "the image's binary"
        );
        let mut cmd = Command::new(bin());
        cmd.args(&command[1..])
            .current_dir(work.path().join(&self.path))
            .env_clear()
            .env("HOSTNAME", "argocd-repo-server-7c9d")
            .env("ARGOCD_APP_NAME", "recif-secrets")
            .env("ARGOCD_APP_NAMESPACE", "argocd")
            .env("ARGOCD_APP_PROJECT_NAME", "default")
            .env(
                "ARGOCD_APP_REVISION",
                "0123456789abcdef0123456789abcdef01234567",
            )
            .env("ARGOCD_APP_REVISION_SHORT", "0123456")
            .env("ARGOCD_APP_SOURCE_PATH", &self.path)
            .env(
                "ARGOCD_APP_SOURCE_REPO_URL",
                "https://git.example.com/platform/recif-deploy.git",
            )
            .env("ARGOCD_APP_SOURCE_TARGET_REVISION", "main")
            .env("KUBE_VERSION", "1.35.0")
            .env("KUBE_API_VERSIONS", "v1,apps/v1,external-secrets.io/v1");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        for (k, v) in env {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        cmd.output().unwrap()
    }
}

/// A canary key: no piece of it (6 characters or more), nor of its base64, may be printed.
const CANARY: &str = "sk-live-Qm7Zr2Xw9Lp4";

fn assert_no_piece_of(text: &str, secret: &str) {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(secret);
    for s in [secret, b64.as_str()] {
        for w in s.as_bytes().windows(6) {
            let piece = std::str::from_utf8(w).unwrap();
            assert!(!text.contains(piece), "{piece:?} printed: {text}");
        }
    }
}

#[test]
#[cfg_attr(any(no_git, no_tar), ignore = "needs git; tar")]
fn argocd_generate_runs_as_the_plugin_server_runs_it_and_refuses_inline_keys() {
    let tar = tool("TAR", "tar");
    let plugin = plugin_config();
    // What Argo CD's plugin server checks at start (cmpserver/plugin/config.go,
    // ValidatePluginConfig): a discover rule is optional.
    assert_eq!(plugin["kind"], "ConfigManagementPlugin");
    assert_eq!(plugin["apiVersion"], "argoproj.io/v1alpha1");
    assert!(plugin["spec"]["generate"]["command"][0].is_string());
    assert!(plugin["spec"]["discover"].is_null(), "no discover rule");
    assert_eq!(
        yaml_file("examples/gitops/argocd/application.yaml")["spec"]["source"]["plugin"]["name"],
        format!(
            "{}-{}",
            plugin["metadata"]["name"].as_str().unwrap(),
            plugin["spec"]["version"].as_str().unwrap()
        )
        .as_str()
    );
    let app = ArgoApp::new(tar);
    assert_eq!(
        app.env["ARGOCD_ENV_RECIF_VALUES"], "values-recif.yaml values-prod.yaml",
        "the shipped Application"
    );
    app.file(
        "values-recif.yaml",
        "secrets:\n  provider: external\nnamespaces:\n  teams: [team-a]\n",
    );
    app.file(
        "values-prod.yaml",
        "namespaces:\n  teams: [team-a, team-b]\n",
    );
    let o = app.generate(&[]);
    assert!(o.status.success(), "{}", out_text(&o));
    assert_eq!(stderr(&o), "", "nothing to say for clean values");
    let ids = ids(&docs(&stdout(&o)));
    assert!(
        ids.contains(&"ExternalSecret/team-b/agent-env".to_string())
            && ids.iter().any(|i| i.contains("/recif-system/")),
        "{ids:?}"
    );
    assert!(!ids.iter().any(|i| i.starts_with("Secret/")), "{ids:?}");

    // Naming the plugin always works, whatever files RECIF_VALUES lists: here none is
    // values-recif.yaml (once the discovery file), and it does not even exist.
    let app_dir = app.repo().join(&app.path);
    std::fs::remove_file(app_dir.join("values-recif.yaml")).unwrap();
    app.file("base.yaml", "secrets:\n  provider: external\n");
    assert!(argo_cd_uses_named_plugin(&plugin, &app_dir));
    let o = app.generate(&[(
        "ARGOCD_ENV_RECIF_VALUES",
        Some("base.yaml values-prod.yaml"),
    )]);
    assert!(o.status.success(), "{}", out_text(&o));
    // The rule this replaces (discover.fileName: values-recif.yaml) rejected that Application.
    let mut old = plugin.clone();
    old["spec"]["discover"] = serde_json::json!({"fileName": "values-recif.yaml"});
    assert!(!argo_cd_uses_named_plugin(&old, &app_dir));
    app.file(
        "values-recif.yaml",
        "secrets:\n  provider: external\nnamespaces:\n  teams: [team-a]\n",
    );

    // Inline keys, from any file the plugin reads: refused with one line naming the file,
    // line, column and key, the reason and the ways out; nothing on stdout, no value.
    let key = format!("llm:\n  openaiApiKey: {CANARY}\n");
    let b64 = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .encode(format!("{{\"private_key\": \"{CANARY}\"}}"))
    };
    let cases: Vec<(&str, String, Option<&str>, &str)> = vec![
        // (file, content, RECIF_VALUES, expected location)
        (
            "values-recif.yaml",
            format!("secrets:\n  provider: external\n{key}"),
            None,
            "values-recif.yaml:4:17: llm.openaiApiKey",
        ),
        (
            "values-prod.yaml",
            format!("namespaces:\n  teams: [team-a]\nllm:\n  extraEnv:\n    TOKEN: {CANARY}\n"),
            None,
            "values-prod.yaml:5:12: llm.extraEnv.TOKEN",
        ),
        (
            "env/prod.yaml",
            format!("llm:\n  gcp:\n    serviceAccountKeyBase64: {b64}\n"),
            Some("values-recif.yaml env/prod.yaml"),
            "env/prod.yaml:3:30: llm.gcp.serviceAccountKeyBase64",
        ),
        // RECIF_VALUES unset: the default file.
        (
            "values-recif.yaml",
            format!("secrets:\n  provider: inline\n{key}"),
            Some(""),
            "values-recif.yaml:4:17: llm.openaiApiKey",
        ),
    ];
    for (file, content, values, location) in cases {
        let before = std::fs::read_to_string(app_dir.join(file)).ok();
        app.file(file, &content);
        let env: Vec<(&str, Option<&str>)> = match values {
            Some("") => vec![("ARGOCD_ENV_RECIF_VALUES", None)],
            Some(v) => vec![("ARGOCD_ENV_RECIF_VALUES", Some(v))],
            None => vec![],
        };
        let o = app.generate(&env);
        let err = stderr(&o);
        expect_exit(&o, 1, &format!("{file}: {}", out_text(&o)));
        assert!(o.stdout.is_empty(), "{file}: {}", out_text(&o));
        assert_eq!(err.lines().count(), 1, "{file}: one line: {err}");
        for needle in [
            location,
            "inline keys",
            "in Git in clear",
            "SOPS or Sealed Secrets",
            "secrets.provider external",
        ] {
            assert!(err.contains(needle), "{file}: {needle}: {err}");
        }
        assert_no_piece_of(&err, CANARY);
        match before {
            Some(text) => app.file(file, &text),
            None => std::fs::remove_file(app_dir.join(file)).unwrap(),
        }
    }
    // No key anywhere, yet a plain Secret: an inline agent-env left empty on purpose would
    // empty the cluster's.
    app.file(
        "values-recif.yaml",
        "secrets:\n  provider: inline\n  allowEmptyAgentEnv: true\n",
    );
    let o = app.generate(&[]);
    expect_exit(&o, 1, "");
    assert!(o.stdout.is_empty());
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("plain Secret (Secret team-a/agent-env)")
            && err.contains("SOPS or Sealed Secrets"),
        "{err}"
    );
}

// ---- Argo CD: the sidecar in the install manifest ----

const INSTALL: &str = "testdata/argocd/install.yaml";

/// The documented version of the install manifest kept as test data.
fn install_version() -> String {
    let readme = std::fs::read_to_string(root().join("testdata/argocd/README.md")).unwrap();
    let start = readme.find("release tag `").unwrap() + "release tag `".len();
    readme[start..].split('`').next().unwrap().to_string()
}

/// The argocd-repo-server Deployment of a kustomize build, and the plugin's ConfigMap.
fn built(kubectl: &Path, dir: &Path) -> (serde_json::Value, serde_json::Value) {
    let o = Command::new(kubectl)
        .arg("kustomize")
        .arg(dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", out_text(&o));
    let docs = docs(&stdout(&o));
    let find = |kind: &str, name: &str| {
        docs.iter()
            .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("{kind} {name} in the build"))
            .clone()
    };
    (
        find("Deployment", "argocd-repo-server"),
        find("ConfigMap", "recif-secrets-cmp"),
    )
}

fn copy(from: &str, to: &Path) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(root().join(from), to).unwrap();
}

#[test]
#[cfg_attr(no_kubectl, ignore = "needs kubectl: run scripts/fetch-tools.sh")]
fn sidecar_patch_works_in_the_one_file_install_and_in_an_overlay() {
    let kubectl = tool("KUBECTL", "kubectl");
    let tmp = tempfile::tempdir().unwrap();
    let version = install_version();

    // The shipped kustomization.yaml (Argo CD's documented one-file install), with its
    // remote install.yaml replaced by the same release kept as test data.
    let one = tmp.path().join("one");
    let shipped =
        std::fs::read_to_string(root().join("examples/gitops/argocd/kustomization.yaml")).unwrap();
    let url = format!(
        "https://raw.githubusercontent.com/argoproj/argo-cd/{version}/manifests/install.yaml"
    );
    assert!(
        shipped.contains(&format!("  - {url}\n")),
        "the kustomization's install.yaml is the release of the test data ({version})"
    );
    let k: serde_json::Value = serde_yaml::from_str(&shipped).unwrap();
    assert_eq!(k["namespace"], "argocd");
    assert_eq!(k["patches"][0]["path"], "sidecar-patch.yaml");
    write(
        &one.join("kustomization.yaml"),
        &shipped.replace(&url, "install.yaml"),
    );
    copy(INSTALL, &one.join("install.yaml"));
    for f in ["cmp-plugin.yaml", "sidecar-patch.yaml"] {
        copy(&format!("examples/gitops/argocd/{f}"), &one.join(f));
    }
    let (deploy, cm) = built(&kubectl, &one);
    assert_eq!(deploy["metadata"]["namespace"], "argocd");
    assert_eq!(cm["metadata"]["namespace"], "argocd");
    let pod = &deploy["spec"]["template"]["spec"];
    let containers: Vec<&str> = pod["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(
        containers.contains(&"argocd-repo-server") && containers.contains(&"recif-secrets"),
        "{containers:?}"
    );
    let volumes: Vec<&str> = pod["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    // The upstream volumes are kept (merged, not replaced) and every mount has its volume.
    for v in [
        "var-files",
        "plugins",
        "tmp",
        "recif-secrets-cmp",
        "cmp-tmp",
    ] {
        assert!(volumes.contains(&v), "{v}: {volumes:?}");
    }
    let sidecar = pod["containers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "recif-secrets")
        .unwrap();
    for m in sidecar["volumeMounts"].as_array().unwrap() {
        assert!(
            volumes.contains(&m["name"].as_str().unwrap()),
            "{m}: {volumes:?}"
        );
    }
    let plugin_mount = sidecar["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "recif-secrets-cmp")
        .unwrap();
    assert_eq!(
        plugin_mount["mountPath"],
        "/home/argocd/cmp-server/config/plugin.yaml"
    );
    assert!(cm["data"]["plugin.yaml"].is_string());
    assert_eq!(
        deploy["spec"]["template"]["metadata"]["annotations"]
            ["kubectl.kubernetes.io/default-container"],
        "argocd-repo-server"
    );

    // The overlay form: a base that already sets the namespace, the patch in an overlay.
    let base = tmp.path().join("base");
    copy(INSTALL, &base.join("install.yaml"));
    write(
        &base.join("kustomization.yaml"),
        "namespace: argocd\nresources:\n  - install.yaml\n",
    );
    let overlay = tmp.path().join("overlay");
    for f in ["cmp-plugin.yaml", "sidecar-patch.yaml"] {
        copy(&format!("examples/gitops/argocd/{f}"), &overlay.join(f));
    }
    write(
        &overlay.join("kustomization.yaml"),
        "resources:\n  - ../base\n  - cmp-plugin.yaml\npatches:\n  - path: sidecar-patch.yaml\n",
    );
    let (deploy2, cm2) = built(&kubectl, &overlay);
    assert_eq!(deploy2, deploy, "both forms build the same Deployment");
    assert_eq!(cm2, cm);
}

// ---- the CI recipe ----

const CI_RECIPE: &str = "examples/gitops/ci/render-and-check.yml";

#[test]
#[cfg_attr(
    any(no_actionlint, no_shellcheck),
    ignore = "needs actionlint; shellcheck: run scripts/fetch-tools.sh"
)]
fn ci_recipe_passes_actionlint_with_shellcheck() {
    let (actionlint, shellcheck) = (
        tool("ACTIONLINT", "actionlint"),
        tool("SHELLCHECK", "shellcheck"),
    );
    let lint = |file: &Path| {
        Command::new(&actionlint)
            .arg(format!("-shellcheck={}", shellcheck.display()))
            .arg(file)
            .output()
            .unwrap()
    };
    let o = lint(&root().join(CI_RECIPE));
    assert!(o.status.success(), "{}", out_text(&o));
    // shellcheck does run on the steps: an unquoted variable is reported.
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.yml");
    let text = std::fs::read_to_string(root().join(CI_RECIPE)).unwrap();
    let seeded = text.replace(
        "-f \"deploy/values-$env.yaml\"\n          done",
        "-f deploy/values-$env.yaml\n          done",
    );
    assert_ne!(seeded, text);
    std::fs::write(&bad, seeded).unwrap();
    let o = lint(&bad);
    assert!(
        !o.status.success() && stdout(&o).contains("SC2086"),
        "{}",
        out_text(&o)
    );
}

/// The recipe's steps and environment.
struct Workflow {
    env: BTreeMap<String, String>,
    steps: Vec<serde_json::Value>,
}

impl Workflow {
    fn load() -> Workflow {
        let w = yaml_file(CI_RECIPE);
        let env = w["env"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
            .collect();
        let steps = w["jobs"]["render"]["steps"].as_array().unwrap().clone();
        Workflow { env, steps }
    }

    fn script(&self, name: &str) -> String {
        self.steps
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("step {name}"))["run"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Runs a step's script as GitHub Actions does (`bash --noprofile --norc -eo pipefail`),
    /// in `dir`, with the workflow's environment and `env` over it.
    fn run(&self, bash: &Path, name: &str, dir: &Path, path: &str, env: &[(&str, &str)]) -> Output {
        let file: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let script = dir.join(format!("../step-{file}.sh"));
        std::fs::write(&script, self.script(name)).unwrap();
        let mut cmd = Command::new(bash);
        cmd.args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&script)
            .current_dir(dir)
            .env("PATH", path)
            .env("RUNNER_TEMP", dir.join("../runner-temp"))
            .envs(&self.env);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }
}

#[test]
#[cfg_attr(any(no_git, no_bash), ignore = "needs git; bash")]
fn ci_recipe_installs_from_a_commit_the_user_pins() {
    let bash = tool("BASH", "bash");
    let w = Workflow::load();
    let text = std::fs::read_to_string(root().join(CI_RECIPE)).unwrap();
    assert!(!text.contains("--tag"), "no tag exists to install from");
    assert!(text.contains("# EDIT"), "what to edit is marked");
    assert_eq!(w.env["RECIF_SECRETS_REV"], "", "the user sets the pin");
    for s in &w.steps {
        if let Some(run) = s["run"].as_str() {
            assert!(!run.contains("${{"), "no expression inside a script: {run}");
        }
    }
    // A cargo that checks its arguments and that the commit exists where --git points.
    let tmp = tempfile::tempdir().unwrap();
    let fake = tmp.path().join("fake");
    let work = tmp.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    write(
        &fake.join("cargo"),
        &format!(
            r#"#!/bin/sh
set -eu
[ "$1 $2 $3" = "install --locked --git" ] && [ "$5" = --rev ] && [ "$7" = recif-secrets ] || {{ echo "cargo: unexpected arguments: $*" >&2; exit 2; }}
git clone -q --bare "$4" '{src}' && git -C '{src}' cat-file -e "$6^{{commit}}"
git -C '{src}' show "$6:Cargo.toml" | grep -qx 'name = "recif-secrets"'
echo installed > '{mark}'
"#,
            src = tmp.path().join("src").display(),
            mark = tmp.path().join("installed").display()
        ),
    );
    std::fs::set_permissions(
        fake.join("cargo"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let path = path_with_bin(&[&fake]);
    let name = "install recif-secrets";
    // As shipped: stops with what to edit, before any build.
    let o = w.run(&bash, name, &work, &path, &[]);
    expect_exit(&o, 1, "");
    assert!(
        stdout(&o).contains("::error::set RECIF_SECRETS_REV"),
        "{}",
        out_text(&o)
    );
    assert!(!tmp.path().join("installed").exists());
    let o = w.run(
        &bash,
        name,
        &work,
        &path,
        &[("RECIF_SECRETS_REV", "main; rm -rf /")],
    );
    expect_exit(&o, 1, "");
    // Pinned to a commit of this repository: cargo gets it, and the commit exists.
    let head = stdout(&git(&root(), &["rev-parse", "HEAD"]));
    let o = w.run(
        &bash,
        name,
        &work,
        &path,
        &[
            ("RECIF_SECRETS_GIT", root().to_str().unwrap()),
            ("RECIF_SECRETS_REV", head.trim()),
        ],
    );
    assert!(o.status.success(), "{}", out_text(&o));
    assert!(tmp.path().join("installed").exists());
}

/// The `To fix it` commands printed by a failed compare step.
fn fix_commands(o: &Output) -> Vec<String> {
    stdout(o)
        .lines()
        .filter_map(|l| l.strip_prefix("  recif-secrets render "))
        .map(|l| format!("recif-secrets render {l}"))
        .collect()
}

#[test]
#[cfg_attr(
    any(no_kubectl, no_git, no_bash, no_sh),
    ignore = "needs kubectl; git; bash; sh: run scripts/fetch-tools.sh"
)]
fn ci_recipe_checks_every_environment_and_its_fix_command_works() {
    let (bash, kubectl, sh) = (
        tool("BASH", "bash"),
        tool("KUBECTL", "kubectl"),
        tool("SH", "sh"),
    );
    let w = Workflow::load();
    let envs: Vec<&str> = w.env["RECIF_ENVIRONMENTS"].split_whitespace().collect();
    assert_eq!(envs, ["staging", "prod"]);
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    assert!(git(&repo, &["init", "-q"]).status.success());
    copy(CI_RECIPE, &repo.join(".github/workflows/recif-secrets.yml"));
    write(
        &repo.join("deploy/values.yaml"),
        "secrets:\n  provider: external\n",
    );
    write(
        &repo.join("deploy/values-staging.yaml"),
        "namespaces:\n  teams: [team-s]\n",
    );
    write(
        &repo.join("deploy/values-prod.yaml"),
        "namespaces:\n  teams: [team-p]\n",
    );
    commit_all(&repo);
    let path = path_with_bin(&[kubectl.parent().unwrap()]);
    let step = |name: &str| w.run(&bash, name, &repo, &path, &[]);
    let compare = "render, build and compare with the committed folders";
    // A fresh clone of the user's repository: what CI checks out.
    let reset = || {
        assert!(git(&repo, &["checkout", "-q", "--", "."]).status.success());
        assert!(git(&repo, &["clean", "-qfd"]).status.success());
    };
    // Runs the printed fix commands in the user's clone, then commits.
    let fix = |o: &Output| {
        let commands = fix_commands(o);
        assert!(!commands.is_empty(), "{}", out_text(o));
        reset();
        for c in &commands {
            let r = Command::new(&sh)
                .args(["-c", c])
                .current_dir(&repo)
                .env("PATH", &path)
                .output()
                .unwrap();
            assert!(r.status.success(), "{c}: {}", out_text(&r));
        }
        assert!(git(&repo, &["commit", "-qm", "render"]).status.success());
        commands
    };

    let o = step("validate");
    assert!(o.status.success(), "{}", out_text(&o));
    // Nothing rendered yet: both environments fail, each with its own fix.
    let o = step(compare);
    expect_exit(&o, 1, "");
    let commands = fix(&o);
    assert_eq!(commands.len(), 2, "{commands:?}");
    reset();
    let o = step(compare);
    assert!(o.status.success(), "{}", out_text(&o));
    for env in &envs {
        let dir = repo.join(format!("clusters/{env}/recif-secrets"));
        assert!(dir.join("kustomization.yaml").is_file(), "{env}");
    }

    // A change to staging only: staging fails, prod does not; the fix stages new files.
    write(
        &repo.join("deploy/values-staging.yaml"),
        "namespaces:\n  teams: [team-s, team-s2]\n",
    );
    commit_all(&repo);
    reset();
    let o = step(compare);
    expect_exit(&o, 1, "");
    let out = stdout(&o);
    let errors: Vec<&str> = out.lines().filter(|l| l.starts_with("::error::")).collect();
    assert_eq!(errors.len(), 1, "{}", out_text(&o));
    assert!(errors[0].contains("clusters/staging/recif-secrets"));
    assert_eq!(fix(&o).len(), 1);
    reset();
    assert!(step(compare).status.success());
    // Removing a team: deleted files count too, and the fix stages the deletion.
    write(
        &repo.join("deploy/values-staging.yaml"),
        "namespaces:\n  teams: [team-s]\n",
    );
    commit_all(&repo);
    reset();
    let o = step(compare);
    expect_exit(&o, 1, "");
    fix(&o);
    reset();
    let o = step(compare);
    assert!(o.status.success(), "{}", out_text(&o));
    assert_eq!(stdout(&git(&repo, &["status", "--porcelain"])), "");

    // Invalid values in one environment fail the validate step, located.
    write(
        &repo.join("deploy/values-staging.yaml"),
        "secrets:\n  external:\n    storeKind: Store\n",
    );
    let o = step("validate");
    expect_exit(&o, 1, "");
    assert!(
        stderr(&o).contains("deploy/values-staging.yaml:3:16"),
        "{}",
        out_text(&o)
    );
}

// ---- the Dockerfile's static-binary check ----

/// Runs scripts/check-static.sh with a PATH holding only what it may use (od and tr, from
/// coreutils, as in the slim build image): no `file`, no readelf.
fn check_static(sh: &Path, tools: &Path, file: &Path) -> Output {
    Command::new(sh)
        .arg(root().join("scripts/check-static.sh"))
        .arg(file)
        .env_clear()
        .env("PATH", tools)
        .output()
        .unwrap()
}

/// The byte offset of the PT_INTERP program header's p_type in a 64-bit little-endian ELF.
fn pt_interp_offset(elf: &[u8]) -> Option<usize> {
    let u = |off: usize, len: usize| {
        elf[off..off + len]
            .iter()
            .rev()
            .fold(0usize, |acc, b| (acc << 8) | *b as usize)
    };
    let (phoff, size, count) = (u(32, 8), u(54, 2), u(56, 2));
    (0..count)
        .map(|i| phoff + i * size)
        .find(|&off| u(off, 4) == 3)
}

#[test]
#[cfg_attr(
    any(no_kubectl, no_sh, no_od, no_tr),
    ignore = "needs kubectl; sh; od; tr: run scripts/fetch-tools.sh"
)]
fn static_check_reads_the_elf_header_and_fails_on_a_dynamic_binary() {
    let (sh, od, tr, kubectl) = (
        tool("SH", "sh"),
        tool("OD", "od"),
        tool("TR", "tr"),
        tool("KUBECTL", "kubectl"),
    );
    let tmp = tempfile::tempdir().unwrap();
    let tools = tmp.path().join("tools");
    std::fs::create_dir(&tools).unwrap();
    std::os::unix::fs::symlink(&od, tools.join("od")).unwrap();
    std::os::unix::fs::symlink(&tr, tools.join("tr")).unwrap();

    // The test build of recif-secrets is dynamically linked: refused, with the reason.
    let dynamic = std::fs::read(bin()).unwrap();
    let o = check_static(&sh, &tools, &bin());
    expect_exit(&o, 1, "");
    assert!(
        stderr(&o).contains("dynamically linked") && stderr(&o).contains("PT_INTERP"),
        "{}",
        out_text(&o)
    );
    // The same bytes with the PT_INTERP header turned into PT_NULL pass: that header alone
    // decides.
    let at = pt_interp_offset(&dynamic).expect("a PT_INTERP header");
    let mut patched = dynamic.clone();
    patched[at..at + 4].copy_from_slice(&0u32.to_le_bytes());
    let file = tmp.path().join("patched");
    std::fs::write(&file, &patched).unwrap();
    let o = check_static(&sh, &tools, &file);
    assert!(o.status.success(), "{}", out_text(&o));
    // A real static binary (kubectl, a Go program) passes.
    let o = check_static(&sh, &tools, &kubectl);
    assert!(o.status.success(), "{}", out_text(&o));
    // Not an ELF file, a truncated one, a missing one: refused.
    let truncated = tmp.path().join("truncated");
    std::fs::write(&truncated, &dynamic[..40]).unwrap();
    let text = root().join("README.md");
    let missing = tmp.path().join("missing");
    for (f, why) in [
        (&text, "not a 64-bit little-endian ELF"),
        (&truncated, "truncated"),
        (&missing, "not a readable file"),
    ] {
        let o = check_static(&sh, &tools, f);
        expect_exit(&o, 1, "");
        assert!(stderr(&o).contains(why), "{why}: {}", out_text(&o));
    }

    // The image build and build-dist.sh run it; neither relies on `file`.
    let dockerfile = std::fs::read_to_string(root().join("Dockerfile")).unwrap();
    assert!(dockerfile.contains("sh scripts/check-static.sh /out/recif-secrets"));
    let dist = std::fs::read_to_string(root().join("scripts/build-dist.sh")).unwrap();
    assert!(dist.contains("scripts/check-static.sh \"$bin\""));
    for text in [&dockerfile, &dist] {
        assert!(
            !text
                .lines()
                .filter(|l| !l.trim_start().starts_with('#'))
                .any(|l| l.split_whitespace().any(|w| w == "file")),
            "no `file` command"
        );
    }
}
