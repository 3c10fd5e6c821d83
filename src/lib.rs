//! recif-secrets: render the Kubernetes credentials objects of the Récif agent platform from
//! Helm-style values.
//!
//! The pipeline, one module per step:
//! [`values`] (load, merge, `--set`) -> [`config`] (typed view + checks) -> [`render`]
//! (templates) -> [`manifests`] (typed objects, checks, serialization) -> [`deliver`]
//! (stdout, folder, kubectl). [`cli`] and [`command`] are the command line on top.

pub mod argocd;
pub mod builtin_templates;
pub mod cli;
pub mod command;
pub mod completions;
pub mod config;
pub mod deliver;
pub mod diag;
pub mod distribution;
pub mod manifests;
pub mod manpages;
pub mod reference;
pub mod render;
pub mod schema;
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

/// Why a command failed, mapped to the exit codes of SPEC 6.
#[derive(Debug)]
pub enum Error {
    /// Invalid values, templates or rendered objects: exit 1.
    Invalid(Diagnostics),
    /// Command-line usage: exit 2.
    Usage(String),
    /// A failure outside (kubectl, the output folder): exit 3.
    External(String),
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Invalid(_) => 1,
            Error::Usage(_) => 2,
            Error::External(_) => 3,
        }
    }
}

/// The result of the pipeline: the objects, and the warnings found on the way.
pub struct Output {
    pub manifests: manifests::Manifests,
    pub warnings: Diagnostics,
}

/// Runs the whole pipeline up to the checked objects. Nothing is written here.
pub fn render(req: &Request, stdin: &mut dyn Read) -> Result<Output, Error> {
    let loaded = values::load(&req.sources, stdin).map_err(Error::Invalid)?;
    let values = values::coalesce(loaded.values, values::defaults());
    let (config, mut diags) = config::build(&values, &req.namespace);
    for file in &loaded.secret_files {
        diags
            .items
            .extend(values::secrets::file_warnings(std::path::Path::new(file)));
    }
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
        }),
        Err(d) => {
            diags.extend(d);
            Err(Error::Invalid(diags))
        }
    }
}
