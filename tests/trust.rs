//! Issue 10: the paths users actually run are not destructive, not half-written, not leaky.

mod common;

use common::{run, run_in, stderr, stdout};

fn code(o: &std::process::Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn tmpdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

// ---- destructive or silent output ----

#[test]
fn an_empty_inline_agent_env_is_refused_unless_allowed() {
    // Piped into kubectl apply, an agent-env with `data: {}` erases the keys in the cluster.
    for (args, stdin) in [
        (&["render"][..], ""),
        (&["render", "-f", "-"][..], ""),
        (&["validate"][..], ""),
        (
            &[
                "render",
                "--set",
                "secrets.provider=none,workloadIdentity.llmKeys=inline,llm.gcp.project=p",
            ][..],
            "",
        ),
    ] {
        let o = run(args, stdin);
        assert_eq!(code(&o), 1, "{args:?}: {}", stderr(&o));
        assert!(stdout(&o).is_empty(), "{args:?} printed objects");
        let e = stderr(&o);
        assert!(e.contains("agent-env would be empty"), "{e}");
        assert!(e.contains("secrets.allowEmptyAgentEnv"), "{e}");
        // Nothing of the user's is to blame: the defaults are not named as the source.
        assert!(!e.contains("built-in defaults"), "{e}");
    }
    let o = run(&["render", "--set", "secrets.allowEmptyAgentEnv=true"], "");
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("data: {}"));
    // The user's own `llm:` is the source named.
    let o = run(&["render", "-f", "-"], "llm:\n  extraEnv: {}\n");
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("<stdin>:"), "{}", stderr(&o));
}

#[test]
fn top_level_keys_of_our_sections_get_a_did_you_mean() {
    let pasted = "provider: external\ngoogleApiKey: AIzaSy-canary\nstoreName: s\nproject: p\nvault: {}\nimage: {tag: x}\n";
    let o = run(&["render", "-f", "-"], pasted);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let e = stderr(&o);
    for want in [
        "<stdin>:1:11: provider: not a top-level key, ignored; did you mean `secrets.provider`?",
        "did you mean `llm.googleApiKey`?",
        "did you mean `secrets.external.storeName`?",
        "did you mean `llm.gcp.project`?",
        "did you mean `secrets.external.store.vault`?",
    ] {
        assert!(e.contains(want), "missing {want:?} in {e}");
    }
    // A chart's other top-level keys are left alone.
    assert!(!e.contains("image"), "{e}");
    assert!(!e.contains("canary"), "{e}");
}

#[test]
fn a_kubernetes_manifest_is_not_values() {
    let store = "apiVersion: external-secrets.io/v1\nkind: ClusterSecretStore\nmetadata:\n  name: recif-secret-store\nspec:\n  provider:\n    vault: {server: https://vault}\n";
    for cmd in ["render", "validate"] {
        let o = run(&[cmd, "-f", "-"], store);
        assert_eq!(code(&o), 1);
        assert!(stdout(&o).is_empty());
        assert!(
            stderr(&o).contains(
                "<stdin>:2:7: kind: this is a Kubernetes manifest (ClusterSecretStore), not values"
            ),
            "{}",
            stderr(&o)
        );
    }
}

#[test]
fn strict_makes_unknown_keys_errors() {
    let args = [
        "--set",
        "llm.googleApiKey=k",
        "--set",
        "llm.gcp.serviceAcountKeyBase64=x",
    ];
    for cmd in ["validate", "render"] {
        let mut a = vec![cmd];
        a.extend(args);
        let o = run(&a, "");
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        assert!(stderr(&o).contains("warning: --set llm.gcp.serviceAcountKeyBase64: unknown key, ignored; did you mean `llm.gcp.serviceAccountKeyBase64`?"), "{}", stderr(&o));
        a.push("--strict");
        let o = run(&a, "");
        assert_eq!(code(&o), 1, "{cmd} --strict: {}", stderr(&o));
        assert!(stdout(&o).is_empty());
        assert!(
            stderr(&o).contains("error: --set llm.gcp.serviceAcountKeyBase64: unknown key"),
            "{}",
            stderr(&o)
        );
    }
    let o = run(&["validate", "--strict", "--set", "llm.googleApiKey=k"], "");
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

// ---- small items ----

#[test]
fn counts_and_flag_origins_read_well() {
    let o = run(
        &[
            "validate",
            "--set",
            "llm.googleApiKey=k,namespaces.defaultTeam=",
            "--set-json",
            "namespaces.teams=[\"a\"]",
        ],
        "",
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("valid: 1 object would be rendered"),
        "{}",
        stderr(&o)
    );
    let o = run(
        &["validate", "-n", "Bad_NS", "--set", "llm.googleApiKey=k"],
        "",
    );
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("error: --namespace: \"Bad_NS\""),
        "{}",
        stderr(&o)
    );
}

#[allow(dead_code)]
fn unused(_: &std::path::Path) {
    let _ = run_in;
    let _ = tmpdir;
}
