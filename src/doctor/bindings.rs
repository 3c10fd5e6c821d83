//! Workload Identity bindings (`workloadIdentity.bindings`): every rendered binding object
//! (one per annotated ServiceAccount, or per role) exists in the cluster, still binds what
//! was rendered, and its operator reports it done.

use serde_json::Value;

use super::external::reason_text;
use super::{unreadable, Check, Found, Id, Kind};

/// The operator behind a binding kind, and how to install it.
fn operator(kind: Kind) -> (&'static str, &'static str) {
    match kind {
        Kind::IamServiceAccount | Kind::IamPolicyMember => (
            "Config Connector",
            "install Config Connector (GKE add-on: gcloud container clusters update CLUSTER --update-addons ConfigConnector=ENABLED)",
        ),
        Kind::PodIdentityAssociation => (
            "the ACK EKS controller",
            "install the ACK EKS controller (helm install ack-eks-controller oci://public.ecr.aws/aws-controllers-k8s/eks-chart -n ack-system --create-namespace)",
        ),
        Kind::AckRole => (
            "the ACK IAM controller",
            "install the ACK IAM controller (helm install ack-iam-controller oci://public.ecr.aws/aws-controllers-k8s/iam-chart -n ack-system --create-namespace)",
        ),
        _ => (
            "Azure Service Operator",
            "install Azure Service Operator v2 with the managedidentity.azure.com/* CRDs (helm install aso2 aso2/azure-service-operator -n azureserviceoperator-system --create-namespace --set crdPattern='managedidentity.azure.com/*')",
        ),
    }
}

/// What the object binds, for the checklist: `serviceAccount:...[ns/name] as roles/...`.
fn what(o: &Value) -> String {
    let s = &o["spec"];
    let text = |v: &Value| v.as_str().unwrap_or("").to_string();
    match o["kind"].as_str().unwrap_or("") {
        "IAMPolicyMember" => {
            let member = s["member"]
                .as_str()
                .map(String::from)
                .or_else(|| {
                    s["memberFrom"]["serviceAccountRef"]["name"]
                        .as_str()
                        .map(|n| format!("IAMServiceAccount {n}"))
                })
                .unwrap_or_default();
            format!("{member} has {}", text(&s["role"]))
        }
        "PodIdentityAssociation" => format!(
            "{}/{} assumes {}",
            text(&s["namespace"]),
            text(&s["serviceAccount"]),
            text(&s["roleARN"])
        ),
        "FederatedIdentityCredential" => format!("{} is trusted", text(&s["subject"])),
        "Role" => "the trust policy of the ServiceAccounts".to_string(),
        _ => "exists".to_string(),
    }
}

/// The first field of `ours` (what was rendered) that `theirs` (the live object) does not
/// hold with the same value: `spec.member`.
fn first_mismatch(ours: &Value, theirs: &Value, path: &str) -> Option<String> {
    match ours {
        Value::Object(m) => m.iter().find_map(|(k, v)| {
            first_mismatch(
                v,
                theirs.get(k).unwrap_or(&Value::Null),
                &format!("{path}.{k}"),
            )
        }),
        _ if ours == theirs => None,
        _ => Some(path.to_string()),
    }
}

/// The operators' "done" condition: `Ready` (Config Connector, Azure Service Operator) or
/// `ACK.ResourceSynced` (ACK); ACK's `ACK.Terminal` is a failure whatever else says.
fn done(o: &Value) -> Option<(bool, String)> {
    let conditions = o["status"]["conditions"].as_array()?;
    let find = |t: &str| conditions.iter().find(|c| c["type"] == t);
    if let Some(c) = find("ACK.Terminal").filter(|c| c["status"] == "True") {
        return Some((false, condition_text("ACK.Terminal", c)));
    }
    let (name, c) = ["Ready", "ACK.ResourceSynced"]
        .iter()
        .find_map(|t| find(t).map(|c| (*t, c)))?;
    Some((c["status"] == "True", condition_text(name, c)))
}

fn condition_text(name: &str, c: &Value) -> String {
    format!(
        "{name} {}{}",
        c["status"].as_str().unwrap_or(""),
        reason_text(
            c["reason"].as_str().unwrap_or(""),
            c["message"].as_str().unwrap_or("")
        )
    )
}

pub(super) fn binding_check(rendered: &Value, found: &Found) -> Check {
    const CHECK: &str = "bound";
    let id = Id::of(rendered);
    let kind = Kind::from_name(&id.kind).unwrap_or(Kind::IamPolicyMember);
    let (op, install) = operator(kind);
    let object = id.to_string();
    let ns = id.namespace.as_deref().unwrap_or("");
    let describe = format!("kubectl describe {} {} -n {ns}", kind.resource(), id.name);
    let live = match found {
        Found::Unreadable(why) if why.contains("doesn't have a resource type") => {
            return Check::could_not_check(
                object,
                CHECK,
                format!("{} is not installed: {why}", id.kind),
                Some(format!(
                    "{install}; or create the bindings with the commands of recif-secrets render -f VALUES --print-commands (doctor cannot see those)"
                )),
            )
        }
        Found::Unreadable(why) => return unreadable(&id, CHECK, why),
        Found::Missing => {
            return Check::problem(
                object,
                CHECK,
                format!("not found: {} is not bound", what(rendered)),
                "apply the rendered objects (recif-secrets render -f VALUES --apply); until then the ServiceAccount's annotation names an identity it may not use",
            )
        }
        Found::Object(o) => o,
    };
    if let Some(path) = first_mismatch(&rendered["spec"], &live["spec"], "spec") {
        let fix = if kind == Kind::IamPolicyMember {
            format!(
                "its spec is immutable: kubectl delete {} {} -n {ns}, then recif-secrets render -f VALUES --apply",
                kind.resource(),
                id.name
            )
        } else {
            "recif-secrets render -f VALUES --apply".into()
        };
        let detail = format!(
            "{path} differs from what the values render ({} expected)",
            what(rendered)
        );
        return Check::problem(object, CHECK, detail, fix);
    }
    match done(live) {
        Some((true, detail)) => Check::ok(object, CHECK, format!("{}; {detail}", what(rendered))),
        Some((false, detail)) => Check::problem(
            object,
            CHECK,
            detail,
            format!(
                "{op} could not create the binding: {describe}; check the operator's credentials for the cloud project or account"
            ),
        ),
        None => Check::problem(
            object,
            CHECK,
            "no Ready condition: the operator has not processed it",
            format!("check that {op} is running and watches namespace {ns} ({describe})"),
        ),
    }
}
