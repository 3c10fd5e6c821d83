//! Step 5 of the pipeline: where the checked manifests go. Standard output (the default),
//! or a GitOps folder (`--output-dir`); `--apply` goes through [`crate::kubectl`]. Nothing
//! here runs before the whole pipeline has succeeded.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::manifests::Manifest;
use crate::Error;

mod folder;
pub use folder::{read_bounded, read_regular, write_dir, Planned, Update, OBJECT_MAX};

/// Writes `text` to standard output. A closed pipe (`| head`) is not an error.
pub fn to_stdout(text: &str) -> Result<(), Error> {
    stream_stdout(|w| w.write_all(text.as_bytes()))
}

/// Lets `write` write to a buffered standard output. A closed pipe is not an error.
pub fn stream_stdout(
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), Error> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    match write(&mut out).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::External(format!(
            "cannot write to standard output: {e}"
        ))),
    }
}

/// The file name of an object in `--output-dir`: `<namespace>.<kind>.<name>.yaml`, with
/// `_cluster` for cluster-scoped objects.
pub fn file_name(o: &Manifest) -> String {
    file_name_of(o.namespace(), o.kind(), o.name())
}

/// [`file_name`] from its parts (an encrypted Secret is written under its encrypted kind).
pub fn file_name_of(namespace: Option<&str>, kind: &str, name: &str) -> String {
    format!(
        "{}.{}.{}.yaml",
        namespace.unwrap_or("_cluster"),
        kind.to_lowercase(),
        name
    )
}

/// The folder's git work tree, if it is inside one (looked up without running git). The
/// folder may not exist yet (`--output-dir clusters/prod/new`): the search starts from its
/// nearest existing ancestor.
pub fn git_work_tree(dir: &Path) -> Option<PathBuf> {
    let absolute = std::path::absolute(dir).ok()?;
    let start = absolute
        .ancestors()
        .find_map(|a| std::fs::canonicalize(a).ok())?;
    start
        .ancestors()
        .find(|p| p.join(".git").exists())
        .map(Path::to_path_buf)
}
