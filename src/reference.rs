//! The values reference (docs/values.md, the VALUES section of the man pages), generated from
//! the key table of [`crate::config::keys`] and the built-in defaults, so that the
//! documentation cannot drift from what the tool reads.

use crate::config::keys::{self, Key, Kind, Pattern};
use crate::values;

/// One documented key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Dotted path, such as `secrets.external.storeKind`.
    pub path: String,
    /// What it accepts.
    pub kind: String,
    /// Its built-in default, as compact JSON (`""`, `{}`, `"1h"`).
    pub default: String,
    pub doc: &'static str,
}

/// Every key, depth first, in the order of the key table.
pub fn rows() -> Vec<Row> {
    let mut out = Vec::new();
    walk(keys::ROOT, "", &mut out);
    out
}

fn walk(keys: &[Key], prefix: &str, out: &mut Vec<Row>) {
    for k in keys {
        let path = if prefix.is_empty() {
            k.name.to_string()
        } else {
            format!("{prefix}.{}", k.name)
        };
        let parts: Vec<&str> = path.split('.').collect();
        let default = match &k.kind {
            Kind::Object(_) | Kind::Llm(_) => String::new(),
            _ => values::defaults()
                .get(&parts)
                .map(|n| n.to_json().to_string())
                .unwrap_or_default(),
        };
        out.push(Row {
            path: path.clone(),
            kind: kind(&k.kind),
            default,
            doc: k.doc,
        });
        if let Kind::Object(sub) | Kind::Llm(sub) = &k.kind {
            walk(sub, &path, out);
        }
    }
}

fn pattern(p: Pattern) -> &'static str {
    match p {
        Pattern::DnsLabel => "DNS label",
        Pattern::DnsSubdomain => "DNS subdomain",
        Pattern::SecretKey => "Secret key",
    }
}

fn kind(k: &Kind) -> String {
    match k {
        Kind::Text => "string".into(),
        Kind::Name(p) => format!("string ({})", pattern(*p)),
        Kind::Enum(v) => format!("one of: {}", v.join(", ")),
        Kind::Bool => "boolean".into(),
        Kind::Duration => "Go duration".into(),
        Kind::TextMap => "map of strings".into(),
        Kind::NameList(p) => format!("list of strings ({})", pattern(*p)),
        Kind::TextList => "list of strings".into(),
        Kind::Object(_) => "map".into(),
        Kind::ObjectList(sub) => format!("list of maps: {}", keys::names(sub).join(", ")),
        Kind::Providers => "map with at most one key: an ESO store provider (see the provider table in docs/external-secrets.md), holding its `spec.provider.<name>` block".into(),
        Kind::EsoSpec => "map: fields of ESO's ExternalSecret `spec`, checked against the CRD".into(),
        Kind::RemoteKey => "string; `$(namespace)`: the ExternalSecret's namespace, `$$`: a `$`".into(),
        Kind::EsoOverrides(v) => format!(
            "map from {} (or NAMESPACE/NAME) to {{metadata: {{labels, annotations}}, spec: ...}}",
            v.join(", ")
        ),
        Kind::Llm(_) => "map; any <name>ApiKey is an LLM key".into(),
        Kind::TextOrObject => "string or map".into(),
    }
}

/// docs/values.md.
pub fn markdown() -> String {
    let mut s = String::from(
        "# Values reference\n\n\
<!-- Generated from src/config/keys.rs and src/defaults.yaml by `recif-secrets values --reference`; \
tests/distribution.rs checks it is current. -->\n\n\
Every key `recif-secrets` reads, with its built-in default. Values come from, later winning: \
these defaults, each `-f FILE`, then `--set-json`, `--set`, `--set-string`, `--set-file`, \
`--set-literal` (as with Helm). Maps merge, lists and scalars replace, `null` deletes a default. \
Other top-level keys (the rest of a Récif chart's values file) are allowed and ignored; an \
unknown key inside these sections is warned about with the nearest known one. \
`recif-secrets values --defaults` prints the defaults with comments, \
`recif-secrets schema` their JSON Schema.\n\n\
| key | accepts | default | meaning |\n|---|---|---|---|\n",
    );
    for r in rows() {
        let default = if r.default.is_empty() {
            String::new()
        } else {
            format!("`{}`", r.default)
        };
        s.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            r.path,
            r.kind.replace('|', "\\|"),
            default.replace('|', "\\|"),
            r.doc.replace('|', "\\|")
        ));
    }
    s.push_str(
        "\n## LLM keys\n\n\
A key of `llm` ending in `ApiKey` with a non-empty value becomes a variable of `agent-env`: \
the part before `ApiKey`, split where a lower-case letter is followed by an upper-case one, \
upper-cased, joined with `_`, then `_API_KEY` (`azureOpenaiApiKey` -> `AZURE_OPENAI_API_KEY`). \
`llm.extraEnv` entries are copied verbatim.\n\n\
## Store backends\n\n\
`secrets.external.store.<backend>` is External Secrets Operator's own \
`spec.provider.<backend>` block, checked against ESO's schema of the chosen `apiVersion`.\n",
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_leaf_has_a_default() {
        for r in rows() {
            if !r.kind.starts_with("map") || r.path.ends_with("store") {
                assert!(!r.default.is_empty(), "{}", r.path);
            }
        }
        assert!(rows().iter().any(
            |r| r.path == "secrets.external.storeKind" && r.default == "\"ClusterSecretStore\""
        ));
    }
}
