//! `render --print-commands`: the bindings as the cloud CLIs' commands (gcloud, aws, az).

use super::{Bindings, AZURE_AUDIENCE, WORKLOAD_IDENTITY_USER};

/// The cloud CLI commands equivalent to the bindings, each as its words (quote them with
/// [`shell_quote`]), with a comment line before each group.
pub fn commands(b: &Bindings) -> Vec<Command> {
    let mut out = Vec::new();
    let words = |ws: &[&str]| ws.iter().map(|w| w.to_string()).collect::<Vec<_>>();
    if let Some(g) = &b.gcp {
        if g.create_service_account {
            out.push(Command::comment("GKE: create the Google service account"));
            let display = format!("--display-name={}", g.display_name);
            out.push(Command::run(words(&[
                "gcloud",
                "iam",
                "service-accounts",
                "create",
                &g.account_id,
                &format!("--project={}", g.service_account_project),
                &display,
            ])));
        }
        if !g.roles.is_empty() {
            out.push(Command::comment(
                "GKE: grant the Google service account the project roles the agents need",
            ));
        }
        for role in &g.roles {
            out.push(Command::run(words(&[
                "gcloud",
                "projects",
                "add-iam-policy-binding",
                &g.role_project,
                &format!("--member=serviceAccount:{}", g.email),
                &format!("--role={}", role.role),
                "--condition=None",
            ])));
        }
        out.push(Command::comment(
            "GKE: let each Kubernetes ServiceAccount act as the Google service account",
        ));
        for m in &g.members {
            out.push(Command::run(words(&[
                "gcloud",
                "iam",
                "service-accounts",
                "add-iam-policy-binding",
                &g.email,
                &format!("--project={}", g.service_account_project),
                &format!("--role={WORKLOAD_IDENTITY_USER}"),
                &format!("--member={}", m.member),
                "--condition=None",
            ])));
        }
    }
    if let Some(a) = &b.aws {
        if let Some(cluster) = &a.cluster_name {
            out.push(Command::comment(
                "EKS Pod Identity: associate each ServiceAccount with the role (the role must trust pods.eks.amazonaws.com)",
            ));
            for assoc in &a.associations {
                out.push(Command::run(words(&[
                    "aws",
                    "eks",
                    "create-pod-identity-association",
                    "--cluster-name",
                    cluster,
                    "--namespace",
                    &assoc.service_account.namespace,
                    "--service-account",
                    &assoc.service_account.name,
                    "--role-arn",
                    &a.role_arn,
                ])));
            }
        }
        if let Some(role) = &a.role {
            out.push(Command::comment(
                "EKS IRSA: trust the cluster's OIDC provider for exactly these ServiceAccounts",
            ));
            out.push(Command::run(words(&[
                "aws",
                "iam",
                "update-assume-role-policy",
                "--role-name",
                &a.role_name,
                "--policy-document",
                &role.trust_policy,
            ])));
            for arn in &role.policy_arns {
                out.push(Command::run(words(&[
                    "aws",
                    "iam",
                    "attach-role-policy",
                    "--role-name",
                    &a.role_name,
                    "--policy-arn",
                    arn,
                ])));
            }
        }
    }
    if let Some(z) = &b.azure {
        if z.create_identity {
            out.push(Command::comment("AKS: create the user-assigned identity"));
            out.push(Command::run(words(&[
                "az",
                "identity",
                "create",
                "--name",
                &z.identity_name,
                "--resource-group",
                &z.resource_group,
                "--location",
                z.location.as_deref().unwrap_or(""),
            ])));
        }
        out.push(Command::comment(
            "AKS: one federated identity credential per ServiceAccount",
        ));
        for c in &z.credentials {
            out.push(Command::run(words(&[
                "az",
                "identity",
                "federated-credential",
                "create",
                "--name",
                &c.object_name,
                "--identity-name",
                &z.identity_name,
                "--resource-group",
                &z.resource_group,
                "--issuer",
                &z.issuer,
                "--subject",
                &c.subject,
                "--audiences",
                AZURE_AUDIENCE,
            ])));
        }
    }
    out
}

/// One line of `--print-commands`: a comment, or a command's words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Comment(String),
    Run(Vec<String>),
}

impl Command {
    fn comment(s: &str) -> Self {
        Command::Comment(s.to_string())
    }
    fn run(words: Vec<String>) -> Self {
        Command::Run(words)
    }

    /// The line as a POSIX shell reads it: every word that is not plainly safe is
    /// single-quoted (a `'` inside becomes `'\''`).
    pub fn line(&self) -> String {
        match self {
            Command::Comment(c) => format!("# {c}"),
            Command::Run(words) => words
                .iter()
                .map(|w| shell_quote(w))
                .collect::<Vec<_>>()
                .join(" "),
        }
    }
}

/// `s` as one POSIX shell word.
pub fn shell_quote(s: &str) -> String {
    let safe = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+%".contains(c));
    if safe {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}
