//! `recif-secrets render`: the manifests to standard output, a folder (`--output-dir`) or
//! `kubectl apply` (`--apply`). An output format is a `Format` variant and one arm here.

use std::io::{Read, Write};

use super::{print_diagnostics, warnings, ExitStatus};
use crate::args::{DryRun, Format, RenderArgs};
use crate::diag::Diagnostics;
use crate::manifests::{Kind, Manifests};
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
    let scheme = super::encrypt::scheme(&args.encryption, args.output)?;
    // A SealedSecret is made to be applied (the controller unseals it in the cluster); a
    // SOPS document is not: applied as it is, it would be a Secret of ciphertext.
    if matches!(scheme, Some(crate::encrypt::Scheme::Sops(_))) && args.apply {
        return Err(Error::Usage(
            "--sops-age cannot be used with --apply: only Flux (or sops) decrypts a SOPS document, and applied as it is it would be a Secret of ciphertext; write the encrypted objects to Git (--output-dir) instead, or use --seal-cert, whose SealedSecrets the controller unseals in the cluster".into(),
        ));
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
    let mut manifests = show_only(out.manifests, &args.show_only)?;
    if let Some(scheme) = &scheme {
        // Only encrypted text from here on: no plaintext Secret value reaches a file.
        let key = match &args.output_dir {
            Some(dir) => super::encrypt::fingerprint_key(
                args.encryption.fingerprint_key.as_deref(),
                dir,
                err,
            )?,
            None => None,
        };
        let reuse = args.output_dir.as_deref().zip(key.as_ref());
        manifests = super::encrypt::encrypt(manifests, scheme, reuse, !args.quiet)?;
    }
    let format = args.output;
    let write = |w: &mut dyn Write| match format {
        Format::Yaml => manifests.write_yaml(w),
        Format::Json => manifests.write_json(w),
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
        let report = deliver::write_dir(dir, &manifests, update)?;
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
        let before = match args.restart {
            true => Some(super::rollout::before_apply(&kubectl, &manifests)?),
            false => None,
        };
        apply(&args, write, err)?;
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
    deliver::stream_stdout(write)?;
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
