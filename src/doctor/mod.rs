//! What `doctor` checks: the usual ways a setup goes wrong (docs/day-2.md), automated for
//! exactly the objects the values render. Pure: [`plan`] says what to read from the cluster,
//! the command layer reads it (kubectl get, read-only) into a [`Live`], and [`check`] turns
//! both into a checklist, each problem with its fix in one line.
//!
//! Secret values are never printed: Secrets are compared by key names, and inline values by
//! equality of their bytes (reported as "differs", nothing more).

use crate::manifests::Kind;
use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

pub use crate::cluster::{Found, Id, Live, Plan};

mod bindings;
mod external;
mod pods;
mod report;
mod secrets;

use bindings::binding_check;
use external::*;
use pods::*;
pub use report::{counts, json, text};
use secrets::*;
pub use secrets::{last_changed, secret_values};

/// The Secrets pods are checked against, in every team namespace.
pub use crate::config::TEAM_SECRETS;

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

/// The three ways a check ends; every family builds its lines through these, so a problem
/// always carries its fix.
impl Check {
    /// The object is as it should be.
    pub fn ok(object: impl Into<String>, check: &str, detail: impl Into<String>) -> Check {
        Check::new(Status::Ok, object, check, detail, None)
    }

    /// The object is wrong (or missing); `fix` is the one-line remedy.
    pub fn problem(
        object: impl Into<String>,
        check: &str,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Check {
        Check::new(Status::Problem, object, check, detail, Some(fix.into()))
    }

    /// The check could not run (not readable, facts unknown), with a fix when one is known.
    pub fn could_not_check(
        object: impl Into<String>,
        check: &str,
        detail: impl Into<String>,
        fix: Option<String>,
    ) -> Check {
        Check::new(Status::CouldNotCheck, object, check, detail, fix)
    }

    fn new(
        status: Status,
        object: impl Into<String>,
        check: &str,
        detail: impl Into<String>,
        fix: Option<String>,
    ) -> Check {
        Check {
            status,
            object: object.into(),
            check: check.to_string(),
            detail: detail.into(),
            fix,
        }
    }
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
            Some(k) if k.binding_api().is_some() => {
                checks.push(binding_check(o, live.get(&Id::of(o))))
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
    Check::could_not_check(id.to_string(), check, why, fix)
}

#[cfg(test)]
mod tests;
