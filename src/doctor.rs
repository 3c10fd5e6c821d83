//! What `doctor` checks: the guide's troubleshooting, automated for exactly the objects the
//! values render. Pure: [`plan`] says what to read from the cluster, the command layer reads
//! it (kubectl get, read-only) into a [`Live`], and [`check`] turns both into a checklist,
//! each problem with the guide's fix in one line.
//!
//! Secret values are never printed: Secrets are compared by key names, and inline values by
//! equality of their bytes (reported as "differs", nothing more).

use crate::manifests::Kind;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use crate::diff::Id;

/// The Secrets pods are checked against, in every team namespace.
pub const TEAM_SECRETS: &[&str] = &["agent-env", "gcp-adc"];

/// What was read for one object.
#[derive(Clone, Debug)]
pub enum Found {
    Object(Value),
    Missing,
    /// Could not be read (RBAC 403, resource type unknown...): kubectl's reason.
    Unreadable(Cow<'static, str>),
}

/// What the command layer must read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Objects to get by name.
    pub objects: BTreeSet<Id>,
    /// Namespaces whose pods to list.
    pub pod_namespaces: BTreeSet<String>,
}

/// What was read.
#[derive(Clone, Debug, Default)]
pub struct Live {
    pub objects: BTreeMap<Id, Found>,
    /// Pods per namespace, or why they could not be listed.
    pub pods: BTreeMap<String, Result<Vec<Value>, String>>,
}

impl Live {
    /// What was read for `id`; an object the plan did not ask for was not read.
    fn get(&self, id: &Id) -> &Found {
        const NOT_READ: &Found = &Found::Unreadable(Cow::Borrowed("not read"));
        self.objects.get(id).unwrap_or(NOT_READ)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Ok,
    Problem,
    CouldNotCheck,
}

impl Status {
    pub fn word(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Problem => "problem",
            Status::CouldNotCheck => "could not check",
        }
    }
}

/// One line of the checklist.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    pub status: Status,
    /// `Kind namespace/name`.
    pub object: String,
    /// What is checked: `Ready`, `keys`, `annotations`, `stale env`...
    pub check: String,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

fn id(kind: &str, ns: Option<&str>, name: &str) -> Id {
    Id {
        kind: kind.to_string(),
        namespace: ns.map(str::to_string),
        name: name.to_string(),
    }
}

/// The target Secret of an ExternalSecret: `spec.target.name`, or the ExternalSecret's name.
pub fn target_name(es: &Value) -> &str {
    es["spec"]["target"]["name"]
        .as_str()
        .unwrap_or_else(|| es["metadata"]["name"].as_str().unwrap_or(""))
}

/// The store an ExternalSecret refers to.
fn store_of(es: &Value) -> Id {
    let r = &es["spec"]["secretStoreRef"];
    let kind = r["kind"].as_str().unwrap_or(Kind::SecretStore.as_str());
    let ns = (kind == Kind::SecretStore.as_str())
        .then(|| es["metadata"]["namespace"].as_str())
        .flatten();
    id(kind, ns, r["name"].as_str().unwrap_or(""))
}

fn is_team_object(o: &Value) -> bool {
    let name = o["metadata"]["name"].as_str().unwrap_or("");
    matches!(kind_of(o), Some(Kind::Secret | Kind::ExternalSecret)) && TEAM_SECRETS.contains(&name)
}

fn kind_of(o: &Value) -> Option<Kind> {
    o["kind"].as_str().and_then(Kind::from_name)
}

/// What to read for `rendered`: every rendered object, the target Secret and the store of
/// each ExternalSecret, and the pods of every namespace holding `agent-env` or `gcp-adc`.
pub fn plan(rendered: &[Value]) -> Plan {
    let mut p = Plan::default();
    for o in rendered {
        let oid = Id::of(o);
        if kind_of(o) == Some(Kind::Namespace) {
            continue;
        }
        if kind_of(o) == Some(Kind::ExternalSecret) {
            p.objects.insert(id(
                Kind::Secret.as_str(),
                oid.namespace.as_deref(),
                target_name(o),
            ));
            p.objects.insert(store_of(o));
        }
        if is_team_object(o) {
            if let Some(ns) = &oid.namespace {
                p.pod_namespaces.insert(ns.clone());
            }
        }
        p.objects.insert(oid);
    }
    p
}

/// Runs every check, in the order of the rendered objects.
pub fn check(rendered: &[Value], live: &Live) -> Vec<Check> {
    let mut checks = Vec::new();
    let mut stores_done = BTreeSet::new();
    for o in rendered {
        match kind_of(o) {
            Some(Kind::ClusterSecretStore | Kind::SecretStore) => {
                let sid = Id::of(o);
                if stores_done.insert(sid.clone()) {
                    checks.push(store_check(&sid, live.get(&sid)));
                }
            }
            Some(Kind::ExternalSecret) => {
                let sid = store_of(o);
                if stores_done.insert(sid.clone()) {
                    checks.push(store_check(&sid, live.get(&sid)));
                }
                checks.extend(external_secret_checks(o, live));
            }
            Some(Kind::Secret) => checks.push(inline_secret_check(o, live.get(&Id::of(o)))),
            Some(Kind::ServiceAccount) => {
                checks.push(service_account_check(o, live.get(&Id::of(o))))
            }
            _ => {}
        }
    }
    // Stores referred to before they were rendered are checked once, above; pods last.
    let mut team: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for o in rendered.iter().filter(|o| is_team_object(o)) {
        let oid = Id::of(o);
        let secret = if kind_of(o) == Some(Kind::ExternalSecret) {
            target_name(o).to_string()
        } else {
            oid.name.clone()
        };
        team.entry(oid.namespace.unwrap_or_default())
            .or_default()
            .insert(secret);
    }
    for (ns, secrets) in &team {
        checks.extend(pod_checks(ns, secrets, live));
    }
    checks
}

/// A check that could not run, with the fix for its reason: RBAC (a 403 from the API server)
/// or a resource type the cluster does not have (ESO not installed).
fn unreadable(id: &Id, check: &str, why: &str) -> Check {
    let resource = format!("{}s", id.kind.to_lowercase().trim_end_matches('s'));
    let fix = if why.contains("(Forbidden)") {
        let scope = match &id.namespace {
            Some(ns) => format!(" -n {ns}"),
            None => String::new(),
        };
        Some(format!(
            "grant get and list on {resource}{scope} to whoever runs doctor (check: kubectl auth can-i list {resource}{scope})"
        ))
    } else if why.contains("doesn't have a resource type") {
        Some("install External Secrets Operator (helm install external-secrets external-secrets/external-secrets -n external-secrets --create-namespace), or check --context".to_string())
    } else {
        None
    };
    Check {
        status: Status::CouldNotCheck,
        object: id.to_string(),
        check: check.to_string(),
        detail: why.to_string(),
        fix,
    }
}

/// The `Ready` condition: (status, reason, message).
fn ready(o: &Value) -> Option<(&str, &str, &str)> {
    o["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == "Ready")
        .map(|c| {
            (
                c["status"].as_str().unwrap_or(""),
                c["reason"].as_str().unwrap_or(""),
                c["message"].as_str().unwrap_or(""),
            )
        })
}

fn reason_text(reason: &str, message: &str) -> String {
    match (reason.is_empty(), message.is_empty()) {
        (true, true) => String::new(),
        (false, true) => format!(" ({reason})"),
        (true, false) => format!(": {message}"),
        (false, false) => format!(" ({reason}): {message}"),
    }
}

fn store_check(sid: &Id, found: &Found) -> Check {
    let object = sid.to_string();
    let kind = sid.kind.to_lowercase();
    let describe = match &sid.namespace {
        Some(ns) => format!("kubectl describe {kind} {} -n {ns}", sid.name),
        None => format!("kubectl describe {kind} {}", sid.name),
    };
    let o = match found {
        Found::Unreadable(why) => return unreadable(sid, "Ready", why),
        Found::Missing => {
            return Check {
                status: Status::Problem,
                object,
                check: "exists".into(),
                detail: "not found".into(),
                fix: Some(format!(
                    "create the store (secrets.external.store renders it) or set secrets.external.storeName/storeKind to an existing one (kubectl get {kind} -A)"
                )),
            }
        }
        Found::Object(o) => o,
    };
    match ready(o) {
        Some(("True", reason, _)) => Check {
            status: Status::Ok,
            object,
            check: "Ready".into(),
            detail: format!("True{}", reason_text(reason, "")),
            fix: None,
        },
        Some((status, reason, message)) => Check {
            status: Status::Problem,
            object,
            check: "Ready".into(),
            detail: format!("{status}{}", reason_text(reason, message)),
            fix: Some(format!(
                "SecretStore auth failed: check RBAC / service account bindings of the store's provider auth ({describe})"
            )),
        },
        None => Check {
            status: Status::Problem,
            object,
            check: "Ready".into(),
            detail: "no Ready condition: the store was not validated".into(),
            fix: Some("check the ESO controller: kubectl logs -n external-secrets deploy/external-secrets".into()),
        },
    }
}

fn force_sync(name: &str, ns: &str) -> String {
    format!("kubectl annotate externalsecret {name} -n {ns} force-sync=$(date +%s) --overwrite")
}

/// The remote keys an ExternalSecret reads, for messages: `recif/gcp-sa (property value)`.
fn remote_keys(es: &Value) -> String {
    let mut keys = Vec::new();
    for d in es["spec"]["data"].as_array().into_iter().flatten() {
        let r = &d["remoteRef"];
        let mut k = r["key"].as_str().unwrap_or("").to_string();
        if let Some(p) = r["property"].as_str() {
            k.push_str(&format!(" (property {p})"));
        }
        keys.push(k);
    }
    for d in es["spec"]["dataFrom"].as_array().into_iter().flatten() {
        if let Some(k) = d["extract"]["key"].as_str() {
            keys.push(k.to_string());
        }
    }
    keys.join(", ")
}

fn external_secret_checks(es: &Value, live: &Live) -> Vec<Check> {
    let eid = Id::of(es);
    let ns = eid.namespace.clone().unwrap_or_default();
    let object = eid.to_string();
    let describe = format!("kubectl describe externalsecret {} -n {ns}", eid.name);
    let mut out = Vec::new();
    match live.get(&eid) {
        Found::Unreadable(why) => out.push(unreadable(&eid, "Ready", why)),
        Found::Missing => out.push(Check {
            status: Status::Problem,
            object,
            check: "exists".into(),
            detail: "not found".into(),
            fix: Some("apply the rendered objects: recif-secrets render -f VALUES --apply".into()),
        }),
        Found::Object(o) => out.push(match ready(o) {
            Some(("True", reason, _)) => Check {
                status: Status::Ok,
                object,
                check: "Ready".into(),
                detail: format!("True{}", reason_text(reason, "")),
                fix: None,
            },
            Some((status, reason, message)) => {
                let lower = message.to_lowercase();
                let fix = if reason == "SecretMissing" {
                    format!("the target Secret was deleted; ESO recreates it at the next refresh, or force a sync: {}", force_sync(&eid.name, &ns))
                } else if ["does not exist", "not found", "no secret", "could not find"]
                    .iter()
                    .any(|m| lower.contains(m))
                {
                    format!(
                        "Key not found: verify the remote key path matches your backend ({}; secrets.external.keys)",
                        remote_keys(es)
                    )
                } else if ["auth", "permission", "forbidden", "denied", "unauthorized", "store"]
                    .iter()
                    .any(|m| lower.contains(m))
                {
                    format!("SecretStore auth failed: check RBAC / service account bindings ({describe})")
                } else {
                    format!("{describe}; kubectl logs -n external-secrets deploy/external-secrets")
                };
                Check {
                    status: Status::Problem,
                    object,
                    check: "Ready".into(),
                    detail: format!("{status}{}", reason_text(reason, message)),
                    fix: Some(fix),
                }
            }
            None => Check {
                status: Status::Problem,
                object,
                check: "Ready".into(),
                detail: "no Ready condition: not reconciled yet".into(),
                fix: Some("check the ESO controller: kubectl logs -n external-secrets deploy/external-secrets".into()),
            },
        }),
    }
    // The target Secret, with the expected key names.
    let target = id(Kind::Secret.as_str(), Some(&ns), target_name(es));
    let object = target.to_string();
    let expected: Vec<&str> = es["spec"]["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["secretKey"].as_str())
        .collect();
    let extracts = es["spec"]["dataFrom"]
        .as_array()
        .is_some_and(|a| !a.is_empty());
    out.push(match live.get(&target) {
        Found::Unreadable(why) => unreadable(&target, "keys", why),
        Found::Missing => Check {
            status: Status::Problem,
            object,
            check: "exists".into(),
            detail: format!("not found: {} has not created it", eid),
            fix: Some(format!("see the ExternalSecret's status: {describe}")),
        },
        Found::Object(s) => {
            let have = secret_keys(s);
            let missing: Vec<&str> = expected
                .iter()
                .copied()
                .filter(|k| !have.contains(*k))
                .collect();
            if !missing.is_empty() {
                Check {
                    status: Status::Problem,
                    object,
                    check: "keys".into(),
                    detail: format!(
                        "missing key {}; has: {}",
                        missing.join(", "),
                        names(&have)
                    ),
                    fix: Some(format!(
                        "Key not found: verify the remote key path (and property) matches your backend ({})",
                        remote_keys(es)
                    )),
                }
            } else if extracts && have.len() <= expected.len() {
                Check {
                    status: Status::Problem,
                    object,
                    check: "keys".into(),
                    detail: "no variable: the extracted backend secret is empty".into(),
                    fix: Some(format!(
                        "store at least one variable at {} in your backend, then force a sync: {}",
                        remote_keys(es),
                        force_sync(&eid.name, &ns)
                    )),
                }
            } else {
                Check {
                    status: Status::Ok,
                    object,
                    check: "keys".into(),
                    detail: format!("{} present", names(&have)),
                    fix: None,
                }
            }
        }
    });
    out
}

/// The key names of a Secret (`data` and `stringData`).
fn secret_keys(s: &Value) -> BTreeSet<String> {
    ["data", "stringData"]
        .iter()
        .filter_map(|f| s[*f].as_object())
        .flat_map(|m| m.keys().cloned())
        .collect()
}

fn names(keys: &BTreeSet<String>) -> String {
    if keys.is_empty() {
        "no keys".to_string()
    } else {
        keys.iter().cloned().collect::<Vec<_>>().join(", ")
    }
}

/// The bytes of every value of a Secret, decoded; compared, never shown.
pub fn secret_values(s: &Value) -> BTreeMap<String, Vec<u8>> {
    use base64::Engine as _;
    let mut out = BTreeMap::new();
    for (k, v) in s["data"].as_object().into_iter().flatten() {
        let raw = v.as_str().unwrap_or("");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(raw)
            .unwrap_or_else(|_| raw.as_bytes().to_vec());
        out.insert(k.clone(), bytes);
    }
    for (k, v) in s["stringData"].as_object().into_iter().flatten() {
        out.insert(k.clone(), v.as_str().unwrap_or("").as_bytes().to_vec());
    }
    out
}

fn inline_secret_check(rendered: &Value, found: &Found) -> Check {
    let sid = Id::of(rendered);
    let object = sid.to_string();
    let apply = "apply the rendered Secrets: recif-secrets render -f VALUES --apply".to_string();
    match found {
        Found::Unreadable(why) => unreadable(&sid, "keys", why),
        Found::Missing => Check {
            status: Status::Problem,
            object,
            check: "exists".into(),
            detail: "not found".into(),
            fix: Some(apply),
        },
        Found::Object(s) => {
            let want = secret_values(rendered);
            let have = secret_values(s);
            let missing: Vec<&str> = want
                .keys()
                .filter(|k| !have.contains_key(*k))
                .map(String::as_str)
                .collect();
            let extra: Vec<&str> = have
                .keys()
                .filter(|k| !want.contains_key(*k))
                .map(String::as_str)
                .collect();
            let differ: Vec<&str> = want
                .iter()
                .filter(|(k, v)| have.get(*k).is_some_and(|h| h != *v))
                .map(|(k, _)| k.as_str())
                .collect();
            let mut problems = Vec::new();
            if !missing.is_empty() {
                problems.push(format!("missing key {}", missing.join(", ")));
            }
            if !extra.is_empty() {
                problems.push(format!("key not rendered {}", extra.join(", ")));
            }
            if !differ.is_empty() {
                problems.push(format!(
                    "value differs from the rendered one for {}",
                    differ.join(", ")
                ));
            }
            if problems.is_empty() {
                Check {
                    status: Status::Ok,
                    object,
                    check: "keys".into(),
                    detail: format!(
                        "keys and values as rendered: {}",
                        want.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                    fix: None,
                }
            } else {
                Check {
                    status: Status::Problem,
                    object,
                    check: "keys".into(),
                    detail: problems.join("; "),
                    fix: Some(format!(
                        "{apply} (see the changes first with recif-secrets diff -f VALUES)"
                    )),
                }
            }
        }
    }
}

fn service_account_check(rendered: &Value, found: &Found) -> Check {
    let sid = Id::of(rendered);
    let object = sid.to_string();
    let ns = sid.namespace.clone().unwrap_or_default();
    let want = rendered["metadata"]["annotations"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let apply = "apply the rendered ServiceAccounts: recif-secrets render -f VALUES --apply";
    match found {
        Found::Unreadable(why) => unreadable(&sid, "annotations", why),
        Found::Missing => Check {
            status: Status::Problem,
            object,
            check: "exists".into(),
            detail: "not found".into(),
            fix: Some(apply.into()),
        },
        Found::Object(sa) => {
            let have = &sa["metadata"]["annotations"];
            let wrong: Vec<String> = want
                .iter()
                .filter(|(k, v)| have.get(k.as_str()) != Some(*v))
                .map(
                    |(k, v)| match have.get(k.as_str()).and_then(Value::as_str) {
                        None => format!("{k} missing (expected {})", v.as_str().unwrap_or("")),
                        Some(h) => format!("{k} is {h} (expected {})", v.as_str().unwrap_or("")),
                    },
                )
                .collect();
            if wrong.is_empty() {
                Check {
                    status: Status::Ok,
                    object,
                    check: "annotations".into(),
                    detail: format!(
                        "Workload Identity annotations: {}",
                        want.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                    fix: None,
                }
            } else {
                let first = want
                    .iter()
                    .find(|(k, v)| have.get(k.as_str()) != Some(*v))
                    .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                    .unwrap_or_default();
                Check {
                    status: Status::Problem,
                    object,
                    check: "annotations".into(),
                    detail: wrong.join("; "),
                    fix: Some(format!(
                        "{apply} (or kubectl annotate serviceaccount {} -n {ns} {first} --overwrite)",
                        sid.name
                    )),
                }
            }
        }
    }
}

/// When a Secret last changed: the latest of its creation and its managed-fields times
/// (RFC 3339 UTC, which compare as text).
pub fn last_changed(secret: &Value) -> Option<String> {
    let mut times: Vec<&str> = secret["metadata"]["managedFields"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["time"].as_str())
        .collect();
    times.extend(secret["metadata"]["creationTimestamp"].as_str());
    times.into_iter().max().map(str::to_string)
}

/// How a pod uses a Secret: through its environment (read once at start), or mounted
/// (refreshed in place by the kubelet).
#[derive(Default)]
struct Uses {
    env: bool,
    volume: bool,
}

fn uses_of(pod: &Value, secret: &str) -> Uses {
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
fn started(pod: &Value) -> Option<String> {
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
fn pods_id(ns: &str) -> Id {
    id("Pods", Some(ns), "")
}

fn pod_checks(ns: &str, secrets: &BTreeSet<String>, live: &Live) -> Vec<Check> {
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
                    fix: Some(format!("Stale data: restart exactly the workloads that read it: recif-secrets rollout -f VALUES (the plan first: --dry-run; it restarts in {ns} and every namespace the values target); to sync backend changes sooner lower secrets.external.refreshInterval or force a sync with the force-sync annotation")),
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

/// Counts per status.
pub fn counts(checks: &[Check]) -> (usize, usize, usize) {
    let n = |s| checks.iter().filter(|c| c.status == s).count();
    (n(Status::Ok), n(Status::Problem), n(Status::CouldNotCheck))
}

/// The checklist as text: one line per check, the fix indented under each problem, and a
/// summary line.
pub fn text(checks: &[Check]) -> String {
    let mut out = String::new();
    for c in checks {
        out.push_str(&format!(
            "{:<16} {}: {}: {}\n",
            c.status.word(),
            c.object,
            c.check,
            c.detail
        ));
        if let Some(fix) = &c.fix {
            if c.status != Status::Ok {
                out.push_str(&format!("{:<16}   fix: {fix}\n", ""));
            }
        }
    }
    let (ok, problem, unknown) = counts(checks);
    out.push_str(&format!(
        "{ok} ok, {problem} {}, {unknown} could not be checked\n",
        if problem == 1 { "problem" } else { "problems" }
    ));
    out
}

/// The checklist as JSON: `{"checks": [...], "summary": {...}}`.
pub fn json(checks: &[Check]) -> String {
    let (ok, problem, unknown) = counts(checks);
    let v = serde_json::json!({
        "checks": checks,
        "summary": {"ok": ok, "problem": problem, "couldNotCheck": unknown},
    });
    let mut s = serde_json::to_string_pretty(&v).expect("JSON serializes");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
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
        assert!(t.contains("fix: Key not found: verify the remote key path matches your backend (recif/agent-env"), "{t}");
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
            t.contains("fix: Stale data: restart exactly the workloads that read it: recif-secrets rollout -f VALUES"),
            "{t}"
        );
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
            t.contains(
                "iam.gke.io/gcp-service-account missing (expected a@p.iam.gserviceaccount.com)"
            ),
            "{t}"
        );
        assert!(t.contains("kubectl annotate serviceaccount recif-api -n recif-system iam.gke.io/gcp-service-account=a@p.iam.gserviceaccount.com --overwrite"), "{t}");
        live.objects.insert(Id::of(&sa), Found::Object(sa.clone()));
        assert_eq!(counts(&check(&[sa], &live)), (1, 0, 0));
    }
}
