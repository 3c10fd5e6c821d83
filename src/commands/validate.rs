//! `recif-secrets validate`: the whole pipeline, nothing written.

use std::io::{Read, Write};

use super::{print_diagnostics, warnings, ExitStatus};
use crate::cli::ValidateArgs;
use crate::{Error, Request};

pub(super) fn run(
    args: ValidateArgs,
    stdin: &mut dyn Read,
    err: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    let req = Request {
        sources: args.values.sources(),
        namespace: args.namespace,
        templates: args.templates,
        keep: Default::default(),
    };
    let out = warnings::render(&req, stdin)?;
    print_diagnostics(err, &out.warnings);
    let _ = writeln!(
        err,
        "valid: {} objects would be rendered",
        out.manifests.objects.len()
    );
    Ok(ExitStatus::Success)
}
