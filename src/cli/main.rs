//! The `recif-secrets` binary: parses the command line, runs the command, and maps its
//! [`ExitStatus`] or error to the exit code (the one error printer is
//! `commands::print_error`).

// clippy.toml binds the library (src/lib.rs); this binary starts processes and writes files.
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]
// The C runtime calls `main` below directly (see there why); the unit tests keep the harness's
// (there `main` is an ordinary function the harness leaves alone).
#![cfg_attr(not(test), no_main)]

use std::ffi::OsString;

use clap::Parser;

mod args;
mod builtin_templates;
mod clidoc;
mod cluster;
mod commands;
mod completions;
mod deliver;
mod encryption;
mod manpages;

use recif_secrets::{
    config, diag, diff, doctor, encrypt, manifests, reference, render, render_values, rollout,
    schema, strict, values, yamlfmt, Error, Output, Request, DEFAULT_NAMESPACE, EXAMPLE_VALUES,
};

use crate::args::Cli;
use crate::commands::ExitStatus;

/// The entry point, called by the C runtime with the command line.
///
/// Rust's own entry (`fn main`) would first run its runtime set-up, which on Linux reads
/// `/proc/self/maps` to place a stack-overflow guard and installs signal handlers on an
/// alternate stack: about 0.15 ms, a tenth of a one-team render. What of it matters here is
/// done below, as the runtime does it:
/// - a standard stream (0, 1, 2) that the caller closed is opened on `/dev/null`, so that no
///   file this program opens takes its number and receives what was meant for the terminal;
/// - SIGPIPE is ignored: writing to a closed pipe is an error the writer sees (`EPIPE`), and
///   output to a reader that went away ends quietly with exit 0 (`deliver::to_stdout`);
///   processes this program starts get the default back (the standard library resets it);
/// - a panic prints its message, as always, and exits 101;
/// - standard output is flushed at the end.
///
/// Left out: the "has overflowed its stack" message (an overflow still ends the process, by
/// SIGSEGV; the readers bound their nesting) and the thread name `main` in panic messages.
#[cfg_attr(not(test), unsafe(no_mangle))]
extern "C" fn main(argc: libc::c_int, argv: *const *const libc::c_char) -> libc::c_int {
    use std::io::Write as _;
    use std::os::unix::ffi::OsStrExt as _;
    // SAFETY: fcntl and open on the three standard descriptors, and signal with SIG_IGN, before
    // anything else runs; argv holds argc pointers to C strings that live as long as the
    // process (the C runtime's contract for main).
    let args: Vec<OsString> = unsafe {
        for fd in 0..3 {
            if libc::fcntl(fd, libc::F_GETFD) == -1
                && std::io::Error::last_os_error().raw_os_error() == Some(libc::EBADF)
                && libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) != fd
            {
                libc::abort();
            }
        }
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        (0..usize::try_from(argc).unwrap_or(0))
            .map(|i| std::ffi::CStr::from_ptr(*argv.add(i)))
            .map(|a| std::ffi::OsStr::from_bytes(a.to_bytes()).to_os_string())
            .collect()
    };
    let code = std::panic::catch_unwind(|| run(&args)).unwrap_or(101);
    let _ = std::io::stdout().flush();
    libc::c_int::from(code)
}

/// Runs the command line `args`; returns the exit code.
fn run(args: &[OsString]) -> u8 {
    // `--version` alone is answered without clap (building its definition was most of what
    // `--version` cost), with the line clap prints.
    if let [_, flag] = args {
        if flag == "--version" || flag == "-V" {
            use std::io::Write as _;
            let _ = std::io::stdout().write_all(version_line().as_bytes());
            return 0;
        }
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        // Usage errors exit 2, as clap does, without echoing anything that may be a value.
        Err(e) => usage_error(e, args),
    };
    let mut stderr = std::io::stderr();
    let status: ExitStatus = match crate::commands::execute(cli, &mut std::io::stdin(), &mut stderr)
    {
        Ok(status) => status,
        Err(e) => {
            crate::commands::print_error(&mut stderr, &e);
            ExitStatus::from(&e)
        }
    };
    status.code()
}

/// What `recif-secrets --version` prints (clap's `name version` line).
fn version_line() -> String {
    format!("recif-secrets {}\n", env!("CARGO_PKG_VERSION"))
}

#[cfg(test)]
#[test]
fn the_early_version_line_is_claps() {
    use clap::CommandFactory as _;
    assert_eq!(version_line(), Cli::command().render_version());
}

/// Prints clap's error unless it quotes text that may be part of a `--set` value: the text
/// after the first `=` of a `--set`/`--set-string`/`--set-json`/`--set-literal` argument, a
/// whole argument of theirs without `=`, and any word right after one (`--set k= p4ss`:
/// the shell split the value off). Then a generic message says what to do instead.
fn usage_error(e: clap::Error, args: &[OsString]) -> ! {
    use clap::error::ErrorKind;
    use std::io::Write as _;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        e.exit();
    }
    if let Some(message) = stray_argument(&e, args) {
        let _ = writeln!(std::io::stderr(), "{message}");
        std::process::exit(2);
    }
    let rendered = e.render().to_string();
    let tainted = crate::args::value_texts(args);
    if !tainted
        .iter()
        .any(|t| !t.is_empty() && rendered.contains(t.as_str()))
    {
        e.exit();
    }
    let what = e.kind().as_str().unwrap_or("invalid command line");
    let _ = writeln!(
        std::io::stderr(),
        "error: {what} (not shown: it may be part of a --set value); give each --set flag one KEY=VALUE argument, quoted if it holds spaces (--set 'k=a b')\n\nFor more information, try '--help'."
    );
    std::process::exit(2);
}

/// clap's "unexpected argument 'TEXT' found" quotes the argument: a stray word is never
/// printed (it is often a value typed where a flag was meant, `validate -f x.yaml sk-...`),
/// nor what follows the `=` of an unknown `--flag=VALUE`. The message names its position.
fn stray_argument(e: &clap::Error, args: &[OsString]) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if e.kind() != ErrorKind::UnknownArgument {
        return None;
    }
    let Some(ContextValue::String(arg)) = e.get(ContextKind::InvalidArg) else {
        return None;
    };
    if arg.starts_with('-') && !arg.contains('=') {
        return None; // a mistyped flag: clap's message and its suggestion are safe
    }
    let position = args
        .iter()
        .position(|a| a.to_str() == Some(arg.as_str()))
        .map(|i| format!("argument {i}"))
        .unwrap_or_else(|| "an argument".to_string());
    Some(match arg.split_once('=') {
        Some((flag, _)) if arg.starts_with('-') => format!(
            "error: unexpected argument {flag}=… ({position}; what follows `=` is not shown)\n\nFor more information, try '--help'."
        ),
        _ => format!(
            "error: unexpected argument ({position}; not shown: it may be a value); values come from -f FILE and --set KEY=VALUE, quoted if it holds spaces (--set 'k=a b')\n\nFor more information, try '--help'."
        ),
    })
}
