//! `recif-secrets templates`: prints or copies the built-in templates, to start a
//! `--templates DIR` override from them.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::render::{NAMESPACES_TEMPLATE, TEMPLATES};
use crate::Error;

/// Every built-in template, in rendering order (namespaces.yaml last).
pub fn all() -> Vec<(&'static str, &'static str)> {
    TEMPLATES
        .iter()
        .chain([&NAMESPACES_TEMPLATE])
        .copied()
        .collect()
}

/// The source of the template `name`; an unknown name is a usage error listing the names.
pub fn source(name: &str) -> Result<&'static str, Error> {
    all()
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, s)| s)
        .ok_or_else(|| {
            Error::Usage(format!(
                "no built-in template {name:?}; templates: {}",
                names().join(", ")
            ))
        })
}

pub fn names() -> Vec<&'static str> {
    all().into_iter().map(|(n, _)| n).collect()
}

/// Writes every built-in template into `dir` (created if missing). Existing files are never
/// overwritten: if any is there, nothing is written and the error names them.
pub fn write_dir(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let existing: Vec<String> = names()
        .into_iter()
        .filter(|n| dir.join(n).exists())
        .map(str::to_string)
        .collect();
    if !existing.is_empty() {
        return Err(Error::External(format!(
            "{} already holds {}; nothing written (remove them or choose another folder)",
            dir.display(),
            existing.join(", ")
        )));
    }
    let fail =
        |p: &Path, e: std::io::Error| Error::External(format!("cannot write {}: {e}", p.display()));
    std::fs::create_dir_all(dir).map_err(|e| fail(dir, e))?;
    let mut written = Vec::new();
    for (name, text) in all() {
        let path = dir.join(name);
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| fail(&path, e))?;
        f.write_all(text.as_bytes()).map_err(|e| fail(&path, e))?;
        written.push(path);
    }
    Ok(written)
}
