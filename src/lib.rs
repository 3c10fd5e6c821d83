//! recif-secrets: render the Kubernetes credentials objects of the Récif agent platform from
//! Helm-style values.
//!
//! The library is the pure pipeline, one module per step:
//! [`values`] (load, merge, `--set`) -> [`config`] (typed view + checks, the template
//! context) -> [`manifests`] (drives [`render`]'s templates, then typed objects, checks,
//! serialization) -> [`encrypt`] (SOPS, Sealed Secrets). [`diff`] and [`doctor`] judge objects
//! read from a cluster. The command line, the commands, the kubectl runner and the delivery
//! to standard output or a folder are the binary's (`src/cli/`): the library starts no
//! process, writes no file, prints nothing and reads no environment (CONTRIBUTING.md).

// The library starts no process, writes no file, prints nothing and reads no environment
// (clippy.toml lists what that means); the binary in src/cli/ does all of that.
#![deny(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::disallowed_types,
    clippy::disallowed_methods
)]

pub mod cluster;
pub mod config;
pub mod diag;
pub mod diff;
pub mod doctor;
pub mod encrypt;
pub mod manifests;
pub mod reference;
pub mod render;
pub mod rollout;
pub mod schema;
pub mod terminal;
pub mod values;
pub mod yamlfmt;

use std::io::Read;
use std::path::PathBuf;

use diag::Diagnostics;

/// The built-in example values (`values-secret.yaml.example`), rendered by `render --example`.
pub const EXAMPLE_VALUES: &str = include_str!("../values-secret.yaml.example");

/// The platform namespace when `-n` is not given.
pub const DEFAULT_NAMESPACE: &str = "recif-system";

/// What to render: value sources, the platform namespace, optional template overrides.
#[derive(Clone, Debug)]
pub struct Request {
    pub sources: values::Sources,
    pub namespace: String,
    pub templates: Option<PathBuf>,
}

/// Why a command failed, mapped to the exit codes (docs/exit-codes.md) by the binary (`ExitStatus`).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Invalid values, templates or rendered objects: exit 1.
    #[error("{} problem(s) in the input", .0.errors().count())]
    Invalid(Diagnostics),
    /// Command-line usage that clap cannot check alone: exit 2.
    #[error("{0}")]
    Usage(String),
    /// A failure outside (kubectl, the output folder): exit 3.
    #[error("{0}")]
    External(String),
}

/// The result of the pipeline: the objects, and the warnings found on the way.
pub struct Output {
    pub manifests: manifests::Manifests,
    pub warnings: Diagnostics,
    /// The Workload Identity bindings rendered (`workloadIdentity.bindings.enabled`), for
    /// `render --print-commands`.
    pub bindings: Option<config::bindings::Bindings>,
}

/// Runs the whole pipeline up to the checked objects. Nothing is written and no process is
/// started here; the command layer adds the warnings that need them
/// (`commands::warnings::render`).
pub fn render(req: &Request, stdin: &mut dyn Read) -> Result<Output, Error> {
    let loaded = values::load(&req.sources, stdin).map_err(Error::Invalid)?;
    render_values(req, loaded.values)
}

/// The pipeline from the user's values (before defaults) on.
pub fn render_values(req: &Request, user_values: values::Node) -> Result<Output, Error> {
    let values = values::coalesce(user_values, values::defaults());
    let (config, mut diags) = config::build(&values, &req.namespace);
    // The config holds what the templates need: the values tree is freed before rendering.
    drop(values);
    let templates = match &req.templates {
        Some(dir) => render::Templates::with_overrides(dir),
        None => Ok(render::Templates::builtin()),
    };
    let templates = match templates {
        Ok(t) => Some(t),
        Err(d) => {
            diags.extend(d);
            None
        }
    };
    let (Some(config), Some(templates)) = (config, templates) else {
        return Err(Error::Invalid(diags));
    };
    match manifests::build(&config, &templates) {
        Ok(m) => Ok(Output {
            manifests: m,
            warnings: diags,
            bindings: config.workload_identity.and_then(|w| w.bindings),
        }),
        Err(d) => {
            diags.extend(d);
            Err(Error::Invalid(diags))
        }
    }
}

/// `--strict` (as `helm lint --strict`): every warning is an error, so that an unknown key
/// (a typo such as `serviceAcountKeyBase64`) fails the run instead of being ignored.
pub fn strict(result: Result<Output, Error>) -> Result<Output, Error> {
    let promote = |mut d: Diagnostics| {
        for item in &mut d.items {
            item.severity = diag::Severity::Error;
        }
        d
    };
    match result {
        Ok(out) if out.warnings.items.is_empty() => Ok(out),
        Ok(out) => Err(Error::Invalid(promote(out.warnings))),
        Err(Error::Invalid(d)) => Err(Error::Invalid(promote(d))),
        Err(e) => Err(e),
    }
}
