//! `llm`: the agent-env variables (`<name>ApiKey`, `extraEnv`) and the Google Cloud
//! service-account key.

use std::collections::BTreeMap;

use base64::Engine as _;

use super::reader::{Reader, Text};
use super::{keys, names, GCP_CREDENTIAL_TYPES};
use crate::values::Origin;

/// The agent-env variables: every `llm.<name>ApiKey` with a non-empty value, then
/// `llm.extraEnv`. Two sources of one variable are an error.
pub(super) fn llm_env(r: &mut Reader<'_>) -> BTreeMap<String, (String, Origin)> {
    let mut out: BTreeMap<String, (String, Origin, String)> = BTreeMap::new();
    let Some(llm) = r.map(&["llm"]) else {
        return BTreeMap::new();
    };
    let mut add =
        |r: &mut Reader<'_>, name: String, value: String, origin: Origin, path: String| {
            if let Some((_, _, first)) = out.get(&name) {
                r.diags.error(
                    Some(origin),
                    path,
                    format!("sets {name}, which {first} already sets; keep one of them"),
                );
            } else {
                out.insert(name, (value, origin, path));
            }
        };
    for (key, node) in llm {
        if key == "extraEnv" || key == "gcp" {
            continue;
        }
        let path = format!("llm.{key}");
        let Some(name) = names::llm_env_name(key) else {
            if let Some(home) = super::placement::home_of(key).filter(|h| *h != path) {
                let node = node.clone();
                super::placement::misplaced(r, &node, path, "not a key of llm", &home);
                continue;
            }
            let known = keys::names(keys::LLM);
            let hint = match names::nearest(key, &known) {
                Some(n) => format!("did you mean `llm.{n}`?"),
                None => "LLM keys end in `ApiKey` (e.g. mistralApiKey); other variables go in llm.extraEnv".to_string(),
            };
            r.diags.warning(
                Some(node.origin.clone()),
                path,
                format!("unknown key, ignored; {hint}"),
            );
            continue;
        };
        if node.is_null() {
            continue;
        }
        let Some(value) = node.scalar_text() else {
            r.diags.error(
                Some(node.origin.clone()),
                path,
                format!(
                    "expected the API key as a string, found a {}",
                    node.type_name()
                ),
            );
            continue;
        };
        if value.is_empty() {
            continue;
        }
        if !names::is_env_name(&name) {
            r.diags.error(
                Some(node.origin.clone()),
                path,
                format!("gives the variable name {name:?}, which is not a valid environment variable name (letters, digits and '_')"),
            );
            continue;
        }
        add(r, name, value, node.origin.clone(), format!("llm.{key}"));
    }
    for (name, t) in r.string_map(&["llm", "extraEnv"]) {
        let path = format!("llm.extraEnv.{name}");
        if !names::is_secret_key(&name) {
            r.diags.error(
                Some(t.origin),
                path,
                "is not a valid Secret key (letters, digits, '-', '_', '.'; at most 253)",
            );
            continue;
        }
        add(r, name, t.value, t.origin, path);
    }
    out.into_iter().map(|(k, (v, o, _))| (k, (v, o))).collect()
}

/// `llm.gcp.serviceAccountKeyBase64` or `serviceAccountKey`: the JSON text, checked.
pub(super) fn service_account_key(r: &mut Reader<'_>) -> Option<(String, Origin)> {
    let b64_path = ["llm", "gcp", "serviceAccountKeyBase64"];
    let raw_path = ["llm", "gcp", "serviceAccountKey"];
    let b64 = r.text(&b64_path).filter(|t| !t.value.is_empty());
    // The raw key may also be given as a YAML map.
    let raw = match r.node(&raw_path) {
        Some(n) if n.as_map().is_some() => Some(Text {
            value: n.to_json().to_string(),
            origin: n.origin.clone(),
        }),
        _ => r.text(&raw_path).filter(|t| !t.value.is_empty()),
    };
    let (json, origin, path) = match (b64, raw) {
        (None, None) => return None,
        (Some(b), Some(_)) => {
            r.diags.error(
                Some(b.origin),
                "llm.gcp",
                "both serviceAccountKeyBase64 and serviceAccountKey are set; set one of them",
            );
            return None;
        }
        (Some(b), None) if b.value.trim_start().starts_with('{') => {
            r.diags.error(
                Some(b.origin),
                b64_path.join("."),
                "holds raw JSON, not base64: put the JSON itself under llm.gcp.serviceAccountKey instead (or encode it: cat sa-key.json | base64 | tr -d '\\n')",
            );
            return None;
        }
        (Some(b), None) if looks_like_path(&b.value) => {
            r.diags.error(
                Some(b.origin),
                b64_path.join("."),
                "looks like a file path, not base64 (value not shown): pass the file with --set-file llm.gcp.serviceAccountKey=PATH, or encode it: cat sa-key.json | base64 | tr -d '\\n'",
            );
            return None;
        }
        (None, Some(t)) if looks_like_path(&t.value) => {
            r.diags.error(
                Some(t.origin),
                raw_path.join("."),
                "looks like a file path, not the JSON key (value not shown): --set takes the text itself; pass the file with --set-file llm.gcp.serviceAccountKey=PATH",
            );
            return None;
        }
        (Some(b), None) => {
            let cleaned: String = b.value.chars().filter(|c| !c.is_whitespace()).collect();
            let decoded = base64::engine::general_purpose::STANDARD.decode(cleaned.as_bytes());
            match decoded.ok().and_then(|d| String::from_utf8(d).ok()) {
                Some(json) => (json, b.origin, b64_path.join(".")),
                None => {
                    r.diags.error(
                        Some(b.origin),
                        b64_path.join("."),
                        "is not valid standard base64 of a JSON key (make it with: cat sa-key.json | base64 | tr -d '\\n')",
                    );
                    return None;
                }
            }
        }
        (None, Some(t)) => (t.value, t.origin, raw_path.join(".")),
    };
    match check_credentials_json(&json) {
        Ok(()) => Some((json, origin)),
        Err(msg) => {
            r.diags.error(Some(origin), path, msg);
            None
        }
    }
}

/// A one-line value naming a file rather than holding a key: `sa-key.json`, `./key`,
/// `~/keys/sa.json` (a JSON key starts with `{`; base64 has no `.`, `~` or `\\`).
pub(super) fn looks_like_path(v: &str) -> bool {
    let v = v.trim();
    !v.is_empty()
        && !v.starts_with('{')
        && !v.contains(char::is_whitespace)
        && (v.to_ascii_lowercase().ends_with(".json")
            || v.starts_with("./")
            || v.starts_with("../")
            || v.starts_with("~/")
            || (v.starts_with('/') && v[1..].contains('/') && v.contains('.'))
            || v.contains('\\'))
}

/// A Google credentials JSON object of an accepted type with its required fields.
/// Messages name fields, never their values.
pub fn check_credentials_json(json: &str) -> Result<(), String> {
    let parsed: serde_json::Value = serde_json::from_str(json).map_err(|e| {
        format!(
            "is not a JSON object (JSON error at line {} column {})",
            e.line(),
            e.column()
        )
    })?;
    let obj = parsed
        .as_object()
        .ok_or_else(|| "is JSON but not an object".to_string())?;
    let ty = obj.get("type").and_then(|t| t.as_str()).ok_or_else(|| {
        format!(
            "has no \"type\" field; expected one of: {}",
            GCP_CREDENTIAL_TYPES.join(", ")
        )
    })?;
    if !GCP_CREDENTIAL_TYPES.contains(&ty) {
        // The value itself is not shown: this JSON is key material.
        return Err(format!(
            "has a \"type\" that is not a Google credentials type; expected one of: {}",
            GCP_CREDENTIAL_TYPES.join(", ")
        ));
    }
    if ty == "service_account" {
        let missing: Vec<&str> = ["client_email", "private_key"]
            .into_iter()
            .filter(|f| {
                obj.get(*f)
                    .and_then(|v| v.as_str())
                    .is_none_or(str::is_empty)
            })
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "is a service_account key without {}",
                missing.join(" and ")
            ));
        }
    }
    Ok(())
}
