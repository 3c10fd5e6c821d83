//! Warnings that need the file system or other programs, added by the command layer around
//! the pure pipeline: a values file holding secret values that is readable by others,
//! tracked by git, or not git-ignored.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::diag::Diagnostic;
use crate::{values, Error, Output, Request};

/// [`crate::render_values`] on the loaded values, with the values-file warnings added (to the
/// warnings on success, to the problems on failure, as every command shows them).
pub fn render(req: &Request, stdin: &mut dyn Read) -> Result<Output, Error> {
    let loaded = values::load(&req.sources, stdin).map_err(Error::Invalid)?;
    let files: Vec<Diagnostic> = loaded
        .secret_files
        .iter()
        .flat_map(|f| file_warnings(Path::new(f)))
        .collect();
    match crate::render_values(req, loaded.values) {
        Ok(mut out) => {
            out.warnings.items.extend(files);
            Ok(out)
        }
        Err(Error::Invalid(mut diags)) => {
            diags.items.extend(files);
            Err(Error::Invalid(diags))
        }
        Err(e) => Err(e),
    }
}

/// Warnings for a values file that holds secret values: readable by group or others,
/// tracked by git, or inside a git work tree without being ignored.
pub fn file_warnings(path: &Path) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let shown = path.display();
    if let Ok(meta) = std::fs::metadata(path) {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            out.push(Diagnostic::warning(
                None,
                "",
                format!("{shown} holds secret values and is readable by group or others (mode {mode:04o}); run: chmod 600 {shown}"),
            ));
        }
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let Some(name) = path.file_name() else {
        return out;
    };
    // Ask git only inside a work tree (found without running anything): outside one there is
    // nothing to say, and starting git costs more than the whole render.
    let in_work_tree = std::fs::canonicalize(dir)
        .map(|d| d.ancestors().any(|a| a.join(".git").exists()))
        .unwrap_or(false);
    if !in_work_tree {
        return out;
    }
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .arg(name)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .ok()
            .and_then(|s| s.code())
    };
    match git(&["ls-files", "--error-unmatch", "--"]) {
        Some(0) => out.push(Diagnostic::warning(
            None,
            "",
            format!("{shown} holds secret values and is tracked by git; remove it from the repository (git rm --cached) and rotate the keys"),
        )),
        // Not tracked, inside a work tree, and not ignored.
        Some(1) if git(&["check-ignore", "-q", "--"]) == Some(1) => out.push(Diagnostic::warning(
            None,
            "",
            format!("{shown} holds secret values and is not git-ignored; add it to .gitignore"),
        )),
        // Not a git work tree, or no git: nothing to say.
        _ => {}
    }
    out
}
