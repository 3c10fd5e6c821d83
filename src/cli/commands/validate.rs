//! `recif-secrets validate`: the whole pipeline, nothing written.

use std::io::{Read, Write};

use super::{print_diagnostics, warnings, ExitStatus};
use crate::args::ValidateArgs;
use crate::{Error, Request};

pub(super) fn run(
    args: ValidateArgs,
    stdin: &mut dyn Read,
    err: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    let req = Request {
        sources: args.values.sources(),
        namespace: args.namespace,
        templates: args.templates.clone(),
    };
    let mut out = warnings::render(&req, stdin);
    if args.strict {
        out = crate::strict(out);
    }
    let out = out?;
    print_diagnostics(err, &out.warnings);
    let n = out.manifests.objects.len();
    let _ = writeln!(
        err,
        "valid: {n} object{} would be rendered",
        if n == 1 { "" } else { "s" }
    );
    Ok(ExitStatus::Success)
}
