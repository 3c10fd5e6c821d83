// @generated from src/defaults.yaml by the test first_millisecond::the_generated_defaults_are_current
// (`UPDATE_SNAPSHOTS=1 cargo test --test it the_generated_defaults`). Do not edit.

use super::{boolean, map, seq, string, Node};

/// The tree of src/defaults.yaml, every node's origin the built-in defaults.
#[rustfmt::skip]
pub(super) fn tree() -> Node {
    map(vec![
        ("llm", map(vec![
            ("anthropicApiKey", string("")),
            ("extraEnv", map(vec![])),
            ("gcp", map(vec![
                ("location", string("")),
                ("project", string("")),
                ("serviceAccountKey", string("")),
                ("serviceAccountKeyBase64", string("")),
            ])),
            ("googleApiKey", string("")),
            ("openaiApiKey", string("")),
        ])),
        ("namespaces", map(vec![
            ("create", boolean(false)),
            ("defaultTeam", string("team-default")),
            ("teams", seq(vec![])),
        ])),
        ("secrets", map(vec![
            ("allowEmptyAgentEnv", boolean(false)),
            ("commonAnnotations", map(vec![])),
            ("commonLabels", map(vec![])),
            ("external", map(vec![
                ("apiVersion", string("external-secrets.io/v1")),
                ("externalSecretSpec", map(vec![])),
                ("keys", map(vec![
                    ("agentEnv", string("recif/agent-env")),
                    ("gcpServiceAccount", string("recif/gcp-sa")),
                    ("gcpServiceAccountDecodingStrategy", string("None")),
                    ("gcpServiceAccountProperty", string("")),
                    ("gcpServiceAccountVersion", string("")),
                ])),
                ("overrides", map(vec![])),
                ("refreshInterval", string("1h")),
                ("store", map(vec![])),
                ("storeKind", string("ClusterSecretStore")),
                ("storeName", string("recif-secret-store")),
            ])),
            ("provider", string("inline")),
        ])),
        ("workloadIdentity", map(vec![
            ("awsRoleArn", string("")),
            ("azureClientId", string("")),
            ("azureTenantId", string("")),
            ("bindings", map(vec![
                ("aws", map(vec![
                    ("clusterName", string("")),
                    ("mode", string("podIdentity")),
                    ("oidcProvider", string("")),
                    ("policyArns", seq(vec![])),
                ])),
                ("azure", map(vec![
                    ("createIdentity", boolean(false)),
                    ("identityName", string("")),
                    ("location", string("")),
                    ("oidcIssuer", string("")),
                    ("resourceGroup", string("")),
                ])),
                ("enabled", boolean(false)),
                ("gcp", map(vec![
                    ("createServiceAccount", boolean(false)),
                    ("displayName", string("Recif Platform")),
                    ("projectRoles", seq(vec![
                        string("roles/aiplatform.user"),
                    ])),
                    ("workloadPool", string("")),
                ])),
            ])),
            ("gcpServiceAccount", string("")),
            ("llmKeys", string("none")),
            ("serviceAccounts", seq(vec![])),
        ])),
    ])
}
