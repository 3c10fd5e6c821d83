//! Objects kept as their final YAML text ([`Manifest`], in pieces that share long scalars),
//! and the output formats of the whole set ([`Manifests`]: a YAML stream, one JSON `List`).
//! An output format is a method on [`Manifests`] and a `Format` arm in `commands/render.rs`.

use std::collections::HashMap;
use std::sync::Arc;

use super::fastyaml;
use super::objects::{Kind, Object};
use crate::yamlfmt;

/// One rendered object, final: labelled, checked, and serialized once as YAML (a block of
/// text per object is far smaller than the typed object it came from, and long scalars
/// repeated across objects, such as one service-account key in every team namespace, are
/// stored once).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    pub(super) kind: String,
    pub(super) namespace: Option<String>,
    pub(super) name: String,
    pub(super) typed_kind: Kind,
    /// The document, without the leading `---`, in pieces.
    pub(super) pieces: Vec<Piece>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Piece {
    Text(String),
    /// A long double-quoted scalar, shared by every object that holds the same value.
    Shared(Arc<str>),
}

/// One copy of each long quoted scalar.
#[derive(Default)]
pub struct Interner {
    map: HashMap<String, Arc<str>, FastHash>,
}

/// Hashing of long texts that are not attacker-chosen keys of a long-lived table (one
/// render's documents): foldhash, already in the build through hashbrown.
pub(super) type FastHash = foldhash::fast::RandomState;

/// The emitter's sink for a [`Manifest`].
struct Pieces<'a> {
    pieces: Vec<Piece>,
    current: String,
    interner: &'a mut Interner,
}

impl yamlfmt::Sink for Pieces<'_> {
    fn text(&mut self) -> &mut String {
        &mut self.current
    }

    fn long_scalar(&mut self, s: &str) {
        if !self.current.is_empty() {
            self.pieces
                .push(Piece::Text(std::mem::take(&mut self.current)));
        }
        let shared = match self.interner.map.get(s) {
            Some(q) => q.clone(),
            None => {
                let q: Arc<str> = Arc::from(yamlfmt::quote(s));
                self.interner.map.insert(s.to_string(), q.clone());
                q
            }
        };
        self.pieces.push(Piece::Shared(shared));
    }
}

impl Manifest {
    /// Takes the object so that it is freed before its text is made (a large Secret is then
    /// never held three times: typed, as JSON and as text).
    pub(super) fn new(o: Object, interner: &mut Interner) -> Self {
        let mut sink = Pieces {
            pieces: Vec::new(),
            current: String::new(),
            interner,
        };
        let json = o.to_json();
        let (kind, namespace, name, typed_kind) = (
            o.kind().to_string(),
            o.namespace().map(str::to_string),
            o.name().to_string(),
            o.typed_kind(),
        );
        drop(o);
        yamlfmt::emit_document(&mut sink, &json);
        let mut pieces = sink.pieces;
        if !sink.current.is_empty() {
            pieces.push(Piece::Text(sink.current));
        }
        Manifest {
            kind,
            namespace,
            name,
            typed_kind,
            pieces,
        }
    }

    /// An encrypted object (`render --sops-age`/`--seal-cert`), kept as the exact text it was
    /// encrypted to or read back from the output folder. It is made once per object, after
    /// `build`, so it never passes through the namespace-stamping memo: an encrypted object
    /// is bound to its namespace and name.
    pub fn encrypted(kind: Kind, namespace: &str, name: &str, text: String) -> Self {
        Manifest {
            kind: kind.as_str().to_string(),
            namespace: Some(namespace.to_string()),
            name: name.to_string(),
            typed_kind: kind,
            pieces: vec![Piece::Text(text)],
        }
    }

    fn write(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        for p in &self.pieces {
            w.write_all(match p {
                Piece::Text(t) => t.as_bytes(),
                Piece::Shared(s) => s.as_bytes(),
            })?;
        }
        Ok(())
    }

    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The kind as its typed definition.
    pub fn typed_kind(&self) -> Kind {
        self.typed_kind
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// `None` for cluster-scoped objects.
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    /// Writes the document as one of a YAML stream: `---`, then the document.
    pub fn write_yaml(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        w.write_all(b"---\n")?;
        self.write(w)
    }

    /// The YAML document (without `---`), taken out of the object: an encrypted object's text
    /// is moved, not copied.
    pub fn into_yaml(mut self) -> String {
        match self.pieces.as_mut_slice() {
            [Piece::Text(t)] => std::mem::take(t),
            _ => self.yaml(),
        }
    }

    /// The YAML document (without `---`).
    pub fn yaml(&self) -> String {
        let mut out = Vec::new();
        self.write(&mut out).expect("writing to memory");
        String::from_utf8(out).expect("YAML is UTF-8")
    }

    /// The length of the YAML document, in bytes.
    pub fn len(&self) -> usize {
        self.pieces
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t.len(),
                Piece::Shared(s) => s.len(),
            })
            .sum()
    }

    /// Whether the document is empty (it never is).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of keys of the top-level `data` and `stringData` maps (the values of a
    /// Secret), counted on the text, without parsing it.
    pub fn values(&self) -> u64 {
        let mut count = 0;
        let mut inside = false;
        let mut line_start = true;
        for p in &self.pieces {
            let text: &str = match p {
                Piece::Text(t) => t,
                Piece::Shared(s) => s,
            };
            for (i, line) in text.split('\n').enumerate() {
                if i > 0 {
                    line_start = true;
                }
                if !line_start || line.is_empty() {
                    continue;
                }
                if !line.starts_with(' ') {
                    inside = line == "data:" || line == "stringData:";
                } else if inside && line.starts_with("  ") && !line[2..].starts_with(' ') {
                    count += 1;
                }
                line_start = false;
            }
        }
        count
    }

    /// `Kind namespace/name` or `Kind name`.
    pub fn display_name(&self) -> String {
        match self.namespace() {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }

    /// The object as JSON, read back from its YAML (our output is always in the subset the
    /// fast reader knows; serde_yaml is the fallback).
    pub fn to_json(&self) -> serde_json::Value {
        let yaml = self.yaml();
        fastyaml::parse(&yaml)
            .unwrap_or_else(|| serde_yaml::from_str(&yaml).expect("our own YAML reads back"))
    }
}

/// The final, checked, ordered set of objects.
#[derive(Clone, Debug, Default)]
pub struct Manifests {
    pub objects: Vec<Manifest>,
}

impl Manifests {
    /// A stream of YAML documents, each starting with `---`.
    pub fn to_yaml(&self) -> String {
        let mut out = Vec::new();
        self.write_yaml(&mut out).expect("writing to memory");
        String::from_utf8(out).expect("YAML is UTF-8")
    }

    /// Writes the YAML stream.
    pub fn write_yaml(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        for o in &self.objects {
            o.write_yaml(w)?;
        }
        Ok(())
    }

    /// One `v1` `List` holding every object.
    pub fn to_json(&self) -> String {
        let mut out = Vec::new();
        self.write_json(&mut out).expect("writing to memory");
        String::from_utf8(out).expect("JSON is UTF-8")
    }

    /// Writes one `v1` `List` holding every object, as `serde_json::to_string_pretty` would
    /// print it (keys sorted: `apiVersion`, `items`, `kind`), one object at a time: only one
    /// object's JSON is in memory at once.
    pub fn write_json(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        let mut list = JsonList::new(w);
        for o in &self.objects {
            list.item(o)?;
        }
        list.finish()
    }
}

/// One `v1` `List` written an object at a time ([`Manifests::write_json`]), for objects made
/// as they are written.
pub struct JsonList<'w> {
    w: &'w mut dyn std::io::Write,
    items: usize,
    text: Vec<u8>,
}

impl<'w> JsonList<'w> {
    pub fn new(w: &'w mut dyn std::io::Write) -> JsonList<'w> {
        JsonList {
            w,
            items: 0,
            text: Vec::new(),
        }
    }

    /// Writes one item.
    pub fn item(&mut self, o: &Manifest) -> std::io::Result<()> {
        let w = &mut *self.w;
        if self.items == 0 {
            w.write_all(b"{\n  \"apiVersion\": \"v1\",\n  \"items\": [\n")?;
        }
        self.text.clear();
        serde_json::to_writer_pretty(&mut self.text, &o.to_json())
            .map_err(std::io::Error::other)?;
        if self.items > 0 {
            w.write_all(b",\n")?;
        }
        self.items += 1;
        // Every line break of pretty JSON is structural (strings escape theirs): indent
        // each line by the two levels of the List.
        for (j, line) in self.text.split(|b| *b == b'\n').enumerate() {
            if j > 0 {
                w.write_all(b"\n")?;
            }
            w.write_all(b"    ")?;
            w.write_all(line)?;
        }
        Ok(())
    }

    /// Ends the List.
    pub fn finish(self) -> std::io::Result<()> {
        if self.items == 0 {
            return self.w.write_all(
                b"{\n  \"apiVersion\": \"v1\",\n  \"items\": [],\n  \"kind\": \"List\"\n}\n",
            );
        }
        self.w.write_all(b"\n  ],\n  \"kind\": \"List\"\n}\n")
    }
}
