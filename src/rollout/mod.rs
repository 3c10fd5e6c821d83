//! Which workloads a rotation must restart, and why: the planner of `recif-secrets rollout`
//! and `render --apply --restart`. Pure: the command layer reads the Secrets, the workloads
//! and their pods from the cluster, and says how each Secret changed ([`Change`]); [`plan`]
//! decides, per workload, what reaches its pods:
//!
//! * environment variables (`envFrom`: every key; `env[].valueFrom.secretKeyRef`: one key)
//!   are read once, when a container starts: a change reaches the pods only by a restart;
//! * a `secret` volume or a `projected` one with `secret` sources (all keys, or the keys of
//!   its `items`) is refreshed in place by the kubelet, except where it is mounted with
//!   `subPath`: listed ([`Action::Mounted`]), restarted only when asked
//!   ([`Options::restart_mounted`], because most credential libraries read the file once),
//!   and a `subPath` mount is restarted like the environment;
//! * CronJobs (the next Job reads the new values) and Argo Rollouts (restarted by their own
//!   controller) are reported, never touched.
//!
//! Key names only: no value ever enters a plan.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

/// The annotation `kubectl rollout restart` sets on the pod template.
pub const RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";

/// The kinds of workload whose pod templates are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum WorkloadKind {
    Deployment,
    StatefulSet,
    DaemonSet,
    CronJob,
    /// Argo Rollouts' `Rollout` (argoproj.io).
    Rollout,
}

impl WorkloadKind {
    pub const ALL: [WorkloadKind; 5] = [
        WorkloadKind::Deployment,
        WorkloadKind::StatefulSet,
        WorkloadKind::DaemonSet,
        WorkloadKind::CronJob,
        WorkloadKind::Rollout,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::DaemonSet => "DaemonSet",
            WorkloadKind::CronJob => "CronJob",
            WorkloadKind::Rollout => "Rollout",
        }
    }

    pub fn from_name(kind: &str) -> Option<WorkloadKind> {
        WorkloadKind::ALL.into_iter().find(|k| k.as_str() == kind)
    }

    /// The kubectl resource (group-qualified where kubectl could take another group's).
    pub fn resource(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "deployments.apps",
            WorkloadKind::StatefulSet => "statefulsets.apps",
            WorkloadKind::DaemonSet => "daemonsets.apps",
            WorkloadKind::CronJob => "cronjobs.batch",
            WorkloadKind::Rollout => "rollouts.argoproj.io",
        }
    }

    /// Restarted by this tool (`kubectl rollout restart` knows it).
    pub fn restartable(self) -> bool {
        matches!(
            self,
            WorkloadKind::Deployment | WorkloadKind::StatefulSet | WorkloadKind::DaemonSet
        )
    }

    /// The pod spec inside an object of this kind.
    fn pod_spec(self, o: &Value) -> &Value {
        match self {
            WorkloadKind::CronJob => &o["spec"]["jobTemplate"]["spec"]["template"]["spec"],
            _ => &o["spec"]["template"]["spec"],
        }
    }
}

/// How a Secret changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// In this apply (compared in memory): exactly these keys were added, removed or given
    /// another value. Every running pod predates it.
    Keys(BTreeSet<String>),
    /// Written at `time` (RFC 3339, UTC): the pods that started before it hold what it held
    /// before; which keys changed cannot be told (`by_eso`: External Secrets Operator wrote it).
    Since { time: String, by_eso: bool },
}

/// A Secret the values render (inline) or an ExternalSecret writes, as read from the cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretState {
    pub namespace: String,
    pub name: String,
    /// Its key names now; `None` when it does not exist (or could not be read).
    pub keys: Option<BTreeSet<String>>,
    /// `None`: unchanged, nothing to restart for it.
    pub change: Option<Change>,
}

/// A workload as read from the cluster.
#[derive(Clone, Debug)]
pub struct Workload {
    pub kind: WorkloadKind,
    pub namespace: String,
    pub name: String,
    /// Every Secret its pod template reads, and how ([`references`]).
    pub reads: Vec<(String, How)>,
    /// When its oldest running pod started (the oldest environment it holds); `None` when it
    /// has no running pod.
    pub oldest_pod: Option<String>,
}

impl Workload {
    /// The workload of a `kubectl get -o json` object of one of [`WorkloadKind::ALL`], its
    /// pods found among `pods` (those of its namespace) by its label selector.
    pub fn from_object(o: &Value, pods: &[&Pod]) -> Option<Workload> {
        let kind = WorkloadKind::from_name(o["kind"].as_str()?)?;
        let meta = &o["metadata"];
        let selector = &o["spec"]["selector"];
        let oldest_pod = if kind == WorkloadKind::CronJob || !selector.is_object() {
            None
        } else {
            pods.iter()
                .filter(|p| selects(selector, &p.labels))
                .filter_map(|p| p.started.as_deref())
                .min()
                .map(str::to_string)
        };
        Some(Workload {
            kind,
            namespace: meta["namespace"].as_str()?.to_string(),
            name: meta["name"].as_str()?.to_string(),
            reads: references(kind.pod_spec(o)),
            oldest_pod,
        })
    }
}

/// What the planner needs of a pod: where it is, its labels, and when it started: the
/// earliest start of its running containers (one not restarted since holds the oldest
/// environment), else the pod's start; `None` for a pod not running (it reads its
/// environment when it starts).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pod {
    pub namespace: String,
    pub labels: BTreeMap<String, String>,
    pub started: Option<String>,
}

/// A pod as `kubectl get pods -o json` prints it, only the fields read: the rest, its spec
/// included, is skipped while parsing, never built.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct PodItem {
    metadata: PodMeta,
    status: PodStatus,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct PodMeta {
    namespace: String,
    labels: BTreeMap<String, String>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct PodStatus {
    phase: Option<String>,
    start_time: Option<String>,
    container_statuses: Vec<ContainerStatus>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ContainerStatus {
    state: ContainerState,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ContainerState {
    running: Option<Running>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Running {
    started_at: Option<String>,
}

impl From<PodItem> for Pod {
    fn from(p: PodItem) -> Pod {
        let running = p.status.phase.as_deref().is_none_or(|ph| ph == "Running");
        let started = running
            .then(|| {
                p.status
                    .container_statuses
                    .into_iter()
                    .filter_map(|c| c.state.running.and_then(|r| r.started_at))
                    .min()
                    .or(p.status.start_time)
            })
            .flatten();
        Pod {
            namespace: p.metadata.namespace,
            labels: p.metadata.labels,
            started,
        }
    }
}

impl Pod {
    pub fn from_value(v: &Value) -> Pod {
        use serde::Deserialize as _;
        PodItem::deserialize(v).unwrap_or_default().into()
    }
}

/// The pods of `kubectl get pods -o json` output (a `List`), read without building the rest
/// of each pod.
pub fn parse_pods(bytes: &[u8]) -> Result<Vec<Pod>, String> {
    #[derive(serde::Deserialize)]
    struct List {
        #[serde(default)]
        items: Vec<PodItem>,
    }
    let list: List = serde_json::from_slice(bytes)
        .map_err(|e| format!("kubectl printed pods that are not JSON: {e}"))?;
    Ok(list.items.into_iter().map(Pod::from).collect())
}

/// The workloads of `objects` (as `kubectl get -o json` lists them), each with its pods found
/// among `pods` (of its namespace).
pub fn workloads(objects: &[Value], pods: &[Pod]) -> Vec<Workload> {
    let mut pods_by_ns: BTreeMap<&str, Vec<&Pod>> = BTreeMap::new();
    for p in pods {
        pods_by_ns.entry(p.namespace.as_str()).or_default().push(p);
    }
    objects
        .iter()
        .filter_map(|o| {
            let ns = o["metadata"]["namespace"].as_str().unwrap_or("");
            let pods = pods_by_ns.get(ns).map(Vec::as_slice).unwrap_or(&[]);
            Workload::from_object(o, pods)
        })
        .collect()
}

/// Whether a label selector (`matchLabels`, `matchExpressions`) selects `labels`. An empty
/// selector selects nothing here (the API server refuses one on these kinds).
pub fn selects(selector: &Value, labels: &BTreeMap<String, String>) -> bool {
    let label = |k: &str| labels.get(k).map(String::as_str);
    let mut terms = 0;
    for (k, v) in selector["matchLabels"].as_object().into_iter().flatten() {
        terms += 1;
        if label(k) != v.as_str() {
            return false;
        }
    }
    for e in selector["matchExpressions"]
        .as_array()
        .into_iter()
        .flatten()
    {
        terms += 1;
        let key = e["key"].as_str().unwrap_or("");
        let values: Vec<&str> = e["values"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let ok = match e["operator"].as_str().unwrap_or("") {
            "In" => label(key).is_some_and(|l| values.contains(&l)),
            "NotIn" => !label(key).is_some_and(|l| values.contains(&l)),
            "Exists" => label(key).is_some(),
            "DoesNotExist" => label(key).is_none(),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    terms > 0
}

/// How a pod template reads a Secret.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum How {
    /// `envFrom.secretRef`: every key, as environment variables.
    EnvFrom { container: String },
    /// `env[].valueFrom.secretKeyRef`: one key as the variable `env`.
    Env {
        container: String,
        env: String,
        key: String,
    },
    /// A `secret` volume, or a `projected` one with a `secret` source: the keys of its
    /// `items` (`None`: every key); `sub_path`: some container mounts it with `subPath`
    /// (such a file is never refreshed).
    Volume {
        volume: String,
        items: Option<Vec<String>>,
        #[serde(rename = "subPath")]
        sub_path: bool,
    },
}

impl How {
    /// Read at container start (environment, `subPath` mount): a change needs a restart.
    fn needs_restart(&self) -> bool {
        !matches!(
            self,
            How::Volume {
                sub_path: false,
                ..
            }
        )
    }

    /// The keys it reads; `None`: every key.
    fn keys(&self) -> Option<Vec<&str>> {
        match self {
            How::EnvFrom { .. } => None,
            How::Env { key, .. } => Some(vec![key.as_str()]),
            How::Volume { items, .. } => items
                .as_ref()
                .map(|i| i.iter().map(String::as_str).collect()),
        }
    }

    fn describe(&self) -> String {
        match self {
            How::EnvFrom { container } => format!("envFrom in container {}", shown(container)),
            How::Env {
                container,
                env,
                key,
            } => format!(
                "env {} from key {} in container {}",
                shown(env),
                shown(key),
                shown(container)
            ),
            How::Volume {
                volume,
                items,
                sub_path,
            } => {
                let mut s = format!("volume {}", shown(volume));
                if let Some(items) = items {
                    s.push_str(&format!(" (items {})", list(items)));
                }
                if *sub_path {
                    s.push_str(" mounted with subPath");
                }
                s
            }
        }
    }
}

/// Every Secret `pod_spec` reads and how: its containers, init containers and ephemeral
/// containers (environment), and its volumes. In the order of the pod spec.
pub fn references(pod_spec: &Value) -> Vec<(String, How)> {
    let mut out = Vec::new();
    let containers = || {
        ["initContainers", "containers", "ephemeralContainers"]
            .into_iter()
            .flat_map(|l| pod_spec[l].as_array().into_iter().flatten())
    };
    for c in containers() {
        let container = c["name"].as_str().unwrap_or("");
        for e in c["envFrom"].as_array().into_iter().flatten() {
            if let Some(secret) = e["secretRef"]["name"].as_str() {
                let container = container.to_string();
                out.push((secret.to_string(), How::EnvFrom { container }));
            }
        }
        for e in c["env"].as_array().into_iter().flatten() {
            let r = &e["valueFrom"]["secretKeyRef"];
            if let Some(secret) = r["name"].as_str() {
                let how = How::Env {
                    container: container.to_string(),
                    env: e["name"].as_str().unwrap_or("").to_string(),
                    key: r["key"].as_str().unwrap_or("").to_string(),
                };
                out.push((secret.to_string(), how));
            }
        }
    }
    let items = |v: &Value| {
        v["items"].as_array().map(|a| {
            a.iter()
                .filter_map(|i| i["key"].as_str().map(str::to_string))
                .collect::<Vec<_>>()
        })
    };
    for v in pod_spec["volumes"].as_array().into_iter().flatten() {
        let name = v["name"].as_str().unwrap_or("");
        // Per Secret, the items of each of its sources in this volume.
        let mut sources: BTreeMap<&str, Vec<Option<Vec<String>>>> = BTreeMap::new();
        if let Some(secret) = v["secret"]["secretName"].as_str() {
            sources.entry(secret).or_default().push(items(&v["secret"]));
        }
        for s in v["projected"]["sources"].as_array().into_iter().flatten() {
            if let Some(secret) = s["secret"]["name"].as_str() {
                sources.entry(secret).or_default().push(items(&s["secret"]));
            }
        }
        if sources.is_empty() {
            continue;
        }
        let sub_path = containers().any(|c| {
            c["volumeMounts"].as_array().into_iter().flatten().any(|m| {
                m["name"] == name && (m.get("subPath").is_some() || m.get("subPathExpr").is_some())
            })
        });
        for (secret, sources) in sources {
            // Several sources of one Secret in one projected volume: the union of their keys.
            let items = if sources.iter().any(Option::is_none) {
                None
            } else {
                let mut all: Vec<String> = sources.into_iter().flatten().flatten().collect();
                all.sort();
                all.dedup();
                Some(all)
            };
            let how = How::Volume {
                volume: name.to_string(),
                items,
                sub_path,
            };
            out.push((secret.to_string(), how));
        }
    }
    out
}

/// Every way `pod_spec` reads the Secret `secret` ([`references`]).
pub fn uses(pod_spec: &Value, secret: &str) -> Vec<How> {
    references(pod_spec)
        .into_iter()
        .filter(|(s, _)| s == secret)
        .map(|(_, how)| how)
        .collect()
}

/// What happens to a workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Restarted (as `kubectl rollout restart` does).
    Restart,
    /// Would need a restart, but restarting would leave its new pods unable to start: a key it
    /// reads is not in the Secret (not restarted).
    Blocked,
    /// Reads a changed key from a mounted file only, refreshed in place by the kubelet: not
    /// restarted unless asked (`--restart-mounted`).
    Mounted,
    /// A CronJob or an Argo Rollout reading a changed key: reported, never touched.
    Report,
    /// Reads a changed key, but has no running pod: the next pods read the new values.
    NoPods,
}

impl Action {
    pub fn word(self) -> &'static str {
        match self {
            Action::Restart => "restart",
            Action::Blocked => "blocked",
            Action::Mounted => "mounted",
            Action::Report => "report",
            Action::NoPods => "no pods",
        }
    }
}

/// Why a workload is in the plan: one changed Secret it reads, and how.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reason {
    pub secret: String,
    pub how: How,
    /// The changed keys it reads; `None` when which keys changed cannot be told.
    pub keys: Option<Vec<String>>,
    /// Why, in words (key names and times only).
    pub why: String,
}

/// One workload of the plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub action: Action,
    pub kind: WorkloadKind,
    pub namespace: String,
    pub name: String,
    pub reasons: Vec<Reason>,
    /// Keys it reads that the Secret does not have (why it is [`Action::Blocked`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
}

impl Entry {
    /// `Deployment team-a/web`.
    pub fn object(&self) -> String {
        format!(
            "{} {}/{}",
            self.kind.as_str(),
            shown(&self.namespace),
            shown(&self.name)
        )
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Also restart workloads that read a changed key from a mounted file only.
    pub restart_mounted: bool,
}

/// The plan: the workloads that read a changed key, in order (namespace, kind, name), and
/// how many workloads read one of the Secrets at all.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub entries: Vec<Entry>,
    /// Workloads reading one of the Secrets (changed or not).
    pub consumers: usize,
}

impl Plan {
    pub fn restarts(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|e| e.action == Action::Restart)
    }
}

/// Decides, for every workload, whether a change of the Secrets reaches its pods only by a
/// restart. Each workload is compared with the Secrets of its own namespace.
pub fn plan(secrets: &[SecretState], workloads: &[Workload], opts: Options) -> Plan {
    let mut by_ns: BTreeMap<&str, Vec<&SecretState>> = BTreeMap::new();
    for s in secrets {
        by_ns.entry(s.namespace.as_str()).or_default().push(s);
    }
    let mut out = Plan::default();
    for w in workloads {
        let Some(secrets) = by_ns.get(w.namespace.as_str()) else {
            continue;
        };
        let mut reasons = Vec::new();
        let mut missing = BTreeSet::new();
        let mut consumes = false;
        for s in secrets {
            for how in w
                .reads
                .iter()
                .filter(|(name, _)| *name == s.name)
                .map(|(_, how)| how.clone())
            {
                consumes = true;
                let read: Option<Vec<String>> = how
                    .keys()
                    .map(|k| k.into_iter().map(str::to_string).collect());
                if let (Some(have), Some(read)) = (&s.keys, &read) {
                    missing.extend(read.iter().filter(|k| !have.contains(*k)).cloned());
                }
                let Some(change) = &s.change else { continue };
                if let Some(r) = reason(s, change, how, read.as_deref(), w) {
                    reasons.push(r);
                }
            }
        }
        if consumes {
            out.consumers += 1;
        }
        if reasons.is_empty() {
            continue;
        }
        let restart = reasons
            .iter()
            .any(|r| r.how.needs_restart() || opts.restart_mounted);
        let action = if !w.kind.restartable() {
            Action::Report
        } else if w.oldest_pod.is_none() {
            Action::NoPods
        } else if !restart {
            Action::Mounted
        } else if !missing.is_empty() {
            Action::Blocked
        } else {
            Action::Restart
        };
        out.entries.push(Entry {
            action,
            kind: w.kind,
            namespace: w.namespace.clone(),
            name: w.name.clone(),
            reasons,
            missing: missing.into_iter().collect(),
        });
    }
    out.entries
        .sort_by(|a, b| (&a.namespace, a.kind, &a.name).cmp(&(&b.namespace, b.kind, &b.name)));
    out
}

/// Why `how` makes `w` read a changed value of `s`, if it does.
fn reason(
    s: &SecretState,
    change: &Change,
    how: How,
    read: Option<&[String]>,
    w: &Workload,
) -> Option<Reason> {
    let secret = s.name.clone();
    match change {
        Change::Keys(changed) => {
            let keys: Vec<String> = match read {
                None => changed.iter().cloned().collect(),
                Some(read) => read
                    .iter()
                    .filter(|k| changed.contains(*k))
                    .cloned()
                    .collect(),
            };
            if keys.is_empty() {
                return None;
            }
            let why = format!(
                "{} {} changed in this apply; read through {}",
                if keys.len() == 1 { "key" } else { "keys" },
                list(&keys),
                how.describe()
            );
            Some(Reason {
                secret,
                how,
                keys: Some(keys),
                why,
            })
        }
        Change::Since { time, by_eso } => {
            let started = w.oldest_pod.as_deref()?;
            if started >= time.as_str() {
                return None;
            }
            let writer = if *by_eso {
                "External Secrets Operator wrote it"
            } else {
                "the cluster keeps no history of a Secret's values; render --apply --restart compares them as it applies"
            };
            let why = format!(
                "changed at {}, after its oldest pod started ({}); which keys changed cannot be told ({writer}); read through {}",
                shown(time),
                shown(started),
                how.describe()
            );
            Some(Reason {
                secret,
                how,
                keys: None,
                why,
            })
        }
    }
}

/// The keys added, removed or changed between two versions of a Secret's values (decoded
/// bytes, compared in memory and dropped; only names come out).
pub fn changed_keys(
    before: &BTreeMap<String, Vec<u8>>,
    after: &BTreeMap<String, Vec<u8>>,
) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = before
        .iter()
        .filter(|(k, v)| after.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .collect();
    out.extend(after.keys().filter(|k| !before.contains_key(*k)).cloned());
    out
}

/// A string from the cluster, printable on one line: control characters escaped.
pub fn shown(s: &str) -> String {
    if !s.chars().any(|c| c.is_control()) {
        return s.to_string();
    }
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

pub(crate) fn list(keys: &[String]) -> String {
    keys.iter().map(|k| shown(k)).collect::<Vec<_>>().join(", ")
}

mod report;
pub use report::{summary, text};

#[cfg(test)]
mod tests;
