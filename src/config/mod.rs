//! Step 2 of the pipeline: a typed view of the effective values, with every check of the
//! spec. Problems are collected (all of them, each with where the value came from) rather
//! than stopping at the first.

pub mod concepts;
pub mod crd;
pub mod duration;
pub mod keys;
pub mod names;
pub mod store;

use std::collections::BTreeMap;

use base64::Engine as _;

use crate::diag::Diagnostics;
use crate::values::{Node, Origin, Value};

pub use concepts::{ApiVersion, Backend, DecodingStrategy, LlmKeys, Provider, StoreKind};

// The name lists, derived from the typed definitions in `concepts.rs`. The backends are
// data: `Backend::names(api_version)`, from the CRD schemas.
pub const PROVIDERS: &[&str] = Provider::NAMES;
pub const LLM_KEYS_MODES: &[&str] = LlmKeys::NAMES;
pub const STORE_KINDS: &[&str] = StoreKind::NAMES;
/// The ESO API versions (a unit test of [`crd`] checks them against the CRDs).
pub const API_VERSIONS: &[&str] = ApiVersion::NAMES;
/// `remoteRef.decodingStrategy` (a unit test of [`crd`] checks it against the CRD enum).
pub const DECODING_STRATEGIES: &[&str] = DecodingStrategy::NAMES;
/// The ExternalSecrets recif-secrets renders, by name: what `secrets.external.overrides`
/// may name.
pub const EXTERNAL_SECRET_NAMES: &[&str] = &["agent-env", "gcp-adc", "recif-platform-gcp-sa"];
pub const GCP_CREDENTIAL_TYPES: &[&str] =
    &["service_account", "external_account", "authorized_user"];

/// Labels every rendered object carries; `commonLabels` may not change them.
pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "recif-secrets");
pub const PART_OF: (&str, &str) = ("app.kubernetes.io/part-of", "recif");

/// The typed, checked configuration that the templates render.
#[derive(Clone, Debug)]
pub struct Config {
    pub provider: Provider,
    pub platform_namespace: String,
    /// `namespaces.defaultTeam` then `namespaces.teams`, without repeats.
    pub team_namespaces: Vec<String>,
    pub create_namespaces: bool,
    pub common_labels: BTreeMap<String, String>,
    pub common_annotations: BTreeMap<String, String>,
    /// agent-env: variable name -> value.
    pub llm_env: BTreeMap<String, String>,
    /// The decoded service-account JSON (inline only).
    pub gcp_service_account_json: Option<String>,
    /// Set when ExternalSecrets are rendered.
    pub external: Option<External>,
    /// Set when `provider` is `none`.
    pub workload_identity: Option<WorkloadIdentity>,
}

#[derive(Clone, Debug)]
pub struct External {
    pub store_name: String,
    pub store_kind: String,
    pub refresh_interval: String,
    pub api_version: String,
    pub agent_env_key: String,
    /// `None`: no GCP ExternalSecrets.
    pub gcp_key: Option<String>,
    pub gcp_property: Option<String>,
    /// `remoteRef.decodingStrategy` and `remoteRef.version` of the GCP key.
    pub gcp_decoding_strategy: Option<String>,
    pub gcp_version: Option<String>,
    /// ExternalSecret name -> the `spec` fields merged into it (`externalSecretSpec`, then
    /// `overrides.<name>.spec`), checked against ESO's schema.
    pub spec_patches: BTreeMap<String, serde_json::Value>,
    pub store: Option<Store>,
    /// Whether the GCP ExternalSecrets are rendered (not with Workload Identity).
    pub with_gcp: bool,
}

/// `secrets.external.store`: one backend block, ESO's `spec.provider.<backend>`.
#[derive(Clone, Debug)]
pub struct Store {
    pub backend: Backend,
    pub provider: serde_json::Value,
    pub origin: Origin,
}

#[derive(Clone, Debug)]
pub struct WorkloadIdentity {
    pub annotations: BTreeMap<String, String>,
    /// (namespace, name)
    pub service_accounts: Vec<(String, String)>,
    pub llm_keys: LlmKeys,
}

impl Config {
    /// Whether the inline `agent-env` Secret is rendered.
    pub fn inline_agent_env(&self) -> bool {
        match self.provider {
            Provider::Inline => true,
            Provider::External => false,
            Provider::None => self
                .workload_identity
                .as_ref()
                .is_some_and(|w| w.llm_keys == LlmKeys::Inline),
        }
    }
}

/// A string value and where it came from.
struct Text {
    value: String,
    origin: Origin,
}

/// Reads typed values out of the tree, reporting type problems.
struct Reader<'a> {
    root: &'a Node,
    diags: &'a mut Diagnostics,
}

impl<'a> Reader<'a> {
    /// The node at `path`, or `None` when it (or a parent) is missing or null.
    fn node(&self, path: &[&str]) -> Option<&'a Node> {
        self.root.get(path).filter(|n| !n.is_null())
    }

    /// Where to point for a missing value: the deepest existing parent that the user wrote.
    /// `None` when nothing of the user's is on the way: the built-in defaults are never
    /// blamed for what the user did not set.
    fn origin(&self, path: &[&str]) -> Option<Origin> {
        (0..=path.len())
            .rev()
            .find_map(|i| self.root.get(&path[..i]).map(|n| n.origin.clone()))
            .filter(|o| *o != Origin::Default)
    }

    fn text(&mut self, path: &[&str]) -> Option<Text> {
        let node = self.node(path)?;
        match node.scalar_text() {
            Some(value) => Some(Text {
                value,
                origin: node.origin.clone(),
            }),
            None => {
                self.diags.error(
                    Some(node.origin.clone()),
                    path.join("."),
                    format!("expected a string, found a {}", node.type_name()),
                );
                None
            }
        }
    }

    /// A string, with `""` when missing.
    fn string(&mut self, path: &[&str]) -> String {
        self.text(path).map(|t| t.value).unwrap_or_default()
    }

    fn bool(&mut self, path: &[&str]) -> bool {
        match self.node(path) {
            None => false,
            Some(Node {
                value: Value::Bool(b),
                ..
            }) => *b,
            Some(node) => {
                self.diags.error(
                    Some(node.origin.clone()),
                    path.join("."),
                    format!("expected true or false, found a {}", node.type_name()),
                );
                false
            }
        }
    }

    fn map(&mut self, path: &[&str]) -> Option<&'a BTreeMap<String, Node>> {
        let node = self.node(path)?;
        match &node.value {
            Value::Map(m) => Some(m),
            _ => {
                self.diags.error(
                    Some(node.origin.clone()),
                    path.join("."),
                    format!("expected a map, found a {}", node.type_name()),
                );
                None
            }
        }
    }

    fn list(&mut self, path: &[&str]) -> &'a [Node] {
        let Some(node) = self.node(path) else {
            return &[];
        };
        match &node.value {
            Value::Seq(items) => items,
            _ => {
                self.diags.error(
                    Some(node.origin.clone()),
                    path.join("."),
                    format!("expected a list, found a {}", node.type_name()),
                );
                &[]
            }
        }
    }

    /// A map of strings to strings (labels, annotations, extraEnv); null entries are left out.
    fn string_map(&mut self, path: &[&str]) -> Vec<(String, Text)> {
        let Some(map) = self.map(path) else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(map.len());
        for (k, v) in map {
            if v.is_null() {
                continue;
            }
            match v.scalar_text() {
                Some(value) => out.push((
                    k.clone(),
                    Text {
                        value,
                        origin: v.origin.clone(),
                    },
                )),
                None => self.diags.error(
                    Some(v.origin.clone()),
                    format!("{}.{k}", path.join(".")),
                    format!("expected a string, found a {}", v.type_name()),
                ),
            }
        }
        out
    }

    /// One of `allowed`, or an error naming them; `default` when missing or empty.
    fn choice(&mut self, path: &[&str], allowed: &[&str], default: &str) -> String {
        match self.text(path) {
            None => default.to_string(),
            Some(t) if t.value.is_empty() => default.to_string(),
            Some(t) if allowed.contains(&t.value.as_str()) => t.value,
            Some(t) => {
                self.diags.error(
                    Some(t.origin),
                    path.join("."),
                    format!(
                        "{:?} is not allowed; expected one of: {}",
                        t.value,
                        allowed.join(", ")
                    ),
                );
                default.to_string()
            }
        }
    }

    /// Warns about keys of the map at `path` that are not in `known`.
    fn unknown_keys(&mut self, path: &[&str], known: &[&str]) {
        let Some(map) = self.root.get(path).and_then(Node::as_map) else {
            return;
        };
        for (k, v) in map {
            if known.contains(&k.as_str()) {
                continue;
            }
            let hint = match (names::nearest(k, known), home_of(k)) {
                (Some(n), _) => format!("; did you mean `{}.{n}`?", path.join(".")),
                (None, Some(home)) => format!("; did you mean `{home}`?"),
                (None, None) => format!("; known keys: {}", known.join(", ")),
            };
            self.diags.warning(
                Some(v.origin.clone()),
                format!("{}.{k}", path.join(".")),
                format!("unknown key, ignored{hint}"),
            );
        }
    }
}

/// Builds the typed configuration from the effective values and the platform namespace
/// (`-n`). All problems are returned together; warnings travel with a successful result.
pub fn build(values: &Node, platform_namespace: &str) -> (Option<Config>, Diagnostics) {
    let mut diags = Diagnostics::default();
    let config = {
        let mut r = Reader {
            root: values,
            diags: &mut diags,
        };
        // A manifest given as values: that one error says it all.
        refuse_manifest(&mut r);
        if r.diags.has_errors() {
            return (None, diags);
        }
        build_with(&mut r, platform_namespace)
    };
    if diags.has_errors() {
        (None, diags)
    } else {
        (Some(config), diags)
    }
}

/// A values document that is a Kubernetes object (`apiVersion` and `kind` at the top, such as
/// a ClusterSecretStore copied from the guide) is refused: its keys would all be ignored.
fn refuse_manifest(r: &mut Reader<'_>) {
    if let Some(d) = manifest_given_as_values(r.root) {
        r.diags.push(d);
    }
}

/// The error for values that are a Kubernetes manifest (also used by `values`).
pub fn manifest_given_as_values(root: &Node) -> Option<crate::diag::Diagnostic> {
    let (api, kind) = (root.get(&["apiVersion"])?, root.get(&["kind"])?);
    api.scalar_text()?;
    let kind_name = kind.scalar_text()?;
    // The kind is named only when it looks like one (it is the user's text).
    let shown = if kind_name.len() <= 63 && kind_name.chars().all(|c| c.is_ascii_alphanumeric()) {
        format!(" ({kind_name})")
    } else {
        String::new()
    };
    Some(crate::diag::Diagnostic::error(
        Some(kind.origin.clone()),
        "kind",
        format!(
            "this is a Kubernetes manifest{shown}, not values: give recif-secrets a values file (see values-secret.yaml.example); a store goes under secrets.external.store"
        ),
    ))
}

/// Top-level keys that belong in one of our sections (a guide block pasted without its
/// indentation): "did you mean `secrets.provider`?". Other top-level keys are the rest of
/// a Récif chart's values and are left alone.
fn misplaced_top_level_keys(r: &mut Reader<'_>) {
    let Some(root) = r.root.as_map() else {
        return;
    };
    let top = keys::names(keys::ROOT);
    for (k, v) in root {
        if top.contains(&k.as_str()) || v.origin == Origin::Default {
            continue;
        }
        if let Some(home) = home_of(k) {
            r.diags.warning(
                Some(v.origin.clone()),
                k.clone(),
                format!("not a top-level key, ignored; did you mean `{home}`?"),
            );
        }
    }
}

/// Where a key of ours lives (`storeName` -> `secrets.external.storeName`), for a key
/// written at the wrong level.
fn home_of(k: &str) -> Option<String> {
    let sections: [(&str, &[keys::Key]); 7] = [
        ("secrets", keys::SECRETS),
        ("secrets.external", keys::EXTERNAL),
        ("secrets.external.keys", keys::EXTERNAL_KEYS),
        ("llm", keys::LLM),
        ("llm.gcp", keys::GCP),
        ("namespaces", keys::NAMESPACES),
        ("workloadIdentity", keys::WORKLOAD_IDENTITY),
    ];
    if let Some((section, _)) = sections
        .iter()
        .find(|(_, table)| table.iter().any(|key| key.name == k))
    {
        return Some(format!("{section}.{k}"));
    }
    if names::llm_env_name(k).is_some() {
        return Some(format!("llm.{k}"));
    }
    if !Backend::versions_of(k).is_empty() {
        return Some(format!("secrets.external.store.{k}"));
    }
    None
}

fn build_with(r: &mut Reader<'_>, platform_namespace: &str) -> Config {
    misplaced_top_level_keys(r);
    for (path, table) in [
        (&["secrets"][..], keys::SECRETS),
        (&["secrets", "external"][..], keys::EXTERNAL),
        (&["secrets", "external", "keys"][..], keys::EXTERNAL_KEYS),
        (&["llm", "gcp"][..], keys::GCP),
        (&["namespaces"][..], keys::NAMESPACES),
        (&["workloadIdentity"][..], keys::WORKLOAD_IDENTITY),
    ] {
        r.unknown_keys(path, &keys::names(table));
    }

    let provider = Provider::from_name(&r.choice(
        &["secrets", "provider"],
        PROVIDERS,
        Provider::Inline.as_str(),
    ))
    .unwrap_or(Provider::Inline);

    if !names::is_dns_label(platform_namespace) {
        r.diags.error(
            Some(Origin::Flag {
                flag: "--namespace",
                path: String::new(),
            }),
            "",
            format!(
                "{platform_namespace:?} is not a valid namespace name (RFC 1123 label: lower-case letters, digits and '-', at most 63)"
            ),
        );
    }

    let team_namespaces = team_namespaces(r);
    let create_namespaces = r.bool(&["namespaces", "create"]);
    let common_labels = metadata_map(r, "commonLabels", true);
    let common_annotations = metadata_map(r, "commonAnnotations", false);
    let llm_env = llm_env(r);
    let sa_key = service_account_key(r);

    let llm_keys = LlmKeys::from_name(&r.choice(
        &["workloadIdentity", "llmKeys"],
        LLM_KEYS_MODES,
        LlmKeys::None.as_str(),
    ))
    .unwrap_or(LlmKeys::None);

    let external = match (provider, llm_keys) {
        (Provider::External, _) => Some(external(r, true)),
        (Provider::None, LlmKeys::External) => Some(external(r, false)),
        _ => None,
    };
    let workload_identity =
        (provider == Provider::None).then(|| workload_identity(r, platform_namespace, llm_keys));

    // Inline material that the chosen strategy does not use.
    let uses_inline_llm =
        provider == Provider::Inline || llm_keys == LlmKeys::Inline && provider == Provider::None;
    if !uses_inline_llm {
        for (name, origin) in llm_env.iter().map(|(k, (_, o))| (k, o)) {
            r.diags.warning(
                Some(origin.clone()),
                "",
                format!(
                    "{name} is set inline but secrets.provider is {}{}; it is not rendered",
                    provider.as_str(),
                    if provider == Provider::None {
                        " without workloadIdentity.llmKeys: inline"
                    } else {
                        ""
                    }
                ),
            );
        }
    }
    if provider != Provider::Inline {
        if let Some((_, origin)) = &sa_key {
            r.diags.warning(
                Some(origin.clone()),
                "llm.gcp",
                format!(
                    "a service-account key is set but secrets.provider is {}; it is not rendered",
                    provider.as_str()
                ),
            );
        }
    }
    let allow_empty = r.bool(&["secrets", "allowEmptyAgentEnv"]);
    if uses_inline_llm && llm_env.is_empty() && !allow_empty {
        // Applied, an agent-env Secret with no data erases the keys already in the cluster.
        r.diags.error(
            r.origin(&["llm"]),
            "llm",
            "agent-env would be empty (no llm.<name>ApiKey and no llm.extraEnv value is set); applied, it would erase the keys of the agent-env Secret in the cluster. Set an API key, or set secrets.allowEmptyAgentEnv: true if an empty agent-env is intended",
        );
    }

    Config {
        provider,
        platform_namespace: platform_namespace.to_string(),
        team_namespaces,
        create_namespaces,
        common_labels,
        common_annotations,
        llm_env: llm_env.into_iter().map(|(k, (v, _))| (k, v)).collect(),
        gcp_service_account_json: if provider == Provider::Inline {
            sa_key.map(|(json, _)| json)
        } else {
            None
        },
        external,
        workload_identity,
    }
}

fn team_namespaces(r: &mut Reader<'_>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut add = |r: &mut Reader<'_>, t: Text, path: &dyn Fn() -> String| {
        if !names::is_dns_label(&t.value) {
            r.diags.error(
                Some(t.origin),
                path(),
                format!(
                    "{:?} is not a valid namespace name (RFC 1123 label: lower-case letters, digits and '-', at most 63)",
                    t.value
                ),
            );
        } else if seen.insert(t.value.clone()) {
            out.push(t.value);
        }
    };
    if let Some(t) = r.text(&["namespaces", "defaultTeam"]) {
        if !t.value.is_empty() {
            add(r, t, &|| "namespaces.defaultTeam".to_string());
        }
    }
    for (i, item) in r.list(&["namespaces", "teams"]).iter().enumerate() {
        let path = || format!("namespaces.teams[{i}]");
        match item.scalar_text() {
            Some(value) => add(
                r,
                Text {
                    value,
                    origin: item.origin.clone(),
                },
                &path,
            ),
            None => r.diags.error(
                Some(item.origin.clone()),
                path(),
                format!("expected a namespace name, found a {}", item.type_name()),
            ),
        }
    }
    if out.is_empty() {
        let origin = r.origin(&["namespaces"]);
        r.diags.error(
            origin,
            "namespaces",
            "no team namespace: set namespaces.defaultTeam or namespaces.teams",
        );
    }
    out
}

/// `secrets.commonLabels` / `commonAnnotations`: keys are qualified names; label values
/// follow the label value rule; the tool's own labels cannot be changed.
fn metadata_map(r: &mut Reader<'_>, key: &str, labels: bool) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (k, t) in r.string_map(&["secrets", key]) {
        let path = format!("secrets.{key}.{k}");
        if !names::is_qualified_name(&k) {
            r.diags.error(
                Some(t.origin),
                path,
                "is not a valid key (an optional DNS prefix and '/', then at most 63 letters, digits, '-', '_', '.')",
            );
            continue;
        }
        if labels && !names::is_label_value(&t.value) {
            r.diags.error(
                Some(t.origin),
                path,
                "is not a valid label value (at most 63 letters, digits, '-', '_', '.', starting and ending with a letter or digit)",
            );
            continue;
        }
        if labels && (k == MANAGED_BY.0 || k == PART_OF.0) {
            r.diags.error(
                Some(t.origin),
                path,
                "is set by recif-secrets on every object and cannot be overridden",
            );
            continue;
        }
        out.insert(k, t.value);
    }
    out
}

/// The agent-env variables: every `llm.<name>ApiKey` with a non-empty value, then
/// `llm.extraEnv`. Two sources of one variable are an error.
fn llm_env(r: &mut Reader<'_>) -> BTreeMap<String, (String, Origin)> {
    let mut out: BTreeMap<String, (String, Origin, String)> = BTreeMap::new();
    let Some(llm) = r.map(&["llm"]) else {
        return BTreeMap::new();
    };
    let mut add =
        |r: &mut Reader<'_>, name: String, value: String, origin: Origin, path: String| {
            if let Some((_, _, first)) = out.get(&name) {
                r.diags.error(
                    Some(origin),
                    path,
                    format!("sets {name}, which {first} already sets; keep one of them"),
                );
            } else {
                out.insert(name, (value, origin, path));
            }
        };
    for (key, node) in llm {
        if key == "extraEnv" || key == "gcp" {
            continue;
        }
        let path = format!("llm.{key}");
        let Some(name) = names::llm_env_name(key) else {
            let known = keys::names(keys::LLM);
            let hint = match names::nearest(key, &known) {
                Some(n) => format!("did you mean `llm.{n}`?"),
                None => "LLM keys end in `ApiKey` (e.g. mistralApiKey); other variables go in llm.extraEnv".to_string(),
            };
            r.diags.warning(
                Some(node.origin.clone()),
                path,
                format!("unknown key, ignored; {hint}"),
            );
            continue;
        };
        if node.is_null() {
            continue;
        }
        let Some(value) = node.scalar_text() else {
            r.diags.error(
                Some(node.origin.clone()),
                path,
                format!(
                    "expected the API key as a string, found a {}",
                    node.type_name()
                ),
            );
            continue;
        };
        if value.is_empty() {
            continue;
        }
        if !names::is_env_name(&name) {
            r.diags.error(
                Some(node.origin.clone()),
                path,
                format!("gives the variable name {name:?}, which is not a valid environment variable name (letters, digits and '_')"),
            );
            continue;
        }
        add(r, name, value, node.origin.clone(), format!("llm.{key}"));
    }
    for (name, t) in r.string_map(&["llm", "extraEnv"]) {
        let path = format!("llm.extraEnv.{name}");
        if !names::is_secret_key(&name) {
            r.diags.error(
                Some(t.origin),
                path,
                "is not a valid Secret key (letters, digits, '-', '_', '.'; at most 253)",
            );
            continue;
        }
        add(r, name, t.value, t.origin, path);
    }
    out.into_iter().map(|(k, (v, o, _))| (k, (v, o))).collect()
}

/// `llm.gcp.serviceAccountKeyBase64` or `serviceAccountKey`: the JSON text, checked.
fn service_account_key(r: &mut Reader<'_>) -> Option<(String, Origin)> {
    let b64_path = ["llm", "gcp", "serviceAccountKeyBase64"];
    let raw_path = ["llm", "gcp", "serviceAccountKey"];
    let b64 = r.text(&b64_path).filter(|t| !t.value.is_empty());
    // The raw key may also be given as a YAML map.
    let raw = match r.node(&raw_path) {
        Some(n) if n.as_map().is_some() => Some(Text {
            value: n.to_json().to_string(),
            origin: n.origin.clone(),
        }),
        _ => r.text(&raw_path).filter(|t| !t.value.is_empty()),
    };
    let (json, origin, path) = match (b64, raw) {
        (None, None) => return None,
        (Some(b), Some(_)) => {
            r.diags.error(
                Some(b.origin),
                "llm.gcp",
                "both serviceAccountKeyBase64 and serviceAccountKey are set; set one of them",
            );
            return None;
        }
        (Some(b), None) if b.value.trim_start().starts_with('{') => {
            r.diags.error(
                Some(b.origin),
                b64_path.join("."),
                "holds raw JSON, not base64: put the JSON itself under llm.gcp.serviceAccountKey instead (or encode it: cat sa-key.json | base64 | tr -d '\\n')",
            );
            return None;
        }
        (Some(b), None) if looks_like_path(&b.value) => {
            r.diags.error(
                Some(b.origin),
                b64_path.join("."),
                "looks like a file path, not base64 (value not shown): pass the file with --set-file llm.gcp.serviceAccountKey=PATH, or encode it: cat sa-key.json | base64 | tr -d '\\n'",
            );
            return None;
        }
        (None, Some(t)) if looks_like_path(&t.value) => {
            r.diags.error(
                Some(t.origin),
                raw_path.join("."),
                "looks like a file path, not the JSON key (value not shown): --set takes the text itself; pass the file with --set-file llm.gcp.serviceAccountKey=PATH",
            );
            return None;
        }
        (Some(b), None) => {
            let cleaned: String = b.value.chars().filter(|c| !c.is_whitespace()).collect();
            let decoded = base64::engine::general_purpose::STANDARD.decode(cleaned.as_bytes());
            match decoded.ok().and_then(|d| String::from_utf8(d).ok()) {
                Some(json) => (json, b.origin, b64_path.join(".")),
                None => {
                    r.diags.error(
                        Some(b.origin),
                        b64_path.join("."),
                        "is not valid standard base64 of a JSON key (make it with: cat sa-key.json | base64 | tr -d '\\n')",
                    );
                    return None;
                }
            }
        }
        (None, Some(t)) => (t.value, t.origin, raw_path.join(".")),
    };
    match check_credentials_json(&json) {
        Ok(()) => Some((json, origin)),
        Err(msg) => {
            r.diags.error(Some(origin), path, msg);
            None
        }
    }
}

/// A one-line value naming a file rather than holding a key: `sa-key.json`, `./key`,
/// `~/keys/sa.json` (a JSON key starts with `{`; base64 has no `.`, `~` or `\\`).
fn looks_like_path(v: &str) -> bool {
    let v = v.trim();
    !v.is_empty()
        && !v.starts_with('{')
        && !v.contains(char::is_whitespace)
        && (v.to_ascii_lowercase().ends_with(".json")
            || v.starts_with("./")
            || v.starts_with("../")
            || v.starts_with("~/")
            || (v.starts_with('/') && v[1..].contains('/') && v.contains('.'))
            || v.contains('\\'))
}

/// A Google credentials JSON object of an accepted type with its required fields.
/// Messages name fields, never their values.
pub fn check_credentials_json(json: &str) -> Result<(), String> {
    let parsed: serde_json::Value = serde_json::from_str(json).map_err(|e| {
        format!(
            "is not a JSON object (JSON error at line {} column {})",
            e.line(),
            e.column()
        )
    })?;
    let obj = parsed
        .as_object()
        .ok_or_else(|| "is JSON but not an object".to_string())?;
    let ty = obj.get("type").and_then(|t| t.as_str()).ok_or_else(|| {
        format!(
            "has no \"type\" field; expected one of: {}",
            GCP_CREDENTIAL_TYPES.join(", ")
        )
    })?;
    if !GCP_CREDENTIAL_TYPES.contains(&ty) {
        // The value itself is not shown: this JSON is key material.
        return Err(format!(
            "has a \"type\" that is not a Google credentials type; expected one of: {}",
            GCP_CREDENTIAL_TYPES.join(", ")
        ));
    }
    if ty == "service_account" {
        let missing: Vec<&str> = ["client_email", "private_key"]
            .into_iter()
            .filter(|f| {
                obj.get(*f)
                    .and_then(|v| v.as_str())
                    .is_none_or(str::is_empty)
            })
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "is a service_account key without {}",
                missing.join(" and ")
            ));
        }
    }
    Ok(())
}

fn external(r: &mut Reader<'_>, with_gcp: bool) -> External {
    let base = ["secrets", "external"];
    let p = |k: &'static str| [base[0], base[1], k];
    let store_name = r.text(&p("storeName"));
    let store_name = match store_name {
        Some(t) if names::is_dns_subdomain(&t.value) => t.value,
        Some(t) => {
            r.diags.error(
                Some(t.origin),
                "secrets.external.storeName",
                format!(
                    "{:?} is not a valid store name (RFC 1123 subdomain)",
                    t.value
                ),
            );
            String::new()
        }
        None => {
            let origin = r.origin(&p("storeName"));
            r.diags
                .error(origin, "secrets.external.storeName", "is required");
            String::new()
        }
    };
    let store_kind = r.choice(
        &p("storeKind"),
        STORE_KINDS,
        StoreKind::ClusterSecretStore.as_str(),
    );
    let api_version = r.choice(&p("apiVersion"), API_VERSIONS, ApiVersion::V1.as_str());
    let refresh_interval = match r.text(&p("refreshInterval")) {
        None => "1h".to_string(),
        Some(t) => match duration::check_go_duration(&t.value) {
            Ok(()) => t.value,
            Err(why) => {
                r.diags.error(
                    Some(t.origin),
                    "secrets.external.refreshInterval",
                    format!(
                        "{:?} is not a Go duration such as 1h, 30m, 1h30m, 15s or 0: {why}",
                        t.value
                    ),
                );
                String::new()
            }
        },
    };
    let keys = ["secrets", "external", "keys"];
    let agent_env_key = r.string(&[keys[0], keys[1], keys[2], "agentEnv"]);
    if agent_env_key.is_empty() {
        let origin = r.origin(&[keys[0], keys[1], keys[2], "agentEnv"]);
        r.diags.error(
            origin,
            "secrets.external.keys.agentEnv",
            "is required: the path or name of the secret holding the LLM variables",
        );
    }
    let gcp_key =
        Some(r.string(&[keys[0], keys[1], keys[2], "gcpServiceAccount"])).filter(|s| !s.is_empty());
    if !crd::served(&api_version) {
        let origin = r.origin(&p("apiVersion"));
        r.diags.warning(
            origin,
            "secrets.external.apiVersion",
            format!(
                "{api_version} is `served: false` in the CRDs recif-secrets checks against (ESO 2.9): a cluster running such a release refuses it; use {} unless the cluster runs an ESO older than 0.16",
                API_VERSIONS[0]
            ),
        );
    }
    let store = store(r, &api_version);
    let gcp_property = Some(r.string(&[keys[0], keys[1], keys[2], "gcpServiceAccountProperty"]))
        .filter(|s| !s.is_empty())
        .or_else(|| {
            store
                .as_ref()
                .and_then(|s| store::notes_for(s.backend.as_str()))
                .and_then(|n| n.gcp_property)
                .map(str::to_string)
        });
    let gcp_decoding_strategy = Some(r.choice(
        &[
            keys[0],
            keys[1],
            keys[2],
            "gcpServiceAccountDecodingStrategy",
        ],
        DECODING_STRATEGIES,
        "None",
    ))
    // None is ESO's default: not written.
    .filter(|s| s != "None");
    let gcp_version = Some(r.string(&[keys[0], keys[1], keys[2], "gcpServiceAccountVersion"]))
        .filter(|s| !s.is_empty());
    let spec_patches = spec_patches(r, &api_version, with_gcp && gcp_key.is_some());
    External {
        store_name,
        store_kind,
        refresh_interval,
        api_version,
        agent_env_key,
        gcp_key,
        gcp_property,
        gcp_decoding_strategy,
        gcp_version,
        spec_patches,
        store,
        with_gcp,
    }
}

/// `secrets.external.externalSecretSpec` and `secrets.external.overrides.<name>.spec`: ESO's
/// own ExternalSecret `spec` fields, checked against the CRD schema of `api_version`, merged
/// per rendered ExternalSecret (maps merge, a list or scalar given replaces ours). What the
/// platform depends on cannot be changed: the store reference (from storeName/storeKind) and
/// `target.name` (the Secret the workloads mount).
fn spec_patches(
    r: &mut Reader<'_>,
    api_version: &str,
    gcp_rendered: bool,
) -> BTreeMap<String, serde_json::Value> {
    let mut out = BTreeMap::new();
    let Some(schema) = crd::spec_schema(api_version, "ExternalSecret") else {
        return out;
    };
    let global_path = ["secrets", "external", "externalSecretSpec"];
    let global = r
        .map(&global_path)
        .and_then(|_| r.node(&global_path))
        .and_then(|n| spec_patch(r, schema, n, &global_path.join("."), None));
    let overrides_path = ["secrets", "external", "overrides"];
    let mut per_name: BTreeMap<&str, serde_json::Value> = BTreeMap::new();
    if let Some(map) = r.map(&overrides_path) {
        for (name, node) in map {
            if node.is_null() {
                continue;
            }
            let path = format!("secrets.external.overrides.{name}");
            let Some(known) = EXTERNAL_SECRET_NAMES.iter().find(|n| *n == name) else {
                let hint = names::nearest(name, EXTERNAL_SECRET_NAMES)
                    .map(|n| format!("did you mean `{n}`? "))
                    .unwrap_or_default();
                r.diags.error(
                    Some(node.origin.clone()),
                    path,
                    format!(
                        "is not an ExternalSecret recif-secrets renders; {hint}expected one of: {}",
                        EXTERNAL_SECRET_NAMES.join(", ")
                    ),
                );
                continue;
            };
            let Some(fields) = node.as_map() else {
                r.diags.error(
                    Some(node.origin.clone()),
                    path,
                    format!("expected a map with `spec`, found a {}", node.type_name()),
                );
                continue;
            };
            for (k, v) in fields {
                if k != "spec" && !v.is_null() {
                    r.diags.error(
                        Some(v.origin.clone()),
                        format!("{path}.{k}"),
                        "unknown field; only `spec` can be overridden (metadata comes from secrets.commonLabels/commonAnnotations)",
                    );
                }
            }
            let Some(spec) = fields.get("spec").filter(|n| !n.is_null()) else {
                continue;
            };
            if *known != "agent-env" && !gcp_rendered {
                r.diags.warning(
                    Some(spec.origin.clone()),
                    format!("{path}.spec"),
                    format!("{known} is not rendered (no keys.gcpServiceAccount, or Workload Identity); ignored"),
                );
            }
            if let Some(j) = spec_patch(r, schema, spec, &format!("{path}.spec"), Some(known)) {
                per_name.insert(known, j);
            }
        }
    }
    for name in EXTERNAL_SECRET_NAMES {
        let mut patch = global.clone().unwrap_or(serde_json::Value::Null);
        if let Some(o) = per_name.remove(name) {
            if patch.is_null() {
                patch = o;
            } else {
                crd::merge(&mut patch, &o);
            }
        }
        if !patch.is_null() {
            out.insert(name.to_string(), patch);
        }
    }
    out
}

/// One `spec` patch, checked; `name` is the one ExternalSecret it applies to, if only one.
fn spec_patch(
    r: &mut Reader<'_>,
    schema: &serde_json::Value,
    node: &Node,
    path: &str,
    name: Option<&str>,
) -> Option<serde_json::Value> {
    let map = node.as_map()?;
    let before = r.diags.items.len();
    if let Some(v) = map.get("secretStoreRef").filter(|n| !n.is_null()) {
        r.diags.error(
            Some(v.origin.clone()),
            format!("{path}.secretStoreRef"),
            "cannot be set here: the store reference comes from secrets.external.storeName and storeKind",
        );
    }
    if let Some(v) = node.get(&["target", "name"]).filter(|n| !n.is_null()) {
        if name.is_none() || v.scalar_text().as_deref() != name {
            r.diags.error(
                Some(v.origin.clone()),
                format!("{path}.target.name"),
                format!(
                    "cannot be changed: the platform mounts the Secret by its name ({})",
                    name.map_or_else(|| EXTERNAL_SECRET_NAMES.join(", "), str::to_string)
                ),
            );
        }
    }
    if let Some(t) = map.get("refreshInterval").filter(|n| !n.is_null()) {
        if let Some(text) = t.scalar_text() {
            if let Err(why) = duration::check_go_duration(&text) {
                r.diags.error(
                    Some(t.origin.clone()),
                    format!("{path}.refreshInterval"),
                    format!("{text:?} is not a Go duration such as 1h, 30m, 15s or 0: {why}"),
                );
            }
        }
    }
    let mode = crd::Mode {
        exact_scalars: false,
        partial: vec![path.to_string(), format!("{path}.target")],
    };
    let out = crd::check(schema, node, path, &mode, r.diags);
    if r.diags.items[before..].iter().any(|d| d.is_error()) {
        return None;
    }
    out.filter(|j| j.as_object().is_some_and(|m| !m.is_empty()))
}

fn store(r: &mut Reader<'_>, api_version: &str) -> Option<Store> {
    let path = ["secrets", "external", "store"];
    let map = r.map(&path)?;
    let present: Vec<(&String, &Node)> = map.iter().filter(|(_, v)| !v.is_null()).collect();
    if present.is_empty() {
        return None;
    }
    let origin = r.origin(&path);
    let mut ok = true;
    // Checked by the caller: the value is one of API_VERSIONS.
    let api = ApiVersion::from_name(api_version).unwrap_or(ApiVersion::V1);
    let backends = Backend::names(api);
    let mut chosen = None;
    for (k, v) in &present {
        let backend = Backend::from_name(api, k);
        if backend.is_none() {
            let elsewhere: Vec<&str> = Backend::versions_of(k)
                .into_iter()
                .map(ApiVersion::as_str)
                .collect();
            let message = if elsewhere.is_empty() {
                let hint = names::nearest(k, &backends)
                    .map(|n| format!("did you mean `{n}`? "))
                    .unwrap_or_default();
                format!(
                    "is not a provider of ESO's {api_version} stores; {hint}expected one of: {}",
                    backends.join(", ")
                )
            } else {
                format!(
                    "is a provider of {} only, not of {api_version} (secrets.external.apiVersion)",
                    elsewhere.join(", ")
                )
            };
            r.diags.error(
                Some(v.origin.clone()),
                format!("secrets.external.store.{k}"),
                message,
            );
            ok = false;
        } else if v.as_map().is_none() {
            r.diags.error(
                Some(v.origin.clone()),
                format!("secrets.external.store.{k}"),
                format!(
                    "expected a map (ESO's spec.provider.{k}), found a {}",
                    v.type_name()
                ),
            );
            ok = false;
        }
        chosen = chosen.or(backend.map(|b| (b, *v)));
    }
    if ok && present.len() > 1 {
        r.diags.error(
            origin,
            "secrets.external.store",
            format!(
                "has {} backends ({}); set exactly one",
                present.len(),
                present
                    .iter()
                    .map(|(k, _)| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
        ok = false;
    }
    if !ok {
        return None;
    }
    let (backend, node) = chosen?;
    let provider = store::check(
        api_version,
        backend.as_str(),
        node,
        &format!("secrets.external.store.{backend}"),
        r.diags,
    )?;
    Some(Store {
        backend,
        provider,
        origin: node.origin.clone(),
    })
}

fn workload_identity(
    r: &mut Reader<'_>,
    platform_namespace: &str,
    llm_keys: LlmKeys,
) -> WorkloadIdentity {
    let p = |k: &'static str| ["workloadIdentity", k];
    let mut annotations = BTreeMap::new();

    let gsa = r
        .text(&p("gcpServiceAccount"))
        .filter(|t| !t.value.is_empty());
    let gsa = match gsa {
        Some(t) => Some(t),
        None => r
            .text(&["llm", "gcp", "project"])
            .filter(|t| !t.value.is_empty())
            .map(|t| Text {
                value: format!("recif-sa@{}.iam.gserviceaccount.com", t.value),
                origin: t.origin,
            }),
    };
    if let Some(t) = gsa {
        if is_gsa_email(&t.value) {
            annotations.insert("iam.gke.io/gcp-service-account".to_string(), t.value);
        } else {
            r.diags.error(
                Some(t.origin),
                "workloadIdentity.gcpServiceAccount",
                format!(
                    "{:?} is not a Google service-account email (NAME@PROJECT.iam.gserviceaccount.com)",
                    t.value
                ),
            );
        }
    }
    if let Some(t) = r.text(&p("awsRoleArn")).filter(|t| !t.value.is_empty()) {
        if is_role_arn(&t.value) {
            annotations.insert("eks.amazonaws.com/role-arn".to_string(), t.value);
        } else {
            r.diags.error(
                Some(t.origin),
                "workloadIdentity.awsRoleArn",
                format!(
                    "{:?} is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)",
                    t.value
                ),
            );
        }
    }
    let client = r.text(&p("azureClientId")).filter(|t| !t.value.is_empty());
    let tenant = r.text(&p("azureTenantId")).filter(|t| !t.value.is_empty());
    for (t, key, path) in [
        (
            &client,
            "azure.workload.identity/client-id",
            "workloadIdentity.azureClientId",
        ),
        (
            &tenant,
            "azure.workload.identity/tenant-id",
            "workloadIdentity.azureTenantId",
        ),
    ] {
        if let Some(t) = t {
            if is_guid(&t.value) {
                annotations.insert(key.to_string(), t.value.clone());
            } else {
                r.diags.error(
                    Some(t.origin.clone()),
                    path,
                    format!(
                        "{:?} is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
                        t.value
                    ),
                );
            }
        }
    }
    if let (None, Some(t)) = (&client, &tenant) {
        r.diags.error(
            Some(t.origin.clone()),
            "workloadIdentity.azureTenantId",
            "is set without workloadIdentity.azureClientId; AKS needs the client id",
        );
    }
    if annotations.is_empty() && !r.diags.has_errors() {
        let origin = r.origin(&["workloadIdentity"]);
        r.diags.error(
            origin,
            "workloadIdentity",
            "secrets.provider is none but no cloud identity is configured; set llm.gcp.project or workloadIdentity.gcpServiceAccount (GKE), workloadIdentity.awsRoleArn (EKS), or workloadIdentity.azureClientId (AKS)",
        );
    }

    let mut service_accounts: Vec<(String, String)> = Vec::new();
    let items = r.list(&p("serviceAccounts"));
    for (i, item) in items.iter().enumerate() {
        let path = format!("workloadIdentity.serviceAccounts[{i}]");
        let Some(map) = item.as_map() else {
            r.diags.error(
                Some(item.origin.clone()),
                path,
                format!(
                    "expected a map {{name, namespace}}, found a {}",
                    item.type_name()
                ),
            );
            continue;
        };
        for (k, v) in map {
            if k != "name" && k != "namespace" {
                r.diags.warning(
                    Some(v.origin.clone()),
                    format!("{path}.{k}"),
                    "unknown key, ignored; known keys: name, namespace",
                );
            }
        }
        let field = |r: &mut Reader<'_>, k: &str| -> Option<Text> {
            let n = map.get(k).filter(|n| !n.is_null())?;
            match n.scalar_text() {
                Some(value) => Some(Text {
                    value,
                    origin: n.origin.clone(),
                }),
                None => {
                    r.diags.error(
                        Some(n.origin.clone()),
                        format!("{path}.{k}"),
                        format!("expected a string, found a {}", n.type_name()),
                    );
                    None
                }
            }
        };
        let name = field(r, "name");
        let namespace = field(r, "namespace");
        let Some(name) = name.filter(|t| !t.value.is_empty()) else {
            r.diags.error(
                Some(item.origin.clone()),
                format!("{path}.name"),
                "is required",
            );
            continue;
        };
        if !names::is_dns_subdomain(&name.value) {
            r.diags.error(
                Some(name.origin),
                format!("{path}.name"),
                format!(
                    "{:?} is not a valid ServiceAccount name (RFC 1123 subdomain)",
                    name.value
                ),
            );
            continue;
        }
        let ns = match namespace.filter(|t| !t.value.is_empty()) {
            None => platform_namespace.to_string(),
            Some(t) if names::is_dns_label(&t.value) => t.value,
            Some(t) => {
                r.diags.error(
                    Some(t.origin),
                    format!("{path}.namespace"),
                    format!(
                        "{:?} is not a valid namespace name (RFC 1123 label)",
                        t.value
                    ),
                );
                continue;
            }
        };
        let entry = (ns, name.value);
        if service_accounts.contains(&entry) {
            r.diags.error(
                Some(item.origin.clone()),
                path,
                format!("ServiceAccount {}/{} is listed twice", entry.0, entry.1),
            );
            continue;
        }
        service_accounts.push(entry);
    }
    if items.is_empty() {
        service_accounts.push((platform_namespace.to_string(), "recif-api".to_string()));
    }
    WorkloadIdentity {
        annotations,
        service_accounts,
        llm_keys,
    }
}

fn is_gsa_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((name, domain)) => {
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && domain.ends_with(".gserviceaccount.com")
                && domain.bytes().all(|b| {
                    b.is_ascii_lowercase()
                        || b.is_ascii_digit()
                        || b == b'-'
                        || b == b'.'
                        || b == b':'
                })
        }
        None => false,
    }
}

fn is_role_arn(s: &str) -> bool {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "iam"
        && parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && parts[5]
            .strip_prefix("role/")
            .is_some_and(|n| !n.is_empty() && !n.contains(char::is_whitespace))
}

fn is_guid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::{coalesce, defaults, yaml};
    use std::sync::Arc;

    fn build_yaml(text: &str) -> (Option<Config>, Diagnostics) {
        let user = yaml::load(text, &Arc::from("v.yaml")).unwrap();
        build(&coalesce(user, defaults()), "recif-system")
    }

    fn errors(text: &str) -> Vec<String> {
        let (c, d) = build_yaml(text);
        assert!(c.is_none(), "expected errors for {text}");
        d.errors().map(ToString::to_string).collect()
    }

    #[test]
    fn defaults_are_inline_with_the_default_team() {
        // An empty inline agent-env would erase the cluster's keys: an error unless allowed.
        let e = errors("");
        assert!(e[0].contains("agent-env would be empty"), "{e:?}");
        let (c, d) = build_yaml("secrets:\n  allowEmptyAgentEnv: true\n");
        let c = c.unwrap();
        assert_eq!(c.provider, Provider::Inline);
        assert_eq!(c.team_namespaces, ["team-default"]);
        assert!(c.llm_env.is_empty());
        assert!(c.external.is_none() && c.workload_identity.is_none());
        assert!(d.items.is_empty(), "{d:?}");
    }

    #[test]
    fn llm_keys_and_extra_env_become_variables() {
        let (c, _) = build_yaml("llm:\n  googleApiKey: g\n  azureOpenaiApiKey: a\n  openaiApiKey: ''\n  anthropicApiKey: null\n  extraEnv:\n    LOG_LEVEL: debug\n    PORT: 8080\n");
        let env = c.unwrap().llm_env;
        assert_eq!(
            env.into_iter().collect::<Vec<_>>(),
            [
                ("AZURE_OPENAI_API_KEY".to_string(), "a".to_string()),
                ("GOOGLE_API_KEY".to_string(), "g".to_string()),
                ("LOG_LEVEL".to_string(), "debug".to_string()),
                ("PORT".to_string(), "8080".to_string()),
            ]
        );
    }

    #[test]
    fn teams_are_deduplicated_in_order() {
        let (c, _) = build_yaml(
            "llm: {googleApiKey: g}\nnamespaces:\n  teams: [team-b, team-default, team-a, team-b]\n",
        );
        assert_eq!(
            c.unwrap().team_namespaces,
            ["team-default", "team-b", "team-a"]
        );
        let e = errors("llm: {googleApiKey: g}\nnamespaces:\n  defaultTeam: ''\n  teams: []\n");
        assert!(e[0].contains("no team namespace"), "{e:?}");
    }

    #[test]
    fn errors_carry_position_path_and_expectation() {
        let e = errors("secrets:\n  provider: vault\nllm: {googleApiKey: g}\n");
        assert_eq!(e, ["error: v.yaml:2:13: secrets.provider: \"vault\" is not allowed; expected one of: inline, external, none"]);
        let e =
            errors("llm:\n  openaiApiKey: [a]\n  googleApiKey: g\nnamespaces:\n  create: 'yes'\n");
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(
            e.iter().any(|e| e.contains(
                "v.yaml:2:17: llm.openaiApiKey: expected the API key as a string, found a list"
            )),
            "{e:?}"
        );
        assert!(
            e.iter()
                .any(|e| e.contains("v.yaml:5:11: namespaces.create: expected true or false")),
            "{e:?}"
        );
    }

    #[test]
    fn common_labels_are_checked() {
        let e = errors("secrets:\n  commonLabels:\n    'bad key': x\n    ok: 'bad value!'\n    app.kubernetes.io/managed-by: helm\nllm: {googleApiKey: g}\n");
        assert_eq!(e.len(), 3, "{e:?}");
    }

    #[test]
    fn unknown_keys_warn_with_the_nearest_one() {
        let (_, d) = build_yaml("secrets:\n  provder: inline\nworkloadIdentity:\n  awsRolearn: x\nllm:\n  openaiKey: x\n");
        let w: Vec<String> = d.warnings().map(ToString::to_string).collect();
        assert!(
            w.iter().any(|w| w.contains(
                "secrets.provder: unknown key, ignored; did you mean `secrets.provider`?"
            )),
            "{w:?}"
        );
        assert!(
            w.iter()
                .any(|w| w.contains("did you mean `workloadIdentity.awsRoleArn`?")),
            "{w:?}"
        );
        assert!(
            w.iter()
                .any(|w| w.contains("llm.openaiKey")
                    && w.contains("did you mean `llm.openaiApiKey`?")),
            "{w:?}"
        );
    }

    #[test]
    fn workload_identity_annotations() {
        let (c, _) = build_yaml("secrets:\n  provider: none\nllm:\n  gcp:\n    project: p-1\nworkloadIdentity:\n  awsRoleArn: arn:aws:iam::123456789012:role/r\n  azureClientId: 00000000-0000-0000-0000-000000000000\n  serviceAccounts:\n    - name: a\n    - {name: b, namespace: team-x}\n");
        let wi = c.unwrap().workload_identity.unwrap();
        assert_eq!(wi.annotations.len(), 3);
        assert_eq!(
            wi.annotations["iam.gke.io/gcp-service-account"],
            "recif-sa@p-1.iam.gserviceaccount.com"
        );
        assert_eq!(
            wi.service_accounts,
            [
                ("recif-system".into(), "a".into()),
                ("team-x".into(), "b".into())
            ]
        );
        for bad in [
            "awsRoleArn: role",
            "azureClientId: nope",
            "gcpServiceAccount: me@gmail.com",
            "azureTenantId: 00000000-0000-0000-0000-000000000000",
        ] {
            let e = errors(&format!("secrets:\n  provider: none\nllm:\n  gcp:\n    project: p-1\nworkloadIdentity:\n  {bad}\n"));
            assert_eq!(e.len(), 1, "{bad}: {e:?}");
        }
        let e = errors("secrets:\n  provider: none\nworkloadIdentity:\n  serviceAccounts: [{name: a}, {name: a}]\n  awsRoleArn: arn:aws:iam::123456789012:role/r\n");
        assert!(e[0].contains("listed twice"), "{e:?}");
    }

    #[test]
    fn credentials_json_rules() {
        assert!(check_credentials_json(
            r#"{"type":"service_account","client_email":"a","private_key":"k"}"#
        )
        .is_ok());
        assert!(check_credentials_json(r#"{"type":"external_account"}"#).is_ok());
        assert!(check_credentials_json(r#"{"type":"authorized_user"}"#).is_ok());
        assert!(
            check_credentials_json(r#"{"type":"service_account","client_email":""}"#)
                .unwrap_err()
                .contains("client_email and private_key")
        );
        assert!(check_credentials_json(r#"["x"]"#)
            .unwrap_err()
            .contains("not an object"));
        assert!(check_credentials_json(r#"{}"#)
            .unwrap_err()
            .contains("no \"type\""));
    }
}
