//! Issue 20: the fingerprint key, the sealing certificate and the recipients file as files:
//! created atomically (two first runs agree on one key), refused when exposed (readable by
//! group or others, tracked or not ignored in a git work tree), read bounded (never hanging
//! on a FIFO or filling memory from /dev/zero).

use crate::common;

use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::time::Duration;

use common::{expect_exit, git, root, run, run_with_timeout, spawn_in, stderr, stdout};

const EXAMPLE: &str = "examples/inline.yaml";

fn recipient() -> String {
    age::x25519::Identity::generate().to_public().to_string()
}

/// `COMMAND -f EXAMPLE --sops-age R --fingerprint-key KEY FLAG PATH`: a render into a folder
/// (`--output-dir`) or a diff against one (`--against`), with a fingerprint key.
fn keyed<'a>(
    command: &'a str,
    r: &'a str,
    key: &'a str,
    flag: &'a str,
    path: &'a str,
) -> [&'a str; 9] {
    [
        command,
        "-f",
        EXAMPLE,
        "--sops-age",
        r,
        "--fingerprint-key",
        key,
        flag,
        path,
    ]
}

#[test]
fn two_concurrent_first_runs_both_succeed_with_the_same_key() {
    let tmp = tempfile::tempdir().unwrap();
    let r = recipient();
    let key = tmp.path().join("keys/fingerprint.key");
    let k = key.to_str().unwrap().to_string();
    let runs: Vec<_> = (0..6)
        .map(|i| {
            let out = tmp.path().join(format!("out{i}"));
            let args = keyed("render", &r, &k, "--output-dir", out.to_str().unwrap());
            spawn_in(&root(), &args, None)
        })
        .collect();
    for (i, child) in runs.into_iter().enumerate() {
        let o = child.wait_with_output().unwrap();
        assert!(o.status.success(), "run {i}: {}", stderr(&o));
    }
    // One key, complete, private; every folder verifies with it.
    let text = std::fs::read_to_string(&key).unwrap();
    assert_eq!(
        text.lines().filter(|l| !l.starts_with('#')).count(),
        1,
        "{text}"
    );
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let leftovers: Vec<_> = std::fs::read_dir(key.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n != "fingerprint.key")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    for i in 0..6 {
        let out = tmp.path().join(format!("out{i}"));
        let o = run(
            &keyed("diff", &r, &k, "--against", out.to_str().unwrap()),
            "",
        );
        expect_exit(&o, 0, &format!("out{i}: {}", stdout(&o)));
    }
}

#[test]
#[cfg_attr(no_git, ignore = "needs git")]
fn an_exposed_fingerprint_key_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let r = recipient();
    let repo = tmp.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    assert!(git(&repo, &["init", "-q"]).status.success());
    let render = |key: &std::path::Path| {
        let out = tmp.path().join("out");
        run(
            &keyed(
                "render",
                &r,
                key.to_str().unwrap(),
                "--output-dir",
                out.to_str().unwrap(),
            ),
            "",
        )
    };
    // Created inside a work tree without being ignored: refused, nothing created.
    let key = repo.join("fingerprint.key");
    let o = render(&key);
    expect_exit(&o, 1, "");
    assert!(stderr(&o).contains("not git-ignored"), "{}", stderr(&o));
    assert!(!key.exists());
    // Ignored: created and used.
    std::fs::write(repo.join(".gitignore"), "*.key\n").unwrap();
    let o = render(&key);
    assert!(o.status.success(), "{}", stderr(&o));
    // Tracked (force-added): refused.
    assert!(git(&repo, &["add", "-f", "fingerprint.key"])
        .status
        .success());
    let o = render(&key);
    expect_exit(&o, 1, "");
    assert!(stderr(&o).contains("tracked by git"), "{}", stderr(&o));
    // Readable by group or others, outside any work tree: refused, as ssh does.
    let outside = tmp.path().join("keys");
    std::fs::create_dir(&outside).unwrap();
    let key = outside.join("fingerprint.key");
    assert!(render(&key).status.success());
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = render(&key);
    expect_exit(&o, 1, "");
    assert!(
        stderr(&o).contains("readable by group or others (mode 0644)"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("chmod 600"), "{}", stderr(&o));
    // diff reads the same way.
    let o = run(
        &keyed("diff", &r, key.to_str().unwrap(), "--against", EXAMPLE),
        "",
    );
    expect_exit(&o, 1, "");
}

#[test]
fn key_certificate_and_recipients_files_never_block_and_are_bounded() {
    let tmp = tempfile::tempdir().unwrap();
    let fifo = tmp.path().join("fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let r = recipient();
    let out = tmp.path().join("out");
    let o = out.to_str().unwrap();
    for odd in [fifo.to_str().unwrap(), "/dev/zero"] {
        for args in [
            keyed("render", &r, odd, "--output-dir", o).to_vec(),
            vec!["render", "-f", EXAMPLE, "--seal-cert", odd],
            vec!["render", "-f", EXAMPLE, "--sops-age-recipients-file", odd],
        ] {
            let res = run_with_timeout(&args, Duration::from_secs(20));
            expect_exit(&res, 1, &format!("{args:?}: {}", stderr(&res)));
            assert!(
                stderr(&res).contains("not a regular file"),
                "{args:?}: {}",
                stderr(&res)
            );
        }
    }
    // A large regular file is refused by size, not read whole.
    let big = tmp.path().join("big.pem");
    std::fs::write(&big, vec![b'A'; 2 << 20]).unwrap();
    let res = run_with_timeout(
        &[
            "render",
            "-f",
            EXAMPLE,
            "--seal-cert",
            big.to_str().unwrap(),
        ],
        Duration::from_secs(20),
    );
    expect_exit(&res, 1, "");
    assert!(stderr(&res).contains("larger than"), "{}", stderr(&res));
}

/// `diff --against DIR` reads only files inside the folder, follows no link out of it, never
/// waits on a FIFO and bounds every read (issue 20).
#[test]
fn diff_against_reads_only_regular_files_inside_the_folder_bounded() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    let d = dir.to_str().unwrap();
    assert!(run(&["render", "-f", EXAMPLE, "--output-dir", d], "")
        .status
        .success());
    let secret_outside = tmp.path().join("outside.yaml");
    std::fs::write(
        &secret_outside,
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: leak\n  namespace: x\n",
    )
    .unwrap();
    assert!(Command::new("mkfifo")
        .arg(dir.join("fifo.yaml"))
        .status()
        .unwrap()
        .success());
    std::os::unix::fs::symlink("/dev/zero", dir.join("zero.yaml")).unwrap();
    std::os::unix::fs::symlink(&secret_outside, dir.join("link.yaml")).unwrap();
    std::os::unix::fs::symlink(tmp.path(), dir.join("up")).unwrap();
    let kustomization = std::fs::read_to_string(dir.join("kustomization.yaml")).unwrap();
    for listed in [
        "../outside.yaml",
        secret_outside.to_str().unwrap(),
        "up/outside.yaml",
        "fifo.yaml",
        "zero.yaml",
        "link.yaml",
    ] {
        std::fs::write(
            dir.join("kustomization.yaml"),
            format!("{kustomization}  - {listed}\n"),
        )
        .unwrap();
        let o = run_with_timeout(
            &["diff", "-f", EXAMPLE, "--against", d],
            Duration::from_secs(20),
        );
        assert!(
            matches!(o.status.code(), Some(1) | Some(3)),
            "{listed}: {}{}",
            stdout(&o),
            stderr(&o)
        );
        assert!(!stdout(&o).contains("leak"), "{listed}: {}", stdout(&o));
        assert!(
            stderr(&o).contains("not a file inside the folder")
                || stderr(&o).contains("not a regular file"),
            "{listed}: {}",
            stderr(&o)
        );
    }
    // Without a kustomization, the folder's own regular files only: links, FIFOs skipped.
    std::fs::remove_file(dir.join("kustomization.yaml")).unwrap();
    let o = run_with_timeout(
        &["diff", "-f", EXAMPLE, "--against", d],
        Duration::from_secs(20),
    );
    expect_exit(&o, 0, "");
}

/// The index search never hangs on the object database (issue 26).
#[test]
fn the_index_search_never_hangs_on_odd_object_files() {
    // A committed repository: the index search reads HEAD's tree to prove where the entries
    // end. Its ref or its commit's loose object a FIFO: the index is walked instead, and the
    // answer is the same.
    let values = "llm:\n  openaiApiKey: sk-proj-Zq8xLiveKey0123456789\n";
    for odd in ["ref", "commit"] {
        let tmp = tempfile::tempdir().unwrap();
        let repo = tmp.path();
        assert!(git(repo, &["init", "-q", "-b", "main"]).status.success());
        std::fs::write(repo.join("tracked.yaml"), "k: v\n").unwrap();
        assert!(git(repo, &["add", "tracked.yaml"]).status.success());
        assert!(git(
            repo,
            &[
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@example.com",
                "commit",
                "-qm",
                "c"
            ]
        )
        .status
        .success());
        let id = String::from_utf8(git(repo, &["rev-parse", "HEAD"]).stdout).unwrap();
        let id = id.trim();
        let path = match odd {
            "ref" => repo.join(".git/refs/heads/main"),
            _ => repo.join(".git/objects").join(&id[..2]).join(&id[2..]),
        };
        std::fs::remove_file(&path).unwrap();
        assert!(Command::new("mkfifo")
            .arg(&path)
            .status()
            .unwrap()
            .success());
        std::fs::write(repo.join("values.yaml"), values).unwrap();
        std::fs::set_permissions(
            repo.join("values.yaml"),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
        validate_within(repo, odd, "is not git-ignored");
    }
}

/// The git checks (is a values file with secrets tracked or ignored?) never hang: a FIFO
/// `.git/info/exclude`, `.gitignore` or index, or a `core.excludesFile` naming a FIFO or
/// `/dev/zero`, gives at once a warning that the check could not be made (issue 20).
#[test]
#[cfg_attr(no_git, ignore = "needs git")]
fn git_checks_never_hang_on_odd_git_files() {
    let values = "llm:\n  openaiApiKey: sk-proj-Zq8xLiveKey0123456789\n";
    for odd in [
        ".git/info/exclude",
        ".gitignore",
        ".git/index",
        "excludes:fifo",
        "excludes:/dev/zero",
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let repo = tmp.path();
        assert!(git(repo, &["init", "-q"]).status.success());
        std::fs::write(repo.join("values.yaml"), values).unwrap();
        std::fs::set_permissions(
            repo.join("values.yaml"),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
        match odd.strip_prefix("excludes:") {
            Some("fifo") => {
                let fifo = repo.join("global-ignore");
                assert!(Command::new("mkfifo")
                    .arg(&fifo)
                    .status()
                    .unwrap()
                    .success());
                assert!(git(
                    repo,
                    &["config", "core.excludesFile", fifo.to_str().unwrap()]
                )
                .status
                .success());
            }
            Some(path) => {
                assert!(git(repo, &["config", "core.excludesFile", path])
                    .status
                    .success());
            }
            None => {
                let p = repo.join(odd);
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                let _ = std::fs::remove_file(&p);
                assert!(Command::new("mkfifo").arg(&p).status().unwrap().success());
            }
        }
        validate_within(repo, odd, "could not be checked");
    }
}

/// `validate` of `repo/values.yaml` (a key that looks real) ends within 20 s, exit 0, with
/// `says` in its warnings and the key nowhere.
fn validate_within(repo: &std::path::Path, odd: &str, says: &str) {
    let file = repo.join("values.yaml");
    let o = run_with_timeout(
        &["validate", "-f", file.to_str().unwrap()],
        Duration::from_secs(20),
    );
    expect_exit(&o, 0, &format!("{odd}: {}", stderr(&o)));
    assert!(stderr(&o).contains(says), "{odd}: {}", stderr(&o));
    assert!(!stderr(&o).contains("Zq8x"), "{}", stderr(&o));
}
