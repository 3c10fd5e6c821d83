//! External Secrets checks: the store is Ready, each ExternalSecret is Ready and synced, its
//! target Secret holds the keys it should.

use super::*;

/// The `Ready` condition: (status, reason, message).
pub(super) fn ready(o: &Value) -> Option<(&str, &str, &str)> {
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

pub(super) fn reason_text(reason: &str, message: &str) -> String {
    match (reason.is_empty(), message.is_empty()) {
        (true, true) => String::new(),
        (false, true) => format!(" ({reason})"),
        (true, false) => format!(": {message}"),
        (false, false) => format!(" ({reason}): {message}"),
    }
}

pub(super) fn store_check(sid: &Id, found: &Found) -> Check {
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

pub(super) fn force_sync(name: &str, ns: &str) -> String {
    format!("kubectl annotate externalsecret {name} -n {ns} force-sync=$(date +%s) --overwrite")
}

/// The remote keys an ExternalSecret reads, for messages: `recif/gcp-sa (property value)`.
pub(super) fn remote_keys(es: &Value) -> String {
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

pub(super) fn external_secret_checks(es: &Value, live: &Live) -> Vec<Check> {
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
