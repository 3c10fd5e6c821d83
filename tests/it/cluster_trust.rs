//! Issue 20, cluster side, with the real kubectl against the loopback stand-in API server:
//! request timeouts, server-side apply with our field manager, SealedSecrets applied.

use crate::common;

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use common::standin::{kubectl, Cluster, StandIn};
use common::{bin_in, expect_exit, root, spawn_piped, stderr, stdout, wait_deadline};

/// Runs `recif-secrets ARGS --kubectl K --kubeconfig KC` against the stand-in; a run still
/// going after `limit` is killed and fails the test (it hung).
fn against_within(s: &StandIn, k: &Path, args: &[&str], limit: Duration) -> Output {
    let kc = s.kubeconfig();
    let mut cmd = bin_in(&root());
    cmd.args(args)
        .args([
            "--kubectl",
            k.to_str().unwrap(),
            "--kubeconfig",
            kc.to_str().unwrap(),
        ])
        .env("KUBECACHEDIR", s.cache_dir());
    wait_deadline(spawn_piped(cmd), limit)
}

#[test]
#[cfg_attr(
    any(no_kubectl, no_python3),
    ignore = "needs kubectl; python3: run scripts/fetch-tools.sh"
)]
fn an_api_server_that_never_answers_ends_in_exit_3_after_the_request_timeout() {
    let k = kubectl();
    let s = StandIn::start(&Cluster::default().hang());
    for args in [
        &[
            "doctor",
            "-f",
            "examples/external-vault.yaml",
            "--request-timeout",
            "1s",
        ][..],
        &[
            "diff",
            "-f",
            "examples/inline.yaml",
            "--request-timeout",
            "1s",
        ][..],
        &[
            "render",
            "-f",
            "examples/inline.yaml",
            "--apply",
            "--request-timeout",
            "1",
        ][..],
    ] {
        let out = against_within(&s, &k, args, Duration::from_secs(60));
        expect_exit(
            &out,
            3,
            &format!("{args:?}: {}{}", stdout(&out), stderr(&out)),
        );
        assert!(
            stderr(&out).contains("Unable to connect")
                || stderr(&out).contains("Timeout")
                || stderr(&out).contains("deadline"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    assert!(
        s.requests().iter().any(|r| r.0 == "HANG"),
        "kubectl did not reach the stand-in"
    );
    // A timeout of zero (kubectl's "never") or a malformed one is a usage error.
    for bad in ["0", "10x"] {
        let o = common::run(&["doctor", "--example", "--request-timeout", bad], "");
        expect_exit(&o, 2, &format!("{bad}: {}", stderr(&o)));
    }
}

/// The apply requests the stand-in saw: (method, path, content type, last-applied annotation
/// present, kind).
fn writes(s: &StandIn) -> Vec<(String, String, String, bool, String)> {
    s.log()
        .into_iter()
        .filter(|e| e["method"] == "PATCH" || e["method"] == "POST")
        .map(|e| {
            (
                e["method"].as_str().unwrap().to_string(),
                e["path"].as_str().unwrap().to_string(),
                e["content_type"].as_str().unwrap_or("").to_string(),
                e["last_applied"].as_bool().unwrap_or(false),
                e["kind"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn apply(s: &StandIn, k: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["render", "-f", "examples/inline.yaml", "--apply"];
    args.extend(extra);
    against_within(s, k, &args, Duration::from_secs(60))
}

#[test]
#[cfg_attr(
    any(no_kubectl, no_python3),
    ignore = "needs kubectl; python3: run scripts/fetch-tools.sh"
)]
fn apply_is_server_side_as_recif_secrets_by_default_and_client_side_only_when_asked() {
    let k = kubectl();
    let s = StandIn::start(&Cluster::default().accept_writes());
    let out = apply(&s, &k, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let w = writes(&s);
    assert_eq!(w.len(), 5, "{w:?}");
    for (method, path, ctype, last_applied, kind) in &w {
        assert_eq!(method, "PATCH", "{path}");
        assert_eq!(ctype, "application/apply-patch+yaml", "{path}");
        assert!(path.contains("fieldManager=recif-secrets"), "{path}");
        assert!(path.contains("force=false"), "{path}");
        // No copy of the Secret, data included, in an annotation.
        assert!(!last_applied, "{path}");
        assert_eq!(kind, "Secret");
    }
    // Another field manager when asked.
    let out = apply(&s, &k, &["--field-manager", "platform-team"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let w = writes(&s);
    assert!(
        w[5..]
            .iter()
            .all(|w| w.1.contains("fieldManager=platform-team")),
        "{w:?}"
    );
    // Client-side only when asked: kubectl then writes the annotation (why it is not the
    // default).
    let out = apply(&s, &k, &["--server-side=false"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let w = writes(&s);
    // (The stand-in keeps what was applied, so kubectl patches rather than creates.)
    assert!(
        w.len() == 15
            && w[10..]
                .iter()
                .all(|w| w.3 && w.2 != "application/apply-patch+yaml"),
        "{w:?}"
    );
    // --force-conflicts needs server-side apply.
    let o = common::run(
        &[
            "render",
            "--example",
            "--apply",
            "--server-side=false",
            "--force-conflicts",
        ],
        "",
    );
    expect_exit(&o, 2, "");
}

#[test]
#[cfg_attr(
    any(no_kubectl, no_python3),
    ignore = "needs kubectl; python3: run scripts/fetch-tools.sh"
)]
fn an_apply_conflict_is_reported_with_the_fix_and_force_conflicts_takes_over() {
    let k = kubectl();
    let s = StandIn::start(&Cluster::default().accept_writes().conflict("secrets"));
    let out = apply(&s, &k, &[]);
    expect_exit(&out, 3, "");
    let err = stderr(&out);
    assert!(
        err.contains("conflict with \"kubectl-client-side-apply\""),
        "{err}"
    );
    assert!(err.contains("another field manager owns fields"), "{err}");
    assert!(err.contains("--force-conflicts"), "{err}");
    assert!(err.contains("--field-manager"), "{err}");
    let out = apply(&s, &k, &["--force-conflicts"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(writes(&s).iter().any(|w| w.1.contains("force=true")));
}

#[test]
#[cfg_attr(
    any(no_kubectl, no_pycrypto),
    ignore = "needs kubectl; python3 with pyyaml, cryptography: run scripts/fetch-tools.sh"
)]
fn sealed_secrets_are_applied() {
    common::python_needs("no_pycrypto");
    let k = kubectl();
    let s = StandIn::start(&Cluster::default().accept_writes());
    let ctl = tempfile::tempdir().unwrap();
    let script = root().join("tests/tools/sealed.py");
    let o = common::python(
        &[
            script.to_str().unwrap(),
            "keygen",
            ctl.path().to_str().unwrap(),
        ],
        "",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let cert = ctl.path().join("cert.pem");
    let out = apply(&s, &k, &["--seal-cert", cert.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let w = writes(&s);
    assert_eq!(w.len(), 5, "{w:?}");
    for (method, path, _, last_applied, kind) in &w {
        assert_eq!(
            (method.as_str(), kind.as_str()),
            ("PATCH", "SealedSecret"),
            "{path}"
        );
        assert!(
            path.contains("/apis/bitnami.com/v1alpha1/namespaces/"),
            "{path}"
        );
        assert!(!last_applied);
    }
    assert!(
        stdout(&out).contains("sealedsecret.bitnami.com/agent-env serverside-applied"),
        "{}",
        stdout(&out)
    );
}
