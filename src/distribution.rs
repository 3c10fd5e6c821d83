//! The commands that document and ship the tool: `man` and `templates` (their logic lives in
//! [`crate::manpages`] and [`crate::builtin_templates`]).

use std::io::Write;

use crate::cli::{ManArgs, TemplatesArgs};
use crate::{builtin_templates, deliver, manpages, Error};

/// `recif-secrets man [SUBCOMMAND] [--dir DIR]`.
pub fn man(args: ManArgs, err: &mut dyn Write) -> Result<i32, Error> {
    if let Some(dir) = &args.dir {
        let written = manpages::write_all(dir)?;
        let _ = writeln!(
            err,
            "wrote {} man pages to {}",
            written.len(),
            dir.display()
        );
        return Ok(0);
    }
    deliver::to_stdout(&manpages::page(args.subcommand.as_deref())?)?;
    Ok(0)
}

/// `recif-secrets templates [NAME...] [--dir DIR]`.
pub fn templates(args: TemplatesArgs, err: &mut dyn Write) -> Result<i32, Error> {
    if let Some(dir) = &args.dir {
        let written = builtin_templates::write_dir(dir)?;
        let _ = writeln!(
            err,
            "wrote {} templates to {}; edit them, then: recif-secrets render --templates {} ...",
            written.len(),
            dir.display(),
            dir.display()
        );
        return Ok(0);
    }
    if args.names.is_empty() {
        deliver::to_stdout(&(builtin_templates::names().join("\n") + "\n"))?;
        return Ok(0);
    }
    let mut text = String::new();
    for name in &args.names {
        text.push_str(builtin_templates::source(name)?);
    }
    deliver::to_stdout(&text)?;
    Ok(0)
}
