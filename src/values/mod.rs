//! Step 1 of the pipeline: the effective values, exactly as Helm v4 would hand them to a
//! chart whose `values.yaml` is our built-in defaults. Files (`-f`, `-` for stdin) merge in
//! order, then the `--set` family applies in Helm's order, then the result is coalesced with
//! the defaults. Every node remembers where it came from.

mod defaults_tree;
mod files_arg;
mod gojson;
mod libyaml;
mod merge;
mod node;
pub mod placeholders;
pub mod secrets;
pub mod strvals;
mod tags;
pub mod yaml;

use std::io::Read;
use std::path::Path;
use std::sync::{Arc, OnceLock};

pub use files_arg::split_values_arg;
pub use merge::{coalesce, merge_maps};
pub use node::{format_float, Node, Origin, Value};

use crate::diag::Diagnostics;

/// The built-in defaults, as text (printed by `values --defaults`).
pub const DEFAULTS_YAML: &str = include_str!("../defaults.yaml");

/// The five `--set` flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SetKind {
    Json,
    Set,
    String,
    File,
    Literal,
}

impl SetKind {
    pub fn flag(self) -> &'static str {
        match self {
            SetKind::Set => "--set",
            SetKind::String => "--set-string",
            SetKind::File => "--set-file",
            SetKind::Json => "--set-json",
            SetKind::Literal => "--set-literal",
        }
    }
}

/// One `--set`-family argument as given on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetArg {
    pub kind: SetKind,
    pub arg: String,
}

/// Where values come from: `-f` files in order, and the `--set` family.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    pub files: Vec<String>,
    pub sets: Vec<SetArg>,
    /// Start from the built-in example values (before the files).
    pub example: bool,
}

/// The built-in defaults as a tree, every node's origin [`Origin::Default`]. Built from code
/// generated from [`DEFAULTS_YAML`] (`defaults_tree.rs`), so that no run parses it: that
/// parse was a quarter of a one-team render's instructions. A test checks the generated tree
/// equals the parsed one, node for node.
pub fn defaults() -> &'static Node {
    static DEFAULTS: OnceLock<Node> = OnceLock::new();
    DEFAULTS.get_or_init(defaults_tree::tree)
}

// The constructors `defaults_tree.rs` is written with (other scalars are written out there as
// `Node::new(Value::…, Origin::Default)`).
fn string(s: &str) -> Node {
    Node::new(Value::Str(s.to_string()), Origin::Default)
}
fn boolean(b: bool) -> Node {
    Node::new(Value::Bool(b), Origin::Default)
}
fn seq(items: Vec<Node>) -> Node {
    Node::new(Value::Seq(items), Origin::Default)
}
fn map(entries: Vec<(&str, Node)>) -> Node {
    let entries = entries.into_iter().map(|(k, v)| (k.to_string(), v));
    Node::new(Value::Map(entries.collect()), Origin::Default)
}

/// The user's values before the defaults: files merged, then the `--set` family applied in
/// Helm's order (`--set-json`, `--set`, `--set-string`, `--set-file`, `--set-literal`; each
/// kind in command-line order).
pub fn user_values(sources: &Sources, stdin: &mut dyn Read) -> Result<Node, Diagnostics> {
    load(sources, stdin).map(|l| l.values)
}

/// The user's values, and the values files (not stdin) that hold secret values.
pub struct Loaded {
    pub values: Node,
    pub secret_files: Vec<String>,
}

/// Like [`user_values`], also noting which files hold secret values.
pub fn load(sources: &Sources, stdin: &mut dyn Read) -> Result<Loaded, Diagnostics> {
    let mut secret_files = Vec::new();
    let mut diags = Diagnostics::default();
    let mut base = Node::map(Origin::Default);
    let mut stdin_used = false;
    let mut load_budget = yaml::LoadBudget::default();
    if sources.example {
        let node = yaml::load(
            crate::EXAMPLE_VALUES,
            &Arc::from("values-secret.yaml.example"),
        )
        .expect("the built-in example is valid YAML");
        merge_maps(&mut base, node);
    }
    for file in &sources.files {
        let (label, text) = if file.trim() == "-" {
            if stdin_used {
                diags.error(
                    None,
                    "",
                    "`-f -` reads standard input once; it is given twice",
                );
                continue;
            }
            stdin_used = true;
            match read_stdin(stdin) {
                Ok(t) => ("<stdin>".to_string(), without_bom(t)),
                Err(msg) => {
                    diags.error(None, "", format!("-f -: {msg}"));
                    continue;
                }
            }
        } else if let Some(shown) = url_shown(file) {
            diags.error(
                None,
                "",
                format!(
                    "-f {shown}: URLs are not downloaded (Helm would fetch it); download the file first (curl -fsSLo values.yaml URL), read it, then pass it with -f"
                ),
            );
            continue;
        } else {
            match read_text_file(Path::new(file)) {
                Ok(t) => (file.clone(), t),
                Err(msg) => {
                    diags.error(None, "", format!("-f {file}: {msg}"));
                    continue;
                }
            }
        };
        match yaml::load_within(&text, &Arc::from(label.as_str()), &mut load_budget) {
            Ok(node) => {
                if file.trim() != "-"
                    && secrets::holds_secret_values(&node)
                    && !placeholders::only_placeholders(&node)
                {
                    secret_files.push(file.clone());
                }
                merge_maps(&mut base, node)
            }
            Err(e) => diags.error(
                Some(Origin::File {
                    path: Arc::from(label.as_str()),
                    line: e.line,
                    col: e.col,
                }),
                "",
                e.message,
            ),
        }
    }
    let mut sets: Vec<&SetArg> = sources.sets.iter().collect();
    sets.sort_by_key(|s| s.kind); // stable: keeps command-line order within a kind
    let mut list_budget = strvals::ListBudget::default();
    for set in sets {
        let mut read = |path: &str| {
            // Helm takes a --set-file's bytes as they are: a byte order mark stays (U+FEFF).
            if path.trim() == "-" {
                read_stdin(stdin)
            } else {
                read_file(Path::new(path))
            }
        };
        if let Err(msg) =
            strvals::parse_into_within(set.kind, &set.arg, &mut base, &mut read, &mut list_budget)
        {
            // Without any `=`, the argument may well be a value typed alone (a key pasted
            // after --set): it is not echoed.
            let (path, msg) = if set.arg.contains('=') {
                (strvals::key_part(&set.arg).to_string(), msg)
            } else {
                (
                    "(argument not shown)".to_string(),
                    "expected KEY=VALUE; the argument has no `=`".to_string(),
                )
            };
            diags.error(
                Some(Origin::Flag {
                    flag: set.kind.flag(),
                    path,
                }),
                "",
                msg,
            );
        }
    }
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok(Loaded {
            values: base,
            secret_files,
        })
    }
}

/// A `-f` argument that is a URL (and no local file of that name), shown without its user
/// information, query and fragment (they may hold a token).
fn url_shown(arg: &str) -> Option<String> {
    let (scheme, rest) = arg.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if !matches!(
        scheme.as_str(),
        "http" | "https" | "oci" | "s3" | "gs" | "file"
    ) || Path::new(arg).exists()
    {
        return None;
    }
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = host.rsplit('@').next().unwrap_or(host);
    Some(format!("{scheme}://{host}/{path}"))
}

/// The effective values: the user's coalesced with the built-in defaults.
pub fn effective(sources: &Sources, stdin: &mut dyn Read) -> Result<Node, Diagnostics> {
    Ok(coalesce(user_values(sources, stdin)?, defaults()))
}

fn read_stdin(stdin: &mut dyn Read) -> Result<String, String> {
    let mut buf = Vec::new();
    stdin
        .take(yaml::MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut buf)
        .map_err(|e| format!("cannot read standard input: {}", e.kind()))?;
    bytes_to_text(buf)
}

/// Reads a file given on the command line, refusing folders, oversized and binary files;
/// a UTF-8 byte order mark at its start is dropped (as YAML readers drop it).
pub fn read_text_file(path: &Path) -> Result<String, String> {
    read_file(path).map(without_bom)
}

fn without_bom(mut text: String) -> String {
    if text.starts_with('\u{feff}') {
        text.remove(0);
    }
    text
}

/// [`read_text_file`] keeping a byte order mark.
fn read_file(path: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| io_message(&e))?;
    if meta.is_dir() {
        return Err("is a folder, not a file".to_string());
    }
    if meta.len() > yaml::MAX_FILE_BYTES as u64 {
        return Err(format!(
            "the file is {} bytes; the limit is {} bytes (16 MiB)",
            meta.len(),
            yaml::MAX_FILE_BYTES
        ));
    }
    let file = std::fs::File::open(path).map_err(|e| io_message(&e))?;
    let mut buf = Vec::new();
    file.take(yaml::MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut buf)
        .map_err(|e| io_message(&e))?;
    bytes_to_text(buf)
}

fn bytes_to_text(buf: Vec<u8>) -> Result<String, String> {
    if buf.len() > yaml::MAX_FILE_BYTES {
        return Err(format!(
            "more than {} bytes (16 MiB); refused",
            yaml::MAX_FILE_BYTES
        ));
    }
    if buf.contains(&0) {
        return Err("is a binary file (it holds NUL bytes), not YAML text".to_string());
    }
    match String::from_utf8(buf) {
        Ok(s) => Ok(s),
        Err(e) => Err(format!(
            "is not valid UTF-8 (first bad byte at offset {})",
            e.utf8_error().valid_up_to()
        )),
    }
}

fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => format!("cannot read it: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every node of the generated tree equals the parsed one, in value and in origin.
    #[test]
    fn the_generated_defaults_are_the_parsed_ones() {
        fn same(a: &Node, b: &Node, path: &str) {
            assert!(matches!(a.origin, Origin::Default), "{path}: origin");
            match (&a.value, &b.value) {
                (Value::Map(x), Value::Map(y)) => {
                    assert_eq!(
                        x.keys().collect::<Vec<_>>(),
                        y.keys().collect::<Vec<_>>(),
                        "{path}"
                    );
                    for (k, v) in x {
                        same(v, &y[k], &format!("{path}.{k}"));
                    }
                }
                (Value::Seq(x), Value::Seq(y)) => {
                    assert_eq!(x.len(), y.len(), "{path}");
                    for (i, (v, w)) in x.iter().zip(y).enumerate() {
                        same(v, w, &format!("{path}[{i}]"));
                    }
                }
                (x, y) => assert_eq!(x, y, "{path}"),
            }
        }
        let parsed = yaml::load(DEFAULTS_YAML, &Arc::from("<defaults>")).unwrap();
        same(defaults(), &parsed, "");
    }
}
