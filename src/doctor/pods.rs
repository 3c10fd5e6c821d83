//! Pod checks: pods that read a Secret through their environment started before it last
//! changed (stale), mounted ones are refreshed in place.

use super::*;

/// How a pod uses a Secret: through its environment (read once at start), or mounted
/// (refreshed in place by the kubelet).
#[derive(Default)]
pub(super) struct Uses {
    env: bool,
    volume: bool,
}

pub(super) fn uses_of(pod: &Value, secret: &str) -> Uses {
    let mut u = Uses::default();
    let spec = &pod["spec"];
    for list in ["containers", "initContainers"] {
        for c in spec[list].as_array().into_iter().flatten() {
            for e in c["envFrom"].as_array().into_iter().flatten() {
                if e["secretRef"]["name"] == secret {
                    u.env = true;
                }
            }
            for e in c["env"].as_array().into_iter().flatten() {
                if e["valueFrom"]["secretKeyRef"]["name"] == secret {
                    u.env = true;
                }
            }
        }
    }
    for v in spec["volumes"].as_array().into_iter().flatten() {
        if v["secret"]["secretName"] == secret {
            u.volume = true;
        }
        for s in v["projected"]["sources"].as_array().into_iter().flatten() {
            if s["secret"]["name"] == secret {
                u.volume = true;
            }
        }
    }
    u
}

/// When a pod's environment was read: the earliest start of its running containers (one not
/// restarted since holds the oldest environment), else the pod's start.
pub(super) fn started(pod: &Value) -> Option<String> {
    let containers: Vec<&str> = pod["status"]["containerStatuses"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["state"]["running"]["startedAt"].as_str())
        .collect();
    containers
        .into_iter()
        .min()
        .or_else(|| pod["status"]["startTime"].as_str())
        .map(str::to_string)
}

/// The pods of a namespace, as one checked object (`Pods ns`).
pub(super) fn pods_id(ns: &str) -> Id {
    id("Pods", Some(ns), "")
}

pub(super) fn pod_checks(ns: &str, secrets: &BTreeSet<String>, live: &Live) -> Vec<Check> {
    let pods = match live.pods.get(ns) {
        None => return vec![unreadable(&pods_id(ns), "stale env", "not read")],
        Some(Err(why)) => return vec![unreadable(&pods_id(ns), "stale env", why)],
        Some(Ok(p)) => p,
    };
    let mut out = Vec::new();
    for pod in pods {
        let pod_name = pod["metadata"]["name"].as_str().unwrap_or("");
        for secret in secrets {
            let u = uses_of(pod, secret);
            if !u.env && !u.volume {
                continue;
            }
            let how = match (u.env, u.volume) {
                (true, true) => "env and volume",
                (true, false) => "env",
                _ => "volume",
            };
            let object = format!("Pod {ns}/{pod_name}");
            let changed = match live.get(&id(Kind::Secret.as_str(), Some(ns), secret)) {
                Found::Object(s) => last_changed(s),
                _ => None,
            };
            let (Some(changed), Some(start)) = (changed, started(pod)) else {
                out.push(Check {
                    status: Status::CouldNotCheck,
                    object,
                    check: "stale env".into(),
                    detail: format!("uses {secret} ({how}); when the Secret last changed or the pod started is unknown"),
                    fix: None,
                });
                continue;
            };
            let stale = start < changed;
            out.push(if stale && u.env {
                Check {
                    status: Status::Problem,
                    object,
                    check: "stale env".into(),
                    detail: format!("uses {secret} ({how}); started {start}, before the Secret last changed ({changed}): its environment is stale"),
                    fix: Some(format!("Stale data: restart the workload (kubectl rollout restart deploy/NAME -n {ns}); to sync backend changes sooner lower secrets.external.refreshInterval or force a sync with the force-sync annotation")),
                }
            } else {
                Check {
                    status: Status::Ok,
                    object,
                    check: "stale env".into(),
                    detail: if stale {
                        format!("uses {secret} (volume); started {start}, before the Secret last changed ({changed}); mounted files are refreshed in place by the kubelet")
                    } else {
                        format!("uses {secret} ({how}); started {start}, after the Secret last changed ({changed})")
                    },
                    fix: None,
                }
            });
        }
    }
    if out.is_empty() {
        out.push(Check {
            status: Status::Ok,
            object: pods_id(ns).to_string(),
            check: "stale env".into(),
            detail: format!(
                "no pod uses {}",
                secrets.iter().cloned().collect::<Vec<_>>().join(" or ")
            ),
            fix: None,
        });
    }
    out
}
