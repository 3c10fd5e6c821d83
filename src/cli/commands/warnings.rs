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
    render_with(req, stdin, false)
}

/// [`render`]; with `forbid_secrets` (`validate --forbid-secrets`, the pre-commit hook), a
/// values file holding secret values (not example placeholders) is an error.
pub fn render_with(
    req: &Request,
    stdin: &mut dyn Read,
    forbid_secrets: bool,
) -> Result<Output, Error> {
    let loaded = values::load(&req.sources, stdin).map_err(Error::Invalid)?;
    let files: Vec<Diagnostic> = if forbid_secrets {
        loaded
            .secret_files
            .iter()
            .map(|f| Diagnostic::error(None, "", format!("{f} holds secret values (values not shown; placeholders containing `example` are allowed): it must not be committed. Keep keys in a git-ignored values-secret.yaml (recif-secrets init), or in a secret store (secrets.provider external)")))
            .collect()
    } else {
        loaded
            .secret_files
            .iter()
            .flat_map(|f| file_warnings(Path::new(f)))
            .collect()
    };
    let failed = files.iter().any(Diagnostic::is_error);
    match crate::render_values(req, loaded.values) {
        Ok(mut out) if failed => {
            out.warnings.items.extend(files);
            Err(Error::Invalid(out.warnings))
        }
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

/// For the cluster commands (`diff`, `doctor`, `rollout`): the objects the values render, as JSON, with
/// every warning printed to `err` first.
pub fn render_json(
    input: &crate::args::InputArgs,
    stdin: &mut dyn Read,
    err: &mut dyn std::io::Write,
) -> Result<Vec<serde_json::Value>, Error> {
    let out = render(&input.request(), stdin)?;
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
        Some(GitStatus::Unchecked(why)) => out.push(Diagnostic::warning(
            None,
            "",
            format!("{shown} holds secret values, and whether git tracks or ignores it could not be checked: {why}"),
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
    /// In a work tree, but a file git would read is odd (a FIFO, a device, a folder, over
    /// 64 MiB): it is not read, and the check is not made. Why, for the warning.
    Unchecked(String),
}

/// The most of any git file (index, ignore file, config) read for the checks.
const GIT_FILE_MAX: u64 = 64 << 20;

/// The first file among `paths` that exists and is not a regular file of at most
/// [`GIT_FILE_MAX`] bytes (links followed, as git follows them): reading it could block (a
/// FIFO) or never end (`/dev/zero`). Nothing is opened.
fn odd_git_file<'a>(paths: impl IntoIterator<Item = &'a Path>) -> Option<String> {
    for p in paths {
        match std::fs::metadata(p) {
            Ok(m) if m.is_file() && m.len() <= GIT_FILE_MAX => {}
            Ok(m) if m.is_file() => {
                return Some(format!(
                    "{} is larger than {GIT_FILE_MAX} bytes",
                    p.display()
                ))
            }
            Ok(_) => {
                return Some(format!(
                    "{} is not a regular file (a FIFO, a device or a folder)",
                    p.display()
                ))
            }
            Err(_) => {}
        }
    }
    None
}

/// The user's git files read before any repository: global config and ignore file.
fn user_git_files() -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    let xdg = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(std::path::PathBuf::from)
        .or_else(|| home.as_ref().map(|h| h.join(".config")));
    if let Some(h) = &home {
        out.push(h.join(".gitconfig"));
    }
    if let Some(x) = xdg {
        out.push(x.join("git/config"));
        out.push(x.join("git/ignore"));
    }
    out
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
    let root = dir.ancestors().find(|a| a.join(".git").exists())?;
    // Every file git reads for the answer is looked at first: an odd one is not read.
    let git_dir = root.join(".git");
    let mut files: Vec<std::path::PathBuf> = ["config", "index", "info/exclude"]
        .iter()
        .map(|f| git_dir.join(f))
        .collect();
    files.extend(
        dir.ancestors()
            .take_while(|a| a.starts_with(root))
            .map(|a| a.join(".gitignore")),
    );
    files.extend(user_git_files());
    if let Some(why) = odd_git_file(files.iter().map(|p| p.as_path())) {
        return Some(GitStatus::Unchecked(why));
    }
    let repo = gix::discover(&dir).ok()?;
    let excludes_file = repo
        .config_snapshot()
        .trusted_path("core.excludesFile")
        .ok()
        .flatten();
    if let Some(why) = odd_git_file(excludes_file.as_deref()) {
        return Some(GitStatus::Unchecked(why));
    }
    let work_tree = std::fs::canonicalize(repo.workdir()?).ok()?;
    let relative = dir.strip_prefix(&work_tree).ok()?.join(name);
    // The index stores paths with `/`, relative to the work tree.
    let key = relative
        .components()
        .map(|c| c.as_os_str().to_str())
        .collect::<Option<Vec<_>>>()?
        .join("/");
    // The index searched for this one path (super::git_index: a binary search where the
    // format lets one be proven, else a walk in place); decoded in full only when neither
    // can answer.
    // Checked above to be a regular file; opened without waiting all the same, should it
    // have been swapped for a FIFO since.
    let index = std::os::unix::fs::OpenOptionsExt::custom_flags(
        std::fs::OpenOptions::new().read(true),
        libc::O_NONBLOCK | libc::O_NOCTTY,
    )
    .open(repo.index_path());
    let fast = match index {
        // SAFETY: a read-only private mapping; git replaces the index by renaming a new file
        // over it, never by rewriting it in place, so the mapped bytes do not change.
        Ok(file) => match unsafe { memmap2::Mmap::map(&file) } {
            Ok(bytes) => super::git_index::lookup(
                &bytes,
                key.as_bytes(),
                repo.object_hash().len_in_bytes(),
                !has_shared_index(repo.git_dir()),
                &|| head_tree(&repo),
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

/// The id of `HEAD`'s tree, for the index search to prove where the entries end; read only
/// when every file it takes is a regular file of bounded size (`HEAD`, the branch's ref,
/// `packed-refs`, the alternates list, the commit's loose object), as for every git file
/// read here: `None` otherwise (the index is then walked).
fn head_tree(repo: &gix::Repository) -> Option<Vec<u8>> {
    let common = repo.common_dir();
    let head = repo.git_dir().join("HEAD");
    let fixed = [
        head.clone(),
        common.join("packed-refs"),
        common.join("objects/info/alternates"),
    ];
    if odd_git_file(fixed.iter().map(|p| p.as_path())).is_some() {
        return None;
    }
    let head = std::fs::read_to_string(head).ok()?;
    if let Some(name) = head.trim().strip_prefix("ref: ") {
        if odd_git_file([common.join(name).as_path()]).is_some() {
            return None;
        }
    }
    let id = repo.head_id().ok()?;
    let hex = id.to_hex().to_string();
    let object = common.join("objects").join(&hex[..2]).join(&hex[2..]);
    if odd_git_file([object.as_path()]).is_some() {
        return None;
    }
    // The commit found above, read (HEAD is not resolved a second time).
    let commit = id.object().ok()?.try_into_commit().ok()?;
    Some(commit.tree_id().ok()?.as_bytes().to_vec())
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
