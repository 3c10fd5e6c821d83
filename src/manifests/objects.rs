//! The typed objects: every [`Kind`] this tool emits, the [`Object`] a document parses into
//! (`k8s-openapi` for the core kinds, [`super::eso`] for External Secrets), and strict
//! parsing of template output.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::{Namespace, Secret, ServiceAccount};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::de::DeserializeOwned;

use super::eso;
use crate::config;
pub use crate::diag::{redact, redact_unless};

/// Every kind of object this tool emits: the one definition the parser, the checks, the
/// output order, the memo and `--output-dir` derive from. Adding a kind: a variant here, its
/// arms below, an [`Object`] variant, and its checks in `checks.rs`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Namespace,
    ClusterSecretStore,
    SecretStore,
    ServiceAccount,
    Secret,
    /// Output only: a Secret sealed by `render --seal-cert` (never parsed from templates).
    SealedSecret,
    ExternalSecret,
    /// The cloud side of Workload Identity (`workloadIdentity.bindings`): Config Connector,
    /// ACK and Azure Service Operator objects, each owner before what it owns.
    IamServiceAccount,
    IamPolicyMember,
    PodIdentityAssociation,
    /// ACK's IAM `Role` (iam.services.k8s.aws), not RBAC's.
    AckRole,
    UserAssignedIdentity,
    FederatedIdentityCredential,
}

impl Kind {
    /// In output order: Namespaces, stores, ServiceAccounts, Secrets,
    /// ExternalSecrets, then the Workload Identity bindings.
    pub const ALL: [Kind; 13] = [
        Kind::Namespace,
        Kind::ClusterSecretStore,
        Kind::SecretStore,
        Kind::ServiceAccount,
        Kind::Secret,
        Kind::SealedSecret,
        Kind::ExternalSecret,
        Kind::IamServiceAccount,
        Kind::IamPolicyMember,
        Kind::PodIdentityAssociation,
        Kind::AckRole,
        Kind::UserAssignedIdentity,
        Kind::FederatedIdentityCredential,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::Namespace => "Namespace",
            Kind::ClusterSecretStore => "ClusterSecretStore",
            Kind::SecretStore => "SecretStore",
            Kind::ServiceAccount => "ServiceAccount",
            Kind::Secret => "Secret",
            Kind::SealedSecret => "SealedSecret",
            Kind::ExternalSecret => "ExternalSecret",
            Kind::IamServiceAccount => "IAMServiceAccount",
            Kind::IamPolicyMember => "IAMPolicyMember",
            Kind::PodIdentityAssociation => "PodIdentityAssociation",
            Kind::AckRole => "Role",
            Kind::UserAssignedIdentity => "UserAssignedIdentity",
            Kind::FederatedIdentityCredential => "FederatedIdentityCredential",
        }
    }

    /// The apiVersion of a Workload Identity binding kind (`None` for the others).
    pub fn binding_api(self) -> Option<&'static str> {
        use crate::config::bindings as b;
        match self {
            Kind::IamServiceAccount | Kind::IamPolicyMember => Some(b::CONFIG_CONNECTOR_API),
            Kind::PodIdentityAssociation => Some(b::ACK_EKS_API),
            Kind::AckRole => Some(b::ACK_IAM_API),
            Kind::UserAssignedIdentity | Kind::FederatedIdentityCredential => {
                Some(b::ASO_IDENTITY_API)
            }
            _ => None,
        }
    }

    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Output order.
    pub fn rank(self) -> u8 {
        self as u8
    }

    pub fn is_cluster_scoped(self) -> bool {
        matches!(self, Kind::Namespace | Kind::ClusterSecretStore)
    }

    /// External Secrets Operator kinds (apiVersion one of [`config::API_VERSIONS`]); the
    /// others are core `v1`.
    pub fn is_eso(self) -> bool {
        matches!(
            self,
            Kind::ClusterSecretStore | Kind::SecretStore | Kind::ExternalSecret
        )
    }

    /// The resource kubectl reads objects of this kind as (fully qualified for CRDs, so
    /// that no other API group's kind of the same name is meant).
    pub fn resource(self) -> &'static str {
        match self {
            Kind::Namespace => "namespaces",
            Kind::ClusterSecretStore => "clustersecretstores.external-secrets.io",
            Kind::SecretStore => "secretstores.external-secrets.io",
            Kind::ServiceAccount => "serviceaccounts",
            Kind::Secret => "secrets",
            Kind::SealedSecret => "sealedsecrets.bitnami.com",
            Kind::ExternalSecret => "externalsecrets.external-secrets.io",
            Kind::IamServiceAccount => "iamserviceaccounts.iam.cnrm.cloud.google.com",
            Kind::IamPolicyMember => "iampolicymembers.iam.cnrm.cloud.google.com",
            Kind::PodIdentityAssociation => "podidentityassociations.eks.services.k8s.aws",
            Kind::AckRole => "roles.iam.services.k8s.aws",
            Kind::UserAssignedIdentity => "userassignedidentities.managedidentity.azure.com",
            Kind::FederatedIdentityCredential => {
                "federatedidentitycredentials.managedidentity.azure.com"
            }
        }
    }

    /// The memo opt-in (see `memo.rs`): whether an object of this kind may be copied into
    /// another namespace by rewriting its `metadata.namespace` line alone. True only for kinds
    /// whose content does not depend on their namespace or name; a kind bound to them (a
    /// sealed or encrypted Secret) must say false here, and is then rendered once per
    /// namespace.
    pub fn stampable(self) -> bool {
        match self {
            Kind::Namespace
            | Kind::ClusterSecretStore
            | Kind::SecretStore
            | Kind::ServiceAccount
            | Kind::Secret
            | Kind::ExternalSecret => true,
            // Bound to its namespace and name (the RSA-OAEP label of its scope).
            Kind::SealedSecret => false,
            // One object each, named after what it binds: never copied elsewhere.
            Kind::IamServiceAccount
            | Kind::IamPolicyMember
            | Kind::PodIdentityAssociation
            | Kind::AckRole
            | Kind::UserAssignedIdentity
            | Kind::FederatedIdentityCredential => false,
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One rendered object.
#[derive(Clone, Debug, PartialEq)]
pub enum Object {
    Namespace(Namespace),
    Store(eso::SecretStore),
    ServiceAccount(ServiceAccount),
    Secret(Secret),
    ExternalSecret(eso::ExternalSecret),
    /// A Workload Identity binding object (see [`Kind::binding_api`]).
    Binding(Binding),
}

/// A cloud operator's object (Config Connector, ACK, Azure Service Operator): the typed
/// metadata, and the `spec` as the operator's CRD defines it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Binding {
    pub api_version: String,
    pub kind: String,
    pub metadata: ObjectMeta,
    pub spec: serde_json::Map<String, serde_json::Value>,
}

impl Object {
    pub fn kind(&self) -> &str {
        match self {
            Object::Store(s) => &s.kind,
            Object::Binding(b) => &b.kind,
            _ => self.typed_kind().as_str(),
        }
    }

    /// The kind as its typed definition.
    pub fn typed_kind(&self) -> Kind {
        match self {
            Object::Namespace(_) => Kind::Namespace,
            Object::Store(s) if s.kind == Kind::ClusterSecretStore.as_str() => {
                Kind::ClusterSecretStore
            }
            Object::Store(_) => Kind::SecretStore,
            Object::ServiceAccount(_) => Kind::ServiceAccount,
            Object::Secret(_) => Kind::Secret,
            Object::ExternalSecret(_) => Kind::ExternalSecret,
            Object::Binding(b) => Kind::from_name(&b.kind).expect("a binding kind"),
        }
    }

    pub fn metadata(&self) -> &ObjectMeta {
        match self {
            Object::Namespace(o) => &o.metadata,
            Object::Store(o) => &o.metadata,
            Object::ServiceAccount(o) => &o.metadata,
            Object::Secret(o) => &o.metadata,
            Object::ExternalSecret(o) => &o.metadata,
            Object::Binding(o) => &o.metadata,
        }
    }

    pub(super) fn metadata_mut(&mut self) -> &mut ObjectMeta {
        match self {
            Object::Namespace(o) => &mut o.metadata,
            Object::Store(o) => &mut o.metadata,
            Object::ServiceAccount(o) => &mut o.metadata,
            Object::Secret(o) => &mut o.metadata,
            Object::ExternalSecret(o) => &mut o.metadata,
            Object::Binding(o) => &mut o.metadata,
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
        self.typed_kind().is_cluster_scoped()
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
            Object::Binding(o) => serde_json::to_value(o),
        };
        v.expect("typed objects serialize")
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
    let object = match (api.as_str(), Kind::from_name(&kind)) {
        (api, Some(k)) if k.is_eso() => {
            if !config::API_VERSIONS.contains(&api) {
                return Err(format!(
                    "{kind} has apiVersion {api:?}; expected one of: {}",
                    config::API_VERSIONS.join(", ")
                ));
            }
            if k == Kind::ExternalSecret {
                Object::ExternalSecret(typed(value, &kind)?)
            } else {
                Object::Store(typed(value, &kind)?)
            }
        }
        ("v1", Some(Kind::Namespace)) => Object::Namespace(typed(value, &kind)?),
        ("v1", Some(Kind::ServiceAccount)) => Object::ServiceAccount(typed(value, &kind)?),
        ("v1", Some(Kind::Secret)) => Object::Secret(typed(value, &kind)?),
        (api, Some(k)) if k.binding_api() == Some(api) => Object::Binding(typed(value, &kind)?),
        _ => {
            return Err(format!(
                "renders {kind:?} (apiVersion {api:?}); recif-secrets only emits v1 Namespace, ServiceAccount and Secret, External Secrets ExternalSecret, SecretStore and ClusterSecretStore, and the Workload Identity bindings {}",
                Kind::ALL
                    .iter()
                    .filter_map(|k| k.binding_api().map(|api| format!("{api} {k}")))
                    .collect::<Vec<_>>()
                    .join(", ")
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn secret() -> serde_json::Value {
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "n"}, "type": "Opaque", "data": {"K": "eA=="}})
    }

    #[test]
    fn every_store_kind_is_an_object_kind() {
        for k in crate::config::StoreKind::ALL {
            assert_eq!(
                Kind::from_name(k.as_str()).map(Kind::as_str),
                Some(k.as_str())
            );
        }
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
        let problems = super::super::eso::check_spec(&e.api_version, "ExternalSecret", &e.spec);
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
