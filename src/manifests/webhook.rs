//! ESO's ExternalSecret admission webhook, rule by rule: what `kubectl apply` of an
//! ExternalSecret is refused for once its `spec` has passed the CRD schema (which
//! [`crate::config::crd`] checks). Read from ESO 2.9's
//! `apis/externalsecrets/v1/externalsecret_validator.go` and
//! `apis/externalsecrets/v1beta1/externalsecret_validator.go`; each refusal gives the
//! webhook's own words and what they mean, and says where in `spec` the offending values
//! are, so that the caller can point at the values key that set them.
//!
//! The API server applies the CRD defaults before the webhook runs: an unset
//! `target.creationPolicy` is `Owner`, an unset `target.deletionPolicy` is `Retain`, an
//! unset `templateFrom[].target` is `Data`. A field given as `null` is unset (Go's nil).
//!
//! `tests/it/eso_webhook.rs` holds the table: a refused and an admitted case per rule and API
//! version, through `render` and `validate`, each checked against the CRD.

use serde_json::{Map, Value as J};

/// One step of a path inside `spec`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// A path inside `spec`, such as `target.deletionPolicy` or `dataFrom[1].find`.
pub type SpecPath = Vec<Seg>;

/// `target.deletionPolicy`, `dataFrom[1].find`.
pub fn show(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// What the webhook refuses, and where.
#[derive(Debug, PartialEq)]
pub struct Refusal {
    /// The rule's id (a [`RULES`] entry).
    pub rule: &'static str,
    /// Where in `spec` the offending values are; the caller blames the one set by the most
    /// specific values key (an override of one object before `externalSecretSpec`), the
    /// first when several are.
    pub at: Vec<SpecPath>,
    pub message: String,
}

/// A rule of the webhook.
pub struct Rule {
    pub id: &'static str,
    /// The API versions whose webhook has it.
    pub versions: &'static [&'static str],
    /// The function of ESO's validator it comes from.
    pub source: &'static str,
    check: fn(&Map<String, J>, &mut Vec<Refusal>),
}

const BOTH: &[&str] = &["external-secrets.io/v1", "external-secrets.io/v1beta1"];

/// Every rule of ESO's ExternalSecret webhook, in the order it checks them.
pub const RULES: &[Rule] = &[
    Rule {
        id: "delete-needs-owner",
        versions: BOTH,
        source: "validatePolicies",
        check: delete_needs_owner,
    },
    Rule {
        id: "merge-needs-a-secret",
        versions: BOTH,
        source: "validatePolicies",
        check: merge_needs_a_secret,
    },
    Rule {
        id: "data-or-dataFrom",
        versions: BOTH,
        source: "validateExternalSecret",
        check: data_or_data_from,
    },
    Rule {
        id: "privileged-template",
        versions: BOTH,
        source: "validatePrivilegedTemplate",
        check: privileged_template,
    },
    Rule {
        // The v1beta1 CRD's enum already allows only Data, Annotations and Labels.
        id: "templateFrom-target",
        versions: &["external-secrets.io/v1"],
        source: "validateTemplateFromTarget",
        check: template_from_target,
    },
    Rule {
        id: "one-source-per-dataFrom",
        versions: BOTH,
        source: "validateExtractFindGenerator",
        check: one_source_per_data_from,
    },
    Rule {
        id: "dataFrom-needs-a-source",
        versions: BOTH,
        source: "validateFindExtractSourceRef",
        check: data_from_needs_a_source,
    },
    Rule {
        id: "sourceRef-needs-a-ref",
        versions: BOTH,
        source: "validateSourceRef",
        check: source_ref_needs_a_ref,
    },
    Rule {
        id: "duplicate-secretKey",
        versions: BOTH,
        source: "validateDuplicateKeys",
        check: duplicate_secret_key,
    },
];

/// What ESO's webhook of `api_version` refuses in `spec` (a spec that passed the CRD
/// schema).
pub fn refusals(api_version: &str, spec: &Map<String, J>) -> Vec<Refusal> {
    let mut out = Vec::new();
    for rule in RULES.iter().filter(|r| r.versions.contains(&api_version)) {
        (rule.check)(spec, &mut out);
    }
    out
}

fn key(k: &str) -> Seg {
    Seg::Key(k.to_string())
}

fn path(keys: &[&str]) -> SpecPath {
    keys.iter().map(|k| key(k)).collect()
}

/// The field, unless missing or null.
fn field<'a>(m: &'a Map<String, J>, k: &str) -> Option<&'a J> {
    m.get(k).filter(|v| !v.is_null())
}

fn target(spec: &Map<String, J>) -> Option<&Map<String, J>> {
    field(spec, "target").and_then(J::as_object)
}

fn template(spec: &Map<String, J>) -> Option<&Map<String, J>> {
    target(spec)
        .and_then(|t| field(t, "template"))
        .and_then(J::as_object)
}

/// `target.<k>` as text, with the CRD's default.
fn policy<'a>(spec: &'a Map<String, J>, k: &str, default: &'a str) -> &'a str {
    target(spec)
        .and_then(|t| field(t, k))
        .and_then(J::as_str)
        .unwrap_or(default)
}

fn creation(spec: &Map<String, J>) -> &str {
    policy(spec, "creationPolicy", "Owner")
}

fn deletion(spec: &Map<String, J>) -> &str {
    policy(spec, "deletionPolicy", "Retain")
}

fn policies_at() -> Vec<SpecPath> {
    vec![
        path(&["target", "creationPolicy"]),
        path(&["target", "deletionPolicy"]),
    ]
}

fn delete_needs_owner(spec: &Map<String, J>, out: &mut Vec<Refusal>) {
    let cp = creation(spec);
    if deletion(spec) == "Delete" && matches!(cp, "Merge" | "None" | "CreateOrMerge") {
        out.push(Refusal {
            rule: "delete-needs-owner",
            at: policies_at(),
            message: format!(
                "target.deletionPolicy Delete with creationPolicy {cp} is refused by the ESO admission webhook (deletionPolicy=Delete must not be used when the controller does not own the secret. Please set creationPolicy=Owner): ESO would delete a Secret it does not own; set creationPolicy: Owner, or deletionPolicy: Retain"
            ),
        });
    }
}

fn merge_needs_a_secret(spec: &Map<String, J>, out: &mut Vec<Refusal>) {
    if deletion(spec) == "Merge" && creation(spec) == "None" {
        out.push(Refusal {
            rule: "merge-needs-a-secret",
            at: policies_at(),
            message: "target.deletionPolicy Merge with creationPolicy None is refused by the ESO admission webhook (deletionPolicy=Merge must not be used with creationPolicy=None. There is no Secret to merge with): with None, ESO never writes the Secret; set creationPolicy: Merge or Owner, or deletionPolicy: Retain".into(),
        });
    }
}

fn list<'a>(spec: &'a Map<String, J>, k: &str) -> &'a [J] {
    field(spec, k)
        .and_then(J::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn data_or_data_from(spec: &Map<String, J>, out: &mut Vec<Refusal>) {
    if list(spec, "data").is_empty() && list(spec, "dataFrom").is_empty() {
        out.push(Refusal {
            rule: "data-or-dataFrom",
            at: vec![path(&["dataFrom"]), path(&["data"])],
            message: "neither data nor dataFrom has an entry, which the ESO admission webhook refuses (either data or dataFrom should be specified): the Secret would have no source; keep at least one entry".into(),
        });
    }
}

/// The webhook stops at the first of these per template, as here.
fn privileged_template(spec: &Map<String, J>, out: &mut Vec<Refusal>) {
    const SA_TOKEN: &str = "kubernetes.io/service-account-token";
    const SA_NAME: &str = "kubernetes.io/service-account.name";
    const BOOTSTRAP: &str = "bootstrap.kubernetes.io/token";
    let Some(tpl) = template(spec) else {
        return;
    };
    let ty = field(tpl, "type").and_then(J::as_str).unwrap_or("");
    let type_at = path(&["target", "template", "type"]);
    let mut refuse = |at: Vec<SpecPath>, message: String| {
        out.push(Refusal {
            rule: "privileged-template",
            at,
            message,
        })
    };
    if ty == SA_TOKEN {
        let annotated = field(tpl, "metadata")
            .and_then(J::as_object)
            .and_then(|m| field(m, "annotations"))
            .and_then(J::as_object)
            .is_some_and(|a| a.contains_key(SA_NAME));
        if annotated {
            let mut at = path(&["target", "template", "metadata", "annotations"]);
            at.push(key(SA_NAME));
            refuse(vec![at, type_at], format!("target.template.type {SA_TOKEN} with the annotation {SA_NAME} is refused by the ESO admission webhook (template.type with that annotation is not allowed): the API server would fill such a Secret with a long-lived token of that ServiceAccount, beyond the RBAC of whoever writes the ExternalSecret"));
            return;
        }
        for (i, tf) in list(tpl, "templateFrom").iter().enumerate() {
            let t = tf.get("target").and_then(J::as_str).unwrap_or("");
            if t.eq_ignore_ascii_case("Annotations") {
                let at = vec![
                    Seg::Key("target".into()),
                    key("template"),
                    key("templateFrom"),
                    Seg::Index(i),
                    key("target"),
                ];
                refuse(vec![at, type_at], format!("target.template.type {SA_TOKEN} with a templateFrom of target Annotations is refused by the ESO admission webhook (template.type with templateFrom target=Annotations is not allowed): the annotations could name a ServiceAccount, and the API server would fill the Secret with its long-lived token"));
                return;
            }
        }
    } else if ty == BOOTSTRAP {
        refuse(vec![type_at], format!("target.template.type {BOOTSTRAP} is refused by the ESO admission webhook (template.type={BOOTSTRAP} is not allowed): a bootstrap token lets a machine join the cluster as a node"));
    }
}

/// Whether the ExternalSecret writes a core/v1 Secret (no `target.manifest`, or one naming
/// `v1` `Secret`).
fn targets_a_secret(spec: &Map<String, J>) -> bool {
    match target(spec).and_then(|t| field(t, "manifest")) {
        None => true,
        Some(m) => {
            m.get("apiVersion") == Some(&J::from("v1")) && m.get("kind") == Some(&J::from("Secret"))
        }
    }
}

fn template_from_target(spec: &Map<String, J>, out: &mut Vec<Refusal>) {
    if !targets_a_secret(spec) {
        return;
    }
    let from = template(spec).map_or(&[][..], |t| list(t, "templateFrom"));
    for (i, tf) in from.iter().enumerate() {
        let Some(t) = tf.get("target").and_then(J::as_str) else {
            continue;
        };
        let allowed = t.is_empty()
            || ["Data", "Annotations", "Labels"]
                .iter()
                .any(|a| t.eq_ignore_ascii_case(a));
        if !allowed {
            out.push(Refusal {
                rule: "templateFrom-target",
                at: vec![vec![
                    key("target"),
                    key("template"),
                    key("templateFrom"),
                    Seg::Index(i),
                    key("target"),
                ]],
                message: format!("target.template.templateFrom[{i}].target {t:?} is refused by the ESO admission webhook when the ExternalSecret writes a Secret (templateFrom target is not allowed when targeting a Secret, must be one of Data, Annotations or Labels): any other target is a path into the Secret itself, such as type or metadata.ownerReferences"),
            });
        }
    }
}

/// The sources a `dataFrom` entry sets: `extract`, `find`, `sourceRef.generatorRef`.
fn sources(entry: &Map<String, J>) -> Vec<&'static str> {
    let generator = field(entry, "sourceRef")
        .and_then(J::as_object)
        .is_some_and(|s| field(s, "generatorRef").is_some());
    [
        ("extract", field(entry, "extract").is_some()),
        ("find", field(entry, "find").is_some()),
        ("sourceRef.generatorRef", generator),
    ]
    .into_iter()
    .filter_map(|(n, set)| set.then_some(n))
    .collect()
}

fn entries(spec: &Map<String, J>) -> impl Iterator<Item = (usize, &Map<String, J>)> {
    list(spec, "dataFrom")
        .iter()
        .enumerate()
        .filter_map(|(i, e)| e.as_object().map(|e| (i, e)))
}

fn entry_at(i: usize) -> SpecPath {
    vec![key("dataFrom"), Seg::Index(i)]
}

fn one_source_per_data_from(spec: &Map<String, J>, out: &mut Vec<Refusal>) {
    for (i, e) in entries(spec) {
        let set = sources(e);
        if set.len() > 1 {
            let mut at: Vec<SpecPath> = set
                .iter()
                .map(|s| {
                    let mut p = entry_at(i);
                    p.extend(s.split('.').map(key));
                    p
                })
                .collect();
            at.push(entry_at(i));
            out.push(Refusal {
                rule: "one-source-per-dataFrom",
                at,
                message: format!("dataFrom[{i}] sets {}, which the ESO admission webhook refuses (extract, find, or generatorRef cannot be set at the same time): each dataFrom entry reads one source; make one entry per source", set.join(" and ")),
            });
        }
    }
}

fn data_from_needs_a_source(spec: &Map<String, J>, out: &mut Vec<Refusal>) {
    for (i, e) in entries(spec) {
        if field(e, "extract").is_none()
            && field(e, "find").is_none()
            && field(e, "sourceRef").is_none()
        {
            let only = if field(e, "rewrite").is_some() {
                " (only rewrite)"
            } else {
                ""
            };
            out.push(Refusal {
                rule: "dataFrom-needs-a-source",
                at: vec![entry_at(i)],
                message: format!("dataFrom[{i}] has none of extract, find and sourceRef{only}, which the ESO admission webhook refuses (either extract, find, or sourceRef must be set to dataFrom): rewrite only renames what a source read; add the extract or find it applies to"),
            });
        }
    }
}

fn source_ref_needs_a_ref(spec: &Map<String, J>, out: &mut Vec<Refusal>) {
    for (i, e) in entries(spec) {
        let Some(s) = field(e, "sourceRef").and_then(J::as_object) else {
            continue;
        };
        if field(s, "generatorRef").is_none() && field(s, "storeRef").is_none() {
            let mut at = entry_at(i);
            at.push(key("sourceRef"));
            out.push(Refusal {
                rule: "sourceRef-needs-a-ref",
                at: vec![at],
                message: format!("dataFrom[{i}].sourceRef has neither generatorRef nor storeRef, which the ESO admission webhook refuses (generatorRef or storeRef must be set when using sourceRef in dataFrom)"),
            });
        }
    }
}

fn duplicate_secret_key(spec: &Map<String, J>, out: &mut Vec<Refusal>) {
    if deletion(spec) != "Retain" {
        return;
    }
    let mut seen: Vec<(&str, usize)> = Vec::new();
    for (i, d) in list(spec, "data").iter().enumerate() {
        let k = d.get("secretKey").and_then(J::as_str).unwrap_or("");
        if let Some((_, first)) = seen.iter().find(|(s, _)| *s == k) {
            out.push(Refusal {
                rule: "duplicate-secretKey",
                at: vec![vec![key("data"), Seg::Index(i), key("secretKey")]],
                message: format!("data[{i}].secretKey {k:?} is also the secretKey of data[{first}], which the ESO admission webhook refuses with deletionPolicy Retain (duplicate secretKey found): the later entry would overwrite the earlier one in the Secret; give each entry its own secretKey"),
            });
        } else {
            seen.push((k, i));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(spec: serde_json::Value, api: &str) -> Vec<&'static str> {
        refusals(api, spec.as_object().unwrap())
            .into_iter()
            .map(|r| r.rule)
            .collect()
    }

    /// The defaults the API server applies count: no policy means Owner and Retain.
    #[test]
    fn defaults_and_nulls() {
        let v1 = "external-secrets.io/v1";
        let dup = serde_json::json!({"data": [
            {"secretKey": "a", "remoteRef": {"key": "x"}},
            {"secretKey": "a", "remoteRef": {"key": "y"}}]});
        assert_eq!(ids(dup.clone(), v1), ["duplicate-secretKey"]);
        let mut merge = dup.clone();
        merge["target"] = serde_json::json!({"deletionPolicy": "Merge"});
        assert!(ids(merge, v1).is_empty(), "only with Retain");
        let nulls = serde_json::json!({"dataFrom": [{"extract": {"key": "k"}, "find": null}]});
        assert!(ids(nulls, v1).is_empty());
        let none = serde_json::json!({"data": null, "dataFrom": []});
        assert_eq!(ids(none, v1), ["data-or-dataFrom"]);
        let custom = serde_json::json!({"dataFrom": [{"extract": {"key": "k"}}],
            "target": {"manifest": {"apiVersion": "v1", "kind": "ConfigMap"},
                       "template": {"templateFrom": [{"target": "spec.x"}]}}});
        assert!(ids(custom, v1).is_empty(), "not a Secret: any target");
    }

    #[test]
    fn paths_are_shown_as_written() {
        assert_eq!(
            show(&[key("dataFrom"), Seg::Index(2), key("find")]),
            "dataFrom[2].find"
        );
    }
}
