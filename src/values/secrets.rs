//! Which values are secrets: for `values` redaction, and to note the values files that hold
//! them (the command layer warns about those: `commands::warnings`).

use super::node::{Node, Origin, Value};

/// A key name reduced to its meaning: lower case, without `_`, `-`, `.` or spaces, so that
/// `OPENAI_API_KEY`, `openai-api-key` and `openaiApiKey` read the same.
fn normalized(key: &str) -> String {
    key.chars()
        .filter(|c| !matches!(c, '_' | '-' | '.' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether a key names a secret value (docs/security.md: `*ApiKey`, `*Base64`, `serviceAccountKey`,
/// `password`, `token`, `secret`), by meaning rather than by substring: case, `_` and `-` are
/// ignored, and the common names of credentials are covered (`api_key`, `privateKey`,
/// `passphrase`, `accessKey`, `clientSecret`, `credentials`, `auth`...). A key that merely
/// mentions secrets (`secretVersionSelectionPolicy`, `secretName`) is not one. Values under
/// `extraEnv` are secret too (see [`holds_secret_values`] and [`redact`]).
pub fn is_secret_key_name(key: &str) -> bool {
    let n = normalized(key);
    const ANYWHERE: &[&str] = &[
        "password",
        "passwd",
        "passphrase",
        "token",
        "privatekey",
        "accesskey",
        "credential",
        "clientsecret",
        "connectionstring",
        "signingkey",
        "encryptionkey",
        "bearer",
    ];
    is_secret_whole(key)
        || ANYWHERE.iter().any(|w| n.contains(w))
        || n.ends_with("secret")
        // ESO's own `secretKey` names a key of the target Secret; `awsSecretKey` is one.
        || (n.ends_with("secretkey") && n != "secretkey")
        || matches!(n.as_str(), "auth" | "authorization")
}

/// A value that is secret as a whole: any value under `extraEnv`, the service-account key
/// (text or map), anything under `*ApiKey` and `*Base64`, and scalars or lists under other
/// secret-looking keys. Maps under such keys
/// (`secrets`, `tokenSecretRef`, `authSecretRef`…) are searched rather than hidden whole.
pub(crate) fn is_secret_entry(parent: &str, key: &str, value: &Node) -> bool {
    parent == "extraEnv"
        || is_secret_whole(key)
        || (key == "extraEnv" && !matches!(value.value, Value::Map(_)))
        || (is_secret_key_name(key) && !matches!(value.value, Value::Map(_)))
}

/// Keys whose whole value is secret, whatever its shape; matched without regard to case so
/// that a misspelt `openaiApikey` is hidden too.
fn is_secret_whole(key: &str) -> bool {
    let n = normalized(key);
    n.ends_with("apikey") || n.ends_with("base64") || n == "serviceaccountkey"
}

pub(crate) fn is_empty(node: &Node) -> bool {
    match &node.value {
        Value::Null => true,
        Value::Str(s) => s.is_empty(),
        Value::Map(m) => m.is_empty(),
        _ => false,
    }
}

/// Maps whose keys are names of something else, never of a credential: an ESO
/// `target.template` (its `data` keys name keys of the Secret to make, its values are
/// templates), labels and annotations (`jenkins.io/credentials-type`). Nothing under them is
/// taken for a secret value.
fn not_credentials(parent: &str, key: &str) -> bool {
    (key == "template" && parent == "target")
        || matches!(
            key,
            "labels" | "annotations" | "commonLabels" | "commonAnnotations"
        )
}

/// Whether a tree holds a non-empty secret value.
pub fn holds_secret_values(node: &Node) -> bool {
    first_secret_value(node).is_some()
}

/// The first non-empty secret value of the tree (in key order): its key path and where it was
/// written, never the value, so that a refusal can point at it. Keys are shown escaped.
pub fn first_secret_value(node: &Node) -> Option<(String, Origin)> {
    // The path is built on the way back (segments `.key` and `[i]`), so that a tree without
    // secrets costs no allocation.
    fn walk(node: &Node, parent: &str) -> Option<(Vec<String>, Origin)> {
        let (found, segment) = match &node.value {
            Value::Map(m) => m.iter().find_map(|(k, v)| {
                if not_credentials(parent, k) {
                    return None;
                }
                let found = if is_secret_entry(parent, k, v) && !is_empty(v) {
                    Some((Vec::new(), v.origin.clone()))
                } else {
                    walk(v, k)
                };
                found.map(|f| (f, format!(".{}", k.escape_debug())))
            }),
            Value::Seq(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, n)| walk(n, parent).map(|f| (f, format!("[{i}]")))),
            _ => None,
        }?;
        let (mut path, origin) = found;
        path.push(segment);
        Some((path, origin))
    }
    let (path, origin) = walk(node, "")?;
    let path: String = path.into_iter().rev().collect();
    Some((path.strip_prefix('.').unwrap_or(&path).to_string(), origin))
}

/// Replaces every non-empty secret value with `<redacted>`.
pub fn redact(node: &mut Node) {
    fn walk(node: &mut Node, parent: &str) {
        match &mut node.value {
            Value::Map(m) => {
                for (k, v) in m.iter_mut() {
                    if not_credentials(parent, k) {
                        continue;
                    }
                    if is_secret_entry(parent, k, v) {
                        redact_all(v);
                    } else {
                        walk(v, k);
                    }
                }
            }
            Value::Seq(items) => items.iter_mut().for_each(|n| walk(n, parent)),
            _ => {}
        }
    }
    walk(node, "")
}

fn redact_all(node: &mut Node) {
    match &mut node.value {
        Value::Null => {}
        Value::Str(s) if s.is_empty() => {}
        Value::Map(m) => m.values_mut().for_each(redact_all),
        Value::Seq(items) => items.iter_mut().for_each(redact_all),
        _ => node.value = Value::Str("<redacted>".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::yaml;
    use std::sync::Arc;

    fn y(s: &str) -> Node {
        yaml::load(s, &Arc::from("t.yaml")).unwrap()
    }

    #[test]
    fn the_first_secret_value_is_located_by_key_path_and_position() {
        let (path, origin) =
            first_secret_value(&y("llm:\n  gcp: {project: p}\n  openaiApiKey: sk\n")).unwrap();
        assert_eq!(path, "llm.openaiApiKey");
        assert_eq!(origin.to_string(), "t.yaml:3:17");
        // Keys are shown escaped.
        let (path, _) =
            first_secret_value(&y("x:\n  - {a: 1}\n  - {\"my\\\"token\\u0007\": t}\n")).unwrap();
        assert_eq!(path, "x[1].my\\\"token\\u{7}");
        assert!(first_secret_value(&y("llm: {openaiApiKey: ''}\n")).is_none());
    }

    #[test]
    fn detects_and_redacts_secret_values() {
        assert!(!holds_secret_values(&y(
            "secrets: {provider: external}\nllm: {openaiApiKey: ''}\n"
        )));
        assert!(holds_secret_values(&y("llm: {openaiApiKey: sk}\n")));
        assert!(holds_secret_values(&y("llm: {extraEnv: {X: y}}\n")));
        assert!(holds_secret_values(&y(
            "llm: {gcp: {serviceAccountKey: {type: service_account}}}\n"
        )));
        assert!(holds_secret_values(&y("llm: {openaiApiKey: [sk]}\n")));
        let mut l = y("llm: {openaiApiKey: [sk, {a: b}]}\n");
        redact(&mut l);
        assert_eq!(
            l.to_json(),
            serde_json::json!({"llm": {"openaiApiKey": ["<redacted>", {"a": "<redacted>"}]}})
        );
        let mut n = y("llm: {openaiApiKey: sk, gcp: {project: p, serviceAccountKey: {type: x}}, extraEnv: {A: b, C: ''}}\nsecrets: {provider: inline, external: {store: {vault: {auth: {tokenSecretRef: {name: tok}}}}}}\n");
        redact(&mut n);
        assert_eq!(
            n.to_json(),
            serde_json::json!({"llm": {"openaiApiKey": "<redacted>", "gcp": {"project": "p", "serviceAccountKey": {"type": "<redacted>"}}, "extraEnv": {"A": "<redacted>", "C": ""}},
                "secrets": {"provider": "inline", "external": {"store": {"vault": {"auth": {"tokenSecretRef": {"name": "tok"}}}}}}})
        );
    }
}

#[cfg(test)]
mod template_tests {
    use super::*;
    use crate::values::yaml;
    use std::sync::Arc;

    /// Issue 20: ESO template keys and labels are not secrets.
    #[test]
    fn eso_templates_labels_and_annotations_are_not_secrets() {
        let text = "secrets:\n  provider: external\n  external:\n    target:\n      template:\n        metadata:\n          labels:\n            jenkins.io/credentials-type: usernamePassword\n        data:\n          password: '{{ .password }}'\n          token: '{{ .token | b64dec }}'\n    labels:\n      auth: oidc\nnamespaces:\n  commonAnnotations:\n    vault.hashicorp.com/auth-path: x\n";
        let n = yaml::load(text, &Arc::from("t.yaml")).unwrap();
        assert!(!holds_secret_values(&n));
        let mut r = n.clone();
        redact(&mut r);
        assert_eq!(r.to_json(), n.to_json());
        // A real key elsewhere in the same file still counts.
        let n = yaml::load(
            &format!("{text}llm:\n  openaiApiKey: sk-x\n"),
            &Arc::from("t.yaml"),
        )
        .unwrap();
        assert!(holds_secret_values(&n));
    }
}
