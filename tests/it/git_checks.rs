//! The values-file warnings about git (tracked, not ignored) are read from the repository
//! without running git: they must agree with the real git, and no repository-configured
//! program (nor any other process) may start.

use crate::common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use common::*;

/// Runs git in `dir` with a private HOME/XDG so the user's own configuration plays no part.
fn git(dir: &Path, home: &Path, args: &[&str]) -> Option<Output> {
    Command::new(tool("GIT", "git"))
        .args(args)
        .current_dir(dir)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .ok()
}

/// Runs the binary in `dir` with the same HOME/XDG as git and a PATH holding only `path`.
fn ours(dir: &Path, home: &Path, path: &Path, args: &[&str]) -> Output {
    let mut cmd = bin_in(dir);
    cmd.args(args)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("PATH", path);
    piped(cmd, "")
}

fn secret_file(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, "llm:\n  openaiApiKey: sk-live-0123456789\n").unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// What git says of `rel`: "tracked", "ignored" or "not ignored".
fn git_says(repo: &Path, home: &Path, rel: &str) -> &'static str {
    let tracked = git(repo, home, &["ls-files", "--error-unmatch", "--", rel]).unwrap();
    if tracked.status.success() {
        return "tracked";
    }
    let ignored = git(repo, home, &["check-ignore", "-q", "--", rel]).unwrap();
    match ignored.status.code() {
        Some(0) => "ignored",
        Some(1) => "not ignored",
        other => panic!("git check-ignore {rel}: {other:?}"),
    }
}

fn we_say(o: &Output) -> &'static str {
    let err = stderr(o);
    assert!(o.status.success(), "{err}");
    match (
        err.contains("is tracked by git"),
        err.contains("is not git-ignored"),
    ) {
        (true, false) => "tracked",
        (false, true) => "not ignored",
        (false, false) => "ignored",
        _ => panic!("both warnings: {err}"),
    }
}

/// A private HOME (with an empty git config folder) and a fresh repository in `tmp`.
fn new_repo(tmp: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let home = tmp.join("home");
    let repo = tmp.join("repo");
    std::fs::create_dir_all(home.join(".config/git")).unwrap();
    std::fs::create_dir_all(&repo).unwrap();
    assert!(
        git(&repo, &home, &["init", "-q"]).is_some_and(|o| o.status.success()),
        "git init"
    );
    (home, repo)
}

#[test]
#[cfg_attr(no_git, ignore = "needs git")]
fn git_warnings_agree_with_git_and_start_no_process() {
    let tmp = tempfile::tempdir().unwrap();
    let (home, repo) = new_repo(tmp.path());
    // Ignore rules from every place git reads them.
    std::fs::write(
        repo.join(".gitignore"),
        "*.secret.yaml\nprivate/\n/anchored.yaml\n",
    )
    .unwrap();
    std::fs::create_dir_all(repo.join("sub")).unwrap();
    std::fs::write(
        repo.join("sub/.gitignore"),
        "!keep.secret.yaml\nlocal-*.yaml\n",
    )
    .unwrap();
    std::fs::write(repo.join(".git/info/exclude"), "excluded.yaml\n").unwrap();
    std::fs::write(home.join(".config/git/ignore"), "global.yaml\n").unwrap();
    let files = [
        "values-secret.yaml",
        "a.secret.yaml",
        "private/values.yaml",
        "anchored.yaml",
        "sub/anchored.yaml",
        "sub/keep.secret.yaml",
        "sub/other.secret.yaml",
        "sub/local-dev.yaml",
        "excluded.yaml",
        "global.yaml",
        "deep/er/values.yaml",
        "tracked.yaml",
        "tracked-and-ignored.secret.yaml",
        "with space.yaml",
    ];
    for f in files {
        secret_file(&repo.join(f));
    }
    assert!(git(&repo, &home, &["add", "tracked.yaml"])
        .unwrap()
        .status
        .success());
    assert!(git(
        &repo,
        &home,
        &["add", "-f", "tracked-and-ignored.secret.yaml"]
    )
    .unwrap()
    .status
    .success());

    // From here on a program the repository configures, or any `git` on PATH, leaves a mark.
    let marks = tmp.path().join("marks");
    std::fs::create_dir(&marks).unwrap();
    let bin = tmp.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let script = |name: &str| {
        let p = bin.join(name);
        std::fs::write(
            &p,
            format!("#!/bin/sh\ntouch '{}/{name}'\nexit 0\n", marks.display()),
        )
        .unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    };
    script("git");
    let fsmonitor = script("fsmonitor");
    let expected: Vec<(&str, &str)> = files
        .iter()
        .map(|f| (*f, git_says(&repo, &home, f)))
        .collect();
    assert!(git(
        &repo,
        &home,
        &["config", "core.fsmonitor", fsmonitor.to_str().unwrap()]
    )
    .unwrap()
    .status
    .success());
    // The expectations cover every answer, so the comparison can fail either way.
    for kind in ["tracked", "ignored", "not ignored"] {
        assert!(expected.iter().any(|(_, k)| *k == kind), "{expected:?}");
    }

    for (file, want) in &expected {
        // From the repository's root, and from the file's own folder.
        let out = ours(&repo, &home, &bin, &["render", "-f", file]);
        assert_eq!(we_say(&out), *want, "{file}: {}", stderr(&out));
        let path = repo.join(file);
        let out = ours(
            path.parent().unwrap(),
            &home,
            &bin,
            &[
                "validate",
                "-f",
                path.file_name().unwrap().to_str().unwrap(),
            ],
        );
        assert_eq!(we_say(&out), *want, "{file} (validate): {}", stderr(&out));
    }
    let out = ours(&repo, &home, &bin, &["values", "-f", "tracked.yaml"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let left: Vec<_> = std::fs::read_dir(&marks).unwrap().collect();
    assert!(left.is_empty(), "a process was started: {left:?}");
}

#[test]
fn outside_a_work_tree_nothing_is_said() {
    let tmp = tempfile::tempdir().unwrap();
    secret_file(&tmp.path().join("values-secret.yaml"));
    let out = run_in(tmp.path(), &["render", "-f", "values-secret.yaml"], "");
    assert!(out.status.success());
    assert!(!stderr(&out).contains("git"), "{}", stderr(&out));
}

/// Our answer for every file equals git's, from the repository root.
fn agree_with_git(repo: &Path, home: &Path, files: &[String], what: &str) {
    let empty_path = repo.join(".no-bin");
    for file in files {
        let want = git_says(repo, home, file);
        let out = ours(repo, home, &empty_path, &["validate", "-f", file]);
        assert_eq!(we_say(&out), want, "{what}: {file}: {}", stderr(&out));
    }
}

fn git_ok(repo: &Path, home: &Path, args: &[&str]) {
    let out = git(repo, home, args).unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The index is searched for the one path (src/cli/commands/git_index.rs: a binary search
/// after a commit, else a walk) and decoded in full only when neither can answer, end to
/// end through the binary (the search itself: git_index_tests.rs): every index version git
/// writes, extended flags, a
/// split index, and a `.gitignore` git reads from the index (skip-worktree) must all give
/// git's answers, in an index large enough that the files sort among thousands of entries.
#[test]
#[cfg_attr(no_git, ignore = "needs git")]
fn every_index_format_agrees_with_git() {
    let tmp = tempfile::tempdir().unwrap();
    let (home, repo) = new_repo(tmp.path());
    git_ok(&repo, &home, &["config", "user.name", "t"]);
    git_ok(&repo, &home, &["config", "user.email", "t@example.com"]);
    std::fs::write(repo.join(".gitignore"), "*.secret.yaml\n").unwrap();
    std::fs::create_dir_all(repo.join("sub")).unwrap();
    std::fs::write(
        repo.join("sub/.gitignore"),
        "local-*.yaml\n!keep.secret.yaml\n",
    )
    .unwrap();
    // Thousands of entries before, between and after the files looked up; long paths too.
    let long = "l".repeat(200);
    for dir in ["aaa", "mmm", "zzz"] {
        for i in 0..1500 {
            let d = repo.join(dir).join(format!("d{}", i / 100));
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join(format!("f{i}.yaml")), "k: v\n").unwrap();
        }
        let deep = repo.join(dir).join(&long).join(&long);
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(deep.join(format!("{long}.yaml")), "k: v\n").unwrap();
    }
    let files: Vec<String> = [
        "values-secret.yaml",
        "a.secret.yaml",
        "sub/keep.secret.yaml",
        "sub/local-dev.yaml",
        "sub/other.secret.yaml",
        "mmm/tracked.yaml",
        "mmm/tracked.secret.yaml",
        "mmm/intent.yaml",
        "zzz/untracked.yaml",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([format!("mmm/{long}/{long}/secret.yaml")])
    .collect();
    for f in &files {
        secret_file(&repo.join(f));
    }
    git_ok(&repo, &home, &["add", "."]);
    git_ok(&repo, &home, &["add", "-f", "mmm/tracked.secret.yaml"]);
    git_ok(
        &repo,
        &home,
        &[
            "rm",
            "-q",
            "--cached",
            "values-secret.yaml",
            "zzz/untracked.yaml",
            "mmm/intent.yaml",
        ],
    );
    git_ok(&repo, &home, &["rm", "-q", "--cached", &files[9]]);
    git_ok(&repo, &home, &["commit", "-qm", "init"]);
    // Every answer occurs, so the comparison can fail either way.
    let answers: Vec<_> = files.iter().map(|f| git_says(&repo, &home, f)).collect();
    for kind in ["tracked", "ignored", "not ignored"] {
        assert!(answers.contains(&kind), "{answers:?}");
    }
    agree_with_git(&repo, &home, &files, "index version 2");

    // Extended flags (version 3): an intent-to-add entry and a skip-worktree one.
    git_ok(&repo, &home, &["add", "-N", "mmm/intent.yaml"]);
    git_ok(
        &repo,
        &home,
        &["update-index", "--skip-worktree", "mmm/tracked.yaml"],
    );
    agree_with_git(&repo, &home, &files, "index version 3");

    // Version 4: paths prefix-compressed.
    git_ok(&repo, &home, &["update-index", "--index-version", "4"]);
    agree_with_git(&repo, &home, &files, "index version 4");

    // A split index: most entries in .git/sharedindex.*, the rest and a `link` extension here.
    git_ok(&repo, &home, &["update-index", "--index-version", "2"]);
    git_ok(&repo, &home, &["update-index", "--split-index"]);
    std::fs::write(repo.join("aaa/d0/f0.yaml"), "k: changed\n").unwrap();
    git_ok(&repo, &home, &["add", "aaa/d0/f0.yaml"]);
    agree_with_git(&repo, &home, &files, "split index");
    git_ok(&repo, &home, &["update-index", "--no-split-index"]);

    // A `.gitignore` marked skip-worktree and absent from the work tree: git reads its rules
    // from the index (sparse checkouts), and so must we.
    git_ok(
        &repo,
        &home,
        &["update-index", "--skip-worktree", "sub/.gitignore"],
    );
    std::fs::remove_file(repo.join("sub/.gitignore")).unwrap();
    assert_eq!(git_says(&repo, &home, "sub/local-dev.yaml"), "ignored");
    agree_with_git(&repo, &home, &files, "skip-worktree .gitignore");
}
