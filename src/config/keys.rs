//! The values keys, declared once: the config reader warns about keys not listed here, the
//! enums it checks are the ones listed here, and `recif-secrets schema` is generated from
//! this table, so that the three cannot drift. A unit test checks the built-in defaults
//! against it key by key.

use super::{API_VERSIONS, DECODING_STRATEGIES, LLM_KEYS_MODES, PROVIDERS, STORE_KINDS};

#[derive(Debug)]
pub enum Kind {
    /// Free text (a number or boolean is taken as Helm prints it).
    Text,
    /// A name checked against a pattern (a regular expression in the schema).
    Name(Pattern),
    Enum(&'static [&'static str]),
    Bool,
    /// A Go duration, or 0.
    Duration,
    /// A map of strings (labels, annotations, extraEnv).
    TextMap,
    /// A list of names.
    NameList(Pattern),
    /// A list of free-text strings (roles, policy ARNs).
    TextList,
    /// A map with these keys (others are warned about).
    Object(&'static [Key]),
    /// A list of maps with these keys.
    ObjectList(&'static [Key]),
    /// A map with at most one key, a provider of ESO's store CRD, holding its
    /// `spec.provider.<name>` block (the providers come from the CRD schemas).
    Providers,
    /// ESO's ExternalSecret `spec` (partial; the schema comes from the CRD).
    EsoSpec,
    /// A remote key: text in which `$(namespace)` is the ExternalSecret's namespace and `$$`
    /// a literal `$` (see `remote_key.rs`).
    RemoteKey,
    /// A map from these ExternalSecret names, or `<namespace>/<name>`, to
    /// `{metadata: {labels, annotations}, spec: <EsoSpec>}`.
    EsoOverrides(&'static [&'static str]),
    /// The `llm` section: these keys, plus any `<name>ApiKey`.
    Llm(&'static [Key]),
    /// A string, or a map (the service-account JSON given as YAML).
    TextOrObject,
}

#[derive(Debug, Clone, Copy)]
pub enum Pattern {
    DnsLabel,
    DnsSubdomain,
    SecretKey,
}

impl Pattern {
    /// Whether a (non-empty) value follows the pattern.
    pub fn matches(self, value: &str) -> bool {
        match self {
            Pattern::DnsLabel => super::names::is_dns_label(value),
            Pattern::DnsSubdomain => super::names::is_dns_subdomain(value),
            Pattern::SecretKey => super::names::is_secret_key(value),
        }
    }

    /// The error for a value that does not follow the pattern (names are not secret: the
    /// value is shown).
    pub fn problem(self, value: &str) -> String {
        match self {
            Pattern::DnsLabel => format!("{value:?} is not a valid namespace name (RFC 1123 label: lower-case letters, digits and '-', at most 63)"),
            Pattern::DnsSubdomain => format!("{value:?} is not a valid name (RFC 1123 subdomain: lower-case letters, digits, '-' and '.', at most 253)"),
            Pattern::SecretKey => format!("{value:?} is not a valid Secret key (letters, digits, '-', '_', '.'; at most 253)"),
        }
    }

    /// The pattern as a regular expression, allowing the empty string (= unset).
    pub fn regex(self) -> &'static str {
        match self {
            Pattern::DnsLabel => "^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)?$",
            Pattern::DnsSubdomain => {
                "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)?$"
            }
            Pattern::SecretKey => "^[-._a-zA-Z0-9]+$",
        }
    }
}

#[derive(Debug)]
pub struct Key {
    pub name: &'static str,
    pub kind: Kind,
    pub doc: &'static str,
}

const fn key(name: &'static str, kind: Kind, doc: &'static str) -> Key {
    Key { name, kind, doc }
}

pub const EXTERNAL_KEYS: &[Key] = &[
    key(
        "agentEnv",
        Kind::RemoteKey,
        "Vault path or secret name holding the LLM variables; every key becomes a variable. $(namespace) is the team namespace (teams/$(namespace)/agent-env: one secret per team); $$ is a literal $",
    ),
    key(
        "gcpServiceAccount",
        Kind::RemoteKey,
        "Vault path or secret name of the service-account JSON; empty or null: no GCP secrets. $(namespace) is the ExternalSecret's namespace (a team's for gcp-adc, the platform namespace for recif-platform-gcp-sa); $$ is a literal $",
    ),
    key(
        "gcpServiceAccountProperty",
        Kind::Text,
        "property holding the JSON; unset with a vault or openBao store: value",
    ),
    key(
        "gcpServiceAccountDecodingStrategy",
        Kind::Enum(DECODING_STRATEGIES),
        "None (default, not written) | Base64 | Base64URL | Auto: the key is stored encoded in the backend (remoteRef.decodingStrategy)",
    ),
    key(
        "gcpServiceAccountVersion",
        Kind::Text,
        "the version of the key to read (remoteRef.version); empty: the latest",
    ),
];

pub const EXTERNAL: &[Key] = &[
    key(
        "storeName",
        Kind::Name(Pattern::DnsSubdomain),
        "the SecretStore or ClusterSecretStore name",
    ),
    key("storeKind", Kind::Enum(STORE_KINDS), "the store kind"),
    key(
        "refreshInterval",
        Kind::Duration,
        "Go duration: 1h, 30m, 1h30m, 15s, 0 (no refresh)",
    ),
    key(
        "apiVersion",
        Kind::Enum(API_VERSIONS),
        "external-secrets.io/v1, or v1beta1 for ESO before 0.16",
    ),
    key(
        "keys",
        Kind::Object(EXTERNAL_KEYS),
        "where the secrets are in the backend",
    ),
    key(
        "store",
        Kind::Providers,
        "optional: render the store itself, with ESO's spec.provider.<backend> block (any provider of the apiVersion's CRD)",
    ),
    key(
        "externalSecretSpec",
        Kind::EsoSpec,
        "ESO ExternalSecret spec fields merged into every rendered ExternalSecret (maps merge, a list replaces ours)",
    ),
    key(
        "overrides",
        Kind::EsoOverrides(super::EXTERNAL_SECRET_NAMES),
        "per ExternalSecret: agent-env, gcp-adc, recif-platform-gcp-sa (every namespace) or NAMESPACE/NAME (one namespace, wins over NAME): {metadata: {labels, annotations}, spec: ...}, merged after externalSecretSpec and commonLabels/commonAnnotations",
    ),
];

pub const SECRETS: &[Key] = &[
    key(
        "provider",
        Kind::Enum(PROVIDERS),
        "inline | external | none",
    ),
    key(
        "commonLabels",
        Kind::TextMap,
        "labels added to every rendered object",
    ),
    key(
        "commonAnnotations",
        Kind::TextMap,
        "annotations added to every rendered object",
    ),
    key(
        "external",
        Kind::Object(EXTERNAL),
        "External Secrets settings (provider external)",
    ),
    key(
        "allowEmptyAgentEnv",
        Kind::Bool,
        "render an inline agent-env with no variable (applied, it removes every key of the existing Secret); false: that is an error",
    ),
];

pub const GCP: &[Key] = &[
    key("project", Kind::Text, "GCP project id"),
    key("location", Kind::Text, "GCP location"),
    key(
        "serviceAccountKeyBase64",
        Kind::Text,
        "the service-account JSON, base64 (cat sa-key.json | base64 | tr -d '\\n')",
    ),
    key(
        "serviceAccountKey",
        Kind::TextOrObject,
        "or the service-account JSON itself; not both",
    ),
];

pub const LLM: &[Key] = &[
    key("googleApiKey", Kind::Text, "-> GOOGLE_API_KEY"),
    key("openaiApiKey", Kind::Text, "-> OPENAI_API_KEY"),
    key(
        "anthropicApiKey",
        Kind::Text,
        "-> ANTHROPIC_API_KEY; any other <name>ApiKey works the same way",
    ),
    key(
        "extraEnv",
        Kind::TextMap,
        "other agent-env variables, verbatim NAME: value",
    ),
    key("gcp", Kind::Object(GCP), "Google Cloud settings"),
];

pub const NAMESPACES: &[Key] = &[
    key(
        "defaultTeam",
        Kind::Name(Pattern::DnsLabel),
        "the default team namespace",
    ),
    key(
        "teams",
        Kind::NameList(Pattern::DnsLabel),
        "further team namespaces",
    ),
    key(
        "create",
        Kind::Bool,
        "also render Namespace objects for every namespace used",
    ),
];

pub const SERVICE_ACCOUNT: &[Key] = &[
    key(
        "name",
        Kind::Name(Pattern::DnsSubdomain),
        "ServiceAccount name",
    ),
    key(
        "namespace",
        Kind::Name(Pattern::DnsLabel),
        "its namespace (default: the platform namespace)",
    ),
];

pub const BINDINGS_GCP: &[Key] = &[
    key(
        "projectRoles",
        Kind::TextList,
        "project roles granted to the Google service account (one IAMPolicyMember each): roles/NAME, projects/P/roles/NAME or organizations/O/roles/NAME",
    ),
    key(
        "createServiceAccount",
        Kind::Bool,
        "also render the IAMServiceAccount itself (the Google service account); false: it exists already",
    ),
    key(
        "displayName",
        Kind::Text,
        "the display name of a created Google service account",
    ),
    key(
        "workloadPool",
        Kind::Text,
        "the cluster's workload pool; default <llm.gcp.project>.svc.id.goog (else the service account's project)",
    ),
];

pub const BINDINGS_AWS: &[Key] = &[
    key(
        "mode",
        Kind::Enum(super::AWS_BINDING_MODES),
        "podIdentity (one ACK PodIdentityAssociation per ServiceAccount, no annotation) | irsa (the ACK Role with a trust policy for exactly these ServiceAccounts, and the annotation)",
    ),
    key(
        "clusterName",
        Kind::Text,
        "podIdentity: the EKS cluster name",
    ),
    key(
        "oidcProvider",
        Kind::Text,
        "irsa: the cluster's OIDC provider, oidc.eks.REGION.amazonaws.com/id/ID (no https://)",
    ),
    key(
        "policyArns",
        Kind::TextList,
        "irsa: managed policies attached to the role (arn:aws:iam::aws:policy/NAME, ...)",
    ),
];

pub const BINDINGS_AZURE: &[Key] = &[
    key(
        "identityName",
        Kind::Name(Pattern::DnsSubdomain),
        "the Azure Service Operator UserAssignedIdentity (Kubernetes name, platform namespace) that owns the federated credentials",
    ),
    key(
        "oidcIssuer",
        Kind::Text,
        "the AKS cluster's OIDC issuer URL (az aks show --query oidcIssuerProfile.issuerUrl)",
    ),
    key(
        "resourceGroup",
        Kind::Text,
        "the identity's resource group (the owner of a created identity: an ASO ResourceGroup of that name; and for --print-commands)",
    ),
    key(
        "createIdentity",
        Kind::Bool,
        "also render the UserAssignedIdentity itself (needs resourceGroup and location)",
    ),
    key("location", Kind::Text, "the Azure region of a created identity"),
];

pub const BINDINGS: &[Key] = &[
    key(
        "enabled",
        Kind::Bool,
        "also render the cloud side of the binding as operator objects (Config Connector, ACK, Azure Service Operator); needs their CRDs in the cluster",
    ),
    key("gcp", Kind::Object(BINDINGS_GCP), "GKE, through Config Connector"),
    key("aws", Kind::Object(BINDINGS_AWS), "EKS, through ACK"),
    key(
        "azure",
        Kind::Object(BINDINGS_AZURE),
        "AKS, through Azure Service Operator",
    ),
];

pub const WORKLOAD_IDENTITY: &[Key] = &[
    key(
        "gcpServiceAccount",
        Kind::Text,
        "GKE: default recif-sa@<llm.gcp.project>.iam.gserviceaccount.com",
    ),
    key("awsRoleArn", Kind::Text, "EKS IRSA role ARN"),
    key("azureClientId", Kind::Text, "AKS client id"),
    key("azureTenantId", Kind::Text, "AKS tenant id (optional)"),
    key(
        "serviceAccounts",
        Kind::ObjectList(SERVICE_ACCOUNT),
        "the ServiceAccounts to annotate; empty: recif-api in the platform namespace",
    ),
    key(
        "llmKeys",
        Kind::Enum(LLM_KEYS_MODES),
        "none | inline | external: how agent-env is provided alongside Workload Identity",
    ),
    key(
        "bindings",
        Kind::Object(BINDINGS),
        "the cloud side of the binding (off by default)",
    ),
];

/// The top level. Other top-level keys (the rest of a Récif chart's values) are allowed.
pub const ROOT: &[Key] = &[
    key(
        "secrets",
        Kind::Object(SECRETS),
        "the strategy and its settings",
    ),
    key(
        "llm",
        Kind::Llm(LLM),
        "LLM API keys and Google Cloud settings",
    ),
    key("namespaces", Kind::Object(NAMESPACES), "team namespaces"),
    key(
        "workloadIdentity",
        Kind::Object(WORKLOAD_IDENTITY),
        "Workload Identity settings (provider none)",
    ),
];

/// The declared key at `path` (`["secrets", "external", "storeName"]`; a list of maps is
/// entered without an index: `["workloadIdentity", "serviceAccounts", "name"]`).
pub fn at(path: &[&str]) -> Option<&'static Key> {
    let mut table = ROOT;
    let mut found = None;
    for segment in path {
        let key = table.iter().find(|k| k.name == *segment)?;
        table = match &key.kind {
            Kind::Object(sub) | Kind::ObjectList(sub) | Kind::Llm(sub) => sub,
            _ => &[],
        };
        found = Some(key);
    }
    found
}

/// The declared kind at `path`; a path missing from the table is a programming error (every
/// reader call goes through the unit tests of `config`).
pub fn kind_at(path: &[&str]) -> &'static Kind {
    &at(path)
        .unwrap_or_else(|| panic!("{} is not in the key table", path.join(".")))
        .kind
}

/// The names of a table's keys.
pub fn names(keys: &[Key]) -> Vec<&'static str> {
    keys.iter().map(|k| k.name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::{defaults, Node};

    /// Every key of the built-in defaults is declared, and every declared key is in them.
    fn check(node: &Node, keys: &[Key], path: &str) {
        let map = node.as_map().unwrap_or_else(|| panic!("{path} is a map"));
        let declared = names(keys);
        for k in map.keys() {
            assert!(
                declared.contains(&k.as_str()),
                "{path}.{k} is in the defaults but not declared"
            );
        }
        for key in keys {
            let child = map.get(key.name).unwrap_or_else(|| {
                panic!("{path}.{} is declared but not in the defaults", key.name)
            });
            match &key.kind {
                Kind::Object(sub) | Kind::Llm(sub) => {
                    check(child, sub, &format!("{path}.{}", key.name))
                }
                _ => {}
            }
        }
    }

    #[test]
    fn defaults_and_declared_keys_agree() {
        check(defaults(), ROOT, "");
    }

    #[test]
    fn keys_are_found_by_path() {
        assert!(matches!(
            kind_at(&["secrets", "external", "storeName"]),
            Kind::Name(Pattern::DnsSubdomain)
        ));
        assert!(matches!(
            kind_at(&["workloadIdentity", "serviceAccounts", "namespace"]),
            Kind::Name(Pattern::DnsLabel)
        ));
        assert!(matches!(kind_at(&["llm", "gcp", "project"]), Kind::Text));
        assert!(at(&["secrets", "nope"]).is_none());
        assert!(at(&["secrets", "provider", "deeper"]).is_none());
    }
}
