//! What `diff` shows: the rendered objects against objects found elsewhere (a folder written
//! by `--output-dir`, a manifest file, or the live cluster), as one unified diff per object
//! in the order of the output, with Secret values masked.
//!
//! Pure: the objects come in as JSON, the report goes out as text. Secret values never reach
//! the text: each `data`/`stringData` value is replaced before diffing by a marker carrying
//! only its decoded byte length, as helm-diff does (`REDACTED # (N bytes)` when unchanged,
//! `-------- # (N bytes)` / `++++++++ # (N bytes)` on the two sides of a change), and every
//! Secret gets a per-key line (added / removed / changed / unchanged).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use base64::Engine as _;
use serde_json::{Map, Value};

pub use crate::cluster::Id;
use crate::encrypt::fingerprint::Verdict;
use crate::manifests::Kind;
use crate::terminal::escape;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// Rendered, not found on the other side: applying creates it.
    Added,
    /// Found on the other side, no longer rendered.
    Removed,
    Changed,
    Unchanged,
    /// Encrypted on one side at least, without fingerprints to compare the plaintexts: it
    /// may or may not differ, so it counts as a difference.
    NotCompared,
}

impl Change {
    pub fn word(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Removed => "removed",
            Change::Changed => "changed",
            Change::Unchanged => "unchanged",
            Change::NotCompared => "not compared",
        }
    }
}

/// How the plaintexts behind two objects compare when either is encrypted: through the
/// fingerprint line `render --output-dir` writes, verified with
/// [`FingerprintKey::verify`](crate::encrypt::fingerprint::FingerprintKey::verify) (see
/// [`Verdicts`]), never through the ciphertext, which changes at every encryption.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plaintext {
    /// Neither side is encrypted: values are compared directly.
    Clear,
    /// The file verifies: the same plaintext, encrypted for the same keys.
    Same,
    /// The file is authentic, of another plaintext: some value, key or the encryption keys
    /// changed.
    Different,
    /// The file's fingerprint line does not authenticate it: changed after it was written,
    /// or written with another key or an earlier version. A difference.
    NotAuthentic,
    /// No verdict (no key, no line, not a file of one object): nothing can be said.
    Unknown,
}

/// What `FingerprintKey::verify` found in the file of each encrypted object of the other
/// side, by id; an object without an entry is [`Plaintext::Unknown`].
pub type Verdicts = BTreeMap<Id, Verdict>;

/// What happened to one key of a Secret's `data` or `stringData`, with decoded byte lengths.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyChange {
    pub key: String,
    pub change: Change,
    /// Length before (on the other side) and after (rendered); `None` where absent.
    pub before: Option<usize>,
    pub after: Option<usize>,
}

#[derive(Clone, Debug)]
pub struct ObjectDiff {
    pub id: Id,
    pub change: Change,
    /// Secret keys, for Secrets.
    pub keys: Vec<KeyChange>,
    /// The unified diff of the masked objects (empty when unchanged).
    pub unified: String,
    /// For two encrypted objects, how their plaintexts compare.
    pub plaintext: Plaintext,
}

/// Every object of either side, rendered ones first in output order, then the removed ones
/// in (kind, namespace, name) order.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub objects: Vec<ObjectDiff>,
}

/// Where the other side comes from, which decides how it is cleaned before comparing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// Files written by this tool (`--output-dir`) or a manifest: compared as they are.
    Files,
    /// Objects read from the API server: server-set fields are dropped (see [`clean_live`]).
    Live,
}

/// Compares `rendered` (in output order) with `other`; encrypted objects through `verdicts`.
pub fn compare(rendered: &[Value], other: &[Value], source: Source, verdicts: &Verdicts) -> Report {
    let mut theirs: BTreeMap<Id, &Value> = other.iter().map(|o| (Id::of(o), o)).collect();
    let mut report = Report::default();
    for ours in rendered {
        let id = Id::of(ours);
        let encrypted = is_encrypted(ours);
        let ours = clean(ours);
        match theirs.remove(&id) {
            None => report.objects.push(one_sided(id, None, Some(&ours))),
            Some(t) => {
                let plaintext = if !encrypted && !is_encrypted(t) {
                    Plaintext::Clear
                } else if !(encrypted && is_encrypted(t)) {
                    // Plaintext on one side: the verdict of a file says nothing about it.
                    Plaintext::Unknown
                } else {
                    match verdicts.get(&id) {
                        Some(Verdict::Verified) => Plaintext::Same,
                        Some(Verdict::PlaintextDiffers) => Plaintext::Different,
                        Some(Verdict::NotAuthentic) => Plaintext::NotAuthentic,
                        Some(Verdict::Missing) | None => Plaintext::Unknown,
                    }
                };
                let t = match source {
                    Source::Files => clean(t),
                    Source::Live => clean_live(t, &ours),
                };
                report.objects.push(two_sided(id, &t, &ours, plaintext));
            }
        }
    }
    for (id, t) in theirs {
        let t = match source {
            Source::Files => clean(t),
            Source::Live => clean_live(t, &Value::Null),
        };
        report.objects.push(one_sided(id, Some(&t), None));
    }
    report
}

/// Annotations that are never shown: kubectl's copy of the last applied object holds a
/// Secret's data in clear.
const HIDDEN_ANNOTATIONS: &[&str] = &["kubectl.kubernetes.io/last-applied-configuration"];
/// Labels the API server adds.
const SERVER_LABELS: &[&str] = &["kubernetes.io/metadata.name"];
/// Metadata the API server sets.
const SERVER_METADATA: &[&str] = &[
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "selfLink",
    "ownerReferences",
    "finalizers",
    "generateName",
];

/// Drops what is never compared nor shown, on both sides: hidden annotations, empty maps,
/// and what changes at every encryption in each format ([`crate::encrypt::Format::clean`]:
/// the metadata of a SOPS document, a SealedSecret's ciphertext): encrypted objects are
/// compared through [`Verdicts`].
fn clean(o: &Value) -> Value {
    let mut o = o.clone();
    crate::encrypt::clean(&mut o);
    remove_metadata_keys(&mut o, "annotations", HIDDEN_ANNOTATIONS);
    o
}

/// Removes `keys` from `metadata.<field>`, and the map itself when it ends up empty.
fn remove_metadata_keys(o: &mut Value, field: &str, keys: &[&str]) {
    let Some(meta) = o.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    if let Some(m) = meta.get_mut(field).and_then(Value::as_object_mut) {
        for k in keys {
            m.remove(*k);
        }
        if m.is_empty() {
            meta.remove(field);
        }
    }
}

/// A live object as it compares with what was rendered: no `status`, no server-set metadata
/// or labels, and, outside `metadata`, `data` and `stringData`, no map key the rendered object
/// does not have (the API server's defaults, such as ESO's `deletionPolicy: Retain` or
/// `conversionStrategy: Default`). Labels, annotations and Secret keys are compared in full.
pub fn clean_live(live: &Value, rendered: &Value) -> Value {
    let mut o = clean(live);
    let Some(map) = o.as_object_mut() else {
        return o;
    };
    map.remove("status");
    // The API server serves an object in every version of its group; kubectl reads the
    // preferred one. Compare in the version that was rendered.
    let group = |v: &Value| {
        v.as_str()
            .and_then(|a| a.rsplit_once('/'))
            .map(|(g, _)| g.to_string())
    };
    if let (Some(theirs), Some(ours)) = (map.get("apiVersion"), rendered.get("apiVersion")) {
        if group(theirs).is_some() && group(theirs) == group(ours) {
            map.insert("apiVersion".into(), ours.clone());
        }
    }
    if let Some(meta) = map.get_mut("metadata").and_then(Value::as_object_mut) {
        for f in SERVER_METADATA {
            meta.remove(*f);
        }
    }
    if rendered.is_object() {
        for (k, v) in map.iter_mut() {
            if !matches!(k.as_str(), "metadata" | "data" | "stringData") {
                if let Some(r) = rendered.get(k) {
                    project(v, r);
                }
            }
        }
        let extra: Vec<String> = map
            .keys()
            .filter(|k| {
                rendered.get(k.as_str()).is_none() && !matches!(k.as_str(), "data" | "stringData")
            })
            .cloned()
            .collect();
        for k in extra {
            map.remove(&k);
        }
    }
    remove_metadata_keys(&mut o, "labels", SERVER_LABELS);
    o
}

/// Keeps only the map keys of `v` that `shape` has, recursively (lists item by item).
fn project(v: &mut Value, shape: &Value) {
    match (v, shape) {
        (Value::Object(m), Value::Object(s)) => {
            m.retain(|k, _| s.contains_key(k));
            for (k, child) in m.iter_mut() {
                project(child, &s[k]);
            }
        }
        (Value::Array(items), Value::Array(shapes)) => {
            for (item, s) in items.iter_mut().zip(shapes) {
                project(item, s);
            }
        }
        _ => {}
    }
}

/// Whether an object is encrypted in any format (a SOPS document, a SealedSecret): such
/// objects are compared through [`Verdicts`], never through their ciphertext, which changes
/// at every encryption.
pub fn is_encrypted(o: &Value) -> bool {
    crate::encrypt::is_encrypted(o)
}

/// The byte length of a Secret value: decoded for `data`, as is for `stringData`.
fn value_len(field: &str, v: &Value) -> usize {
    let s = v.as_str().unwrap_or("");
    if field == "data" {
        base64::engine::general_purpose::STANDARD
            .decode(s)
            .map(|b| b.len())
            .unwrap_or(s.len())
    } else {
        s.len()
    }
}

/// The map of secret values of an object, by field: Secret `data`/`stringData`, or the
/// ciphertext fields of encrypted objects.
fn secret_fields(o: &Value) -> Vec<&'static str> {
    if o["kind"] == Kind::Secret.as_str() {
        vec!["data", "stringData"]
    } else {
        Vec::new()
    }
}

/// Replaces every secret value of `o` by its marker; returns the per-key changes when the
/// other side is given.
fn mask_pair(
    theirs: Option<&mut Value>,
    ours: Option<&mut Value>,
    plaintext: Plaintext,
) -> Vec<KeyChange> {
    let fields: Vec<&'static str> = {
        let mut f: BTreeSet<&'static str> = BTreeSet::new();
        for o in [theirs.as_deref(), ours.as_deref()].into_iter().flatten() {
            f.extend(secret_fields(o));
        }
        f.into_iter().collect()
    };
    let sops = [theirs.as_deref(), ours.as_deref()]
        .into_iter()
        .flatten()
        .any(is_encrypted);
    let mut changes = Vec::new();
    let mut theirs = theirs;
    let mut ours = ours;
    for field in fields {
        let t: Map<String, Value> = theirs
            .as_deref()
            .and_then(|o| o.get(field))
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let o: Map<String, Value> = ours
            .as_deref()
            .and_then(|o| o.get(field))
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let keys: BTreeSet<&String> = t.keys().chain(o.keys()).collect();
        let encrypted = sops;
        let mut masked_t = Map::new();
        let mut masked_o = Map::new();
        for key in keys {
            let before = t.get(key).map(|v| value_len(field, v));
            let after = o.get(key).map(|v| value_len(field, v));
            let change = match (t.get(key), o.get(key)) {
                (None, _) => Change::Added,
                (_, None) => Change::Removed,
                (Some(_), Some(_)) if encrypted && plaintext == Plaintext::Same => {
                    Change::Unchanged
                }
                // Which keys changed cannot be told from ciphertext.
                (Some(_), Some(_)) if encrypted => Change::NotCompared,
                (Some(a), Some(b)) if a == b => Change::Unchanged,
                _ => Change::Changed,
            };
            let marker = |sign: &str, n: usize| {
                if encrypted {
                    Value::String(format!("ENCRYPTED # ({n} bytes)"))
                } else {
                    Value::String(format!("{sign} # ({n} bytes)"))
                }
            };
            if let Some(n) = before {
                let sign = if change == Change::Changed {
                    "--------"
                } else {
                    "REDACTED"
                };
                masked_t.insert(key.clone(), marker(sign, n));
            }
            if let Some(n) = after {
                let sign = if change == Change::Changed {
                    "++++++++"
                } else {
                    "REDACTED"
                };
                masked_o.insert(key.clone(), marker(sign, n));
            }
            changes.push(KeyChange {
                key: key.clone(),
                change,
                before,
                after,
            });
        }
        for (side, masked) in [(&mut theirs, masked_t), (&mut ours, masked_o)] {
            if let Some(obj) = side.as_deref_mut().and_then(Value::as_object_mut) {
                if obj.contains_key(field) {
                    obj.insert(field.to_string(), Value::Object(masked));
                }
            }
        }
    }
    changes
}

fn to_yaml(o: &Value) -> String {
    let mut s = String::new();
    crate::yamlfmt::emit_document(&mut s, o);
    s
}

fn label(id: &Id, side: &str) -> String {
    format!("{} ({side})", escape(&id.to_string()))
}

fn one_sided(id: Id, theirs: Option<&Value>, ours: Option<&Value>) -> ObjectDiff {
    let mut t = theirs.cloned();
    let mut o = ours.cloned();
    let keys = mask_pair(t.as_mut(), o.as_mut(), Plaintext::Unknown);
    let (old, new) = (
        t.as_ref().map(to_yaml).unwrap_or_default(),
        o.as_ref().map(to_yaml).unwrap_or_default(),
    );
    ObjectDiff {
        unified: unified(&id, &old, &new),
        change: if ours.is_some() {
            Change::Added
        } else {
            Change::Removed
        },
        id,
        keys,
        plaintext: Plaintext::Clear,
    }
}

fn two_sided(id: Id, theirs: &Value, ours: &Value, plaintext: Plaintext) -> ObjectDiff {
    let (mut t, mut o) = (theirs.clone(), ours.clone());
    let keys = mask_pair(Some(&mut t), Some(&mut o), plaintext);
    let (old, new) = (to_yaml(&t), to_yaml(&o));
    let visible_same = old == new
        && keys
            .iter()
            .all(|k| matches!(k.change, Change::Unchanged | Change::NotCompared));
    let change = match plaintext {
        _ if !visible_same => Change::Changed,
        Plaintext::Clear | Plaintext::Same => Change::Unchanged,
        Plaintext::Different | Plaintext::NotAuthentic => Change::Changed,
        Plaintext::Unknown => Change::NotCompared,
    };
    ObjectDiff {
        unified: if old == new {
            String::new()
        } else {
            unified(&id, &old, &new)
        },
        change,
        id,
        keys,
        plaintext,
    }
}

/// The unified diff, each line escaped (YAML may keep characters such as U+202E as they are).
fn unified(id: &Id, old: &str, new: &str) -> String {
    let text = similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&label(id, "current"), &label(id, "rendered"))
        .to_string();
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let (body, end) = line.strip_suffix('\n').map_or((line, ""), |b| (b, "\n"));
        out.push_str(&escape(body));
        out.push_str(end);
    }
    out
}

impl Report {
    pub fn has_changes(&self) -> bool {
        self.objects.iter().any(|o| o.change != Change::Unchanged)
    }

    pub fn count(&self, c: Change) -> usize {
        self.objects.iter().filter(|o| o.change == c).count()
    }

    /// `2 changed, 1 added, 0 removed, 3 unchanged` (and `, 1 not compared` when some
    /// encrypted object could not be compared).
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} changed, {} added, {} removed, {} unchanged",
            self.count(Change::Changed),
            self.count(Change::Added),
            self.count(Change::Removed),
            self.count(Change::Unchanged)
        );
        let unknown = self.count(Change::NotCompared);
        if unknown > 0 {
            let _ = write!(s, ", {unknown} not compared");
        }
        s
    }

    /// The full report: per object a header line, the Secret keys, and the unified diff;
    /// unchanged objects get their header line only.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for o in &self.objects {
            // Names and keys come from the other side (a folder, the cluster): escaped.
            let _ = writeln!(out, "{}: {}", escape(&o.id.to_string()), o.change.word());
            for k in &o.keys {
                let key = escape(&k.key);
                let len = |n: Option<usize>| n.map(|n| format!("{n} bytes")).unwrap_or_default();
                let _ = match k.change {
                    Change::Changed => writeln!(
                        out,
                        "  key {}: changed ({} -> {})",
                        key,
                        len(k.before),
                        len(k.after)
                    ),
                    Change::Added => writeln!(out, "  key {}: added ({})", key, len(k.after)),
                    Change::Removed => {
                        writeln!(out, "  key {}: removed ({})", key, len(k.before))
                    }
                    Change::Unchanged => {
                        writeln!(out, "  key {}: unchanged ({})", key, len(k.after))
                    }
                    Change::NotCompared => {
                        writeln!(out, "  key {}: not compared (encrypted)", key)
                    }
                };
            }
            let _ = match o.plaintext {
                Plaintext::Clear => Ok(()),
                Plaintext::Same => writeln!(out, "  encrypted: same plaintext (the file's fingerprint verifies)"),
                Plaintext::Different => writeln!(
                    out,
                    "  encrypted: the plaintext differs (the file verifies, for another plaintext: a value, a key or the encryption keys changed)"
                ),
                Plaintext::NotAuthentic => writeln!(
                    out,
                    "  encrypted: the file does not verify (its fingerprint line does not authenticate its content under this fingerprint key: changed after render wrote it, or written with another key or an earlier version); render --output-dir encrypts it afresh"
                ),
                Plaintext::Unknown => writeln!(
                    out,
                    "  encrypted: not compared (no fingerprint to verify: pass the --sops-age/--seal-cert and --fingerprint-key that render --output-dir used, against its folder)"
                ),
            };
            out.push_str(&o.unified);
        }
        let _ = writeln!(out, "{}", self.summary());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn secret(ns: &str, data: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
               "metadata": {"name": "agent-env", "namespace": ns,
                            "labels": {"app.kubernetes.io/managed-by": "recif-secrets"}},
               "data": data})
    }

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[test]
    fn equal_objects_are_unchanged() {
        let s = secret("a", json!({"K": b64("value")}));
        let r = compare(
            std::slice::from_ref(&s),
            std::slice::from_ref(&s),
            Source::Files,
            &Verdicts::new(),
        );
        assert!(!r.has_changes());
        assert_eq!(r.summary(), "0 changed, 0 added, 0 removed, 1 unchanged");
        assert_eq!(r.text(), "Secret a/agent-env: unchanged\n  key K: unchanged (5 bytes)\n0 changed, 0 added, 0 removed, 1 unchanged\n");
    }

    #[test]
    fn secret_keys_are_reported_with_lengths_and_values_are_never_shown() {
        let old = secret(
            "a",
            json!({"SAME": b64("canary-same-1"), "CHG": b64("canary-old-22"), "GONE": b64("canary-gone-333")}),
        );
        let new = secret(
            "a",
            json!({"SAME": b64("canary-same-1"), "CHG": b64("canary-new-4444"), "NEW": b64("canary-new-55555")}),
        );
        let r = compare(&[new], &[old], Source::Files, &Verdicts::new());
        let text = r.text();
        assert!(!text.contains("canary"), "{text}");
        for v in [
            "canary-same-1",
            "canary-old-22",
            "canary-new-4444",
            "canary-gone-333",
            "canary-new-55555",
        ] {
            assert!(!text.contains(&b64(v)), "{text}");
        }
        assert!(
            text.contains("key CHG: changed (13 bytes -> 15 bytes)"),
            "{text}"
        );
        assert!(text.contains("key GONE: removed (15 bytes)"), "{text}");
        assert!(text.contains("key NEW: added (16 bytes)"), "{text}");
        assert!(text.contains("key SAME: unchanged (13 bytes)"), "{text}");
        assert!(text.contains("-  CHG: \"-------- # (13 bytes)\""), "{text}");
        assert!(text.contains("+  CHG: \"++++++++ # (15 bytes)\""), "{text}");
        assert!(
            text.contains("   SAME: \"REDACTED # (13 bytes)\""),
            "{text}"
        );
        assert_eq!(r.objects[0].change, Change::Changed);
    }

    #[test]
    fn a_change_of_same_length_still_shows() {
        let old = secret("a", json!({"K": b64("aaaa")}));
        let new = secret("a", json!({"K": b64("bbbb")}));
        let r = compare(&[new], &[old], Source::Files, &Verdicts::new());
        assert!(r.has_changes());
        assert!(r.text().contains("key K: changed (4 bytes -> 4 bytes)"));
    }

    #[test]
    fn added_and_removed_objects_are_listed_after_in_order() {
        let a = secret("a", json!({"K": b64("v")}));
        let b = secret("b", json!({"K": b64("v")}));
        let z = secret("z", json!({"K": b64("v")}));
        let r = compare(
            &[b.clone(), a.clone()],
            &[z, a],
            Source::Files,
            &Verdicts::new(),
        );
        let ids: Vec<String> = r
            .objects
            .iter()
            .map(|o| format!("{} {}", o.id, o.change.word()))
            .collect();
        assert_eq!(
            ids,
            [
                "Secret b/agent-env added",
                "Secret a/agent-env unchanged",
                "Secret z/agent-env removed"
            ]
        );
        assert!(r.objects[0].unified.contains("+kind: Secret"));
        assert!(r.objects[2].unified.contains("-kind: Secret"));
        assert!(!r.text().contains(&b64("v")));
    }

    #[test]
    fn non_secret_content_is_shown_in_full() {
        let old = json!({"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": "recif-api", "namespace": "recif-system",
                         "annotations": {"iam.gke.io/gcp-service-account": "old@p.iam.gserviceaccount.com"}}});
        let mut new = old.clone();
        new["metadata"]["annotations"]["iam.gke.io/gcp-service-account"] =
            "new@p.iam.gserviceaccount.com".into();
        let text = compare(&[new], &[old], Source::Files, &Verdicts::new()).text();
        assert!(
            text.contains("-    iam.gke.io/gcp-service-account: old@p.iam.gserviceaccount.com"),
            "{text}"
        );
        assert!(
            text.contains("+    iam.gke.io/gcp-service-account: new@p.iam.gserviceaccount.com"),
            "{text}"
        );
    }

    #[test]
    fn live_objects_lose_server_fields_and_defaults_but_keep_labels_and_keys() {
        let rendered = json!({"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
            "metadata": {"name": "agent-env", "namespace": "t", "labels": {"a": "b"}},
            "spec": {"dataFrom": [{"extract": {"key": "recif/agent-env"}}], "target": {"name": "agent-env"}}});
        let mut live = rendered.clone();
        live["metadata"]["uid"] = "u".into();
        live["metadata"]["resourceVersion"] = "1".into();
        live["metadata"]["annotations"] = json!({"kubectl.kubernetes.io/last-applied-configuration": "{\"data\":{\"K\":\"c2VjcmV0\"}}"});
        live["spec"]["target"]["deletionPolicy"] = "Retain".into();
        live["spec"]["dataFrom"][0]["extract"]["conversionStrategy"] = "Default".into();
        live["status"] = json!({"conditions": []});
        live["apiVersion"] = "external-secrets.io/v1beta1".into();
        let r = compare(
            std::slice::from_ref(&rendered),
            &[live.clone()],
            Source::Live,
            &Verdicts::new(),
        );
        assert!(!r.has_changes(), "{}", r.text());
        // A label added by hand is a difference.
        live["metadata"]["labels"]["extra"] = "x".into();
        let r = compare(&[rendered], &[live], Source::Live, &Verdicts::new());
        assert!(r.text().contains("-    extra: x"), "{}", r.text());
    }

    #[test]
    fn encrypted_values_are_compared_through_verdicts_never_ciphertext() {
        let sops = |enc: &str, mac: &str| {
            let mut s = secret(
                "a",
                json!({"K": format!("ENC[AES256_GCM,data:{enc},type:str]")}),
            );
            s["sops"] = json!({"mac": mac, "lastmodified": "2026-11-28T10:00:00Z"});
            s
        };
        let sealed = |v: &str| {
            json!({"apiVersion": "bitnami.com/v1alpha1", "kind": "SealedSecret",
                "metadata": {"name": "s", "namespace": "a"}, "spec": {"encryptedData": {"K": v}}})
        };
        let verdicts = |o: &Value, v: Option<Verdict>| -> Verdicts {
            v.into_iter().map(|v| (Id::of(o), v)).collect()
        };
        for (verdict, want, says) in [
            (Some(Verdict::Verified), Change::Unchanged, "same plaintext"),
            (
                Some(Verdict::PlaintextDiffers),
                Change::Changed,
                "the plaintext differs",
            ),
            (
                Some(Verdict::NotAuthentic),
                Change::Changed,
                "the file does not verify",
            ),
            (Some(Verdict::Missing), Change::NotCompared, "not compared"),
            (None, Change::NotCompared, "not compared"),
        ] {
            for (ours, theirs) in [
                (sops("bbbb", "m2"), sops("aaaa", "m1")),
                (sealed("AgB1"), sealed("AgB2")),
            ] {
                let r = compare(
                    std::slice::from_ref(&ours),
                    &[theirs],
                    Source::Files,
                    &verdicts(&ours, verdict),
                );
                assert_eq!(r.objects[0].change, want, "{}", r.text());
                assert_eq!(r.has_changes(), want != Change::Unchanged);
                let text = r.text();
                assert!(text.contains(says), "{says} not in {text}");
                for hidden in ["aaaa", "bbbb", "m1", "m2", "AgB"] {
                    assert!(!text.contains(hidden), "{hidden} in {text}");
                }
            }
        }
        let ours = sops("b", "m2");
        let r = compare(
            std::slice::from_ref(&ours),
            &[sops("a", "m1")],
            Source::Files,
            &verdicts(&ours, Some(Verdict::Verified)),
        );
        assert!(r.text().contains("key K: unchanged"), "{}", r.text());
        let r = compare(
            &[sops("b", "m2")],
            &[sops("a", "m1")],
            Source::Files,
            &Verdicts::new(),
        );
        assert!(r.text().contains("key K: not compared"), "{}", r.text());
        assert!(r.summary().ends_with("1 not compared"), "{}", r.summary());
        // A rendered plaintext Secret against an encrypted one is never called unchanged,
        // whatever the verdict of the file.
        let plain = secret("a", json!({"K": b64("v")}));
        let r = compare(
            std::slice::from_ref(&plain),
            &[sops("a", "m1")],
            Source::Files,
            &verdicts(&plain, Some(Verdict::Verified)),
        );
        assert!(r.has_changes(), "{}", r.text());
        assert!(r.text().contains("key K: not compared"), "{}", r.text());
    }

    #[test]
    fn last_applied_configuration_is_never_shown() {
        let mut live = secret("a", json!({"K": b64("v")}));
        live["metadata"]["annotations"] = json!({"kubectl.kubernetes.io/last-applied-configuration": "{\"data\":{\"K\":\"canary\"}}"});
        let r = compare(&[], &[live.clone()], Source::Live, &Verdicts::new());
        assert!(!r.text().contains("canary"));
        let r = compare(&[], &[live], Source::Files, &Verdicts::new());
        assert!(!r.text().contains("canary"));
    }
}
