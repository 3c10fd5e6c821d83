//! Marks the tools the integration tests need and cannot find, so that outside CI a test that
//! cannot run is reported by cargo as ignored, with its reason, never as passed.
//!
//! For each missing tool (tests/it/common/find.rs lists them and where they are looked for)
//! this sets a cfg flag such as `no_helm`; a test that needs helm carries
//! `#[cfg_attr(no_helm, ignore = "needs helm: ...")]`. Under `CI=true` no flag is set: every
//! test runs, and one whose tool is missing fails saying which. Only the `dev`/`test` profiles
//! look (release builds, `cargo install` among them, start no process and read nothing here).
//! The look is repeated when `CI`, `PATH`, a tool's variable or `.tools/bin` changes;
//! scripts/fetch-tools.sh touches this file, and after installing a tool some other way
//! (apt, pip), `touch build.rs` does the same.
#![allow(clippy::disallowed_types, clippy::disallowed_methods)] // clippy.toml binds the library only

#[path = "tests/it/common/find.rs"]
mod find;

use std::path::Path;
use std::process::{Command, Stdio};

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=tests/it/common/find.rs");
    let flags = find::TOOLS
        .iter()
        .map(|t| t.2)
        .chain(find::PYTHON_MODULES.iter().map(|p| p.0))
        .chain(find::OTHER_FLAGS.iter().copied());
    for flag in flags {
        println!("cargo::rustc-check-cfg=cfg({flag})");
    }
    if std::env::var("PROFILE").as_deref() != Ok("debug") {
        return;
    }
    println!("cargo::rerun-if-env-changed=CI");
    if std::env::var("CI").as_deref() == Ok("true") {
        return;
    }
    println!("cargo::rerun-if-env-changed=PATH");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tools = root.join(".tools/bin");
    if tools.is_dir() {
        println!("cargo::rerun-if-changed={}", tools.display());
    }
    let mut missing = Vec::new();
    for &(name, var, flag) in find::TOOLS {
        println!("cargo::rerun-if-env-changed={var}");
        let found = find::find(root, var, name);
        if name == "setpriv" && !find::running_as_root() {
            continue;
        }
        if found.is_none() {
            missing.push(flag);
        }
        if name == "strace"
            && found
                .as_deref()
                .is_some_and(|s| !runs(s, &["-f", "-o", "/dev/null", "true"]))
        {
            missing.push("no_ptrace");
        }
    }
    let absent = match find::find(root, "PYTHON3", "python3") {
        Some(python) => absent_modules(&python),
        None => vec![],
    };
    for &(flag, modules) in find::PYTHON_MODULES {
        if missing.contains(&"no_python3")
            || modules.iter().any(|m| absent.contains(&m.to_string()))
        {
            missing.push(flag);
        }
    }
    for flag in missing {
        println!("cargo::rustc-cfg={flag}");
    }
}

/// Whether `program ARGS` runs and succeeds, quietly.
fn runs(program: &Path, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The modules of [`find::PYTHON_MODULES`] that `python` cannot find (found, not imported).
fn absent_modules(python: &Path) -> Vec<String> {
    let mut modules: Vec<&str> = find::PYTHON_MODULES
        .iter()
        .flat_map(|p| p.1.iter().copied())
        .collect();
    modules.sort_unstable();
    modules.dedup();
    let out = Command::new(python)
        .args([
            "-c",
            "import importlib.util, sys\nfor m in sys.argv[1:]:\n    if importlib.util.find_spec(m) is None: print(m)",
        ])
        .args(&modules)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output();
    match out {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(str::to_string)
            .collect(),
        _ => modules.iter().map(|m| m.to_string()).collect(),
    }
}
