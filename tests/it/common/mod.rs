//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod find;
pub mod standin;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A `--templates` folder holding the built-in template `file` with `from` (which must
/// occur in it) replaced by `to`.
pub fn template_changed(file: &str, from: &str, to: &str) -> tempfile::TempDir {
    let builtin = std::fs::read_to_string(root().join("templates").join(file)).unwrap();
    assert!(builtin.contains(from), "{file} has no {from:?}");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(file), builtin.replace(from, to)).unwrap();
    dir
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
    Command::new(tool("GIT", "git"))
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

/// The tool `name` (`$VAR`, `.tools/bin/NAME` or PATH; see [`find::find`]). A test that
/// calls this needs it: it carries `#[cfg_attr(FLAG, ignore = "needs NAME: ...")]` with the
/// tool's flag from [`find::TOOLS`], so that where the tool is missing cargo reports it as
/// ignored (build.rs sets the flag; never under `CI=true`). When the test runs anyway
/// (`CI=true`, `--include-ignored`, a tool removed since the build), this fails it.
#[track_caller]
pub fn tool(var: &str, name: &str) -> PathBuf {
    find::find(&root(), var, name).unwrap_or_else(|| {
        let flag = find::TOOLS
            .iter()
            .find(|t| t.0 == name)
            .map_or("?", |t| t.2);
        panic!(
            "{name} not found: set {var}, or run scripts/fetch-tools.sh (a test that needs it \
             carries #[cfg_attr({flag}, ignore = \"needs {name}: ...\")], so that without \
             CI=true it is reported as ignored)"
        )
    })
}

/// python3 (`$PYTHON3` or PATH).
pub fn python3() -> PathBuf {
    tool("PYTHON3", "python3")
}

/// The third-party test data in the repository (`testdata/`: CRDs, the Helm values corpus,
/// ESO's store examples; see testdata/README.md).
pub fn testdata() -> PathBuf {
    root().join("testdata")
}

/// scripts/check-manifests.py, the strict checker (python3 with PyYAML, jsonschema and
/// kubernetes-validate: a test that runs it carries `#[cfg_attr(no_checker, ignore = ...)]`).
pub fn checker() -> PathBuf {
    python_needs("no_checker");
    root().join("scripts/check-manifests.py")
}

/// Fails the test unless python3 imports the modules of `flag` in [`find::PYTHON_MODULES`]
/// (a test that calls this carries `#[cfg_attr(FLAG, ignore = ...)]`).
#[track_caller]
pub fn python_needs(flag: &str) {
    let modules = find::PYTHON_MODULES
        .iter()
        .find(|p| p.0 == flag)
        .unwrap_or_else(|| panic!("{flag} is not in find::PYTHON_MODULES"))
        .1
        .join(", ");
    let ok = Command::new(python3())
        .args(["-c", &format!("import {modules}")])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "python3 cannot import {modules}: run scripts/fetch-tools.sh (a test that needs them \
         carries #[cfg_attr({flag}, ignore = \"needs ...\")], so that without CI=true it is \
         reported as ignored)"
    );
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
    let mut cmd = Command::new(python3());
    cmd.args(args);
    piped(cmd, stdin)
}

/// Runs scripts/check-manifests.py over a stream; returns its output on failure. A test that
/// calls this carries `#[cfg_attr(no_checker, ignore = ...)]`.
pub fn check_manifests(stream: &str) -> Result<(), String> {
    let out = python(&[checker().to_str().unwrap()], stream);
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
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

/// PATH with the built binary's folder first (so it wins over an installed one), then the
/// `extra` folders, then the current PATH.
pub fn path_with_bin(extra: &[&Path]) -> String {
    let mut dirs = vec![bin().parent().unwrap().to_path_buf()];
    dirs.extend(extra.iter().map(|p| p.to_path_buf()));
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(dirs).unwrap().into_string().unwrap()
}

/// Runs the built binary in the repository with `args` as a user without privileges: the test
/// user, or `nobody` (through `setpriv`) when the tests run as root, who reads and writes
/// anything. For the cases root would pass: an unreadable file, a read-only folder (make
/// their folders reachable to `nobody`). A test that calls this carries
/// `cfg_attr(no_setpriv, ignore)` (build.rs sets it only for root without setpriv).
pub fn run_unprivileged(args: &[&str]) -> Output {
    let mut cmd = if find::running_as_root() {
        let mut c = Command::new(tool("SETPRIV", "setpriv"));
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(bin());
        c
    } else {
        Command::new(bin())
    };
    cmd.current_dir(root()).args(args);
    piped(cmd, "")
}

/// Starts the built binary in `dir` with `args` (standard input empty, output piped), under
/// the shell's `ulimit LIMIT` when `limit` is given (`"-v 1048576"`, `"-n 64"`). Wait for it
/// with [`wait_deadline`].
pub fn spawn_in(dir: &Path, args: &[&str], limit: Option<&str>) -> Child {
    let mut cmd = match limit {
        Some(limit) => {
            let mut sh = Command::new("sh");
            sh.arg("-c")
                .arg(format!("ulimit {limit} && exec \"$0\" \"$@\""))
                .arg(bin());
            sh
        }
        None => Command::new(bin()),
    };
    cmd.args(args).current_dir(dir);
    spawn_piped(cmd)
}

/// Starts `cmd` (the binary from [`bin_in`], its environment set) with standard input empty
/// and its output piped. Wait for it with [`wait_deadline`].
pub fn spawn_piped(mut cmd: Command) -> Child {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts")
}

/// Waits for `child`, reading its output meanwhile (a large output cannot block it); past
/// `limit` it is killed and the test fails (a run that blocks is a failure, not a hung
/// test).
pub fn wait_deadline(mut child: Child, limit: Duration) -> Output {
    fn drain(mut r: impl std::io::Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            r.read_to_end(&mut v).unwrap();
            v
        })
    }
    let out = drain(child.stdout.take().unwrap());
    let err = drain(child.stderr.take().unwrap());
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the run did not end within {limit:?} (it blocked; killed): {}",
                String::from_utf8_lossy(&err.join().unwrap())
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// Runs the built binary in the repository with `args`; see [`wait_deadline`].
pub fn run_with_timeout(args: &[&str], limit: Duration) -> Output {
    wait_deadline(spawn_in(&root(), args, None), limit)
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
