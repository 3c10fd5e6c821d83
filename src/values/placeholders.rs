//! Example files: the repository's examples hold placeholder keys, and the warnings about a
//! values file holding secrets (tracked by git: rotate the keys; not git-ignored; readable by
//! others) would fire on every use of them, teaching users to ignore the warning. A secret
//! value is a **placeholder** when it contains the word `example` (any case): in the text
//! itself, or, for a `*Base64` value, in what it decodes to; for a service-account JSON key,
//! in its `private_key`. A file whose every secret value is a placeholder is an example and
//! gets no such warning. A copy of an example with even one real key warns as before, so
//! the warning stays meaningful for real files.

use base64::Engine as _;

use super::node::{Node, Value};
use super::secrets::{is_empty, is_secret_entry};

/// The marker word.
pub const MARKER: &str = "example";

/// Whether every non-empty secret value of the tree is a placeholder (and there is one).
pub fn only_placeholders(node: &Node) -> bool {
    fn walk(node: &Node, parent: &str, counts: &mut (usize, usize)) {
        match &node.value {
            Value::Map(m) => {
                for (k, v) in m {
                    if is_secret_entry(parent, k, v) {
                        if !is_empty(v) {
                            counts.0 += 1;
                            if is_placeholder(k, v) {
                                counts.1 += 1;
                            }
                        }
                    } else {
                        walk(v, k, counts);
                    }
                }
            }
            Value::Seq(items) => items.iter().for_each(|n| walk(n, parent, counts)),
            _ => {}
        }
    }
    let mut counts = (0, 0);
    walk(node, "", &mut counts);
    let (secrets, placeholders) = counts;
    secrets > 0 && secrets == placeholders
}

fn marked(text: &str) -> bool {
    text.to_lowercase().contains(MARKER)
}

/// The `private_key` of a JSON credentials object, if `text` is one.
fn private_key(text: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    v.get("private_key")?.as_str().map(str::to_string)
}

fn is_placeholder(key: &str, node: &Node) -> bool {
    let lower = key.to_lowercase();
    match &node.value {
        Value::Str(s) if lower.ends_with("base64") => {
            let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
            match base64::engine::general_purpose::STANDARD.decode(compact.as_bytes()) {
                Ok(bytes) => {
                    let text = String::from_utf8_lossy(&bytes);
                    marked(&private_key(&text).unwrap_or_else(|| text.into_owned()))
                }
                Err(_) => marked(s),
            }
        }
        Value::Str(s) => marked(&private_key(s).unwrap_or_else(|| s.clone())),
        Value::Map(m) => match m.get("private_key") {
            Some(pk) => is_placeholder("private_key", pk),
            None => m.iter().all(|(k, v)| is_empty(v) || is_placeholder(k, v)),
        },
        Value::Seq(items) => items.iter().all(|v| is_placeholder(key, v)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn load(text: &str) -> Node {
        super::super::yaml::load(text, &Arc::from("t.yaml")).unwrap()
    }

    #[test]
    fn placeholders_are_recognised_and_real_keys_are_not() {
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let sa = |pk: &str| {
            format!(
                r#"{{"type":"service_account","client_email":"example@p.iam.gserviceaccount.com","private_key":"{pk}"}}"#
            )
        };
        assert!(only_placeholders(&load(crate::EXAMPLE_VALUES)));
        assert!(only_placeholders(&load(
            "llm: {googleApiKey: AIzaSy-EXAMPLE, extraEnv: {A: example-a}}\n"
        )));
        assert!(only_placeholders(&load(&format!(
            "llm: {{gcp: {{serviceAccountKeyBase64: {}}}}}\n",
            b64(&sa("-----BEGIN PRIVATE KEY-----\\nEXAMPLE\\n"))
        ))));
        for real in [
            "llm: {googleApiKey: AIzaSy-example, openaiApiKey: sk-proj-R3aL}\n".to_string(),
            "llm: {extraEnv: {A: example, B: real}}\n".to_string(),
            // The word elsewhere in a real key's JSON does not make it a placeholder.
            format!(
                "llm: {{gcp: {{serviceAccountKeyBase64: {}}}}}\n",
                b64(&sa("-----BEGIN PRIVATE KEY-----\\nMIIE\\n"))
            ),
            format!("llm: {{gcp: {{serviceAccountKey: '{}'}}}}\n", sa("MIIE")),
            "llm: {googleApiKey: 12345}\n".to_string(),
            "llm: {}\n".to_string(),
        ] {
            assert!(!only_placeholders(&load(&real)), "{real}");
        }
    }
}
