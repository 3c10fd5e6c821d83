//! The namespace-stamping memo: work done once per distinct object rather than once per
//! namespace, behind a boundary each [`Kind`] opts into ([`Kind::stampable`]).

use std::collections::HashMap;
use std::sync::Arc;

use super::objects::Kind;
use super::serialize::{FastHash, Manifest, Piece};
use crate::config::names;
use crate::yamlfmt;

/// Work done once per distinct object rather than once per namespace: documents that differ
/// only in `metadata.namespace` (agent-env, gcp-adc in every team namespace) are parsed,
/// checked and serialized once; the others are stamped from that result, sharing its text.
///
/// Exact by construction: a document is memoized only when its namespace, quoted as the
/// templates quote it, occurs exactly once in its text, on the `metadata.namespace` line;
/// the key is the text with that one occurrence blanked, so two documents with one key are
/// identical but for the namespace there. The stamped output replaces the one
/// `namespace:` line of the first result. `tests/cli.rs`
/// (`memoized_objects_equal_objects_rendered_alone`) checks it against renders of one team.
///
/// Opt-in per kind: only objects whose [`Kind::stampable`] says so are remembered, so a kind
/// whose content depends on its namespace or name is always rendered in full.
#[derive(Default)]
pub struct Memo {
    map: HashMap<String, MemoEntry, FastHash>,
}

/// A document that qualifies for the memo: its namespace and its key.
pub(super) struct Candidate {
    pub namespace: String,
    key: String,
}

impl Memo {
    /// Whether `text` (one template's output) qualifies, and if so its key.
    pub(super) fn candidate(text: &str) -> Option<Candidate> {
        memo_key(text).map(|(namespace, key)| Candidate { namespace, key })
    }

    /// The stamped copy of an earlier object, if the memo holds one for `c`.
    pub(super) fn stamp(&self, c: &Candidate) -> Option<Manifest> {
        self.map.get(&c.key).map(|e| e.stamp(&c.namespace))
    }

    /// Remembers `m`, the one clean object made from the candidate's text, if its kind opts
    /// in and the namespace line is where the memo expects it.
    pub(super) fn remember(&mut self, c: Candidate, m: &Manifest) {
        if !m.typed_kind.stampable() || m.namespace() != Some(c.namespace.as_str()) {
            return;
        }
        if let Some(entry) = MemoEntry::new(m, &c.namespace) {
            self.map.insert(c.key, entry);
        }
    }
}

struct MemoEntry {
    kind: String,
    name: String,
    typed_kind: Kind,
    before: Vec<Arc<str>>,
    after: Vec<Arc<str>>,
}

const NS_LINE: &str = "\n  namespace: ";

/// The namespace of a document and its memo key, when the document qualifies.
fn memo_key(text: &str) -> Option<(String, String)> {
    let marker = "\n  namespace: \"";
    let start = text.find(marker)? + marker.len();
    let len = text[start..].find('"')?;
    let ns = &text[start..start + len];
    if !names::is_dns_label(ns) {
        return None;
    }
    let quoted = format!("\"{ns}\"");
    let mut hits = memchr::memmem::find_iter(text.as_bytes(), quoted.as_bytes());
    let first = hits.next()?;
    if hits.next().is_some() || first != start - 1 {
        return None;
    }
    let mut key = String::with_capacity(text.len());
    key.push_str(&text[..start]);
    key.push_str(&text[start + len..]);
    Some((ns.to_string(), key))
}

fn emitted(ns: &str) -> String {
    if yamlfmt::is_plain_safe(ns) {
        ns.to_string()
    } else {
        yamlfmt::quote(ns)
    }
}

impl MemoEntry {
    /// Splits a freshly made manifest around its one `namespace:` line.
    fn new(m: &Manifest, ns: &str) -> Option<MemoEntry> {
        let line = format!("{NS_LINE}{}\n", emitted(ns));
        let count: usize = m
            .pieces
            .iter()
            .map(|p| match p {
                Piece::Text(t) => memchr::memmem::find_iter(t.as_bytes(), line.as_bytes()).count(),
                Piece::Shared(_) => 0,
            })
            .sum();
        if count != 1 {
            return None;
        }
        let (mut before, mut after) = (Vec::new(), Vec::new());
        let mut seen = false;
        for p in &m.pieces {
            match p {
                Piece::Text(t) if !seen && t.contains(&line) => {
                    let at = t.find(&line).expect("found above");
                    before.push(Arc::from(&t[..at + NS_LINE.len()]));
                    after.push(Arc::from(&t[at + line.len() - 1..]));
                    seen = true;
                }
                Piece::Text(t) => {
                    (if seen { &mut after } else { &mut before }).push(Arc::from(t.as_str()))
                }
                Piece::Shared(s) => (if seen { &mut after } else { &mut before }).push(s.clone()),
            }
        }
        Some(MemoEntry {
            kind: m.kind.clone(),
            name: m.name.clone(),
            typed_kind: m.typed_kind,
            before,
            after,
        })
    }

    fn stamp(&self, ns: &str) -> Manifest {
        let mut pieces: Vec<Piece> = self.before.iter().cloned().map(Piece::Shared).collect();
        pieces.push(Piece::Text(emitted(ns)));
        pieces.extend(self.after.iter().cloned().map(Piece::Shared));
        Manifest {
            kind: self.kind.clone(),
            namespace: Some(ns.to_string()),
            name: self.name.clone(),
            typed_kind: self.typed_kind,
            pieces,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifests::test_render_yaml as render_yaml;

    /// Objects that differ only by namespace are rendered once and stamped for the other
    /// namespaces; each must be byte-identical to the object rendered for that team alone.
    #[test]
    fn memoized_objects_equal_objects_rendered_alone() {
        let teams: Vec<String> = (0..40)
            .map(|i| format!("team-{i}"))
            .chain(["on".to_string(), "y".to_string()])
            .collect();
        let values = serde_json::json!({"namespaces": {"teams": teams}}).to_string();
        for example in [
            "examples/inline.yaml",
            "examples/external-aws-parameter-store.yaml",
        ] {
            let all = render_yaml(&[example, "-"], &["namespaces.create=true"], &values);
            let all_docs: Vec<&str> = all.split("---\n").filter(|d| !d.is_empty()).collect();
            assert!(all_docs.len() > 80, "{example}");
            for team in ["team-7", "on", "y"] {
                let alone = render_yaml(
                    &[example],
                    &[
                        &format!("namespaces.defaultTeam={team}"),
                        "namespaces.teams=null",
                        "namespaces.create=true",
                    ],
                    "",
                );
                for doc in alone.split("---\n").filter(|d| !d.is_empty()) {
                    if doc.contains(&format!("namespace: {team}\n"))
                        || doc.contains(&format!("namespace: \"{team}\"\n"))
                    {
                        assert!(
                            all_docs.contains(&doc),
                            "{example}: {team}: not found in the full render:\n{doc}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn only_a_single_quoted_namespace_on_its_line_qualifies() {
        let doc = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: \"team-a\"\n";
        let c = Memo::candidate(doc).expect("qualifies");
        assert_eq!(c.namespace, "team-a");
        let twice = format!("{doc}data:\n  x: \"team-a\"\n");
        assert!(
            Memo::candidate(&twice).is_none(),
            "namespace also in the content"
        );
        assert!(Memo::candidate("kind: Namespace\nmetadata:\n  name: a\n").is_none());
    }
}
