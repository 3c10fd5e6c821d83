use super::*;
use serde_json::json;

fn workload(kind: WorkloadKind, name: &str, spec: Value) -> Workload {
    Workload {
        kind,
        namespace: "t".into(),
        name: name.into(),
        reads: references(&spec),
        oldest_pod: Some("2026-01-01T00:00:00Z".into()),
    }
}

fn keys(k: &[&str]) -> BTreeSet<String> {
    k.iter().map(|s| s.to_string()).collect()
}

fn secret(name: &str, have: &[&str], change: Option<Change>) -> SecretState {
    SecretState {
        namespace: "t".into(),
        name: name.into(),
        keys: Some(keys(have)),
        change,
    }
}

fn env_from() -> Value {
    json!({"containers": [{"name": "a", "envFrom": [{"secretRef": {"name": "agent-env"}}]}]})
}

fn key_ref(key: &str) -> Value {
    json!({"containers": [{"name": "a", "env": [{"name": "E", "valueFrom": {"secretKeyRef": {"name": "agent-env", "key": key}}}]}]})
}

fn volume(items: Option<&[&str]>, sub_path: bool, projected: bool) -> Value {
    let mut src = json!({});
    if let Some(items) = items {
        src["items"] = items.iter().map(|k| json!({"key": k, "path": k})).collect();
    }
    let vol = if projected {
        src["name"] = "agent-env".into();
        json!({"name": "v", "projected": {"sources": [{"secret": src}]}})
    } else {
        src["secretName"] = "agent-env".into();
        json!({"name": "v", "secret": src})
    };
    let mut mount = json!({"name": "v", "mountPath": "/s"});
    if sub_path {
        mount["subPath"] = "K".into();
    }
    json!({"containers": [{"name": "a", "volumeMounts": [mount]}], "volumes": [vol]})
}

fn actions(p: &Plan) -> Vec<(&str, Action)> {
    p.entries
        .iter()
        .map(|e| (e.name.as_str(), e.action))
        .collect()
}

#[test]
fn one_key_changed_restarts_exactly_its_readers() {
    let s = [secret(
        "agent-env",
        &["A", "B"],
        Some(Change::Keys(keys(&["A"]))),
    )];
    let w = [
        workload(WorkloadKind::Deployment, "from", env_from()),
        workload(WorkloadKind::Deployment, "ref-a", key_ref("A")),
        workload(WorkloadKind::Deployment, "ref-b", key_ref("B")),
        workload(WorkloadKind::Deployment, "vol", volume(None, false, false)),
        workload(
            WorkloadKind::Deployment,
            "vol-b",
            volume(Some(&["B"]), false, true),
        ),
        workload(
            WorkloadKind::StatefulSet,
            "sub",
            volume(Some(&["A"]), true, false),
        ),
        workload(WorkloadKind::CronJob, "cron", env_from()),
        workload(WorkloadKind::Rollout, "argo", key_ref("A")),
        workload(
            WorkloadKind::Deployment,
            "none",
            json!({"containers": [{}]}),
        ),
    ];
    let p = plan(&s, &w, Options::default());
    assert_eq!(
        actions(&p),
        [
            ("from", Action::Restart),
            ("ref-a", Action::Restart),
            ("vol", Action::Mounted),
            ("sub", Action::Restart),
            ("cron", Action::Report),
            ("argo", Action::Report),
        ]
    );
    assert_eq!(p.consumers, 8);
    let t = text(&p);
    assert!(t.contains("restart  Deployment t/ref-a\n         agent-env: key A changed in this apply; read through env E from key A in container a\n"), "{t}");
    assert!(t.contains("volume v (items A) mounted with subPath"), "{t}");
    assert!(t.contains("--restart-mounted"), "{t}");
    assert!(t.contains("3 to restart, 1 mounted (refreshed in place), 2 reported, 0 blocked, 0 without pods (8 workloads read the Secrets)"), "{t}");
    let p = plan(
        &s,
        &w,
        Options {
            restart_mounted: true,
        },
    );
    assert_eq!(p.entries[2].action, Action::Restart);
}

#[test]
fn an_added_key_restarts_env_from_readers_only() {
    let s = [secret(
        "agent-env",
        &["A", "NEW"],
        Some(Change::Keys(keys(&["NEW"]))),
    )];
    let w = [
        workload(WorkloadKind::Deployment, "from", env_from()),
        workload(WorkloadKind::Deployment, "ref-a", key_ref("A")),
        workload(
            WorkloadKind::DaemonSet,
            "items",
            volume(Some(&["A"]), true, true),
        ),
    ];
    assert_eq!(
        actions(&plan(&s, &w, Options::default())),
        [("from", Action::Restart)]
    );
}

#[test]
fn nothing_changed_is_an_empty_plan() {
    let s = [secret("agent-env", &["A"], None)];
    let w = [workload(WorkloadKind::Deployment, "from", env_from())];
    let p = plan(&s, &w, Options::default());
    assert!(p.entries.is_empty());
    assert_eq!(p.consumers, 1);
    assert_eq!(p.restarts().count(), 0);
}

#[test]
fn a_secret_written_after_the_pods_started_makes_them_stale() {
    let change = |t: &str| {
        Some(Change::Since {
            time: t.into(),
            by_eso: true,
        })
    };
    let w = [
        workload(WorkloadKind::Deployment, "ref-a", key_ref("A")),
        Workload {
            oldest_pod: None,
            ..workload(WorkloadKind::Deployment, "idle", env_from())
        },
    ];
    let p = plan(
        &[secret("agent-env", &["A"], change("2026-02-01T00:00:00Z"))],
        &w,
        Options::default(),
    );
    assert_eq!(actions(&p), [("ref-a", Action::Restart)]);
    assert_eq!(p.entries[0].reasons[0].keys, None);
    assert!(p.entries[0].reasons[0].why.contains("changed at 2026-02-01T00:00:00Z, after its oldest pod started (2026-01-01T00:00:00Z); which keys changed cannot be told (External Secrets Operator wrote it)"), "{:?}", p.entries[0].reasons);
    // Written before the pods started: nothing to do.
    let p = plan(
        &[secret("agent-env", &["A"], change("2025-12-01T00:00:00Z"))],
        &w,
        Options::default(),
    );
    assert!(p.entries.is_empty());
}

#[test]
fn a_missing_key_blocks_the_restart() {
    let s = [secret(
        "agent-env",
        &["A"],
        Some(Change::Keys(keys(&["A", "GONE"]))),
    )];
    let w = [
        workload(WorkloadKind::Deployment, "gone", key_ref("GONE")),
        workload(WorkloadKind::Deployment, "from", env_from()),
    ];
    let p = plan(&s, &w, Options::default());
    assert_eq!(
        actions(&p),
        [("from", Action::Restart), ("gone", Action::Blocked)]
    );
    assert!(text(&p).contains("key GONE is not in the Secret"));
}

#[test]
fn selectors_and_pod_starts() {
    let d = json!({"kind": "Deployment", "metadata": {"name": "web", "namespace": "t"},
        "spec": {"selector": {"matchLabels": {"app": "web"},
                              "matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db"]}]},
                 "template": {"spec": env_from()}}});
    let pod = |app: &str, start: &str, phase: &str| {
        json!({"metadata": {"labels": {"app": app}}, "status": {"phase": phase,
               "startTime": "2025-01-01T00:00:00Z",
               "containerStatuses": [{"state": {"running": {"startedAt": start}}}]}})
    };
    let pods = [
        pod("web", "2026-03-01T00:00:00Z", "Running"),
        pod("web", "2026-02-01T00:00:00Z", "Running"),
        pod("web", "2026-01-01T00:00:00Z", "Pending"),
        pod("db", "2025-01-01T00:00:00Z", "Running"),
    ];
    let pods: Vec<Pod> = pods.iter().map(Pod::from_value).collect();
    let refs: Vec<&Pod> = pods.iter().collect();
    let w = Workload::from_object(&d, &refs).unwrap();
    assert_eq!(w.oldest_pod.as_deref(), Some("2026-02-01T00:00:00Z"));
    assert_eq!(w.reads.len(), 1);
    assert_eq!(uses(&env_from(), "agent-env").len(), 1);
    assert!(!selects(&json!({}), &pods[0].labels));
    // The typed reading of kubectl's output gives the same pods.
    let list = json!({"kind": "List", "items": [pod("web", "2026-03-01T00:00:00Z", "Running")]});
    assert_eq!(parse_pods(list.to_string().as_bytes()).unwrap(), pods[..1]);
}

#[test]
fn changed_keys_compares_values_and_names() {
    let m = |p: &[(&str, &str)]| -> BTreeMap<String, Vec<u8>> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
            .collect()
    };
    assert_eq!(
        changed_keys(
            &m(&[("A", "1"), ("B", "2"), ("C", "3")]),
            &m(&[("A", "1"), ("B", "x"), ("D", "4")])
        ),
        keys(&["B", "C", "D"])
    );
}

#[test]
fn cluster_strings_are_escaped() {
    assert_eq!(shown("a\nb\u{1b}"), "a\\nb\\u{1b}");
}
