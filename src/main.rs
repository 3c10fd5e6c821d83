//! The `recif-secrets` binary: parses the command line, runs the command, and maps its
//! [`ExitStatus`] or error to the exit code (the one error printer is
//! `commands::print_error`).

use std::process::ExitCode;

use clap::Parser;
use recif_secrets::cli::Cli;
use recif_secrets::commands::{self, ExitStatus};

fn main() -> ExitCode {
    let cli = Cli::parse(); // usage errors exit 2, as clap does
    let mut stderr = std::io::stderr();
    let status: ExitStatus = match commands::execute(cli, &mut std::io::stdin(), &mut stderr) {
        Ok(status) => status,
        Err(e) => {
            commands::print_error(&mut stderr, &e);
            e.exit_status()
        }
    };
    status.into()
}
