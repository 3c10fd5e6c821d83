//! Man pages: `recif-secrets(1)` and one page per subcommand (`recif-secrets-render(1)`, ...),
//! generated from the clap definitions, with the exit codes, the values keys (from
//! [`crate::reference`]) and cross references added.

use std::path::{Path, PathBuf};

use clap::CommandFactory;
use clap_mangen::roff::{bold, italic, roman, Roff};
use clap_mangen::Man;

use crate::args::Cli;
use crate::completions::BIN;
use crate::Error;

/// The exit codes, as documented in the README and docs/exit-codes.md.
pub const EXIT_CODES: &[(u8, &str)] = &[
    (0, "success (warnings may be printed on standard error)"),
    (
        1,
        "invalid values, templates or rendered objects; nothing was written or applied",
    ),
    (2, "command-line usage"),
    (
        3,
        "a failure outside: kubectl failed or is missing, the output folder is not writable",
    ),
    (
        4,
        "diff: there are differences; doctor: a check found a problem or could not run",
    ),
    (
        5,
        "verify: the folder holds something that is not as expected",
    ),
];

/// Subcommands whose page lists the values keys.
const READS_VALUES: &[&str] = &["render", "values", "validate"];

fn command() -> clap::Command {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

/// The names of the subcommands that have a page.
pub fn subcommands() -> Vec<String> {
    command()
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .map(|s| s.get_name().to_string())
        .collect()
}

/// The page of `sub` (`None`: the top page), as roff.
pub fn page(sub: Option<&str>) -> Result<String, Error> {
    let top = command();
    let cmd = match sub {
        None => top.clone(),
        Some(name) => top
            .get_subcommands()
            .find(|s| s.get_name() == name)
            .cloned()
            .ok_or_else(|| {
                Error::Usage(format!(
                    "no man page for {name:?}; pages: {}",
                    subcommands().join(", ")
                ))
            })?,
    };
    let version = top.get_version().unwrap_or_default().to_string();
    let man = Man::new(cmd.clone())
        .title(file_name(sub).trim_end_matches(".1").to_uppercase())
        .source(format!("{BIN} {version}"))
        .manual("User Commands");
    let mut buf = Vec::new();
    man.render_title(&mut buf).expect("writes to memory");
    man.render_name_section(&mut buf).expect("writes to memory");
    man.render_synopsis_section(&mut buf)
        .expect("writes to memory");
    man.render_description_section(&mut buf)
        .expect("writes to memory");
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut buf)
            .expect("writes to memory");
    }
    let mut roff = Roff::default();
    if sub.is_none() {
        roff.control("SH", ["COMMANDS"]);
        for s in top.get_subcommands().filter(|s| !s.is_hide_set()) {
            roff.control("TP", []);
            roff.text([bold(format!("{BIN}-{}", s.get_name())), roman("(1)")]);
            roff.text([roman(
                s.get_about().map(|a| a.to_string()).unwrap_or_default(),
            )]);
        }
    }
    roff.control("SH", ["EXIT STATUS"]);
    for (code, meaning) in EXIT_CODES {
        roff.control("TP", []);
        roff.text([bold(code.to_string())]);
        roff.text([roman(*meaning)]);
    }
    if sub.is_none_or(|s| READS_VALUES.contains(&s)) {
        roff.control("SH", ["VALUES"]);
        roff.text([roman(
            "Values come from, later winning: the built-in defaults, each -f FILE, then \
--set-json, --set, --set-string, --set-file, --set-literal (as with Helm). The keys:",
        )]);
        for r in crate::reference::rows() {
            roff.control("TP", []);
            roff.text([bold(r.path.clone())]);
            let default = if r.default.is_empty() {
                String::new()
            } else {
                format!("; default {}", r.default)
            };
            roff.text([
                italic(r.kind.clone()),
                roman(format!("{default}. {}", r.doc)),
            ]);
        }
    }
    roff.control("SH", ["SEE ALSO"]);
    let mut refs: Vec<String> = Vec::new();
    if sub.is_some() {
        refs.push(format!("{BIN}(1)"));
    }
    refs.extend(
        subcommands()
            .iter()
            .filter(|s| Some(s.as_str()) != sub)
            .map(|s| format!("{BIN}-{s}(1)")),
    );
    refs.push("helm(1), kubectl(1)".into());
    roff.text([roman(refs.join(", "))]);
    let mut text = String::from_utf8(buf).expect("roff is UTF-8");
    text.push_str(&roff.to_roff());
    text.push_str(&format!(".SH VERSION\nv{version}\n"));
    Ok(ascii_escaped(&text))
}

/// Non-ASCII characters as roff escapes (`é` -> `\[u00E9]`): troff reads its input as
/// Latin-1 unless a preprocessor converts it.
fn ascii_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            out.push_str(&format!("\\[u{:04X}]", c as u32));
        }
    }
    out
}

/// The file name of a page: `recif-secrets.1`, `recif-secrets-render.1`.
pub fn file_name(sub: Option<&str>) -> String {
    match sub {
        None => format!("{BIN}.1"),
        Some(s) => format!("{BIN}-{s}.1"),
    }
}

/// Writes every page into `dir` (created if missing); returns the files written.
pub fn write_all(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let fail =
        |p: &Path, e: std::io::Error| Error::External(format!("cannot write {}: {e}", p.display()));
    std::fs::create_dir_all(dir).map_err(|e| fail(dir, e))?;
    let mut written = Vec::new();
    let names = subcommands();
    for sub in std::iter::once(None).chain(names.iter().map(|s| Some(s.as_str()))) {
        let path = dir.join(file_name(sub));
        std::fs::write(&path, page(sub)?).map_err(|e| fail(&path, e))?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_names_existing_pages_only() {
        let names = subcommands();
        assert!(names.contains(&"render".to_string()));
        for sub in std::iter::once(None).chain(names.iter().map(|s| Some(s.as_str()))) {
            let text = page(sub).unwrap();
            assert!(text.contains("EXIT STATUS"), "{sub:?}");
            let escaped = format!("{}\\-", BIN.replace('-', "\\-"));
            assert!(text.contains(&escaped), "{sub:?}");
            for referenced in text.split(&escaped).skip(1) {
                // `argocd\-generate\fR(1)`: up to the font change, unescaped.
                let end = referenced
                    .find(['(', ' ', '\n', ',', '.'])
                    .unwrap_or(referenced.len());
                let word = referenced[..end].split("\\f").next().unwrap_or("");
                let name = word.replace("\\-", "-");
                if name.is_empty() {
                    continue;
                }
                assert!(names.contains(&name), "{sub:?} refers to {BIN}-{name}");
            }
        }
        assert!(page(Some("render"))
            .unwrap()
            .contains("secrets.external.storeKind"));
        assert!(matches!(page(Some("nope")), Err(Error::Usage(_))));
    }
}
