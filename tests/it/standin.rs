//! The stand-in API server itself: its recorded objects are valid for the ESO CRDs (status
//! included), and the real kubectl reads them, gets 404 and 403 as from an API server, and
//! cannot write.

use crate::common;

use common::standin::{fixture, kubectl, Cluster, StandIn};
use std::process::Command;

#[test]
#[cfg_attr(
    no_checker,
    ignore = "needs python3 with pyyaml, jsonschema, kubernetes-validate: run scripts/fetch-tools.sh"
)]
fn recorded_eso_objects_are_valid_for_the_crds_status_included() {
    let checker = common::checker();
    let fixtures: Vec<_> = std::fs::read_dir(common::root().join("tests/standin/fixtures"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    let mut args = vec![
        common::root()
            .join("tests/standin/check_fixtures.py")
            .display()
            .to_string(),
        checker.display().to_string(),
    ];
    args.extend(fixtures.iter().map(|p| p.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = common::python(&args, "");
    let text = common::stdout(&out);
    assert!(out.status.success(), "{text}{}", common::stderr(&out));
    let summary: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert!(summary["checked"].as_u64().unwrap() >= 6, "{text}");

    // The check can fail: a condition type ESO v1 does not have is refused.
    let dir = tempfile::tempdir().unwrap();
    let mut bad: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("external-es-failing.json")).unwrap(),
    )
    .unwrap();
    bad["items"][0]["status"]["conditions"][0]["type"] = "SecretSynced".into();
    let bad_path = dir.path().join("bad.json");
    std::fs::write(&bad_path, bad.to_string()).unwrap();
    let out = common::python(&[args[0], args[1], bad_path.to_str().unwrap()], "");
    assert!(!out.status.success());
    assert!(
        common::stdout(&out).contains("status.conditions.0.type"),
        "{}",
        common::stdout(&out)
    );
}

fn get(s: &StandIn, kubectl: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(kubectl)
        .arg("--kubeconfig")
        .arg(s.kubeconfig())
        .arg("--cache-dir")
        .arg(s.cache_dir())
        .args(args)
        .output()
        .unwrap()
}

#[test]
#[cfg_attr(
    any(no_kubectl, no_python3),
    ignore = "needs kubectl; python3: run scripts/fetch-tools.sh"
)]
fn kubectl_reads_the_recorded_objects_and_gets_api_server_errors() {
    let kubectl = kubectl();
    let s = StandIn::start(&Cluster::new(&["external.json"]).forbid("pods@team-default"));
    let out = get(
        &s,
        &kubectl,
        &[
            "get",
            "externalsecrets.external-secrets.io",
            "agent-env",
            "gcp-adc",
            "-n",
            "team-default",
            "-o",
            "json",
        ],
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    assert_eq!(list["items"][0]["status"]["conditions"][0]["type"], "Ready");

    let out = get(
        &s,
        &kubectl,
        &[
            "get",
            "clustersecretstore",
            "recif-secret-store",
            "-o",
            "json",
        ],
    );
    assert!(out.status.success(), "{}", common::stderr(&out));

    let out = get(
        &s,
        &kubectl,
        &["get", "secret", "nope", "-n", "team-default", "-o", "json"],
    );
    assert!(!out.status.success());
    assert!(
        common::stderr(&out).contains(r#"Error from server (NotFound): secrets "nope" not found"#),
        "{}",
        common::stderr(&out)
    );

    let out = get(
        &s,
        &kubectl,
        &["get", "pods", "-n", "team-default", "-o", "json"],
    );
    assert!(!out.status.success());
    assert!(
        common::stderr(&out).contains("Error from server (Forbidden)"),
        "{}",
        common::stderr(&out)
    );
    // Other namespaces are not forbidden.
    let out = get(
        &s,
        &kubectl,
        &["get", "pods", "-n", "recif-system", "-o", "json"],
    );
    assert!(out.status.success(), "{}", common::stderr(&out));

    let out = get(
        &s,
        &kubectl,
        &[
            "get",
            "secrets",
            "-A",
            "-l",
            "app.kubernetes.io/managed-by=recif-secrets",
            "-o",
            "json",
        ],
    );
    assert!(out.status.success(), "{}", common::stderr(&out));

    s.assert_read_only();

    // A write is refused and logged.
    let out = get(
        &s,
        &kubectl,
        &["delete", "secret", "agent-env", "-n", "team-default"],
    );
    assert!(!out.status.success());
    assert!(s.requests().iter().any(|r| r.0 == "DELETE" && r.2 == 405));
}
