//! Kubernetes name rules and the LLM key naming rule.

/// RFC 1123 label: lower-case alphanumerics and `-`, starting and ending alphanumeric, at most 63.
pub fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// RFC 1123 subdomain: dot-separated labels, at most 253 characters.
pub fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s.split('.').all(is_dns_label)
}

/// A valid key of a Secret's `data`: `[-._a-zA-Z0-9]+`, at most 253 characters.
pub fn is_secret_key(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
}

/// A label or annotation key: an optional DNS subdomain prefix and `/`, then a name of at
/// most 63 characters of alphanumerics, `-`, `_`, `.`, starting and ending alphanumeric.
pub fn is_qualified_name(s: &str) -> bool {
    let (prefix, name) = match s.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, s),
    };
    if let Some(p) = prefix {
        if !is_dns_subdomain(p) {
            return false;
        }
    }
    is_label_value(name) && !name.is_empty()
}

/// A label value: empty, or at most 63 alphanumerics, `-`, `_`, `.`, starting and ending
/// alphanumeric.
pub fn is_label_value(s: &str) -> bool {
    s.is_empty()
        || (s.len() <= 63
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            && s.as_bytes()[0].is_ascii_alphanumeric()
            && s.as_bytes()[s.len() - 1].is_ascii_alphanumeric())
}

/// `googleApiKey` -> `GOOGLE_API_KEY`, `azureOpenaiApiKey` -> `AZURE_OPENAI_API_KEY`: the part
/// before `ApiKey` split at lower-to-upper case changes, upper-cased, joined with `_`, then
/// `_API_KEY`. `None` when the key does not end in `ApiKey` or nothing comes before it.
pub fn llm_env_name(key: &str) -> Option<String> {
    let stem = key.strip_suffix("ApiKey")?;
    if stem.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(stem.len() + 8);
    let mut prev_lower = false;
    for c in stem.chars() {
        if c.is_uppercase() && prev_lower {
            out.push('_');
        }
        prev_lower = c.is_lowercase();
        out.extend(c.to_uppercase());
    }
    out.push_str("_API_KEY");
    Some(out)
}

/// A conventional environment variable name: `[A-Za-z_][A-Za-z0-9_]*`.
pub fn is_env_name(s: &str) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The key among `known` closest to `key` (for "did you mean"), if any is close enough.
pub fn nearest<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| {
            (
                strsim::levenshtein(&key.to_lowercase(), &k.to_lowercase()),
                *k,
            )
        })
        .filter(|(d, k)| *d <= 2.max(k.len() / 3))
        .min()
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn llm_names() {
        assert_eq!(
            llm_env_name("googleApiKey").as_deref(),
            Some("GOOGLE_API_KEY")
        );
        assert_eq!(
            llm_env_name("openaiApiKey").as_deref(),
            Some("OPENAI_API_KEY")
        );
        assert_eq!(
            llm_env_name("anthropicApiKey").as_deref(),
            Some("ANTHROPIC_API_KEY")
        );
        assert_eq!(
            llm_env_name("azureOpenaiApiKey").as_deref(),
            Some("AZURE_OPENAI_API_KEY")
        );
        assert_eq!(llm_env_name("xAIApiKey").as_deref(), Some("X_AI_API_KEY"));
        assert_eq!(
            llm_env_name("mistral2ApiKey").as_deref(),
            Some("MISTRAL2_API_KEY")
        );
        assert_eq!(llm_env_name("ApiKey"), None);
        assert_eq!(llm_env_name("apiKey"), None);
        assert_eq!(llm_env_name("openaiKey"), None);
    }

    #[test]
    fn kubernetes_names() {
        assert!(is_dns_label("team-default"));
        assert!(!is_dns_label("Team"));
        assert!(!is_dns_label("-a"));
        assert!(!is_dns_label(&"a".repeat(64)));
        assert!(is_dns_subdomain("recif-secret-store.v2"));
        assert!(!is_dns_subdomain("a..b"));
        assert!(is_secret_key("adc.json"));
        assert!(!is_secret_key("a b"));
        assert!(is_qualified_name("argocd.argoproj.io/sync-wave"));
        assert!(is_qualified_name("team"));
        assert!(!is_qualified_name("bad key"));
        assert!(!is_qualified_name("/x"));
        assert!(is_label_value(""));
        assert!(!is_label_value("-x"));
        assert!(is_env_name("OPENAI_API_KEY"));
        assert!(!is_env_name("1X"));
    }

    #[test]
    fn did_you_mean() {
        assert_eq!(
            nearest("provder", &["provider", "external"]),
            Some("provider")
        );
        assert_eq!(nearest("zzzzzz", &["provider", "external"]), None);
    }
}
