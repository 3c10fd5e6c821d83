//! `recif-secrets templates`: the built-in templates ([`crate::builtin_templates`]), listed,
//! printed or copied into a folder to start `--templates` overrides from.

use std::io::Write;

use super::ExitStatus;
use crate::args::TemplatesArgs;
use crate::{builtin_templates, deliver, Error};

/// `recif-secrets templates [NAME...] [--dir DIR]`.
pub(super) fn run(args: TemplatesArgs, err: &mut dyn Write) -> Result<ExitStatus, Error> {
    if let Some(dir) = &args.dir {
        let written = builtin_templates::write_dir(dir)?;
        let _ = writeln!(
            err,
            "wrote {} templates to {}; edit them, then: recif-secrets render --templates {} ...",
            written.len(),
            dir.display(),
            dir.display()
        );
        return Ok(ExitStatus::Success);
    }
    if args.names.is_empty() {
        deliver::to_stdout(&(builtin_templates::names().join("\n") + "\n"))?;
        return Ok(ExitStatus::Success);
    }
    let mut text = String::new();
    for name in &args.names {
        text.push_str(builtin_templates::source(name)?);
    }
    deliver::to_stdout(&text)?;
    Ok(ExitStatus::Success)
}
