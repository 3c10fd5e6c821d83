//! `workloadIdentity`: the ServiceAccounts to annotate and their cloud identities.

use std::collections::BTreeMap;

use super::reader::{Reader, Text};
use super::*;

pub(super) fn workload_identity(
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

    let mut service_accounts: Vec<NamespacedName> = Vec::new();
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
        let known = keys::names(keys::SERVICE_ACCOUNT);
        for (k, v) in map {
            if !known.contains(&k.as_str()) {
                r.diags.warning(
                    Some(v.origin.clone()),
                    format!("{path}.{k}"),
                    format!("unknown key, ignored; known keys: {}", known.join(", ")),
                );
            }
        }
        let field = |r: &mut Reader<'_>, k: &str| -> Option<Text> {
            let n = map.get(k).filter(|n| !n.is_null())?;
            r.scalar(n, &format!("{path}.{k}"))
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
        let declared = |k| ["workloadIdentity", "serviceAccounts", k];
        let Some(name) = r.check_name(name, &format!("{path}.name"), &declared("name")) else {
            continue;
        };
        let ns = match namespace.filter(|t| !t.value.is_empty()) {
            None => platform_namespace.to_string(),
            Some(t) => {
                match r.check_name(t, &format!("{path}.namespace"), &declared("namespace")) {
                    Some(t) => t.value,
                    None => continue,
                }
            }
        };
        let entry = NamespacedName {
            namespace: ns,
            name: name.value,
        };
        if service_accounts.contains(&entry) {
            r.diags.error(
                Some(item.origin.clone()),
                path,
                format!(
                    "ServiceAccount {}/{} is listed twice",
                    entry.namespace, entry.name
                ),
            );
            continue;
        }
        service_accounts.push(entry);
    }
    if items.is_empty() {
        service_accounts.push(NamespacedName {
            namespace: platform_namespace.to_string(),
            name: PLATFORM_SERVICE_ACCOUNT.to_string(),
        });
    }
    let bindings = super::bindings::read(r, &annotations, &service_accounts, platform_namespace);
    if bindings
        .as_ref()
        .and_then(|b| b.aws.as_ref())
        .is_some_and(|a| a.mode == super::AwsBindingMode::PodIdentity.as_str())
    {
        // EKS Pod Identity needs no annotation; IRSA does.
        annotations.remove(super::bindings::EKS_ANNOTATION);
    }
    WorkloadIdentity {
        annotations,
        service_accounts,
        llm_keys,
        bindings,
    }
}

pub(super) fn is_gsa_email(s: &str) -> bool {
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

pub(super) fn is_role_arn(s: &str) -> bool {
    super::bindings::is_iam_arn(s, "role/", false)
}

pub(super) fn is_guid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}
