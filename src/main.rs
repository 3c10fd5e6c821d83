//! The `recif-secrets` binary: parses the command line and maps errors to exit codes.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use recif_secrets::cli::Cli;
use recif_secrets::{command, Error};

fn main() -> ExitCode {
    let cli = Cli::parse(); // usage errors exit 2, as clap does
    let mut stderr = std::io::stderr();
    match command::execute(cli, &mut std::io::stdin(), &mut stderr) {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            match &e {
                Error::Invalid(diags) => command::print_diagnostics(&mut stderr, diags),
                Error::Usage(msg) | Error::External(msg) => {
                    let _ = writeln!(stderr, "error: {msg}");
                }
            }
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
