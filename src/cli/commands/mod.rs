//! The command layer: one file per subcommand, each a `run` function returning an
//! [`ExitStatus`] or an [`Error`]. Side effects (files, processes, standard output) live
//! here and in [`crate::deliver`] / [`crate::kubectl`], never in the pipeline; the one error
//! printer is [`print_diagnostics`], called by `main.rs`.

pub mod argocd_generate;
mod completions;
mod diff;
mod doctor;
mod encrypt;
mod git_index;
mod init;
mod man;
mod progress;
mod render;
mod rollout;
mod schema;
mod templates;
mod validate;
mod values;
mod verify;
pub mod warnings;

use std::io::{Read, Write};

use crate::args::{Cli, Command};
use crate::diag::Diagnostics;
use crate::Error;

/// How a command ended, mapped to the process exit code (docs/exit-codes.md) by `main.rs`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: done.
    Success,
    /// 1: invalid values, templates or rendered objects.
    Invalid,
    /// 2: command-line usage.
    Usage,
    /// 3: a failure outside (kubectl, the output folder, standard output).
    External,
    /// 4 (`diff`): the rendered objects differ from what they were compared with.
    Differences,
    /// 4 (`doctor`): a check found a problem or could not run.
    ChecksFailed,
    /// 4 (`rollout`): a Secret or workloads could not be read, or a restart is blocked.
    PlanIncomplete,
    /// 5 (`rollout`, `render --apply --restart --wait`): a rollout did not finish.
    RolloutFailed,
    /// 5 (`verify`): the folder holds something that is not as expected.
    Unverified,
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Invalid => 1,
            ExitStatus::Usage => 2,
            ExitStatus::External => 3,
            ExitStatus::Differences | ExitStatus::ChecksFailed | ExitStatus::PlanIncomplete => 4,
            ExitStatus::RolloutFailed | ExitStatus::Unverified => 5,
        }
    }
}

impl From<&Error> for ExitStatus {
    fn from(e: &Error) -> Self {
        match e {
            Error::Invalid(_) => ExitStatus::Invalid,
            Error::Usage(_) => ExitStatus::Usage,
            Error::External(_) => ExitStatus::External,
        }
    }
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(s: ExitStatus) -> Self {
        std::process::ExitCode::from(s.code())
    }
}

/// Runs the command; warnings go to `err` as they are found, output to standard output.
pub fn execute(cli: Cli, stdin: &mut dyn Read, err: &mut dyn Write) -> Result<ExitStatus, Error> {
    match cli.command {
        Command::Render(args) => render::run(args, stdin, err),
        Command::Values(args) if args.reference => {
            crate::deliver::to_stdout(&crate::reference::markdown())?;
            Ok(ExitStatus::Success)
        }
        Command::Values(args) => values::run(args, stdin),
        Command::Validate(args) => validate::run(args, stdin, err),
        Command::Diff(args) => diff::run(args, stdin, err),
        Command::Doctor(args) => doctor::run(args, stdin, err),
        Command::Rollout(args) => rollout::run(args, stdin, err),
        Command::Verify(args) => verify::run(args, err),
        Command::Schema => schema::run(),
        Command::Init(args) => init::run(args, err),
        Command::Completions { shell } => completions::run(shell),
        Command::Man(args) => man::run(args, err),
        Command::Templates(args) => templates::run(args, err),
        Command::ArgocdGenerate => {
            crate::commands::argocd_generate::generate(err).map(|()| ExitStatus::Success)
        }
    }
}

/// Prints warnings and errors, one per line.
pub fn print_diagnostics(err: &mut dyn Write, diags: &Diagnostics) {
    for d in diags.sorted() {
        let _ = writeln!(err, "{d}");
    }
}

/// Prints an error the way every command does (`main.rs` calls this once).
pub fn print_error(err: &mut dyn Write, e: &Error) {
    match e {
        Error::Invalid(diags) => print_diagnostics(err, diags),
        Error::Usage(msg) | Error::External(msg) => {
            // They may quote kubectl, a folder's file names or objects: one line, escaped.
            let _ = writeln!(err, "error: {}", recif_secrets::terminal::escape(msg));
        }
    }
}
