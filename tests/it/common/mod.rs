//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod standin;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the built binary with `args`, feeding `stdin`.
pub fn run(args: &[&str], stdin: &str) -> Output {
    run_in(&root(), args, stdin)
}

pub fn run_in(dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut cmd = bin_in(dir);
    cmd.args(args);
    piped(cmd, stdin)
}

/// The built binary as a `Command` run in `dir`, for a test that sets its environment; run
/// it with [`piped`]. Every test runs the binary through this.
pub fn bin_in(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_recif-secrets"));
    cmd.current_dir(dir);
    cmd
}

/// Fails the test unless `o` exited with `code`, showing `what` ran and both outputs.
#[track_caller]
pub fn expect_exit(o: &Output, code: i32, what: &str) {
    assert_eq!(
        o.status.code(),
        Some(code),
        "{what}\n--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Runs `cmd` with `stdin` on its standard input, capturing its output.
pub fn piped(mut cmd: Command, stdin: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Runs git in `dir` (with an author for commits).
pub fn git(dir: &Path, args: &[&str]) -> Output {
    Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .output()
        .expect("git runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// Called when a test cannot run because `what` is missing. Under `CI=true` that is a
/// failure (a check that cannot run must not pass); elsewhere it prints a visible
/// `SKIPPED:` line straight to the terminal (libtest captures `eprintln!`, not raw
/// writes), so a local run says what it did not check.
pub fn skip(what: &str, how: &str) {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{what} is required under CI=true ({how})");
    }
    let _ = writeln!(std::io::stderr(), "SKIPPED: {what} not found ({how})");
}

/// A tool from the environment variable `var`, `.tools/bin/<name>` (installed by
/// scripts/fetch-tools.sh), or PATH. See [`skip`] for what happens when there is none.
pub fn tool(var: &str, name: &str) -> Option<PathBuf> {
    if let Ok(p) = std::env::var(var) {
        return Some(PathBuf::from(p));
    }
    let local = root().join(".tools/bin").join(name);
    if local.exists() {
        return Some(local);
    }
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        skip(name, &format!("set {var}, or run scripts/fetch-tools.sh"));
    }
    found
}

/// The read-only material beside the repository (`../shared`: CRDs, corpora, the strict
/// checker), or where `RECIF_SHARED` says.
pub fn shared() -> PathBuf {
    std::env::var_os("RECIF_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared"))
}

/// python3 with PyYAML and jsonschema, for ../shared/tools/check-manifests.py.
pub fn python_with_checker() -> Option<PathBuf> {
    let checker = shared().join("tools/check-manifests.py");
    if !checker.exists() {
        skip(
            &checker.display().to_string(),
            "../shared must sit beside the repository, or set RECIF_SHARED",
        );
        return None;
    }
    python_has("yaml, jsonschema", "pyyaml and jsonschema").then_some(checker)
}

/// Whether python3 can import `modules` (`"yaml, cryptography"`); if not, [`skip`]s naming
/// `what` (a failure under `CI=true`).
pub fn python_has(modules: &str, what: &str) -> bool {
    let ok = Command::new("python3")
        .args(["-c", &format!("import {modules}")])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        skip(
            &format!("python3 with {what}"),
            "run scripts/fetch-tools.sh",
        );
    }
    ok
}

/// Runs the built binary in the repository with `args` and these environment variables set.
pub fn run_env(args: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut cmd = bin_in(&root());
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    piped(cmd, "")
}

/// Runs `python3 ARGS` with `stdin` on its standard input.
pub fn python(args: &[&str], stdin: &str) -> Output {
    let mut cmd = Command::new("python3");
    cmd.args(args);
    piped(cmd, stdin)
}

/// Runs check-manifests.py over a stream; returns its output on failure.
pub fn check_manifests(stream: &str) -> Option<Result<(), String>> {
    let checker = python_with_checker()?;
    let out = python(&[checker.to_str().unwrap()], stream);
    Some(if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    })
}

/// `Kind/namespace/name` of each document, in order.
pub fn ids(docs: &[serde_json::Value]) -> Vec<String> {
    docs.iter()
        .map(|d| {
            format!(
                "{}/{}/{}",
                d["kind"].as_str().unwrap_or(""),
                d["metadata"]["namespace"].as_str().unwrap_or(""),
                d["metadata"]["name"].as_str().unwrap_or("")
            )
        })
        .collect()
}

/// Parses a YAML stream into JSON documents.
pub fn docs(stream: &str) -> Vec<serde_json::Value> {
    use serde::Deserialize;
    serde_yaml::Deserializer::from_str(stream)
        .map(|d| serde_json::Value::deserialize(d).unwrap())
        .filter(|v| !v.is_null())
        .collect()
}

/// `v` as a values file in JSON form, with the characters a YAML reader refuses raw (DEL,
/// NEL, LS, PS, BOM: go-yaml and Helm refuse or fold them) written as escapes, so that the
/// values still hold them.
pub fn json_values_file(v: &serde_json::Value) -> String {
    v.to_string()
        .replace('\u{7f}', "\\u007f")
        .replace('\u{85}', "\\u0085")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
        .replace('\u{feff}', "\\ufeff")
}

/// The built binary.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_recif-secrets"))
}

/// PATH with `extra` folders first, then the built binary's folder, then the current PATH.
pub fn path_with_bin(extra: &[&Path]) -> String {
    let mut dirs: Vec<PathBuf> = extra.iter().map(|p| p.to_path_buf()).collect();
    dirs.push(bin().parent().unwrap().to_path_buf());
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(dirs).unwrap().into_string().unwrap()
}

/// Exit status, standard output and standard error, for assertion messages.
pub fn out_text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}
