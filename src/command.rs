//! Runs a parsed command line. Every command returns an exit code or an [`Error`]; the one
//! error printer lives in `main.rs`.

use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;

use crate::cli::{Cli, Command, DryRun, Format, InitArgs, RenderArgs, ValuesArgs};
use crate::diag::Diagnostics;
use crate::manifests::Manifests;
use crate::values;
use crate::{deliver, Error, Request};

/// Runs the command; warnings go to `err` as they are found, output to standard output.
pub fn execute(cli: Cli, stdin: &mut dyn Read, err: &mut dyn Write) -> Result<i32, Error> {
    match cli.command {
        Command::Render(args) => render(args, stdin, err),
        Command::Values(args) if args.reference => {
            deliver::to_stdout(&crate::reference::markdown())?;
            Ok(0)
        }
        Command::Values(args) => values_cmd(args, stdin),
        Command::Validate(args) => {
            let req = Request {
                sources: args.values.sources(),
                namespace: args.namespace,
                templates: args.templates,
            };
            let out = crate::render(&req, stdin)?;
            print_diagnostics(err, &out.warnings);
            let _ = writeln!(
                err,
                "valid: {} objects would be rendered",
                out.manifests.objects.len()
            );
            Ok(0)
        }
        Command::Schema => {
            deliver::to_stdout(&crate::schema::schema_json())?;
            Ok(0)
        }
        Command::Init(args) => init(args, err),
        Command::Completions { shell } => {
            deliver::to_stdout(&crate::completions::script(shell))?;
            Ok(0)
        }
        Command::Man(args) => crate::distribution::man(args, err),
        Command::Templates(args) => crate::distribution::templates(args, err),
        Command::ArgocdGenerate => crate::argocd::generate(err),
    }
}

/// Prints warnings and errors, one per line.
pub fn print_diagnostics(err: &mut dyn Write, diags: &Diagnostics) {
    for d in diags.sorted() {
        let _ = writeln!(err, "{d}");
    }
}

fn render(args: RenderArgs, stdin: &mut dyn Read, err: &mut dyn Write) -> Result<i32, Error> {
    let req = Request {
        sources: args.values.sources(),
        namespace: args.namespace.clone(),
        templates: args.templates.clone(),
    };
    let out = crate::render(&req, stdin)?;
    print_diagnostics(err, &out.warnings);
    let manifests = show_only(out.manifests, &args.show_only)?;
    let format = args.output;
    let write = |w: &mut dyn Write| match format {
        Format::Yaml => manifests.write_yaml(w),
        Format::Json => w.write_all(manifests.to_json().as_bytes()),
    };
    if let Some(dir) = &args.output_dir {
        if manifests.objects.iter().any(|o| o.kind() == "Secret") {
            if let Some(tree) = deliver::git_work_tree(dir) {
                let _ = writeln!(
                    err,
                    "warning: --output-dir {} is inside the git work tree {}: inline Secrets written there could be committed; keep secrets out of Git (use secrets.provider external)",
                    dir.display(),
                    tree.display()
                );
            }
        }
        let report = deliver::write_dir(dir, &manifests)?;
        let _ = writeln!(
            err,
            "wrote {} files to {}{}",
            report.written.len(),
            dir.display(),
            if report.removed.is_empty() {
                String::new()
            } else {
                format!(
                    "; removed {} stale: {}",
                    report.removed.len(),
                    report.removed.join(", ")
                )
            }
        );
        return Ok(0);
    }
    if args.apply {
        let apply = deliver::Apply {
            kubectl: args.kubectl,
            context: args.context,
            kubeconfig: args.kubeconfig,
            dry_run: args.dry_run.map(|d| match d {
                DryRun::Client => "client",
                DryRun::Server => "server",
            }),
            server_side: args.server_side,
        };
        apply.run(write)?;
        return Ok(0);
    }
    deliver::stream_stdout(write)?;
    Ok(0)
}

/// `--show-only KIND/NAME`: keeps the matching objects (in every namespace); an unknown one
/// is an error that lists what was rendered.
fn show_only(manifests: Manifests, filters: &[String]) -> Result<Manifests, Error> {
    if filters.is_empty() {
        return Ok(manifests);
    }
    let mut diags = Diagnostics::default();
    let mut parsed = Vec::new();
    for f in filters {
        match f.split_once('/') {
            Some((kind, name)) if !kind.is_empty() && !name.is_empty() => {
                parsed.push((f, kind.to_lowercase(), name.to_string()))
            }
            _ => diags.error(
                None,
                "",
                format!("--show-only {f:?}: expected KIND/NAME, such as secret/agent-env"),
            ),
        }
    }
    let matches = |o: &crate::manifests::Manifest, kind: &str, name: &str| {
        o.kind().to_lowercase() == kind && o.name() == name
    };
    for (f, kind, name) in &parsed {
        if !manifests.objects.iter().any(|o| matches(o, kind, name)) {
            let mut rendered: Vec<String> = manifests
                .objects
                .iter()
                .map(|o| format!("{}/{}", o.kind().to_lowercase(), o.name()))
                .collect();
            rendered.dedup();
            rendered.sort();
            rendered.dedup();
            diags.error(
                None,
                "",
                format!(
                    "--show-only {f}: no such object was rendered; rendered: {}",
                    rendered.join(", ")
                ),
            );
        }
    }
    if diags.has_errors() {
        return Err(Error::Invalid(diags));
    }
    Ok(Manifests {
        objects: manifests
            .objects
            .into_iter()
            .filter(|o| parsed.iter().any(|(_, k, n)| matches(o, k, n)))
            .collect(),
    })
}

fn values_cmd(args: ValuesArgs, stdin: &mut dyn Read) -> Result<i32, Error> {
    if args.defaults && args.output == Format::Yaml {
        // The defaults file itself, with its comments (it holds no secret).
        deliver::to_stdout(values::DEFAULTS_YAML)?;
        return Ok(0);
    }
    let mut node = if args.defaults {
        values::defaults().clone()
    } else {
        values::effective(&args.values.sources(), stdin).map_err(Error::Invalid)?
    };
    if !args.reveal {
        values::secrets::redact(&mut node);
    }
    let json = node.to_json();
    let text = match args.output {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&json).expect("JSON serializes");
            s.push('\n');
            s
        }
        Format::Yaml => {
            let mut s = String::new();
            crate::yamlfmt::emit_document(&mut s, &json);
            s
        }
    };
    deliver::to_stdout(&text)?;
    Ok(0)
}

const VALUES_FILE: &str = "values-secret.yaml";

fn init(args: InitArgs, err: &mut dyn Write) -> Result<i32, Error> {
    let path = args.dir.join(VALUES_FILE);
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path);
    match file {
        Ok(mut f) => f
            .write_all(crate::EXAMPLE_VALUES.as_bytes())
            .map_err(|e| Error::External(format!("cannot write {}: {e}", path.display())))?,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let _ = writeln!(err, "{} already exists; left as it is", path.display());
        }
        Err(e) => {
            return Err(Error::External(format!(
                "cannot create {}: {e}",
                path.display()
            )))
        }
    }
    let gitignore = args.dir.join(".gitignore");
    let existing = match std::fs::read_to_string(&gitignore) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            return Err(Error::External(format!(
                "cannot read {}: {e}",
                gitignore.display()
            )))
        }
    };
    let listed = existing
        .lines()
        .map(str::trim)
        .any(|l| l == VALUES_FILE || l == "/values-secret.yaml");
    if !listed {
        let mut text = existing;
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(VALUES_FILE);
        text.push('\n');
        std::fs::write(&gitignore, text)
            .map_err(|e| Error::External(format!("cannot write {}: {e}", gitignore.display())))?;
        let _ = writeln!(err, "added {VALUES_FILE} to {}", gitignore.display());
    }
    let _ = writeln!(
        err,
        "wrote {} (mode 0600); edit it, then: recif-secrets render -f {}",
        path.display(),
        path.display()
    );
    Ok(0)
}
