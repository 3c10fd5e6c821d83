//! scripts/check-manifests.py, the strict checker every rendered stream goes through in the
//! tests and in .ci/run, can fail: each bad object below is refused with its reason, and a
//! good stream of every kind we emit passes.

use crate::common;

use common::*;

/// The checker's output for `stream`, and whether it passed.
fn check(stream: &str) -> (bool, String) {
    let out = python(&[checker().to_str().unwrap()], stream);
    (
        out.status.success(),
        format!("{}{}", stdout(&out), stderr(&out)),
    )
}

const GOOD_SECRET: &str =
    "apiVersion: v1\nkind: Secret\nmetadata: {name: agent-env, namespace: team-a}\ntype: Opaque\ndata: {K: dg==}\n";

#[test]
#[cfg_attr(
    no_checker,
    ignore = "needs python3 with pyyaml, jsonschema, kubernetes-validate: run scripts/fetch-tools.sh"
)]
fn good_objects_of_every_kind_pass() {
    let stream = format!(
        "{GOOD_SECRET}---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: recif-api, namespace: recif-system, annotations: {{iam.gke.io/gcp-service-account: a@p.iam.gserviceaccount.com}}}}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: team-a}}\n---\n{}",
        "apiVersion: iam.cnrm.cloud.google.com/v1beta1\nkind: IAMPolicyMember\nmetadata: {name: m, namespace: n}\nspec:\n  member: serviceAccount:p.svc.id.goog[ns/ksa]\n  role: roles/iam.workloadIdentityUser\n  resourceRef: {kind: IAMServiceAccount, name: gsa}\n"
    );
    let (ok, text) = check(&stream);
    assert!(ok, "{text}");
    assert!(text.contains("\"documents\": 4"), "{text}");
    // The Kubernetes versions checked: 1.29 up to the newest kubernetes-validate ships.
    assert!(
        text.contains("\"1.29\"") && text.contains("\"1.35\""),
        "{text}"
    );
}

#[test]
#[cfg_attr(
    no_checker,
    ignore = "needs python3 with pyyaml, jsonschema, kubernetes-validate: run scripts/fetch-tools.sh"
)]
fn each_bad_object_is_refused_with_its_reason() {
    let cases: &[(&str, &str)] = &[
        // Core objects: kubernetes-validate, strict.
        (
            "apiVersion: v1\nkind: Secret\nmetadata: {name: a, namespace: b}\ntypo: 1\n",
            "'typo' was unexpected",
        ),
        (
            "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a, namespace: b, labelz: {}}\n",
            "'labelz' was unexpected",
        ),
        (
            "apiVersion: v1\nkind: Secret\nmetadata: {name: a, namespace: b}\ndata: {k: 1}\n",
            "data.k",
        ),
        // What the API server checks beyond the schema.
        (
            "apiVersion: v1\nkind: Secret\nmetadata: {name: a, namespace: b}\ndata: {k: '!!'}\n",
            "data.k is not valid base64",
        ),
        (
            "apiVersion: v1\nkind: Secret\nmetadata: {name: A_b, namespace: b}\n",
            "is not a DNS-1123 subdomain",
        ),
        (
            "apiVersion: v1\nkind: Secret\nmetadata: {name: a, namespace: b}\ndata: {'a b': dg==}\n",
            "is not a valid Secret key",
        ),
        (
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: a, namespace: b}\n",
            "cluster-scoped object has metadata.namespace",
        ),
        // Custom resources: the CRD's schema, strictly.
        (
            "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata: {name: e, namespace: n}\nspec: {secretStoreRef: {name: s, kind: SecretStore}, dataFrom: [{extract: {key: k}}], refreshIntervall: 1h}\n",
            "'refreshIntervall' was unexpected",
        ),
        (
            "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata: {name: e, namespace: n, bogus: x}\nspec: {secretStoreRef: {name: s, kind: SecretStore}}\n",
            "'bogus' was unexpected",
        ),
        (
            "apiVersion: external-secrets.io/v2\nkind: ExternalSecret\nmetadata: {name: e, namespace: n}\n",
            "has no version 'v2'",
        ),
        (
            "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: s, namespace: n}\nspec: {encryptedData: {k: 1}}\n",
            "spec.encryptedData.k",
        ),
        // Custom resources: the CRD's CEL rules.
        (
            "apiVersion: external-secrets.io/v1\nkind: ClusterSecretStore\nmetadata: {name: s}\nspec:\n  provider:\n    doppler:\n      auth:\n        secretRef: {dopplerToken: {name: x, key: y}}\n        oidcConfig: {identity: i, serviceAccountRef: {name: sa}}\n",
            "Exactly one of 'secretRef' or 'oidcConfig' must be specified",
        ),
        (
            "apiVersion: external-secrets.io/v1alpha1\nkind: PushSecret\nmetadata: {name: p, namespace: n}\nspec:\n  selector: {secret: {name: s}}\n  dataTo: [{storeRef: {kind: SecretStore}}]\n",
            "storeRef must specify either name or labelSelector",
        ),
        // ... and the structural keywords of other CRDs (Config Connector's oneOf).
        (
            "apiVersion: iam.cnrm.cloud.google.com/v1beta1\nkind: IAMPolicyMember\nmetadata: {name: m, namespace: n}\nspec:\n  member: serviceAccount:p.svc.id.goog[ns/ksa]\n  memberFrom: {serviceAccountRef: {name: x}}\n  role: roles/iam.workloadIdentityUser\n  resourceRef: {kind: IAMServiceAccount, name: gsa}\n",
            "is valid under each of",
        ),
        // Anything else.
        (
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: n}\n",
            "unexpected kind 'ConfigMap'",
        ),
    ];
    // One run over every case (a Python start each would cost seconds): the good Secret is
    // document 0, case i is document i + 1, and each must have its own reason.
    let stream = std::iter::once(GOOD_SECRET)
        .chain(cases.iter().map(|(object, _)| *object))
        .collect::<Vec<_>>()
        .join("---\n");
    let (ok, text) = check(&stream);
    assert!(!ok, "{text}");
    assert!(
        !text.contains("document 0 "),
        "the good Secret was refused:\n{text}"
    );
    for (i, (object, reason)) in cases.iter().enumerate() {
        let prefix = format!("document {} ", i + 1);
        assert!(
            text.lines()
                .any(|l| l.starts_with(&prefix) && l.contains(reason)),
            "{object}\nwanted {reason:?} for {prefix}, got:\n{text}"
        );
    }
    assert!(
        text.contains(&format!("\"problems\": {}", text.lines().count() - 1)),
        "{text}"
    );
}
