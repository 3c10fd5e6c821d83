//! What a short run does not do, and what a long one shows: a one-team render starts no
//! thread (checked with strace, which also sees the threads of a long sealing run, so the
//! check can fail); encryption that takes more than a second shows its progress on a
//! terminal (run under a pseudo-terminal), and nothing when standard error is not a
//! terminal or with `--quiet`.

use crate::common;

use std::path::Path;
use std::process::Command;

use common::*;

const EXAMPLE: &str = "examples/inline.yaml";

/// The clone/clone3 calls of one run of the binary (threads and processes it started).
fn clones(strace: &Path, args: &[&str]) -> Vec<String> {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("strace.log");
    let o = Command::new(strace)
        .args(["-f", "-qq", "-e", "trace=clone,clone3,fork,vfork", "-o"])
        .arg(&log)
        .arg(env!("CARGO_BIN_EXE_recif-secrets"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .filter(|l| l.contains("clone") || l.contains("fork"))
        .map(str::to_string)
        .collect()
}

/// 20 LLM keys and `teams` team namespaces: 20 values a team to seal.
fn many_values(dir: &Path, teams: usize) -> String {
    let mut text = String::from("llm:\n");
    // Any `<name>ApiKey` is an LLM key: the names need not be real providers'.
    for n in (1..=20).map(|i| format!("provider{i:02}")) {
        text.push_str(&format!("  {n}ApiKey: sk-example-{n}-0123456789\n"));
    }
    text.push_str("namespaces:\n  defaultTeam: team-default\n  teams:\n");
    for i in 1..teams {
        text.push_str(&format!("    - team-{i:04}\n"));
    }
    let path = dir.join("values.yaml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
#[cfg_attr(
    any(no_strace, no_ptrace),
    ignore = "needs strace, and ptrace allowed: run scripts/fetch-tools.sh"
)]
fn a_one_team_render_starts_no_thread() {
    let strace = tool("STRACE", "strace");
    // strace may be refused by the sandbox (ptrace): build.rs then sets `no_ptrace`.
    assert!(
        Command::new(&strace)
            .args(["-qq", "-o", "/dev/null", "true"])
            .status()
            .is_ok_and(|s| s.success()),
        "strace cannot trace here (ptrace refused): run where ptrace is allowed"
    );
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let age = age::x25519::Identity::generate().to_public().to_string();
    let key = tmp.path().join("fp.key");
    for args in [
        vec!["render", "-f", EXAMPLE],
        vec![
            "render",
            "-f",
            EXAMPLE,
            "--output-dir",
            out.to_str().unwrap(),
        ],
        vec![
            "render",
            "-f",
            EXAMPLE,
            "--sops-age",
            &age,
            "--fingerprint-key",
            key.to_str().unwrap(),
            "--output-dir",
            out.to_str().unwrap(),
        ],
        vec!["validate", "-f", EXAMPLE],
        vec!["--version"],
    ] {
        let c = clones(&strace, &args);
        assert!(c.is_empty(), "{args:?} started threads: {c:?}");
    }
    // Sealing a thousand values is worth the machine's cores: there the threads show.
    if std::thread::available_parallelism().is_ok_and(|n| n.get() > 1) {
        let values = many_values(tmp.path(), 50);
        let cert = root().join("benches/sealing-cert.pem");
        let c = clones(
            &strace,
            &[
                "render",
                "-f",
                &values,
                "--seal-cert",
                cert.to_str().unwrap(),
            ],
        );
        assert!(!c.is_empty(), "no thread seen for a long sealing run");
    }
}

/// Runs the binary under a pseudo-terminal (its standard error and input), standard output
/// to /dev/null; returns what the terminal showed and the exit code.
fn under_terminal(args: &[&str]) -> (String, i32) {
    let script = r#"
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    null = os.open("/dev/null", os.O_WRONLY)
    os.dup2(null, 1)
    os.execv(sys.argv[1], sys.argv[1:])
seen = b""
while True:
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    seen += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.write(seen.decode("utf-8", "replace"))
sys.exit(os.waitstatus_to_exitcode(status))
"#;
    let mut argv = vec!["-c", script, env!("CARGO_BIN_EXE_recif-secrets")];
    argv.extend(args);
    // A terminal that says what it is (CI runners often set no TERM, and a progress bar
    // stays hidden on an unknown terminal).
    let o = Command::new(python3())
        .args(&argv)
        .current_dir(root())
        .env("TERM", "xterm-256color")
        .output()
        .unwrap();
    (stdout(&o), o.status.code().unwrap_or(-1))
}

#[test]
#[cfg_attr(no_python3, ignore = "needs python3")]
fn long_encryption_shows_progress_on_a_terminal_only() {
    let tmp = tempfile::tempdir().unwrap();
    // 60 teams of 20 values: over a second of sealing (RSA-4096, one per value).
    let values = many_values(tmp.path(), 60);
    let cert = root().join("benches/sealing-cert.pem");
    let cert = cert.to_str().unwrap();
    let args = ["render", "-f", values.as_str(), "--seal-cert", cert];
    let (seen, code) = under_terminal(&args);
    assert_eq!(code, 0, "{seen}");
    // "encrypting DONE/TOTAL objects", TOTAL the 60 agent-env Secrets.
    let counts = seen
        .split("encrypting ")
        .nth(1)
        .and_then(|s| s.split(" objects").next())
        .and_then(|s| s.split_once('/'))
        .and_then(|(d, t)| Some((d.parse::<u32>().ok()?, t.parse::<u32>().ok()?)));
    let Some((done, total)) = counts else {
        panic!("no progress shown: {seen:?}");
    };
    assert!(total == 60 && done <= total, "{seen:?}");
    // --quiet: nothing on the terminal.
    let (seen, code) = under_terminal(&[&args[..], &["--quiet"]].concat());
    assert_eq!(code, 0, "{seen}");
    assert!(!seen.contains("encrypting"), "{seen:?}");
    // A pipe: nothing either.
    let o = run(&args, "");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).is_empty(), "{:?}", stderr(&o));
    // Short work on a terminal: nothing (one team, microseconds per object).
    let age = age::x25519::Identity::generate().to_public().to_string();
    let (seen, code) = under_terminal(&["render", "-f", EXAMPLE, "--sops-age", &age]);
    assert_eq!(code, 0, "{seen}");
    assert!(!seen.contains("encrypting"), "{seen:?}");
}
