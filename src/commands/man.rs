//! `recif-secrets man`: the man page (roff).

use clap::CommandFactory;

use super::ExitStatus;
use crate::cli::Cli;
use crate::{deliver, Error};

pub(super) fn run() -> Result<ExitStatus, Error> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut buf)
        .map_err(|e| Error::External(format!("cannot render the man page: {e}")))?;
    deliver::to_stdout(&String::from_utf8_lossy(&buf))?;
    Ok(ExitStatus::Success)
}
