//! `recif-secrets diff`: what applying the rendered objects would change, against a folder
//! written by `--output-dir` or a manifest file (`--against`, offline), or the live cluster
//! (read with `kubectl get -o json`, never written). Secret values are never printed
//! ([`crate::diff`]). Exit 0 when equal, 4 ([`ExitStatus::Differences`]) when not.

use std::io::{Read, Write};
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use super::{warnings, ExitStatus};
use crate::args::DiffArgs;
use crate::cluster::read as live;
use crate::cluster::Kubectl;
use crate::config::MANAGED_BY;
use crate::diag::{Diagnostic, Diagnostics};
use crate::diff::{self, Id, Source};
use crate::doctor::Found;
use crate::encrypt::fingerprint::{self, FingerprintKey};
use crate::encrypt::Scheme;
use crate::manifests::Kind;
use crate::{deliver, Error};

pub(super) fn run(
    args: DiffArgs,
    stdin: &mut dyn Read,
    err: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    if args.against.is_some() && !args.cluster.given().is_empty() {
        return Err(Error::Usage(format!(
            "{} reach a cluster; --against compares with files, offline",
            args.cluster.given().join(", ")
        )));
    }
    let scheme = super::encrypt::scheme(&args.encryption, crate::args::Format::Yaml)?;
    if scheme.is_some() && args.against.is_none() {
        return Err(Error::Usage(
            "--sops-age/--seal-cert compare with encrypted files (--against DIR); the cluster holds the Secrets its controllers decrypted: drop the flag to compare with them".into(),
        ));
    }
    let key = match &scheme {
        Some(_) => {
            super::encrypt::existing_fingerprint_key(args.encryption.fingerprint_key.as_deref())?
        }
        None => None,
    };
    let mut rendered = warnings::render_json(
        &args.values,
        &args.namespace,
        args.templates.as_deref(),
        stdin,
        err,
    )?;
    if let Some(scheme) = &scheme {
        if key.is_none() {
            let _ = writeln!(err, "warning: no fingerprint key (--fingerprint-key, or the default one render created): encrypted Secrets are not compared");
        }
        rendered = encrypted_view(rendered, scheme, key.as_ref())?;
    }
    let report = match &args.against {
        Some(path) => diff::compare(&rendered, &load_against(path)?, Source::Files),
        None => {
            let k = args.cluster.runner();
            let current = read_live(&k, &rendered, err)?;
            diff::compare(&rendered, &current, Source::Live)
        }
    };
    let text = if args.quiet {
        format!("{}\n", report.summary())
    } else {
        report.text()
    };
    deliver::to_stdout(&text)?;
    Ok(if report.has_changes() {
        ExitStatus::Differences
    } else {
        ExitStatus::Success
    })
}

/// The rendered objects as `render` would write them with `scheme`: each Secret encrypted
/// (its ciphertext is never compared) and, with the key, carrying the fingerprint of its
/// plaintext, which [`diff::compare`] matches against the one recorded in the file.
fn encrypted_view(
    rendered: Vec<Value>,
    scheme: &Scheme,
    key: Option<&FingerprintKey>,
) -> Result<Vec<Value>, Error> {
    let id = scheme.id();
    rendered
        .into_iter()
        .map(|o| {
            if o["kind"] != "Secret" {
                return Ok(o);
            }
            let mut encrypted = scheme
                .encrypt(&o, std::time::SystemTime::now())
                .map_err(|e| {
                    super::encrypt::invalid(format!("{}: cannot encrypt: {e}", Id::of(&o)))
                })?;
            if let (Some(key), Some(map)) = (key, encrypted.as_object_mut()) {
                map.insert(
                    diff::FINGERPRINT_FIELD.into(),
                    Value::String(key.fingerprint(&id, &o)),
                );
            }
            Ok(encrypted)
        })
        .collect()
}

/// The live objects: those this tool applied (its managed-by label, every namespace), and
/// each rendered object by name (it may exist without the label).
fn read_live(k: &Kubectl, rendered: &[Value], err: &mut dyn Write) -> Result<Vec<Value>, Error> {
    let mut get = k.getter();
    let label = format!("{}={}", MANAGED_BY.0, MANAGED_BY.1);
    // The kinds this tool applies (a SealedSecret is committed to Git, not applied), listed
    // live to find objects it applied that are no longer rendered.
    let kinds: Vec<&str> = Kind::ALL
        .into_iter()
        .filter(|k| *k != Kind::SealedSecret)
        .map(Kind::as_str)
        .collect();
    let (mut current, skipped) = live::list_labelled(&mut get, &kinds, &label)?;
    for s in skipped {
        if !s.contains("doesn't have a resource type") {
            let _ = writeln!(
                err,
                "warning: cannot list {s}; objects of that kind no longer rendered are not shown"
            );
        }
    }
    let have: std::collections::BTreeSet<Id> = current.iter().map(Id::of).collect();
    let wanted = rendered
        .iter()
        .map(Id::of)
        .filter(|id| !have.contains(id))
        .collect();
    for (id, found) in live::get_objects(&mut get, &wanted)? {
        match found {
            Found::Object(o) => current.push(o),
            Found::Missing => {}
            Found::Unreadable(why) => {
                return Err(Error::External(format!("cannot read {id}: {why}")))
            }
        }
    }
    Ok(current)
}

/// The objects of `--against`: a folder written by `--output-dir` (the files its
/// `kustomization.yaml` lists, or else every `.yaml`/`.yml`/`.json` file in it), or one
/// manifest file (a YAML stream or a JSON `List`).
fn load_against(path: &Path) -> Result<Vec<Value>, Error> {
    let mut diags = Diagnostics::default();
    let files = if path.is_dir() {
        match files_of(path) {
            Ok(f) => f,
            Err(e) => return Err(Error::External(e)),
        }
    } else {
        vec![path.to_path_buf()]
    };
    let mut objects = Vec::new();
    for file in files {
        let text = match std::fs::read_to_string(&file) {
            Ok(t) => t,
            Err(e) => {
                diags.push(Diagnostic::error(
                    None,
                    "",
                    format!("--against {}: cannot read: {e}", file.display()),
                ));
                continue;
            }
        };
        // `render --output-dir` writes one object per file, the encrypted ones after their
        // fingerprint line.
        let recorded = fingerprint::recorded(&text);
        let mut from_file = Vec::new();
        for (i, doc) in serde_yaml::Deserializer::from_str(&text).enumerate() {
            match Value::deserialize(doc) {
                Ok(Value::Null) => {}
                Ok(v) if v["kind"].as_str().is_some_and(|k| k.ends_with("List")) => {
                    objects.extend(v["items"].as_array().cloned().unwrap_or_default())
                }
                Ok(v) if v["kind"].is_string() && v["metadata"]["name"].is_string() => {
                    from_file.push(v)
                }
                Ok(_) => diags.push(Diagnostic::error(
                    None,
                    "",
                    format!(
                        "--against {}: document {}: not a Kubernetes object (kind and metadata.name)",
                        file.display(),
                        i + 1
                    ),
                )),
                Err(e) => {
                    diags.push(Diagnostic::error(
                        None,
                        "",
                        format!(
                            "--against {}: not YAML: {}",
                            file.display(),
                            crate::manifests::redact(&e.to_string())
                        ),
                    ));
                    break;
                }
            }
        }
        if let ([one], Some(fp)) = (from_file.as_mut_slice(), recorded) {
            if let Some(map) = one.as_object_mut() {
                map.insert(diff::FINGERPRINT_FIELD.into(), Value::String(fp.into()));
            }
        }
        objects.append(&mut from_file);
    }
    if diags.has_errors() {
        return Err(Error::Invalid(diags));
    }
    Ok(objects)
}

fn files_of(dir: &Path) -> Result<Vec<std::path::PathBuf>, String> {
    let fail = |e: std::io::Error| format!("--against {}: {e}", dir.display());
    let kustomization = dir.join("kustomization.yaml");
    if let Ok(text) = std::fs::read_to_string(&kustomization) {
        if let Ok(k) = serde_yaml::from_str::<Value>(&text) {
            if let Some(list) = k["resources"].as_array() {
                return Ok(list
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|f| dir.join(f))
                    .collect());
            }
        }
    }
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(fail)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.extension()
                    .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        })
        .collect();
    files.sort();
    Ok(files)
}
