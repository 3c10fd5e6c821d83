//! `recif-secrets verify DIR`: the CI gate. Folders written by `render --output-dir`, files
//! encrypted by the real `sops` and sealed by the independent controller stand-in
//! (`tests/tools/sealed.py`), and every kind of problem the gate must catch, each with its
//! line, exit 5, and `-o json`. The pre-commit hook runs under the real pre-commit.

use crate::common;

use std::path::Path;
use std::process::{Command, Output};

use age::secrecy::ExposeSecret;
use common::*;

const EXAMPLE: &str = "examples/inline.yaml";

fn verify(dir: &Path, flags: &[&str]) -> Output {
    let mut args = vec!["verify", dir.to_str().unwrap()];
    args.extend(flags);
    run(&args, "")
}

fn problems(o: &Output) -> Vec<String> {
    stdout(o)
        .lines()
        .filter(|l| l.starts_with("problem"))
        .map(str::to_string)
        .collect()
}

/// Two age identities (files id0.txt, id1.txt) and their recipients; a fingerprint key path.
struct Keys {
    dir: tempfile::TempDir,
    recipients: Vec<String>,
}

impl Keys {
    fn new() -> Keys {
        let dir = tempfile::tempdir().unwrap();
        let mut recipients = Vec::new();
        for i in 0..3 {
            let id = age::x25519::Identity::generate();
            std::fs::write(
                dir.path().join(format!("id{i}.txt")),
                format!("{}\n", id.to_string().expose_secret()),
            )
            .unwrap();
            recipients.push(id.to_public().to_string());
        }
        Keys { dir, recipients }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }
}

/// A SOPS folder for recipients 0 and 1, written by render --output-dir.
fn sops_folder(keys: &Keys) -> tempfile::TempDir {
    let out = tempfile::tempdir().unwrap();
    let o = run(
        &[
            "render",
            "-f",
            EXAMPLE,
            "--sops-age",
            &keys.recipients[0],
            "--sops-age",
            &keys.recipients[1],
            "--fingerprint-key",
            &keys.path("fingerprint.key"),
            "--output-dir",
            out.path().to_str().unwrap(),
        ],
        "",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    out
}

fn sops_flags<'a>(keys: &'a Keys, which: &[usize], key: &'a str) -> Vec<&'a str> {
    let mut f = Vec::new();
    for i in which {
        f.extend(["--sops-age", keys.recipients[*i].as_str()]);
    }
    f.extend(["--fingerprint-key", key]);
    f
}

fn add_to_kustomization(dir: &Path, name: &str) {
    let k = dir.join("kustomization.yaml");
    let text = std::fs::read_to_string(&k).unwrap();
    std::fs::write(&k, format!("{text}  - \"{name}\"\n")).unwrap();
}

#[test]
fn a_sops_folder_passes_with_exactly_its_recipients_and_fails_otherwise() {
    let keys = Keys::new();
    let out = sops_folder(&keys);
    let key = keys.path("fingerprint.key");
    let o = verify(out.path(), &sops_flags(&keys, &[0, 1], &key));
    expect_exit(&o, 0, "");
    assert!(stdout(&o).contains(": ok ("), "{}", stdout(&o));
    assert!(problems(&o).is_empty());

    // Recipient 1 retired: still listed in every file, so every Secret fails.
    let o = verify(out.path(), &sops_flags(&keys, &[0], &key));
    expect_exit(&o, 5, "");
    // The example renders 5 Secrets (the platform's, and two per team).
    let p = problems(&o);
    assert_eq!(p.len(), 5, "{p:?}");
    assert!(
        p.iter()
            .all(|l| l.contains(&format!("also encrypted to {}", keys.recipients[1]))),
        "{p:?}"
    );
    // A new recipient not yet in the files.
    let o = verify(out.path(), &sops_flags(&keys, &[0, 1, 2], &key));
    expect_exit(&o, 5, "");
    assert!(problems(&o)
        .iter()
        .all(|l| l.contains("not encrypted to the expected recipient")));
    // Expecting Sealed Secrets instead: every SOPS document is a problem.
    let o = verify(out.path(), &["--skip-fingerprints"]);
    expect_exit(&o, 5, "");
    assert!(
        problems(&o).iter().all(|l| l.contains("no --sops-age")),
        "{:?}",
        problems(&o)
    );

    // -o json: the same problems, exact.
    let o = verify(
        out.path(),
        &[&sops_flags(&keys, &[0], &key)[..], &["-o", "json"]].concat(),
    );
    expect_exit(&o, 5, "");
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["summary"]["problems"], 5);
    assert_eq!(v["summary"]["secrets"], 5);
    assert!(
        v["problems"][0]["file"]
            .as_str()
            .unwrap()
            .ends_with(".secret.agent-env.yaml")
            || v["problems"][0]["file"]
                .as_str()
                .unwrap()
                .contains(".secret.")
    );
}

#[test]
#[cfg_attr(no_sops, ignore = "needs sops: run scripts/fetch-tools.sh")]
fn real_sops_files_are_judged_by_their_values_and_recipients() {
    let sops = tool("SOPS", "sops");
    let keys = Keys::new();
    let out = sops_folder(&keys);
    let key = keys.path("fingerprint.key");
    let flags = sops_flags(&keys, &[0, 1], &key);
    let plain = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: extra\n  namespace: team-a\ntype: Opaque\ndata:\n  K: c2VjcmV0\nstringData:\n  PASSWORD: hunter2-example\n";
    let src = out.path().join("src.yaml");
    let encrypt = |regex: &str, recipients: &str| {
        std::fs::write(&src, plain).unwrap();
        let o = Command::new(&sops)
            .args([
                "--disable-version-check",
                "-e",
                "--age",
                recipients,
                "--encrypted-regex",
                regex,
            ])
            .arg(&src)
            .output()
            .unwrap();
        assert!(o.status.success(), "sops -e: {}", stderr(&o));
        std::fs::remove_file(&src).unwrap();
        stdout(&o)
    };
    let name = "team-a.secret.extra.yaml";
    add_to_kustomization(out.path(), name);
    // Encrypted by sops itself, data and stringData, to exactly the recipients: fine (no
    // fingerprint line: nothing recorded, nothing to verify).
    let both = format!("{},{}", keys.recipients[0], keys.recipients[1]);
    std::fs::write(out.path().join(name), encrypt("^(data|stringData)$", &both)).unwrap();
    let o = verify(out.path(), &flags);
    expect_exit(&o, 0, "");
    // sops told to encrypt `data` only: stringData stays in clear.
    std::fs::write(out.path().join(name), encrypt("^data$", &both)).unwrap();
    let o = verify(out.path(), &flags);
    expect_exit(&o, 5, "");
    assert_eq!(
        problems(&o),
        vec![format!("problem  {name}: Secret team-a/extra: stringData.PASSWORD is not encrypted (a SOPS document with a plaintext value)")]
    );
    assert!(!stdout(&o).contains("hunter2"), "a value was printed");
    // Encrypted by sops to a third recipient as well.
    let three = format!("{both},{}", keys.recipients[2]);
    std::fs::write(
        out.path().join(name),
        encrypt("^(data|stringData)$", &three),
    )
    .unwrap();
    let o = verify(out.path(), &flags);
    expect_exit(&o, 5, "");
    assert!(stdout(&o).contains(&format!("also encrypted to {}", keys.recipients[2])));
}

#[test]
fn plaintext_unlisted_missing_and_swapped_files_are_problems() {
    let keys = Keys::new();
    let out = sops_folder(&keys);
    let dir = out.path();
    let key = keys.path("fingerprint.key");
    let flags = sops_flags(&keys, &[0, 1], &key);
    // A plaintext Secret rendered into the folder by hand, not listed.
    let plain = run(
        &["render", "-f", EXAMPLE, "--show-only", "secret/agent-env"],
        "",
    );
    assert!(plain.status.success());
    std::fs::write(dir.join("team-default.secret.plain.yaml"), stdout(&plain)).unwrap();
    // A listed file that is not there.
    add_to_kustomization(dir, "team-default.secret.gone.yaml");
    // A body swapped: the agent-env file now holds a ClusterRoleBinding, line kept.
    let victim = dir.join("team-default.secret.gcp-adc.yaml");
    let text = std::fs::read_to_string(&victim).unwrap();
    let line = text.lines().next().unwrap();
    std::fs::write(
        &victim,
        format!("{line}\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: own\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}}\nsubjects: [{{kind: User, name: eve}}]\n"),
    )
    .unwrap();
    // Leftovers of an interrupted run.
    std::fs::write(dir.join(".recif-secrets-tmp-1-1"), "x").unwrap();
    let o = verify(dir, &flags);
    expect_exit(&o, 5, "");
    let p = problems(&o).join("\n");
    for want in [
        "problem  team-default.secret.plain.yaml: Secret team-default/agent-env is not encrypted",
        "problem  team-default.secret.plain.yaml: not listed in kustomization.yaml",
        "problem  team-default.secret.plain.yaml: does not hold exactly the secret team-default/plain its name says",
        "problem  kustomization.yaml: lists team-default.secret.gone.yaml, which is not in the folder",
        "problem  team-default.secret.gcp-adc.yaml: does not hold exactly the secret team-default/gcp-adc its name says",
        "problem  .recif-secrets-tmp-1-1: left by an interrupted render --output-dir run",
    ] {
        assert!(p.contains(want), "missing {want:?} in\n{p}");
    }
    assert!(!stdout(&o).contains("sk-"), "a value was printed");
}

#[test]
fn the_kustomization_may_only_list_the_folder_files() {
    let keys = Keys::new();
    let out = sops_folder(&keys);
    let dir = out.path();
    let key = keys.path("fingerprint.key");
    let flags = sops_flags(&keys, &[0, 1], &key);
    let k = dir.join("kustomization.yaml");
    let text = std::fs::read_to_string(&k).unwrap();
    std::fs::write(
        &k,
        format!("{text}  - ../other/secret.yaml\nsecretGenerator:\n- name: x\n  literals: [A=b]\n"),
    )
    .unwrap();
    let o = verify(dir, &flags);
    expect_exit(&o, 5, "");
    let p = problems(&o).join("\n");
    assert!(
        p.contains("kustomization.yaml: has `secretGenerator`"),
        "{p}"
    );
    assert!(
        p.contains(
            "kustomization.yaml: lists ../other/secret.yaml, which is not a file of this folder"
        ),
        "{p}"
    );
    std::fs::remove_file(&k).unwrap();
    let o = verify(dir, &flags);
    expect_exit(&o, 5, "");
    assert!(problems(&o)
        .join("\n")
        .contains("kustomization.yaml: missing"));
}

#[test]
fn fingerprint_lines_need_the_key_or_an_explicit_skip() {
    let keys = Keys::new();
    let out = sops_folder(&keys);
    let dir = out.path();
    let r = [
        "--sops-age",
        keys.recipients[0].as_str(),
        "--sops-age",
        keys.recipients[1].as_str(),
    ];
    let missing = keys.path("no-such.key");
    let o = run_env(
        &[&["verify", dir.to_str().unwrap()][..], &r].concat(),
        &[
            ("HOME", keys.dir.path()),
            ("XDG_CONFIG_HOME", &keys.dir.path().join("cfg")),
        ],
    );
    expect_exit(&o, 5, "");
    assert!(problems(&o)
        .iter()
        .all(|l| l.contains("no fingerprint key to check it")));
    let o = verify(dir, &[&r[..], &["--skip-fingerprints"]].concat());
    expect_exit(&o, 0, "");
    // A key named on the command line must exist (exit 1, as diff).
    let o = verify(dir, &[&r[..], &["--fingerprint-key", &missing]].concat());
    expect_exit(&o, 1, "");
    // A mangled line.
    let f = dir.join("team-default.secret.agent-env.yaml");
    let text = std::fs::read_to_string(&f).unwrap();
    let (_, body) = text.split_once('\n').unwrap();
    std::fs::write(&f, format!("# recif-secrets fingerprint: v1:zz\n{body}")).unwrap();
    let key = keys.path("fingerprint.key");
    let o = verify(dir, &[&r[..], &["--fingerprint-key", &key]].concat());
    expect_exit(&o, 5, "");
    assert_eq!(problems(&o).len(), 1, "{:?}", problems(&o));
    assert!(problems(&o)[0]
        .contains("team-default.secret.agent-env.yaml: the fingerprint line does not verify"));
}

#[test]
fn file_names_from_the_folder_are_escaped() {
    let keys = Keys::new();
    let out = sops_folder(&keys);
    let dir = out.path();
    std::fs::write(dir.join("evil\u{1b}[2J\nok x.yaml"), "kind: ConfigMap\n").unwrap();
    let key = keys.path("fingerprint.key");
    let o = verify(dir, &sops_flags(&keys, &[0, 1], &key));
    expect_exit(&o, 5, "");
    let text = stdout(&o);
    assert!(!text.contains('\u{1b}'), "{text:?}");
    assert!(
        text.contains("problem  evil\\u{1b}[2J\\nok x.yaml: not listed"),
        "{text}"
    );
}

/// A controller key pair from the independent implementation (tests/tools/sealed.py).
fn controller(bits: &str) -> tempfile::TempDir {
    python_needs("no_pycrypto");
    let dir = tempfile::tempdir().unwrap();
    let script = root().join("tests/tools/sealed.py");
    let out = python(
        &[
            script.to_str().unwrap(),
            "keygen",
            dir.path().to_str().unwrap(),
            "--bits",
            bits,
        ],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    dir
}

#[test]
#[cfg_attr(
    no_pycrypto,
    ignore = "needs python3 with pyyaml, cryptography: run scripts/fetch-tools.sh"
)]
fn a_sealed_folder_passes_for_its_certificate_and_scope_only() {
    let ctl = controller("2048");
    let other = controller("3072");
    let cert = ctl.path().join("cert.pem");
    let cert = cert.to_str().unwrap();
    let out = tempfile::tempdir().unwrap();
    let key = out.path().join("fp.key");
    let dir = out.path().join("sealed");
    let o = run(
        &[
            "render",
            "-f",
            EXAMPLE,
            "--seal-cert",
            cert,
            "--fingerprint-key",
            key.to_str().unwrap(),
            "--output-dir",
            dir.to_str().unwrap(),
        ],
        "",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // The files unseal with the stand-in controller: they are real SealedSecrets.
    let stream: String = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".sealedsecret."))
        .map(|p| format!("---\n{}", std::fs::read_to_string(p).unwrap()))
        .collect();
    let script = root().join("tests/tools/sealed.py");
    let unsealed = python(
        &[
            script.to_str().unwrap(),
            "unseal",
            ctl.path().join("key.pem").to_str().unwrap(),
        ],
        &stream,
    );
    assert!(unsealed.status.success(), "{}", stderr(&unsealed));

    let k = key.to_str().unwrap();
    let o = verify(&dir, &["--seal-cert", cert, "--fingerprint-key", k]);
    expect_exit(&o, 0, "");
    assert!(stdout(&o).contains("5 SealedSecrets"), "{}", stdout(&o));
    // Another controller's certificate (another key size).
    let other_cert = other.path().join("cert.pem");
    let o = verify(
        &dir,
        &[
            "--seal-cert",
            other_cert.to_str().unwrap(),
            "--fingerprint-key",
            k,
        ],
    );
    expect_exit(&o, 5, "");
    assert!(
        problems(&o).iter().all(|l| l
            .contains("sealed with a 2048-bit key, not the expected certificate's 3072-bit key")),
        "{:?}",
        problems(&o)
    );
    // Another scope.
    let o = verify(
        &dir,
        &[
            "--seal-cert",
            cert,
            "--seal-scope",
            "cluster-wide",
            "--fingerprint-key",
            k,
        ],
    );
    expect_exit(&o, 5, "");
    assert!(
        problems(&o)
            .iter()
            .all(|l| l.contains("sealed strict, expected cluster-wide")),
        "{:?}",
        problems(&o)
    );
    // Expecting SOPS: SealedSecrets are problems.
    let keys = Keys::new();
    let o = verify(
        &dir,
        &["--sops-age", &keys.recipients[0], "--skip-fingerprints"],
    );
    expect_exit(&o, 5, "");
    assert!(problems(&o).iter().all(|l| l.contains("no --seal-cert")));
    // A value whose RSA ciphertext is at the top of the range cannot be this key's.
    let f = dir.join("team-default.sealedsecret.agent-env.yaml");
    let text = std::fs::read_to_string(&f).unwrap();
    let mut doc: serde_json::Value =
        serde_yaml::from_str(text.split_once('\n').unwrap().1).unwrap();
    let forged = {
        use base64::Engine as _;
        let mut b = vec![0x01, 0x00];
        b.extend(vec![0xffu8; 256 + 40]);
        base64::engine::general_purpose::STANDARD.encode(b)
    };
    let data = doc["spec"]["encryptedData"].as_object_mut().unwrap();
    let first = data.keys().next().unwrap().clone();
    data.insert(first.clone(), forged.into());
    std::fs::write(&f, serde_yaml::to_string(&doc).unwrap()).unwrap();
    let o = verify(&dir, &["--seal-cert", cert, "--fingerprint-key", k]);
    expect_exit(&o, 5, "");
    assert_eq!(
        problems(&o),
        vec![format!("problem  team-default.sealedsecret.agent-env.yaml: SealedSecret team-default/agent-env: encryptedData.{first} was not sealed with the expected certificate (its RSA ciphertext is not below the certificate's modulus)")]
    );
}

/// The hook of .pre-commit-hooks.yaml, from a repository of its own, run by the real
/// pre-commit on a GitOps repository: a good folder passes, a plaintext Secret fails the
/// commit with its line.
#[test]
#[cfg_attr(
    any(no_pre_commit, no_git),
    ignore = "needs pre-commit; git: run scripts/fetch-tools.sh"
)]
fn pre_commit_verify_hook_gates_the_folder() {
    let pre_commit = tool("PRE_COMMIT", "pre-commit");
    let tmp = tempfile::tempdir().unwrap();
    let hooks = tmp.path().join("hooks");
    std::fs::create_dir(&hooks).unwrap();
    std::fs::copy(
        root().join(".pre-commit-hooks.yaml"),
        hooks.join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    assert!(git(&hooks, &["init", "-q"]).status.success());
    assert!(git(&hooks, &["add", "."]).status.success());
    assert!(git(&hooks, &["commit", "-qm", "hooks"]).status.success());
    let rev = stdout(&git(&hooks, &["rev-parse", "HEAD"]))
        .trim()
        .to_string();

    let keys = Keys::new();
    let repo = tmp.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    assert!(git(&repo, &["init", "-q"]).status.success());
    std::fs::write(
        repo.join(".sops-age-recipients"),
        format!("{}\n{}\n", keys.recipients[0], keys.recipients[1]),
    )
    .unwrap();
    let folder = sops_folder(&keys);
    let dest = repo.join("clusters/prod/recif-secrets");
    std::fs::create_dir_all(&dest).unwrap();
    for e in std::fs::read_dir(folder.path()).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, dest.join(p.file_name().unwrap())).unwrap();
    }
    std::fs::write(
        repo.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n- repo: {}\n  rev: {rev}\n  hooks:\n  - id: recif-secrets-verify\n    args: [clusters/prod/recif-secrets, --sops-age-recipients-file, .sops-age-recipients, --skip-fingerprints]\n",
            hooks.display()
        ),
    )
    .unwrap();
    assert!(git(&repo, &["add", "."]).status.success());
    let run_hook = || {
        Command::new(&pre_commit)
            .args(["run", "--all-files"])
            .current_dir(&repo)
            .env("PRE_COMMIT_HOME", tmp.path().join("cache"))
            .env("PATH", path_with_bin(&[]))
            .output()
            .unwrap()
    };
    let o = run_hook();
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let plain = run(
        &["render", "-f", EXAMPLE, "--show-only", "secret/agent-env"],
        "",
    );
    std::fs::write(
        dest.join("team-default.secret.agent-env.yaml"),
        stdout(&plain),
    )
    .unwrap();
    assert!(git(&repo, &["add", "."]).status.success());
    let o = run_hook();
    assert!(!o.status.success(), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("problem  team-default.secret.agent-env.yaml: Secret team-default/agent-env is not encrypted"),
        "{}",
        stdout(&o)
    );
}
