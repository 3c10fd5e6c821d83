//! `recif-secrets validate`: the whole pipeline, nothing written.

use std::io::{Read, Write};

use super::{print_diagnostics, warnings, ExitStatus};
use crate::args::ValidateArgs;
use crate::{Error, Request};

pub(super) fn run(
    args: ValidateArgs,
    stdin: &mut dyn Read,
    err: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    if !args.layers.is_empty() {
        return layers(args, stdin, err);
    }
    one(&args, args.input.request(), stdin, err)
}

/// `--layers`: each folder's group of values files validated as one stack of layers, so that
/// a `values-prod.yaml` that only makes sense over its folder's `values.yaml` is judged
/// with it, as Helm would merge them (`-f values.yaml -f values-prod.yaml`). Every group is
/// validated; the problems of all of them are reported together.
fn layers(
    args: ValidateArgs,
    stdin: &mut dyn Read,
    err: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    // Each group's problems are printed under its header, each once (a base's problem shows
    // in every stack it is part of); one that no file holds (say, an agent-env left empty
    // by every layer) names the group instead.
    let mut printed: Vec<String> = Vec::new();
    let mut failed = false;
    for group in layer_groups(&args.layers) {
        let names: Vec<String> = group
            .iter()
            .map(|p| p.to_string_lossy().escape_debug().to_string())
            .collect();
        let label = names.join(" + ");
        let _ = writeln!(err, "layers {label}:");
        let mut req = args.input.request();
        req.sources.files = group
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        match one(&args, req, stdin, err) {
            Ok(_) => {}
            Err(Error::Invalid(d)) => {
                failed |= d.has_errors();
                for item in d.sorted() {
                    let mut line = item.to_string();
                    if item.origin.is_none() {
                        let (severity, rest) = line.split_once(": ").unwrap_or(("error", &line));
                        line = format!("{severity}: {label}: {rest}");
                    }
                    if !printed.contains(&line) {
                        let _ = writeln!(err, "{line}");
                        printed.push(line);
                    }
                }
            }
            Err(e) => return Err(e),
        }
    }
    if failed {
        // Everything was printed above: the error carries nothing more to print.
        return Err(Error::Invalid(crate::diag::Diagnostics::default()));
    }
    Ok(ExitStatus::Success)
}

/// The stacks to validate for `files` (values files staged for a commit): in each folder,
/// `values.yaml` (or `values.yml`) is the base, given or not. Every other file given is an
/// overlay, validated as `-f BASE -f FILE` (each environment on its own, as Helm installs
/// them); a base given without any overlay of its folder is validated with each of the
/// folder's other `values*.yaml`/`values*.yml` files, or alone when there is none. A folder
/// without a base: each file alone.
pub fn layer_groups(files: &[std::path::PathBuf]) -> Vec<Vec<std::path::PathBuf>> {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};
    let is_values = |p: &Path| {
        let n = p
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        n.starts_with("values") && (n.ends_with(".yaml") || n.ends_with(".yml"))
    };
    let mut by_dir: BTreeMap<PathBuf, Vec<PathBuf>> = BTreeMap::new();
    for f in files {
        let dir = f.parent().map(Path::to_path_buf).unwrap_or_default();
        by_dir.entry(dir).or_default().push(f.clone());
    }
    let mut groups = Vec::new();
    for (dir, mut given) in by_dir {
        given.sort();
        given.dedup();
        let base = ["values.yaml", "values.yml"]
            .iter()
            .map(|n| dir.join(n))
            .find(|p| given.contains(p) || p.is_file());
        let Some(base) = base else {
            groups.extend(given.into_iter().map(|f| vec![f]));
            continue;
        };
        let mut overlays: Vec<PathBuf> = given.iter().filter(|p| **p != base).cloned().collect();
        if overlays.is_empty() {
            let listed = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                &dir
            };
            let mut on_disk: Vec<PathBuf> = std::fs::read_dir(listed)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| dir.join(e.file_name()))
                .filter(|p| *p != base && is_values(p) && p.is_file())
                .collect();
            on_disk.sort();
            overlays = on_disk;
        }
        if overlays.is_empty() {
            groups.push(vec![base]);
        } else {
            groups.extend(overlays.into_iter().map(|o| vec![base.clone(), o]));
        }
    }
    groups
}

fn one(
    args: &ValidateArgs,
    req: Request,
    stdin: &mut dyn Read,
    err: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    let mut out = warnings::render_with(&req, stdin, args.forbid_secrets);
    if args.strict {
        out = crate::strict(out);
    }
    let out = out?;
    print_diagnostics(err, &out.warnings);
    let n = out.manifests.objects.len();
    let _ = writeln!(
        err,
        "valid: {n} object{} would be rendered",
        if n == 1 { "" } else { "s" }
    );
    Ok(ExitStatus::Success)
}
