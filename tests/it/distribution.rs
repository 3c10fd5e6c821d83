//! Shipping and everyday polish, each checked with the real tool: bash/zsh/fish completion,
//! man pages through groff, the built-in templates, the values reference, the Dockerfile
//! (hadolint), every workflow (actionlint), the Helm plugin (helm v4), the pre-commit hook
//! (pre-commit), the Argo CD generate step and the Flux script.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;

// ---- completion ----

/// Runs the bash completion function for `words` (the last one being completed).
fn bash_complete(bash: &Path, script: &Path, words: &[&str]) -> Vec<String> {
    let words_q: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let prog = format!(
        r#"source '{}'
spec="$(complete -p recif-secrets)" || exit 9
fn="$(printf '%s\n' "$spec" | sed -n 's/.*-F \([^ ]*\).*/\1/p')"
COMP_WORDS=({})
COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
COMP_LINE="${{COMP_WORDS[*]}}"
COMP_POINT=${{#COMP_LINE}}
"$fn" recif-secrets "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\n' "${{COMPREPLY[@]}}"
"#,
        script.display(),
        words_q.join(" ")
    );
    let o = Command::new(bash)
        .args(["--norc", "--noprofile", "-c", &prog])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", out_text(&o));
    stdout(&o).lines().map(str::to_string).collect()
}

#[test]
#[cfg_attr(no_bash, ignore = "needs bash")]
fn bash_completion_offers_subcommands_and_flags() {
    let bash = tool("BASH", "bash");
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("recif-secrets.bash");
    let o = run(&["completions", "bash"], "");
    assert!(o.status.success());
    std::fs::write(&script, &o.stdout).unwrap();

    let top = bash_complete(&bash, &script, &["recif-secrets", "ren"]);
    assert_eq!(top, ["render"]);
    // clap-rs/clap#6421: nothing was offered after `render --`.
    let render = bash_complete(&bash, &script, &["recif-secrets", "render", "--"]);
    for flag in [
        "--values",
        "--set-file",
        "--output-dir",
        "--apply",
        "--show-only",
    ] {
        assert!(render.iter().any(|f| f == flag), "{flag} in {render:?}");
    }
    let values = bash_complete(&bash, &script, &["recif-secrets", "values", "--re"]);
    assert!(
        values.contains(&"--reveal".to_string()) && values.contains(&"--reference".to_string()),
        "{values:?}"
    );
    let man = bash_complete(&bash, &script, &["recif-secrets", "man", "--"]);
    assert!(man.contains(&"--dir".to_string()), "{man:?}");
}

#[test]
#[cfg_attr(
    any(no_zsh, no_fish),
    ignore = "needs zsh; fish: run scripts/fetch-tools.sh"
)]
fn zsh_and_fish_completions_parse() {
    for (shell, var) in [("zsh", "ZSH"), ("fish", "FISH")] {
        let exe = tool(var, shell);
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join(format!("completion.{shell}"));
        std::fs::write(&script, run(&["completions", shell], "").stdout).unwrap();
        let o = Command::new(exe).arg("-n").arg(&script).output().unwrap();
        assert!(o.status.success(), "{shell} -n: {}", out_text(&o));
    }
}

// ---- man pages, templates, values reference ----

#[test]
#[cfg_attr(no_groff, ignore = "needs groff: run scripts/fetch-tools.sh")]
fn man_pages_one_per_subcommand_render_cleanly_with_groff() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(&["man", "--dir", dir.path().to_str().unwrap()], "");
    assert!(o.status.success(), "{}", out_text(&o));
    let mut files: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    for sub in [
        "render",
        "values",
        "validate",
        "schema",
        "init",
        "man",
        "templates",
    ] {
        assert!(
            files.contains(&format!("recif-secrets-{sub}.1")),
            "{sub}: {files:?}"
        );
    }
    assert!(files.contains(&"recif-secrets.1".to_string()));
    // The page of one subcommand on stdout is the file's content.
    let render = run(&["man", "render"], "");
    assert_eq!(
        stdout(&render),
        std::fs::read_to_string(dir.path().join("recif-secrets-render.1")).unwrap()
    );
    expect_exit(&run(&["man", "nope"], ""), 2, "");

    let groff = tool("GROFF", "groff");
    for f in &files {
        let o = Command::new(&groff)
            .args(["-man", "-Tutf8", "-ww", "-P-cbou", "-rLL=300n"])
            .arg(dir.path().join(f))
            .output()
            .unwrap();
        assert!(
            o.status.success() && o.stderr.is_empty(),
            "{f}: {}",
            out_text(&o)
        );
        let text = stdout(&o).replace(['\u{2010}', '\u{2212}'], "-");
        assert!(text.contains("EXIT STATUS"), "{f}");
        if f == "recif-secrets.1" {
            assert!(text.contains("Récif"), "{text}");
        }
        // Every page it refers to exists.
        for word in text.split(|c: char| c.is_whitespace() || c == ',') {
            if let Some(name) = word.strip_suffix("(1)") {
                if name.starts_with("recif-secrets") {
                    assert!(files.contains(&format!("{name}.1")), "{f} refers to {word}");
                }
            }
        }
    }
    let render = String::from_utf8_lossy(
        &Command::new(&groff)
            .args(["-man", "-Tutf8", "-P-cbou", "-rLL=300n"])
            .arg(dir.path().join("recif-secrets-render.1"))
            .output()
            .unwrap()
            .stdout,
    )
    .replace(['\u{2010}', '\u{2212}'], "-");
    for needle in [
        "secrets.external.storeKind",
        "workloadIdentity.llmKeys",
        "--output-dir",
    ] {
        assert!(render.contains(needle), "{needle}");
    }
}

#[test]
fn built_in_templates_print_and_copy_into_a_working_override() {
    let list = stdout(&run(&["templates"], ""));
    assert!(list.lines().any(|l| l == "secrets.yaml"), "{list}");
    assert_eq!(
        stdout(&run(&["templates", "secrets.yaml"], "")),
        std::fs::read_to_string(root().join("templates/secrets.yaml")).unwrap()
    );
    expect_exit(&run(&["templates", "nope.yaml"], ""), 2, "");

    let dir = tempfile::tempdir().unwrap();
    let tdir = dir.path().join("tpl");
    let t = tdir.to_str().unwrap();
    let o = run(&["templates", "--dir", t], "");
    assert!(o.status.success(), "{}", out_text(&o));
    for name in list.lines() {
        assert!(tdir.join(name).is_file(), "{name}");
    }
    // A copied set renders exactly what the built-in one does, for every example, with and
    // without Namespaces. The copies are overrides, always compiled and rendered; the
    // built-in ones are skipped when their guard is false (src/render/guard.rs): this is
    // what shows the skip changes nothing, each guard being true in some example and false
    // in others (checked below from the kinds each renders).
    let mut cases = vec![vec!["--example".to_string()]];
    for entry in std::fs::read_dir(root().join("examples")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            cases.push(vec!["-f".to_string(), path.display().to_string()]);
        }
    }
    assert!(cases.len() > 20, "{cases:?}");
    let mut kinds_per_case = Vec::new();
    for case in cases {
        for create in ["namespaces.create=false", "namespaces.create=true"] {
            let mut args: Vec<&str> = case.iter().map(String::as_str).collect();
            args.extend(["--set", create]);
            let builtin = run(&[&["render"][..], &args].concat(), "");
            expect_exit(&builtin, 0, "");
            let copied = run(&[&["render"][..], &args, &["--templates", t]].concat(), "");
            expect_exit(&copied, 0, "");
            assert_eq!(stdout(&builtin), stdout(&copied), "{args:?}");
            kinds_per_case.push(
                stdout(&builtin)
                    .lines()
                    .filter_map(|l| l.strip_prefix("kind: "))
                    .map(str::to_string)
                    .collect::<std::collections::BTreeSet<String>>(),
            );
        }
    }
    // The kinds of the templates with a guard (templates/*.yaml).
    for (template, kinds) in [
        (
            "secretstore.yaml",
            &["ClusterSecretStore", "SecretStore"][..],
        ),
        ("serviceaccounts.yaml", &["ServiceAccount"]),
        ("externalsecrets.yaml", &["ExternalSecret"]),
        (
            "bindings.yaml",
            &[
                "IAMServiceAccount",
                "IAMPolicyMember",
                "PodIdentityAssociation",
                "Role",
                "UserAssignedIdentity",
                "FederatedIdentityCredential",
            ],
        ),
    ] {
        let renders = |k: &std::collections::BTreeSet<String>| kinds.iter().any(|x| k.contains(*x));
        assert!(
            kinds_per_case.iter().any(renders),
            "{template}: never rendered"
        );
        assert!(
            !kinds_per_case.iter().all(renders),
            "{template}: never skipped"
        );
    }
    // Never overwrites: the edited file is kept, exit 3.
    std::fs::write(tdir.join("secrets.yaml"), "{# mine #}\n").unwrap();
    let again = run(&["templates", "--dir", t], "");
    expect_exit(&again, 3, "");
    assert_eq!(
        std::fs::read_to_string(tdir.join("secrets.yaml")).unwrap(),
        "{# mine #}\n"
    );
}

#[test]
fn the_values_reference_in_the_repository_is_current() {
    let generated = stdout(&run(&["values", "--reference"], ""));
    let path = root().join("docs/values.md");
    if std::env::var("UPDATE_SNAPSHOTS").is_ok() {
        std::fs::write(&path, &generated).unwrap();
    }
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        generated,
        "docs/values.md is stale: UPDATE_SNAPSHOTS=1 cargo test --test it distribution::"
    );
    for key in [
        "secrets.provider",
        "secrets.external.keys.gcpServiceAccountProperty",
        "llm.gcp.serviceAccountKeyBase64",
        "namespaces.create",
        "workloadIdentity.serviceAccounts",
    ] {
        assert!(generated.contains(&format!("| `{key}` |")), "{key}");
    }
}

/// docs/cli.md is what the clap definitions give (UPDATE_SNAPSHOTS=1 rewrites it).
#[test]
fn cli_reference_is_current() {
    let generated = stdout(&run(&["man", "--markdown"], ""));
    let path = root().join("docs/cli.md");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/cli.md is stale: UPDATE_SNAPSHOTS=1 cargo test --test it distribution::cli_reference"
    );
    for flag in [
        "--output-dir",
        "--layers",
        "--sops-age",
        "--against",
        "--show-only",
    ] {
        assert!(generated.contains(flag), "{flag}");
    }
}

/// Users have only the repository (and the binary): nothing they read may send them to a
/// folder beside the repository or to a SPEC they do not have.
#[test]
fn user_facing_text_does_not_point_outside_the_repository() {
    let mut texts: Vec<(String, String)> = Vec::new();
    for args in [
        vec!["values", "--defaults"],
        vec!["values", "--reference"],
        vec!["--help"],
        vec!["render", "--help"],
        vec![
            "templates",
            "secretstore.yaml",
            "serviceaccounts.yaml",
            "secrets.yaml",
            "externalsecrets.yaml",
            "namespaces.yaml",
        ],
        vec!["man"],
        vec!["man", "render"],
    ] {
        texts.push((args.join(" "), stdout(&run(&args, ""))));
    }
    let mut files: Vec<String> = [
        "README.md",
        "CONTRIBUTING.md",
        "plugin.yaml",
        "Dockerfile",
        ".pre-commit-hooks.yaml",
        "values-secret.yaml.example",
        ".ci/run",
        "scripts/fetch-tools.sh",
        "scripts/check-manifests.py",
        "scripts/extract-store-schemas.py",
        "testdata/README.md",
        "testdata/crds/README.md",
        "testdata/helm-values/README.md",
        "testdata/eso-stores/README.md",
    ]
    .map(String::from)
    .to_vec();
    for e in std::fs::read_dir(root().join("docs")).unwrap() {
        files.push(format!("docs/{}", e.unwrap().file_name().to_string_lossy()));
    }
    // The source's comments, the templates and the examples: read by whoever opens them.
    for dir in ["src", "templates", "examples"] {
        files.extend(files_below(&root(), dir));
    }
    for f in files {
        texts.push((
            f.to_string(),
            std::fs::read_to_string(root().join(&f)).unwrap(),
        ));
    }
    for (what, text) in texts {
        assert!(text.len() > 20, "{what}");
        // The folder beside the repository that the project's data was once copied from, and
        // the variable that pointed at it (spelled in pieces, so this test names neither).
        let beside = ["..", "/sha", "red"].concat();
        let variable = ["RECIF_", "SHARED"].concat();
        for bad in [
            beside.as_str(),
            variable.as_str(),
            "SPEC.md",
            "SPEC section",
            "(SPEC ",
            "the guide",
            "the spec is",
            "in the spec",
            "The guide",
        ] {
            assert!(!text.contains(bad), "{what} mentions {bad}");
        }
        // "SPEC 6", "SPEC 4.2": sections of a document users do not have.
        let numbered = text
            .match_indices("SPEC ")
            .any(|(i, _)| text[i + 5..].starts_with(|c: char| c.is_ascii_digit()));
        assert!(!numbered, "{what} cites a SPEC section");
    }
}

/// The files below `root/dir`, as paths relative to `root`, sorted.
fn files_below(root: &Path, dir: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![root.join(dir)];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                let rel = path.strip_prefix(root).unwrap();
                out.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

// ---- example files and the git warning ----

#[test]
#[cfg_attr(no_git, ignore = "needs git")]
fn example_files_do_not_trigger_the_rotate_the_keys_warning_but_copies_with_real_keys_do() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(git(d, &["init", "-q"]).status.success(), "git init");
    let example = std::fs::read_to_string(root().join("examples/inline.yaml")).unwrap();
    let real = example.replace("sk-proj-example-openai-key", "sk-proj-R3aLk3y");
    std::fs::write(d.join("values-example.yaml"), &example).unwrap();
    std::fs::write(d.join("values-real.yaml"), &real).unwrap();
    assert!(git(d, &["add", "."]).status.success());
    assert!(git(d, &["commit", "-qm", "x"]).status.success());
    for (file, warned) in [("values-example.yaml", false), ("values-real.yaml", true)] {
        let o = run_in(d, &["render", "-f", file], "");
        assert!(o.status.success(), "{}", out_text(&o));
        assert_eq!(
            stderr(&o).contains("tracked by git"),
            warned,
            "{file}: {}",
            out_text(&o)
        );
    }
    // The repository's own examples, tracked by its git, are quiet.
    for f in std::fs::read_dir(root().join("examples")).unwrap() {
        let f = f.unwrap().path();
        if f.extension().is_some_and(|e| e == "yaml") {
            let o = run(&["render", "-f", f.to_str().unwrap()], "");
            assert!(!stderr(&o).contains("tracked by git"), "{}", f.display());
        }
    }
}

// ---- Dockerfile, workflows ----

#[test]
#[cfg_attr(no_hadolint, ignore = "needs hadolint: run scripts/fetch-tools.sh")]
fn dockerfile_passes_hadolint_and_ships_the_static_binary_as_non_root() {
    let text = std::fs::read_to_string(root().join("Dockerfile")).unwrap();
    let last_from = text.lines().rfind(|l| l.starts_with("FROM ")).unwrap();
    assert_eq!(last_from, "FROM scratch");
    assert!(text.contains("scripts/build-dist.sh"));
    let user = text.lines().rfind(|l| l.starts_with("USER ")).unwrap();
    assert!(!user.contains("root") && !user.contains(" 0"), "{user}");
    let hadolint = tool("HADOLINT", "hadolint");
    let o = Command::new(hadolint)
        .arg(root().join("Dockerfile"))
        .output()
        .unwrap();
    assert!(
        o.status.success() && o.stdout.is_empty(),
        "{}",
        out_text(&o)
    );
}

/// Every GitHub Actions workflow of the repository (examples included).
fn workflows() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in [".github/workflows", "examples/gitops/ci"] {
        let Ok(entries) = std::fs::read_dir(root().join(dir)) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "yml" || x == "yaml") {
                out.push(p);
            }
        }
    }
    out
}

#[test]
#[cfg_attr(no_actionlint, ignore = "needs actionlint: run scripts/fetch-tools.sh")]
fn every_workflow_passes_actionlint() {
    let files = workflows();
    assert!(!files.is_empty());
    let actionlint = tool("ACTIONLINT", "actionlint");
    for f in files {
        let o = Command::new(&actionlint).arg(&f).output().unwrap();
        assert!(o.status.success(), "{}: {}", f.display(), out_text(&o));
    }
}

// ---- Helm plugin ----

#[test]
#[cfg_attr(no_helm, ignore = "needs helm: run scripts/fetch-tools.sh")]
fn helm_plugin_installs_from_the_folder_and_honours_namespace_and_kube_context() {
    let helm = tool("HELM", "helm");
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    // A kubectl that records its arguments and swallows the stream.
    let fake = t.join("fake");
    std::fs::create_dir(&fake).unwrap();
    let kubectl = fake.join("kubectl");
    std::fs::write(
        &kubectl,
        format!(
            "#!/bin/sh\necho \"$@\" >> '{}'\ncat > /dev/null\n",
            t.join("kubectl-args").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        &kubectl,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let helm_cmd = |args: &[&str]| {
        Command::new(&helm)
            .args(args)
            .env("HELM_DATA_HOME", t.join("data"))
            .env("HELM_CONFIG_HOME", t.join("config"))
            .env("HELM_CACHE_HOME", t.join("cache"))
            .env("HELM_PLUGINS", t.join("data/plugins"))
            .env("KUBECONFIG", t.join("no-kubeconfig"))
            .env_remove("HELM_NAMESPACE")
            .env_remove("HELM_KUBECONTEXT")
            .env("PATH", path_with_bin(&[&fake]))
            .current_dir(root())
            .output()
            .unwrap()
    };
    // A local folder installs without --verify=false (helm v4 verifies only downloads).
    let o = helm_cmd(&["plugin", "install", root().to_str().unwrap()]);
    assert!(o.status.success(), "{}", out_text(&o));
    let o = helm_cmd(&["plugin", "list"]);
    assert!(stdout(&o).contains("recif-secrets"), "{}", out_text(&o));

    let platform_ns = |o: &Output| -> String {
        let docs = docs(&stdout(o));
        docs.iter()
            .find(|d| d["metadata"]["name"] == "recif-platform-gcp-sa")
            .map(|d| d["metadata"]["namespace"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("{}", out_text(o)))
    };
    let o = helm_cmd(&["recif-secrets", "render", "--example", "-n", "platform-x"]);
    assert!(o.status.success(), "{}", out_text(&o));
    assert_eq!(platform_ns(&o), "platform-x");
    assert!(!stderr(&o).contains("no -n given"), "{}", out_text(&o));
    let o = helm_cmd(&["-n", "platform-x", "recif-secrets", "render", "--example"]);
    assert_eq!(platform_ns(&o), "platform-x");
    assert!(!stderr(&o).contains("no -n given"), "{}", out_text(&o));
    // As with helm itself, without -n the namespace is helm's (here: default), and the
    // plugin says so, with the value used.
    let o = helm_cmd(&["recif-secrets", "render", "--example"]);
    assert_eq!(platform_ns(&o), "default");
    assert!(
        stderr(&o).contains("no -n given: the platform namespace is \"default\", helm's default"),
        "{}",
        out_text(&o)
    );
    // ... or the kube context's namespace.
    std::fs::write(
        t.join("no-kubeconfig"),
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: 'https://127.0.0.1:9'}\nusers:\n- name: u\n  user: {}\ncontexts:\n- name: x\n  context: {cluster: c, user: u, namespace: ctx-ns}\ncurrent-context: x\n",
    )
    .unwrap();
    let o = helm_cmd(&["recif-secrets", "validate", "--example"]);
    assert!(o.status.success(), "{}", out_text(&o));
    assert!(
        stderr(&o).contains("the platform namespace is \"ctx-ns\""),
        "{}",
        out_text(&o)
    );
    let o = helm_cmd(&["recif-secrets", "render", "--example"]);
    assert_eq!(platform_ns(&o), "ctx-ns");
    std::fs::remove_file(t.join("no-kubeconfig")).unwrap();
    let o = helm_cmd(&[
        "recif-secrets",
        "validate",
        "--example",
        "--namespace",
        "Bad_NS",
    ]);
    expect_exit(&o, 1, "");

    let o = helm_cmd(&[
        "recif-secrets",
        "render",
        "--example",
        "--apply",
        "--kube-context",
        "ctx-1",
        "-n",
        "platform-y",
    ]);
    assert!(o.status.success(), "{}", out_text(&o));
    let args = std::fs::read_to_string(t.join("kubectl-args")).unwrap();
    assert!(args.contains("--context=ctx-1"), "{args}");
    // Every connection setting helm hands a plugin reaches every kubectl call of every
    // command that talks to a cluster (issue 20), and -n reaches diff and doctor.
    let connection = [
        "--kube-context",
        "ctx-2",
        "--kube-apiserver",
        "https://10.0.0.1:6443",
        "--kube-token",
        "tok-abc",
        "--kube-as-user",
        "alice",
        "--kube-as-group",
        "g1",
        "--kube-as-group",
        "g2",
        "--kube-ca-file",
        "/ca.pem",
        "--kube-tls-server-name",
        "api.example",
        // helm 4.1 takes the next word as this flag's value unless it has one.
        "--kube-insecure-skip-tls-verify=true",
        "-n",
        "platform-z",
    ];
    let expected = [
        "--context=ctx-2",
        "--server=https://10.0.0.1:6443",
        "--token=tok-abc",
        "--as=alice",
        "--as-group=g1 --as-group=g2",
        "--certificate-authority=/ca.pem",
        "--tls-server-name=api.example",
        "--insecure-skip-tls-verify",
    ];
    for (sub, extra) in [
        ("render", &["--apply"][..]),
        ("diff", &[][..]),
        ("doctor", &[][..]),
    ] {
        let _ = std::fs::remove_file(t.join("kubectl-args"));
        let mut args: Vec<&str> = connection.to_vec();
        args.extend(["recif-secrets", sub, "--example"]);
        args.extend(extra);
        let o = helm_cmd(&args);
        let calls = std::fs::read_to_string(t.join("kubectl-args"))
            .unwrap_or_else(|_| panic!("{sub}: kubectl not run: {}", out_text(&o)));
        assert!(
            !out_text(&o).contains("tok-abc"),
            "{sub}: the token was printed"
        );
        for call in calls.lines() {
            for want in expected {
                assert!(call.contains(want), "{sub}: {want} missing in: {call}");
            }
            assert_eq!(call.matches("--as-group").count(), 2, "{sub}: {call}");
        }
        if sub != "render" {
            // The platform namespace given to helm is the one read back.
            assert!(calls.contains("--namespace=platform-z"), "{sub}: {calls}");
        }
    }
    // Offline, no connection flag is added (diff --against would refuse one).
    let rendered = t.join("rendered.yaml");
    let o = helm_cmd(&["recif-secrets", "render", "--example"]);
    std::fs::write(&rendered, &o.stdout).unwrap();
    let o = helm_cmd(&[
        "--kube-context",
        "ctx-2",
        "recif-secrets",
        "diff",
        "--example",
        "--against",
        rendered.to_str().unwrap(),
    ]);
    expect_exit(&o, 0, "");
    // Other subcommands pass through.
    let o = helm_cmd(&["recif-secrets", "schema"]);
    assert!(
        o.status.success() && stdout(&o).contains("\"$schema\""),
        "{}",
        out_text(&o)
    );
}

// ---- pre-commit ----

#[test]
#[cfg_attr(
    any(no_pre_commit, no_git),
    ignore = "needs pre-commit; git: run scripts/fetch-tools.sh"
)]
fn pre_commit_hook_validates_values_files_as_layers() {
    let pre_commit = tool("PRE_COMMIT", "pre-commit");
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    std::fs::create_dir_all(repo.join("deploy")).unwrap();
    assert!(git(&repo, &["init", "-q"]).status.success());
    // A layered setup: the base alone would render an empty inline agent-env (refused), the
    // production layer alone would lack the namespaces; together they are valid.
    std::fs::write(
        repo.join("deploy/values.yaml"),
        "namespaces:\n  defaultTeam: team-a\n",
    )
    .unwrap();
    std::fs::write(
        repo.join("deploy/values-prod.yaml"),
        "secrets:\n  provider: external\n  external:\n    keys: {agentEnv: recif/agent-env}\n",
    )
    .unwrap();
    std::fs::write(
        repo.join("values-bad.yaml"),
        "secrets:\n  provider: external\n  external:\n    storeKind: Store\n",
    )
    .unwrap();
    std::fs::write(repo.join("notes.yaml"), "storeKind: Store\n").unwrap();
    let run_pre_commit = |args: &[&str]| {
        Command::new(&pre_commit)
            .args(args)
            .current_dir(&repo)
            .env("PRE_COMMIT_HOME", tmp.path().join("cache"))
            .env("PATH", path_with_bin(&[]))
            .output()
            .unwrap()
    };
    let this_repo = root();
    let try_repo = |files: &[&str]| {
        let mut args = vec![
            "try-repo",
            this_repo.to_str().unwrap(),
            "recif-secrets-validate",
            "--files",
        ];
        args.extend(files);
        run_pre_commit(&args)
    };
    let o = try_repo(&[
        "deploy/values.yaml",
        "deploy/values-prod.yaml",
        "notes.yaml",
    ]);
    assert!(o.status.success(), "{}", out_text(&o));
    // Each file staged alone is judged with its base or its environment.
    let o = try_repo(&["deploy/values-prod.yaml"]);
    assert!(o.status.success(), "{}", out_text(&o));
    let o = try_repo(&["deploy/values.yaml"]);
    assert!(o.status.success(), "{}", out_text(&o));
    // A bad layer fails, named by file:line:column.
    let o = try_repo(&["deploy/values-prod.yaml", "values-bad.yaml"]);
    assert!(!o.status.success(), "{}", out_text(&o));
    assert!(
        stdout(&o).contains("values-bad.yaml:4:16: secrets.external.storeKind"),
        "{}",
        out_text(&o)
    );
    // A staged values file with a live key fails the commit with the reason, never the key;
    // the example file (placeholders) passes (issue 20).
    std::fs::create_dir_all(repo.join("live")).unwrap();
    std::fs::write(
        repo.join("live/values.yaml"),
        "llm:\n  openaiApiKey: sk-proj-Zq8xLiveKey0123456789\n",
    )
    .unwrap();
    let o = try_repo(&["deploy/values-prod.yaml", "live/values.yaml"]);
    assert!(!o.status.success(), "{}", out_text(&o));
    assert!(
        out_text(&o).contains("live/values.yaml holds secret values"),
        "{}",
        out_text(&o)
    );
    assert!(!out_text(&o).contains("Zq8x"), "{}", out_text(&o));
    // Without the layers (the hook as it was: each file alone) the base would fail: the
    // layered check is what makes the setup pass.
    let alone = run(
        &[
            "validate",
            "-f",
            repo.join("deploy/values.yaml").to_str().unwrap(),
        ],
        "",
    );
    expect_exit(&alone, 1, "");

    // The documented snippet is valid as written ...
    let doc = std::fs::read_to_string(root().join("docs/install.md")).unwrap();
    let start = doc
        .find("```yaml\nrepos:")
        .expect("the snippet in docs/install.md")
        + 8;
    let snippet = &doc[start..start + doc[start..].find("```").unwrap()];
    std::fs::write(repo.join(".pre-commit-config.yaml"), snippet).unwrap();
    let o = run_pre_commit(&["validate-config", ".pre-commit-config.yaml"]);
    assert!(o.status.success(), "{snippet}\n{}", out_text(&o));
    // ... and runs once its placeholders are filled in: this repository at its HEAD commit.
    let head = stdout(&git(&root(), &["rev-parse", "HEAD"]))
        .trim()
        .to_string();
    let filled = snippet
        .replacen(
            "https://git.example.com/platform/recif-secrets",
            root().to_str().unwrap(),
            1,
        )
        .replacen("FULL-COMMIT-SHA", &head, 1);
    assert_ne!(filled, snippet);
    std::fs::write(repo.join(".pre-commit-config.yaml"), filled).unwrap();
    std::fs::remove_file(repo.join("values-bad.yaml")).unwrap();
    std::fs::remove_dir_all(repo.join("live")).unwrap();
    assert!(git(&repo, &["add", "."]).status.success());
    let o = run_pre_commit(&["run"]);
    assert!(o.status.success(), "{}", out_text(&o));
    assert!(
        stdout(&o).contains("recif-secrets validate"),
        "{}",
        out_text(&o)
    );
}

/// `validate --layers`: each overlay over its folder's base, on its own; a problem that no
/// file holds names the layers it comes from; every other problem its file:line:column.
#[test]
fn validate_layers_checks_each_overlay_over_its_base() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(
        d.join("values.yaml"),
        "namespaces:\n  defaultTeam: team-a\n",
    )
    .unwrap();
    std::fs::write(
        d.join("values-prod.yaml"),
        "secrets:\n  provider: external\n  external:\n    keys: {agentEnv: recif/agent-env}\n",
    )
    .unwrap();
    std::fs::write(
        d.join("values-dev.yaml"),
        "secrets:\n  commonLabels: {env: dev}\n",
    )
    .unwrap();
    let layers = |files: &[&str]| {
        let mut args = vec!["validate", "--layers"];
        args.extend(files);
        run_in(d, &args, "")
    };
    // prod over the base is valid; dev over the base leaves agent-env empty: that problem
    // is in no one file, so the layers are named.
    let o = layers(&["values-prod.yaml"]);
    assert!(o.status.success(), "{}", out_text(&o));
    assert!(
        stderr(&o).contains("layers values.yaml + values-prod.yaml:"),
        "{}",
        out_text(&o)
    );
    let o = layers(&["values-prod.yaml", "values-dev.yaml"]);
    expect_exit(&o, 1, "");
    assert!(
        stderr(&o).contains("error: values.yaml + values-dev.yaml: llm: agent-env would be empty"),
        "{}",
        out_text(&o)
    );
    // A base staged alone is checked with each environment of its folder.
    let o = layers(&["values.yaml"]);
    expect_exit(&o, 1, "");
    assert!(
        stderr(&o).contains("layers values.yaml + values-prod.yaml:"),
        "{}",
        out_text(&o)
    );
    std::fs::remove_file(d.join("values-dev.yaml")).unwrap();
    let o = layers(&["values.yaml"]);
    assert!(o.status.success(), "{}", out_text(&o));
    // A located problem names its file, line and column, once.
    std::fs::write(
        d.join("values-prod.yaml"),
        "secrets:\n  provider: Externl\n",
    )
    .unwrap();
    let o = layers(&["values.yaml", "values-prod.yaml"]);
    expect_exit(&o, 1, "");
    assert_eq!(
        stderr(&o)
            .matches("values-prod.yaml:2:13: secrets.provider")
            .count(),
        1,
        "{}",
        out_text(&o)
    );
}

// ---- Argo CD, Flux ----

#[test]
fn argocd_plugin_is_consistent_and_generate_reads_only_the_application_folder() {
    let cm =
        std::fs::read_to_string(root().join("examples/gitops/argocd/cmp-plugin.yaml")).unwrap();
    let cm: serde_json::Value = serde_yaml::from_str(&cm).unwrap();
    let plugin: serde_json::Value =
        serde_yaml::from_str(cm["data"]["plugin.yaml"].as_str().unwrap()).unwrap();
    let full_name = format!(
        "{}-{}",
        plugin["metadata"]["name"].as_str().unwrap(),
        plugin["spec"]["version"].as_str().unwrap()
    );
    assert_eq!(full_name, "recif-secrets-v1");
    let app =
        std::fs::read_to_string(root().join("examples/gitops/argocd/application.yaml")).unwrap();
    let app: serde_json::Value = serde_yaml::from_str(&app).unwrap();
    assert_eq!(app["spec"]["source"]["plugin"]["name"], full_name.as_str());
    // No shell: the binary of the image, as the Dockerfile installs it.
    let command = &plugin["spec"]["generate"]["command"];
    assert_eq!(command[0], "/usr/local/bin/recif-secrets");
    assert_eq!(command[1], "argocd-generate");
    let dockerfile = std::fs::read_to_string(root().join("Dockerfile")).unwrap();
    assert!(dockerfile.contains("/usr/local/bin/recif-secrets"));

    let tmp = tempfile::tempdir().unwrap();
    let appdir = tmp.path().join("app");
    std::fs::create_dir(&appdir).unwrap();
    std::fs::write(
        appdir.join("values-recif.yaml"),
        "secrets:\n  provider: external\n",
    )
    .unwrap();
    std::fs::write(
        appdir.join("values-prod.yaml"),
        "namespaces:\n  teams: [team-a]\n",
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("outside.yaml"),
        "namespaces:\n  teams: [leak]\n",
    )
    .unwrap();
    let generate = |values: Option<&str>| {
        let mut cmd = Command::new(bin());
        cmd.arg("argocd-generate")
            .current_dir(&appdir)
            .env("ARGOCD_ENV_RECIF_NAMESPACE", "plat");
        match values {
            Some(v) => cmd.env("ARGOCD_ENV_RECIF_VALUES", v),
            None => cmd.env_remove("ARGOCD_ENV_RECIF_VALUES"),
        };
        cmd.output().unwrap()
    };
    let o = generate(None);
    assert!(o.status.success(), "{}", out_text(&o));
    assert!(
        stdout(&o).contains("kind: ExternalSecret"),
        "{}",
        out_text(&o)
    );
    let o = generate(Some("values-recif.yaml  values-prod.yaml"));
    assert!(o.status.success(), "{}", out_text(&o));
    let ids = ids(&docs(&stdout(&o)));
    assert!(
        ids.contains(&"ExternalSecret/team-a/agent-env".to_string()),
        "{ids:?}"
    );
    assert!(ids.iter().any(|i| i.contains("/plat/")), "{ids:?}");
    let outside = tmp.path().join("outside.yaml");
    for bad in [
        outside.to_str().unwrap(),
        "../outside.yaml",
        "*.yaml",
        "values-*.yaml",
        "$HOME/x.yaml",
    ] {
        let o = generate(Some(&format!("values-recif.yaml {bad}")));
        expect_exit(&o, 1, &format!("{bad}: {}", out_text(&o)));
        assert!(o.stdout.is_empty(), "{bad}");
        assert!(
            stderr(&o).contains("RECIF_VALUES"),
            "{bad}: {}",
            out_text(&o)
        );
    }
}

#[test]
#[cfg_attr(
    any(no_kubectl, no_git, no_sh),
    ignore = "needs kubectl; git; sh: run scripts/fetch-tools.sh"
)]
fn flux_render_script_never_stages_inline_secrets() {
    let kubectl = tool("KUBECTL", "kubectl");
    let sh = tool("SH", "sh");
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path();
    assert!(git(repo, &["init", "-q"]).status.success());
    let script = root().join("examples/gitops/flux/render.sh");
    let kubectl_dir = kubectl.parent().unwrap().to_path_buf();
    let run_script = |files: &[&str]| {
        let mut cmd = Command::new(&sh);
        cmd.arg(&script).current_dir(repo);
        for f in files {
            cmd.args(["-f", f]);
        }
        cmd.env("PATH", path_with_bin(&[&kubectl_dir]))
            .output()
            .unwrap()
    };
    let staged = || stdout(&git(repo, &["diff", "--cached", "--name-only"]));
    std::fs::write(
        repo.join("values-inline.yaml"),
        "llm:\n  openaiApiKey: sk-proj-example\n",
    )
    .unwrap();
    let o = run_script(&["values-inline.yaml"]);
    expect_exit(&o, 1, "");
    assert!(stderr(&o).contains("inline Secrets"), "{}", out_text(&o));
    assert!(!repo.join("clusters").exists(), "nothing written");
    assert_eq!(staged(), "");

    std::fs::write(repo.join("values.yaml"), "secrets:\n  provider: external\n").unwrap();
    let o = run_script(&["values.yaml"]);
    assert!(o.status.success(), "{}", out_text(&o));
    let files = staged();
    assert!(
        files.contains("clusters/prod/recif-secrets/kustomization.yaml"),
        "{files}"
    );
    assert!(!files.contains(".secret."), "{files}");
}
