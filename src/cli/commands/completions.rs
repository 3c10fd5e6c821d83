//! `recif-secrets completions SHELL`: a shell completion script (repaired for bash, see
//! [`crate::completions`]).

use super::ExitStatus;
use crate::{deliver, Error};

pub(super) fn run(shell: clap_complete::Shell) -> Result<ExitStatus, Error> {
    deliver::to_stdout(&crate::completions::script(shell))?;
    Ok(ExitStatus::Success)
}
