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

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;

use base64::Engine;
use serde_json::{Map, Value};

use super::ExitStatus;
use crate::args::{DoctorFormat, Format, VerifyArgs};
use crate::encrypt::fingerprint::{self, FingerprintKey};
use crate::encrypt::sealed::{Scope, Sealer};
use crate::encrypt::Scheme;
use crate::Error;

const KUSTOMIZATION: &str = "kustomization.yaml";
/// The keys a kustomization written by `render --output-dir` has.
const KUSTOMIZATION_KEYS: &[&str] = &["apiVersion", "kind", "resources"];
/// SOPS key groups other than age: each can decrypt the data key.
const OTHER_SOPS_KEYS: &[&str] = &[
    "pgp",
    "kms",
    "gcp_kms",
    "azure_kv",
    "hc_vault",
    "key_groups",
];

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
    let scheme = super::encrypt::scheme(&args.encryption, Format::Yaml)?;
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
            match o.get("kind").and_then(Value::as_str) {
                Some("Secret") => {
                    f.secrets += 1;
                    self.secret(name, o, f);
                }
                Some("SealedSecret") => {
                    f.sealed += 1;
                    self.sealed(name, o, f);
                }
                _ => {}
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

    fn secret(&self, name: &str, o: &Value, f: &mut Findings) {
        let values: Vec<(String, &Value)> = ["data", "stringData"]
            .iter()
            .filter_map(|k| o.get(*k).and_then(Value::as_object).map(|m| (*k, m)))
            .flat_map(|(k, m)| m.iter().map(move |(key, v)| (format!("{k}.{key}"), v)))
            .collect();
        let Some(sops) = o.get("sops").and_then(Value::as_object) else {
            let non_empty = values.iter().any(|(_, v)| !is_empty_value(v));
            if non_empty {
                let id = object_id(o);
                f.add(name, format!("Secret {id} is not encrypted: its values are in plaintext (encrypt it: render --sops-age or --seal-cert)"));
            }
            return;
        };
        let id = object_id(o);
        for (path, v) in &values {
            if is_empty_value(v) {
                continue;
            }
            if !v.as_str().is_some_and(is_sops_ciphertext) {
                f.add(name, format!("Secret {id}: {path} is not encrypted (a SOPS document with a plaintext value)"));
            }
        }
        if !sops
            .get("mac")
            .and_then(Value::as_str)
            .is_some_and(is_sops_ciphertext)
        {
            f.add(
                name,
                format!(
                    "Secret {id}: the sops block has no encrypted mac (sops and Flux refuse it)"
                ),
            );
        }
        for k in OTHER_SOPS_KEYS {
            let present = match sops.get(*k) {
                None | Some(Value::Null) => false,
                Some(Value::Array(a)) => !a.is_empty(),
                Some(_) => true,
            };
            if present {
                f.add(name, format!("Secret {id}: also encrypted with sops `{k}` keys, which can decrypt it and are not expected"));
            }
        }
        let listed: Vec<&str> = sops
            .get("age")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|e| e.get("recipient").and_then(Value::as_str).unwrap_or(""))
            .collect();
        for e in sops
            .get("age")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let armored = e.get("enc").and_then(Value::as_str).unwrap_or("");
            if !armored
                .trim_start()
                .starts_with("-----BEGIN AGE ENCRYPTED FILE-----")
            {
                f.add(
                    name,
                    format!("Secret {id}: an age entry without an age-encrypted data key"),
                );
            }
        }
        let Some(Scheme::Sops(expected)) = self.scheme else {
            f.add(name, format!("Secret {id} is a SOPS document, but no --sops-age recipients were given to check it against"));
            return;
        };
        let want: BTreeSet<&str> = expected.recipients().collect();
        let got: BTreeSet<&str> = listed.iter().copied().collect();
        for r in got.difference(&want) {
            f.add(name, format!("Secret {id}: also encrypted to {r}, which is not an expected recipient (it can still decrypt: render again without it)"));
        }
        for r in want.difference(&got) {
            f.add(
                name,
                format!("Secret {id}: not encrypted to the expected recipient {r}"),
            );
        }
        if got.len() != listed.len() {
            f.add(name, format!("Secret {id}: a recipient is listed twice"));
        }
    }

    fn sealed(&self, name: &str, o: &Value, f: &mut Findings) {
        let id = object_id(o);
        let Some(Scheme::Sealed(sealer)) = self.scheme else {
            f.add(
                name,
                format!("SealedSecret {id}: no --seal-cert was given to check it against"),
            );
            return;
        };
        let spec = o.get("spec").and_then(Value::as_object);
        let empty = Map::new();
        let spec = spec.unwrap_or(&empty);
        for k in spec
            .keys()
            .filter(|k| !matches!(k.as_str(), "encryptedData" | "template"))
        {
            f.add(name, format!("SealedSecret {id}: spec.{k} is not expected (render writes encryptedData and template)"));
        }
        let template = spec.get("template").and_then(Value::as_object);
        if template
            .and_then(|t| t.get("data"))
            .and_then(Value::as_object)
            .is_some_and(|d| d.values().any(|v| !is_empty_value(v)))
        {
            f.add(
                name,
                format!("SealedSecret {id}: spec.template.data holds values in plaintext"),
            );
        }
        fn annotations(m: Option<&Value>) -> Option<&Map<String, Value>> {
            m.and_then(|m| m.get("annotations"))
                .and_then(Value::as_object)
        }
        let own = Sealer::scope_of(annotations(o.get("metadata")));
        let inner = Sealer::scope_of(annotations(template.and_then(|t| t.get("metadata"))));
        let want = sealer.scope();
        match own {
            Some(s) if s == want => {}
            Some(s) => f.add(
                name,
                format!(
                    "SealedSecret {id}: sealed {}, expected {}",
                    s.as_str(),
                    want.as_str()
                ),
            ),
            None => f.add(
                name,
                format!("SealedSecret {id}: its annotations name two scopes"),
            ),
        }
        if inner != own && own.is_some() {
            f.add(
                name,
                format!(
                    "SealedSecret {id}: the template's scope annotation differs from the object's"
                ),
            );
        }
        if want != Scope::ClusterWide
            && o.get("metadata")
                .and_then(|m| m.get("namespace"))
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
        {
            f.add(
                name,
                format!(
                    "SealedSecret {id}: no namespace, which a {} seal needs",
                    want.as_str()
                ),
            );
        }
        let data = spec.get("encryptedData").and_then(Value::as_object);
        if data.is_none_or(Map::is_empty) {
            f.add(name, format!("SealedSecret {id}: no encryptedData"));
        }
        for (k, v) in data.into_iter().flatten() {
            let bytes = v
                .as_str()
                .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok());
            let Some(bytes) = bytes else {
                f.add(
                    name,
                    format!("SealedSecret {id}: encryptedData.{k} is not base64"),
                );
                continue;
            };
            let want_len = sealer.ciphertext_len();
            let len = bytes
                .get(..2)
                .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])));
            match len {
                Some(l) if l == want_len && bytes.len() >= 2 + l + 16 => {
                    if !sealer.below_modulus(&bytes[2..2 + l]) {
                        f.add(name, format!("SealedSecret {id}: encryptedData.{k} was not sealed with the expected certificate (its RSA ciphertext is not below the certificate's modulus)"));
                    }
                }
                Some(l) if l != want_len => f.add(name, format!("SealedSecret {id}: encryptedData.{k} was sealed with a {}-bit key, not the expected certificate's {}-bit key", l * 8, want_len * 8)),
                _ => f.add(name, format!("SealedSecret {id}: encryptedData.{k} is not a sealed value (too short)")),
            }
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

/// `<namespace>.<kind>.<name>.yaml` of an encrypted object (`secret`, `sealedsecret`).
fn encrypted_file_name(name: &str) -> Option<(&str, &str, &str)> {
    let stem = name.strip_suffix(".yaml")?;
    let (ns, rest) = stem.split_once('.')?;
    let (kind, obj) = rest.split_once('.')?;
    matches!(kind, "secret" | "sealedsecret").then_some((ns, kind, obj))
}

fn object_id(o: &Value) -> String {
    let meta = o.get("metadata");
    let field = |k: &str| {
        meta.and_then(|m| m.get(k))
            .and_then(Value::as_str)
            .unwrap_or("")
    };
    format!("{}/{}", field("namespace"), field("name"))
}

fn is_empty_value(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

/// `ENC[AES256_GCM,data:...,iv:...,tag:...,type:...]`, as sops writes an encrypted value.
fn is_sops_ciphertext(s: &str) -> bool {
    let Some(inner) = s
        .strip_prefix("ENC[AES256_GCM,")
        .and_then(|r| r.strip_suffix(']'))
    else {
        return false;
    };
    let parts: BTreeMap<&str, &str> = inner.split(',').filter_map(|p| p.split_once(':')).collect();
    let b64 = |k: &str| {
        parts
            .get(k)
            .and_then(|v| base64::engine::general_purpose::STANDARD.decode(v).ok())
    };
    inner.split(',').count() == 4
        && b64("data").is_some()
        && b64("iv").is_some_and(|iv| !iv.is_empty())
        && b64("tag").is_some_and(|t| t.len() == 16)
        && parts
            .get("type")
            .is_some_and(|t| matches!(*t, "str" | "int" | "float" | "bytes" | "bool" | "comment"))
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
    fn sops_ciphertext_is_recognised_exactly() {
        assert!(is_sops_ciphertext("ENC[AES256_GCM,data:aGk=,iv:AAAAAAAAAAAAAAAAAAAAAA==,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]"));
        assert!(!is_sops_ciphertext(
            "ENC[AES256_GCM,data:aGk=,iv:AAAA,tag:AAAA,type:str]"
        ));
        assert!(!is_sops_ciphertext("aGk="));
        assert!(!is_sops_ciphertext("ENC[AES256_GCM,data:aGk=,iv:AAAAAAAAAAAAAAAAAAAAAA==,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str,x:y]"));
    }

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
