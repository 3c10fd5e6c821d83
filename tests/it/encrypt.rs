//! The encrypted formats against real decryptors: the real `sops` (3.11) for SOPS documents,
//! and an independent Python implementation of the Sealed Secrets controller's unsealing
//! (`tests/tools/sealed.py`) for SealedSecrets, plus the SealedSecret CRD.

use crate::common;

use std::path::Path;
use std::process::Command;
use std::time::SystemTime;

use age::secrecy::ExposeSecret;
use common::*;
use recif_secrets::encrypt::sealed::{Scope, Sealer};
use recif_secrets::encrypt::sops::SopsAge;
use serde_json::{json, Value};

const SA: &str = r#"{"type":"service_account","client_email":"a@p.iam.gserviceaccount.com","private_key":"-----BEGIN PRIVATE KEY-----\nMII\n-----END PRIVATE KEY-----\n"}"#;

/// Secrets as the pipeline renders them (example values, hostile values) and edge cases
/// written by hand (stringData, an empty value, a label named `data`, `immutable`).
fn secrets() -> Vec<Value> {
    let mut out = Vec::new();
    let hostile = "quote\" 'x' \n\r\n---\n{{ 7 }} # : \u{2028}\u{85}\u{feff}\u{7f} émoji 🚀 ~ yes ";
    let values = json!({
        "llm": {"openaiApiKey": hostile, "googleApiKey": "AIza", "extraEnv": {"YES": "on", "EMPTY_OK": "e"},
                "gcp": {"serviceAccountKey": SA}},
        "namespaces": {"teams": ["team-a", "team-b"]},
        "secrets": {"commonLabels": {"tier": "yes"}, "commonAnnotations": {"note": "a: b # c"}},
    });
    let o = run(
        &["render", "-f", "-", "-o", "json"],
        &json_values_file(&values),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let list: Value = serde_json::from_str(&stdout(&o)).unwrap();
    out.extend(list["items"].as_array().unwrap().iter().cloned());
    assert_eq!(out.len(), 7, "3 agent-env, 3 gcp-adc, 1 platform");
    out.push(json!({
        "apiVersion": "v1", "kind": "Secret", "type": "Opaque", "immutable": true,
        "metadata": {"name": "edge", "namespace": "team-a",
                     "labels": {"data": "label-named-data", "app.kubernetes.io/managed-by": "recif-secrets"}},
        "data": {"A": "c2VjcmV0", "EMPTY": ""},
        "stringData": {"B": hostile, "C": ""},
    }));
    out.push(json!({
        "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": {"name": "nothing", "namespace": "team-a"},
        "data": {},
    }));
    out
}

fn yaml(v: &Value) -> String {
    let mut s = String::new();
    recif_secrets::yamlfmt::emit_document(&mut s, v);
    s
}

struct Age {
    dir: tempfile::TempDir,
    recipients: Vec<String>,
}

/// Two age identities; the key file holds only the second one, so decrypting proves that
/// every recipient gets the data key.
fn identities() -> Age {
    let dir = tempfile::tempdir().unwrap();
    let a = age::x25519::Identity::generate();
    let b = age::x25519::Identity::generate();
    std::fs::write(
        dir.path().join("keys.txt"),
        format!("{}\n", b.to_string().expose_secret()),
    )
    .unwrap();
    Age {
        recipients: vec![a.to_public().to_string(), b.to_public().to_string()],
        dir,
    }
}

fn sops_decrypt(sops: &Path, keys: &Path, file: &Path, json: bool) -> std::process::Output {
    let mut cmd = Command::new(sops);
    cmd.args(["--disable-version-check", "-d"]);
    if json {
        cmd.args(["--input-type", "yaml", "--output-type", "json"]);
    }
    cmd.arg(file)
        .env("SOPS_AGE_KEY_FILE", keys)
        .env_remove("SOPS_AGE_KEY")
        .output()
        .unwrap()
}

#[test]
#[cfg_attr(no_sops, ignore = "needs sops: run scripts/fetch-tools.sh")]
fn sops_documents_decrypt_to_exactly_the_plaintext_with_the_real_sops() {
    let sops = tool("SOPS", "sops");
    let age = identities();
    let list: Vec<(String, String)> = age
        .recipients
        .iter()
        .map(|r| ("test".to_string(), r.clone()))
        .collect();
    let enc = SopsAge::new(&list).unwrap();
    for (i, secret) in secrets().iter().enumerate() {
        let doc = enc.encrypt(secret, SystemTime::now()).unwrap();
        let text = yaml(&doc);
        for piece in ["c2VjcmV0", "émoji", "AIza"] {
            assert!(!text.contains(piece), "plaintext {piece:?} in {text}");
        }
        let file = age.dir.path().join(format!("{i}.yaml"));
        std::fs::write(&file, &text).unwrap();
        let out = sops_decrypt(&sops, &age.dir.path().join("keys.txt"), &file, true);
        assert!(out.status.success(), "case {i}: {}\n{text}", stderr(&out));
        let back: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(&back, secret, "case {i}");
        // The YAML sops prints reads back to the same object too.
        let out = sops_decrypt(&sops, &age.dir.path().join("keys.txt"), &file, false);
        assert!(out.status.success(), "case {i}: {}", stderr(&out));
        let back: Value = serde_yaml::from_slice(&out.stdout).unwrap();
        assert_eq!(&back, secret, "case {i}");
    }
}

#[test]
#[cfg_attr(no_sops, ignore = "needs sops: run scripts/fetch-tools.sh")]
fn sops_detects_tampering() {
    let sops = tool("SOPS", "sops");
    let age = identities();
    let enc = SopsAge::new(&[("t".into(), age.recipients[1].clone())]).unwrap();
    let secret = &secrets()[7];
    let doc = enc.encrypt(secret, SystemTime::now()).unwrap();
    let keys = age.dir.path().join("keys.txt");
    let file = age.dir.path().join("t.yaml");
    let check = |doc: &Value, expect: &str| {
        std::fs::write(&file, yaml(doc)).unwrap();
        let out = sops_decrypt(&sops, &keys, &file, true);
        assert!(!out.status.success(), "tampering not detected ({expect})");
        assert!(stderr(&out).contains(expect), "{expect}: {}", stderr(&out));
    };
    // An unencrypted field changed: the MAC no longer matches.
    let mut t = doc.clone();
    t["metadata"]["namespace"] = json!("team-evil");
    check(&t, "MAC mismatch");
    let mut t = doc.clone();
    t["immutable"] = json!(false);
    check(&t, "MAC mismatch");
    // An encrypted value moved to another key: its additional data no longer matches.
    let mut t = doc.clone();
    t["data"]["EMPTY"] = t["data"]["A"].clone();
    check(&t, "Could not decrypt value");
    // The timestamp changed: the MAC's additional data no longer matches.
    let mut t = doc.clone();
    t["sops"]["lastmodified"] = json!("2020-01-01T00:00:00Z");
    check(&t, "Cannot decrypt MAC");
    // A value dropped.
    let mut t = doc.clone();
    t["stringData"].as_object_mut().unwrap().remove("B");
    check(&t, "MAC mismatch");
    // Untouched, it decrypts.
    std::fs::write(&file, yaml(&doc)).unwrap();
    assert!(sops_decrypt(&sops, &keys, &file, true).status.success());
}

fn sealed_py() -> String {
    root().join("tests/tools/sealed.py").display().to_string()
}

/// A controller key pair in a temporary folder (key.pem, cert.pem).
fn controller(extra: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec![
        sealed_py(),
        "keygen".into(),
        dir.path().display().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = python(&args, "");
    assert!(out.status.success(), "{}", stderr(&out));
    dir
}

fn unseal(key: &Path, stream: &str) -> (bool, Vec<Value>, String) {
    let out = python(&[&sealed_py(), "unseal", key.to_str().unwrap()], stream);
    let docs = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (out.status.success(), docs, stderr(&out))
}

/// What the controller makes of a Secret: `stringData` merged into `data`.
fn as_unsealed(secret: &Value) -> Value {
    use base64::Engine;
    let mut s = secret.clone();
    let obj = s.as_object_mut().unwrap();
    let mut data = obj
        .remove("data")
        .and_then(|d| d.as_object().cloned())
        .unwrap_or_default();
    if let Some(Value::Object(sd)) = obj.remove("stringData") {
        for (k, v) in sd {
            data.insert(
                k,
                json!(base64::engine::general_purpose::STANDARD.encode(v.as_str().unwrap())),
            );
        }
    }
    obj.insert("data".into(), Value::Object(data));
    s
}

#[test]
#[cfg_attr(
    any(no_checker, no_pycrypto),
    ignore = "needs python3 with pyyaml, jsonschema, kubernetes-validate, cryptography: run scripts/fetch-tools.sh"
)]
fn sealed_secrets_unseal_with_an_independent_decryptor_in_every_scope() {
    python_needs("no_pycrypto");
    let ctl = controller(&[]);
    let pem = std::fs::read(ctl.path().join("cert.pem")).unwrap();
    for scope in [Scope::Strict, Scope::NamespaceWide, Scope::ClusterWide] {
        let sealer = Sealer::from_pem("cert.pem", &pem, scope, SystemTime::now()).unwrap();
        let secrets = secrets();
        let mut stream = String::new();
        for s in &secrets {
            let sealed = sealer.seal(s).unwrap();
            assert_eq!(sealed["spec"]["template"]["type"], "Opaque");
            assert_eq!(
                sealed["metadata"]["labels"], s["metadata"]["labels"],
                "the SealedSecret carries the Secret's labels"
            );
            stream.push_str("---\n");
            stream.push_str(&yaml(&sealed));
        }
        assert!(!stream.contains("c2VjcmV0") && !stream.contains("AIza"));
        if let Err(p) = check_manifests(&stream) {
            panic!("{scope:?}: {p}\n{stream}");
        }
        let (ok, docs, err) = unseal(&ctl.path().join("key.pem"), &stream);
        assert!(ok, "{scope:?}: {err}");
        assert_eq!(docs.len(), secrets.len());
        for (back, s) in docs.iter().zip(&secrets) {
            let mut expect = as_unsealed(s);
            if let Some(a) = match scope {
                Scope::Strict => None,
                Scope::NamespaceWide => Some("sealedsecrets.bitnami.com/namespace-wide"),
                Scope::ClusterWide => Some("sealedsecrets.bitnami.com/cluster-wide"),
            } {
                expect["metadata"]["annotations"][a] = json!("true");
            }
            assert_eq!(back, &expect, "{scope:?}");
        }
    }
}

#[test]
#[cfg_attr(
    no_pycrypto,
    ignore = "needs python3 with pyyaml, cryptography: run scripts/fetch-tools.sh"
)]
fn a_sealed_secret_moved_out_of_its_scope_does_not_unseal() {
    python_needs("no_pycrypto");
    let ctl = controller(&[]);
    let pem = std::fs::read(ctl.path().join("cert.pem")).unwrap();
    let key = ctl.path().join("key.pem");
    let secret = &secrets()[0];
    let seal = |scope| {
        Sealer::from_pem("cert.pem", &pem, scope, SystemTime::now())
            .unwrap()
            .seal(secret)
            .unwrap()
    };
    let stream = |v: &Value| format!("---\n{}", yaml(v));
    // Strict: another name, or another namespace, fails.
    let strict = seal(Scope::Strict);
    for (field, to) in [("name", "other"), ("namespace", "team-evil")] {
        let mut moved = strict.clone();
        moved["metadata"][field] = json!(to);
        let (ok, _, err) = unseal(&key, &stream(&moved));
        assert!(
            !ok && err.contains("cannot unseal"),
            "strict, {field}: {err}"
        );
    }
    // Claiming a wider scope than it was sealed for fails.
    let mut widened = strict.clone();
    widened["metadata"]["annotations"]["sealedsecrets.bitnami.com/cluster-wide"] = json!("true");
    assert!(!unseal(&key, &stream(&widened)).0);
    // Namespace-wide: another name is fine, another namespace is not.
    let ns_wide = seal(Scope::NamespaceWide);
    let mut renamed = ns_wide.clone();
    renamed["metadata"]["name"] = json!("other");
    assert!(unseal(&key, &stream(&renamed)).0);
    let mut moved = ns_wide.clone();
    moved["metadata"]["namespace"] = json!("team-evil");
    assert!(!unseal(&key, &stream(&moved)).0);
    // Cluster-wide: anywhere.
    let mut moved = seal(Scope::ClusterWide);
    moved["metadata"]["namespace"] = json!("team-evil");
    assert!(unseal(&key, &stream(&moved)).0);
    // Another controller's key fails.
    let other = controller(&[]);
    assert!(!unseal(&other.path().join("key.pem"), &stream(&strict)).0);
}

#[test]
#[cfg_attr(
    no_pycrypto,
    ignore = "needs python3 with pyyaml, cryptography: run scripts/fetch-tools.sh"
)]
fn expired_and_unusable_certificates_are_refused_clearly() {
    python_needs("no_pycrypto");
    let expired = controller(&["--expired"]);
    let pem = std::fs::read(expired.path().join("cert.pem")).unwrap();
    let e = Sealer::from_pem("cert.pem", &pem, Scope::Strict, SystemTime::now()).unwrap_err();
    assert!(e.0.contains("the certificate expired on "), "{e}");
    let key = std::fs::read(expired.path().join("key.pem")).unwrap();
    let e = Sealer::from_pem("key.pem", &key, Scope::Strict, SystemTime::now()).unwrap_err();
    assert!(
        e.0.contains("holds a PRIVATE KEY, not a certificate"),
        "{e}"
    );
    assert!(!e.0.contains("MII"), "no key material in errors: {e}");
    let small = controller(&["--bits", "1024"]);
    let pem = std::fs::read(small.path().join("cert.pem")).unwrap();
    let e = Sealer::from_pem("cert.pem", &pem, Scope::Strict, SystemTime::now()).unwrap_err();
    assert!(e.0.contains("1024 bits; at least 2048"), "{e}");
}

/// Issue 20: RSA keys of 2048 bits and more are accepted, RSA-8192 included (it used to be
/// refused as "not an RSA key"), and what they seal unseals with the controller's key.
#[test]
#[cfg_attr(
    no_pycrypto,
    ignore = "needs python3 with pyyaml, cryptography: run scripts/fetch-tools.sh"
)]
fn rsa_keys_of_2048_bits_and_more_are_accepted_8192_included() {
    python_needs("no_pycrypto");
    let bits = "8192";
    let ctl = controller(&["--bits", bits]);
    let pem = std::fs::read(ctl.path().join("cert.pem")).unwrap();
    let sealer = Sealer::from_pem("cert.pem", &pem, Scope::Strict, SystemTime::now())
        .unwrap_or_else(|e| panic!("{bits} bits: {e}"));
    let s = &secrets()[0];
    let stream = format!("---\n{}", yaml(&sealer.seal(s).unwrap()));
    let (ok, docs, err) = unseal(&ctl.path().join("key.pem"), &stream);
    assert!(ok, "{bits}: {err}");
    assert_eq!(docs[0], as_unsealed(s), "{bits}");
}
