//! `render --sops-age` / `--seal-cert`: the command-layer half of encryption (reading the
//! recipients, the certificate, the fingerprint key and the earlier output folder); the
//! formats themselves are pure functions in [`crate::encrypt`].

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::args::{EncryptionArgs, Format};
use crate::diag::Diagnostics;
use crate::encrypt::fingerprint::{self, FingerprintKey};
use crate::encrypt::sealed::Sealer;
use crate::encrypt::sops::SopsAge;
use crate::encrypt::{Job, Scheme};
use crate::manifests::{Kind, Manifest, Manifests};
use crate::Error;

pub(super) fn invalid(msg: String) -> Error {
    let mut d = Diagnostics::default();
    d.error(None, "", msg);
    Error::Invalid(d)
}

/// The scheme the flags ask for, if any (read before rendering: bad flags fail first).
pub(super) fn scheme(args: &EncryptionArgs, format: Format) -> Result<Option<Scheme>, Error> {
    if !args.sops_age.is_empty() || !args.sops_age_files.is_empty() {
        if format == Format::Json {
            return Err(Error::Usage(
                "--sops-age cannot be used with -o json: a List is not a SOPS document; use the YAML stream or --output-dir".into(),
            ));
        }
        let mut list: Vec<(String, String)> = args
            .sops_age
            .iter()
            .map(|r| ("--sops-age".to_string(), r.clone()))
            .collect();
        for f in &args.sops_age_files {
            let name = f.display().to_string();
            let text = std::fs::read_to_string(f).map_err(|e| {
                invalid(format!(
                    "--sops-age-recipients-file {name}: cannot read: {e}"
                ))
            })?;
            list.extend(SopsAge::read_recipients_file(&name, &text).map_err(|e| invalid(e.0))?);
        }
        return Ok(Some(Scheme::Sops(
            SopsAge::new(&list).map_err(|e| invalid(e.0))?,
        )));
    }
    if let Some(cert) = &args.seal_cert {
        let name = cert.display().to_string();
        let pem = std::fs::read(cert)
            .map_err(|e| invalid(format!("--seal-cert {name}: cannot read: {e}")))?;
        let sealer = Sealer::from_pem(
            &name,
            &pem,
            args.seal_scope.unwrap_or_default().into(),
            SystemTime::now(),
        )
        .map_err(|e| invalid(e.0))?;
        return Ok(Some(Scheme::Sealed(sealer)));
    }
    if args.fingerprint_key.is_some() {
        return Err(Error::Usage(
            "--fingerprint-key only applies with --sops-age or --seal-cert".into(),
        ));
    }
    Ok(None)
}

/// Fails when the rendered objects hold no Secret: the flags would do nothing.
pub(super) fn check_something_to_encrypt(manifests: &Manifests) -> Result<(), Error> {
    if manifests
        .objects
        .iter()
        .any(|o| o.typed_kind() == Kind::Secret)
    {
        return Ok(());
    }
    Err(Error::Usage(
        "--sops-age/--seal-cert: nothing to encrypt: these values render no Secret (secrets.provider external, or none without workloadIdentity.llmKeys: inline); drop the flag".into(),
    ))
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

/// The key in `path`, `None` when there is no such file.
fn read_key(path: &Path) -> Result<Option<FingerprintKey>, Error> {
    let shown = path.display();
    match std::fs::read_to_string(path) {
        Ok(text) => FingerprintKey::parse(&text)
            .map(Some)
            .map_err(|e| invalid(format!("fingerprint key {shown}: {e}"))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(invalid(format!(
            "fingerprint key {shown}: cannot read: {e}"
        ))),
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
    let key = FingerprintKey::generate();
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| Error::External(format!("cannot create {shown}: {e}")))?;
    f.write_all(key.to_file_text().as_bytes())
        .map_err(|e| Error::External(format!("cannot write {shown}: {e}")))?;
    let _ = writeln!(
        err,
        "created the fingerprint key {shown} (mode 0600): keep it, out of Git, to re-render without churn"
    );
    Ok(Some(key))
}

/// Every Secret encrypted; in `--output-dir` (with a key), an existing file whose
/// fingerprint line matches is kept byte for byte. With `progress`, work estimated at more
/// than a second shows objects done / total on standard error when it is a terminal.
pub(super) fn encrypt(
    manifests: Manifests,
    scheme: &Scheme,
    reuse: Option<(&Path, &FingerprintKey)>,
    progress: bool,
) -> Result<Manifests, Error> {
    let kind = scheme.kind();
    let id = scheme.id();
    let secrets: Vec<(usize, serde_json::Value)> = manifests
        .objects
        .iter()
        .enumerate()
        .filter(|(_, o)| o.typed_kind() == Kind::Secret)
        .map(|(i, o)| (i, o.to_json()))
        .collect();
    let mut done: Vec<Option<String>> = vec![None; manifests.objects.len()];
    let mut jobs = Vec::new();
    let mut job_index = Vec::new();
    for (i, json) in &secrets {
        let o = &manifests.objects[*i];
        let fp = reuse.map(|(_, key)| key.fingerprint(&id, json));
        if let (Some((dir, _)), Some(fp)) = (reuse, &fp) {
            let file = dir.join(crate::deliver::file_name_of(
                o.namespace(),
                kind.as_str(),
                o.name(),
            ));
            // Only a regular file is read, bounded (never a FIFO or a link to a device).
            let text = crate::deliver::read_regular(&file, crate::deliver::OBJECT_MAX)
                .ok()
                .flatten()
                .and_then(|b| String::from_utf8(b).ok());
            if let Some(text) = text {
                if fingerprint::recorded(&text) == Some(fp.as_str()) {
                    done[*i] = Some(text);
                    continue;
                }
            }
        }
        jobs.push(Job {
            secret: json,
            fingerprint: fp,
        });
        job_index.push(*i);
    }
    let bar = (progress && scheme.estimate_us(&jobs) > 1_000_000)
        .then(|| super::progress::bar(jobs.len() as u64, "encrypting"))
        .flatten();
    let results = scheme.documents(&jobs, SystemTime::now(), &|| {
        if let Some(b) = &bar {
            b.inc(1);
        }
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let mut diags = Diagnostics::default();
    for (i, r) in job_index.into_iter().zip(results) {
        match r {
            Ok(text) => done[i] = Some(text),
            Err(e) => diags.error(
                None,
                "",
                format!(
                    "{}: cannot encrypt: {e}",
                    manifests.objects[i].display_name()
                ),
            ),
        }
    }
    if diags.has_errors() {
        return Err(Error::Invalid(diags));
    }
    let objects = manifests
        .objects
        .into_iter()
        .zip(done)
        .map(|(o, text): (Manifest, Option<String>)| match text {
            Some(t) => Manifest::encrypted(kind, o.namespace().unwrap_or(""), o.name(), t),
            None => o,
        })
        .collect();
    Ok(Manifests { objects })
}
