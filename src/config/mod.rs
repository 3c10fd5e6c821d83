//! Step 2 of the pipeline: a typed view of the effective values, with every check of the
//! spec. Problems are collected (all of them, each with where the value came from) rather
//! than stopping at the first.

pub mod bindings;
pub mod concepts;
pub mod crd;
pub mod duration;
mod external;
pub mod keys;
mod llm;
pub mod names;
mod namespaces;
pub mod overrides;
mod placement;
mod reader;
pub mod remote_key;
mod secrets;
pub mod store;
mod workload_identity;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::diag::Diagnostics;
use crate::values::{Node, Origin};

pub use concepts::{
    ApiVersion, AwsBindingMode, Backend, DecodingStrategy, LlmKeys, Provider, StoreKind,
};
pub use llm::check_credentials_json;
pub use placement::manifest_given_as_values;

use external::external;
use llm::{llm_env, service_account_key};
use namespaces::team_namespaces;
use placement::{misplaced_top_level_keys, refuse_manifest};
use reader::Reader;
use secrets::metadata_map;
use workload_identity::workload_identity;

// The name lists, derived from the typed definitions in `concepts.rs`. The backends are
// data: `Backend::names(api_version)`, from the CRD schemas.
pub const PROVIDERS: &[&str] = Provider::NAMES;
pub const LLM_KEYS_MODES: &[&str] = LlmKeys::NAMES;
pub const STORE_KINDS: &[&str] = StoreKind::NAMES;
pub const AWS_BINDING_MODES: &[&str] = AwsBindingMode::NAMES;
/// The ESO API versions (a unit test of [`crd`] checks them against the CRDs).
pub const API_VERSIONS: &[&str] = ApiVersion::NAMES;
/// `remoteRef.decodingStrategy` (a unit test of [`crd`] checks it against the CRD enum).
pub const DECODING_STRATEGIES: &[&str] = DecodingStrategy::NAMES;
/// The platform's object names, spelled here once for the code: the template context
/// ([`Config::gcp_secrets`]), the ExternalSecret overrides and `doctor` (through
/// [`TEAM_SECRETS`]) take them from here (`diff` and `rollout` read names from the rendered
/// objects). The built-in templates in `templates/`
/// spell `agent-env` too (as users' template overrides do: the context is a public contract,
/// docs/templates.md). The LLM variables in every team namespace, the GCP credentials JSON
/// in every team namespace, and in the platform namespace.
pub const AGENT_ENV: &str = "agent-env";
pub const GCP_ADC: &str = "gcp-adc";
pub const PLATFORM_GCP_SA: &str = "recif-platform-gcp-sa";
/// The ServiceAccount Workload Identity annotates when `workloadIdentity.serviceAccounts` is
/// empty: the platform's API, in the platform namespace.
pub const PLATFORM_SERVICE_ACCOUNT: &str = "recif-api";
/// The ExternalSecrets recif-secrets renders, by name: what `secrets.external.overrides`
/// may name.
pub const EXTERNAL_SECRET_NAMES: &[&str] = &[AGENT_ENV, GCP_ADC, PLATFORM_GCP_SA];
/// The Secrets of every team namespace, which pods read (`doctor` checks them).
pub const TEAM_SECRETS: &[&str] = &[AGENT_ENV, GCP_ADC];
pub const GCP_CREDENTIAL_TYPES: &[&str] =
    &["service_account", "external_account", "authorized_user"];

/// Labels every rendered object carries; `commonLabels` may not change them.
pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "recif-secrets");
pub const PART_OF: (&str, &str) = ("app.kubernetes.io/part-of", "recif");

/// The typed, checked configuration, and the context the templates receive: serialized
/// (camelCase) it is exactly the set of names docs/templates.md documents, a public contract
/// that users' `--templates` overrides rely on. Fields the templates do not see are
/// `#[serde(skip)]`; the lists derived from the values (the GCP Secrets, the store
/// namespaces) are computed once, by [`build`].
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    #[serde(skip)]
    pub provider: Provider,
    pub platform_namespace: String,
    /// `namespaces.defaultTeam` then `namespaces.teams`, without repeats.
    pub team_namespaces: Vec<String>,
    #[serde(skip)]
    pub create_namespaces: bool,
    #[serde(skip)]
    pub common_labels: BTreeMap<String, String>,
    #[serde(skip)]
    pub common_annotations: BTreeMap<String, String>,
    /// agent-env's variables; `agentEnvData` for the templates: name -> base64 value, or
    /// null unless the inline agent-env Secret is rendered.
    #[serde(rename = "agentEnvData")]
    pub agent_env: AgentEnv,
    /// The decoded service-account JSON (inline only); base64 for the templates.
    #[serde(rename = "gcpServiceAccountJsonBase64", serialize_with = "base64_text")]
    pub gcp_service_account_json: Option<String>,
    /// The GCP credentials objects rendered (inline Secrets or ExternalSecrets): `gcp-adc` in
    /// every team namespace, then `recif-platform-gcp-sa` in the platform namespace; empty
    /// when there are none.
    pub gcp_secrets: Vec<NamespacedName>,
    /// Where the store goes (`secrets.external.store`): one `None` for a ClusterSecretStore,
    /// else each namespace that has an ExternalSecret, sorted; empty without ExternalSecrets.
    pub store_namespaces: Vec<Option<String>>,
    /// Set when ExternalSecrets are rendered.
    pub external: Option<External>,
    /// Set when `provider` is `none`.
    pub workload_identity: Option<WorkloadIdentity>,
}

/// An object's place in a namespace (as Kubernetes' `types.NamespacedName`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NamespacedName {
    pub namespace: String,
    pub name: String,
}

/// The variables of agent-env, and whether the inline agent-env Secret is rendered. For the
/// templates (`agentEnvData`): name -> base64 value when inline, else null.
#[derive(Clone, Debug)]
pub struct AgentEnv {
    /// Variable name -> value, as the values set them (also when not rendered inline: they
    /// are still secrets, which no message may quote).
    pub vars: BTreeMap<String, String>,
    /// Whether the inline agent-env Secret is rendered.
    pub inline: bool,
}

impl Serialize for AgentEnv {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if !self.inline {
            return s.serialize_none();
        }
        s.collect_map(self.vars.iter().map(|(k, v)| (k, base64(v))))
    }
}

fn base64(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text.as_bytes())
}

fn base64_text<S: serde::Serializer>(text: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    match text {
        Some(t) => s.serialize_some(&base64(t)),
        None => s.serialize_none(),
    }
}

/// `external` for the templates: `storeName`, `storeKind`, `refreshInterval`, `apiVersion`,
/// `keys`, `specPatches`, `store`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct External {
    pub store_name: String,
    pub store_kind: String,
    pub refresh_interval: String,
    pub api_version: String,
    /// `secrets.external.keys`.
    pub keys: ExternalKeys,
    /// ExternalSecret name, or `namespace/name` -> the `spec` fields merged into it
    /// (`externalSecretSpec`, then `overrides.<name>.spec`, then
    /// `overrides.<namespace>/<name>.spec`), checked against ESO's schema; see
    /// [`External::spec_patch_for`].
    pub spec_patches: BTreeMap<String, serde_json::Value>,
    /// The same keys -> the labels and annotations added to the ExternalSecret; see
    /// [`External::metadata_for`].
    #[serde(skip)]
    pub metadata: BTreeMap<String, overrides::ObjectMetadata>,
    /// The patches as written, to point at the values key behind a field.
    #[serde(skip)]
    pub spec_sources: Vec<overrides::SpecSource>,
    pub store: Option<Store>,
    /// Whether the GCP ExternalSecrets are rendered (not with Workload Identity).
    #[serde(skip)]
    pub with_gcp: bool,
}

/// `secrets.external.keys`, named as the values name them.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalKeys {
    /// As written: may hold the `$(namespace)` placeholder, which the template filter
    /// `forNamespace(ns)` expands.
    pub agent_env: String,
    /// `None`: no GCP ExternalSecrets. As written, as `agent_env`.
    pub gcp_service_account: Option<String>,
    pub gcp_service_account_property: Option<String>,
    /// `remoteRef.decodingStrategy` and `remoteRef.version` of the GCP key.
    pub gcp_service_account_decoding_strategy: Option<String>,
    pub gcp_service_account_version: Option<String>,
}

/// `secrets.external.store`: one backend block, ESO's `spec.provider.<backend>`.
#[derive(Clone, Debug, Serialize)]
pub struct Store {
    pub backend: Backend,
    pub provider: serde_json::Value,
    #[serde(skip)]
    pub origin: Origin,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadIdentity {
    pub annotations: BTreeMap<String, String>,
    pub service_accounts: Vec<NamespacedName>,
    #[serde(skip)]
    pub llm_keys: LlmKeys,
    /// `workloadIdentity.bindings`, when enabled: the binding objects' names, members and
    /// subjects, computed once.
    pub bindings: Option<bindings::Bindings>,
}

impl Config {
    /// Whether the inline `agent-env` Secret is rendered.
    pub fn inline_agent_env(&self) -> bool {
        self.agent_env.inline
    }
}

/// Where the object `name` (one of [`EXTERNAL_SECRET_NAMES`]) is rendered: the team
/// namespaces, or the platform one.
fn namespaces_of<'a>(name: &str, teams: &'a [String], platform: &'a str) -> Vec<&'a str> {
    if name == PLATFORM_GCP_SA {
        vec![platform]
    } else {
        teams.iter().map(String::as_str).collect()
    }
}

/// The GCP credentials objects: rendered when an ExternalSecret can fetch the key, or the
/// inline key is set.
fn gcp_secrets(
    external: Option<&External>,
    inline_key: bool,
    teams: &[String],
    platform: &str,
) -> Vec<NamespacedName> {
    let external_key = external.is_some_and(|e| e.with_gcp && e.keys.gcp_service_account.is_some());
    if !external_key && !inline_key {
        return Vec::new();
    }
    [GCP_ADC, PLATFORM_GCP_SA]
        .into_iter()
        .flat_map(|name| {
            namespaces_of(name, teams, platform)
                .into_iter()
                .map(move |namespace| NamespacedName {
                    namespace: namespace.to_string(),
                    name: name.to_string(),
                })
        })
        .collect()
}

/// Where the store goes: a SecretStore into every namespace that has an ExternalSecret, a
/// ClusterSecretStore once (`None`).
fn store_namespaces(
    external: Option<&External>,
    gcp_secrets: &[NamespacedName],
    teams: &[String],
) -> Vec<Option<String>> {
    match external {
        Some(e) if e.store_kind == StoreKind::SecretStore.as_str() => {
            let mut ns: Vec<&str> = teams
                .iter()
                .map(String::as_str)
                .chain(gcp_secrets.iter().map(|s| s.namespace.as_str()))
                .collect();
            ns.sort();
            ns.dedup();
            ns.into_iter().map(|n| Some(n.to_string())).collect()
        }
        Some(_) => vec![None],
        None => vec![],
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
        placement::unknown_keys(r, path, &keys::names(table));
    }

    let provider = r
        .choice(&["secrets", "provider"])
        .and_then(Provider::from_name)
        .unwrap_or(Provider::Inline);

    // The platform namespace is a namespace name, as the team namespaces are.
    let namespace_pattern = keys::Pattern::DnsLabel;
    if !namespace_pattern.matches(platform_namespace) {
        r.diags.error(
            Some(Origin::Flag {
                flag: "--namespace",
                path: String::new(),
            }),
            "",
            namespace_pattern.problem(platform_namespace),
        );
    }

    let team_namespaces = team_namespaces(r);
    let create_namespaces = r.flag(&["namespaces", "create"]);
    let common_labels = metadata_map(r, "commonLabels", true);
    let common_annotations = metadata_map(r, "commonAnnotations", false);
    let llm_env = llm_env(r);
    let sa_key = service_account_key(r);

    let llm_keys = r
        .choice(&["workloadIdentity", "llmKeys"])
        .and_then(LlmKeys::from_name)
        .unwrap_or(LlmKeys::None);

    let external = match (provider, llm_keys) {
        (Provider::External, _) => Some(external(r, true, &team_namespaces, platform_namespace)),
        (Provider::None, LlmKeys::External) => {
            Some(external(r, false, &team_namespaces, platform_namespace))
        }
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
    let allow_empty = r.flag(&["secrets", "allowEmptyAgentEnv"]);
    // Errors come in the order of their cause: an empty agent-env is the consequence of any
    // other error found so far (a mistyped provider, a key at the wrong level, an invalid
    // key), so it is reported only when nothing else is wrong.
    if uses_inline_llm && llm_env.is_empty() && !allow_empty && !r.diags.has_errors() {
        // Applied, an agent-env Secret with no data erases the keys already in the cluster.
        r.diags.error(
            r.origin(&["llm"]),
            "llm",
            "agent-env would be empty (no llm.<name>ApiKey and no llm.extraEnv value is set); applied, it would erase the keys of the agent-env Secret in the cluster. Set an API key, or set secrets.allowEmptyAgentEnv: true if an empty agent-env is intended",
        );
    }

    let gcp_service_account_json = if provider == Provider::Inline {
        sa_key.map(|(json, _)| json)
    } else {
        None
    };
    let gcp_secrets = gcp_secrets(
        external.as_ref(),
        gcp_service_account_json.is_some(),
        &team_namespaces,
        platform_namespace,
    );
    let store_namespaces = store_namespaces(external.as_ref(), &gcp_secrets, &team_namespaces);
    Config {
        provider,
        platform_namespace: platform_namespace.to_string(),
        team_namespaces,
        create_namespaces,
        common_labels,
        common_annotations,
        agent_env: AgentEnv {
            vars: llm_env.into_iter().map(|(k, (v, _))| (k, v)).collect(),
            inline: uses_inline_llm,
        },
        gcp_service_account_json,
        gcp_secrets,
        store_namespaces,
        external,
        workload_identity,
    }
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
        assert!(c.agent_env.vars.is_empty() && c.agent_env.inline);
        assert!(c.external.is_none() && c.workload_identity.is_none());
        assert!(d.items.is_empty(), "{d:?}");
    }

    #[test]
    fn llm_keys_and_extra_env_become_variables() {
        let (c, _) = build_yaml("llm:\n  googleApiKey: g\n  azureOpenaiApiKey: a\n  openaiApiKey: ''\n  anthropicApiKey: null\n  extraEnv:\n    LOG_LEVEL: debug\n    PORT: 8080\n");
        let env = c.unwrap().agent_env.vars;
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

    /// Values in which every section is read: the `secrets.*` and `llm.*` sections with
    /// `provider` (inline/external), `workloadIdentity.*` with `none` and external LLM keys.
    fn context_for(path: &[&str]) -> &'static str {
        match path[0] {
            "workloadIdentity" => "secrets: {provider: none, external: {storeName: s, keys: {agentEnv: a}}}\nworkloadIdentity: {llmKeys: external, gcpServiceAccount: sa@p.iam.gserviceaccount.com}\n",
            _ if path.get(1) == Some(&"external") => "secrets: {provider: external, external: {storeName: s, keys: {agentEnv: a}}}\n",
            _ => "llm: {openaiApiKey: sk-x}\n",
        }
    }

    /// `value` at `path` (a list of maps gets one item), merged into the context's values.
    fn values_with(path: &[&str], value: &str) -> String {
        let mut inner = value.to_string();
        for (i, seg) in path.iter().enumerate().rev() {
            let in_list = i + 1 < path.len()
                && matches!(keys::kind_at(&path[..=i]), keys::Kind::ObjectList(_));
            inner = if in_list {
                // The item's other required key, so that the one under test is reached.
                let item = inner.replacen('{', "{name: sa, ", 1);
                format!("{{{seg}: [{item}]}}")
            } else {
                format!("{{{seg}: {inner}}}")
            };
        }
        let mut user: serde_json::Value = serde_yaml::from_str(context_for(path)).unwrap();
        let add: serde_json::Value = serde_yaml::from_str(&inner).unwrap();
        merge(&mut user, add);
        serde_json::to_string(&user).unwrap()
    }

    fn merge(into: &mut serde_json::Value, add: serde_json::Value) {
        match (into, add) {
            (serde_json::Value::Object(a), serde_json::Value::Object(b)) => {
                for (k, v) in b {
                    match a.get_mut(&k) {
                        Some(slot) if slot.is_object() && v.is_object() => merge(slot, v),
                        _ => {
                            a.insert(k, v);
                        }
                    }
                }
            }
            (slot, v) => *slot = v,
        }
    }

    /// Every key path of the table with its kind, lists of maps entered without index.
    fn declared(
        table: &'static [keys::Key],
        prefix: Vec<&'static str>,
        out: &mut Vec<Vec<&'static str>>,
    ) {
        for key in table {
            let mut path = prefix.clone();
            path.push(key.name);
            match &key.kind {
                keys::Kind::Object(sub) | keys::Kind::ObjectList(sub) | keys::Kind::Llm(sub) => {
                    declared(sub, path.clone(), out)
                }
                _ => {}
            }
            out.push(path);
        }
    }

    /// The key table drives the checks: every key declared as an enum refuses a value it
    /// does not list, naming exactly the table's values; every name refuses a bad name with
    /// its pattern's message; every boolean refuses a string; every map of strings refuses a
    /// list.
    #[test]
    fn the_key_table_drives_type_enum_and_name_checks() {
        let mut paths = Vec::new();
        declared(keys::ROOT, Vec::new(), &mut paths);
        let mut checked = 0;
        for path in &paths {
            let shown = path.join(".");
            let (value, expect) = match keys::kind_at(path) {
                keys::Kind::Enum(allowed) => (
                    "Nope".to_string(),
                    format!(
                        "\"Nope\" is not allowed; expected one of: {}",
                        allowed.join(", ")
                    ),
                ),
                keys::Kind::Name(p) => ("Not_A_Name".to_string(), p.problem("Not_A_Name")),
                keys::Kind::NameList(p) => ("[Not_A_Name]".to_string(), p.problem("Not_A_Name")),
                keys::Kind::Bool => ("maybe".to_string(), "expected true or false".to_string()),
                keys::Kind::TextMap => ("[a]".to_string(), "expected a map".to_string()),
                keys::Kind::RemoteKey => ("'a$b'".to_string(), "write `$$`".to_string()),
                _ => continue,
            };
            let values = values_with(path, &value);
            let e = errors(&values);
            assert!(
                e.iter().any(|m| m.contains(&expect)
                    && m.contains(&shown.replace("serviceAccounts.", "serviceAccounts[0]."))
                    || m.contains(&expect) && m.contains(&format!("{shown}[0]"))
                    || m.contains(&expect) && m.contains(&shown)),
                "{shown}: expected {expect:?} in {e:?} (values {values})"
            );
            checked += 1;
        }
        assert!(checked >= 12, "only {checked} keys checked");
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
        let at = |namespace: &str, name: &str| NamespacedName {
            namespace: namespace.into(),
            name: name.into(),
        };
        assert_eq!(
            wi.service_accounts,
            [at("recif-system", "a"), at("team-x", "b")]
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
