//! Where the tests find the tools they run, in one place for both users: `build.rs` (which
//! marks a missing tool with a cfg flag, so a test that needs it is reported as ignored) and
//! the tests themselves (`common::tool`, which runs it). Standard library only.

use std::path::{Path, PathBuf};

/// Every program the integration tests run, as `(file name, variable that names it, cfg flag
/// set by build.rs when it is missing)`. A test that needs one carries
/// `#[cfg_attr(FLAG, ignore = "needs NAME: ...")]`.
pub const TOOLS: &[(&str, &str, &str)] = &[
    ("helm", "HELM", "no_helm"),
    ("kubectl", "KUBECTL", "no_kubectl"),
    ("sops", "SOPS", "no_sops"),
    ("hadolint", "HADOLINT", "no_hadolint"),
    ("actionlint", "ACTIONLINT", "no_actionlint"),
    ("shellcheck", "SHELLCHECK", "no_shellcheck"),
    ("pre-commit", "PRE_COMMIT", "no_pre_commit"),
    ("zsh", "ZSH", "no_zsh"),
    ("fish", "FISH", "no_fish"),
    ("groff", "GROFF", "no_groff"),
    ("strace", "STRACE", "no_strace"),
    ("git", "GIT", "no_git"),
    ("bash", "BASH", "no_bash"),
    ("sh", "SH", "no_sh"),
    ("tar", "TAR", "no_tar"),
    ("od", "OD", "no_od"),
    ("tr", "TR", "no_tr"),
    ("python3", "PYTHON3", "no_python3"),
    ("setpriv", "SETPRIV", "no_setpriv"),
];

/// The Python modules the tests import, as `(cfg flag set when python3 or one of them is
/// missing, modules)`.
pub const PYTHON_MODULES: &[(&str, &[&str])] = &[
    // scripts/check-manifests.py, the strict checker.
    ("no_checker", &["yaml", "jsonschema", "kubernetes_validate"]),
    // The independent decryptors (sops age files, Sealed Secrets).
    ("no_pycrypto", &["yaml", "cryptography"]),
    ("no_jsonschema", &["yaml", "jsonschema"]),
    ("no_pyyaml", &["yaml"]),
];

/// Flags that are not a missing program: `no_ptrace` (strace is there but the system refuses
/// it ptrace). `no_setpriv` is only set when the tests run as root: they drop to `nobody`
/// with it for the cases root would pass by reading or writing anything.
pub const OTHER_FLAGS: &[&str] = &["no_ptrace"];

/// The tool `name`: `$VAR` when set (there if it is a file), else `ROOT/.tools/bin/NAME`
/// (scripts/fetch-tools.sh installs there), else `NAME` in a folder of PATH.
pub fn find(root: &Path, var: &str, name: &str) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(var) {
        let p = PathBuf::from(p);
        return p.is_file().then_some(p);
    }
    let local = root.join(".tools/bin").join(name);
    if local.is_file() {
        return Some(local);
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// Whether this process runs as root (effective user 0), from /proc (no libc: build.rs
/// shares this file).
pub fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().nth(1))
            == Some("0")
    })
}
