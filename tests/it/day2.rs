//! Day 2: `diff` and `doctor`, with the real kubectl 1.35 against the loopback stand-in API
//! server (`tests/standin/server.py`) serving recorded objects.

use crate::common;

use std::path::Path;
use std::process::Output;

use base64::Engine as _;
use common::standin::{against, bin, kubectl, unreachable_kubeconfig, Cluster, StandIn};
use common::{expect_exit, stderr, stdout};

/// Exit code of `diff` when there are differences and of `doctor` when a check failed.
const FOUND: i32 = 4;

/// Starts the stand-in for `cluster` and runs `args` with the real kubectl (python3 and
/// kubectl: a test that calls this carries `cfg_attr(any(no_python3, no_kubectl), ignore)`).
fn with_cluster(cluster: Cluster, args: &[&str]) -> (Output, StandIn) {
    let k = kubectl();
    let s = StandIn::start(&cluster);
    let out = against(&s, &k, args);
    s.assert_read_only();
    (out, s)
}

/// Runs `args` against `cluster`, expects exit `code` (printing both outputs if not), and
/// gives the standard output.
fn expect_text(cluster: Cluster, args: &[&str], code: i32) -> String {
    let (out, _s) = with_cluster(cluster, args);
    let text = stdout(&out);
    expect_exit(&out, code, &format!("{text}{}", stderr(&out)));
    text
}

fn lines_with<'a>(text: &'a str, status: &str) -> Vec<&'a str> {
    text.lines().filter(|l| l.starts_with(status)).collect()
}

const EXTERNAL: &[&str] = &["doctor", "-f", "examples/external-vault.yaml"];

#[test]
#[cfg_attr(
    any(no_kubectl, no_python3),
    ignore = "needs kubectl; python3: run scripts/fetch-tools.sh"
)]
fn doctor_healthy_external_is_all_ok() {
    let text = expect_text(Cluster::new(&["external.json"]), EXTERNAL, 0);
    for want in [
        "ok               ClusterSecretStore recif-secret-store: Ready: True (Valid)",
        "ok               ExternalSecret team-default/agent-env: Ready: True (SecretSynced)",
        "ok               Secret team-default/agent-env: keys: GOOGLE_API_KEY, OPENAI_API_KEY present",
        "ok               Secret team-default/gcp-adc: keys: adc.json present",
        "ok               Secret recif-system/recif-platform-gcp-sa: keys: adc.json present",
        "ok               Pod team-default/my-agent-7d9f8b6c5d-x2k4p: stale env: uses agent-env (env); started 2026-11-21T08:00:00Z, after the Secret last changed (2026-11-20T10:00:10Z)",
        "9 ok, 0 problems, 0 could not be checked\n",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    assert!(lines_with(&text, "problem").is_empty(), "{text}");
}

#[test]
#[cfg_attr(
    any(no_kubectl, no_python3),
    ignore = "needs kubectl; python3: run scripts/fetch-tools.sh"
)]
fn doctor_store_invalid() {
    let text = expect_text(
        Cluster::new(&["external.json", "external-store-invalid.json"]),
        EXTERNAL,
        FOUND,
    );
    let problems = lines_with(&text, "problem");
    assert_eq!(problems.len(), 1, "{text}");
    assert!(problems[0].starts_with("problem          ClusterSecretStore recif-secret-store: Ready: False (InvalidProviderConfig): unable to validate store"), "{text}");
    assert!(text.contains("fix: SecretStore auth failed: check RBAC / service account bindings of the store's provider auth (kubectl describe clustersecretstore recif-secret-store)"), "{text}");
}

#[test]
#[cfg_attr(
    any(no_kubectl, no_python3),
    ignore = "needs kubectl; python3: run scripts/fetch-tools.sh"
)]
fn doctor_one_external_secret_failing() {
    let text = expect_text(
        Cluster::new(&["external.json", "external-es-failing.json"]),
        EXTERNAL,
        FOUND,
    );
    let problems = lines_with(&text, "problem");
    assert_eq!(problems, ["problem          ExternalSecret team-default/agent-env: Ready: False (SecretSyncedError): error processing spec.dataFrom[0].extract, err: Secret does not exist"], "{text}");
    assert!(text.contains("fix: Key not found: verify the remote key path matches your backend (recif/agent-env; secrets.external.keys)"), "{text}");
    assert!(
        text.contains("ok               ExternalSecret team-default/gcp-adc: Ready"),
        "{text}"
    );
}

#[test]
#[cfg_attr(
    any(no_kubectl, no_python3),
    ignore = "needs kubectl; python3: run scripts/fetch-tools.sh"
)]
fn doctor_secret_missing() {
    let text = expect_text(
        Cluster::new(&["external.json"]).without("Secret/team-default/gcp-adc"),
        EXTERNAL,
        FOUND,
    );
    assert!(text.contains("problem          Secret team-default/gcp-adc: exists: not found: ExternalSecret team-default/gcp-adc has not created it"), "{text}");
    assert!(text.contains("fix: see the ExternalSecret's status: kubectl describe externalsecret gcp-adc -n team-default"), "{text}");
    // A pod mounting it: when the Secret changed is unknown.
    assert!(text.contains("could not check  Pod team-default/my-agent-7d9f8b6c5d-x2k4p: stale env: uses gcp-adc (volume)"), "{text}");
}

#[test]
#[cfg_attr(
    any(no_kubectl, no_python3),
    ignore = "needs kubectl; python3: run scripts/fetch-tools.sh"
)]
fn doctor_key_missing() {
    let text = expect_text(
        Cluster::new(&["external.json", "external-key-missing.json"]),
        EXTERNAL,
        FOUND,
    );
    assert!(
        text.contains(
            "problem          Secret team-default/gcp-adc: keys: missing key adc.json; has: value"
        ),
        "{text}"
    );
    assert!(text.contains("fix: Key not found: verify the remote key path (and property) matches your backend (recif/gcp-sa (property value))"), "{text}");
    assert!(text.contains("problem          Secret team-default/agent-env: keys: no variable: the extracted backend secret is empty"), "{text}");
}

#[test]
#[cfg_attr(
    any(no_kubectl, no_python3),
    ignore = "needs kubectl; python3: run scripts/fetch-tools.sh"
)]
fn doctor_stale_env() {
    let text = expect_text(
        Cluster::new(&["external.json", "external-stale-pod.json"]),
        EXTERNAL,
        FOUND,
    );
    assert!(text.contains("problem          Pod team-default/my-agent-6c5d4e3f2a-old11: stale env: uses agent-env (env); started 2026-11-19T08:00:00Z, before the Secret last changed (2026-11-20T12:00:00Z)"), "{text}");
    assert!(
        text.contains("force a sync with the force-sync annotation"),
        "{text}"
    );
    // The fix is the command that restarts exactly the readers.
    assert!(
        text.contains("fix: Stale data: restart exactly the workloads that read it: recif-secrets rollout -f VALUES (the plan first: --dry-run; it restarts in team-default and every namespace the values target)"),
        "{text}"
    );
}

#[test]
#[cfg_attr(
    any(no_kubectl, no_python3),
    ignore = "needs kubectl; python3: run scripts/fetch-tools.sh"
)]
fn doctor_workload_identity_annotation() {
    let args = &["doctor", "-f", "examples/workload-identity-gke.yaml"];
    let (out, _s) = with_cluster(Cluster::new(&["workload-identity.json"]), args);
    expect_exit(&out, 0, "");
    assert!(stdout(&out).contains("ok               ServiceAccount recif-system/recif-api: annotations: Workload Identity annotations: iam.gke.io/gcp-service-account"));

    let text = expect_text(
        Cluster::new(&["workload-identity-annotation-missing.json"]),
        args,
        FOUND,
    );
    assert!(text.contains("problem          ServiceAccount recif-system/recif-api: annotations: iam.gke.io/gcp-service-account missing (expected recif-sa@my-project-123.iam.gserviceaccount.com)"), "{text}");
    assert!(text.contains("kubectl annotate serviceaccount recif-api -n recif-system iam.gke.io/gcp-service-account=recif-sa@my-project-123.iam.gserviceaccount.com --overwrite"), "{text}");
}

#[test]
#[cfg_attr(
    any(no_kubectl, no_python3),
    ignore = "needs kubectl; python3: run scripts/fetch-tools.sh"
)]
fn doctor_rbac_forbidden_is_could_not_check() {
    let text = expect_text(
        Cluster::new(&["external.json"])
            .forbid("secrets@team-default")
            .forbid("pods"),
        EXTERNAL,
        FOUND,
    );
    let unknown = lines_with(&text, "could not check");
    assert_eq!(unknown.len(), 3, "{text}");
    assert!(text.contains(r#"could not check  Secret team-default/agent-env: keys: Error from server (Forbidden): secrets "agent-env" is forbidden: User "standin-user" cannot get resource "secrets" in API group "" in the namespace "team-default""#), "{text}");
    assert!(text.contains("could not check  Pods team-default: stale env: Error from server (Forbidden): pods is forbidden"), "{text}");
    assert!(text.contains("fix: grant get and list on secrets -n team-default to whoever runs doctor (check: kubectl auth can-i list secrets -n team-default)"), "{text}");
    assert!(
        text.contains("fix: grant get and list on pods -n team-default"),
        "{text}"
    );
    assert!(
        text.contains("ok               Secret recif-system/recif-platform-gcp-sa: keys"),
        "{text}"
    );
    assert!(lines_with(&text, "problem").is_empty(), "{text}");
}

#[test]
#[cfg_attr(
    any(no_kubectl, no_python3),
    ignore = "needs kubectl; python3: run scripts/fetch-tools.sh"
)]
fn doctor_without_eso_installed() {
    let text = expect_text(Cluster::new(&["external.json"]).no_eso(), EXTERNAL, FOUND);
    assert!(text.contains("could not check  ClusterSecretStore recif-secret-store: Ready: error: the server doesn't have a resource type \"clustersecretstores\" (is the operator that defines it installed?)"), "{text}");
    assert!(
        text.contains("ok               Secret team-default/gcp-adc: keys: adc.json present"),
        "{text}"
    );
}

#[test]
#[cfg_attr(
    any(no_kubectl, no_python3),
    ignore = "needs kubectl; python3: run scripts/fetch-tools.sh"
)]
fn doctor_json() {
    let mut args = EXTERNAL.to_vec();
    args.extend(["-o", "json"]);
    let (out, _s) = with_cluster(
        Cluster::new(&["external.json", "external-es-failing.json"]),
        &args,
    );
    expect_exit(&out, FOUND, "");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["summary"],
        serde_json::json!({"ok": 8, "problem": 1, "couldNotCheck": 0})
    );
    let problem = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["status"] == "problem")
        .unwrap();
    assert_eq!(problem["object"], "ExternalSecret team-default/agent-env");
    assert!(problem["fix"]
        .as_str()
        .unwrap()
        .starts_with("Key not found"));
}

#[test]
#[cfg_attr(no_kubectl, ignore = "needs kubectl: run scripts/fetch-tools.sh")]
fn doctor_and_diff_exit_3_when_the_cluster_cannot_be_reached() {
    let k = kubectl();
    let dir = tempfile::tempdir().unwrap();
    let kc = unreachable_kubeconfig(dir.path());
    for cmd in ["doctor", "diff"] {
        let out = bin(
            &[
                cmd,
                "-f",
                "examples/external-vault.yaml",
                "--kubectl",
                k.to_str().unwrap(),
                "--kubeconfig",
                kc.to_str().unwrap(),
            ],
            dir.path(),
        );
        let err = stderr(&out);
        expect_exit(&out, 3, &format!("{cmd}: {err}"));
        assert!(
            err.contains("error: cannot reach the cluster: "),
            "{cmd}: {err}"
        );
        assert!(
            err.contains("refused"),
            "{cmd}: kubectl's reason is shown: {err}"
        );
        assert!(stdout(&out).is_empty(), "{cmd}");
    }
}

const CANARY: &str = "ZqXw7Jt3Lp9Rv2Mn";
const CANARY2: &str = "Hd4Ks8Yb1Ng6Wc5F";

/// No 6-character piece of the canaries (or of their base64) appears in `text`.
fn assert_no_canary(text: &str) {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    for secret in [
        CANARY.to_string(),
        CANARY2.to_string(),
        b64(CANARY),
        b64(CANARY2),
    ] {
        for piece in secret.as_bytes().windows(6) {
            let piece = std::str::from_utf8(piece).unwrap();
            assert!(
                !text.contains(piece),
                "a piece of a secret ({piece}) leaked:\n{text}"
            );
        }
    }
}

fn render_dir(dir: &Path, extra: &[&str]) {
    let mut args = vec![
        "render",
        "-f",
        "examples/inline.yaml",
        "--output-dir",
        dir.to_str().unwrap(),
    ];
    args.extend(extra);
    let out = bin(&args, dir);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn diff_against_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("rendered");
    let set = format!("llm.openaiApiKey={CANARY}");
    render_dir(&d, &["--set", &set]);
    let cache = dir.path().join("cache");

    // No change.
    let out = bin(
        &[
            "diff",
            "-f",
            "examples/inline.yaml",
            "--set",
            &set,
            "--against",
            d.to_str().unwrap(),
        ],
        &cache,
    );
    expect_exit(&out, 0, "");
    assert!(
        stdout(&out).ends_with("0 changed, 0 added, 0 removed, 5 unchanged\n"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("Secret team-default/agent-env: unchanged\n  key ANTHROPIC_API_KEY: unchanged (28 bytes)\n"), "{}", stdout(&out));
    assert_no_canary(&stdout(&out));

    // A changed key: the value is never printed, only its lengths.
    let set2 = format!("llm.openaiApiKey={CANARY2}-longer");
    let out = bin(
        &[
            "diff",
            "-f",
            "examples/inline.yaml",
            "--set",
            &set2,
            "--against",
            d.to_str().unwrap(),
        ],
        &cache,
    );
    let text = format!("{}{}", stdout(&out), stderr(&out));
    expect_exit(&out, FOUND, &text);
    assert_no_canary(&text);
    assert!(
        text.contains("Secret team-default/agent-env: changed\n"),
        "{text}"
    );
    assert!(
        text.contains("  key OPENAI_API_KEY: changed (16 bytes -> 23 bytes)\n"),
        "{text}"
    );
    assert!(text.contains("-  OPENAI_API_KEY: \"-------- # (16 bytes)\"\n+  OPENAI_API_KEY: \"++++++++ # (23 bytes)\"\n"), "{text}");
    assert!(
        stdout(&out).ends_with("2 changed, 0 added, 0 removed, 3 unchanged\n"),
        "{text}"
    );

    // --quiet: the code and one line.
    let out = bin(
        &[
            "diff",
            "-f",
            "examples/inline.yaml",
            "--set",
            &set2,
            "--against",
            d.to_str().unwrap(),
            "--quiet",
        ],
        &cache,
    );
    expect_exit(&out, FOUND, "");
    assert_eq!(stdout(&out), "2 changed, 0 added, 0 removed, 3 unchanged\n");

    // Objects added and removed: another team namespace.
    let out = bin(
        &[
            "diff",
            "-f",
            "examples/inline.yaml",
            "--set",
            &set,
            "--set-json",
            r#"namespaces.teams=["team-ops"]"#,
            "--against",
            d.to_str().unwrap(),
        ],
        &cache,
    );
    let text = stdout(&out);
    expect_exit(&out, FOUND, &format!("{text}{}", stderr(&out)));
    assert_no_canary(&text);
    let heads: Vec<&str> = text.lines().filter(|l| l.starts_with("Secret ")).collect();
    assert_eq!(
        heads,
        [
            "Secret recif-system/recif-platform-gcp-sa: unchanged",
            "Secret team-default/agent-env: unchanged",
            "Secret team-default/gcp-adc: unchanged",
            "Secret team-ops/agent-env: added",
            "Secret team-ops/gcp-adc: added",
            "Secret team-research/agent-env: removed",
            "Secret team-research/gcp-adc: removed",
        ],
        "{text}"
    );
    assert!(
        text.contains("+++ Secret team-ops/agent-env (rendered)\n"),
        "{text}"
    );
    assert!(
        text.contains("+  name: agent-env\n+  namespace: team-ops\n"),
        "{text}"
    );

    // A manifest file works as well as a folder.
    let out = bin(
        &["render", "-f", "examples/inline.yaml", "--set", &set],
        &cache,
    );
    let file = dir.path().join("all.yaml");
    std::fs::write(&file, &out.stdout).unwrap();
    let out = bin(
        &[
            "diff",
            "-f",
            "examples/inline.yaml",
            "--set",
            &set,
            "--against",
            file.to_str().unwrap(),
        ],
        &cache,
    );
    expect_exit(&out, 0, "");

    // --against is offline: cluster flags with it are a usage error.
    let out = bin(
        &[
            "diff",
            "-f",
            "examples/inline.yaml",
            "--against",
            d.to_str().unwrap(),
            "--context",
            "prod",
        ],
        &cache,
    );
    expect_exit(&out, 2, "");
}

#[test]
fn diff_against_bad_input_is_exit_1_with_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad.yaml");
    std::fs::write(&f, format!("key: [\"{CANARY}\"\n")).unwrap();
    let out = bin(
        &[
            "diff",
            "-f",
            "examples/inline.yaml",
            "--against",
            f.to_str().unwrap(),
        ],
        dir.path(),
    );
    expect_exit(&out, 1, "");
    assert!(
        stderr(&out).contains(&format!("--against {}", f.display())),
        "{}",
        stderr(&out)
    );
    assert_no_canary(&stderr(&out));
}

#[test]
#[cfg_attr(
    any(no_kubectl, no_python3),
    ignore = "needs kubectl; python3: run scripts/fetch-tools.sh"
)]
fn diff_live_no_change_then_changed_keys_added_and_removed_objects() {
    let inline = &["diff", "-f", "examples/inline.yaml"];
    let (out, _s) = with_cluster(Cluster::new(&["inline.json"]), inline);
    expect_exit(&out, 0, "");
    assert!(stdout(&out).ends_with("0 changed, 0 added, 0 removed, 5 unchanged\n"));

    // A key rotated by hand, one removed, one added; values never shown.
    let (out, _s) = with_cluster(Cluster::new(&["inline.json", "inline-drift.json"]), inline);
    let text = stdout(&out);
    expect_exit(&out, FOUND, &format!("{text}{}", stderr(&out)));
    for want in [
        "Secret team-default/agent-env: changed\n",
        "  key ANTHROPIC_API_KEY: unchanged (28 bytes)\n",
        "  key MISTRAL_ENDPOINT_TOKEN: added (21 bytes)\n",
        "  key OPENAI_API_KEY: changed (28 bytes -> 26 bytes)\n",
        "  key STALE_KEY: removed (9 bytes)\n",
        "-  OPENAI_API_KEY: \"-------- # (28 bytes)\"\n",
        "+  OPENAI_API_KEY: \"++++++++ # (26 bytes)\"\n",
        "1 changed, 0 added, 0 removed, 4 unchanged\n",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    for secret in [
        "sk-proj-rotated-by-hand",
        "sk-proj-example",
        "left-over",
        "c2stcHJvai",
    ] {
        assert!(!text.contains(secret), "{secret} leaked:\n{text}");
    }

    // A team dropped from the values: its objects, applied earlier, are listed as removed;
    // one missing in the cluster is added.
    let (out, _s) = with_cluster(
        Cluster::new(&["inline.json"]).without("Secret/team-default/gcp-adc"),
        &[
            "diff",
            "-f",
            "examples/inline.yaml",
            "--set-json",
            "namespaces.teams=[]",
        ],
    );
    let text = stdout(&out);
    expect_exit(&out, FOUND, &format!("{text}{}", stderr(&out)));
    assert!(
        text.contains("Secret team-default/gcp-adc: added\n"),
        "{text}"
    );
    assert!(
        text.contains("Secret team-research/agent-env: removed\n"),
        "{text}"
    );
    assert!(
        text.contains("Secret team-research/gcp-adc: removed\n"),
        "{text}"
    );
    assert!(
        text.ends_with("0 changed, 1 added, 2 removed, 2 unchanged\n"),
        "{text}"
    );
}

#[test]
#[cfg_attr(
    any(no_kubectl, no_python3),
    ignore = "needs kubectl; python3: run scripts/fetch-tools.sh"
)]
fn diff_live_external_ignores_server_defaults_and_status() {
    let (out, _s) = with_cluster(
        Cluster::new(&["external.json"]),
        &["diff", "-f", "examples/external-vault.yaml"],
    );
    expect_exit(&out, 0, "");
    assert!(
        stdout(&out).ends_with("0 changed, 0 added, 0 removed, 4 unchanged\n"),
        "{}",
        stdout(&out)
    );

    // With Secrets unlistable (RBAC), a warning says removed objects may be missed.
    let (out, _s) = with_cluster(
        Cluster::new(&["external.json"]).forbid("secrets"),
        &["diff", "-f", "examples/external-vault.yaml"],
    );
    expect_exit(&out, 0, "");
    assert!(
        stderr(&out).contains("warning: cannot list secrets: Error from server (Forbidden)"),
        "{}",
        stderr(&out)
    );
}

#[test]
#[cfg_attr(
    any(no_kubectl, no_python3),
    ignore = "needs kubectl; python3: run scripts/fetch-tools.sh"
)]
fn doctor_inline_compares_keys_and_values_without_printing_them() {
    let args = &["doctor", "-f", "examples/inline.yaml"];
    let (out, _s) = with_cluster(Cluster::new(&["inline.json"]), args);
    let text = stdout(&out);
    expect_exit(&out, 0, &format!("{text}{}", stderr(&out)));
    assert!(text.contains("ok               Secret team-default/agent-env: keys: keys and values as rendered: ANTHROPIC_API_KEY, GOOGLE_API_KEY, MISTRAL_ENDPOINT_TOKEN, OPENAI_API_KEY"), "{text}");
    assert!(text.contains("ok               Pod team-default/my-agent-7d9f8b6c5d-x2k4p: stale env: uses agent-env (env)"), "{text}");

    let (out, _s) = with_cluster(Cluster::new(&["inline.json", "inline-drift.json"]), args);
    let text = format!("{}{}", stdout(&out), stderr(&out));
    expect_exit(&out, FOUND, &text);
    assert!(text.contains("problem          Secret team-default/agent-env: keys: missing key MISTRAL_ENDPOINT_TOKEN; key not rendered STALE_KEY; value differs from the rendered one for OPENAI_API_KEY"), "{text}");
    assert!(
        text.contains("fix: apply the rendered Secrets: recif-secrets render -f VALUES --apply"),
        "{text}"
    );
    for secret in [
        "sk-proj-rotated-by-hand",
        "sk-proj-example",
        "left-over",
        "c2stcHJvai",
        "debug",
    ] {
        assert!(!text.contains(secret), "{secret} leaked:\n{text}");
    }
}

#[test]
#[cfg_attr(
    any(no_kubectl, no_python3),
    ignore = "needs kubectl; python3: run scripts/fetch-tools.sh"
)]
fn diff_live_exits_3_when_a_rendered_object_cannot_be_read() {
    let (out, _s) = with_cluster(
        Cluster::new(&["inline.json"]).forbid("secrets"),
        &["diff", "-f", "examples/inline.yaml"],
    );
    let err = stderr(&out);
    expect_exit(&out, 3, &format!("{}{err}", stdout(&out)));
    assert!(err.contains("error: cannot read Secret recif-system/recif-platform-gcp-sa: Error from server (Forbidden)"), "{err}");
    assert!(stdout(&out).is_empty());
}
