use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::SystemTime;

use serde_json::{json, Value};

use super::*;

fn sops() -> Scheme {
    let r = age::x25519::Identity::generate().to_public().to_string();
    Scheme::new(sops::SopsAge::new(&[("test".into(), r)]).unwrap())
}

fn sealer() -> Scheme {
    let pem = include_bytes!("../../benches/sealing-cert.pem");
    Scheme::new(
        sealed::Sealer::from_pem("c.pem", pem, sealed::Scope::Strict, SystemTime::now()).unwrap(),
    )
}

/// `check` finds exactly the errors `encrypt` gives, so that every one is found before the
/// first byte is written.
#[test]
fn check_gives_the_errors_encrypt_gives() {
    let secret = |extra: Value| {
        let mut s = json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "a", "namespace": "n"}, "data": {"K": "dg=="}});
        for (k, v) in extra.as_object().unwrap() {
            s[k] = v.clone();
        }
        s
    };
    let cases = [
        json!("not a map"),
        secret(json!({"sops": {}})),
        secret(json!({"x": {"l": [1, {"f": 1.5}]}})),
        secret(json!({"metadata": {"name": "a"}})),
        secret(json!({"metadata": "x"})),
        secret(json!({"data": {"K": "not base64!"}})),
        secret(json!({"stringData": {"S": "s"}})),
        secret(json!({})),
    ];
    let mut refused = 0;
    for scheme in [sops(), sealer()] {
        for case in &cases {
            let want = scheme.encrypt(case.clone(), SystemTime::now()).err();
            refused += usize::from(want.is_some());
            assert_eq!(scheme.check(case).err(), want, "{case}");
        }
    }
    assert!(refused >= 6, "the cases exercise the errors: {refused}");
}

#[test]
fn the_registry_names_every_format_once() {
    assert_eq!(flags("/"), "--sops-age/--seal-cert");
    assert!(is_encrypted_kind("sealedsecret") && is_encrypted_kind("secret"));
    assert!(!is_encrypted_kind("serviceaccount"));
    let sealed = json!({"kind": "SealedSecret", "spec": {"encryptedData": {"K": "abc"}}});
    let doc = json!({"kind": "Secret", "data": {"K": "ENC[AES256_GCM,data:x]"}, "sops": {}});
    let plain = json!({"kind": "Secret", "data": {"K": "dg=="}});
    assert_eq!(owner(&sealed).map(|f| f.flag()), Some("--seal-cert"));
    assert_eq!(owner(&doc).map(|f| f.flag()), Some("--sops-age"));
    assert!(owner(&plain).is_none() && !is_encrypted(&plain));
    assert!(is_encrypted(&sealed) && is_encrypted(&doc));
    let (mut a, mut b) = (sealed.clone(), doc.clone());
    clean(&mut a);
    clean(&mut b);
    assert_eq!(a["spec"]["encryptedData"]["K"], "ENCRYPTED");
    assert!(b.get("sops").is_none());
    let kinds: std::collections::BTreeSet<&str> =
        FORMATS.iter().map(|f| f.kind().as_str()).collect();
    assert_eq!(kinds.len(), FORMATS.len(), "one kind per format");
    assert!(sops().format().refuses(Destination::Apply).is_some());
    assert!(sealer().format().refuses(Destination::Apply).is_none());
}

/// Documents come in order, what `reuse` gives stands for its object, and they are made one
/// batch at a time: after the first is taken, not all of them have been made.
#[test]
fn streamed_documents_come_in_order_one_batch_at_a_time() {
    let teams: Vec<String> = (0..300).map(|i| format!("\"t{i:03}\"")).collect();
    let stdin = format!("{{\"namespaces\": {{\"teams\": [{}]}}}}", teams.join(","));
    let m = crate::manifests::test_render(&["-"], &["llm.openaiApiKey=sk-x"], &stdin);
    let secrets: Vec<&Manifest> = m
        .objects
        .iter()
        .filter(|o| o.typed_kind() == Kind::Secret)
        .collect();
    assert!(secrets.len() > BATCH_MAX, "{}", secrets.len());
    let scheme = sops();
    let made = AtomicUsize::new(0);
    let jobs = secrets
        .iter()
        .map(|secret| Job { secret, key: None })
        .collect();
    let mut stream = scheme.stream(
        jobs,
        SystemTime::now(),
        Box::new(|job, _| (job.secret.namespace() == Some("t007")).then(|| "kept\n".into())),
        Box::new(|| {
            made.fetch_add(1, Ordering::Relaxed);
        }),
    );
    let first = stream.next().unwrap().unwrap();
    let after_first = made.load(Ordering::Relaxed);
    assert!(after_first <= BATCH_MAX, "{after_first}");
    let mut docs = vec![first];
    docs.extend(stream.map(Result::unwrap));
    assert_eq!(docs.len(), secrets.len());
    assert_eq!(made.load(Ordering::Relaxed), secrets.len());
    for (doc, secret) in docs.iter().zip(&secrets) {
        if secret.namespace() == Some("t007") {
            assert_eq!(doc, "kept\n");
            continue;
        }
        let v: Value = serde_yaml::from_str(doc).unwrap();
        assert_eq!(v["metadata"]["namespace"].as_str(), secret.namespace());
        assert_eq!(v["metadata"]["name"].as_str(), Some(secret.name()));
        assert!(v["sops"]["mac"].as_str().unwrap().starts_with("ENC["));
    }
}

/// The values of a Secret are counted on its text, long shared values included.
#[test]
fn values_are_counted_on_the_text() {
    let key = format!("sk-{}", "x".repeat(300));
    // Teams: their objects are stamped from one, in shared pieces.
    let m = crate::manifests::test_render(
        &["-"],
        &[&format!("llm.openaiApiKey={key}"), "llm.googleApiKey=g"],
        "{\"namespaces\": {\"teams\": [\"a\", \"b\", \"c\"]}}",
    );
    for o in &m.objects {
        let v = o.to_json();
        let want: usize = ["data", "stringData"]
            .iter()
            .filter_map(|k| v.get(k).and_then(Value::as_object))
            .map(|m| m.len())
            .sum();
        assert_eq!(o.values(), want as u64, "{}", o.display_name());
        assert_eq!(o.len(), o.yaml().len());
    }
    assert!(m.objects.iter().filter(|o| o.values() == 2).count() >= 3);
}
