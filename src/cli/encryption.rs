//! The encryption flags (`--sops-age`, `--seal-cert`, `--fingerprint-key`...) shared by
//! `render`, `diff` and `verify`, and their reading into a [`Scheme`]: the one place of the
//! binary that knows each format's flags. What a format does with them is its file's in
//! [`crate::encrypt`].

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use clap::{Args, ValueEnum};

use crate::diag::Diagnostics;
use crate::encrypt::sealed::Sealer;
use crate::encrypt::sops::SopsAge;
use crate::encrypt::{Destination, Scheme};
use crate::Error;

// Encrypted Secrets (`render`, and `diff` to compare with what `render` wrote): SOPS
// documents for age recipients, or SealedSecrets.
#[derive(Args, Debug, Clone, Default)]
pub struct EncryptionArgs {
    /// Encrypt every Secret as a SOPS document for this age recipient (repeatable)
    #[arg(long = "sops-age", value_name = "RECIPIENT")]
    pub sops_age: Vec<String>,
    /// Age recipients for --sops-age, one per line (`#` comments), as age -R (repeatable)
    #[arg(long = "sops-age-recipients-file", value_name = "FILE")]
    pub sops_age_files: Vec<PathBuf>,
    /// Seal every Secret into a SealedSecret with this controller certificate (kubeseal --fetch-cert)
    #[arg(long, value_name = "CERT.pem", conflicts_with_all = ["sops_age", "sops_age_files"])]
    pub seal_cert: Option<PathBuf>,
    /// The Sealed Secrets scope
    #[arg(long, value_enum, requires = "seal_cert")]
    pub seal_scope: Option<SealScope>,
    /// The no-churn fingerprint key (default ~/.config/recif-secrets/fingerprint.key)
    #[arg(long, value_name = "FILE")]
    pub fingerprint_key: Option<PathBuf>,
}

/// `--seal-scope`: the command-line face of [`crate::encrypt::sealed::Scope`] (the
/// library does not depend on clap).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum SealScope {
    /// Only under its own namespace and name (the default).
    #[default]
    Strict,
    /// Under any name in its namespace.
    NamespaceWide,
    /// Anywhere in the cluster.
    ClusterWide,
}

impl From<SealScope> for crate::encrypt::sealed::Scope {
    fn from(s: SealScope) -> Self {
        use crate::encrypt::sealed::Scope;
        match s {
            SealScope::Strict => Scope::Strict,
            SealScope::NamespaceWide => Scope::NamespaceWide,
            SealScope::ClusterWide => Scope::ClusterWide,
        }
    }
}

pub fn invalid(msg: String) -> Error {
    let mut d = Diagnostics::default();
    d.error(None, "", msg);
    Error::Invalid(d)
}

/// The scheme the flags ask for, if any (read before rendering: bad flags fail first). A
/// format's flags are read here; what it does with them is its file's in `encrypt/`.
pub fn scheme(args: &EncryptionArgs, json: bool) -> Result<Option<Scheme>, Error> {
    let chosen: Option<&dyn crate::encrypt::Format> =
        if !args.sops_age.is_empty() || !args.sops_age_files.is_empty() {
            Some(&crate::encrypt::sops::Sops)
        } else if args.seal_cert.is_some() {
            Some(&crate::encrypt::sealed::Sealed)
        } else {
            None
        };
    let Some(chosen) = chosen else {
        if args.fingerprint_key.is_some() {
            return Err(Error::Usage(format!(
                "--fingerprint-key only applies with {}",
                crate::encrypt::flags(" or ")
            )));
        }
        return Ok(None);
    };
    if json {
        if let Some(why) = chosen.refuses(Destination::JsonList) {
            return Err(Error::Usage(why.into()));
        }
    }
    if let Some(cert) = &args.seal_cert {
        let name = cert.display().to_string();
        let pem = read_small(cert).map_err(|e| invalid(format!("--seal-cert {name}: {e}")))?;
        let sealer = Sealer::from_pem(
            &name,
            &pem,
            args.seal_scope.unwrap_or_default().into(),
            SystemTime::now(),
        )
        .map_err(|e| invalid(e.0))?;
        return Ok(Some(Scheme::new(sealer)));
    }
    let several = args.sops_age.len() > 1;
    let mut list: Vec<(String, String)> = args
        .sops_age
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let origin = if several {
                format!("--sops-age (the {} given)", ordinal(i + 1))
            } else {
                "--sops-age".to_string()
            };
            (origin, r.clone())
        })
        .collect();
    for f in &args.sops_age_files {
        let name = f.display().to_string();
        let text = read_small(f)
            .and_then(|b| String::from_utf8(b).map_err(|_| "it is not text".to_string()))
            .map_err(|e| invalid(format!("--sops-age-recipients-file {name}: {e}")))?;
        list.extend(SopsAge::read_recipients_file(&name, &text).map_err(|e| invalid(e.0))?);
    }
    Ok(Some(Scheme::new(
        SopsAge::new(&list).map_err(|e| invalid(e.0))?,
    )))
}

/// The most a certificate or recipients file may hold: 1 MiB (a certificate is about 2 KB).
const SMALL_FILE_MAX: u64 = 1 << 20;

/// A certificate or recipients file: bounded, never blocking on a FIFO or reading a device.
fn read_small(path: &Path) -> Result<Vec<u8>, String> {
    crate::deliver::read_bounded(path, SMALL_FILE_MAX)?
        .ok_or_else(|| "cannot read it: it does not exist".to_string())
}

/// `1st`, `2nd`, `3rd`, `4th`... `11th`, `21st`.
fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}
