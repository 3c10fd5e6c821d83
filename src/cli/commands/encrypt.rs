//! `render --sops-age` / `--seal-cert`: the command-layer half of encryption (the
//! fingerprint key, the earlier output folder, the documents made as they are written); the
//! flags and their reading are in [`crate::encryption`], the formats themselves are pure, in
//! [`crate::encrypt`].

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::diag::Diagnostics;
use crate::encrypt::fingerprint::FingerprintKey;
use crate::encrypt::{Job, Scheme};
use crate::encryption::invalid;
use crate::manifests::{Kind, Manifest, Manifests};
use crate::Error;

/// Fails when the rendered objects hold no Secret: the flags would do nothing.
pub(super) fn check_something_to_encrypt(manifests: &Manifests) -> Result<(), Error> {
    if manifests
        .objects
        .iter()
        .any(|o| o.typed_kind() == Kind::Secret)
    {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "{}: nothing to encrypt: these values render no Secret (secrets.provider external, or none without workloadIdentity.llmKeys: inline); drop the flag",
        crate::encrypt::flags("/")
    )))
}

/// Where the fingerprint key is: the flag's file, or `$XDG_CONFIG_HOME/recif-secrets/
/// fingerprint.key` (`~/.config/...`); `None` without HOME or XDG_CONFIG_HOME.
fn key_path(flag: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = flag {
        return Some(p.to_path_buf());
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("recif-secrets").join("fingerprint.key"))
}

/// The fingerprint key for reading only (`diff`): `None` when there is none, which leaves
/// encrypted objects not compared.
pub(super) fn existing_fingerprint_key(
    flag: Option<&Path>,
) -> Result<Option<FingerprintKey>, Error> {
    let Some(path) = key_path(flag) else {
        return Ok(None);
    };
    match read_key(&path)? {
        // A key named by the flag must be there; the default one may not exist yet.
        None if flag.is_some() => Err(invalid(format!(
            "fingerprint key {}: cannot read: it does not exist",
            path.display()
        ))),
        found => Ok(found),
    }
}

/// The most a fingerprint key file may hold (ours holds 154 bytes).
const KEY_FILE_MAX: u64 = 4096;

/// The key in `path`, `None` when there is no such file. Read bounded, never blocking on a
/// FIFO; refused, as ssh refuses a private key, when group or others can read it, and when
/// git tracks it or would take it (`git add .`) in the work tree around it.
fn read_key(path: &Path) -> Result<Option<FingerprintKey>, Error> {
    let shown = path.display();
    let bytes = match crate::deliver::read_bounded(path, KEY_FILE_MAX) {
        Ok(None) => return Ok(None),
        Ok(Some(b)) => b,
        Err(why) => return Err(invalid(format!("fingerprint key {shown}: {why}"))),
    };
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path) {
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(invalid(format!(
                "fingerprint key {shown}: readable by group or others (mode {mode:04o}); whoever reads it can forge fingerprint lines: run chmod 600 {shown}"
            )));
        }
    }
    refuse_in_git(path)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| invalid(format!("fingerprint key {shown}: not text")))?;
    FingerprintKey::parse(&text)
        .map(Some)
        .map_err(|e| invalid(format!("fingerprint key {shown}: {e}")))
}

/// Refuses a key path that git tracks, or that lies in a work tree without being ignored:
/// pushed with the repository, the key would let anyone forge fingerprint lines.
fn refuse_in_git(path: &Path) -> Result<(), Error> {
    use super::warnings::{git_status, GitStatus};
    let shown = path.display();
    match git_status(path) {
        Some(GitStatus::Tracked) => Err(invalid(format!(
            "fingerprint key {shown}: tracked by git; remove it from the repository (git rm --cached {shown}), make a new key elsewhere and re-render (the old one may be in the history)"
        ))),
        Some(GitStatus::NotIgnored) => Err(invalid(format!(
            "fingerprint key {shown}: inside a git work tree and not git-ignored (git add . would commit it); keep it outside the repository (the default is ~/.config/recif-secrets/fingerprint.key) or add it to .gitignore"
        ))),
        Some(GitStatus::Unchecked(why)) => Err(invalid(format!(
            "fingerprint key {shown}: whether git tracks or ignores it could not be checked ({why}); keep the key outside any git work tree"
        ))),
        Some(GitStatus::Ignored) | None => Ok(()),
    }
}

/// The fingerprint key for `--output-dir DIR`: the flag's file, or the default one, created
/// (0600) when missing. `None` when there is no place for it (no HOME).
pub(super) fn fingerprint_key(
    flag: Option<&Path>,
    dir: &Path,
    err: &mut dyn Write,
) -> Result<Option<FingerprintKey>, Error> {
    let Some(path) = key_path(flag) else {
        let _ = writeln!(err, "warning: no HOME or XDG_CONFIG_HOME for the fingerprint key (pass --fingerprint-key FILE): every Secret is encrypted afresh");
        return Ok(None);
    };
    let abs = |p: &Path| std::fs::canonicalize(p).or_else(|_| std::path::absolute(p));
    let key_parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if let (Ok(k), Ok(d)) = (abs(key_parent), abs(dir)) {
        if k.starts_with(&d) {
            return Err(Error::Usage(format!(
                "--fingerprint-key {}: the key must be kept outside the output folder {}",
                path.display(),
                dir.display()
            )));
        }
    }
    if let Some(key) = read_key(&path)? {
        return Ok(Some(key));
    }
    let shown = path.display();
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)
            .map_err(|e| Error::External(format!("cannot create {}: {e}", parent.display())))?;
    }
    refuse_in_git(&path)?;
    let key = match create_key(&path)? {
        Created::Ours(key) => key,
        // Another run created it first: both use that key.
        Created::Theirs => {
            return read_key(&path)?
                .ok_or_else(|| {
                    Error::External(format!(
                        "cannot read {shown}: it vanished after it was created"
                    ))
                })
                .map(Some)
        }
    };
    let _ = writeln!(
        err,
        "created the fingerprint key {shown} (mode 0600): keep it, out of Git, to re-render without churn"
    );
    Ok(Some(key))
}

enum Created {
    Ours(FingerprintKey),
    Theirs,
}

/// Creates the key file at `path` atomically: the key is written and synced to a hidden
/// temporary file (0600) beside it, then linked to `path`, which fails if `path` exists. So a
/// full disk leaves no empty key (the temporary file is removed), and when two first runs
/// race, one links its key and the other finds it and uses it.
fn create_key(path: &Path) -> Result<Created, Error> {
    let shown = path.display();
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".fingerprint.key.tmp-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    let key = FingerprintKey::generate();
    let written = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&tmp)?;
        f.write_all(key.to_file_text().as_bytes())?;
        f.sync_all()
    })();
    let linked = written.and_then(|()| std::fs::hard_link(&tmp, path));
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(Created::Ours(key)),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(Created::Theirs),
        Err(e) => Err(Error::External(format!("cannot create {shown}: {e}"))),
    }
}

/// Fails, before anything is written, when a Secret cannot be encrypted: every error
/// encryption can give for an object, for every object, one at a time.
pub(super) fn check(manifests: &Manifests, scheme: &Scheme) -> Result<(), Error> {
    let mut diags = Diagnostics::default();
    for o in manifests
        .objects
        .iter()
        .filter(|o| o.typed_kind() == Kind::Secret)
    {
        if let Err(e) = scheme.check(&o.to_json()) {
            diags.error(
                None,
                "",
                format!("{}: cannot encrypt: {e}", o.display_name()),
            );
        }
    }
    if diags.has_errors() {
        return Err(Error::Invalid(diags));
    }
    Ok(())
}

/// The objects as they are written: each Secret encrypted with the scheme, the others as they
/// are, in order, made as they are asked for (see [`Scheme::stream`]): a caller that writes
/// each before asking for the next holds a bounded amount of memory. In `--output-dir`
/// (`reuse`: the folder and the key), an existing file that the key verifies as exactly what
/// this tool wrote for the same plaintext stands for its Secret, byte for byte. With
/// `progress`, work estimated at more than a second shows objects done / total on standard
/// error when it is a terminal. [`check`] has been passed.
pub(super) struct Encrypted<'a> {
    objects: std::slice::Iter<'a, Manifest>,
    kind: Kind,
    stream: crate::encrypt::Stream<'a>,
    bar: Option<indicatif::ProgressBar>,
}

impl<'a> Encrypted<'a> {
    pub(super) fn new(
        manifests: &'a Manifests,
        scheme: &'a Scheme,
        reuse: Option<(&'a Path, &'a FingerprintKey)>,
        progress: bool,
    ) -> Encrypted<'a> {
        let id = scheme.id();
        let kind = scheme.kind();
        let jobs: Vec<Job<'a>> = manifests
            .objects
            .iter()
            .filter(|o| o.typed_kind() == Kind::Secret)
            .map(|secret| Job {
                secret,
                key: reuse.map(|(_, key)| key),
            })
            .collect();
        let bar = (progress && scheme.estimate_us(&jobs) > 1_000_000)
            .then(|| super::progress::bar(jobs.len() as u64, "encrypting"))
            .flatten();
        let ticks = bar.clone();
        let done = Box::new(move || {
            if let Some(b) = &ticks {
                b.inc(1);
            }
        });
        let kept: crate::encrypt::Reuse<'a> =
            Box::new(move |job: &Job<'_>, json: &serde_json::Value| {
                let (dir, key) = reuse?;
                let o = job.secret;
                let file = dir.join(crate::deliver::file_name_of(
                    o.namespace(),
                    kind.as_str(),
                    o.name(),
                ));
                // Only a regular file is read, bounded (never a FIFO or a link to a device), and
                // kept only when its fingerprint line authenticates every byte of it for this
                // object and plaintext.
                let text = crate::deliver::read_regular(&file, crate::deliver::OBJECT_MAX)
                    .ok()
                    .flatten()
                    .and_then(|b| String::from_utf8(b).ok())?;
                key.verify(&scheme.subject(&id, json), &text)
                    .verified()
                    .then_some(text)
            });
        Encrypted {
            objects: manifests.objects.iter(),
            kind,
            stream: scheme.stream(jobs, SystemTime::now(), kept, done),
            bar,
        }
    }
}

impl<'a> Iterator for Encrypted<'a> {
    type Item = Result<std::borrow::Cow<'a, Manifest>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let o = self.objects.next()?;
        if o.typed_kind() != Kind::Secret {
            return Some(Ok(std::borrow::Cow::Borrowed(o)));
        }
        let text = self.stream.next().expect("one document per Secret");
        Some(
            text.map(|t| {
                std::borrow::Cow::Owned(Manifest::encrypted(
                    self.kind,
                    o.namespace().unwrap_or(""),
                    o.name(),
                    t,
                ))
            })
            .map_err(|e| {
                let mut diags = Diagnostics::default();
                diags.error(
                    None,
                    "",
                    format!("{}: cannot encrypt: {e}", o.display_name()),
                );
                Error::Invalid(diags)
            }),
        )
    }
}

impl Drop for Encrypted<'_> {
    fn drop(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}
