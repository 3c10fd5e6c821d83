use super::*;
use serde_json::json;

fn es(name: &str, ns: &str, data_from: bool) -> Value {
    let mut spec = json!({"secretStoreRef": {"kind": "ClusterSecretStore", "name": "store"},
                              "target": {"name": name, "creationPolicy": "Owner"}});
    if data_from {
        spec["dataFrom"] = json!([{"extract": {"key": "recif/agent-env"}}]);
    } else {
        spec["data"] = json!([{"secretKey": "adc.json", "remoteRef": {"key": "recif/gcp-sa", "property": "value"}}]);
    }
    json!({"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
               "metadata": {"name": name, "namespace": ns}, "spec": spec})
}

fn with_ready(mut o: Value, status: &str, reason: &str, message: &str) -> Value {
    o["status"] = json!({"conditions": [{"type": "Ready", "status": status, "reason": reason, "message": message}]});
    o
}

fn secret(name: &str, ns: &str, data: Value, changed: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": ns,
               "creationTimestamp": "2026-01-01T00:00:00Z",
               "managedFields": [{"time": changed}]}, "data": data})
}

fn store() -> Value {
    json!({"apiVersion": "external-secrets.io/v1", "kind": "ClusterSecretStore",
               "metadata": {"name": "store"}, "spec": {"provider": {}}})
}

fn healthy() -> (Vec<Value>, Live) {
    let rendered = vec![
        store(),
        es("agent-env", "t", true),
        es("gcp-adc", "t", false),
    ];
    let mut live = Live::default();
    for o in &rendered {
        live.objects.insert(
            Id::of(o),
            Found::Object(if o["kind"] == "ClusterSecretStore" {
                with_ready(o.clone(), "True", "Valid", "store validated")
            } else {
                with_ready(o.clone(), "True", "SecretSynced", "secret synced")
            }),
        );
    }
    live.objects.insert(
        id("Secret", Some("t"), "agent-env"),
        Found::Object(secret(
            "agent-env",
            "t",
            json!({"OPENAI_API_KEY": "eA=="}),
            "2026-02-01T00:00:00Z",
        )),
    );
    live.objects.insert(
        id("Secret", Some("t"), "gcp-adc"),
        Found::Object(secret(
            "gcp-adc",
            "t",
            json!({"adc.json": "eA=="}),
            "2026-02-01T00:00:00Z",
        )),
    );
    live.pods.insert(
        "t".into(),
        Ok(vec![json!({"metadata": {"name": "p"},
            "spec": {"containers": [{"envFrom": [{"secretRef": {"name": "agent-env"}}]}]},
            "status": {"startTime": "2026-03-01T00:00:00Z"}})]),
    );
    (rendered, live)
}

#[test]
fn plan_reads_targets_stores_and_team_pods() {
    let (rendered, _) = healthy();
    let p = plan(&rendered);
    assert!(p.objects.contains(&id("Secret", Some("t"), "gcp-adc")));
    assert!(p.objects.contains(&id("ClusterSecretStore", None, "store")));
    assert_eq!(p.pod_namespaces.iter().collect::<Vec<_>>(), ["t"]);
}

#[test]
fn healthy_is_all_ok() {
    let (rendered, live) = healthy();
    let checks = check(&rendered, &live);
    assert!(
        checks.iter().all(|c| c.status == Status::Ok),
        "{}",
        text(&checks)
    );
    assert_eq!(checks.len(), 6, "{}", text(&checks));
}

#[test]
fn failures_carry_the_guides_fix() {
    let (rendered, mut live) = healthy();
    live.objects.insert(
        id("ClusterSecretStore", None, "store"),
        Found::Object(with_ready(
            store(),
            "False",
            "InvalidProviderConfig",
            "permission denied",
        )),
    );
    live.objects.insert(
        id("ExternalSecret", Some("t"), "agent-env"),
        Found::Object(with_ready(
            es("agent-env", "t", true),
            "False",
            "SecretSyncedError",
            "Secret does not exist",
        )),
    );
    live.objects.insert(
        id("Secret", Some("t"), "gcp-adc"),
        Found::Object(secret(
            "gcp-adc",
            "t",
            json!({"value": "eA=="}),
            "2026-02-01T00:00:00Z",
        )),
    );
    live.pods.insert("t".into(), Err("forbidden".into()));
    let t = text(&check(&rendered, &live));
    assert!(t.contains("problem          ClusterSecretStore store: Ready: False (InvalidProviderConfig): permission denied"), "{t}");
    assert!(
        t.contains("fix: SecretStore auth failed: check RBAC / service account bindings"),
        "{t}"
    );
    assert!(
        t.contains(
            "fix: Key not found: verify the remote key path matches your backend (recif/agent-env"
        ),
        "{t}"
    );
    assert!(
        t.contains("Secret t/gcp-adc: keys: missing key adc.json; has: value"),
        "{t}"
    );
    assert!(
        t.contains("could not check  Pods t: stale env: forbidden"),
        "{t}"
    );
}

#[test]
fn stale_env_is_a_problem_and_mounted_files_are_not() {
    let (rendered, mut live) = healthy();
    live.pods.insert("t".into(), Ok(vec![
            json!({"metadata": {"name": "old"}, "spec": {"containers": [{"env": [{"name": "K", "valueFrom": {"secretKeyRef": {"name": "agent-env", "key": "K"}}}]}]},
                   "status": {"startTime": "2026-01-15T00:00:00Z"}}),
            json!({"metadata": {"name": "mounted"}, "spec": {"containers": [{}], "volumes": [{"name": "g", "secret": {"secretName": "gcp-adc"}}]},
                   "status": {"startTime": "2026-01-15T00:00:00Z"}}),
        ]));
    let checks = check(&rendered, &live);
    let t = text(&checks);
    assert!(t.contains("problem          Pod t/old: stale env: uses agent-env (env); started 2026-01-15T00:00:00Z, before the Secret last changed (2026-02-01T00:00:00Z)"), "{t}");
    assert!(t.contains("force-sync"), "{t}");
    assert!(
        t.contains("ok               Pod t/mounted: stale env: uses gcp-adc (volume)"),
        "{t}"
    );
}

#[test]
fn inline_values_are_compared_never_shown() {
    let rendered = vec![
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "agent-env", "namespace": "t"},
            "data": {"A": "Y2FuYXJ5LWE=", "B": "Y2FuYXJ5LWI="}}),
    ];
    let mut live = Live::default();
    live.objects.insert(id("Secret", Some("t"), "agent-env"), Found::Object(json!({"kind": "Secret",
            "metadata": {"name": "agent-env", "namespace": "t"}, "data": {"A": "Y2FuYXJ5LWE=", "B": "b3RoZXI=", "C": "eA=="}})));
    live.pods.insert("t".into(), Ok(vec![]));
    let checks = check(&rendered, &live);
    let t = text(&checks);
    assert!(
        t.contains("key not rendered C; value differs from the rendered one for B"),
        "{t}"
    );
    assert!(
        !t.contains("canary") && !t.contains("Y2Fu") && !t.contains("other"),
        "{t}"
    );
    assert!(json(&checks).contains("\"status\": \"problem\""));
}

#[test]
fn workload_identity_annotations() {
    let sa = json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "recif-api", "namespace": "recif-system",
            "annotations": {"iam.gke.io/gcp-service-account": "a@p.iam.gserviceaccount.com"}}});
    let mut live = Live::default();
    let mut bare = sa.clone();
    bare["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("annotations");
    live.objects.insert(Id::of(&sa), Found::Object(bare));
    let t = text(&check(std::slice::from_ref(&sa), &live));
    assert!(
        t.contains("iam.gke.io/gcp-service-account missing (expected a@p.iam.gserviceaccount.com)"),
        "{t}"
    );
    assert!(t.contains("kubectl annotate serviceaccount recif-api -n recif-system iam.gke.io/gcp-service-account=a@p.iam.gserviceaccount.com --overwrite"), "{t}");
    live.objects.insert(Id::of(&sa), Found::Object(sa.clone()));
    assert_eq!(counts(&check(&[sa], &live)), (1, 0, 0));
}
