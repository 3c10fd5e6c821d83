//! `workloadIdentity.bindings`: the cloud side of Workload Identity, as the objects of the
//! cloud operators (GKE: Config Connector; EKS: ACK; AKS: Azure Service Operator) and as the
//! equivalent cloud CLI commands.
//!
//! One source of truth: every binding is derived here from the same list of Kubernetes
//! ServiceAccounts that the annotations go on, so the annotation, the IAM member
//! (`serviceAccount:POOL[ns/name]`), the IRSA trust-policy subject and the federated
//! credential subject (`system:serviceaccount:ns:name`) cannot drift apart.

use serde::Serialize;
use sha2::{Digest as _, Sha256};

use super::reader::{Reader, Text};
use super::AwsBindingMode;

/// The ServiceAccount annotation of each cloud (what the existing annotation logic writes).
pub const GKE_ANNOTATION: &str = "iam.gke.io/gcp-service-account";
pub const EKS_ANNOTATION: &str = "eks.amazonaws.com/role-arn";
pub const AKS_CLIENT_ANNOTATION: &str = "azure.workload.identity/client-id";

/// The role that lets a Kubernetes ServiceAccount act as a Google service account.
pub const WORKLOAD_IDENTITY_USER: &str = "roles/iam.workloadIdentityUser";
/// The audience of an AKS federated credential.
pub const AZURE_AUDIENCE: &str = "api://AzureADTokenExchange";
/// The longest object name made here: names have no dot, so they are one DNS label (which
/// also fits ASO's azureName, at most 120).
pub const NAME_MAX: usize = 63;
/// Azure's limit of federated identity credentials on one user-assigned identity.
pub const AZURE_MAX_CREDENTIALS: usize = 20;

/// The operator objects' API versions (from the CRDs kept in the test data).
pub const CONFIG_CONNECTOR_API: &str = "iam.cnrm.cloud.google.com/v1beta1";
pub const ACK_EKS_API: &str = "eks.services.k8s.aws/v1alpha1";
pub const ACK_IAM_API: &str = "iam.services.k8s.aws/v1alpha1";
pub const ASO_IDENTITY_API: &str = "managedidentity.azure.com/v1api20230131";

/// One Kubernetes ServiceAccount to bind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ksa {
    pub namespace: String,
    pub name: String,
}

impl Ksa {
    /// `system:serviceaccount:NS:NAME`: the token subject (IRSA trust policy, AKS credential).
    pub fn subject(&self) -> String {
        format!("system:serviceaccount:{}:{}", self.namespace, self.name)
    }

    /// `serviceAccount:POOL[NS/NAME]`: the GKE workload identity member.
    pub fn gke_member(&self, pool: &str) -> String {
        format!("serviceAccount:{pool}[{}/{}]", self.namespace, self.name)
    }
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Bindings {
    /// Where the operator objects go: the platform namespace.
    pub namespace: String,
    /// The operators' API versions, for the templates.
    pub api: Apis,
    pub gcp: Option<Gcp>,
    pub aws: Option<Aws>,
    pub azure: Option<Azure>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Apis {
    pub config_connector: &'static str,
    pub ack_eks: &'static str,
    pub ack_iam: &'static str,
    pub azure_service_operator: &'static str,
}

pub const APIS: Apis = Apis {
    config_connector: CONFIG_CONNECTOR_API,
    ack_eks: ACK_EKS_API,
    ack_iam: ACK_IAM_API,
    azure_service_operator: ASO_IDENTITY_API,
};

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Gcp {
    /// The Google service account's email, its account id and its project.
    pub email: String,
    pub account_id: String,
    pub service_account_project: String,
    /// `projects/P/serviceAccounts/EMAIL`: the IAMPolicyMember resource of a GSA we do not
    /// create.
    pub service_account_external: String,
    pub create_service_account: bool,
    pub display_name: String,
    /// The project the roles are granted on (llm.gcp.project, else the GSA's project).
    pub role_project: String,
    pub workload_pool: String,
    /// One IAMPolicyMember per ServiceAccount: roles/iam.workloadIdentityUser on the GSA.
    pub members: Vec<GcpMember>,
    /// One IAMPolicyMember per project role, for the GSA.
    pub roles: Vec<GcpRole>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GcpMember {
    pub object_name: String,
    pub member: String,
    pub service_account: Ksa,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GcpRole {
    pub object_name: String,
    pub role: String,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Aws {
    pub mode: &'static str,
    pub role_arn: String,
    pub role_name: String,
    /// The role's path (`/` unless the ARN has one).
    pub role_path: String,
    /// podIdentity: one association per ServiceAccount.
    pub cluster_name: Option<String>,
    pub associations: Vec<AwsAssociation>,
    /// irsa: the ACK Role with the trust policy for exactly these ServiceAccounts.
    pub role: Option<AwsRole>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AwsAssociation {
    pub object_name: String,
    pub service_account: Ksa,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AwsRole {
    pub object_name: String,
    pub oidc_provider: String,
    /// The trust policy document (JSON text), as the ACK Role and `aws iam` take it.
    pub trust_policy: String,
    pub policy_arns: Vec<String>,
    pub subjects: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Azure {
    pub client_id: String,
    pub identity_name: String,
    pub issuer: String,
    pub resource_group: String,
    pub create_identity: bool,
    pub location: Option<String>,
    pub audience: &'static str,
    pub credentials: Vec<AzureCredential>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AzureCredential {
    pub object_name: String,
    pub subject: String,
    pub service_account: Ksa,
}

/// Reads `workloadIdentity.bindings` for the clouds configured in `annotations` (the
/// ServiceAccount annotations already computed) and the ServiceAccounts `accounts`. `None` when bindings are not enabled (or on errors, reported).
pub(super) fn read(
    r: &mut Reader<'_>,
    annotations: &std::collections::BTreeMap<String, String>,
    accounts: &[super::NamespacedName],
    platform_namespace: &str,
) -> Option<Bindings> {
    const B: &str = "bindings";
    let p = |k: &'static str| ["workloadIdentity", B, k];
    // Every key's type, enum and pattern is checked even when the bindings are off (a
    // `createServiceAccount: yes please` is an error either way).
    check_types(r, &mut vec!["workloadIdentity", B], super::keys::BINDINGS);
    if !r.flag(&p("enabled")) {
        return None;
    }
    let ksas: Vec<Ksa> = accounts
        .iter()
        .map(|a| Ksa {
            namespace: a.namespace.clone(),
            name: a.name.clone(),
        })
        .collect();
    let before = r.diags.errors().count();
    let gcp = annotations
        .get(GKE_ANNOTATION)
        .and_then(|email| gcp(r, email, &ksas));
    let aws = annotations
        .get(EKS_ANNOTATION)
        .and_then(|arn| aws(r, arn, &ksas));
    let azure = annotations
        .get(AKS_CLIENT_ANNOTATION)
        .and_then(|id| azure(r, id, &ksas));
    if r.diags.errors().count() > before {
        return None;
    }
    Some(Bindings {
        namespace: platform_namespace.to_string(),
        api: APIS,
        gcp,
        aws,
        azure,
    })
}

fn gcp(r: &mut Reader<'_>, email: &str, ksas: &[Ksa]) -> Option<Gcp> {
    let p = |k: &'static str| ["workloadIdentity", "bindings", "gcp", k];
    let (account_id, domain) = email.split_once('@')?;
    let sa_project = domain
        .strip_suffix(".iam.gserviceaccount.com")
        .unwrap_or(domain)
        .to_string();
    let llm_project = r
        .text(&["llm", "gcp", "project"])
        .filter(|t| !t.value.is_empty());
    if let Some(t) = &llm_project {
        if !is_gcp_project(&t.value) {
            r.diags.error(
                Some(t.origin.clone()),
                "llm.gcp.project",
                format!(
                    "{:?} is not a Google Cloud project id (6 to 30 lower-case letters, digits and '-', starting with a letter); the bindings name it",
                    t.value
                ),
            );
            return None;
        }
    }
    let role_project = llm_project
        .as_ref()
        .map(|t| t.value.clone())
        .unwrap_or_else(|| sa_project.clone());
    let pool = match r.text(&p("workloadPool")).filter(|t| !t.value.is_empty()) {
        Some(t) => {
            let ok = t
                .value
                .strip_suffix(".svc.id.goog")
                .is_some_and(is_gcp_project);
            if !ok {
                r.diags.error(
                    Some(t.origin),
                    "workloadIdentity.bindings.gcp.workloadPool",
                    format!(
                        "{:?} is not a workload pool (PROJECT.svc.id.goog, the cluster's --workload-pool)",
                        t.value
                    ),
                );
                return None;
            }
            t.value
        }
        None => format!("{role_project}.svc.id.goog"),
    };
    let mut roles = Vec::new();
    for (shown, t) in r.texts(&p("projectRoles")) {
        if !is_gcp_role(&t.value) {
            r.diags.error(
                Some(t.origin),
                shown,
                format!(
                    "{:?} is not a role (roles/NAME, projects/PROJECT/roles/NAME or organizations/ID/roles/NAME)",
                    t.value
                ),
            );
            continue;
        }
        if roles.iter().any(|x: &Text| x.value == t.value) {
            r.diags.error(
                Some(t.origin),
                shown,
                format!("role {:?} is listed twice", t.value),
            );
            continue;
        }
        roles.push(t);
    }
    let display_name = r.string(&p("displayName"));
    let create = r.flag(&p("createServiceAccount"));
    let member_names = unique_names(
        ksas.iter()
            .map(|k| {
                (
                    k.subject(),
                    format!("{account_id}-wi-{}-{}", k.namespace, k.name),
                )
            })
            .collect(),
        NAME_MAX,
    );
    let role_names = unique_names(
        roles
            .iter()
            .map(|t| {
                (
                    t.value.clone(),
                    format!("{account_id}-{}", role_short(&t.value)),
                )
            })
            .collect(),
        NAME_MAX,
    );
    Some(Gcp {
        email: email.to_string(),
        account_id: account_id.to_string(),
        service_account_external: format!("projects/{sa_project}/serviceAccounts/{email}"),
        service_account_project: sa_project,
        create_service_account: create,
        display_name,
        role_project,
        members: ksas
            .iter()
            .zip(member_names)
            .map(|(k, object_name)| GcpMember {
                object_name,
                member: k.gke_member(&pool),
                service_account: k.clone(),
            })
            .collect(),
        workload_pool: pool,
        roles: roles
            .into_iter()
            .zip(role_names)
            .map(|(t, object_name)| GcpRole {
                object_name,
                role: t.value,
            })
            .collect(),
    })
}

fn aws(r: &mut Reader<'_>, arn: &str, ksas: &[Ksa]) -> Option<Aws> {
    let p = |k: &'static str| ["workloadIdentity", "bindings", "aws", k];
    // arn:PARTITION:iam::ACCOUNT:role/PATH/NAME (checked by the annotation logic).
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let (partition, account, resource) = (parts[1], parts[4], parts[5]);
    let full = resource.strip_prefix("role/").unwrap_or(resource);
    let (path, role_name) = match full.rsplit_once('/') {
        Some((dir, name)) => (format!("/{dir}/"), name.to_string()),
        None => ("/".to_string(), full.to_string()),
    };
    let mode = r
        .choice(&p("mode"))
        .and_then(AwsBindingMode::from_name)
        .unwrap_or(AwsBindingMode::PodIdentity);
    let mut out = Aws {
        mode: mode.as_str(),
        role_arn: arn.to_string(),
        role_name: role_name.clone(),
        role_path: path,
        cluster_name: None,
        associations: Vec::new(),
        role: None,
    };
    match mode {
        AwsBindingMode::PodIdentity => {
            let t = required(r, &p("clusterName"), "the EKS cluster name (podIdentity)")?;
            let ok = t.value.len() <= 100
                && t.value.starts_with(|c: char| c.is_ascii_alphanumeric())
                && t.value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !ok {
                r.diags.error(
                    Some(t.origin),
                    "workloadIdentity.bindings.aws.clusterName",
                    format!(
                        "{:?} is not an EKS cluster name (letters, digits, '-' and '_', at most 100)",
                        t.value
                    ),
                );
                return None;
            }
            out.cluster_name = Some(t.value);
            let names = unique_names(ksa_names(ksas), NAME_MAX);
            out.associations = ksas
                .iter()
                .zip(names)
                .map(|(k, object_name)| AwsAssociation {
                    object_name,
                    service_account: k.clone(),
                })
                .collect();
        }
        AwsBindingMode::Irsa => {
            let t = required(
                r,
                &p("oidcProvider"),
                "the cluster's OIDC provider (irsa), oidc.eks.REGION.amazonaws.com/id/ID",
            )?;
            let provider = t.value.clone();
            let ok = !provider.contains("://")
                && !provider.is_empty()
                && provider.contains('/')
                && provider
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-./_".contains(c));
            if !ok {
                let fix = if provider.contains("://") {
                    " (without the https:// scheme)"
                } else {
                    ""
                };
                r.diags.error(
                    Some(t.origin),
                    "workloadIdentity.bindings.aws.oidcProvider",
                    format!(
                        "{provider:?} is not an OIDC provider host and path{fix}: oidc.eks.REGION.amazonaws.com/id/ID"
                    ),
                );
                return None;
            }
            let role_ok = role_name.len() <= 64
                && role_name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+=,.@-_".contains(c));
            if !role_ok {
                let origin = r.origin(&["workloadIdentity", "awsRoleArn"]);
                r.diags.error(
                    origin,
                    "workloadIdentity.awsRoleArn",
                    format!("the role name {role_name:?} is not an IAM role name (letters, digits and +=,.@-_, at most 64)"),
                );
                return None;
            }
            let mut policy_arns = Vec::new();
            for (shown, t) in r.texts(&p("policyArns")) {
                if !is_policy_arn(&t.value) {
                    r.diags.error(
                        Some(t.origin),
                        shown,
                        format!(
                            "{:?} is not an IAM policy ARN (arn:aws:iam::aws:policy/NAME or arn:aws:iam::ACCOUNT:policy/NAME)",
                            t.value
                        ),
                    );
                    continue;
                }
                policy_arns.push(t.value);
            }
            let subjects: Vec<String> = ksas.iter().map(Ksa::subject).collect();
            let trust_policy = irsa_trust_policy(partition, account, &provider, &subjects);
            out.role = Some(AwsRole {
                object_name: unique_names(vec![(role_name.clone(), role_name.clone())], NAME_MAX)
                    .remove(0),
                oidc_provider: provider,
                trust_policy,
                policy_arns,
                subjects,
            });
        }
    }
    Some(out)
}

/// The IRSA trust policy: the cluster's OIDC provider may assume the role for exactly these
/// subjects, with the STS audience.
pub fn irsa_trust_policy(
    partition: &str,
    account: &str,
    provider: &str,
    subjects: &[String],
) -> String {
    let doc = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": format!("arn:{partition}:iam::{account}:oidc-provider/{provider}")},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {
                format!("{provider}:aud"): "sts.amazonaws.com",
                format!("{provider}:sub"): subjects,
            }},
        }],
    });
    serde_json::to_string(&doc).expect("JSON")
}

fn azure(r: &mut Reader<'_>, client_id: &str, ksas: &[Ksa]) -> Option<Azure> {
    let p = |k: &'static str| ["workloadIdentity", "bindings", "azure", k];
    let identity = r.name(&p("identityName"));
    let identity = identity.or_else(|| {
        required(
            r,
            &p("identityName"),
            "the Azure Service Operator UserAssignedIdentity that owns the credentials",
        )
    })?;
    let issuer = required(
        r,
        &p("oidcIssuer"),
        "the AKS cluster's OIDC issuer URL (az aks show -n CLUSTER -g GROUP --query oidcIssuerProfile.issuerUrl -o tsv)",
    )?;
    if !issuer.value.starts_with("https://")
        || issuer.value.len() <= "https://".len()
        || issuer
            .value
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
    {
        r.diags.error(
            Some(issuer.origin),
            "workloadIdentity.bindings.azure.oidcIssuer",
            "is not an https:// URL (the AKS cluster's OIDC issuer)",
        );
        return None;
    }
    let group = required(r, &p("resourceGroup"), "the identity's resource group")?;
    let create = r.flag(&p("createIdentity"));
    let location = r
        .text(&p("location"))
        .filter(|t| !t.value.is_empty())
        .map(|t| t.value);
    if create && location.is_none() {
        let origin = r.origin(&p("createIdentity"));
        r.diags.error(
            origin,
            "workloadIdentity.bindings.azure.location",
            "is required with createIdentity: true (the Azure region of the identity)",
        );
        return None;
    }
    if ksas.len() > AZURE_MAX_CREDENTIALS {
        let origin = r.origin(&["workloadIdentity", "serviceAccounts"]);
        r.diags.error(
            origin,
            "workloadIdentity.serviceAccounts",
            format!(
                "{} ServiceAccounts would need {} federated identity credentials on the identity {:?}; Azure allows at most {AZURE_MAX_CREDENTIALS} per user-assigned identity: bind fewer ServiceAccounts, or share one ServiceAccount between workloads",
                ksas.len(),
                ksas.len(),
                identity.value
            ),
        );
        return None;
    }
    // ASO's azureName (defaults to metadata.name): [a-zA-Z0-9][a-zA-Z0-9-_]{2,119}.
    let names = unique_names(ksa_names(ksas), NAME_MAX);
    Some(Azure {
        client_id: client_id.to_string(),
        identity_name: identity.value,
        issuer: issuer.value,
        resource_group: group.value,
        create_identity: create,
        location,
        audience: AZURE_AUDIENCE,
        credentials: ksas
            .iter()
            .zip(names)
            .map(|(k, object_name)| AzureCredential {
                object_name,
                subject: k.subject(),
                service_account: k.clone(),
            })
            .collect(),
    })
}

/// Reads every key of `table` under `path` with the reader of its declared kind, for the
/// errors alone.
fn check_types(
    r: &mut Reader<'_>,
    path: &mut Vec<&'static str>,
    table: &'static [super::keys::Key],
) {
    use super::keys::Kind;
    for key in table {
        path.push(key.name);
        match &key.kind {
            Kind::Object(sub) => check_types(r, path, sub),
            Kind::Bool => {
                r.flag(path);
            }
            Kind::Enum(_) => {
                r.choice(path);
            }
            Kind::Name(_) => {
                r.name(path);
            }
            Kind::TextList => {
                r.texts(path);
            }
            _ => {
                r.text(path);
            }
        }
        path.pop();
    }
}

/// A required text key: its value, or an error saying what it is.
fn required(r: &mut Reader<'_>, path: &[&str], what: &str) -> Option<Text> {
    if let Some(t) = r.text(path).filter(|t| !t.value.is_empty()) {
        return Some(t);
    }
    let origin = r.origin(path);
    r.diags.error(
        origin,
        path.join("."),
        format!("is required with workloadIdentity.bindings.enabled: {what}"),
    );
    None
}

/// Object names for `wanted` ((what the object binds, the name wanted for it)): each name
/// lower-cased, with characters other than `a-z0-9-` made `-`; a name that had to change, is
/// longer than `max`, or would repeat the name of another binding, ends with a hash of what
/// it binds, so that distinct bindings always get distinct names.
pub fn unique_names(wanted: Vec<(String, String)>, max: usize) -> Vec<String> {
    let raws: Vec<&String> = wanted.iter().map(|(key, _)| key).collect();
    let clean = |s: &str| -> String {
        let mapped: String = s
            .to_ascii_lowercase()
            .chars()
            .map(|c| {
                if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        mapped.trim_matches('-').to_string()
    };
    let hashed = |raw: &str, base: &str| -> String {
        let digest = Sha256::digest(raw.as_bytes());
        let hex: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
        let keep = base.len().min(max - hex.len() - 1);
        let head = base[..keep].trim_end_matches('-');
        if head.is_empty() {
            format!("h{hex}")
        } else {
            format!("{head}-{hex}")
        }
    };
    let mut names: Vec<String> = wanted
        .iter()
        .map(|(key, want)| {
            let base = clean(want);
            if base != *want || base.len() > max || base.len() < 3 {
                hashed(key, &base)
            } else {
                base
            }
        })
        .collect();
    // Every binding whose name another binding wants too is hashed (all of them, so a name
    // does not depend on the order of the list).
    let repeated: Vec<usize> = (0..names.len())
        .filter(|&i| {
            names
                .iter()
                .enumerate()
                .any(|(j, n)| j != i && *n == names[i] && raws[j] != raws[i])
        })
        .collect();
    for i in repeated {
        names[i] = hashed(raws[i], &clean(&wanted[i].1));
    }
    names
}

/// The short form of a role for an object name: `roles/aiplatform.user` -> `aiplatform-user`.
fn role_short(role: &str) -> String {
    role.rsplit('/')
        .next()
        .unwrap_or(role)
        .to_ascii_lowercase()
        .replace(['.', '_'], "-")
}

/// `NAMESPACE-NAME` for each ServiceAccount, keyed by its subject.
fn ksa_names(ksas: &[Ksa]) -> Vec<(String, String)> {
    ksas.iter()
        .map(|k| (k.subject(), format!("{}-{}", k.namespace, k.name)))
        .collect()
}

fn is_gcp_project(s: &str) -> bool {
    let b = s.as_bytes();
    (6..=30).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && !s.ends_with('-')
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

fn is_gcp_role(s: &str) -> bool {
    let name_ok = |n: &str| {
        !n.is_empty()
            && n.len() <= 64
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    };
    let parts: Vec<&str> = s.split('/').collect();
    match parts.as_slice() {
        ["roles", n] => name_ok(n),
        ["projects", p, "roles", n] => is_gcp_project(p) && name_ok(n),
        ["organizations", o, "roles", n] => {
            !o.is_empty() && o.bytes().all(|b| b.is_ascii_digit()) && name_ok(n)
        }
        _ => false,
    }
}

fn is_policy_arn(s: &str) -> bool {
    is_iam_arn(s, "policy/", true)
}

/// An IAM ARN `arn:aws…:iam::ACCOUNT:{kind}NAME`: a 12-digit account (or `aws`, AWS's own
/// managed policies, when `aws_account` allows it) and a name without whitespace.
pub(super) fn is_iam_arn(s: &str, kind: &str, aws_account: bool) -> bool {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "iam"
        && parts[3].is_empty()
        && ((aws_account && parts[4] == "aws")
            || (parts[4].len() == 12 && parts[4].bytes().all(|b| b.is_ascii_digit())))
        && parts[5]
            .strip_prefix(kind)
            .is_some_and(|n| !n.is_empty() && !n.contains(char::is_whitespace))
}

mod commands;
pub use commands::{commands, shell_quote, Command};

#[cfg(test)]
mod tests;
