//! What the API server (and the ESO CRD schema) would refuse, and what this tool promises,
//! checked on each typed object; and the labels every object carries.

use std::collections::BTreeMap;

use super::eso;
use super::objects::{Kind, Object};
use crate::config::{self, names, Config};

/// The common labels and annotations, and this tool's own labels.
pub(super) fn label(o: &mut Object, config: &Config) {
    let meta = o.metadata_mut();
    let labels = meta.labels.get_or_insert_with(BTreeMap::new);
    labels.extend(
        config
            .common_labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone())),
    );
    labels.insert(config::MANAGED_BY.0.into(), config::MANAGED_BY.1.into());
    labels.insert(config::PART_OF.0.into(), config::PART_OF.1.into());
    if !config.common_annotations.is_empty() {
        meta.annotations.get_or_insert_with(BTreeMap::new).extend(
            config
                .common_annotations
                .iter()
                .map(|(k, v)| (k.clone(), v.clone())),
        );
    }
}

/// What the API server (and the ESO CRD schema) would refuse, and what this tool promises.
pub(super) fn check(o: &Object, config: &Config) -> Vec<String> {
    let mut problems = Vec::new();
    let meta = o.metadata();
    let name = o.name();
    let name_ok = if o.typed_kind() == Kind::Namespace {
        names::is_dns_label(name)
    } else {
        names::is_dns_subdomain(name)
    };
    if !name_ok {
        problems.push(format!(
            "metadata.name {name:?} is not a valid {} name",
            o.kind()
        ));
    }
    match (o.is_cluster_scoped(), o.namespace()) {
        (true, Some(_)) => problems.push("a cluster-scoped object has metadata.namespace".into()),
        (false, None) => problems.push("metadata.namespace is missing".into()),
        (false, Some(ns)) if !names::is_dns_label(ns) => problems.push(format!(
            "metadata.namespace {ns:?} is not a valid namespace name"
        )),
        _ => {}
    }
    for (k, v) in meta.labels.iter().flatten() {
        if !names::is_qualified_name(k) || !names::is_label_value(v) {
            problems.push(format!("label {k:?} has an invalid key or value"));
        }
    }
    for k in meta.annotations.iter().flatten().map(|(k, _)| k) {
        if !names::is_qualified_name(k) {
            problems.push(format!("annotation key {k:?} is not valid"));
        }
    }
    match o {
        Object::Secret(s) => {
            if !config.inline_agent_env() {
                problems.push(format!(
                    "a Secret with inline values is rendered although secrets.provider is {}; refused",
                    match config.provider {
                        config::Provider::External => config::Provider::External.as_str(),
                        _ => "none without workloadIdentity.llmKeys: inline",
                    }
                ));
            }
            for k in s
                .data
                .iter()
                .flatten()
                .map(|(k, _)| k)
                .chain(s.string_data.iter().flatten().map(|(k, _)| k))
            {
                if !names::is_secret_key(k) {
                    problems.push(format!("data key {k:?} is not a valid Secret key"));
                }
            }
        }
        Object::ExternalSecret(e) => {
            problems.extend(eso::check_spec(&e.api_version, "ExternalSecret", &e.spec));
            if let Some(ri) = e.spec.get("refreshInterval").and_then(|v| v.as_str()) {
                if let Err(why) = config::duration::check_go_duration(ri) {
                    problems.push(format!(
                        "spec.refreshInterval {ri:?} is not a Go duration: {why}"
                    ));
                }
            }
        }
        Object::Store(s) => {
            problems.extend(eso::check_spec(&s.api_version, &s.kind, &s.spec));
            if s.spec
                .get("provider")
                .and_then(|p| p.as_object())
                .is_none_or(|p| p.len() != 1)
            {
                problems.push("spec.provider must name exactly one backend".into());
            }
        }
        Object::Namespace(_) | Object::ServiceAccount(_) => {}
        Object::Binding(b) => problems.extend(super::bindings::check(b, config)),
    }
    problems
}
