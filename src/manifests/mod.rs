//! Step 4 of the pipeline: the rendered text parsed into typed objects (`k8s-openapi` for
//! the core kinds, [`eso`] for External Secrets), checked, labelled, sorted, and serialized
//! from those types. Template overrides go through exactly the same checks.

pub mod eso;
pub mod fastyaml;

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{Namespace, Secret, ServiceAccount};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::config::{self, names, Config};
use crate::diag::{Diagnostic, Diagnostics};
use crate::render::Templates;
use crate::yamlfmt;

/// One rendered object.
#[derive(Clone, Debug, PartialEq)]
pub enum Object {
    Namespace(Namespace),
    Store(eso::SecretStore),
    ServiceAccount(ServiceAccount),
    Secret(Secret),
    ExternalSecret(eso::ExternalSecret),
}

impl Object {
    pub fn kind(&self) -> &str {
        match self {
            Object::Namespace(_) => "Namespace",
            Object::Store(s) => &s.kind,
            Object::ServiceAccount(_) => "ServiceAccount",
            Object::Secret(_) => "Secret",
            Object::ExternalSecret(_) => "ExternalSecret",
        }
    }

    pub fn metadata(&self) -> &ObjectMeta {
        match self {
            Object::Namespace(o) => &o.metadata,
            Object::Store(o) => &o.metadata,
            Object::ServiceAccount(o) => &o.metadata,
            Object::Secret(o) => &o.metadata,
            Object::ExternalSecret(o) => &o.metadata,
        }
    }

    fn metadata_mut(&mut self) -> &mut ObjectMeta {
        match self {
            Object::Namespace(o) => &mut o.metadata,
            Object::Store(o) => &mut o.metadata,
            Object::ServiceAccount(o) => &mut o.metadata,
            Object::Secret(o) => &mut o.metadata,
            Object::ExternalSecret(o) => &mut o.metadata,
        }
    }

    pub fn name(&self) -> &str {
        self.metadata().name.as_deref().unwrap_or("")
    }

    /// `None` for cluster-scoped objects.
    pub fn namespace(&self) -> Option<&str> {
        self.metadata().namespace.as_deref()
    }

    pub fn is_cluster_scoped(&self) -> bool {
        matches!(self.kind(), "Namespace" | "ClusterSecretStore")
    }

    /// Output order of the kinds (SPEC 4): Namespaces, stores, ServiceAccounts, Secrets,
    /// ExternalSecrets.
    fn rank(&self) -> u8 {
        match self {
            Object::Namespace(_) => 0,
            Object::Store(s) if s.kind == "ClusterSecretStore" => 1,
            Object::Store(_) => 2,
            Object::ServiceAccount(_) => 3,
            Object::Secret(_) => 4,
            Object::ExternalSecret(_) => 5,
        }
    }

    /// `Kind/name` or `Kind namespace/name`, for messages and `--show-only`.
    pub fn display_name(&self) -> String {
        match self.namespace() {
            Some(ns) => format!("{} {ns}/{}", self.kind(), self.name()),
            None => format!("{} {}", self.kind(), self.name()),
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        let v = match self {
            Object::Namespace(o) => serde_json::to_value(o),
            Object::Store(o) => serde_json::to_value(o),
            Object::ServiceAccount(o) => serde_json::to_value(o),
            Object::Secret(o) => serde_json::to_value(o),
            Object::ExternalSecret(o) => serde_json::to_value(o),
        };
        v.expect("typed objects serialize")
    }
}

/// One rendered object, final: labelled, checked, and serialized once as YAML (one block
/// of text per object is far smaller than the typed object it came from, which matters at
/// thousands of namespaces).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    kind: String,
    namespace: Option<String>,
    name: String,
    rank: u8,
    /// The document, without the leading `---`.
    yaml: String,
}

impl Manifest {
    fn new(o: &Object) -> Self {
        let mut yaml = String::new();
        yamlfmt::emit_document(&mut yaml, &o.to_json());
        Manifest {
            kind: o.kind().to_string(),
            namespace: o.namespace().map(str::to_string),
            name: o.name().to_string(),
            rank: o.rank(),
            yaml,
        }
    }

    pub fn kind(&self) -> &str {
        &self.kind
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// `None` for cluster-scoped objects.
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    /// The YAML document (without `---`).
    pub fn yaml(&self) -> &str {
        &self.yaml
    }

    /// `Kind namespace/name` or `Kind name`.
    pub fn display_name(&self) -> String {
        match self.namespace() {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }

    /// The object as JSON, read back from its YAML (our output is always in the subset the
    /// fast reader knows; serde_yaml is the fallback).
    pub fn to_json(&self) -> serde_json::Value {
        fastyaml::parse(&self.yaml)
            .unwrap_or_else(|| serde_yaml::from_str(&self.yaml).expect("our own YAML reads back"))
    }
}

/// The final, checked, ordered set of objects.
#[derive(Clone, Debug, Default)]
pub struct Manifests {
    pub objects: Vec<Manifest>,
}

impl Manifests {
    /// A stream of YAML documents, each starting with `---`.
    pub fn to_yaml(&self) -> String {
        let mut out = Vec::new();
        self.write_yaml(&mut out).expect("writing to memory");
        String::from_utf8(out).expect("YAML is UTF-8")
    }

    /// Writes the YAML stream.
    pub fn write_yaml(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        for o in &self.objects {
            w.write_all(b"---\n")?;
            w.write_all(o.yaml.as_bytes())?;
        }
        Ok(())
    }

    /// One `v1` `List` holding every object.
    pub fn to_json(&self) -> String {
        let list = serde_json::json!({
            "apiVersion": "v1",
            "kind": "List",
            "items": self.objects.iter().map(Manifest::to_json).collect::<Vec<_>>(),
        });
        let mut s = serde_json::to_string_pretty(&list).expect("JSON serializes");
        s.push('\n');
        s
    }
}

/// Renders, parses, checks and orders everything `config` describes. Each object is
/// labelled, checked and serialized as soon as its document is parsed, so that only one
/// typed object is alive at a time.
pub fn build(config: &Config, templates: &Templates) -> Result<Manifests, Diagnostics> {
    let mut diags = Diagnostics::default();
    let mut objects = Vec::new();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    templates.render_each(config, |template, overridden, doc| {
        let n = counts.entry(template.to_string()).or_default();
        *n += 1;
        let first = *n;
        parse_docs(
            template,
            overridden,
            doc,
            first,
            config,
            &mut diags,
            &mut objects,
        );
    })?;
    if config.create_namespaces && !diags.has_errors() {
        let used: BTreeSet<String> = objects
            .iter()
            .filter_map(|o: &Manifest| o.namespace().map(str::to_string))
            .collect();
        let used: Vec<String> = used.into_iter().collect();
        match templates.render_namespaces(&used) {
            Ok(r) => parse_docs(
                &r.template,
                r.overridden,
                &r.text,
                1,
                config,
                &mut diags,
                &mut objects,
            ),
            Err(d) => diags.extend(d),
        }
    }
    if diags.has_errors() {
        return Err(diags);
    }
    finish(objects)
}

/// Parses the documents of `text` (numbered from `first` in messages) into `out`.
fn parse_docs(
    template: &str,
    overridden: bool,
    text: &str,
    first: usize,
    config: &Config,
    diags: &mut Diagnostics,
    out: &mut Vec<Manifest>,
) {
    if let Some(value) = fastyaml::parse(text) {
        if !value.is_null() {
            match parse_object(value, overridden) {
                Ok(o) => finalize(o, config, diags, out),
                Err(msg) => diags.push(Diagnostic::error(
                    None,
                    "",
                    format!("template {template} (document {first}): {msg}"),
                )),
            }
        }
        return;
    }
    for (i, doc) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let where_ = || format!("template {template} (document {})", first + i);
        let value = match serde_json::Value::deserialize(doc) {
            Ok(v) => v,
            Err(e) => {
                diags.push(Diagnostic::error(
                    None,
                    "",
                    format!(
                        "{}: the output is not valid YAML: {}",
                        where_(),
                        redact(&e.to_string())
                    ),
                ));
                continue;
            }
        };
        if value.is_null() {
            continue;
        }
        match parse_object(value, overridden) {
            Ok(o) => finalize(o, config, diags, out),
            Err(msg) => diags.push(Diagnostic::error(None, "", format!("{}: {msg}", where_()))),
        }
    }
}

/// Parses one document into its typed object. With `strict`, fields the type does not know,
/// or values of the wrong form, are errors (the object is re-serialized and compared with the
/// input): done for templates from `--templates`; the built-in ones are tested to be exact.
pub fn parse_object(value: serde_json::Value, strict: bool) -> Result<Object, String> {
    let api = value
        .get("apiVersion")
        .and_then(|v| v.as_str())
        .unwrap_or("")
        .to_string();
    let kind = value
        .get("kind")
        .and_then(|v| v.as_str())
        .unwrap_or("")
        .to_string();
    let original = strict.then(|| value.clone());
    let object = match (api.as_str(), kind.as_str()) {
        ("v1", "Namespace") => Object::Namespace(typed(value, &kind)?),
        ("v1", "ServiceAccount") => Object::ServiceAccount(typed(value, &kind)?),
        ("v1", "Secret") => Object::Secret(typed(value, &kind)?),
        (api, "ExternalSecret" | "SecretStore" | "ClusterSecretStore") => {
            if !config::API_VERSIONS.contains(&api) {
                return Err(format!(
                    "{kind} has apiVersion {api:?}; expected one of: {}",
                    config::API_VERSIONS.join(", ")
                ));
            }
            if kind == "ExternalSecret" {
                Object::ExternalSecret(typed(value, &kind)?)
            } else {
                Object::Store(typed(value, &kind)?)
            }
        }
        _ => {
            return Err(format!(
                "renders {kind:?} (apiVersion {api:?}); recif-secrets only emits v1 Namespace, ServiceAccount and Secret, and External Secrets ExternalSecret, SecretStore and ClusterSecretStore"
            ))
        }
    };
    if let Some(original) = original {
        let back = object.to_json();
        if let Some(path) = first_difference(&original, &back, String::new()) {
            return Err(format!(
                "{kind}: field `{path}` is not a field of a {api} {kind} or has the wrong form"
            ));
        }
    }
    Ok(object)
}

fn typed<T: DeserializeOwned>(value: serde_json::Value, kind: &str) -> Result<T, String> {
    serde_json::from_value(value).map_err(|e| format!("{kind}: {}", redact(&e.to_string())))
}

/// The first path at which two JSON values differ.
fn first_difference(a: &serde_json::Value, b: &serde_json::Value, path: String) -> Option<String> {
    use serde_json::Value as J;
    match (a, b) {
        (J::Object(x), J::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().find_map(|k| {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match (x.get(k), y.get(k)) {
                    (Some(va), Some(vb)) => first_difference(va, vb, p),
                    _ => Some(p),
                }
            })
        }
        (J::Array(x), J::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (va, vb))| first_difference(va, vb, format!("{path}[{i}]"))),
        _ if a == b => None,
        _ => Some(if path.is_empty() {
            "(root)".to_string()
        } else {
            path
        }),
    }
}

/// Removes quoted text from a parser message: it may be part of a secret.
pub fn redact(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut chars = message.chars();
    while let Some(c) = chars.next() {
        if c == '"' || c == '\'' {
            out.push(c);
            out.push('…');
            let mut escaped = false;
            for d in chars.by_ref() {
                if escaped {
                    escaped = false;
                } else if d == '\\' {
                    escaped = true;
                } else if d == c {
                    break;
                }
            }
            out.push(c);
        } else {
            out.push(c);
        }
    }
    out
}

/// Labels and annotations, then the checks; a good object is kept as its final YAML.
fn finalize(mut o: Object, config: &Config, diags: &mut Diagnostics, out: &mut Vec<Manifest>) {
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
    let problems = check(&o, config);
    if problems.is_empty() {
        out.push(Manifest::new(&o));
    }
    for problem in problems {
        diags.error(None, "", format!("{}: {problem}", o.display_name()));
    }
}

/// Duplicates, then the output order.
fn finish(mut objects: Vec<Manifest>) -> Result<Manifests, Diagnostics> {
    let mut diags = Diagnostics::default();
    let mut seen = std::collections::HashSet::new();
    for o in &objects {
        if !seen.insert((o.kind(), o.namespace(), o.name())) {
            diags.error(None, "", format!("{} is rendered twice", o.display_name()));
        }
    }
    if diags.has_errors() {
        return Err(diags);
    }
    objects.sort_by(|a, b| {
        (a.rank, a.namespace().unwrap_or(""), a.name()).cmp(&(
            b.rank,
            b.namespace().unwrap_or(""),
            b.name(),
        ))
    });
    Ok(Manifests { objects })
}

/// What the API server (and the ESO CRD schema) would refuse, and what this tool promises.
fn check(o: &Object, config: &Config) -> Vec<String> {
    let mut problems = Vec::new();
    let meta = o.metadata();
    let name = o.name();
    let name_ok = if o.kind() == "Namespace" {
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
                        config::Provider::External => "external",
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
            if let Some(ri) = &e.spec.refresh_interval {
                if let Err(why) = config::duration::check_go_duration(ri) {
                    problems.push(format!(
                        "spec.refreshInterval {ri:?} is not a Go duration: {why}"
                    ));
                }
            }
            if let Some(kind) = &e.spec.secret_store_ref.kind {
                if !config::STORE_KINDS.contains(&kind.as_str()) {
                    problems.push(format!(
                        "spec.secretStoreRef.kind {kind:?} is not one of {}",
                        config::STORE_KINDS.join(", ")
                    ));
                }
            }
            if let Some(p) = e
                .spec
                .target
                .as_ref()
                .and_then(|t| t.creation_policy.as_deref())
            {
                if !["Owner", "Orphan", "Merge", "None"].contains(&p) {
                    problems.push(format!(
                        "spec.target.creationPolicy {p:?} is not one of Owner, Orphan, Merge, None"
                    ));
                }
            }
            for d in &e.spec.data {
                if !names::is_secret_key(&d.secret_key) {
                    problems.push(format!(
                        "spec.data secretKey {:?} is not a valid Secret key",
                        d.secret_key
                    ));
                }
            }
            if e.spec.data.is_empty() && e.spec.data_from.is_empty() {
                problems.push("spec has neither data nor dataFrom".into());
            }
        }
        Object::Store(s) => {
            if s.spec.provider.len() != 1 {
                problems.push("spec.provider must name exactly one backend".into());
            }
        }
        Object::Namespace(_) | Object::ServiceAccount(_) => {}
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn secret() -> serde_json::Value {
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "n"}, "type": "Opaque", "data": {"K": "eA=="}})
    }

    #[test]
    fn strict_parsing_names_unknown_fields() {
        assert!(parse_object(secret(), true).is_ok());
        let mut v = secret();
        v["spec"] = json!({});
        assert!(
            parse_object(v.clone(), false).is_ok(),
            "lenient for built-in templates"
        );
        assert!(parse_object(v, true).unwrap_err().contains("field `spec`"));
        let mut v = secret();
        v["data"]["K"] = json!("not base64!");
        assert!(parse_object(v, true).is_err());
        let e = parse_object(json!({"apiVersion": "v1", "kind": "ConfigMap"}), true).unwrap_err();
        assert!(e.contains("only emits"), "{e}");
        let e = parse_object(
            json!({"apiVersion": "external-secrets.io/v2", "kind": "ExternalSecret"}),
            true,
        )
        .unwrap_err();
        assert!(
            e.contains("external-secrets.io/v1, external-secrets.io/v1beta1"),
            "{e}"
        );
    }

    #[test]
    fn external_secrets_refuse_unknown_fields() {
        let es = json!({"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
            "metadata": {"name": "a", "namespace": "n"},
            "spec": {"secretStoreRef": {"name": "s"}, "dataFrom": [{"extract": {"key": "k", "bogus": 1}}]}});
        let e = parse_object(es, false).unwrap_err();
        assert!(e.contains("unknown field `bogus`"), "{e}");
    }

    #[test]
    fn differences_are_located() {
        assert_eq!(
            first_difference(
                &json!({"a": [1, {"b": 2}]}),
                &json!({"a": [1, {"b": 3}]}),
                String::new()
            )
            .as_deref(),
            Some("a[1].b")
        );
        assert_eq!(
            first_difference(&json!({"a": 1}), &json!({"a": 1}), String::new()),
            None
        );
    }

    #[test]
    fn parser_messages_lose_their_quoted_text() {
        assert_eq!(
            redact(r#"invalid type: string "sk-123\"x", expected a map"#),
            r#"invalid type: string "…", expected a map"#
        );
        assert_eq!(redact("unknown field `x`"), "unknown field `x`");
    }
}
