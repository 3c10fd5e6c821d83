//! Step 4 of the pipeline: the rendered text parsed into typed objects (`k8s-openapi` for
//! the core kinds, [`eso`] for External Secrets), checked, labelled, sorted, and serialized
//! from those types. Template overrides go through exactly the same checks.

pub mod eso;
pub mod fastyaml;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

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

/// One rendered object, final: labelled, checked, and serialized once as YAML (a block of
/// text per object is far smaller than the typed object it came from, and long scalars
/// repeated across objects, such as one service-account key in every team namespace, are
/// stored once).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    kind: String,
    namespace: Option<String>,
    name: String,
    rank: u8,
    /// The document, without the leading `---`, in pieces.
    pieces: Vec<Piece>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Text(String),
    /// A long double-quoted scalar, shared by every object that holds the same value.
    Shared(Arc<str>),
}

/// One copy of each long quoted scalar.
#[derive(Default)]
pub struct Interner {
    map: HashMap<String, Arc<str>, FastHash>,
}

/// A fast hash for long texts that are not attacker-chosen keys of a long-lived table
/// (one render's documents): eight bytes at a time, multiply and rotate.
#[derive(Default, Clone, Copy)]
struct FastHasher(u64);

impl std::hash::Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes(c.try_into().expect("8 bytes"));
            self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type FastHash = std::hash::BuildHasherDefault<FastHasher>;

/// The emitter's sink for a [`Manifest`].
struct Pieces<'a> {
    pieces: Vec<Piece>,
    current: String,
    interner: &'a mut Interner,
}

impl yamlfmt::Sink for Pieces<'_> {
    fn text(&mut self) -> &mut String {
        &mut self.current
    }

    fn long_scalar(&mut self, s: &str) {
        if !self.current.is_empty() {
            self.pieces
                .push(Piece::Text(std::mem::take(&mut self.current)));
        }
        let shared = match self.interner.map.get(s) {
            Some(q) => q.clone(),
            None => {
                let q: Arc<str> = Arc::from(yamlfmt::quote(s));
                self.interner.map.insert(s.to_string(), q.clone());
                q
            }
        };
        self.pieces.push(Piece::Shared(shared));
    }
}

impl Manifest {
    fn new(o: &Object, interner: &mut Interner) -> Self {
        let mut sink = Pieces {
            pieces: Vec::new(),
            current: String::new(),
            interner,
        };
        yamlfmt::emit_document(&mut sink, &o.to_json());
        let mut pieces = sink.pieces;
        if !sink.current.is_empty() {
            pieces.push(Piece::Text(sink.current));
        }
        Manifest {
            kind: o.kind().to_string(),
            namespace: o.namespace().map(str::to_string),
            name: o.name().to_string(),
            rank: o.rank(),
            pieces,
        }
    }

    fn write(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        for p in &self.pieces {
            w.write_all(match p {
                Piece::Text(t) => t.as_bytes(),
                Piece::Shared(s) => s.as_bytes(),
            })?;
        }
        Ok(())
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
    pub fn yaml(&self) -> String {
        let mut out = Vec::new();
        self.write(&mut out).expect("writing to memory");
        String::from_utf8(out).expect("YAML is UTF-8")
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
        let yaml = self.yaml();
        fastyaml::parse(&yaml)
            .unwrap_or_else(|| serde_yaml::from_str(&yaml).expect("our own YAML reads back"))
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
            o.write(w)?;
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
    let mut interner = Interner::default();
    let mut memo = Memo::default();
    let mut sink = Sinks {
        config,
        diags: &mut diags,
        out: &mut objects,
        interner: &mut interner,
        memo: &mut memo,
    };
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    templates.render_each(config, |template, overridden, text| {
        let n = counts.entry(template).or_default();
        *n += 1;
        parse_docs(template, overridden, text, *n, &mut sink);
    })?;
    if config.create_namespaces && !sink.diags.has_errors() {
        let used: BTreeSet<String> = sink
            .out
            .iter()
            .filter_map(|o| o.namespace().map(str::to_string))
            .collect();
        let used: Vec<String> = used.into_iter().collect();
        match templates.render_namespaces(&used) {
            Ok(r) => parse_docs(&r.template, r.overridden, &r.text, 1, &mut sink),
            Err(d) => sink.diags.extend(d),
        }
    }
    if diags.has_errors() {
        return Err(diags);
    }
    finish(objects)
}

/// Where parsed objects go, with what they need.
struct Sinks<'a> {
    config: &'a Config,
    diags: &'a mut Diagnostics,
    out: &'a mut Vec<Manifest>,
    interner: &'a mut Interner,
    memo: &'a mut Memo,
}

/// Work done once per distinct object rather than once per namespace: documents that differ
/// only in `metadata.namespace` (agent-env, gcp-adc in every team namespace) are parsed,
/// checked and serialized once; the others are stamped from that result, sharing its text.
///
/// Exact by construction: a document is memoized only when its namespace, quoted as the
/// templates quote it, occurs exactly once in its text, on the `metadata.namespace` line;
/// the key is the text with that one occurrence blanked, so two documents with one key are
/// identical but for the namespace there. The stamped output replaces the one
/// `namespace:` line of the first result. `tests/cli.rs`
/// (`memoized_objects_equal_objects_rendered_alone`) checks it against renders of one team.
#[derive(Default)]
pub struct Memo {
    map: HashMap<String, MemoEntry, FastHash>,
}

struct MemoEntry {
    kind: String,
    name: String,
    rank: u8,
    before: Vec<Arc<str>>,
    after: Vec<Arc<str>>,
}

const NS_LINE: &str = "\n  namespace: ";

/// The namespace of a document and its memo key, when the document qualifies.
fn memo_key(text: &str) -> Option<(String, String)> {
    let marker = "\n  namespace: \"";
    let start = text.find(marker)? + marker.len();
    let len = text[start..].find('"')?;
    let ns = &text[start..start + len];
    if !names::is_dns_label(ns) {
        return None;
    }
    let quoted = format!("\"{ns}\"");
    let mut hits = memchr::memmem::find_iter(text.as_bytes(), quoted.as_bytes());
    let first = hits.next()?;
    if hits.next().is_some() || first != start - 1 {
        return None;
    }
    let mut key = String::with_capacity(text.len());
    key.push_str(&text[..start]);
    key.push_str(&text[start + len..]);
    Some((ns.to_string(), key))
}

fn emitted(ns: &str) -> String {
    if yamlfmt::is_plain_safe(ns) {
        ns.to_string()
    } else {
        yamlfmt::quote(ns)
    }
}

impl MemoEntry {
    /// Splits a freshly made manifest around its one `namespace:` line.
    fn new(m: &Manifest, ns: &str) -> Option<MemoEntry> {
        let line = format!("{NS_LINE}{}\n", emitted(ns));
        let count: usize = m
            .pieces
            .iter()
            .map(|p| match p {
                Piece::Text(t) => memchr::memmem::find_iter(t.as_bytes(), line.as_bytes()).count(),
                Piece::Shared(_) => 0,
            })
            .sum();
        if count != 1 {
            return None;
        }
        let (mut before, mut after) = (Vec::new(), Vec::new());
        let mut seen = false;
        for p in &m.pieces {
            match p {
                Piece::Text(t) if !seen && t.contains(&line) => {
                    let at = t.find(&line).expect("found above");
                    before.push(Arc::from(&t[..at + NS_LINE.len()]));
                    after.push(Arc::from(&t[at + line.len() - 1..]));
                    seen = true;
                }
                Piece::Text(t) => {
                    (if seen { &mut after } else { &mut before }).push(Arc::from(t.as_str()))
                }
                Piece::Shared(s) => (if seen { &mut after } else { &mut before }).push(s.clone()),
            }
        }
        Some(MemoEntry {
            kind: m.kind.clone(),
            name: m.name.clone(),
            rank: m.rank,
            before,
            after,
        })
    }

    fn stamp(&self, ns: &str) -> Manifest {
        let mut pieces: Vec<Piece> = self.before.iter().cloned().map(Piece::Shared).collect();
        pieces.push(Piece::Text(emitted(ns)));
        pieces.extend(self.after.iter().cloned().map(Piece::Shared));
        Manifest {
            kind: self.kind.clone(),
            namespace: Some(ns.to_string()),
            name: self.name.clone(),
            rank: self.rank,
            pieces,
        }
    }
}

/// Parses the documents of `text` (numbered from `first` in messages) into `sink.out`.
fn parse_docs(template: &str, overridden: bool, text: &str, first: usize, sink: &mut Sinks<'_>) {
    let key = memo_key(text);
    if let Some((ns, key)) = &key {
        if let Some(entry) = sink.memo.map.get(key) {
            sink.out.push(entry.stamp(ns));
            return;
        }
    }
    let (objects_before, errors_before) = (sink.out.len(), sink.diags.items.len());
    parse_docs_fully(template, overridden, text, first, sink);
    if let Some((ns, key)) = key {
        let one_clean_object =
            sink.out.len() == objects_before + 1 && sink.diags.items.len() == errors_before;
        if one_clean_object && sink.out[objects_before].namespace() == Some(ns.as_str()) {
            if let Some(entry) = MemoEntry::new(&sink.out[objects_before], &ns) {
                sink.memo.map.insert(key, entry);
            }
        }
    }
}

fn parse_docs_fully(
    template: &str,
    overridden: bool,
    text: &str,
    first: usize,
    sink: &mut Sinks<'_>,
) {
    if let Some(value) = fastyaml::parse(text) {
        if !value.is_null() {
            match parse_object(value, overridden) {
                Ok(o) => finalize(o, sink),
                Err(msg) => sink.diags.push(Diagnostic::error(
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
                sink.diags.push(Diagnostic::error(
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
            Ok(o) => finalize(o, sink),
            Err(msg) => {
                sink.diags
                    .push(Diagnostic::error(None, "", format!("{}: {msg}", where_())))
            }
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
fn finalize(mut o: Object, sink: &mut Sinks<'_>) {
    let config = sink.config;
    // secrets.external.externalSecretSpec / overrides.<name>.spec, checked in config.
    if let (Object::ExternalSecret(e), Some(ext)) = (&mut o, &config.external) {
        let name = e.metadata.name.as_deref().unwrap_or("");
        if let Some(patch) = ext.spec_patches.get(name) {
            let mut spec = serde_json::Value::Object(std::mem::take(&mut e.spec));
            config::crd::merge(&mut spec, patch);
            if let serde_json::Value::Object(m) = spec {
                e.spec = m;
            }
        }
    }
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
        sink.out.push(Manifest::new(&o, sink.interner));
    }
    for problem in problems {
        sink.diags
            .error(None, "", format!("{}: {problem}", o.display_name()));
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
            problems.extend(eso::check_spec(&e.api_version, "ExternalSecret", &e.spec));
            if let Some(ri) = e.spec.get("refreshInterval").and_then(|v| v.as_str()) {
                if let Err(why) = config::duration::check_go_duration(ri) {
                    problems.push(format!(
                        "spec.refreshInterval {ri:?} is not a Go duration: {why}"
                    ));
                }
            }
            let empty = |k: &str| {
                e.spec
                    .get(k)
                    .and_then(|v| v.as_array())
                    .is_none_or(Vec::is_empty)
            };
            if empty("data") && empty("dataFrom") {
                problems.push("spec has neither data nor dataFrom".into());
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
        let Object::ExternalSecret(e) = parse_object(es, true).unwrap() else {
            panic!("an ExternalSecret")
        };
        let problems = eso::check_spec(&e.api_version, "ExternalSecret", &e.spec);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with("spec.dataFrom[0].extract.bogus: unknown field; allowed here:"),
            "{problems:?}"
        );
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
