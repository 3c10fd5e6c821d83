//! Rotation that reaches the agents: `rollout` and `render --apply --restart`, with the real
//! kubectl 1.35 against the loopback stand-in API server, which records every write (method,
//! path, content type, body) so each test asserts exactly which workloads were patched.

use crate::common;

use std::path::Path;
use std::process::Output;

use common::standin::{against, bin, kubectl, unreachable_kubeconfig, Cluster, StandIn};
use common::{expect_exit, stderr, stdout};
use serde_json::{json, Value};

const NS: &str = "team-default";
/// Pods started before the recorded Secrets last changed (2026-11-20T10:00:00Z / 10:00:10Z).
const OLD: &str = "2026-11-01T00:00:00Z";
/// Pods started after.
const NEW: &str = "2026-11-21T08:00:00Z";
/// Exit code of a rollout that did not finish.
const ROLLOUT_FAILED: i32 = 5;

fn env_from(secret: &str) -> Value {
    json!({"containers": [{"name": "agent", "image": "agent:1",
        "envFrom": [{"secretRef": {"name": secret}}]}]})
}

fn key_ref(key: &str) -> Value {
    json!({"containers": [{"name": "agent", "image": "agent:1",
        "env": [{"name": "API_KEY", "valueFrom": {"secretKeyRef": {"name": "agent-env", "key": key}}}]}]})
}

/// A `secret` (or `projected`) volume of `secret`, with `items` if given, mounted with
/// `subPath` if asked.
fn volume(secret: &str, items: Option<&[&str]>, sub_path: bool, projected: bool) -> Value {
    let mut src = json!({});
    if let Some(items) = items {
        src["items"] = items.iter().map(|k| json!({"key": k, "path": k})).collect();
    }
    let vol = if projected {
        src["name"] = secret.into();
        json!({"name": "creds", "projected": {"sources": [{"secret": src}]}})
    } else {
        src["secretName"] = secret.into();
        json!({"name": "creds", "secret": src})
    };
    let mut mount = json!({"name": "creds", "mountPath": "/var/run/creds", "readOnly": true});
    if sub_path {
        mount["mountPath"] = "/var/run/creds/key".into();
        mount["subPath"] = items.map_or("key", |i| i[0]).into();
    }
    json!({"containers": [{"name": "agent", "image": "agent:1", "volumeMounts": [mount]}],
           "volumes": [vol]})
}

/// A workload as the API server returns it (defaults and a finished rollout's status), and
/// one running pod of it started at `started`.
fn workload(kind: &str, name: &str, pod_spec: Value, started: &str) -> Vec<Value> {
    let api = match kind {
        "CronJob" => "batch/v1",
        "Rollout" => "argoproj.io/v1alpha1",
        _ => "apps/v1",
    };
    let labels = json!({"app": name});
    let template = json!({"metadata": {"labels": labels}, "spec": pod_spec});
    let (spec, status) = match kind {
        "CronJob" => (
            json!({"schedule": "0 * * * *", "jobTemplate": {"spec": {"template": template}}}),
            json!({}),
        ),
        "DaemonSet" => (
            json!({"selector": {"matchLabels": labels}, "template": template,
                   "updateStrategy": {"type": "RollingUpdate"}}),
            json!({"observedGeneration": 1, "desiredNumberScheduled": 1, "currentNumberScheduled": 1,
                   "updatedNumberScheduled": 1, "numberReady": 1, "numberAvailable": 1}),
        ),
        "StatefulSet" => (
            json!({"replicas": 1, "selector": {"matchLabels": labels}, "template": template,
                   "updateStrategy": {"type": "RollingUpdate"}}),
            json!({"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "readyReplicas": 1,
                   "availableReplicas": 1, "currentReplicas": 1,
                   "currentRevision": format!("{name}-1"), "updateRevision": format!("{name}-1")}),
        ),
        _ => (
            json!({"replicas": 1, "selector": {"matchLabels": labels}, "template": template,
                   "strategy": {"type": "RollingUpdate"}}),
            json!({"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "readyReplicas": 1,
                   "availableReplicas": 1}),
        ),
    };
    let mut out = vec![json!({"apiVersion": api, "kind": kind,
        "metadata": {"name": name, "namespace": NS, "generation": 1, "resourceVersion": "100",
                     "creationTimestamp": "2026-10-01T00:00:00Z"},
        "spec": spec, "status": status})];
    if kind != "CronJob" {
        out.push(json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": format!("{name}-0"), "namespace": NS, "labels": labels},
            "spec": pod_spec,
            "status": {"phase": "Running", "startTime": started,
                       "containerStatuses": [{"name": "agent", "ready": true, "restartCount": 0,
                                              "image": "agent:1", "imageID": "",
                                              "state": {"running": {"startedAt": started}}}]}}));
    }
    out
}

/// Writes `objects` as a fixture file (a `List`) in `dir`.
fn fixture_file(dir: &Path, name: &str, objects: Vec<Vec<Value>>) -> String {
    let items: Vec<Value> = objects.into_iter().flatten().collect();
    let path = dir.join(name);
    std::fs::write(
        &path,
        json!({"apiVersion": "v1", "kind": "List", "items": items}).to_string(),
    )
    .unwrap();
    path.display().to_string()
}

/// The workloads the stand-in saw patched with kubectl's restart annotation, as
/// `resource/name`, and checks each patch is exactly `kubectl rollout restart`'s.
fn restarted(s: &StandIn) -> Vec<String> {
    let mut out = Vec::new();
    for w in s.writes() {
        let path = w["path"].as_str().unwrap();
        if !path.starts_with("/apis/apps/v1/") {
            continue;
        }
        assert_eq!(w["method"], "PATCH", "{w}");
        assert_eq!(
            w["contentType"], "application/strategic-merge-patch+json",
            "{w}"
        );
        assert!(path.contains("?fieldManager=kubectl-rollout"), "{w}");
        let annotations = w["body"]["spec"]["template"]["metadata"]["annotations"]
            .as_object()
            .unwrap();
        assert_eq!(
            annotations.keys().collect::<Vec<_>>(),
            ["kubectl.kubernetes.io/restartedAt"],
            "{w}"
        );
        let rest = path
            .split('?')
            .next()
            .unwrap()
            .strip_prefix(&format!("/apis/apps/v1/namespaces/{NS}/"))
            .unwrap();
        out.push(rest.to_string());
    }
    out
}

/// The canary value `render --apply --restart` rotates to, and its base64 form.
const CANARY: &str = "canary-rotated-openai-9f3a7";
const CANARY_B64: &str = "Y2FuYXJ5LXJvdGF0ZWQtb3BlbmFpLTlmM2E3";

fn assert_no_value(out: &Output, values: &[&str]) {
    let all = format!("{}{}", stdout(out), stderr(out));
    for v in values {
        assert!(!all.contains(v), "a value reached the output: {all}");
    }
}

/// Values recorded in the stand-in's Secrets (inline.json, external.json), in clear and base64.
const RECORDED: &[&str] = &[
    "sk-proj-example-openai-key",
    "c2stcHJvai1leGFtcGxlLW9wZW5haS1rZXk=",
    "AIzaSy-example-google-key",
    "sk-proj-recorded-openai",
    "c2stcHJvai1yZWNvcmRlZC1vcGVuYWk=",
    "BEGIN PRIVATE KEY",
];

/// One key changed (OPENAI_API_KEY) and 20 workloads in the namespace: exactly those that
/// read that key through their environment or a subPath mount are patched.
#[test]
#[cfg_attr(
    any(no_kubectl, no_python3),
    ignore = "needs kubectl; python3: run scripts/fetch-tools.sh"
)]
fn render_apply_restart_patches_exactly_the_readers_of_the_changed_key() {
    let k = kubectl();
    let dir = tempfile::tempdir().unwrap();
    let w = |kind: &str, name: &str, spec: Value| workload(kind, name, spec, OLD);
    let workloads = vec![
        w("Deployment", "env-from-1", env_from("agent-env")),
        w("Deployment", "env-from-2", env_from("agent-env")),
        w("DaemonSet", "ds-env-from", env_from("agent-env")),
        w("StatefulSet", "sts-env-from", env_from("agent-env")),
        w("Deployment", "ref-openai-1", key_ref("OPENAI_API_KEY")),
        w("Deployment", "ref-openai-2", key_ref("OPENAI_API_KEY")),
        w("Deployment", "ref-google-1", key_ref("GOOGLE_API_KEY")),
        w("Deployment", "ref-google-2", key_ref("GOOGLE_API_KEY")),
        w("Deployment", "ref-anthropic", key_ref("ANTHROPIC_API_KEY")),
        w("StatefulSet", "sts-ref-google", key_ref("GOOGLE_API_KEY")),
        w(
            "Deployment",
            "vol-all",
            volume("agent-env", None, false, false),
        ),
        w(
            "Deployment",
            "vol-openai-subpath",
            volume("agent-env", Some(&["OPENAI_API_KEY"]), true, false),
        ),
        w(
            "Deployment",
            "proj-google-subpath",
            volume("agent-env", Some(&["GOOGLE_API_KEY"]), true, true),
        ),
        w(
            "Deployment",
            "proj-openai",
            volume("agent-env", Some(&["OPENAI_API_KEY"]), false, true),
        ),
        w(
            "Deployment",
            "gcp-vol",
            volume("gcp-adc", None, false, false),
        ),
        w(
            "Deployment",
            "gcp-subpath",
            volume("gcp-adc", Some(&["adc.json"]), true, false),
        ),
        w(
            "Deployment",
            "plain",
            json!({"containers": [{"name": "agent", "image": "agent:1"}]}),
        ),
        w(
            "Deployment",
            "init-env-from",
            json!({"initContainers": [{"name": "init", "image": "agent:1", "envFrom": [{"secretRef": {"name": "agent-env"}}]}],
                   "containers": [{"name": "agent", "image": "agent:1"}]}),
        ),
        w("CronJob", "cron-env-from", env_from("agent-env")),
        w("Rollout", "argo-ref-openai", key_ref("OPENAI_API_KEY")),
    ];
    assert_eq!(workloads.len(), 20);
    let f = fixture_file(dir.path(), "workloads.json", workloads);
    let s = StandIn::start(&Cluster::new(&["inline.json", &f]));
    let set = format!("llm.openaiApiKey={CANARY}");
    let args = [
        "render",
        "-f",
        "examples/inline.yaml",
        "--set-string",
        &set,
        "--apply",
        "--restart",
    ];
    let out = against(&s, &k, &args);
    let text = stdout(&out);
    expect_exit(&out, 0, &format!("{text}{}", stderr(&out)));
    let mut patched = restarted(&s);
    patched.sort();
    assert_eq!(
        patched,
        [
            "daemonsets/ds-env-from",
            "deployments/env-from-1",
            "deployments/env-from-2",
            "deployments/init-env-from",
            "deployments/ref-openai-1",
            "deployments/ref-openai-2",
            "deployments/vol-openai-subpath",
            "statefulsets/sts-env-from",
        ],
        "{text}"
    );
    for want in [
        "restart  Deployment team-default/ref-openai-1\n         agent-env: key OPENAI_API_KEY changed in this apply; read through env API_KEY from key OPENAI_API_KEY in container agent\n",
        "restart  Deployment team-default/env-from-1\n         agent-env: key OPENAI_API_KEY changed in this apply; read through envFrom in container agent\n",
        "restart  Deployment team-default/vol-openai-subpath\n         agent-env: key OPENAI_API_KEY changed in this apply; read through volume creds (items OPENAI_API_KEY) mounted with subPath\n",
        "mounted  Deployment team-default/vol-all\n         agent-env: key OPENAI_API_KEY changed in this apply; read through volume creds\n         not restarted: mounted files are refreshed in place by the kubelet",
        "mounted  Deployment team-default/proj-openai\n",
        "report   CronJob team-default/cron-env-from\n",
        "not touched: its next Job reads the new values",
        "report   Rollout team-default/argo-ref-openai\n",
        "kubectl argo rollouts restart argo-ref-openai -n team-default",
        "8 to restart, 2 mounted (refreshed in place), 2 reported, 0 blocked, 0 without pods (19 workloads read the Secrets)\n",
        "restarted 8 of 8 workloads\n",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    for not in [
        "ref-google",
        "ref-anthropic",
        "gcp-",
        "plain",
        "proj-google",
    ] {
        assert!(
            !text.contains(&format!("{NS}/{not}")),
            "{not} listed:\n{text}"
        );
    }
    // One at a time, in the order of the plan.
    let order: Vec<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("restarted  "))
        .map(str::to_string)
        .collect();
    assert_eq!(order.len(), 8, "{text}");
    assert_no_value(&out, &[CANARY, CANARY_B64]);
    assert_no_value(&out, RECORDED);
    // The Secret holds the new value (the apply went through) ...
    let secret = s
        .writes()
        .into_iter()
        .find(|w| {
            w["path"]
                .as_str()
                .unwrap()
                .contains("/namespaces/team-default/secrets/agent-env")
        })
        .expect("agent-env applied");
    assert!(
        secret["body"]["data"]["OPENAI_API_KEY"] == CANARY_B64,
        "{secret}"
    );

    // ... and applying the same values again changes no value: no restart.
    let before = s.writes().len();
    let out = against(&s, &k, &args);
    expect_exit(&out, 0, "");
    assert!(
        stdout(&out).contains("no Secret value changed in this apply: nothing to restart\n"),
        "{}",
        stdout(&out)
    );
    let again: Vec<Value> = s.writes().into_iter().skip(before).collect();
    assert!(
        again
            .iter()
            .all(|w| !w["path"].as_str().unwrap().starts_with("/apis/apps/")),
        "{again:?}"
    );
    assert_no_value(&out, &[CANARY, CANARY_B64]);
}

/// A key added to agent-env restarts the envFrom readers only.
#[test]
#[cfg_attr(
    any(no_kubectl, no_python3),
    ignore = "needs kubectl; python3: run scripts/fetch-tools.sh"
)]
fn an_added_key_restarts_env_from_readers_only() {
    let k = kubectl();
    let dir = tempfile::tempdir().unwrap();
    let f = fixture_file(
        dir.path(),
        "w.json",
        vec![
            workload("Deployment", "from", env_from("agent-env"), OLD),
            workload("Deployment", "ref", key_ref("OPENAI_API_KEY"), OLD),
            workload(
                "Deployment",
                "sub",
                volume("agent-env", Some(&["OPENAI_API_KEY"]), true, false),
                OLD,
            ),
        ],
    );
    let s = StandIn::start(&Cluster::new(&["inline.json", &f]));
    let args = [
        "render",
        "-f",
        "examples/inline.yaml",
        "--set-string",
        "llm.extraEnv.NEW_TOKEN=canary-new-token-value",
        "--apply",
        "--restart",
    ];
    // kubectl's dry run: the plan from the rendered values, nothing restarted.
    let mut dry = args.to_vec();
    dry.extend(["--dry-run", "server"]);
    let out = against(&s, &k, &dry);
    let text = stdout(&out);
    expect_exit(&out, 0, &format!("{text}{}", stderr(&out)));
    assert!(
        text.contains("restart  Deployment team-default/from\n"),
        "{text}"
    );
    assert!(text.ends_with("dry run: nothing restarted\n"), "{text}");
    assert!(restarted(&s).is_empty(), "{text}");
    assert_no_value(&out, &["canary-new-token-value"]);

    let out = against(&s, &k, &args);
    let text = stdout(&out);
    expect_exit(&out, 0, &format!("{text}{}", stderr(&out)));
    assert_eq!(restarted(&s), ["deployments/from"], "{text}");
    assert!(
        text.contains("agent-env: key NEW_TOKEN changed in this apply; read through envFrom"),
        "{text}"
    );
    assert_no_value(&out, &["canary-new-token-value"]);
}

/// `rollout` where every pod started after its Secret last changed: nothing to do, and not
/// one write reaches the cluster; `-o json` says the same.
#[test]
#[cfg_attr(
    any(no_kubectl, no_python3),
    ignore = "needs kubectl; python3: run scripts/fetch-tools.sh"
)]
fn rollout_with_nothing_changed_writes_nothing() {
    let k = kubectl();
    let dir = tempfile::tempdir().unwrap();
    let f = fixture_file(
        dir.path(),
        "w.json",
        vec![
            workload("Deployment", "from", env_from("agent-env"), NEW),
            workload("Deployment", "ref", key_ref("OPENAI_API_KEY"), NEW),
            workload("DaemonSet", "ds", env_from("agent-env"), NEW),
        ],
    );
    let s = StandIn::start(&Cluster::new(&["inline.json", &f]));
    let out = against(&s, &k, &["rollout", "-f", "examples/inline.yaml", "--wait"]);
    let text = stdout(&out);
    expect_exit(&out, 0, &format!("{text}{}", stderr(&out)));
    assert_eq!(
        text,
        "0 to restart, 0 mounted (refreshed in place), 0 reported, 0 blocked, 0 without pods (3 workloads read the Secrets)\nrestarted 0 of 0 workloads\n"
    );
    let out = against(
        &s,
        &k,
        &["rollout", "-f", "examples/inline.yaml", "-o", "json"],
    );
    expect_exit(&out, 0, "");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["plan"]["entries"], json!([]));
    assert_eq!(v["plan"]["consumers"], 3);
    assert_eq!(v["restarts"], json!([]));
    s.assert_read_only();
    assert_no_value(&out, RECORDED);
}

/// An ESO-written Secret that changed after a workload's pods started makes it stale: it is
/// restarted, saying the changed keys could not be told; one whose pods are newer is not; a
/// mounted reader is listed, and restarted only with --restart-mounted.
#[test]
#[cfg_attr(
    any(no_kubectl, no_python3),
    ignore = "needs kubectl; python3: run scripts/fetch-tools.sh"
)]
fn rollout_restarts_readers_of_an_eso_secret_newer_than_their_pods() {
    let k = kubectl();
    let dir = tempfile::tempdir().unwrap();
    let f = fixture_file(
        dir.path(),
        "w.json",
        vec![
            workload("Deployment", "stale", key_ref("OPENAI_API_KEY"), OLD),
            workload("Deployment", "fresh", env_from("agent-env"), NEW),
            workload(
                "Deployment",
                "mounted",
                volume("gcp-adc", None, false, false),
                OLD,
            ),
        ],
    );
    let s = StandIn::start(&Cluster::new(&["external.json", &f]));
    let base = ["rollout", "-f", "examples/external-vault.yaml"];
    let mut dry = base.to_vec();
    dry.push("--dry-run");
    let out = against(&s, &k, &dry);
    let text = stdout(&out);
    expect_exit(&out, 0, &format!("{text}{}", stderr(&out)));
    assert!(text.contains("restart  Deployment team-default/stale\n         agent-env: changed at 2026-11-20T10:00:10Z, after its oldest pod started (2026-11-01T00:00:00Z); which keys changed cannot be told (External Secrets Operator wrote it); read through env API_KEY from key OPENAI_API_KEY in container agent\n"), "{text}");
    assert!(
        text.contains("mounted  Deployment team-default/mounted\n"),
        "{text}"
    );
    assert!(!text.contains("team-default/fresh"), "{text}");
    assert!(text.ends_with("dry run: nothing restarted\n"), "{text}");
    s.assert_read_only();
    assert_no_value(&out, RECORDED);

    let mut json_args = base.to_vec();
    json_args.extend(["-o", "json"]);
    let out = against(&s, &k, &json_args);
    expect_exit(&out, 0, "");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["restarts"],
        json!([{"kind": "Deployment", "namespace": NS, "name": "stale", "result": "restarted"}])
    );
    let stale = &v["plan"]["entries"][1];
    assert_eq!(stale["name"], "stale", "{v}");
    assert_eq!(stale["reasons"][0]["keys"], Value::Null, "{v}");
    assert_eq!(
        stale["reasons"][0]["how"],
        json!({"type": "env", "container": "agent", "env": "API_KEY", "key": "OPENAI_API_KEY"})
    );
    assert_eq!(restarted(&s), ["deployments/stale"]);
    assert_no_value(&out, RECORDED);

    // The restarted workload's pods are new: a second run restarts nothing more; asked to,
    // it restarts the mounted reader.
    let mut mounted = base.to_vec();
    mounted.push("--restart-mounted");
    let out = against(&s, &k, &mounted);
    expect_exit(&out, 0, "");
    assert_eq!(
        restarted(&s),
        ["deployments/stale", "deployments/mounted"],
        "{}",
        stdout(&out)
    );
}

/// With --wait, a rollout that never becomes ready stops the run there: the workloads after it
/// are not restarted, and the exit code says a rollout failed.
#[test]
#[cfg_attr(
    any(no_kubectl, no_python3),
    ignore = "needs kubectl; python3: run scripts/fetch-tools.sh"
)]
fn a_rollout_that_never_becomes_ready_stops_the_run() {
    let k = kubectl();
    let dir = tempfile::tempdir().unwrap();
    let f = fixture_file(
        dir.path(),
        "w.json",
        vec![
            workload("Deployment", "a-first", env_from("agent-env"), OLD),
            workload("Deployment", "b-stuck", env_from("agent-env"), OLD),
            workload("Deployment", "c-last", env_from("agent-env"), OLD),
        ],
    );
    let s = StandIn::start(
        &Cluster::new(&["inline.json", &f]).stuck("Deployment/team-default/b-stuck"),
    );
    let out = against(
        &s,
        &k,
        &[
            "rollout",
            "-f",
            "examples/inline.yaml",
            "--wait",
            "--timeout",
            "2s",
        ],
    );
    let (text, err) = (stdout(&out), stderr(&out));
    expect_exit(&out, ROLLOUT_FAILED, &format!("{text}{err}"));
    assert_eq!(
        restarted(&s),
        ["deployments/a-first", "deployments/b-stuck"],
        "{text}"
    );
    assert!(
        text.contains("restarted  Deployment team-default/a-first\nrolled out Deployment team-default/a-first\nrestarted  Deployment team-default/b-stuck\nrestarted 2 of 3 workloads\n"),
        "{text}"
    );
    assert!(err.contains("error: the rollout of Deployment team-default/b-stuck did not finish: Waiting for deployment \"b-stuck\" rollout to finish: 0 of 1 updated replicas are available...; error: timed out waiting for the condition; stopped, not restarted: Deployment team-default/c-last"), "{err}");
}

/// RBAC refuses the patch: the API server's reason, exit 3, nothing after it is tried.
#[test]
#[cfg_attr(
    any(no_kubectl, no_python3),
    ignore = "needs kubectl; python3: run scripts/fetch-tools.sh"
)]
fn a_forbidden_restart_stops_with_the_api_servers_reason() {
    let k = kubectl();
    let dir = tempfile::tempdir().unwrap();
    let f = fixture_file(
        dir.path(),
        "w.json",
        vec![
            workload("Deployment", "a", env_from("agent-env"), OLD),
            workload("Deployment", "b", env_from("agent-env"), OLD),
        ],
    );
    let s = StandIn::start(
        &Cluster::new(&["inline.json", &f]).forbid("patch:deployments@team-default"),
    );
    let out = against(&s, &k, &["rollout", "-f", "examples/inline.yaml"]);
    let err = stderr(&out);
    expect_exit(&out, 3, &format!("{}{err}", stdout(&out)));
    assert!(err.contains("error: kubectl rollout restart Deployment team-default/a failed: error: failed to patch: deployments.apps \"a\" is forbidden: User \"standin-user\" cannot patch resource \"deployments\" in API group \"apps\" in the namespace \"team-default\"; stopped, not restarted: Deployment team-default/b"), "{err}");
    let writes = s.writes();
    assert_eq!(writes.len(), 1, "{writes:?}");
    assert_eq!(writes[0]["status"], 403);
}

#[test]
#[cfg_attr(no_kubectl, ignore = "needs kubectl: run scripts/fetch-tools.sh")]
fn an_unreachable_cluster_is_exit_3() {
    let k = kubectl();
    let dir = tempfile::tempdir().unwrap();
    let kc = unreachable_kubeconfig(dir.path());
    for args in [
        vec!["rollout", "-f", "examples/inline.yaml"],
        vec![
            "render",
            "-f",
            "examples/inline.yaml",
            "--apply",
            "--restart",
        ],
    ] {
        let mut all = args.clone();
        all.extend([
            "--kubectl",
            k.to_str().unwrap(),
            "--kubeconfig",
            kc.to_str().unwrap(),
        ]);
        let out = bin(&all, &dir.path().join("cache"));
        expect_exit(&out, 3, &format!("{args:?}: {}", stderr(&out)));
        assert!(
            stderr(&out).contains(
                "error: cannot reach the cluster: The connection to the server 127.0.0.1:"
            ),
            "{}",
            stderr(&out)
        );
        assert_eq!(stdout(&out), "", "nothing applied or planned");
    }
}

#[test]
fn usage_errors() {
    let cache = tempfile::tempdir().unwrap();
    for args in [
        vec!["rollout", "--example", "--timeout", "5m"],
        vec!["rollout", "--example", "--wait", "--timeout", "soon"],
        vec!["render", "--example", "--restart"],
        vec!["render", "--example", "--wait"],
    ] {
        let out = bin(&args, cache.path());
        expect_exit(&out, 2, &format!("{args:?}: {}", stderr(&out)));
    }
}

/// Above four namespaces, Secrets are read with one cluster-wide list per name
/// (`--field-selector metadata.name=...`) and workloads with one per kind (`-A`), then
/// filtered to the namespaces the values target.
#[test]
#[cfg_attr(
    any(no_kubectl, no_python3),
    ignore = "needs kubectl; python3: run scripts/fetch-tools.sh"
)]
fn many_namespaces_are_read_with_cluster_wide_lists() {
    let k = kubectl();
    let dir = tempfile::tempdir().unwrap();
    let teams = ["t1", "t2", "t3", "t4", "t5", "not-ours"];
    let mut objects = Vec::new();
    for (i, ns) in teams.iter().enumerate() {
        for name in ["agent-env", "gcp-adc"] {
            objects.push(vec![json!({"apiVersion": "v1", "kind": "Secret",
                "metadata": {"name": name, "namespace": ns, "creationTimestamp": "2026-10-01T00:00:00Z",
                             "managedFields": [{"manager": "kubectl-client-side-apply", "operation": "Update",
                                                "time": "2026-11-20T10:00:00Z", "fieldsType": "FieldsV1",
                                                "fieldsV1": {"f:data": {}}}]},
                "data": {"K": "dmFsdWU="}, "type": "Opaque"})]);
        }
        let started = if i.is_multiple_of(2) { OLD } else { NEW };
        let mut w = workload("Deployment", "agent", env_from("agent-env"), started);
        for o in &mut w {
            o["metadata"]["namespace"] = json!(ns);
        }
        objects.push(w);
    }
    let f = fixture_file(dir.path(), "w.json", objects);
    let s = StandIn::start(&Cluster::new(&["inline.json", &f]));
    let out = against(
        &s,
        &k,
        &[
            "rollout",
            "-f",
            "examples/inline.yaml",
            "--set",
            "namespaces.teams={t1,t2,t3,t4,t5}",
            "--dry-run",
        ],
    );
    let text = stdout(&out);
    expect_exit(&out, 0, &format!("{text}{}", stderr(&out)));
    let planned: Vec<&str> = text.lines().filter(|l| l.starts_with("restart ")).collect();
    assert_eq!(
        planned,
        [
            "restart  Deployment t1/agent",
            "restart  Deployment t3/agent",
            "restart  Deployment t5/agent"
        ],
        "{text}"
    );
    s.assert_read_only();
    let paths: Vec<String> = s.requests().into_iter().map(|r| r.1).collect();
    for want in [
        "/api/v1/secrets?fieldSelector=metadata.name%3Dagent-env",
        "/apis/apps/v1/deployments?limit=500",
        "/api/v1/pods?limit=500",
    ] {
        assert!(
            paths.iter().any(|p| p.starts_with(want)),
            "{want} not in {paths:#?}"
        );
    }
    assert!(
        !paths
            .iter()
            .any(|p| p.contains("/namespaces/t1/deployments")),
        "{paths:#?}"
    );
}
