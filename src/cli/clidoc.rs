//! docs/cli.md: every command and flag, generated from the clap definitions
//! (`src/cli/args.rs`) as `--help` prints them (`recif-secrets man --markdown`); a test keeps
//! the file current.

use clap::CommandFactory;

/// The width the help texts are wrapped at, so that the file does not depend on a terminal.
const WIDTH: usize = 100;

/// docs/cli.md.
pub fn markdown() -> String {
    let mut top = crate::args::Cli::command()
        .term_width(WIDTH)
        .max_term_width(WIDTH);
    top.build();
    let mut s = String::from(
        "# Command-line reference\n\n\
<!-- Generated from the clap definitions in src/cli/args.rs by `recif-secrets man --markdown`; \
tests/it/distribution.rs checks it is current (UPDATE_SNAPSHOTS=1 cargo test rewrites it). -->\n\n\
Every command and flag, as `recif-secrets <command> --help` prints it. Values keys are in \
[values.md](values.md); exit codes in [exit-codes.md](exit-codes.md).\n\n",
    );
    for sub in top.get_subcommands() {
        if sub.is_hide_set() || sub.get_name() == "help" {
            continue;
        }
        s.push_str(&format!("- [`{0}`](#recif-secrets-{0})\n", sub.get_name()));
    }
    s.push_str(&section("recif-secrets", &mut top.clone()));
    for sub in top.get_subcommands() {
        if sub.is_hide_set() || sub.get_name() == "help" {
            continue;
        }
        let name = format!("recif-secrets {}", sub.get_name());
        let mut sub = sub.clone().bin_name(&name).display_name(&name);
        s.push_str(&section(&name, &mut sub));
    }
    s
}

fn section(name: &str, cmd: &mut clap::Command) -> String {
    let help = cmd.render_long_help().to_string();
    let help: Vec<&str> = help.lines().map(str::trim_end).collect();
    format!(
        "\n## {name}\n\n```text\n{}\n```\n",
        help.join("\n").trim_end()
    )
}
