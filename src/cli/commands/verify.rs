//! `recif-secrets verify DIR`: a gate for CI, where no plaintext values and no private key
//! exist. It reads a folder written by `render --output-dir` and says, one line per problem,
//! what is not as expected:
//!
//! * a Secret that is not encrypted (no `sops` block, or a `data`/`stringData` value that is
//!   not SOPS ciphertext);
//! * a SOPS document not encrypted to exactly the expected age recipients (a retired
//!   recipient still listed can still decrypt), or also to other keys (PGP, KMS, Vault...);
//! * a SealedSecret whose values cannot come from the expected certificate (RSA ciphertext
//!   of another length, or at or above its modulus), of another scope, or with plaintext in
//!   its template;
//! * an encrypted file whose content is not the object its name says, or whose fingerprint
//!   line does not verify under the fingerprint key;
//! * a kustomization that does not list exactly the files present (or adds generators,
//!   patches or remote resources, which would bring objects this check never saw).
//!
//! The expectations come from the command line (the CI configuration), never from the
//! folder: whoever can change the folder could change a policy file in it too.
//! Exit 0 when nothing is wrong, 5 when something is (1, 2, 3 keep their meaning).

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

use serde_json::Value;

use super::ExitStatus;
use crate::args::{DoctorFormat, VerifyArgs};
use crate::encrypt::fingerprint::{self, FingerprintKey};
use crate::encrypt::{self, Scheme};
use crate::manifests::Kind;
use crate::Error;

const KUSTOMIZATION: &str = "kustomization.yaml";
/// The keys a kustomization written by `render --output-dir` has.
const KUSTOMIZATION_KEYS: &[&str] = &["apiVersion", "kind", "resources"];
/// One problem: the file (its name in the folder) and what is wrong.
struct Problem {
    file: String,
    what: String,
}

#[derive(Default)]
struct Findings {
    problems: Vec<Problem>,
    files: usize,
    secrets: usize,
    sealed: usize,
}

impl Findings {
    fn add(&mut self, file: &str, what: impl Into<String>) {
        self.problems.push(Problem {
            file: file.to_string(),
            what: what.into(),
        });
    }
}

pub(super) fn run(args: VerifyArgs, err: &mut dyn Write) -> Result<ExitStatus, Error> {
    let scheme = crate::encryption::scheme(&args.encryption, false)?;
    let key = if args.skip_fingerprints {
        None
    } else {
        super::encrypt::existing_fingerprint_key(args.encryption.fingerprint_key.as_deref())?
    };
    let check = Check {
        scheme: scheme.as_ref(),
        key: key.as_ref(),
        skip_fingerprints: args.skip_fingerprints,
    };
    let findings = check.folder(&args.dir)?;
    let shown_dir = escaped(&args.dir.to_string_lossy());
    let mut out = String::new();
    match args.output {
        DoctorFormat::Text => {
            for p in &findings.problems {
                out.push_str(&format!(
                    "problem  {}: {}\n",
                    escaped(&p.file),
                    escaped(&p.what)
                ));
            }
            let summary = format!(
                "{} files, {} Secrets, {} SealedSecrets, {} problems",
                findings.files,
                findings.secrets,
                findings.sealed,
                findings.problems.len()
            );
            if findings.problems.is_empty() {
                out.push_str(&format!("verify {shown_dir}: ok ({summary})\n"));
            } else {
                out.push_str(&format!("verify {shown_dir}: {summary}\n"));
            }
        }
        DoctorFormat::Json => {
            let problems: Vec<Value> = findings
                .problems
                .iter()
                .map(|p| serde_json::json!({"file": p.file, "problem": p.what}))
                .collect();
            let doc = serde_json::json!({
                "problems": problems,
                "summary": {
                    "files": findings.files,
                    "secrets": findings.secrets,
                    "sealedSecrets": findings.sealed,
                    "problems": findings.problems.len(),
                },
            });
            out = serde_json::to_string_pretty(&doc).expect("JSON serializes");
            out.push('\n');
        }
    }
    crate::deliver::to_stdout(&out)?;
    let _ = err.flush();
    Ok(if findings.problems.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Unverified
    })
}

/// A string from the folder, shown on a terminal: control characters, line and paragraph
/// separators and backslashes escaped, so a file name cannot forge lines or run escapes.
fn escaped(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

struct Check<'a> {
    scheme: Option<&'a Scheme>,
    key: Option<&'a FingerprintKey>,
    skip_fingerprints: bool,
}

impl Check<'_> {
    fn folder(&self, dir: &Path) -> Result<Findings, Error> {
        let fail = |what: &str, e: &std::io::Error| {
            Error::External(format!("verify {}: {what}: {e}", dir.display()))
        };
        let entries = std::fs::read_dir(dir).map_err(|e| fail("cannot read the folder", &e))?;
        let mut f = Findings::default();
        // Files that kustomize could take as resources (YAML or JSON), by name.
        let mut manifests = BTreeSet::new();
        let mut kustomizations = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| fail("cannot read the folder", &e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let kind = entry
                .file_type()
                .map_err(|e| fail("cannot read the folder", &e))?;
            if name.starts_with(".recif-secrets-") {
                f.add(
                    &name,
                    "left by an interrupted render --output-dir run; render again to remove it",
                );
                continue;
            }
            if name.starts_with('.') {
                continue;
            }
            if matches!(
                name.as_str(),
                "kustomization.yaml" | "kustomization.yml" | "Kustomization"
            ) {
                kustomizations.push(name);
                continue;
            }
            let manifest = [".yaml", ".yml", ".json"].iter().any(|e| name.ends_with(e));
            if !manifest {
                continue;
            }
            if kind.is_symlink() {
                f.add(&name, "a symbolic link; kustomize would follow it out of the folder, so it is not checked: replace it with the file");
                manifests.insert(name);
                continue;
            }
            if !kind.is_file() {
                f.add(&name, "not a regular file");
                continue;
            }
            manifests.insert(name);
        }
        // The kustomization lists exactly the files present.
        let listed = self.kustomization(dir, &kustomizations, &mut f);
        if let Some(listed) = &listed {
            for name in &manifests {
                if !listed.contains(name) {
                    f.add(name, format!("not listed in {KUSTOMIZATION}: it is not applied (render again, or remove it)"));
                }
            }
        }
        for name in &manifests {
            let path = dir.join(name);
            if path.is_symlink() {
                continue;
            }
            f.files += 1;
            match crate::deliver::read_regular(&path, crate::deliver::OBJECT_MAX) {
                Ok(Some(bytes)) => match String::from_utf8(bytes) {
                    Ok(text) => self.file(name, &text, &mut f),
                    Err(_) => f.add(name, "not UTF-8 text"),
                },
                Ok(None) => f.add(name, "disappeared while the folder was checked"),
                Err(e) => f.add(name, format!("cannot be read: {e}")),
            }
        }
        Ok(f)
    }

    /// The files the kustomization lists; `None` when there is none to compare with.
    fn kustomization(
        &self,
        dir: &Path,
        names: &[String],
        f: &mut Findings,
    ) -> Option<BTreeSet<String>> {
        match names {
            [] => {
                f.add(
                    KUSTOMIZATION,
                    "missing: the folder is not one written by render --output-dir",
                );
                return None;
            }
            [one] if one == KUSTOMIZATION => {}
            _ => {
                for n in names.iter().filter(|n| *n != KUSTOMIZATION) {
                    f.add(n, format!("a kustomization this tool does not write (it writes {KUSTOMIZATION}; kustomize refuses a folder with two)"));
                }
                if !names.iter().any(|n| n == KUSTOMIZATION) {
                    return None;
                }
            }
        }
        let text = match crate::deliver::read_regular(
            &dir.join(KUSTOMIZATION),
            crate::deliver::OBJECT_MAX,
        ) {
            Ok(Some(b)) => String::from_utf8(b).ok(),
            _ => None,
        };
        let Some(text) = text else {
            f.add(KUSTOMIZATION, "cannot be read as a regular UTF-8 file");
            return None;
        };
        let doc: Value = match serde_yaml::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                f.add(KUSTOMIZATION, format!("not valid YAML: {}", location(&e)));
                return None;
            }
        };
        let Some(map) = doc.as_object() else {
            f.add(KUSTOMIZATION, "not a map");
            return None;
        };
        for k in map
            .keys()
            .filter(|k| !KUSTOMIZATION_KEYS.contains(&k.as_str()))
        {
            f.add(KUSTOMIZATION, format!("has `{k}`, which can add or change objects this check does not see (render --output-dir writes only apiVersion, kind and resources)"));
        }
        let mut listed = BTreeSet::new();
        for r in map
            .get("resources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(r) = r.as_str() else {
                f.add(KUSTOMIZATION, "a resource that is not a string");
                continue;
            };
            if r.contains('/') || r.starts_with('.') || r.contains("://") {
                f.add(KUSTOMIZATION, format!("lists {r}, which is not a file of this folder: objects from elsewhere are not checked"));
                continue;
            }
            if !listed.insert(r.to_string()) {
                f.add(KUSTOMIZATION, format!("lists {r} twice"));
            }
            if !dir.join(r).is_file() {
                f.add(
                    KUSTOMIZATION,
                    format!("lists {r}, which is not in the folder (kustomize build would fail)"),
                );
            }
        }
        Some(listed)
    }

    /// Every object of one file, and its fingerprint line.
    fn file(&self, name: &str, text: &str, f: &mut Findings) {
        let mut objects = Vec::new();
        for doc in serde_yaml::Deserializer::from_str(text) {
            match serde::Deserialize::deserialize(doc) {
                Ok(Value::Null) => {}
                Ok(v) => objects.push(v),
                Err(e) => {
                    f.add(name, format!("not valid YAML: {}", location(&e)));
                    return;
                }
            }
        }
        let mut flat = Vec::new();
        for o in objects {
            flatten(o, &mut flat);
        }
        for o in &flat {
            let kind = o.get("kind").and_then(Value::as_str);
            if kind == Some(Kind::Secret.as_str()) {
                f.secrets += 1;
            } else if kind == Some(Kind::SealedSecret.as_str()) {
                f.sealed += 1;
            }
            match encrypt::owner(o) {
                Some(format) => {
                    for problem in format.verify(o, self.scheme.map(Scheme::keys)) {
                        f.add(name, problem);
                    }
                }
                None if kind == Some(Kind::Secret.as_str()) => self.plaintext(name, o, f),
                None => {}
            }
        }
        // A file named for an encrypted object holds exactly that object.
        if let Some((ns, kind, obj)) = encrypted_file_name(name) {
            let matches = flat.len() == 1 && {
                let o = &flat[0];
                let meta = o.get("metadata");
                let got_ns = meta
                    .and_then(|m| m.get("namespace"))
                    .and_then(Value::as_str);
                let got_name = meta.and_then(|m| m.get("name")).and_then(Value::as_str);
                o.get("kind")
                    .and_then(Value::as_str)
                    .map(str::to_lowercase)
                    .as_deref()
                    == Some(kind)
                    && got_ns == Some(ns)
                    && got_name == Some(obj)
            };
            if !matches {
                f.add(
                    name,
                    format!("does not hold exactly the {kind} {ns}/{obj} its name says"),
                );
            }
        }
        if let Some(line) = recorded(text) {
            self.fingerprint(name, line, text, &flat, f);
        }
    }

    /// A Secret that no format owns: its values must all be empty.
    fn plaintext(&self, name: &str, o: &Value, f: &mut Findings) {
        let non_empty = ["data", "stringData"]
            .iter()
            .filter_map(|k| o.get(*k).and_then(Value::as_object))
            .flat_map(|m| m.values())
            .any(|v| !encrypt::is_empty_value(v));
        if non_empty {
            let id = encrypt::object_id(o);
            f.add(name, format!("Secret {id} is not encrypted: its values are in plaintext (encrypt it: render {})", encrypt::flags(" or ")));
        }
    }

    fn fingerprint(&self, name: &str, line: &str, text: &str, objects: &[Value], f: &mut Findings) {
        if self.skip_fingerprints {
            return;
        }
        let Some(key) = self.key else {
            f.add(name, "has a fingerprint line, but there is no fingerprint key to check it: give --fingerprint-key (from a CI secret), or --skip-fingerprints");
            return;
        };
        let [object] = objects else {
            f.add(name, "has a fingerprint line but not exactly one object");
            return;
        };
        if let Err(why) = fingerprint_verifies(key, object, line, text) {
            f.add(name, format!("the fingerprint line does not verify: {why}"));
        }
    }
}

/// Checks one recorded fingerprint line against its file: the one place verify depends on
/// the fingerprint format. The `v1` lines of this version are HMACs of the plaintext
/// object, which verify does not have: only their form is checked here.
fn fingerprint_verifies(
    key: &FingerprintKey,
    object: &Value,
    _line: &str,
    text: &str,
) -> Result<(), String> {
    let meta = &object["metadata"];
    let field = |v: &Value| v.as_str().unwrap_or("").to_string();
    match key.authenticates(
        &field(&object["kind"]),
        &field(&meta["namespace"]),
        &field(&meta["name"]),
        text,
    ) {
        fingerprint::Verdict::Verified => Ok(()),
        fingerprint::Verdict::Missing => Err("no fingerprint line".into()),
        _ => Err("the line does not authenticate this file under the key (the body was changed after it was written, the line comes from another file or object, another key, or an earlier version of recif-secrets: re-render it)".into()),
    }
}

/// The recorded fingerprint line of a file (after its prefix), if it has one.
fn recorded(text: &str) -> Option<&str> {
    text.lines().next()?.strip_prefix(fingerprint::LINE_PREFIX)
}

/// `List`-like objects (`kind: List`, `...List` with `items`) are checked item by item.
fn flatten(o: Value, out: &mut Vec<Value>) {
    let is_list = o
        .get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k.ends_with("List"))
        && o.get("items").is_some_and(Value::is_array);
    if is_list {
        if let Value::Object(mut m) = o {
            if let Some(Value::Array(items)) = m.remove("items") {
                for i in items {
                    flatten(i, out);
                }
            }
        }
    } else {
        out.push(o);
    }
}

/// `<namespace>.<kind>.<name>.yaml` of an encrypted object (`secret`, or the kind of an
/// encryption format: `sealedsecret`).
fn encrypted_file_name(name: &str) -> Option<(&str, &str, &str)> {
    let stem = name.strip_suffix(".yaml")?;
    let (ns, rest) = stem.split_once('.')?;
    let (kind, obj) = rest.split_once('.')?;
    (kind == "secret" || encrypt::is_encrypted_kind(kind)).then_some((ns, kind, obj))
}

/// Where a YAML error is, never the text around it (it may be a value).
fn location(e: &serde_yaml::Error) -> String {
    match e.location() {
        Some(l) => format!("line {}, column {}", l.line(), l.column()),
        None => "cannot be parsed".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_escaped() {
        assert_eq!(escaped("a\nb\x1b[31m\\"), "a\\nb\\u{1b}[31m\\\\");
    }

    #[test]
    fn encrypted_file_names() {
        assert_eq!(
            encrypted_file_name("team-a.secret.agent-env.yaml"),
            Some(("team-a", "secret", "agent-env"))
        );
        assert_eq!(encrypted_file_name("team-a.serviceaccount.x.yaml"), None);
    }
}
