//! Inline Secret and ServiceAccount checks: present, same keys, same values (compared,
//! never shown), the Workload Identity annotations.

use super::*;

/// The key names of a Secret (`data` and `stringData`).
pub(super) fn secret_keys(s: &Value) -> BTreeSet<String> {
    ["data", "stringData"]
        .iter()
        .filter_map(|f| s[*f].as_object())
        .flat_map(|m| m.keys().cloned())
        .collect()
}

pub(super) fn names(keys: &BTreeSet<String>) -> String {
    if keys.is_empty() {
        "no keys".to_string()
    } else {
        keys.iter().cloned().collect::<Vec<_>>().join(", ")
    }
}

/// The bytes of every value of a Secret, decoded; compared, never shown.
pub(super) fn secret_values(s: &Value) -> BTreeMap<String, Vec<u8>> {
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

pub(super) fn inline_secret_check(rendered: &Value, found: &Found) -> Check {
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

pub(super) fn service_account_check(rendered: &Value, found: &Found) -> Check {
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
