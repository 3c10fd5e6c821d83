//! Shell completion scripts (`recif-secrets completions SHELL`).
//!
//! clap_complete's bash generator mangles a hyphenated binary name inconsistently
//! (clap-rs/clap#6421): the loop that finds the subcommand sets `cmd` to
//! `recif__secrets__subcmd__render`, while the `case` that offers the flags is labelled
//! `recif__subcmd__secrets__subcmd__render`, so nothing is offered after `render --`. The
//! bash script is repaired here by giving each `case` label the name the loop assigns; once
//! clap is fixed the repair finds nothing to change.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::args::Cli;

/// The binary's name, as users type it.
pub const BIN: &str = "recif-secrets";

/// The completion script for `shell`.
pub fn script(shell: Shell) -> String {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), BIN, &mut buf);
    let text = String::from_utf8_lossy(&buf).into_owned();
    match shell {
        Shell::Bash => repair_bash(&text),
        _ => text,
    }
}

/// The mangled prefix of the bash `case` labels, and what the subcommand loop uses.
fn bash_prefixes() -> (String, String) {
    let good = BIN.replace('-', "__");
    let bad = BIN.replace('-', "__subcmd__");
    (bad, good)
}

/// Rewrites the `case` labels that start with the mangled name to the name the loop assigns.
fn repair_bash(text: &str) -> String {
    let (bad, good) = bash_prefixes();
    if bad == good {
        return text.to_string();
    }
    text.lines()
        .map(|line| {
            let label = line.trim_start();
            if label.starts_with(&bad) && label.ends_with(')') {
                line.replacen(&bad, &good, 1)
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `cmd="…"` the loop assigns has a `case` label offering its flags.
    #[test]
    fn every_bash_subcommand_has_its_case() {
        let text = script(Shell::Bash);
        let assigned: Vec<&str> = text
            .lines()
            .filter_map(|l| l.trim().strip_prefix("cmd=\""))
            .filter_map(|l| l.strip_suffix('"'))
            .filter(|c| !c.is_empty())
            .collect();
        assert!(assigned.len() > 5, "{text}");
        for cmd in assigned {
            assert!(
                text.lines().any(|l| l.trim() == format!("{cmd})")),
                "no case for {cmd}"
            );
        }
        let (bad, _) = bash_prefixes();
        assert!(!text.contains(&format!("{bad})")) && !text.contains(&format!("{bad}__")));
    }
}
