//! `recif-secrets init`: values-secret.yaml from the example (mode 0600), git-ignored.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;

use super::ExitStatus;
use crate::args::InitArgs;
use crate::Error;

const VALUES_FILE: &str = "values-secret.yaml";

pub(super) fn run(args: InitArgs, err: &mut dyn Write) -> Result<ExitStatus, Error> {
    let path = args.dir.join(VALUES_FILE);
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path);
    let created = match file {
        Ok(mut f) => {
            f.write_all(crate::EXAMPLE_VALUES.as_bytes())
                .map_err(|e| Error::External(format!("cannot write {}: {e}", path.display())))?;
            true
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let _ = writeln!(err, "{} already exists; left as it is", path.display());
            // It was not written here: say what its mode really is when others can read it.
            use std::os::unix::fs::PermissionsExt;
            if let Ok(meta) = std::fs::metadata(&path) {
                let mode = meta.permissions().mode() & 0o777;
                if mode & 0o077 != 0 {
                    let _ = writeln!(
                        err,
                        "warning: {} is readable by group or others (mode {mode:04o}); run: chmod 600 {}",
                        path.display(),
                        path.display()
                    );
                }
            }
            false
        }
        Err(e) => {
            return Err(Error::External(format!(
                "cannot create {}: {e}",
                path.display()
            )))
        }
    };
    let gitignore = args.dir.join(".gitignore");
    let existing = match std::fs::read_to_string(&gitignore) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            return Err(Error::External(format!(
                "cannot read {}: {e}",
                gitignore.display()
            )))
        }
    };
    let listed = existing
        .lines()
        .map(str::trim)
        .any(|l| l == VALUES_FILE || l == "/values-secret.yaml");
    if !listed {
        let mut text = existing;
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(VALUES_FILE);
        text.push('\n');
        std::fs::write(&gitignore, text)
            .map_err(|e| Error::External(format!("cannot write {}: {e}", gitignore.display())))?;
        let _ = writeln!(err, "added {VALUES_FILE} to {}", gitignore.display());
    }
    let _ = writeln!(
        err,
        "{} {}; edit it, then: recif-secrets render -f {}",
        if created { "wrote" } else { "kept" },
        if created {
            format!("{} (mode 0600)", path.display())
        } else {
            path.display().to_string()
        },
        path.display()
    );
    Ok(ExitStatus::Success)
}
