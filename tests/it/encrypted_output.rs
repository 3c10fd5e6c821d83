//! `render --sops-age` / `--seal-cert` end to end: every Secret decrypted by the real `sops`
//! or unsealed by the independent decryptor (`tests/tools/sealed.py`) back to exactly the
//! plaintext render, the SealedSecret CRD, `--output-dir` without churn, and the refusals.

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use age::secrecy::ExposeSecret;
use base64::Engine as _;
use common::*;
use serde_json::{json, Value};

const EXAMPLE: &str = "examples/inline.yaml";

/// Identities, recipients and a recipients file in a temporary folder.
struct Keys {
    dir: tempfile::TempDir,
    recipients: Vec<String>,
}

impl Keys {
    fn new() -> Keys {
        let dir = tempfile::tempdir().unwrap();
        let ids: Vec<age::x25519::Identity> =
            (0..3).map(|_| age::x25519::Identity::generate()).collect();
        for (i, id) in ids.iter().enumerate() {
            std::fs::write(
                dir.path().join(format!("id{i}.txt")),
                format!("{}\n", id.to_string().expose_secret()),
            )
            .unwrap();
        }
        let recipients: Vec<String> = ids.iter().map(|i| i.to_public().to_string()).collect();
        std::fs::write(
            dir.path().join("recipients.txt"),
            format!("# the cluster\n{}\n\n", recipients[2]),
        )
        .unwrap();
        Keys { dir, recipients }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// `--sops-age R0 --sops-age R1 --sops-age-recipients-file FILE(R2)`.
    fn flags(&self) -> Vec<String> {
        vec![
            "--sops-age".into(),
            self.recipients[0].clone(),
            "--sops-age".into(),
            self.recipients[1].clone(),
            "--sops-age-recipients-file".into(),
            self.path("recipients.txt"),
            "--fingerprint-key".into(),
            self.path("fingerprint.key"),
        ]
    }
}

fn render(args: &[String], stdin: &str) -> std::process::Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(&args, stdin)
}

fn strings(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

/// Values with hostile strings in every secret field, in two teams.
fn hostile_values() -> String {
    json!({
        "llm": {"openaiApiKey": "q\" 'x'\n---\n{{ 7 }} # : \u{2028}\u{85}\u{feff} 🚀 ",
                "extraEnv": {"YES": "on", "EMPTY": ""},
                "gcp": {"serviceAccountKey": r#"{"type":"service_account","client_email":"a@p.iam.gserviceaccount.com","private_key":"k"}"#}},
        "namespaces": {"teams": ["team-a"]},
    })
    .to_string()
}

/// Pieces of every Secret value of a plaintext stream (decoded), to look for in output.
fn secret_pieces(plain: &[Value]) -> Vec<String> {
    use base64::Engine;
    let mut out = Vec::new();
    for d in plain.iter().filter(|d| d["kind"] == "Secret") {
        for v in d["data"].as_object().unwrap().values() {
            let s = v.as_str().unwrap();
            if s.len() >= 8 {
                out.push(s[..8].to_string());
            }
            let raw = base64::engine::general_purpose::STANDARD.decode(s).unwrap();
            let raw = String::from_utf8_lossy(&raw).into_owned();
            if raw.chars().count() >= 6 {
                out.push(raw.chars().take(6).collect());
            }
        }
    }
    out
}

fn sops_decrypt(sops: &Path, identity: &str, doc: &str) -> Value {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("doc.yaml");
    std::fs::write(&file, doc).unwrap();
    let out = Command::new(sops)
        .args(["--disable-version-check", "-d", "--output-type", "json"])
        .arg(&file)
        .env("SOPS_AGE_KEY_FILE", identity)
        .env_remove("SOPS_AGE_KEY")
        .output()
        .unwrap();
    assert!(out.status.success(), "sops -d: {}\n{doc}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The YAML documents of a stream, as text.
fn doc_texts(stream: &str) -> Vec<String> {
    stream
        .split("---\n")
        .filter(|d| !d.trim().is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
#[cfg_attr(no_sops, ignore = "needs sops: run scripts/fetch-tools.sh")]
fn sops_on_stdout_every_secret_decrypts_to_exactly_the_plaintext_render() {
    let sops = tool("SOPS", "sops");
    let keys = Keys::new();
    for (values, base) in [
        (
            "",
            strings(&["render", "-f", EXAMPLE, "--set", "namespaces.create=true"]),
        ),
        (hostile_values().as_str(), strings(&["render", "-f", "-"])),
    ] {
        let plain = run(&base.iter().map(String::as_str).collect::<Vec<_>>(), values);
        assert!(plain.status.success(), "{}", stderr(&plain));
        let plain = docs(&stdout(&plain));
        let mut args = base.clone();
        args.extend(keys.flags());
        let out = render(&args, values);
        assert!(out.status.success(), "{}", stderr(&out));
        let stream = stdout(&out);
        for piece in secret_pieces(&plain) {
            assert!(
                !stream.contains(&piece),
                "plaintext {piece:?} in the output"
            );
        }
        let texts = doc_texts(&stream);
        assert_eq!(texts.len(), plain.len());
        for (i, (text, want)) in texts.iter().zip(&plain).enumerate() {
            if want["kind"] != "Secret" {
                assert_eq!(&docs(text)[0], want, "non-Secrets unchanged");
                continue;
            }
            assert!(text.contains("\nsops:\n"), "{text}");
            // Each identity alone decrypts it: every recipient got the data key.
            let identity = keys.path(&format!("id{}.txt", i % 3));
            assert_eq!(
                &sops_decrypt(&sops, &identity, text),
                want,
                "{}",
                want["metadata"]
            );
        }
    }
}

/// A controller key pair (key.pem, cert.pem) from the independent implementation.
fn controller() -> tempfile::TempDir {
    python_needs("no_pycrypto");
    let dir = tempfile::tempdir().unwrap();
    let script = root().join("tests/tools/sealed.py");
    let out = python(
        &[
            script.to_str().unwrap(),
            "keygen",
            dir.path().to_str().unwrap(),
        ],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    dir
}

fn unseal(key: &Path, stream: &str) -> (bool, Vec<Value>, String) {
    let script = root().join("tests/tools/sealed.py");
    let out = python(
        &[script.to_str().unwrap(), "unseal", key.to_str().unwrap()],
        stream,
    );
    let docs = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (out.status.success(), docs, stderr(&out))
}

#[test]
#[cfg_attr(
    any(no_checker, no_pycrypto),
    ignore = "needs python3 with pyyaml, jsonschema, kubernetes-validate, cryptography: run scripts/fetch-tools.sh"
)]
fn sealed_on_stdout_and_json_unseal_to_exactly_the_plaintext_and_pass_the_crd() {
    let ctl = controller();
    let cert = ctl.path().join("cert.pem").display().to_string();
    for (values, base) in [
        ("", strings(&["render", "-f", EXAMPLE])),
        (hostile_values().as_str(), strings(&["render", "-f", "-"])),
    ] {
        let plain = run(&base.iter().map(String::as_str).collect::<Vec<_>>(), values);
        let plain = docs(&stdout(&plain));
        let mut args = base.clone();
        args.extend(strings(&["--seal-cert", &cert]));
        let out = render(&args, values);
        assert!(out.status.success(), "{}", stderr(&out));
        let stream = stdout(&out);
        for piece in secret_pieces(&plain) {
            assert!(
                !stream.contains(&piece),
                "plaintext {piece:?} in the output"
            );
        }
        let sealed = docs(&stream);
        assert!(sealed.iter().all(|d| d["kind"] == "SealedSecret"));
        assert_eq!(
            ids(&sealed)
                .iter()
                .map(|i| i.replace("SealedSecret/", ""))
                .collect::<Vec<_>>(),
            ids(&plain)
                .iter()
                .map(|i| i.replace("Secret/", ""))
                .collect::<Vec<_>>()
        );
        if let Err(p) = check_manifests(&stream) {
            panic!("{p}");
        }
        let (ok, back, err) = unseal(&ctl.path().join("key.pem"), &stream);
        assert!(ok, "{err}");
        assert_eq!(back, plain);
        // -o json: one List of the same SealedSecrets.
        args.extend(strings(&["-o", "json"]));
        let out = render(&args, values);
        assert!(out.status.success(), "{}", stderr(&out));
        let list: Value = serde_json::from_str(&stdout(&out)).unwrap();
        let mut yaml_stream = String::new();
        for item in list["items"].as_array().unwrap() {
            yaml_stream.push_str("---\n");
            recif_secrets::yamlfmt::emit_document(&mut yaml_stream, item);
        }
        let (ok, back, err) = unseal(&ctl.path().join("key.pem"), &yaml_stream);
        assert!(ok, "{err}");
        assert_eq!(back, plain);
    }
}

#[test]
#[cfg_attr(
    no_pycrypto,
    ignore = "needs python3 with pyyaml, cryptography: run scripts/fetch-tools.sh"
)]
fn sealed_scopes_bind_as_documented() {
    let ctl = controller();
    let cert = ctl.path().join("cert.pem").display().to_string();
    let key = ctl.path().join("key.pem");
    for (scope, moved_ns_ok) in [
        ("strict", false),
        ("namespace-wide", false),
        ("cluster-wide", true),
    ] {
        let out = run(
            &[
                "render",
                "-f",
                EXAMPLE,
                "--seal-cert",
                &cert,
                "--seal-scope",
                scope,
                "--show-only",
                "secret/agent-env",
            ],
            "",
        );
        assert!(out.status.success(), "{}", stderr(&out));
        let stream = stdout(&out);
        assert!(unseal(&key, &stream).0, "{scope}");
        let moved = stream.replace("namespace: team-default", "namespace: team-evil");
        assert_ne!(moved, stream);
        assert_eq!(unseal(&key, &moved).0, moved_ns_ok, "{scope}");
    }
}

fn read_dir(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

fn changed(a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    let mut names: Vec<String> = a.keys().chain(b.keys()).cloned().collect();
    names.sort();
    names.dedup();
    names.into_iter().filter(|n| a.get(n) != b.get(n)).collect()
}

/// Re-rendering unchanged values leaves every file byte-identical; one changed key
/// re-encrypts only the Secrets holding it; new recipients re-encrypt everything.
fn no_churn(flags: &[String], other_keys: &[String], kind: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    let d = dir.display().to_string();
    let with = |extra: &[&str], flags: &[String]| {
        let mut args = strings(&["render", "-f", EXAMPLE, "--output-dir", &d]);
        args.extend(strings(extra));
        args.extend(flags.iter().cloned());
        let out = render(&args, "");
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(!stderr(&out).contains("git work tree"), "{}", stderr(&out));
        read_dir(&dir)
    };
    let first = with(&[], flags);
    assert!(
        first
            .keys()
            .any(|n| n.contains(&format!(".{kind}.agent-env.yaml"))),
        "{first:?}"
    );
    let again = with(&[], flags);
    assert_eq!(changed(&first, &again), Vec::<String>::new(), "no churn");
    let one_key = with(&["--set", "llm.openaiApiKey=sk-rotated"], flags);
    assert_eq!(
        changed(&again, &one_key),
        [
            format!("team-default.{kind}.agent-env.yaml"),
            format!("team-research.{kind}.agent-env.yaml")
        ]
    );
    let again = with(&["--set", "llm.openaiApiKey=sk-rotated"], flags);
    assert_eq!(changed(&one_key, &again), Vec::<String>::new());
    // Re-keying: everything re-encrypted, the kustomization unchanged.
    let rekeyed = with(&["--set", "llm.openaiApiKey=sk-rotated"], other_keys);
    let mut all: Vec<String> = again
        .keys()
        .filter(|n| *n != "kustomization.yaml")
        .cloned()
        .collect();
    all.sort();
    assert_eq!(changed(&again, &rekeyed), all);
    // No plaintext anywhere in the folder (temporary files are gone too).
    for (name, bytes) in &rekeyed {
        let text = String::from_utf8_lossy(bytes);
        assert!(
            !text.contains("sk-rotated") && !text.contains("c2stcm90YXRl"),
            "{name}"
        );
        assert!(
            !name.starts_with(".recif-secrets-"),
            "temporary file left: {name}"
        );
    }
    tmp
}

#[test]
#[cfg_attr(no_sops, ignore = "needs sops: run scripts/fetch-tools.sh")]
fn output_dir_without_churn_sops() {
    let sops = tool("SOPS", "sops");
    let keys = Keys::new();
    let mut other = keys.flags();
    other.drain(0..2); // drop the first recipient
    let tmp = no_churn(&keys.flags(), &other, "secret");
    // Files are named as plaintext Secrets are, and each decrypts (after its fingerprint line).
    let dir = tmp.path().join("out");
    let text = std::fs::read_to_string(dir.join("team-default.secret.agent-env.yaml")).unwrap();
    assert!(
        text.starts_with("# recif-secrets fingerprint: v2:"),
        "{text}"
    );
    let back = sops_decrypt(&sops, &keys.path("id2.txt"), &text);
    assert_eq!(back["metadata"]["name"], "agent-env");
    let mode = std::fs::metadata(keys.dir.path().join("fingerprint.key")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(mode.permissions().mode() & 0o777, 0o600);
}

#[test]
#[cfg_attr(
    any(no_kubectl, no_pycrypto),
    ignore = "needs kubectl; python3 with pyyaml, cryptography: run scripts/fetch-tools.sh"
)]
fn output_dir_without_churn_sealed() {
    let ctl = controller();
    let other_ctl = controller();
    let key = ctl.path().join("fingerprint.key").display().to_string();
    let flags = strings(&[
        "--seal-cert",
        &ctl.path().join("cert.pem").display().to_string(),
        "--fingerprint-key",
        &key,
    ]);
    let other = strings(&[
        "--seal-cert",
        &other_ctl.path().join("cert.pem").display().to_string(),
        "--fingerprint-key",
        &key,
    ]);
    let tmp = no_churn(&flags, &other, "sealedsecret");
    // The folder builds with the real kubectl, and its objects unseal with the new key.
    let dir = tmp.path().join("out");
    let mut stream = String::new();
    for (name, bytes) in read_dir(&dir) {
        if name != "kustomization.yaml" {
            stream.push_str("---\n");
            stream.push_str(&String::from_utf8(bytes).unwrap());
        }
    }
    let (ok, back, err) = unseal(&other_ctl.path().join("key.pem"), &stream);
    assert!(ok && back.len() == 5, "{err}");
    let kubectl = tool("KUBECTL", "kubectl");
    let k = Command::new(kubectl)
        .arg("kustomize")
        .arg(&dir)
        .output()
        .unwrap();
    assert!(k.status.success(), "{}", stderr(&k));
    assert_eq!(docs(&stdout(&k)).len(), 5);
}

#[test]
#[cfg_attr(
    no_pycrypto,
    ignore = "needs python3 with pyyaml, cryptography: run scripts/fetch-tools.sh"
)]
fn switching_to_encryption_replaces_the_plaintext_files() {
    let ctl = controller();
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().display().to_string();
    assert!(run(&["render", "-f", EXAMPLE, "--output-dir", &d], "")
        .status
        .success());
    let cert = ctl.path().join("cert.pem").display().to_string();
    let key = ctl.path().join("fp.key").display().to_string();
    let out = run(
        &[
            "render",
            "-f",
            EXAMPLE,
            "--output-dir",
            &d,
            "--seal-cert",
            &cert,
            "--fingerprint-key",
            &key,
        ],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let names: Vec<String> = read_dir(tmp.path()).into_keys().collect();
    assert!(
        names
            .iter()
            .all(|n| n == "kustomization.yaml" || n.contains(".sealedsecret.")),
        "{names:?}"
    );
    assert!(stderr(&out).contains("removed 5 stale"), "{}", stderr(&out));
}

#[test]
#[cfg_attr(
    no_pycrypto,
    ignore = "needs python3 with pyyaml, cryptography: run scripts/fetch-tools.sh"
)]
fn the_fingerprint_key_defaults_to_the_config_folder_and_never_goes_in_the_output() {
    let ctl = controller();
    let cert = ctl.path().join("cert.pem").display().to_string();
    let home = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("out").display().to_string();
    let with_home = || {
        run_env(
            &[
                "render",
                "-f",
                EXAMPLE,
                "--seal-cert",
                &cert,
                "--output-dir",
                &d,
            ],
            &[("XDG_CONFIG_HOME", home.path())],
        )
    };
    let out = with_home();
    assert!(out.status.success(), "{}", stderr(&out));
    let key: PathBuf = home.path().join("recif-secrets/fingerprint.key");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(
        stderr(&out).contains("created the fingerprint key"),
        "{}",
        stderr(&out)
    );
    // Inside the output folder: refused, nothing written.
    let inside = format!("{d}/fp.key");
    let out = run(
        &[
            "render",
            "-f",
            EXAMPLE,
            "--seal-cert",
            &cert,
            "--output-dir",
            &d,
            "--fingerprint-key",
            &inside,
        ],
        "",
    );
    expect_exit(&out, 2, "");
    assert!(
        stderr(&out).contains("outside the output folder"),
        "{}",
        stderr(&out)
    );
    assert!(!Path::new(&inside).exists());
    // A damaged key file is an error that does not quote it.
    std::fs::write(&key, "not-a-key-XYZZY\n").unwrap();
    let out = with_home();
    expect_exit(&out, 1, "");
    assert!(!stderr(&out).contains("XYZZY"), "{}", stderr(&out));
}

#[test]
#[cfg_attr(
    no_pycrypto,
    ignore = "needs python3 with pyyaml, cryptography: run scripts/fetch-tools.sh"
)]
fn encryption_flags_are_refused_where_they_cannot_work() {
    let ctl = controller();
    let cert = ctl.path().join("cert.pem").display().to_string();
    let keys = Keys::new();
    let r = keys.recipients[0].as_str();
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (
            vec!["-f", "examples/external-vault.yaml", "--sops-age", r],
            2,
            "nothing to encrypt",
        ),
        (
            vec![
                "-f",
                "examples/workload-identity-gke.yaml",
                "--seal-cert",
                &cert,
            ],
            2,
            "nothing to encrypt",
        ),
        (
            vec!["-f", EXAMPLE, "--sops-age", r, "--seal-cert", &cert],
            2,
            "cannot be used with",
        ),
        (
            vec!["-f", EXAMPLE, "--sops-age", r, "--apply"],
            2,
            "cannot be used with",
        ),
        (
            vec!["-f", EXAMPLE, "--sops-age", r, "-o", "json"],
            2,
            "-o json",
        ),
        (
            vec!["-f", EXAMPLE, "--seal-scope", "strict"],
            2,
            "--seal-cert",
        ),
        (
            vec!["-f", EXAMPLE, "--sops-age", "age1nope"],
            1,
            "--sops-age: not an age recipient",
        ),
        (
            vec!["-f", EXAMPLE, "--seal-cert", "/nonexistent/cert.pem"],
            1,
            "/nonexistent/cert.pem",
        ),
        (
            vec!["-f", EXAMPLE, "--seal-cert", EXAMPLE],
            1,
            "not a certificate",
        ),
    ];
    for (extra, code, msg) in cases {
        let mut args = vec!["render"];
        args.extend(&extra);
        let out = run(&args, "");
        expect_exit(&out, code, &format!("{extra:?}: {}", stderr(&out)));
        assert!(stderr(&out).contains(msg), "{extra:?}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{extra:?}");
    }
    let key = ctl.path().join("key.pem").display().to_string();
    let out = run(&["render", "-f", EXAMPLE, "--seal-cert", &key], "");
    expect_exit(&out, 1, "");
    assert!(
        stderr(&out).contains("holds a PRIVATE KEY, not a certificate"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("MII"), "{}", stderr(&out));
}

/// `diff --against` a folder of encrypted files, with the flags `render` used: equal
/// plaintexts are unchanged (exit 0), a rotated key is a difference (exit 4), and without
/// fingerprints nothing is called unchanged. No ciphertext, fingerprint or value is printed.
fn diff_through_fingerprints(flags: &[String], kind: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("out").display().to_string();
    let mut args = strings(&["render", "-f", EXAMPLE, "--output-dir", &d]);
    args.extend(flags.iter().cloned());
    let out = render(&args, "");
    assert!(out.status.success(), "{}", stderr(&out));
    let diff = |extra: &[&str], flags: &[String]| {
        let mut args = strings(&["diff", "-f", EXAMPLE, "--against", &d]);
        args.extend(strings(extra));
        args.extend(flags.iter().cloned());
        let out = render(&args, "");
        let text = stdout(&out);
        for hidden in ["sk-rotated", "ENC[", "fingerprint: v", "Ag", "x-recif"] {
            assert!(!text.contains(hidden), "{hidden} printed:\n{text}");
        }
        (out.status.code(), text, stderr(&out))
    };
    let (code, text, err) = diff(&[], flags);
    assert_eq!(code, Some(0), "{text}{err}");
    assert!(text.contains("same plaintext"), "{text}");
    assert!(
        text.contains(&format!("{kind} team-default/agent-env: unchanged")),
        "{text}"
    );
    let (code, text, _) = diff(&["--set", "llm.openaiApiKey=sk-rotated"], flags);
    assert_eq!(code, Some(4), "{text}");
    assert!(text.contains("the plaintext differs"), "{text}");
    assert!(text.contains("2 changed"), "{text}");
    // Without the encryption flags, or without the fingerprint key: never "no difference".
    let (code, text, _) = diff(&[], &[]);
    assert_eq!(code, Some(4), "{text}");
    let no_key: Vec<String> = flags
        .iter()
        .take_while(|f| *f != "--fingerprint-key")
        .cloned()
        .collect();
    let empty = tempfile::tempdir().unwrap();
    let mut args = strings(&["diff", "-f", EXAMPLE, "--against", &d]);
    args.extend(no_key.iter().cloned());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run_env(&args, &[("XDG_CONFIG_HOME", empty.path())]);
    expect_exit(&out, 4, "");
    assert!(stdout(&out).contains("not compared"), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("no fingerprint key"),
        "{}",
        stderr(&out)
    );
    // The flags only make sense against files.
    let mut args = strings(&["diff", "-f", EXAMPLE]);
    args.extend(flags.iter().cloned());
    expect_exit(&render(&args, ""), 2, "");
}

#[test]
fn diff_compares_sops_folders_through_fingerprints() {
    diff_through_fingerprints(&Keys::new().flags(), "Secret");
}

#[test]
#[cfg_attr(
    no_pycrypto,
    ignore = "needs python3 with pyyaml, cryptography: run scripts/fetch-tools.sh"
)]
fn diff_compares_sealed_folders_through_fingerprints() {
    let ctl = controller();
    let flags = strings(&[
        "--seal-cert",
        &ctl.path().join("cert.pem").display().to_string(),
        "--fingerprint-key",
        &ctl.path().join("fingerprint.key").display().to_string(),
    ]);
    diff_through_fingerprints(&flags, "SealedSecret");
}

/// Runs a shipped GitOps script (`examples/gitops/<name>/render.sh`) in a fresh repository
/// as its users would: our binary, the real kubectl and git on PATH.
struct Script {
    repo: tempfile::TempDir,
    /// The user's config folder (the fingerprint key's home), outside the repository: a key
    /// inside a work tree without being ignored is refused.
    config: tempfile::TempDir,
    name: &'static str,
    path: String,
}

impl Script {
    fn new(name: &'static str, kubectl: &Path) -> Script {
        let repo = tempfile::tempdir().unwrap();
        assert!(git(repo.path(), &["init", "-q"]).status.success());
        std::fs::write(
            repo.path().join("values.yaml"),
            "secrets:\n  provider: inline\n",
        )
        .unwrap();
        std::fs::write(repo.path().join(".gitignore"), "values-secret.yaml\n").unwrap();
        let path = path_with_bin(&[kubectl.parent().unwrap()]);
        Script {
            repo,
            config: tempfile::tempdir().unwrap(),
            name,
            path,
        }
    }

    fn git(&self, args: &[&str]) -> String {
        let out = git(self.repo.path(), args);
        assert!(out.status.success(), "git {args:?}: {}", stderr(&out));
        stdout(&out)
    }

    /// Writes the secret values with this OpenAI key, runs the script, returns the staged files.
    fn run(&self, openai: &str) -> Vec<String> {
        let example = std::fs::read_to_string(root().join(EXAMPLE)).unwrap();
        let values = example.replace("sk-proj-example-openai-key", openai);
        let secret = self.repo.path().join("values-secret.yaml");
        std::fs::write(&secret, values).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
        let script = root().join(format!("examples/gitops/{}/render.sh", self.name));
        let out = Command::new("sh")
            .arg(&script)
            .current_dir(self.repo.path())
            .env("PATH", &self.path)
            .env("XDG_CONFIG_HOME", self.config.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {}{}",
            self.name,
            stdout(&out),
            stderr(&out)
        );
        let staged = self.git(&["diff", "--cached", "--name-only"]);
        let staged: Vec<String> = staged.lines().map(str::to_string).collect();
        for f in &staged {
            let text = std::fs::read_to_string(self.repo.path().join(f)).unwrap();
            let b64 = base64::engine::general_purpose::STANDARD.encode(openai);
            assert!(
                !text.contains(openai) && !text.contains(&b64[..12]),
                "plaintext in the staged {f}"
            );
        }
        staged
    }
}

/// Commits, re-runs with the same values (nothing staged: no churn), then rotates one key
/// (only the Secrets holding it are staged).
fn script_round(s: &Script, kind: &str) {
    s.git(&["commit", "-q", "-m", "first"]);
    assert_eq!(
        s.run("sk-live-first-0123456789"),
        Vec::<String>::new(),
        "churn"
    );
    let rotated = s.run("sk-live-rotated-0123456789");
    let dir = if s.name == "flux-sops" {
        "clusters/prod/recif-secrets"
    } else {
        "deploy/recif-secrets"
    };
    assert_eq!(
        rotated,
        [
            format!("{dir}/team-default.{kind}.agent-env.yaml"),
            format!("{dir}/team-research.{kind}.agent-env.yaml")
        ]
    );
}

#[test]
#[cfg_attr(
    any(no_kubectl, no_sops, no_git),
    ignore = "needs kubectl; sops; git: run scripts/fetch-tools.sh"
)]
fn the_flux_sops_script_stages_only_encrypted_files_that_sops_decrypts() {
    let (kubectl, sops) = (tool("KUBECTL", "kubectl"), tool("SOPS", "sops"));
    let keys = Keys::new();
    let s = Script::new("flux-sops", &kubectl);
    std::fs::write(
        s.repo.path().join(".sops-age-recipients"),
        format!("{}\n", keys.recipients[2]),
    )
    .unwrap();
    let staged = s.run("sk-live-first-0123456789");
    let file = "clusters/prod/recif-secrets/team-research.secret.agent-env.yaml";
    assert!(staged.iter().any(|f| f == file), "{staged:?}");
    assert!(staged.iter().any(|f| f.ends_with("/kustomization.yaml")));
    let text = std::fs::read_to_string(s.repo.path().join(file)).unwrap();
    let back = sops_decrypt(&sops, &keys.path("id2.txt"), &text);
    let key = base64::engine::general_purpose::STANDARD
        .decode(back["data"]["OPENAI_API_KEY"].as_str().unwrap())
        .unwrap();
    assert_eq!(key, b"sk-live-first-0123456789");
    script_round(&s, "secret");
}

#[test]
#[cfg_attr(
    any(no_kubectl, no_git, no_pycrypto),
    ignore = "needs kubectl; git; python3 with pyyaml, cryptography: run scripts/fetch-tools.sh"
)]
fn the_argocd_sealed_script_stages_only_sealed_secrets_that_unseal() {
    let kubectl = tool("KUBECTL", "kubectl");
    let ctl = controller();
    let s = Script::new("argocd-sealed", &kubectl);
    std::fs::copy(
        ctl.path().join("cert.pem"),
        s.repo.path().join("sealed-secrets.pem"),
    )
    .unwrap();
    let staged = s.run("sk-live-first-0123456789");
    let mut stream = String::new();
    for f in staged.iter().filter(|f| f.contains(".sealedsecret.")) {
        stream.push_str("---\n");
        stream.push_str(&std::fs::read_to_string(s.repo.path().join(f)).unwrap());
    }
    let (ok, back, err) = unseal(&ctl.path().join("key.pem"), &stream);
    assert!(ok && back.len() == 5, "{err} {staged:?}");
    assert!(
        back.iter().any(|o| o["data"]["OPENAI_API_KEY"].is_string()),
        "{back:?}"
    );
    script_round(&s, "sealedsecret");
}

/// Issue 20: the fingerprint line authenticates the whole file. Someone who can push to the
/// GitOps repository keeps the first line of an encrypted file and replaces the rest: their
/// own ciphertext for the public recipient or certificate (made here by rendering their
/// values to standard output), another object entirely, or the file of another object.
/// `render --output-dir` encrypts each afresh (the file decrypts to the operator's values
/// again) and `diff --against` reports each as different (exit 4), never "same plaintext".
fn forged_bodies_are_re_encrypted_and_reported(flags: &[String], kind: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    let d = dir.display().to_string();
    let with = |cmd: &str, extra: &[&str]| {
        let mut args = strings(&[cmd, "-f", EXAMPLE]);
        if cmd == "render" {
            args.extend(strings(&["--output-dir", &d]));
        } else {
            args.extend(strings(&["--against", &d]));
        }
        args.extend(strings(extra));
        args.extend(flags.iter().cloned());
        render(&args, "")
    };
    let out = with("render", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let target = dir.join(format!(
        "team-default.{}.agent-env.yaml",
        kind.to_lowercase()
    ));
    let genuine = std::fs::read_to_string(&target).unwrap();
    let (line, _) = genuine.split_once('\n').unwrap();
    let research = std::fs::read_to_string(dir.join(format!(
        "team-research.{}.agent-env.yaml",
        kind.to_lowercase()
    )))
    .unwrap();
    // The attacker's own ciphertext, for the same public key, of their own value.
    let mut args = strings(&[
        "render",
        "-f",
        EXAMPLE,
        "--set",
        "llm.openaiApiKey=sk-attacker",
    ]);
    args.extend(
        flags
            .iter()
            .take_while(|f| *f != "--fingerprint-key")
            .cloned(),
    );
    let theirs = render(&args, "");
    assert!(theirs.status.success(), "{}", stderr(&theirs));
    let attacker_doc = doc_texts(&stdout(&theirs))
        .into_iter()
        .find(|d| {
            d.contains(&format!("kind: {kind}"))
                && d.contains("namespace: team-default")
                && d.contains("name: agent-env")
        })
        .unwrap();
    let binding = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: agent-env\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: cluster-admin\nsubjects:\n  - kind: Group\n    apiGroup: rbac.authorization.k8s.io\n    name: system:authenticated\n";
    for (what, forged) in [
        ("their ciphertext", format!("{line}\n{attacker_doc}")),
        ("another object", format!("{line}\n{binding}")),
        ("one byte more", format!("{genuine}\n")),
        (
            "another object's file",
            research.replace("namespace: team-research", "namespace: team-default"),
        ),
    ] {
        std::fs::write(&target, &forged).unwrap();
        // diff first: the folder holds the forged file.
        let out = with("diff", &[]);
        let text = stdout(&out);
        expect_exit(&out, 4, &format!("{what}: {text}{}", stderr(&out)));
        assert!(
            !text.contains("same plaintext")
                || !text.contains(&format!("{kind} team-default/agent-env: unchanged")),
            "{what}: {text}"
        );
        assert!(
            text.contains(&format!("{kind} team-default/agent-env: changed"))
                || text.contains(&format!("{kind} team-default/agent-env: added")),
            "{what}: {text}"
        );
        // render encrypts it afresh: the forged bytes are gone.
        let out = with("render", &[]);
        assert!(out.status.success(), "{what}: {}", stderr(&out));
        let now = std::fs::read_to_string(&target).unwrap();
        assert_ne!(now, forged, "{what}: the forged file was kept");
        assert!(!now.contains("ClusterRoleBinding"), "{what}");
        assert!(now.starts_with("# recif-secrets fingerprint: v2:"), "{now}");
        // And the folder verifies again.
        let out = with("diff", &[]);
        expect_exit(&out, 0, &format!("{what}: {}", stdout(&out)));
    }
}

#[test]
#[cfg_attr(no_sops, ignore = "needs sops: run scripts/fetch-tools.sh")]
fn forged_sops_files_under_a_kept_fingerprint_line_are_re_encrypted_and_reported() {
    let sops = tool("SOPS", "sops");
    let keys = Keys::new();
    forged_bodies_are_re_encrypted_and_reported(&keys.flags(), "Secret");
    // What the folder holds now decrypts to the operator's values, not the attacker's.
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("out").display().to_string();
    let mut args = strings(&["render", "-f", EXAMPLE, "--output-dir", &d]);
    args.extend(keys.flags());
    assert!(render(&args, "").status.success());
    let file = tmp.path().join("out/team-default.secret.agent-env.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    let (line, _) = text.split_once('\n').unwrap();
    let mut args = strings(&[
        "render",
        "-f",
        EXAMPLE,
        "--set",
        "llm.openaiApiKey=sk-attacker",
    ]);
    args.extend(keys.flags().into_iter().take(6));
    let attacker = doc_texts(&stdout(&render(&args, "")))
        .into_iter()
        .find(|d| d.contains("namespace: team-default") && d.contains("name: agent-env"))
        .unwrap();
    std::fs::write(&file, format!("{line}\n{attacker}")).unwrap();
    let mut args = strings(&["render", "-f", EXAMPLE, "--output-dir", &d]);
    args.extend(keys.flags());
    assert!(render(&args, "").status.success());
    let back = sops_decrypt(
        &sops,
        &keys.path("id0.txt"),
        &std::fs::read_to_string(&file).unwrap(),
    );
    let key = base64::engine::general_purpose::STANDARD
        .decode(back["data"]["OPENAI_API_KEY"].as_str().unwrap())
        .unwrap();
    assert!(!String::from_utf8_lossy(&key).contains("sk-attacker"));
}

#[test]
#[cfg_attr(
    no_pycrypto,
    ignore = "needs python3 with pyyaml, cryptography: run scripts/fetch-tools.sh"
)]
fn forged_sealed_files_under_a_kept_fingerprint_line_are_re_encrypted_and_reported() {
    let ctl = controller();
    let flags = strings(&[
        "--seal-cert",
        &ctl.path().join("cert.pem").display().to_string(),
        "--fingerprint-key",
        &ctl.path().join("fingerprint.key").display().to_string(),
    ]);
    forged_bodies_are_re_encrypted_and_reported(&flags, "SealedSecret");
}

/// Issue 20: a string that is not an age recipient is never quoted, wherever it came from:
/// an age private key given to `--sops-age` or in the recipients file, a `.env` line. The
/// error names the argument or the file and line, and says when it looks like a private key.
#[test]
fn an_invalid_recipient_is_never_quoted_and_a_private_key_is_called_one() {
    let keys = Keys::new();
    let secret_key = std::fs::read_to_string(keys.path("id0.txt")).unwrap();
    let secret_key = secret_key.trim();
    let env_line = "OPENAI_API_KEY=sk-proj-canaryCANARY0123456789";
    let file = keys.dir.path().join("recipients-bad.txt");
    let f = file.display().to_string();
    for (args, origin, looks) in [
        (
            vec!["--sops-age", secret_key],
            "--sops-age: ".to_string(),
            "age PRIVATE key",
        ),
        (
            vec!["--sops-age", &keys.recipients[0], "--sops-age", secret_key],
            "--sops-age (the 2nd given): ".to_string(),
            "age PRIVATE key",
        ),
        (
            vec!["--sops-age-recipients-file", &f],
            format!("{f}:3: "),
            "age PRIVATE key",
        ),
        (
            vec!["--sops-age", env_line],
            "--sops-age: ".to_string(),
            "KEY=VALUE line",
        ),
    ] {
        std::fs::write(
            &file,
            format!(
                "# the cluster\n{}\n{secret_key}\n{env_line}\n",
                keys.recipients[1]
            ),
        )
        .unwrap();
        for cmd in ["render", "diff"] {
            let mut all = vec![cmd, "-f", EXAMPLE];
            all.extend(&args);
            if cmd == "diff" {
                all.extend(["--against", EXAMPLE]);
            }
            let out = run(&all, "");
            let err = stderr(&out);
            expect_exit(&out, 1, &format!("{args:?}: {err}"));
            assert!(
                err.contains(&format!("{origin}not an age recipient")),
                "{args:?}: {err}"
            );
            assert!(err.contains(looks), "{args:?}: {err}");
            assert!(out.stdout.is_empty());
            for secret in [secret_key, env_line] {
                // No piece of it: the part after the well-known prefix, 6 characters at a time.
                let tail = &secret[15..];
                for i in 0..tail.len().saturating_sub(6) {
                    let piece = &tail[i..i + 6];
                    assert!(!err.contains(piece), "{piece} of a secret printed: {err}");
                }
            }
        }
    }
    // The .env line in a file: the file and its line, never the line.
    std::fs::write(&file, format!("{env_line}\n")).unwrap();
    let out = run(
        &["render", "-f", EXAMPLE, "--sops-age-recipients-file", &f],
        "",
    );
    let err = stderr(&out);
    expect_exit(&out, 1, &err);
    assert!(
        err.contains(&format!("{f}:1: not an age recipient")),
        "{err}"
    );
    assert!(!err.contains("canary") && !err.contains("sk-proj"), "{err}");
}
