//! `recif-secrets man`: the man pages ([`crate::manpages`]), one per subcommand.

use std::io::Write;

use super::ExitStatus;
use crate::args::ManArgs;
use crate::{deliver, manpages, Error};

/// `recif-secrets man [SUBCOMMAND] [--dir DIR]`.
pub(super) fn run(args: ManArgs, err: &mut dyn Write) -> Result<ExitStatus, Error> {
    if let Some(dir) = &args.dir {
        let written = manpages::write_all(dir)?;
        let _ = writeln!(
            err,
            "wrote {} man pages to {}",
            written.len(),
            dir.display()
        );
        return Ok(ExitStatus::Success);
    }
    deliver::to_stdout(&manpages::page(args.subcommand.as_deref())?)?;
    Ok(ExitStatus::Success)
}
