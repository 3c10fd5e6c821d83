//! Warnings that need the file system, added by the command layer around the pure pipeline:
//! a values file holding secret values that is readable by others, tracked by git, or not
//! git-ignored.
//!
//! Git is read, never run: the repository's index and ignore files are read with `gix`, so no
//! program a repository's configuration names (`core.fsmonitor`, hooks, filters) can start,
//! and no process is started at all by `render`, `validate` or `values`.

use std::io::Read;
use std::path::Path;

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

/// For the cluster commands (`diff`, `doctor`): the objects the values render, as JSON, with
/// every warning printed to `err` first.
pub fn render_json(
    values: &crate::args::ValueArgs,
    namespace: &str,
    templates: Option<&Path>,
    stdin: &mut dyn Read,
    err: &mut dyn std::io::Write,
) -> Result<Vec<serde_json::Value>, Error> {
    let req = Request {
        sources: values.sources(),
        namespace: namespace.to_string(),
        templates: templates.map(Path::to_path_buf),
    };
    let out = render(&req, stdin)?;
    super::print_diagnostics(err, &out.warnings);
    Ok(out.manifests.objects.iter().map(|m| m.to_json()).collect())
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
    match git_status(path) {
        Some(GitStatus::Tracked) => out.push(Diagnostic::warning(
            None,
            "",
            format!("{shown} holds secret values and is tracked by git; remove it from the repository (git rm --cached) and rotate the keys"),
        )),
        Some(GitStatus::NotIgnored) => out.push(Diagnostic::warning(
            None,
            "",
            format!("{shown} holds secret values and is not git-ignored; add it to .gitignore"),
        )),
        // Ignored, or not in a git work tree: nothing to say.
        Some(GitStatus::Ignored) | None => {}
    }
    out
}

/// Where a file stands with the git repository around it.
#[derive(Debug, PartialEq, Eq)]
pub enum GitStatus {
    /// In the index.
    Tracked,
    /// Not in the index, and matched by `.gitignore`, `.git/info/exclude` or the user's
    /// global excludes file (`core.excludesFile`, `~/.config/git/ignore`), as git would.
    Ignored,
    /// In the work tree, neither tracked nor ignored: `git add .` would take it.
    NotIgnored,
}

/// The file's status in the git work tree around it; `None` outside a work tree, in a bare
/// repository, or when the repository cannot be read (then there is nothing reliable to say).
pub fn git_status(path: &Path) -> Option<GitStatus> {
    let name = path.file_name()?;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let dir = std::fs::canonicalize(dir).ok()?;
    // Looking for `.git` first costs a few stat calls; opening a repository costs more.
    if !dir.ancestors().any(|a| a.join(".git").exists()) {
        return None;
    }
    let repo = gix::discover(&dir).ok()?;
    let work_tree = std::fs::canonicalize(repo.workdir()?).ok()?;
    let relative = dir.strip_prefix(&work_tree).ok()?.join(name);
    // The index stores paths with `/`, relative to the work tree.
    let key = relative
        .components()
        .map(|c| c.as_os_str().to_str())
        .collect::<Option<Vec<_>>>()?
        .join("/");
    // The index walked in place for this one path (super::git_index); decoded in full only
    // when the walk cannot answer.
    let fast = match std::fs::File::open(repo.index_path()) {
        // SAFETY: a read-only private mapping; git replaces the index by renaming a new file
        // over it, never by rewriting it in place, so the mapped bytes do not change.
        Ok(file) => match unsafe { memmap2::Mmap::map(&file) } {
            Ok(bytes) => super::git_index::lookup(
                &bytes,
                key.as_bytes(),
                repo.object_hash().len_in_bytes(),
                !has_shared_index(repo.git_dir()),
            ),
            Err(_) => super::git_index::Lookup::Unsure,
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => super::git_index::Lookup::Untracked,
        Err(_) => super::git_index::Lookup::Unsure,
    };
    match fast {
        super::git_index::Lookup::Tracked => Some(GitStatus::Tracked),
        // No `.gitignore` on the path comes from the index: an empty one gives the same rules.
        super::git_index::Lookup::Untracked => ignore_status(
            &repo,
            &gix::index::State::new(repo.object_hash()),
            &relative,
        ),
        super::git_index::Lookup::Unsure => {
            let index = repo.index_or_empty().ok()?;
            if index.entry_by_path(key.as_str().into()).is_some() {
                return Some(GitStatus::Tracked);
            }
            ignore_status(&repo, &index, &relative)
        }
    }
}

/// Whether the git directory holds a shared index (`sharedindex.*`, where git keeps the
/// entries of a split index); `true` when it cannot be listed.
fn has_shared_index(git_dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(git_dir) else {
        return true;
    };
    entries.into_iter().any(|e| match e {
        Ok(e) => e
            .file_name()
            .as_encoded_bytes()
            .starts_with(b"sharedindex."),
        Err(_) => true,
    })
}

/// Ignored or not, for a path that is not tracked; `index` supplies the `.gitignore` files
/// git reads from the index (skip-worktree ones).
fn ignore_status(
    repo: &gix::Repository,
    index: &gix::index::State,
    relative: &Path,
) -> Option<GitStatus> {
    let mut excludes = repo
        .excludes(
            index,
            None,
            gix::worktree::stack::state::ignore::Source::WorktreeThenIdMappingIfNotSkipped,
        )
        .ok()?;
    let platform = excludes
        .at_path(relative, Some(gix::index::entry::Mode::FILE))
        .ok()?;
    Some(if platform.is_excluded() {
        GitStatus::Ignored
    } else {
        GitStatus::NotIgnored
    })
}
