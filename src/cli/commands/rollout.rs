//! `recif-secrets rollout`, and the restarts of `render --apply --restart`: reads the
//! platform's Secrets, the workloads of their namespaces and their pods (`kubectl get -o
//! json`), plans with [`crate::rollout::plan`], prints the plan, and restarts one workload at
//! a time with `kubectl rollout restart` (with `--wait`, `kubectl rollout status` after each,
//! stopping at the first rollout that does not finish). Key names only: values are compared
//! in memory and dropped.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};

use serde::Serialize;
use serde_json::Value;

use super::{warnings, ExitStatus};
use crate::args::{RestartArgs, RolloutArgs, RolloutFormat};
use crate::cluster::read::{self as live, Unreachable};
use crate::cluster::{Captured, Kubectl};
use crate::diff::Id;
use crate::doctor::{self, Found};
use crate::manifests::{Kind, Manifest};
use crate::rollout::{self, shown, Action, Change, Options, Plan, SecretState, Workload};
use crate::{deliver, Error};

/// Up to this many namespaces, objects are listed namespace by namespace; above it, across
/// all namespaces at once (`-A`, one kubectl call per kind) and filtered, falling back to one
/// call per namespace when RBAC refuses the cluster-wide list.
const PER_NAMESPACE_MAX: usize = 4;

type Get<'a> = dyn FnMut(&[String]) -> Result<Captured, Error> + 'a;

pub(super) fn run(
    args: RolloutArgs,
    stdin: &mut dyn Read,
    err: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    check_timeout(&args.restarts)?;
    let rendered = warnings::render_json(&args.input, stdin, err)?;
    let targets = targets(&rendered);
    if targets.is_empty() {
        deliver::to_stdout("nothing to restart: the values render no Secret (with Workload Identity, the client libraries refresh their tokens themselves)\n")?;
        return Ok(ExitStatus::Success);
    }
    let k = args.cluster.runner();
    let mut get = k.getter();
    let mut problems = Vec::new();
    let ids: BTreeSet<Id> = targets.keys().cloned().collect();
    let live = read_secrets(&mut get, &ids, &mut problems)?;
    for (id, f) in &live {
        if matches!(f, Found::Missing) {
            let _ = writeln!(
                err,
                "warning: {id} does not exist: nothing reads new values from it"
            );
        }
    }
    let secrets: Vec<SecretState> = targets
        .iter()
        .map(|(id, eso)| {
            let (keys, change) = match live.get(id) {
                Some(Found::Object(o)) => (
                    Some(doctor::secret_values(o).into_keys().collect()),
                    doctor::last_changed(o).map(|time| Change::Since {
                        time,
                        by_eso: *eso || written_by_eso(o),
                    }),
                ),
                _ => (None, None),
            };
            SecretState {
                namespace: id.namespace.clone().unwrap_or_default(),
                name: id.name.clone(),
                keys,
                change,
            }
        })
        .collect();
    let workloads = read_workloads(&mut get, &namespaces(&ids), &mut problems)?;
    let plan = rollout::plan(
        &secrets,
        &workloads,
        Options {
            restart_mounted: args.restarts.restart_mounted,
        },
    );
    execute(
        &k,
        &plan,
        &problems,
        &Settings {
            dry_run: args.dry_run,
            restarts: &args.restarts,
            format: args.output,
        },
        err,
    )
}

/// `--timeout` is a Go duration (kubectl parses it): a usage error otherwise, before anything.
pub(super) fn check_timeout(r: &RestartArgs) -> Result<(), Error> {
    crate::config::duration::check_go_duration(&r.timeout).map_err(|why| {
        Error::Usage(format!(
            "--timeout {:?}: {why} (expected a duration such as 90s or 5m)",
            r.timeout
        ))
    })
}

/// The Secrets the values give the platform, with whether External Secrets Operator writes
/// them: the inline Secrets rendered, and the target of every ExternalSecret.
fn targets(rendered: &[Value]) -> BTreeMap<Id, bool> {
    let mut out = BTreeMap::new();
    for o in rendered {
        let kind = o["kind"].as_str().and_then(Kind::from_name);
        let ns = o["metadata"]["namespace"].as_str().map(str::to_string);
        let (name, eso) = match kind {
            Some(Kind::Secret) => (o["metadata"]["name"].as_str().unwrap_or(""), false),
            Some(Kind::ExternalSecret) => (doctor::target_name(o), true),
            _ => continue,
        };
        out.insert(
            Id {
                kind: Kind::Secret.as_str().to_string(),
                namespace: ns,
                name: name.to_string(),
            },
            eso,
        );
    }
    out
}

fn namespaces(ids: &BTreeSet<Id>) -> BTreeSet<String> {
    ids.iter().filter_map(|id| id.namespace.clone()).collect()
}

/// A Secret External Secrets Operator wrote: owned by an ExternalSecret, or carrying its label.
fn written_by_eso(o: &Value) -> bool {
    o["metadata"]["labels"]["reconcile.external-secrets.io/managed"] == "true"
        || o["metadata"]["ownerReferences"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|r| r["kind"] == "ExternalSecret")
}

fn args(words: &[&str]) -> Vec<String> {
    words.iter().map(|s| s.to_string()).collect()
}

/// The Secrets `ids`, by name: one cluster-wide list per name when they span many namespaces
/// (falling back to one call per namespace when RBAC refuses it).
fn read_secrets(
    get: &mut Get,
    ids: &BTreeSet<Id>,
    problems: &mut Vec<String>,
) -> Result<BTreeMap<Id, Found>, Unreachable> {
    let mut by_name: BTreeMap<&str, BTreeSet<Id>> = BTreeMap::new();
    for id in ids {
        by_name.entry(&id.name).or_default().insert(id.clone());
    }
    let mut out = BTreeMap::new();
    for (name, ids) in by_name {
        let mut listed = None;
        if ids.len() > PER_NAMESPACE_MAX {
            let a = args(&[
                "get",
                "secrets",
                "--all-namespaces",
                &format!("--field-selector=metadata.name={name}"),
                "-o",
                "json",
                "--show-managed-fields",
            ]);
            if let Ok(items) = live::get_list(get, &a)? {
                listed = Some(items);
            }
        }
        let found = match listed {
            Some(items) => {
                let mut have: BTreeMap<String, Value> = items
                    .into_iter()
                    .filter(|o| o["metadata"]["name"] == name)
                    .map(|o| {
                        let ns = o["metadata"]["namespace"]
                            .as_str()
                            .unwrap_or("")
                            .to_string();
                        (ns, o)
                    })
                    .collect();
                ids.iter()
                    .map(|id| {
                        let ns = id.namespace.clone().unwrap_or_default();
                        let f = have.remove(&ns).map_or(Found::Missing, Found::Object);
                        (id.clone(), f)
                    })
                    .collect()
            }
            None => live::get_objects(get, &ids)?,
        };
        for (id, f) in found {
            if let Found::Unreadable(why) = &f {
                problems.push(format!("cannot read {id}: {}", shown(why)));
            }
            out.insert(id, f);
        }
    }
    Ok(out)
}

/// The objects of `resource` in `namespaces`, read from kubectl's output by `parse` (and
/// placed by `namespace`); those that cannot be listed are problems, and a resource type the
/// cluster does not have (no Argo Rollouts) is none.
fn list_in<T>(
    get: &mut Get,
    resource: &str,
    namespaces: &BTreeSet<String>,
    problems: &mut Vec<String>,
    parse: fn(&[u8]) -> Result<Vec<T>, String>,
    namespace: fn(&T) -> &str,
) -> Result<Vec<T>, Unreachable> {
    let absent = |why: &str| why.contains("doesn't have a resource type");
    let mut out = Vec::new();
    let mut read = |args: Vec<String>,
                    out: &mut Vec<T>,
                    problems: &mut Vec<String>|
     -> Result<bool, Unreachable> {
        Ok(
            match live::get_output(get, &args)?.and_then(|o| parse(&o)) {
                Ok(items) => {
                    out.extend(
                        items
                            .into_iter()
                            .filter(|o| namespaces.contains(namespace(o))),
                    );
                    true
                }
                Err(why) if absent(&why) => false,
                Err(why) => {
                    problems.push(shown(&why));
                    true
                }
            },
        )
    };
    if namespaces.len() > PER_NAMESPACE_MAX {
        let mut refused = Vec::new();
        let all = args(&["get", resource, "--all-namespaces", "-o", "json"]);
        if !read(all, &mut out, &mut refused)? || refused.is_empty() {
            return Ok(out); // listed, or no such resource type
        }
        // RBAC refused the cluster-wide list: namespace by namespace.
    }
    for ns in namespaces {
        let one = args(&["get", resource, &format!("--namespace={ns}"), "-o", "json"]);
        let mut refused = Vec::new();
        if !read(one, &mut out, &mut refused)? {
            return Ok(Vec::new());
        }
        problems.extend(
            refused
                .into_iter()
                .map(|why| format!("cannot list {resource} in {}: {why}", shown(ns))),
        );
    }
    Ok(out)
}

fn objects(out: &[u8]) -> Result<Vec<Value>, String> {
    #[derive(serde::Deserialize)]
    struct List {
        #[serde(default)]
        items: Vec<Value>,
    }
    serde_json::from_slice::<List>(out)
        .map(|l| l.items)
        .map_err(|e| format!("kubectl printed something that is not JSON: {e}"))
}

fn object_namespace(o: &Value) -> &str {
    o["metadata"]["namespace"].as_str().unwrap_or("")
}

/// Every workload of `namespaces`, with when its oldest running pod started.
fn read_workloads(
    get: &mut Get,
    namespaces: &BTreeSet<String>,
    problems: &mut Vec<String>,
) -> Result<Vec<Workload>, Unreachable> {
    if namespaces.is_empty() {
        return Ok(Vec::new());
    }
    let mut found = Vec::new();
    for kind in rollout::WorkloadKind::ALL {
        let resource = kind.resource();
        found.extend(list_in(
            get,
            resource,
            namespaces,
            problems,
            objects,
            object_namespace,
        )?);
    }
    let pods = list_in(
        get,
        "pods",
        namespaces,
        problems,
        rollout::parse_pods,
        |p| p.namespace.as_str(),
    )?;
    Ok(rollout::workloads(&found, &pods))
}

pub(super) struct Settings<'a> {
    pub dry_run: bool,
    pub restarts: &'a RestartArgs,
    pub format: RolloutFormat,
}

/// What happened to one workload to restart.
#[derive(Serialize)]
struct Done {
    kind: &'static str,
    namespace: String,
    name: String,
    /// `restarted`, `rolled-out` (--wait), `restart-failed` (kubectl rollout restart failed),
    /// `rollout-failed` (restarted, but the rollout did not finish), `not-started`.
    result: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
}

/// kubectl's reason for a failure: its last line of output (a rollout status) and its error.
fn failure_reason(c: &Captured) -> String {
    let out = String::from_utf8_lossy(&c.stdout);
    let last = out.lines().map(str::trim).rfind(|l| !l.is_empty());
    let why = live::reason(&c.stderr);
    shown(&match last {
        Some(l) => format!("{l}; {why}"),
        None => why,
    })
}

/// Prints the plan and, unless `dry_run`, restarts its workloads one at a time.
pub(super) fn execute(
    k: &Kubectl,
    plan: &Plan,
    problems: &[String],
    s: &Settings,
    err: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    let text = s.format == RolloutFormat::Text;
    for p in problems {
        let _ = writeln!(err, "warning: {p}");
    }
    if text {
        deliver::to_stdout(&rollout::text(plan))?;
    }
    let incomplete =
        !problems.is_empty() || plan.entries.iter().any(|e| e.action == Action::Blocked);
    let mut status = if incomplete {
        ExitStatus::PlanIncomplete
    } else {
        ExitStatus::Success
    };
    let restarts: Vec<_> = plan.restarts().collect();
    let mut done: Vec<Done> = Vec::new();
    let mut stop: Option<String> = None;
    if s.dry_run {
        if text {
            deliver::to_stdout("dry run: nothing restarted\n")?;
        }
    } else {
        for e in &restarts {
            let record = |result, detail| Done {
                kind: e.kind.as_str(),
                namespace: e.namespace.clone(),
                name: e.name.clone(),
                result,
                detail,
            };
            if stop.is_some() {
                done.push(record("not-started", None));
                continue;
            }
            let target = format!("{}/{}", e.kind.resource(), e.name);
            let ns = format!("--namespace={}", e.namespace);
            let (c, _) = k.run(&k.args(&["rollout", "restart", &target, &ns], &[]), None)?;
            if !c.success() {
                let why = failure_reason(&c);
                stop = Some(format!(
                    "kubectl rollout restart {} failed: {why}",
                    e.object()
                ));
                status = ExitStatus::External;
                done.push(record("restart-failed", Some(why)));
                continue;
            }
            if text {
                deliver::to_stdout(&format!("restarted  {}\n", e.object()))?;
            }
            if !s.restarts.wait {
                done.push(record("restarted", None));
                continue;
            }
            let timeout = format!("--timeout={}", s.restarts.timeout);
            let (c, _) = k.run(
                &k.args(&["rollout", "status", &target, &ns, &timeout], &[]),
                None,
            )?;
            if c.success() {
                if text {
                    deliver::to_stdout(&format!("rolled out {}\n", e.object()))?;
                }
                done.push(record("rolled-out", None));
            } else {
                let why = failure_reason(&c);
                stop = Some(format!(
                    "the rollout of {} did not finish: {why}",
                    e.object()
                ));
                status = ExitStatus::RolloutFailed;
                done.push(record("rollout-failed", Some(why)));
            }
        }
    }
    let restarted = done
        .iter()
        .filter(|d| matches!(d.result, "restarted" | "rolled-out" | "rollout-failed"))
        .count();
    let rolled_out = done.iter().filter(|d| d.result == "rolled-out").count();
    if text && !s.dry_run {
        deliver::to_stdout(&format!(
            "restarted {restarted} of {} workload{}\n",
            restarts.len(),
            if restarts.len() == 1 { "" } else { "s" }
        ))?;
    }
    if !text {
        let v = serde_json::json!({
            "dryRun": s.dry_run,
            "plan": plan,
            "problems": problems,
            "restarts": done,
            "summary": {"restart": restarts.len(), "restarted": restarted, "rolledOut": rolled_out,
                        "consumers": plan.consumers, "text": rollout::summary(plan)},
        });
        let mut out = serde_json::to_string_pretty(&v).expect("JSON serializes");
        out.push('\n');
        deliver::to_stdout(&out)?;
    }
    if let Some(why) = stop {
        let left: Vec<String> = done
            .iter()
            .filter(|d| d.result == "not-started")
            .map(|d| format!("{} {}/{}", d.kind, d.namespace, d.name))
            .collect();
        let _ = writeln!(
            err,
            "error: {why}; stopped{}",
            if left.is_empty() {
                String::new()
            } else {
                format!(", not restarted: {}", left.join(", "))
            }
        );
    }
    Ok(status)
}

/// A Secret's values by key, decoded (compared in memory, never shown).
type Values = BTreeMap<String, Vec<u8>>;

/// `render --apply --restart`, before the apply: the Secrets this apply writes, as they are
/// in the cluster now (values compared in memory, never shown).
pub(super) struct BeforeApply {
    /// Each applied Secret: its rendered values, and its live values before the apply
    /// (`None`: it did not exist).
    secrets: BTreeMap<Id, (Values, Option<Values>)>,
}

pub(super) fn before_apply<'a>(
    k: &Kubectl,
    objects: impl Iterator<Item = &'a Manifest>,
) -> Result<BeforeApply, Error> {
    let rendered: BTreeMap<Id, BTreeMap<String, Vec<u8>>> = objects
        .filter(|o| o.typed_kind() == Kind::Secret)
        .map(|o| {
            let v = o.to_json();
            (Id::of(&v), doctor::secret_values(&v))
        })
        .collect();
    let mut get = k.getter();
    let ids = rendered.keys().cloned().collect();
    let live = read_secrets(&mut get, &ids, &mut Vec::new())?;
    let mut secrets = BTreeMap::new();
    for (id, values) in rendered {
        let before = match live.get(&id) {
            Some(Found::Object(o)) => Some(doctor::secret_values(o)),
            Some(Found::Missing) | None => None,
            Some(Found::Unreadable(why)) => {
                return Err(Error::External(format!(
                    "--restart: cannot read {id} before applying: {}; nothing applied",
                    shown(why)
                )))
            }
        };
        secrets.insert(id, (values, before));
    }
    Ok(BeforeApply { secrets })
}

/// `render --apply --restart`, after the apply: reads the Secrets again (with `--dry-run`,
/// takes the rendered values as what they would be), and restarts exactly the workloads that
/// read a key whose value changed.
pub(super) fn after_apply(
    k: &Kubectl,
    before: BeforeApply,
    dry_run: bool,
    restarts: &RestartArgs,
    err: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    let mut get = k.getter();
    let ids: BTreeSet<Id> = before.secrets.keys().cloned().collect();
    let mut problems = Vec::new();
    let after = if dry_run {
        BTreeMap::new()
    } else {
        read_secrets(&mut get, &ids, &mut Vec::new())?
    };
    let mut secrets = Vec::new();
    for (id, (rendered, was)) in before.secrets {
        let now = if dry_run {
            Some(rendered)
        } else {
            match after.get(&id) {
                Some(Found::Object(o)) => Some(doctor::secret_values(o)),
                Some(Found::Unreadable(why)) => {
                    problems.push(format!("cannot read {id} after applying: {}", shown(why)));
                    None
                }
                _ => None,
            }
        };
        let Some(now) = now else { continue };
        let changed = rollout::changed_keys(&was.unwrap_or_default(), &now);
        secrets.push(SecretState {
            namespace: id.namespace.clone().unwrap_or_default(),
            name: id.name.clone(),
            keys: Some(now.into_keys().collect()),
            change: (!changed.is_empty()).then_some(Change::Keys(changed)),
        });
    }
    let changed_ns: BTreeSet<String> = secrets
        .iter()
        .filter(|s| s.change.is_some())
        .map(|s| s.namespace.clone())
        .collect();
    if changed_ns.is_empty() && problems.is_empty() {
        deliver::to_stdout("no Secret value changed in this apply: nothing to restart\n")?;
        return Ok(ExitStatus::Success);
    }
    let workloads = read_workloads(&mut get, &changed_ns, &mut problems)?;
    let plan = rollout::plan(
        &secrets,
        &workloads,
        Options {
            restart_mounted: restarts.restart_mounted,
        },
    );
    execute(
        k,
        &plan,
        &problems,
        &Settings {
            dry_run,
            restarts,
            format: RolloutFormat::Text,
        },
        err,
    )
}
