//! Reading objects from the cluster with `kubectl get -o json`, for `diff` and `doctor`.
//! Reads only: every call is a `kubectl get`. The caller supplies how kubectl runs (the
//! command layer's runner); this module decides the calls and reads their answers:
//!
//! * objects by name, one call per resource and namespace (`kubectl get secrets a b -n ns
//!   -o json --ignore-not-found`): absent ones are [`Found::Missing`];
//! * an API error for one call (`Error from server (Forbidden)`, a resource type the cluster
//!   does not have) makes those objects [`Found::Unreadable`] with kubectl's reason;
//! * anything else (connection refused, unknown context, bad credentials) means the cluster
//!   cannot be reached: [`Unreachable`] with kubectl's reason, which the commands exit 3 with.

use crate::manifests::Kind;
use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::Captured;
use recif_secrets::cluster::Id;
use recif_secrets::cluster::{Found, Live, Plan};

/// Runs kubectl with the given `get ...` arguments (the runner adds the cluster flags).
/// `Err` when kubectl cannot be run at all.
pub type Run<'a> = &'a mut dyn FnMut(&[String]) -> Result<Captured, crate::Error>;

/// Why nothing could be read.
#[derive(Debug)]
pub enum Unreachable {
    /// The cluster cannot be reached: kubectl's reason.
    Cluster(String),
    /// kubectl itself cannot be run.
    Kubectl(crate::Error),
}

impl From<Unreachable> for crate::Error {
    fn from(u: Unreachable) -> Self {
        match u {
            Unreachable::Cluster(why) => {
                crate::Error::External(format!("cannot reach the cluster: {why}"))
            }
            Unreachable::Kubectl(e) => e,
        }
    }
}

/// The kubectl resource of a kind this tool reads: one it renders ([`Kind::resource`]), or
/// the pods `doctor` looks at.
pub fn resource(kind: &str) -> Option<&'static str> {
    match kind {
        "Pod" => Some("pods"),
        _ => Kind::from_name(kind).map(Kind::resource),
    }
}

/// How a failed `kubectl get` failed.
#[derive(Debug, PartialEq, Eq)]
enum Failure {
    /// The API server answered with an error for this request: kubectl's line.
    Api(String),
    Unreachable(String),
}

/// A klog line (`E1128 10:00:00.000000 123 file.go:1] ...`): kubectl's retries, repeated
/// before its own one-line reason.
fn is_klog(line: &str) -> bool {
    let b = line.as_bytes();
    b.len() > 5 && b"IWEF".contains(&b[0]) && b[1..5].iter().all(u8::is_ascii_digit)
}

fn classify(stderr: &[u8]) -> Failure {
    let text = String::from_utf8_lossy(stderr);
    let all: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let mut lines: Vec<&str> = all
        .iter()
        .copied()
        .filter(|l| !l.starts_with("Warning:") && !is_klog(l))
        .collect();
    if lines.is_empty() {
        lines = all; // only klog lines: they are the reason
    }
    if let Some(l) = lines.iter().find(|l| l.starts_with("Error from server")) {
        return Failure::Api(l.to_string());
    }
    if let Some(l) = lines
        .iter()
        .find(|l| l.contains("the server doesn't have a resource type"))
    {
        return Failure::Api(format!("{l} (is the operator that defines it installed?)"));
    }
    Failure::Unreachable(match lines.last() {
        None => "kubectl failed without a message".to_string(),
        Some(last) => last.to_string(),
    })
}

/// The objects of `kubectl get -o json` output: one object, a `List`, or nothing.
fn objects_of(stdout: &[u8]) -> Result<Vec<Value>, String> {
    if stdout.iter().all(u8::is_ascii_whitespace) {
        return Ok(Vec::new());
    }
    let v: Value = serde_json::from_slice(stdout)
        .map_err(|e| format!("kubectl printed something that is not JSON: {e}"))?;
    if v["kind"].as_str().is_some_and(|k| k.ends_with("List")) {
        Ok(v["items"].as_array().cloned().unwrap_or_default())
    } else {
        Ok(vec![v])
    }
}

fn namespace_args(ns: &Option<String>) -> Vec<String> {
    match ns {
        Some(ns) => vec![format!("--namespace={ns}")],
        None => Vec::new(),
    }
}

/// Gets `ids` by name, one kubectl call per resource and namespace.
pub fn get_objects(run: Run, ids: &BTreeSet<Id>) -> Result<BTreeMap<Id, Found>, Unreachable> {
    let mut groups: BTreeMap<(&'static str, Option<String>), Vec<&Id>> = BTreeMap::new();
    let mut out = BTreeMap::new();
    for id in ids {
        match resource(&id.kind) {
            Some(r) => groups
                .entry((r, id.namespace.clone()))
                .or_default()
                .push(id),
            None => {
                out.insert(
                    id.clone(),
                    Found::Unreadable(format!("{} is not a kind this tool reads", id.kind).into()),
                );
            }
        }
    }
    for ((res, ns), group) in groups {
        let mut args = vec!["get".to_string(), res.to_string()];
        args.extend(group.iter().map(|id| id.name.clone()));
        args.extend(namespace_args(&ns));
        // Managed fields carry the time of each write: when a Secret last changed.
        args.extend([
            "-o".into(),
            "json".into(),
            "--ignore-not-found".into(),
            "--show-managed-fields".into(),
        ]);
        let reply = run(&args).map_err(Unreachable::Kubectl)?;
        if !reply.success() {
            match classify(&reply.stderr) {
                Failure::Unreachable(why) => return Err(Unreachable::Cluster(why)),
                Failure::Api(why) => {
                    for id in group {
                        out.insert(id.clone(), Found::Unreadable(why.clone().into()));
                    }
                    continue;
                }
            }
        }
        let found = match objects_of(&reply.stdout) {
            Ok(f) => f,
            Err(why) => {
                for id in group {
                    out.insert(id.clone(), Found::Unreadable(why.clone().into()));
                }
                continue;
            }
        };
        let mut by_name: BTreeMap<String, Value> = found
            .into_iter()
            .map(|o| (o["metadata"]["name"].as_str().unwrap_or("").to_string(), o))
            .collect();
        for id in group {
            let f = match by_name.remove(&id.name) {
                Some(mut o) => {
                    // kubectl prints items of a List with their kind; make sure.
                    if o["kind"].is_null() {
                        o["kind"] = Value::String(id.kind.clone());
                    }
                    Found::Object(o)
                }
                None => Found::Missing,
            };
            out.insert(id.clone(), f);
        }
    }
    Ok(out)
}

/// Lists the pods of a namespace; `Err(reason)` when the API refuses.
fn list_pods(run: Run, ns: &str) -> Result<Result<Vec<Value>, String>, Unreachable> {
    let args: Vec<String> = ["get", "pods", &format!("--namespace={ns}"), "-o", "json"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let reply = run(&args).map_err(Unreachable::Kubectl)?;
    if !reply.success() {
        return match classify(&reply.stderr) {
            Failure::Unreachable(why) => Err(Unreachable::Cluster(why)),
            Failure::Api(why) => Ok(Err(why)),
        };
    }
    Ok(objects_of(&reply.stdout))
}

/// Reads everything `plan` asks for.
pub fn read(run: Run, plan: &Plan) -> Result<Live, Unreachable> {
    let objects = get_objects(run, &plan.objects)?;
    let mut pods = BTreeMap::new();
    for ns in &plan.pod_namespaces {
        pods.insert(ns.clone(), list_pods(run, ns)?);
    }
    Ok(Live { objects, pods })
}

/// Every object of `kinds` carrying `label` (`key=value`), in every namespace: the objects
/// this tool applied earlier, to find those no longer rendered. A kind the API refuses to
/// list (RBAC, or not installed) is skipped with kubectl's reason in the second list.
pub fn list_labelled(
    run: Run,
    kinds: &[&str],
    label: &str,
) -> Result<(Vec<Value>, Vec<String>), Unreachable> {
    let mut objects = Vec::new();
    let mut skipped = Vec::new();
    for kind in kinds {
        let Some(res) = resource(kind) else { continue };
        let args: Vec<String> = ["get", res, "--all-namespaces", "-l", label, "-o", "json"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let reply = run(&args).map_err(Unreachable::Kubectl)?;
        if !reply.success() {
            match classify(&reply.stderr) {
                Failure::Unreachable(why) => return Err(Unreachable::Cluster(why)),
                Failure::Api(why) => {
                    skipped.push(format!("{res}: {why}"));
                    continue;
                }
            }
        }
        match objects_of(&reply.stdout) {
            Ok(items) => objects.extend(items.into_iter().map(|mut o| {
                if o["kind"].is_null() {
                    o["kind"] = Value::String(kind.to_string());
                }
                o
            })),
            Err(why) => skipped.push(format!("{res}: {why}")),
        }
    }
    Ok((objects, skipped))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(success: bool, stdout: &str, stderr: &str) -> Captured {
        Captured {
            code: Some(if success { 0 } else { 1 }),
            stdout: stdout.as_bytes().to_vec(),
            stderr: stderr.as_bytes().to_vec(),
        }
    }

    fn id(kind: &str, ns: Option<&str>, name: &str) -> Id {
        Id {
            kind: kind.into(),
            namespace: ns.map(str::to_string),
            name: name.into(),
        }
    }

    #[test]
    fn failures_are_classified() {
        assert_eq!(
            classify(
                b"Error from server (Forbidden): secrets is forbidden: User \"u\" cannot list\n"
            ),
            Failure::Api(
                "Error from server (Forbidden): secrets is forbidden: User \"u\" cannot list"
                    .into()
            )
        );
        assert!(matches!(
            classify(b"error: the server doesn't have a resource type \"externalsecrets\"\n"),
            Failure::Api(_)
        ));
        assert_eq!(
            classify(b"The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?\n"),
            Failure::Unreachable("The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?".into())
        );
        assert!(matches!(
            classify(b"error: context \"nope\" does not exist\n"),
            Failure::Unreachable(_)
        ));
        assert_eq!(
            classify(b"E1128 10:00:00.000000   1 memcache.go:265] couldn't get current server API group list: connection refused\nThe connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?\n"),
            Failure::Unreachable("The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?".into())
        );
    }

    #[test]
    fn objects_are_grouped_by_resource_and_namespace() {
        let ids: BTreeSet<Id> = [
            id("Secret", Some("a"), "agent-env"),
            id("Secret", Some("a"), "gcp-adc"),
            id("Secret", Some("b"), "agent-env"),
            id("ClusterSecretStore", None, "s"),
        ]
        .into_iter()
        .collect();
        let mut calls = Vec::new();
        let mut run = |args: &[String]| {
            calls.push(args.join(" "));
            Ok(match args[1].as_str() {
                "secrets" if args.iter().any(|a| a == "--namespace=a") => reply(
                    true,
                    r#"{"kind":"List","items":[{"kind":"Secret","metadata":{"name":"gcp-adc","namespace":"a"}}]}"#,
                    "",
                ),
                "secrets" => reply(
                    false,
                    "",
                    "Error from server (Forbidden): secrets \"agent-env\" is forbidden",
                ),
                _ => reply(true, "", ""),
            })
        };
        let found = get_objects(&mut run, &ids).unwrap();
        assert_eq!(
            calls,
            [
                "get clustersecretstores.external-secrets.io s -o json --ignore-not-found --show-managed-fields",
                "get secrets agent-env gcp-adc --namespace=a -o json --ignore-not-found --show-managed-fields",
                "get secrets agent-env --namespace=b -o json --ignore-not-found --show-managed-fields",
            ]
        );
        assert!(matches!(
            found[&id("Secret", Some("a"), "gcp-adc")],
            Found::Object(_)
        ));
        assert!(matches!(
            found[&id("Secret", Some("a"), "agent-env")],
            Found::Missing
        ));
        assert!(matches!(
            found[&id("Secret", Some("b"), "agent-env")],
            Found::Unreadable(_)
        ));
        assert!(matches!(
            found[&id("ClusterSecretStore", None, "s")],
            Found::Missing
        ));
    }

    #[test]
    fn an_unreachable_cluster_stops_the_reading() {
        let ids: BTreeSet<Id> = [id("Secret", Some("a"), "x")].into_iter().collect();
        let mut run = |_: &[String]| {
            Ok(reply(
                false,
                "",
                "Unable to connect to the server: dial tcp: i/o timeout\n",
            ))
        };
        assert!(matches!(
            get_objects(&mut run, &ids).unwrap_err(),
            Unreachable::Cluster(why) if why == "Unable to connect to the server: dial tcp: i/o timeout"
        ));
    }
}
