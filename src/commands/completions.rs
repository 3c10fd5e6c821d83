//! `recif-secrets completions SHELL`: a shell completion script.

use clap::CommandFactory;

use super::ExitStatus;
use crate::cli::Cli;
use crate::{deliver, Error};

pub(super) fn run(shell: clap_complete::Shell) -> Result<ExitStatus, Error> {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "recif-secrets", &mut buf);
    deliver::to_stdout(&String::from_utf8_lossy(&buf))?;
    Ok(ExitStatus::Success)
}
