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

/// The built-in defaults are not parsed at run time: `src/values/defaults_tree.rs` builds the
/// tree that `src/defaults.yaml` gives, generated here from our own YAML reader's result
/// (`UPDATE_SNAPSHOTS=1` rewrites it). That the two trees are equal is checked in the
/// library (`values::tests::the_generated_defaults_are_the_parsed_ones`); this test keeps the
/// file what the generator writes.
#[test]
fn the_generated_defaults_are_current() {
    use recif_secrets::values::{yaml, Node, Value, DEFAULTS_YAML};

    fn node(n: &Node, indent: usize, out: &mut String) {
        let pad = " ".repeat(indent);
        match &n.value {
            Value::Bool(b) => out.push_str(&format!("boolean({b})")),
            // Scalars no default has yet, written out.
            Value::Null => out.push_str("Node::new(Value::Null, Origin::Default)"),
            Value::Int(i) => out.push_str(&format!("Node::new(Value::Int({i}), Origin::Default)")),
            Value::Float(f) => {
                out.push_str(&format!("Node::new(Value::Float({f:?}), Origin::Default)"))
            }
            Value::BigInt(s) => out.push_str(&format!(
                "Node::new(Value::BigInt({s:?}.to_string()), Origin::Default)"
            )),
            Value::Str(s) => out.push_str(&format!("string({s:?})")),
            Value::Seq(items) if items.is_empty() => out.push_str("seq(vec![])"),
            Value::Seq(items) => {
                out.push_str("seq(vec![\n");
                for item in items {
                    out.push_str(&format!("{pad}    "));
                    node(item, indent + 4, out);
                    out.push_str(",\n");
                }
                out.push_str(&format!("{pad}])"));
            }
            Value::Map(m) if m.is_empty() => out.push_str("map(vec![])"),
            Value::Map(m) => {
                out.push_str("map(vec![\n");
                for (k, v) in m {
                    out.push_str(&format!("{pad}    ({k:?}, "));
                    node(v, indent + 4, out);
                    out.push_str("),\n");
                }
                out.push_str(&format!("{pad}])"));
            }
        }
    }
    let parsed = yaml::load(DEFAULTS_YAML, &std::sync::Arc::from("<defaults>")).unwrap();
    let mut body = String::new();
    node(&parsed, 4, &mut body);
    // The helpers the tree uses (an unused import would not compile under -D warnings).
    let mut helpers: Vec<&str> = ["boolean", "map", "seq", "string"]
        .into_iter()
        .filter(|h| body.contains(&format!("{h}(")))
        .collect();
    helpers.extend(
        ["Origin", "Value"]
            .into_iter()
            .filter(|t| body.contains(&format!("{t}::"))),
    );
    let generated = format!(
        "// @generated from src/defaults.yaml by the test \
         first_millisecond::the_generated_defaults_are_current\n\
         // (`UPDATE_SNAPSHOTS=1 cargo test --test it the_generated_defaults`). Do not edit.\n\
         \n\
         use super::{{{}, Node}};\n\
         \n\
         /// The tree of src/defaults.yaml, every node's origin the built-in defaults.\n\
         #[rustfmt::skip]\n\
         pub(super) fn tree() -> Node {{\n    {body}\n}}\n",
        helpers.join(", ")
    );
    let path = root().join("src/values/defaults_tree.rs");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "src/values/defaults_tree.rs is stale: \
         UPDATE_SNAPSHOTS=1 cargo test --test it the_generated_defaults"
    );
}

/// The binary starts without Rust's runtime set-up (src/cli/main.rs says why); what of it
/// matters is done there. Output to a reader that went away ends quietly with exit 0, as
/// when SIGPIPE is ignored (not killed by it).
#[test]
fn output_to_a_closed_pipe_ends_quietly() {
    use std::os::unix::process::ExitStatusExt as _;
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader); // gone before anything is written: the first write gets EPIPE
    let o = Command::new(env!("CARGO_BIN_EXE_recif-secrets"))
        .args(["render", "--example"])
        .stdout(writer)
        .output()
        .unwrap();
    assert_eq!(
        o.status.signal(),
        None,
        "killed by a signal: {:?}",
        o.status
    );
    expect_exit(&o, 0, "");
    assert_eq!(stderr(&o), "");
}

/// A standard stream the caller closed is opened on /dev/null before anything else, so no
/// file the program opens takes its number (seen with strace: the closed descriptor is
/// looked at, and /dev/null opened onto it, before the values file is read).
#[test]
#[cfg_attr(
    any(no_strace, no_ptrace),
    ignore = "needs strace, and ptrace allowed: run scripts/fetch-tools.sh"
)]
fn a_closed_standard_stream_is_opened_on_dev_null_first() {
    let strace = tool("STRACE", "strace");
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("strace.log");
    for (fd, redirect) in [(0, "<&-"), (1, ">&-"), (2, "2>&-")] {
        let o = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "exec \"$0\" -qq -e trace=fcntl,openat -o \"$1\" \"$2\" render -f {EXAMPLE} {redirect}"
            ))
            .arg(&strace)
            .arg(&log)
            .arg(env!("CARGO_BIN_EXE_recif-secrets"))
            .current_dir(root())
            .output()
            .unwrap();
        expect_exit(&o, 0, redirect);
        let trace = std::fs::read_to_string(&log).unwrap();
        let lines: Vec<&str> = trace.lines().collect();
        let reopened = lines
            .iter()
            .position(|l| l.contains("\"/dev/null\", O_RDWR") && l.ends_with(&format!("= {fd}")))
            .unwrap_or_else(|| panic!("{redirect}: /dev/null not opened as {fd}:\n{trace}"));
        let values = lines
            .iter()
            .position(|l| l.contains(EXAMPLE))
            .unwrap_or_else(|| panic!("{redirect}: the values file is not opened:\n{trace}"));
        assert!(reopened < values, "{redirect}:\n{trace}");
    }
}
