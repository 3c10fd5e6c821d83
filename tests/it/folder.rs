//! `--output-dir` is all or nothing and leaves no Secret behind: file names checked before
//! anything is written, a failure puts the folder back byte for byte, interrupted runs leave
//! no temporary file, two runs never mix, open files stay bounded, a kustomization that is
//! not provably ours is refused, and `--show-only` / `-o json` do what they say.

use crate::common;

use std::collections::BTreeMap;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use common::*;

/// Every entry of a folder (hidden ones too): its kind, mode and bytes.
fn snapshot(dir: &Path) -> Snapshot {
    let mut all = BTreeMap::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let meta = std::fs::symlink_metadata(e.path()).unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        let mode = meta.permissions().mode() & 0o7777;
        let entry = if meta.file_type().is_symlink() {
            let target = std::fs::read_link(e.path()).unwrap();
            ('l', mode, target.to_string_lossy().as_bytes().to_vec())
        } else if meta.is_dir() {
            let inner = format!("{:?}", snapshot(&e.path()));
            ('d', mode, inner.into_bytes())
        } else if meta.file_type().is_fifo() {
            ('p', mode, Vec::new())
        } else {
            ('f', mode, std::fs::read(e.path()).unwrap())
        };
        all.insert(name, entry);
    }
    all
}

type Snapshot = BTreeMap<String, (char, u32, Vec<u8>)>;

/// Fails with the names of the entries that differ from `before`.
fn assert_unchanged(dir: &Path, before: &Snapshot, what: &str) {
    let after = snapshot(dir);
    let differ: Vec<&String> = before
        .keys()
        .chain(after.keys())
        .filter(|n| before.get(*n) != after.get(*n))
        .collect();
    assert!(
        differ.is_empty(),
        "{what}: the folder must be exactly as before; changed: {differ:?}"
    );
}

fn hidden(dir: &Path) -> Vec<String> {
    snapshot(dir)
        .into_keys()
        .filter(|n| n.starts_with('.'))
        .collect()
}

fn render_into(dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["render", "--output-dir", dir.to_str().unwrap()];
    args.extend(extra);
    run(&args, "")
}

/// Values with `teams` team namespaces and an OpenAI key of `key_len` bytes (`seed` varies
/// it), written as a private file in `dir`.
fn many_teams(dir: &Path, teams: usize, key_len: usize, seed: char) -> PathBuf {
    let values = serde_json::json!({
        "llm": {"openaiApiKey": format!("sk-{}", seed.to_string().repeat(key_len))},
        "namespaces": {"teams": (0..teams).map(|i| format!("team-{i}")).collect::<Vec<_>>()},
    });
    let path = dir.join(format!("values-{teams}-{seed}.json"));
    std::fs::write(&path, values.to_string()).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

/// Waits until a hidden temporary file of a run appears in `dir` (or the run ends).
fn wait_for_temporary(child: &mut Child, dir: &Path) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        if std::fs::read_dir(dir).is_ok_and(|mut entries| {
            entries.any(|e| {
                e.is_ok_and(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .starts_with(".recif-secrets")
                })
            })
        }) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    false
}

#[test]
fn a_file_name_over_255_bytes_is_refused_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    let wi = ["-f", "examples/workload-identity-eks.yaml"];
    assert!(render_into(&dir, &wi).status.success());
    let before = snapshot(&dir);
    // A valid ServiceAccount name (an RFC 1123 subdomain of 253 characters) whose file name
    // is 288 bytes; the other ServiceAccount's file comes first and changes too.
    let long = format!(
        "{}.{}.{}.{}",
        "a".repeat(63),
        "b".repeat(63),
        "c".repeat(63),
        "d".repeat(61)
    );
    assert_eq!(long.len(), 253);
    let set = format!("workloadIdentity.serviceAccounts[1].name={long}");
    let arn = "workloadIdentity.awsRoleArn=arn:aws:iam::123456789012:role/other";
    let args = [wi[0], wi[1], "--set", &set, "--set", arn];
    let out = render_into(&dir, &args);
    assert_unchanged(&dir, &before, "after the failure");
    expect_exit(&out, 3, "");
    let err = stderr(&out);
    assert!(err.contains("255-byte limit"), "{err}");
    assert!(err.contains("nothing was written"), "{err}");
    // A folder that did not exist is not created.
    let fresh = tmp.path().join("fresh");
    expect_exit(&render_into(&fresh, &args), 3, "");
    assert!(!fresh.exists());
}

#[test]
fn a_failure_in_the_middle_puts_the_folder_back_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    let base = [
        "-f",
        "examples/inline.yaml",
        "--set",
        "namespaces.teams={team-b,team-c}",
    ];
    assert!(render_into(&dir, &base).status.success());
    // A user's file and a folder where the last object's file must go: every earlier file
    // is replaced, and a stale one removed, before the rename onto the folder fails.
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    let last = dir.join("team-c.secret.gcp-adc.yaml");
    std::fs::remove_file(&last).unwrap();
    std::fs::create_dir(&last).unwrap();
    std::fs::write(last.join("inside"), "x").unwrap();
    std::fs::set_permissions(
        dir.join("team-b.secret.agent-env.yaml"),
        std::fs::Permissions::from_mode(0o400),
    )
    .unwrap();
    let before = snapshot(&dir);
    let out = render_into(
        &dir,
        &[
            "-f",
            "examples/inline.yaml",
            "--set",
            "namespaces.teams={team-a,team-c}",
            "--set",
            "llm.openaiApiKey=sk-a-new-key-of-the-second-run",
        ],
    );
    assert_unchanged(&dir, &before, "after the failure");
    expect_exit(&out, 3, "");
    let err = stderr(&out);
    assert!(err.contains("team-c.secret.gcp-adc.yaml"), "{err}");
    assert!(err.contains("left as it was"), "{err}");
    assert!(!err.contains("sk-a-new-key"), "{err}");
    // Once the folder is moved away, the same run succeeds.
    std::fs::remove_dir_all(&last).unwrap();
    let out = render_into(
        &dir,
        &[
            "-f",
            "examples/inline.yaml",
            "--set",
            "namespaces.teams={team-a,team-c}",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(hidden(&dir).is_empty(), "{:?}", hidden(&dir));
    assert!(!dir.join("team-b.secret.agent-env.yaml").exists());
    assert!(dir.join("notes.txt").exists());
}

#[test]
fn interrupted_runs_leave_no_temporary_file_and_no_half_written_folder() {
    let tmp = tempfile::tempdir().unwrap();
    // Enough files that the run takes a while: every file is synced to disk.
    let old = many_teams(tmp.path(), 300, 20_000, 'o');
    let new = many_teams(tmp.path(), 300, 20_000, 'n');
    let complete = tmp.path().join("complete");
    let out = render_into(&complete, &["-f", new.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let complete = snapshot(&complete);
    for signal in [libc::SIGTERM, libc::SIGINT] {
        let dir = tmp.path().join(format!("out-{signal}"));
        assert!(render_into(&dir, &["-f", old.to_str().unwrap()])
            .status
            .success());
        let before = snapshot(&dir);
        let mut interrupted = false;
        for _attempt in 0..5 {
            let mut child = spawn_in(
                &root(),
                &[
                    "render",
                    "-f",
                    new.to_str().unwrap(),
                    "--output-dir",
                    dir.to_str().unwrap(),
                ],
                None,
            );
            let seen = wait_for_temporary(&mut child, &dir);
            if seen {
                unsafe { libc::kill(child.id() as i32, signal) };
            }
            let out = wait_deadline(child, Duration::from_secs(60));
            if !seen {
                assert!(out.status.success(), "{}", stderr(&out));
                continue;
            }
            interrupted = true;
            // It ends as the signal would have ended it.
            assert_eq!(out.status.signal(), Some(signal), "{}", stderr(&out));
            let after = snapshot(&dir);
            assert!(
                after.keys().all(|n| !n.starts_with('.')),
                "signal {signal} left {:?}",
                hidden(&dir)
            );
            // All or nothing: the folder is the old one or the new one, never a mix.
            assert!(
                after == before || after == complete,
                "signal {signal}: the folder is half written"
            );
            break;
        }
        assert!(interrupted, "no run could be interrupted while writing");
    }
}

#[test]
fn the_next_run_removes_what_an_interrupted_run_left_and_only_that() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let ours = [
        ".recif-secrets-tmp-4242-0",
        ".recif-secrets-bak-4242-7",
        // What versions up to 0.1.0 left: `.recif-secrets-` and six random characters.
        ".recif-secrets-Ab3xY9",
    ];
    for n in ours {
        std::fs::write(
            dir.join(n),
            "apiVersion: v1\nkind: Secret\ndata:\n  k: c2VjcmV0\n",
        )
        .unwrap();
    }
    let theirs = [".recif-secrets-notes", ".recif-secrets-Ab3xY9.yaml", ".env"];
    for n in theirs {
        std::fs::write(dir.join(n), "mine").unwrap();
    }
    std::fs::create_dir(dir.join(".recif-secrets-tmp-folder")).unwrap();
    let out = render_into(dir, &["--example"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut left = hidden(dir);
    left.sort();
    let mut expected: Vec<String> = theirs.iter().map(|s| s.to_string()).collect();
    expected.push(".recif-secrets-tmp-folder".into());
    expected.sort();
    assert_eq!(left, expected);
}

#[test]
fn a_second_run_into_the_same_folder_fails_at_once_while_the_first_finishes() {
    let tmp = tempfile::tempdir().unwrap();
    let values = many_teams(tmp.path(), 200, 20_000, 'f');
    let dir = tmp.path().join("out");
    std::fs::create_dir(&dir).unwrap();
    let d = dir.to_str().unwrap();
    let mut checked = false;
    for _attempt in 0..5 {
        let mut first = spawn_in(
            &root(),
            &["render", "-f", values.to_str().unwrap(), "--output-dir", d],
            None,
        );
        let seen = wait_for_temporary(&mut first, &dir);
        let second = seen.then(|| {
            run_with_timeout(
                &["render", "--example", "--output-dir", d],
                Duration::from_secs(60),
            )
        });
        let first = wait_deadline(first, Duration::from_secs(120));
        assert!(first.status.success(), "{}", stderr(&first));
        // A second run that started after the first had finished proves nothing: again.
        let Some(second) = second.filter(|o| !o.status.success()) else {
            continue;
        };
        expect_exit(&second, 3, "");
        let err = stderr(&second);
        assert!(err.contains("another recif-secrets run"), "{err}");
        // The folder is the first run's, whole.
        let k = std::fs::read_to_string(dir.join("kustomization.yaml")).unwrap();
        assert!(k.contains("team-199.secret.agent-env.yaml"), "{k}");
        assert!(hidden(&dir).is_empty());
        checked = true;
        break;
    }
    assert!(checked, "the second run never overlapped the first");

    // The lock is the folder's own: held by another process, the run fails the same way.
    let held = std::fs::File::open(&dir).unwrap();
    held.try_lock().unwrap();
    let out = render_into(&dir, &["--example"]);
    expect_exit(&out, 3, "");
    drop(held);
    assert!(render_into(&dir, &["--example"]).status.success());
    // And leaves no lock file behind.
    assert!(hidden(&dir).is_empty(), "{:?}", hidden(&dir));
}

#[test]
fn open_files_stay_bounded_with_many_teams() {
    let tmp = tempfile::tempdir().unwrap();
    let values = many_teams(tmp.path(), 150, 100, 'u');
    let dir = tmp.path().join("out");
    let args = [
        "render",
        "-f",
        values.to_str().unwrap(),
        "--output-dir",
        dir.to_str().unwrap(),
    ];
    let out = wait_deadline(
        spawn_in(&root(), &args, Some("-n 64")),
        Duration::from_secs(300),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    // 150 teams and the default one: an agent-env Secret each, and the kustomization.
    let files = snapshot(&dir);
    assert_eq!(files.len(), 152, "{:?}", files.keys().collect::<Vec<_>>());
    assert!(files
        .values()
        .all(|(kind, mode, _)| *kind == 'f' && *mode == 0o600));
}

#[test]
fn a_kustomization_that_is_not_provably_ours_is_refused() {
    type Make = Box<dyn Fn(&Path)>;
    let cases: Vec<(&str, Make)> = vec![
        (
            "not UTF-8",
            Box::new(|d: &Path| {
                std::fs::write(d.join("kustomization.yaml"), b"resources:\n  - \xff.yaml\n")
                    .unwrap()
            }),
        ),
        (
            "a folder",
            Box::new(|d: &Path| std::fs::create_dir(d.join("kustomization.yaml")).unwrap()),
        ),
        (
            "empty",
            Box::new(|d: &Path| std::fs::write(d.join("kustomization.yaml"), "").unwrap()),
        ),
        (
            "kustomization.yml",
            Box::new(|d: &Path| {
                std::fs::write(d.join("kustomization.yml"), "resources: [mine.yaml]\n").unwrap()
            }),
        ),
        (
            "Kustomization",
            Box::new(|d: &Path| {
                std::fs::write(d.join("Kustomization"), "resources: [mine.yaml]\n").unwrap()
            }),
        ),
        (
            "ours, edited by the user",
            Box::new(|d: &Path| {
                assert!(render_into(d, &["--example"]).status.success());
                let k = d.join("kustomization.yaml");
                let text = std::fs::read_to_string(&k).unwrap();
                std::fs::write(k, format!("{text}patches:\n  - path: mine.yaml\n")).unwrap();
            }),
        ),
        (
            "a FIFO",
            Box::new(|d: &Path| {
                let p =
                    std::ffi::CString::new(d.join("kustomization.yaml").to_str().unwrap()).unwrap();
                assert_eq!(unsafe { libc::mkfifo(p.as_ptr(), 0o600) }, 0);
            }),
        ),
        (
            "a symbolic link to a device",
            Box::new(|d: &Path| {
                std::os::unix::fs::symlink("/dev/zero", d.join("kustomization.yaml")).unwrap()
            }),
        ),
        (
            "a symbolic link to our own kustomization",
            Box::new(|d: &Path| {
                let elsewhere = d.join("elsewhere");
                assert!(render_into(&elsewhere, &["--example"]).status.success());
                std::os::unix::fs::symlink(
                    elsewhere.join("kustomization.yaml"),
                    d.join("kustomization.yaml"),
                )
                .unwrap()
            }),
        ),
    ];
    for (case, make) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        make(d);
        let before = snapshot(d);
        let out = run_with_timeout(
            &["render", "--example", "--output-dir", d.to_str().unwrap()],
            Duration::from_secs(30),
        );
        expect_exit(&out, 3, &format!("{case}: {}", stderr(&out)));
        let err = stderr(&out);
        assert!(
            err.contains("only replaces a kustomization.yaml it wrote"),
            "{case}: {err}"
        );
        assert_unchanged(d, &before, case);
    }
}

#[test]
#[cfg_attr(no_kubectl, ignore = "needs kubectl: run scripts/fetch-tools.sh")]
fn show_only_writes_the_selected_files_and_leaves_the_others_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    let base = ["-f", "examples/inline.yaml"];
    assert!(render_into(&dir, &base).status.success());
    let before = snapshot(&dir);
    let out = render_into(
        &dir,
        &[
            "-f",
            "examples/inline.yaml",
            "--set",
            "llm.openaiApiKey=sk-rotated-example-key",
            "--show-only",
            "secret/agent-env",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let after = snapshot(&dir);
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>()
    );
    for (name, entry) in &after {
        if name.ends_with(".secret.agent-env.yaml") {
            assert_ne!(entry, &before[name], "{name} must be rewritten");
            let text = String::from_utf8(entry.2.clone()).unwrap();
            let doc = &docs(&text)[0];
            let stream = stdout(&run(
                &[
                    "render",
                    "-f",
                    "examples/inline.yaml",
                    "--set",
                    "llm.openaiApiKey=sk-rotated-example-key",
                ],
                "",
            ));
            assert!(docs(&stream).contains(doc), "{name}");
        } else {
            assert_eq!(entry, &before[name], "{name} must be left alone");
        }
    }

    // Into an empty folder: only the selected files, listed by the kustomization, and
    // kustomize builds it.
    let only = tmp.path().join("only");
    let out = render_into(&only, &["--example", "--show-only", "secret/gcp-adc"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let names: Vec<String> = snapshot(&only).into_keys().collect();
    assert_eq!(
        names,
        ["kustomization.yaml", "team-default.secret.gcp-adc.yaml"]
    );
    // Then a second selection is added to the list, the first one kept.
    let out = render_into(&only, &["--example", "--show-only", "secret/agent-env"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let k = std::fs::read_to_string(only.join("kustomization.yaml")).unwrap();
    assert!(
        k.ends_with("  - \"team-default.secret.gcp-adc.yaml\"\n  - \"team-default.secret.agent-env.yaml\"\n"),
        "{k}"
    );
    let kubectl = tool("KUBECTL", "kubectl");
    let built = Command::new(kubectl)
        .args(["kustomize", only.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    assert_eq!(docs(&String::from_utf8(built.stdout).unwrap()).len(), 2);
}

#[test]
fn json_output_with_an_output_folder_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    let out = render_into(&dir, &["--example", "-o", "json"]);
    expect_exit(&out, 2, "");
    assert!(stderr(&out).contains("-o json"), "{}", stderr(&out));
    assert!(!dir.exists());
}

#[test]
fn a_re_render_with_unchanged_values_touches_no_file() {
    use std::os::unix::fs::MetadataExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    let out = render_into(&dir, &["--set", "llm.openaiApiKey=k"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let inodes = |dir: &Path| -> BTreeMap<String, (u64, i64, i64)> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let m = e.metadata().unwrap();
                (
                    e.file_name().to_string_lossy().into_owned(),
                    (m.ino(), m.mtime(), m.mtime_nsec()),
                )
            })
            .collect()
    };
    let before = inodes(&dir);
    let out = render_into(&dir, &["--set", "llm.openaiApiKey=k"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!(
            "wrote 0 files to {} ({} unchanged)",
            dir.display(),
            before.len()
        )),
        "{}",
        stderr(&out)
    );
    assert_eq!(inodes(&dir), before, "no file rewritten");
    // A file whose mode was opened up is rewritten 0600.
    let agent = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".secret.agent-env.yaml"))
        .unwrap();
    std::fs::set_permissions(&agent, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = render_into(&dir, &["--set", "llm.openaiApiKey=k"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("wrote 1 file to"), "{}", stderr(&out));
    let mode = std::fs::metadata(&agent).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}
