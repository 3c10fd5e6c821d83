//! Issue 20, cluster side, with the real kubectl against the loopback stand-in API server:
//! request timeouts, server-side apply with our field manager, SealedSecrets applied.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::standin::{kubectl, Cluster, StandIn};
use common::{root, stderr, stdout};

/// Runs `recif-secrets ARGS --kubectl K --kubeconfig KC` against the stand-in; a run still
/// going after `limit` is killed and fails the test (it hung).
fn against_within(s: &StandIn, k: &Path, args: &[&str], limit: Duration) -> Output {
    let kc = s.kubeconfig();
    let mut child = Command::new(env!("CARGO_BIN_EXE_recif-secrets"))
        .args(args)
        .args([
            "--kubectl",
            k.to_str().unwrap(),
            "--kubeconfig",
            kc.to_str().unwrap(),
        ])
        .current_dir(root())
        .env("KUBECACHEDIR", s.cache_dir())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!("{args:?} still running after {limit:?}: {}", stderr(&out));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn an_api_server_that_never_answers_ends_in_exit_3_after_the_request_timeout() {
    let Some(k) = kubectl() else { return };
    let Some(s) = StandIn::start(&Cluster::default().hang()) else {
        return;
    };
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
        assert_eq!(
            out.status.code(),
            Some(3),
            "{args:?}: {}{}",
            stdout(&out),
            stderr(&out)
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
        assert_eq!(o.status.code(), Some(2), "{bad}: {}", stderr(&o));
    }
}
