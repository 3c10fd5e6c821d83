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
use crate::diff::{self, Id, Source, Verdicts};
use crate::doctor::Found;
use crate::encrypt::fingerprint::{FingerprintKey, Verdict};
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
    let scheme = crate::encryption::scheme(&args.encryption, false)?;
    if scheme.is_some() && args.against.is_none() {
        return Err(Error::Usage(format!(
            "{} compare with encrypted files (--against DIR); the cluster holds the Secrets its controllers decrypted: drop the flag to compare with them",
            crate::encrypt::flags("/")
        )));
    }
    let key = match &scheme {
        Some(_) => {
            super::encrypt::existing_fingerprint_key(args.encryption.fingerprint_key.as_deref())?
        }
        None => None,
    };
    let mut rendered = warnings::render_json(&args.input, stdin, err)?;
    let against = args.against.as_deref().map(load_against).transpose()?;
    let mut verdicts = Verdicts::new();
    if let Some(scheme) = &scheme {
        if key.is_none() {
            let _ = writeln!(err, "warning: no fingerprint key (--fingerprint-key, or the default one render created): encrypted Secrets are not compared");
        }
        let files = against.as_ref().map(|a| &a.files);
        (rendered, verdicts) = encrypted_view(rendered, scheme, key.as_ref().zip(files))?;
    }
    let report = match &against {
        Some(against) => diff::compare(&rendered, &against.objects, Source::Files, &verdicts),
        None => {
            let k = args.cluster.runner();
            let current = read_live(&k, &rendered, err)?;
            diff::compare(&rendered, &current, Source::Live, &verdicts)
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

/// The rendered objects as `render` would write them with `scheme` (each Secret encrypted;
/// its ciphertext is never compared) and, with the fingerprint key and the files of the
/// other side, what [`FingerprintKey::verify`] says of the file of each: whether it is
/// exactly what `render --output-dir` wrote for the same plaintext.
fn encrypted_view(
    rendered: Vec<Value>,
    scheme: &Scheme,
    verify: Option<(&FingerprintKey, &Files)>,
) -> Result<(Vec<Value>, Verdicts), Error> {
    let id = scheme.id();
    let mut verdicts = Verdicts::new();
    let objects = rendered
        .into_iter()
        .map(|o| {
            if o["kind"] != "Secret" {
                return Ok(o);
            }
            let encrypted = scheme
                .encrypt(o.clone(), std::time::SystemTime::now())
                .map_err(|e| {
                    crate::encryption::invalid(format!("{}: cannot encrypt: {e}", Id::of(&o)))
                })?;
            if let Some((key, files)) = verify {
                let at = Id::of(&encrypted);
                let verdict = match files.get(&at) {
                    Some(Some(text)) => key.verify(&scheme.subject(&id, &o), text),
                    // Two files claim this object: neither is trusted.
                    Some(None) => Verdict::NotAuthentic,
                    None => Verdict::Missing,
                };
                verdicts.insert(at, verdict);
            }
            Ok(encrypted)
        })
        .collect::<Result<_, Error>>()?;
    Ok((objects, verdicts))
}

/// The live objects: those this tool applied (its managed-by label, every namespace), and
/// each rendered object by name (it may exist without the label).
fn read_live(k: &Kubectl, rendered: &[Value], err: &mut dyn Write) -> Result<Vec<Value>, Error> {
    let mut get = k.getter();
    let label = format!("{}={}", MANAGED_BY.0, MANAGED_BY.1);
    // The kinds this tool applies (an encrypted object of a kind of its own, such as a
    // SealedSecret, is committed to Git, not applied), listed live to find objects it
    // applied that are no longer rendered.
    let kinds: Vec<&str> = Kind::ALL
        .into_iter()
        .filter(|k| *k == Kind::Secret || !crate::encrypt::FORMATS.iter().any(|f| f.kind() == *k))
        .map(Kind::as_str)
        .collect();
    let (mut current, skipped) = live::list_labelled(&mut get, &kinds, &label)?;
    for s in skipped {
        if !s.contains("doesn't have a resource type") {
            let _ = writeln!(
                err,
                "warning: cannot list {}; objects of that kind no longer rendered are not shown",
                recif_secrets::terminal::escape(&s)
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

/// The whole text of each file of `--against` that holds exactly one object, by that object's
/// id (`None` when two files hold it): what the fingerprint line of an encrypted file is
/// verified against.
type Files = std::collections::BTreeMap<Id, Option<String>>;

/// What `--against` holds.
struct Against {
    objects: Vec<Value>,
    files: Files,
}

/// The objects of `--against`: a folder written by `--output-dir` (the files its
/// `kustomization.yaml` lists, or else every `.yaml`/`.yml`/`.json` file in it), or one
/// manifest file (a YAML stream or a JSON `List`).
fn load_against(path: &Path) -> Result<Against, Error> {
    let mut diags = Diagnostics::default();
    let in_folder = path.is_dir();
    let files = if in_folder {
        match files_of(path) {
            Ok(f) => f,
            Err(e) => return Err(Error::External(e)),
        }
    } else {
        vec![path.to_path_buf()]
    };
    let mut objects = Vec::new();
    let mut texts = Files::new();
    for file in files {
        // Inside a folder: only regular files, no link followed (a link could lead out of
        // the folder or to a device); a file named by --against itself may be a link. Every
        // read is bounded and none waits on a FIFO.
        let read = if in_folder {
            deliver::read_regular(&file, deliver::OBJECT_MAX)
        } else {
            deliver::read_bounded(&file, deliver::OBJECT_MAX)
        };
        let text = match read.and_then(|b| {
            b.ok_or_else(|| "it does not exist".to_string())
                .and_then(|b| String::from_utf8(b).map_err(|_| "it is not UTF-8".to_string()))
        }) {
            Ok(t) => t,
            Err(e) => {
                diags.push(Diagnostic::error(
                    None,
                    "",
                    format!("--against {}: {e}", file.display()),
                ));
                continue;
            }
        };
        // `render --output-dir` writes one object per file, the encrypted ones after their
        // fingerprint line.
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
        if let [one] = from_file.as_slice() {
            texts.insert(Id::of(one), Some(text));
        }
        objects.append(&mut from_file);
    }
    if diags.has_errors() {
        return Err(Error::Invalid(diags));
    }
    // An object found twice (two files, or a file and a list): no file of it is trusted,
    // whichever one the comparison takes.
    let mut seen = std::collections::BTreeSet::new();
    for o in &objects {
        let id = Id::of(o);
        if !seen.insert(id.clone()) {
            texts.insert(id, None);
        }
    }
    Ok(Against {
        objects,
        files: texts,
    })
}

/// The files of a folder: those its `kustomization.yaml` lists, or else its `.yaml`, `.yml`
/// and `.json` files. A listed path must be a plain name inside the folder (no `..`, no
/// absolute path, no sub-folder reached through a link): anything else is refused.
fn files_of(dir: &Path) -> Result<Vec<std::path::PathBuf>, String> {
    let fail = |e: std::io::Error| format!("--against {}: {e}", dir.display());
    let kustomization = dir.join("kustomization.yaml");
    let listed = deliver::read_regular(&kustomization, 16 << 20)
        .map_err(|why| format!("--against {}: {why}", kustomization.display()))?;
    if let Some(text) = listed.and_then(|b| String::from_utf8(b).ok()) {
        if let Ok(k) = serde_yaml::from_str::<Value>(&text) {
            if let Some(list) = k["resources"].as_array() {
                let mut files = Vec::new();
                for f in list.iter().filter_map(Value::as_str) {
                    let p = Path::new(f);
                    let plain = p
                        .components()
                        .all(|c| matches!(c, std::path::Component::Normal(_)));
                    if !plain || !inside(dir, p) {
                        return Err(format!(
                            "--against {}: kustomization.yaml lists {}, which is not a file inside the folder; only files inside it are read",
                            dir.display(),
                            recif_secrets::terminal::escape(f)
                        ));
                    }
                    files.push(dir.join(p));
                }
                return Ok(files);
            }
        }
    }
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(fail)?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.path())
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        })
        .collect();
    files.sort();
    Ok(files)
}

/// Whether `relative` (plain names only) stays inside `dir` once its folders' links are
/// followed: every folder on the way must be a real folder, not a link.
fn inside(dir: &Path, relative: &Path) -> bool {
    let mut at = dir.to_path_buf();
    let parts: Vec<_> = relative.components().collect();
    for c in &parts[..parts.len().saturating_sub(1)] {
        at.push(c);
        match std::fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_dir() => {}
            _ => return false,
        }
    }
    true
}
