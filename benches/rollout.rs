//! The planning of `recif-secrets rollout` at 1000 team namespaces with 5 workloads each
//! (Deployment, StatefulSet, DaemonSet, CronJob, and a second Deployment), two running pods
//! per workload, and `agent-env` and `gcp-adc` in every namespace: everything the command
//! does besides waiting for kubectl. From the bytes kubectl prints (`kubectl get KIND -A -o
//! json`, one `List` per kind) to the plan: parsing, the Secrets' keys and last change, each
//! workload's pods by its selector, and the plan itself.
//!
//!     cargo bench --bench rollout                  # full measurement
//!     cargo bench --bench rollout -- --quick       # a quick look
//!
//! The goal (issue 24): under one second at 1000 namespaces, kubectl's own time aside.
//! `plan-cpu-time` times the same work by this thread's CPU time, which a loaded machine
//! does not inflate; `workloads-only` is the matching of workloads to pods alone.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde_json::{json, Value};

use recif_secrets::doctor;
use recif_secrets::rollout::{self, Change, Options, SecretState};

const NAMESPACES: usize = 1000;

fn pod_spec(i: usize) -> Value {
    let env: Vec<Value> = (0..8)
        .map(|k| json!({"name": format!("SETTING_{k}"), "value": format!("value-{k}")}))
        .chain([json!({"name": "OPENAI_API_KEY", "valueFrom": {"secretKeyRef": {"name": "agent-env", "key": "OPENAI_API_KEY"}}})])
        .collect();
    let mut spec = json!({
        "containers": [
            {"name": "agent", "image": "ghcr.io/recif/agent:1.0", "env": env,
             "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}},
             "volumeMounts": [{"name": "gcp", "mountPath": "/var/secrets/gcp", "readOnly": true}]},
            {"name": "sidecar", "image": "ghcr.io/recif/proxy:1.0",
             "ports": [{"containerPort": 8080, "protocol": "TCP"}]}
        ],
        "volumes": [{"name": "gcp", "secret": {"secretName": "gcp-adc", "defaultMode": 420}}],
        "serviceAccountName": "default",
        "restartPolicy": "Always",
    });
    if i.is_multiple_of(2) {
        spec["containers"][1]["envFrom"] = json!([{"secretRef": {"name": "agent-env"}}]);
    }
    spec
}

fn list(items: Vec<Value>) -> Vec<u8> {
    serde_json::to_vec_pretty(&json!({"apiVersion": "v1", "kind": "List", "items": items})).unwrap()
}

/// The bytes kubectl prints for each kind across all namespaces, pods, and the Secrets.
fn cluster() -> (Vec<Vec<u8>>, Vec<u8>, Vec<u8>) {
    let kinds = [
        ("Deployment", "apps/v1", "web"),
        ("StatefulSet", "apps/v1", "memory"),
        ("DaemonSet", "apps/v1", "logs"),
        ("CronJob", "batch/v1", "nightly"),
        ("Deployment", "apps/v1", "worker"),
    ];
    let mut per_kind: Vec<Vec<Value>> = vec![Vec::new(); 4];
    let mut pods = Vec::new();
    let mut secrets = Vec::new();
    for n in 0..NAMESPACES {
        let ns = format!("team-{n:04}");
        for (i, (kind, api, name)) in kinds.iter().enumerate() {
            let labels = json!({"app": name, "app.kubernetes.io/part-of": "recif"});
            let template = json!({"metadata": {"labels": labels}, "spec": pod_spec(i)});
            let spec = if *kind == "CronJob" {
                json!({"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": template}}})
            } else {
                json!({"replicas": 2, "selector": {"matchLabels": labels}, "template": template})
            };
            let slot = match *kind {
                "Deployment" => 0,
                "StatefulSet" => 1,
                "DaemonSet" => 2,
                _ => 3,
            };
            per_kind[slot].push(json!({"apiVersion": api, "kind": kind,
                "metadata": {"name": name, "namespace": ns, "generation": 3, "resourceVersion": "12345",
                             "uid": "00000000-0000-4000-8000-000000000000",
                             "creationTimestamp": "2026-10-01T00:00:00Z"},
                "spec": spec,
                "status": {"observedGeneration": 3, "replicas": 2, "readyReplicas": 2}}));
            if *kind == "CronJob" {
                continue;
            }
            for r in 0..2 {
                // Half the namespaces' pods started before the Secrets last changed.
                let started = if n.is_multiple_of(2) {
                    "2026-11-01T00:00:00Z"
                } else {
                    "2026-11-25T00:00:00Z"
                };
                pods.push(json!({"apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": format!("{name}-{r}"), "namespace": ns, "labels": labels},
                    "spec": pod_spec(i),
                    "status": {"phase": "Running", "startTime": started,
                               "containerStatuses": [
                                   {"name": "agent", "ready": true, "state": {"running": {"startedAt": started}}},
                                   {"name": "sidecar", "ready": true, "state": {"running": {"startedAt": started}}}]}}));
            }
        }
        for (name, data) in [
            (
                "agent-env",
                json!({"OPENAI_API_KEY": "c2stcHJvai0x", "GOOGLE_API_KEY": "QUl6YS0x"}),
            ),
            (
                "gcp-adc",
                json!({"adc.json": "eyJ0eXBlIjogInNlcnZpY2VfYWNjb3VudCJ9"}),
            ),
        ] {
            secrets.push(json!({"apiVersion": "v1", "kind": "Secret",
                "metadata": {"name": name, "namespace": ns, "creationTimestamp": "2026-10-01T00:00:00Z",
                             "managedFields": [{"manager": "external-secrets", "operation": "Update",
                                                "time": "2026-11-20T10:00:00Z", "fieldsType": "FieldsV1",
                                                "fieldsV1": {"f:data": {}}}]},
                "data": data, "type": "Opaque"}));
        }
    }
    (
        per_kind.into_iter().map(list).collect(),
        list(pods),
        list(secrets),
    )
}

fn items(bytes: &[u8]) -> Vec<Value> {
    let mut v: Value = serde_json::from_slice(bytes).unwrap();
    match v["items"].take() {
        Value::Array(a) => a,
        _ => Vec::new(),
    }
}

/// Everything `rollout` does between kubectl's output and the plan.
fn plan_from_bytes(kinds: &[Vec<u8>], pods: &[u8], secrets: &[u8]) -> rollout::Plan {
    let objects: Vec<Value> = kinds.iter().flat_map(|k| items(k)).collect();
    let pods = rollout::parse_pods(pods).unwrap();
    let states: Vec<SecretState> = items(secrets)
        .iter()
        .map(|s| SecretState {
            namespace: s["metadata"]["namespace"].as_str().unwrap().to_string(),
            name: s["metadata"]["name"].as_str().unwrap().to_string(),
            keys: Some(doctor::secret_values(s).into_keys().collect()),
            change: doctor::last_changed(s).map(|time| Change::Since { time, by_eso: true }),
        })
        .collect();
    let workloads = rollout::workloads(&objects, &pods);
    rollout::plan(&states, &workloads, Options::default())
}

fn bench_plan(c: &mut Criterion) {
    let (kinds, pods, secrets) = cluster();
    let bytes = kinds.iter().map(Vec::len).sum::<usize>() + pods.len() + secrets.len();
    let plan = plan_from_bytes(&kinds, &pods, &secrets);
    assert_eq!(plan.consumers, NAMESPACES * 5);
    // Half the namespaces are stale: their 4 restartable workloads restart, the CronJob is
    // reported.
    assert_eq!(plan.restarts().count(), NAMESPACES / 2 * 4);
    let mut g = c.benchmark_group("rollout");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("plan/1000-namespaces-5-workloads", |b| {
        b.iter(|| plan_from_bytes(black_box(&kinds), black_box(&pods), black_box(&secrets)))
    });
    // The same, timed by the CPU time of this thread (CLOCK_THREAD_CPUTIME_ID): on a shared
    // machine the wall time above includes waiting for a core.
    g.bench_function("plan-cpu-time/1000-namespaces-5-workloads", |b| {
        b.iter_custom(|iters| {
            let start = thread_cpu_time();
            for _ in 0..iters {
                black_box(plan_from_bytes(
                    black_box(&kinds),
                    black_box(&pods),
                    black_box(&secrets),
                ));
            }
            thread_cpu_time() - start
        })
    });
    let objects: Vec<Value> = kinds.iter().flat_map(|k| items(k)).collect();
    let pod_items = rollout::parse_pods(&pods).unwrap();
    g.bench_function("workloads-only/1000-namespaces-5-workloads", |b| {
        b.iter(|| {
            let w = rollout::workloads(black_box(&objects), black_box(&pod_items));
            black_box(w.len())
        })
    });
    g.finish();
}

fn thread_cpu_time() -> std::time::Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    std::time::Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

criterion_group!(benches, bench_plan);
criterion_main!(benches);
