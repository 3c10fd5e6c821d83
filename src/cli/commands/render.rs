//! `recif-secrets render`: the manifests to standard output, a folder (`--output-dir`) or
//! `kubectl apply` (`--apply`). An output format is a `Format` variant and one arm here.

use std::borrow::Cow;
use std::io::{Read, Write};

use super::{print_diagnostics, warnings, ExitStatus};
use crate::args::{DryRun, Format, RenderArgs};
use crate::diag::Diagnostics;
use crate::encrypt::Destination;
use crate::manifests::{JsonList, Kind, Manifest, Manifests};
use crate::{deliver, Error};

/// `--print-commands`: the cloud CLI commands of the bindings, one shell line each.
fn print_commands(
    bindings: Option<&crate::config::bindings::Bindings>,
) -> Result<ExitStatus, Error> {
    let Some(b) = bindings else {
        return Err(Error::Usage(
            "--print-commands prints the Workload Identity bindings: set secrets.provider: none and workloadIdentity.bindings.enabled: true".into(),
        ));
    };
    let mut text = String::from("#!/bin/sh\n# The Workload Identity bindings, as recif-secrets would render them for the cloud operators.\nset -eu\n");
    for c in crate::config::bindings::commands(b) {
        if matches!(c, crate::config::bindings::Command::Comment(_)) {
            text.push('\n');
        }
        text.push_str(&c.line());
        text.push('\n');
    }
    deliver::stream_stdout(|w: &mut dyn Write| w.write_all(text.as_bytes()))?;
    Ok(ExitStatus::Success)
}

pub(super) fn run(
    args: RenderArgs,
    stdin: &mut dyn Read,
    err: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    let given = args.cluster.given();
    if !args.apply && !given.is_empty() {
        return Err(Error::Usage(format!(
            "{} only applies with --apply",
            given.join(", ")
        )));
    }
    if args.output_dir.is_some() && args.output == Format::Json {
        return Err(Error::Usage(
            "-o json does not apply to --output-dir, which writes one YAML file per object and a kustomization.yaml; drop -o json, or leave out --output-dir to get the List on standard output".into(),
        ));
    }
    if !args.restart && (args.restarts.wait || args.restarts.restart_mounted) {
        return Err(Error::Usage(
            "--wait and --restart-mounted go with --restart (render --apply --restart)".into(),
        ));
    }
    if args.restart {
        super::rollout::check_timeout(&args.restarts)?;
    }
    let req = args.input.request();
    let scheme = crate::encryption::scheme(&args.encryption, args.output == Format::Json)?;
    // A SealedSecret is made to be applied (the controller unseals it in the cluster); a
    // SOPS document is not: applied as it is, it would be a Secret of ciphertext.
    if let Some(why) = scheme
        .as_ref()
        .filter(|_| args.apply)
        .and_then(|s| s.format().refuses(Destination::Apply))
    {
        return Err(Error::Usage(why.into()));
    }
    if args.force_conflicts && args.server_side == Some(false) {
        return Err(Error::Usage(
            "--force-conflicts only applies to server-side apply; drop --server-side=false".into(),
        ));
    }
    show_only_filters(&args.show_only)?;
    let mut out = warnings::render(&req, stdin);
    if args.strict {
        out = crate::strict(out);
    }
    let out = out?;
    print_diagnostics(err, &out.warnings);
    if args.print_commands {
        return print_commands(out.bindings.as_ref());
    }
    if scheme.is_some() {
        super::encrypt::check_something_to_encrypt(&out.manifests)?;
    }
    let manifests = show_only(out.manifests, &args.show_only)?;
    let key = match (&scheme, &args.output_dir) {
        (Some(_), Some(dir)) => {
            super::encrypt::fingerprint_key(args.encryption.fingerprint_key.as_deref(), dir, err)?
        }
        _ => None,
    };
    if let Some(scheme) = &scheme {
        // Every object can be encrypted: checked before the first byte is written.
        super::encrypt::check(&manifests, scheme)?;
    }
    // The objects as they are written, each Secret encrypted as it is reached (only
    // encrypted text from there on: no plaintext Secret value reaches a file), so that one
    // batch of documents is in memory at a time.
    let reuse = args.output_dir.as_deref().zip(key.as_ref());
    let written = || -> Box<dyn Iterator<Item = Result<Cow<'_, Manifest>, Error>> + '_> {
        match &scheme {
            Some(scheme) => Box::new(super::encrypt::Encrypted::new(
                &manifests,
                scheme,
                reuse,
                !args.quiet,
            )),
            None => Box::new(manifests.objects.iter().map(|o| Ok(Cow::Borrowed(o)))),
        }
    };
    // An encryption error met while writing (not one `check` finds: the random source, the
    // cipher) ends the stream; it is reported as itself, not as a write error.
    let failed: std::cell::RefCell<Option<Error>> = std::cell::RefCell::new(None);
    let format = args.output;
    let write = |w: &mut dyn Write| -> std::io::Result<()> {
        let mut fail = |e: Error| {
            *failed.borrow_mut() = Some(e);
            std::io::Error::other("encryption failed")
        };
        match format {
            Format::Yaml => {
                for o in written() {
                    o.map_err(&mut fail)?.write_yaml(w)?;
                }
                Ok(())
            }
            Format::Json => {
                let mut list = JsonList::new(w);
                for o in written() {
                    list.item(&*o.map_err(&mut fail)?)?;
                }
                list.finish()
            }
        }
    };
    let reported = |r: Result<(), Error>| match failed.borrow_mut().take() {
        Some(e) => Err(e),
        None => r,
    };
    if let Some(dir) = &args.output_dir {
        if scheme.is_none()
            && manifests
                .objects
                .iter()
                .any(|o| o.typed_kind() == Kind::Secret)
        {
            if let Some(tree) = deliver::git_work_tree(dir) {
                let _ = writeln!(
                    err,
                    "warning: --output-dir {} is inside the git work tree {}: inline Secrets written there could be committed; keep secrets out of Git (use secrets.provider external)",
                    dir.display(),
                    tree.display()
                );
            }
        }
        // --show-only writes the files of the selected objects and leaves the others alone
        // (as `helm template --show-only --output-dir` does).
        let update = if args.show_only.is_empty() {
            deliver::Update::Whole
        } else {
            deliver::Update::Selected
        };
        // Each file under its object's name as written (an encrypted Secret under its
        // encrypted kind).
        let files: Vec<deliver::Planned> = manifests
            .objects
            .iter()
            .map(|o| match &scheme {
                Some(s) if o.typed_kind() == Kind::Secret => {
                    deliver::Planned::of(&Manifest::encrypted(
                        s.kind(),
                        o.namespace().unwrap_or(""),
                        o.name(),
                        String::new(),
                    ))
                }
                _ => deliver::Planned::of(o),
            })
            .collect();
        let mut texts = written().map(|o| o.map(Cow::into_owned).map(Manifest::into_yaml));
        let report = deliver::write_dir(dir, &files, &mut texts, update)?;
        let _ = writeln!(
            err,
            "wrote {} file{} to {}{}{}",
            report.written.len(),
            if report.written.len() == 1 { "" } else { "s" },
            dir.display(),
            if report.unchanged > 0 {
                format!(" ({} unchanged)", report.unchanged)
            } else {
                String::new()
            },
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
        return Ok(ExitStatus::Success);
    }
    if args.apply {
        let kubectl = args.cluster.runner();
        // The Secrets to restart for are those applied as Secrets (an encrypted one is applied
        // as the object of its format).
        let before = match args.restart {
            true => Some(super::rollout::before_apply(
                &kubectl,
                manifests
                    .objects
                    .iter()
                    .filter(|o| scheme.is_none() || o.typed_kind() != Kind::Secret),
            )?),
            false => None,
        };
        if scheme.is_some() {
            // Encrypted before kubectl starts: an encryption that failed half-way would
            // otherwise end kubectl's input early, and kubectl applies what it has read.
            let mut stream = Vec::new();
            reported(write(&mut stream).map_err(|e| {
                Error::External(format!("cannot encrypt the objects to apply: {e}"))
            }))?;
            apply(&args, |w: &mut dyn Write| w.write_all(&stream), err)?;
        } else {
            apply(&args, write, err)?;
        }
        return match before {
            Some(b) => super::rollout::after_apply(
                &kubectl,
                b,
                args.dry_run.is_some(),
                &args.restarts,
                err,
            ),
            None => Ok(ExitStatus::Success),
        };
    }
    reported(deliver::stream_stdout(write))?;
    Ok(ExitStatus::Success)
}

/// The field manager `--apply` applies as, unless `--field-manager` is given.
pub const FIELD_MANAGER: &str = "recif-secrets";

/// `--apply`: the stream piped into `kubectl apply -f -`, server-side as [`FIELD_MANAGER`]
/// unless `--server-side=false` (client-side apply copies each Secret, data included, into
/// the `kubectl.kubernetes.io/last-applied-configuration` annotation); kubectl's output is
/// shown as its own, and its failure is ours, a conflict with the fix.
fn apply(
    args: &RenderArgs,
    mut write: impl FnMut(&mut dyn Write) -> std::io::Result<()>,
    err: &mut dyn Write,
) -> Result<(), Error> {
    let mut extra = Vec::new();
    if let Some(d) = args.dry_run {
        extra.push(format!(
            "--dry-run={}",
            match d {
                DryRun::Client => "client",
                DryRun::Server => "server",
            }
        ));
    }
    let server_side = args.server_side.unwrap_or(true);
    if server_side {
        extra.push("--server-side".to_string());
    }
    let manager = args.field_manager.as_deref().unwrap_or(FIELD_MANAGER);
    extra.push(format!("--field-manager={manager}"));
    if args.force_conflicts {
        extra.push("--force-conflicts".to_string());
    }
    let kubectl = args.cluster.runner();
    let (captured, wrote) = kubectl.run(
        &kubectl.args(&["apply", "-f", "-"], &extra),
        Some(&mut write),
    )?;
    captured.forward(&mut std::io::stdout(), err);
    if !captured.success() {
        if server_side && String::from_utf8_lossy(&captured.stderr).contains("conflict") {
            return Err(Error::External(format!(
                "kubectl apply failed: another field manager owns fields this apply sets (listed above by kubectl); nothing of those objects was changed. To take them over as {manager}, run again with --force-conflicts; to apply as their owner, pass its name to --field-manager"
            )));
        }
        return Err(captured.failure("apply"));
    }
    wrote.map_err(|e| Error::External(format!("cannot write to kubectl: {e}")))
}

/// `--show-only KIND/NAME` arguments as (argument, lower-case kind, name); one that is not
/// `KIND/NAME` is a usage error (exit 2), found before anything is rendered.
fn show_only_filters(filters: &[String]) -> Result<Vec<(&String, String, String)>, Error> {
    let mut parsed = Vec::new();
    for f in filters {
        match f.split_once('/') {
            Some((kind, name)) if !kind.is_empty() && !name.is_empty() => {
                parsed.push((f, kind.to_lowercase(), name.to_string()))
            }
            _ => {
                return Err(Error::Usage(format!(
                    "--show-only {f:?}: expected KIND/NAME, such as secret/agent-env"
                )))
            }
        }
    }
    Ok(parsed)
}

/// `--show-only KIND/NAME`: keeps the matching objects (in every namespace); one that matches
/// nothing is an error that lists what was rendered.
fn show_only(manifests: Manifests, filters: &[String]) -> Result<Manifests, Error> {
    if filters.is_empty() {
        return Ok(manifests);
    }
    let mut diags = Diagnostics::default();
    let parsed = show_only_filters(filters)?;
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
