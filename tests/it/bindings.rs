//! Workload Identity bindings (`workloadIdentity.bindings`): every emitted object passes its
//! operator's CRD (the CRDs in testdata/crds), the annotation, the IAM member and the
//! credential subjects come from one ServiceAccount list (a property test), Azure's limit of
//! 20 credentials, never an IAMPolicy, and `--print-commands` run as printed.

use crate::common;

use std::collections::BTreeSet;
use std::path::Path;

use common::*;
use proptest::prelude::*;
use serde_yaml::Value;

const CHECKER: &str = "tests/it/bindings_crds/check_crds.py";
/// The operators' CRDs (testdata/crds/README.md says where each comes from).
const BINDING_CRDS: &[&str] = &[
    "iam_v1beta1_iamserviceaccount.yaml",
    "iam_v1beta1_iampolicymember.yaml",
    "eks.services.k8s.aws_podidentityassociations.yaml",
    "iam.services.k8s.aws_roles.yaml",
    "managedidentity.azure.com_userassignedidentities.yaml",
    "managedidentity.azure.com_federatedidentitycredentials.yaml",
];

fn render_ok(args: &[&str]) -> String {
    let out = run(args, "");
    assert!(
        out.status.success(),
        "{args:?}: exit {:?}\n{}",
        out.status.code(),
        stderr(&out)
    );
    stdout(&out)
}

fn docs(stream: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(stream)
        .map(|d| Value::deserialize(d).unwrap())
        .filter(|v| !v.is_null())
        .collect()
}

use serde::Deserialize as _;

fn kind_of(v: &Value) -> &str {
    v["kind"].as_str().unwrap_or("")
}

/// Checks `stream` against the CRDs; `expect` objects must be validated.
fn crd_valid(stream: &str, expect: usize) -> Result<(), String> {
    let checker = root().join(CHECKER);
    let crds: Vec<String> = BINDING_CRDS
        .iter()
        .map(|f| root().join("testdata/crds").join(f).display().to_string())
        .collect();
    let mut args = vec![checker.to_str().unwrap()];
    args.extend(crds.iter().map(String::as_str));
    let expect = expect.to_string();
    args.extend(["--expect", &expect]);
    let out = python(&args, stream);
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{}{}", stdout(&out), stderr(&out)))
    }
}

fn binding_count(stream: &str) -> usize {
    docs(stream)
        .iter()
        .filter(|d| {
            !d["apiVersion"]
                .as_str()
                .is_some_and(|a| a == "v1" || a.starts_with("external-secrets.io/"))
        })
        .count()
}

#[test]
#[cfg_attr(
    no_jsonschema,
    ignore = "needs python3 with pyyaml, jsonschema: run scripts/fetch-tools.sh"
)]
fn every_binding_object_passes_its_crd() {
    python_needs("no_jsonschema");
    let examples = [
        ("examples/workload-identity-bindings-gke.yaml", vec![], 4),
        (
            "examples/workload-identity-bindings-gke.yaml",
            vec![
                "--set",
                "workloadIdentity.bindings.gcp.createServiceAccount=false",
                "--set-json",
                r#"workloadIdentity.bindings.gcp.projectRoles=["roles/aiplatform.user","projects/my-project-123/roles/agent_reader","roles/secretmanager.secretAccessor"]"#,
            ],
            5,
        ),
        ("examples/workload-identity-bindings-eks.yaml", vec![], 2),
        (
            "examples/workload-identity-bindings-eks-irsa.yaml",
            vec![],
            1,
        ),
        (
            "examples/workload-identity-bindings-eks-irsa.yaml",
            vec![
                "--set-json",
                "workloadIdentity.bindings.aws.policyArns=[]",
                "--set",
                "workloadIdentity.awsRoleArn=arn:aws:iam::123456789012:role/team/agents",
            ],
            1,
        ),
        ("examples/workload-identity-bindings-aks.yaml", vec![], 3),
        (
            "examples/workload-identity-bindings-aks.yaml",
            vec![
                "--set",
                "workloadIdentity.bindings.azure.createIdentity=false",
            ],
            2,
        ),
    ];
    for (file, extra, n) in examples {
        let mut args = vec!["render", "-f", file];
        args.extend(extra.iter().copied());
        let out = render_ok(&args);
        assert_eq!(binding_count(&out), n, "{args:?}");
        if let Err(e) = crd_valid(&out, n) {
            panic!("{args:?}:\n{e}");
        }
    }
    // The checker can fail: a field the CRD does not have, and a resourceRef with both forms.
    let out = render_ok(&[
        "render",
        "-f",
        "examples/workload-identity-bindings-gke.yaml",
    ]);
    let bad = out.replacen("  displayName:", "  bogus: 1\n  displayName:", 1);
    assert!(crd_valid(&bad, 4)
        .unwrap_err()
        .contains("spec.bogus: unknown field"));
    let bad = out.replacen(
        "    name: recif-sa\n",
        "    name: recif-sa\n    external: x\n",
        1,
    );
    assert!(crd_valid(&bad, 4).is_err());
    assert!(crd_valid(&out, 3).is_err(), "the count is checked");
}

#[test]
fn without_bindings_enabled_the_output_is_unchanged() {
    for file in [
        "examples/workload-identity-bindings-gke.yaml",
        "examples/workload-identity-bindings-eks.yaml",
        "examples/workload-identity-bindings-aks.yaml",
    ] {
        let on = render_ok(&["render", "-f", file]);
        let off = render_ok(&[
            "render",
            "-f",
            file,
            "--set",
            "workloadIdentity.bindings.enabled=false",
        ]);
        assert_eq!(binding_count(&off), 0);
        assert!(binding_count(&on) > 0);
        // The same ServiceAccounts; with EKS Pod Identity, the annotation is dropped (not
        // needed), else they are identical.
        let sas = |s: &str| {
            docs(s)
                .into_iter()
                .filter(|d| kind_of(d) == "ServiceAccount")
                .collect::<Vec<_>>()
        };
        if file.contains("eks") {
            assert_eq!(sas(&on).len(), sas(&off).len());
            assert!(!on.contains("eks.amazonaws.com/role-arn"));
            assert!(off.contains("eks.amazonaws.com/role-arn"));
        } else {
            assert_eq!(sas(&on), sas(&off), "{file}");
        }
    }
}

/// The (namespace, name) pairs that the objects of one cloud name.
#[derive(Default, Debug)]
struct Named {
    annotated: BTreeSet<(String, String)>,
    gke_members: BTreeSet<(String, String)>,
    irsa_subjects: BTreeSet<(String, String)>,
    pod_identity: BTreeSet<(String, String)>,
    azure_subjects: BTreeSet<(String, String)>,
}

fn subject_pair(s: &str) -> (String, String) {
    let rest = s
        .strip_prefix("system:serviceaccount:")
        .unwrap_or_else(|| panic!("subject {s}"));
    let (ns, name) = rest.split_once(':').unwrap();
    (ns.to_string(), name.to_string())
}

fn named(stream: &str) -> Named {
    let mut n = Named::default();
    for d in docs(stream) {
        let s = |v: &Value| v.as_str().unwrap_or("").to_string();
        match kind_of(&d) {
            "ServiceAccount"
                if d["metadata"]["annotations"]["iam.gke.io/gcp-service-account"].is_string() =>
            {
                n.annotated
                    .insert((s(&d["metadata"]["namespace"]), s(&d["metadata"]["name"])));
            }
            "IAMPolicyMember" if d["spec"]["role"] == "roles/iam.workloadIdentityUser" => {
                let m = s(&d["spec"]["member"]);
                let inner = m.split_once('[').unwrap().1.trim_end_matches(']');
                let (ns, name) = inner.split_once('/').unwrap();
                n.gke_members.insert((ns.to_string(), name.to_string()));
            }
            "Role" => {
                let policy: serde_json::Value =
                    serde_json::from_str(d["spec"]["assumeRolePolicyDocument"].as_str().unwrap())
                        .unwrap();
                let cond = &policy["Statement"][0]["Condition"]["StringEquals"];
                let (_, subs) = cond
                    .as_object()
                    .unwrap()
                    .iter()
                    .find(|(k, _)| k.ends_with(":sub"))
                    .unwrap();
                for sub in subs.as_array().unwrap() {
                    n.irsa_subjects.insert(subject_pair(sub.as_str().unwrap()));
                }
            }
            "PodIdentityAssociation" => {
                n.pod_identity
                    .insert((s(&d["spec"]["namespace"]), s(&d["spec"]["serviceAccount"])));
            }
            "FederatedIdentityCredential" => {
                n.azure_subjects
                    .insert(subject_pair(&s(&d["spec"]["subject"])));
            }
            _ => {}
        }
    }
    n
}

fn dns_label() -> impl Strategy<Value = String> {
    "[a-z]([a-z0-9-]{0,20}[a-z0-9])?"
}

fn sa_name() -> impl Strategy<Value = String> {
    "[a-z0-9]([a-z0-9.-]{0,30}[a-z0-9])?".prop_filter("a DNS subdomain", |s| {
        !s.contains("..") && !s.contains(".-") && !s.contains("-.")
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// One ServiceAccount list drives the annotation, the GKE member, the IRSA or Pod
    /// Identity binding and the AKS subject: whatever the names, the five sets are the list.
    #[test]
    fn annotation_member_and_subjects_come_from_one_list(
        accounts in prop::collection::btree_set((dns_label(), sa_name()), 1..12),
        irsa in any::<bool>(),
    ) {
        let list: Vec<serde_json::Value> = accounts
            .iter()
            .map(|(ns, name)| serde_json::json!({"namespace": ns, "name": name}))
            .collect();
        let sets = format!("workloadIdentity.serviceAccounts={}", serde_json::Value::Array(list));
        let mode = format!("workloadIdentity.bindings.aws.mode={}", if irsa { "irsa" } else { "podIdentity" });
        let out = render_ok(&[
            "render",
            "-f", "examples/workload-identity-bindings-gke.yaml",
            "--set-json", &sets,
            "--set", "workloadIdentity.awsRoleArn=arn:aws:iam::123456789012:role/recif-agents",
            "--set", &mode,
            "--set", "workloadIdentity.bindings.aws.clusterName=prod",
            "--set", "workloadIdentity.bindings.aws.oidcProvider=oidc.eks.us-east-1.amazonaws.com/id/X",
            "--set", "workloadIdentity.azureClientId=00000000-1111-2222-3333-444444444444",
            "--set", "workloadIdentity.bindings.azure.identityName=recif-agents",
            "--set", "workloadIdentity.bindings.azure.oidcIssuer=https://issuer.example/x/",
            "--set", "workloadIdentity.bindings.azure.resourceGroup=rg",
        ]);
        let n = named(&out);
        let want: BTreeSet<(String, String)> = accounts.into_iter().collect();
        prop_assert_eq!(&n.annotated, &want);
        prop_assert_eq!(&n.gke_members, &want);
        prop_assert_eq!(&n.azure_subjects, &want);
        if irsa {
            prop_assert_eq!(&n.irsa_subjects, &want);
            prop_assert!(n.pod_identity.is_empty());
        } else {
            prop_assert_eq!(&n.pod_identity, &want);
            prop_assert!(n.irsa_subjects.is_empty());
        }
        // Object names are distinct per kind, so no binding overwrites another.
        let mut seen = BTreeSet::new();
        for d in docs(&out) {
            let id = (kind_of(&d).to_string(), d["metadata"]["namespace"].as_str().map(String::from), d["metadata"]["name"].as_str().unwrap().to_string());
            prop_assert!(seen.insert(id.clone()), "{:?} twice", id);
        }
    }
}

fn accounts_json(n: usize) -> String {
    let list: Vec<serde_json::Value> = (0..n)
        .map(|i| serde_json::json!({"namespace": format!("team-{i}"), "name": "recif-agent"}))
        .collect();
    format!(
        "workloadIdentity.serviceAccounts={}",
        serde_json::Value::Array(list)
    )
}

#[test]
fn azure_allows_twenty_credentials_per_identity_and_refuses_the_twenty_first() {
    let file = "examples/workload-identity-bindings-aks.yaml";
    let out = run(
        &["render", "-f", file, "--set-json", &accounts_json(20)],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        docs(&stdout(&out))
            .iter()
            .filter(|d| kind_of(d) == "FederatedIdentityCredential")
            .count(),
        20
    );
    let out = run(
        &["render", "-f", file, "--set-json", &accounts_json(21)],
        "",
    );
    expect_exit(&out, 1, "");
    assert!(out.stdout.is_empty());
    let e = stderr(&out);
    assert!(
        e.contains("--set-json workloadIdentity.serviceAccounts")
            && e.contains("\"recif-agents\"")
            && e.contains("at most 20"),
        "{e}"
    );
}

#[test]
fn never_an_iam_policy() {
    for entry in std::fs::read_dir(root().join("examples"))
        .unwrap()
        .flatten()
    {
        let p = entry.path();
        if p.extension().is_none_or(|x| x != "yaml") {
            continue;
        }
        let out = run(&["render", "-f", p.to_str().unwrap()], "");
        for d in docs(&stdout(&out)) {
            assert!(
                !matches!(kind_of(&d), "IAMPolicy" | "IAMPartialPolicy"),
                "{}",
                p.display()
            );
        }
    }
    // Not even from a template override.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bindings.yaml"),
        "---\napiVersion: iam.cnrm.cloud.google.com/v1beta1\nkind: IAMPolicy\nmetadata:\n  name: p\n  namespace: recif-system\nspec:\n  resourceRef: {kind: Project, external: projects/p}\n  bindings: []\n",
    )
    .unwrap();
    let out = run(
        &[
            "render",
            "-f",
            "examples/workload-identity-bindings-gke.yaml",
            "--templates",
            dir.path().to_str().unwrap(),
        ],
        "",
    );
    expect_exit(&out, 1, "");
    assert!(stderr(&out).contains("only emits"), "{}", stderr(&out));
    // A binding object while bindings are off is refused too.
    let out = run(
        &[
            "render",
            "-f",
            "examples/workload-identity-bindings-gke.yaml",
            "--set",
            "workloadIdentity.bindings.enabled=false",
            "--templates",
            write_binding_override(dir.path()).to_str().unwrap(),
        ],
        "",
    );
    expect_exit(&out, 1, "");
    assert!(
        stderr(&out).contains("workloadIdentity.bindings.enabled is not true"),
        "{}",
        stderr(&out)
    );
}

fn write_binding_override(dir: &Path) -> std::path::PathBuf {
    let d = dir.join("member");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(
        d.join("bindings.yaml"),
        "---\napiVersion: iam.cnrm.cloud.google.com/v1beta1\nkind: IAMPolicyMember\nmetadata:\n  name: m\n  namespace: recif-system\nspec:\n  member: user:x@example.com\n  role: roles/owner\n  resourceRef: {kind: Project, external: projects/p}\n",
    )
    .unwrap();
    d
}

#[test]
fn binding_problems_are_errors_at_their_source() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "secrets: {provider: none}\nworkloadIdentity:\n  awsRoleArn: arn:aws:iam::123456789012:role/r\n  bindings:\n    enabled: true\n",
            "workloadIdentity.bindings.aws.clusterName",
            "is required",
        ),
        (
            "secrets: {provider: none}\nworkloadIdentity:\n  awsRoleArn: arn:aws:iam::123456789012:role/r\n  bindings:\n    enabled: true\n    aws:\n      mode: irsa\n      oidcProvider: https://oidc.eks.us-east-1.amazonaws.com/id/X\n",
            "v.yaml:8:",
            "without the https:// scheme",
        ),
        (
            "secrets: {provider: none}\nllm: {gcp: {project: my-project-123}}\nworkloadIdentity:\n  bindings:\n    enabled: true\n    gcp:\n      projectRoles: [aiplatform.user]\n",
            "v.yaml:7:",
            "is not a role",
        ),
        (
            "secrets: {provider: none}\nllm: {gcp: {project: my-project-123}}\nworkloadIdentity:\n  bindings:\n    enabled: true\n    gcp:\n      workloadPool: my-project-123\n",
            "v.yaml:7:",
            "is not a workload pool",
        ),
        (
            "secrets: {provider: none}\nworkloadIdentity:\n  azureClientId: 00000000-1111-2222-3333-444444444444\n  bindings:\n    enabled: true\n    azure: {identityName: id, oidcIssuer: 'http://x', resourceGroup: rg}\n",
            "workloadIdentity.bindings.azure.oidcIssuer",
            "is not an https:// URL",
        ),
        (
            "secrets: {provider: none}\nworkloadIdentity:\n  azureClientId: 00000000-1111-2222-3333-444444444444\n  bindings:\n    enabled: true\n    azure: {identityName: id, oidcIssuer: 'https://x/', resourceGroup: rg, createIdentity: true}\n",
            "workloadIdentity.bindings.azure.location",
            "is required with createIdentity",
        ),
        (
            "secrets: {provider: none}\nworkloadIdentity:\n  awsRoleArn: arn:aws:iam::123456789012:role/r\n  bindings:\n    enabled: true\n    aws: {mode: both}\n",
            "workloadIdentity.bindings.aws.mode",
            "expected one of: podIdentity, irsa",
        ),
    ];
    for (values, at, what) in cases {
        let f = dir.path().join("v.yaml");
        std::fs::write(&f, values).unwrap();
        let out = run(&["render", "-f", f.to_str().unwrap()], "");
        let e = stderr(&out);
        expect_exit(&out, 1, &format!("{values}\n{e}"));
        assert!(out.stdout.is_empty());
        assert!(
            e.contains(at) && e.contains(what),
            "{values}\nwant {at} / {what} in:\n{e}"
        );
    }
}

/// The printed commands, run by `sh` with stand-in gcloud, aws and az that record the words
/// they were given: each cloud CLI receives exactly the words intended (quoting holds for
/// members with brackets, JSON policies and spaces).
#[test]
fn printed_commands_run_as_printed() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = dir.path().join("calls");
    for cli in ["gcloud", "aws", "az"] {
        let script = format!(
            "#!/bin/sh\n{{ printf '%s' {cli}; for a in \"$@\"; do printf '\\037%s' \"$a\"; done; printf '\\n'; }} >> '{}'\n",
            log.display()
        );
        let p = bin.join(cli);
        std::fs::write(&p, script).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut expected: Vec<Vec<String>> = Vec::new();
    let mut printed = String::new();
    for (file, extra) in [
        (
            "examples/workload-identity-bindings-gke.yaml",
            vec![
                "--set",
                "workloadIdentity.bindings.gcp.displayName=Recif 'agents'",
            ],
        ),
        ("examples/workload-identity-bindings-eks.yaml", vec![]),
        ("examples/workload-identity-bindings-eks-irsa.yaml", vec![]),
        ("examples/workload-identity-bindings-aks.yaml", vec![]),
    ] {
        let mut args = vec!["render", "-f", file, "--print-commands"];
        args.extend(extra.iter().copied());
        printed.push_str(&render_ok(&args));
        // What the objects say, as the commands' words.
        let mut objects_args = vec!["render", "-f", file];
        objects_args.extend(extra.iter().copied());
        let objects = render_ok(&objects_args);
        for d in docs(&objects) {
            let s = |v: &Value| v.as_str().unwrap().to_string();
            let w = |ws: &[&str]| ws.iter().map(|x| x.to_string()).collect::<Vec<_>>();
            match kind_of(&d) {
                "IAMServiceAccount" => expected.push(w(&[
                    "gcloud",
                    "iam",
                    "service-accounts",
                    "create",
                    "recif-sa",
                    "--project=my-project-123",
                    &format!("--display-name={}", s(&d["spec"]["displayName"])),
                ])),
                "IAMPolicyMember" if d["spec"]["role"] == "roles/iam.workloadIdentityUser" => {
                    expected.push(w(&[
                        "gcloud",
                        "iam",
                        "service-accounts",
                        "add-iam-policy-binding",
                        "recif-sa@my-project-123.iam.gserviceaccount.com",
                        "--project=my-project-123",
                        "--role=roles/iam.workloadIdentityUser",
                        &format!("--member={}", s(&d["spec"]["member"])),
                        "--condition=None",
                    ]))
                }
                "IAMPolicyMember" => expected.push(w(&[
                    "gcloud",
                    "projects",
                    "add-iam-policy-binding",
                    "my-project-123",
                    "--member=serviceAccount:recif-sa@my-project-123.iam.gserviceaccount.com",
                    &format!("--role={}", s(&d["spec"]["role"])),
                    "--condition=None",
                ])),
                "PodIdentityAssociation" => expected.push(w(&[
                    "aws",
                    "eks",
                    "create-pod-identity-association",
                    "--cluster-name",
                    &s(&d["spec"]["clusterName"]),
                    "--namespace",
                    &s(&d["spec"]["namespace"]),
                    "--service-account",
                    &s(&d["spec"]["serviceAccount"]),
                    "--role-arn",
                    &s(&d["spec"]["roleARN"]),
                ])),
                "Role" => {
                    expected.push(w(&[
                        "aws",
                        "iam",
                        "update-assume-role-policy",
                        "--role-name",
                        &s(&d["spec"]["name"]),
                        "--policy-document",
                        &s(&d["spec"]["assumeRolePolicyDocument"]),
                    ]));
                    for p in d["spec"]["policies"].as_sequence().into_iter().flatten() {
                        expected.push(w(&[
                            "aws",
                            "iam",
                            "attach-role-policy",
                            "--role-name",
                            &s(&d["spec"]["name"]),
                            "--policy-arn",
                            &s(p),
                        ]));
                    }
                }
                "UserAssignedIdentity" => expected.push(w(&[
                    "az",
                    "identity",
                    "create",
                    "--name",
                    &s(&d["metadata"]["name"]),
                    "--resource-group",
                    &s(&d["spec"]["owner"]["name"]),
                    "--location",
                    &s(&d["spec"]["location"]),
                ])),
                "FederatedIdentityCredential" => expected.push(w(&[
                    "az",
                    "identity",
                    "federated-credential",
                    "create",
                    "--name",
                    &s(&d["metadata"]["name"]),
                    "--identity-name",
                    &s(&d["spec"]["owner"]["name"]),
                    "--resource-group",
                    "recif-rg",
                    "--issuer",
                    &s(&d["spec"]["issuer"]),
                    "--subject",
                    &s(&d["spec"]["subject"]),
                    "--audiences",
                    "api://AzureADTokenExchange",
                ])),
                _ => {}
            }
        }
    }
    let script = dir.path().join("bind.sh");
    std::fs::write(&script, &printed).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let status = std::process::Command::new("sh")
        .arg(&script)
        .env("PATH", path)
        .status()
        .unwrap();
    assert!(status.success());
    let calls: Vec<Vec<String>> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| l.split('\u{1f}').map(String::from).collect())
        .collect();
    let mut got = calls.clone();
    got.sort();
    expected.sort();
    assert_eq!(got, expected, "printed:\n{printed}");
}

/// `doctor` in Workload Identity mode, with the real kubectl against the stand-in API server:
/// every binding present and Ready; one missing; one not Ready; the operator not installed.
#[test]
#[cfg_attr(
    any(no_kubectl, no_python3),
    ignore = "needs kubectl; python3: run scripts/fetch-tools.sh"
)]
fn doctor_checks_the_bindings_in_the_cluster() {
    use common::standin::{kubectl, Cluster, StandIn};
    let k = kubectl();
    let doctor = |cluster: Cluster| -> (i32, String) {
        let s = StandIn::start(&cluster);
        let kc = s.kubeconfig();
        let out = common::run_env(
            &[
                "doctor",
                "-f",
                "examples/workload-identity-bindings-gke.yaml",
                "--kubectl",
                k.to_str().unwrap(),
                "--kubeconfig",
                kc.to_str().unwrap(),
            ],
            &[("KUBECACHEDIR", &s.cache_dir())],
        );
        s.assert_read_only();
        (
            out.status.code().unwrap_or(-1),
            stdout(&out) + &stderr(&out),
        )
    };
    let member = "IAMPolicyMember recif-system/recif-sa-wi-team-default-recif-agent";
    let (code, text) = doctor(Cluster::new(&["workload-identity-bindings.json"]));
    assert_eq!(code, 0, "{text}");
    assert!(text.contains(&format!("ok               {member}: bound: serviceAccount:my-project-123.svc.id.goog[team-default/recif-agent] has roles/iam.workloadIdentityUser; Ready True (UpToDate)")), "{text}");
    assert!(
        text.contains("ok               IAMServiceAccount recif-system/recif-sa: bound"),
        "{text}"
    );

    let missing = "IAMPolicyMember/recif-system/recif-sa-wi-team-default-recif-agent";
    let (code, text) = doctor(Cluster::new(&["workload-identity-bindings.json"]).without(missing));
    assert_eq!(code, 4, "{text}");
    assert!(text.contains(&format!("problem          {member}: bound: not found: serviceAccount:my-project-123.svc.id.goog[team-default/recif-agent] has roles/iam.workloadIdentityUser is not bound")), "{text}");

    let (code, text) = doctor(Cluster::new(&[
        "workload-identity-bindings.json",
        "workload-identity-bindings-failing.json",
    ]));
    assert_eq!(code, 4, "{text}");
    assert!(text.contains(&format!("problem          {member}: bound: Ready False (UpdateFailed): Error setting IAM policy")), "{text}");
    assert!(
        text.contains("Config Connector could not create the binding"),
        "{text}"
    );

    // Config Connector not installed: the objects cannot be read, and doctor says why.
    let (code, text) = doctor(Cluster::new(&["workload-identity.json"]));
    assert_eq!(code, 4, "{text}");
    assert!(
        text.contains(&format!("could not check  {member}: bound")),
        "{text}"
    );
    assert!(text.contains("install Config Connector"), "{text}");
}
