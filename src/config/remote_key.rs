//! The namespace placeholder of `secrets.external.keys.agentEnv` and `gcpServiceAccount`:
//! `$(namespace)` is the namespace of the ExternalSecret that reads the key, so that each
//! team reads its own secret (`teams/$(namespace)/agent-env`). `$$` is a literal `$`, and
//! any other `$` is an error: a key can always be written, and no literal key is ever
//! read as a placeholder by accident (the syntax of Kubernetes' `$(VAR)` in a container's
//! command, which Helm's `tpl` and Flux's `${var}` substitution both leave alone).

/// The placeholder.
pub const PLACEHOLDER: &str = "$(namespace)";

/// The keys that take the placeholder, as a regular expression (for the JSON Schema).
pub const PATTERN: &str = "^([^$]|\\$\\$|\\$\\(namespace\\))*$";

/// `raw` with every `$(namespace)` replaced by `namespace` and every `$$` by `$`; the
/// error says where a `$` starts neither.
pub fn expand(raw: &str, namespace: &str) -> Result<String, String> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix("$$") {
            out.push('$');
            rest = after;
        } else if let Some(after) = tail.strip_prefix(PLACEHOLDER) {
            out.push_str(namespace);
            rest = after;
        } else {
            let at = raw.len() - tail.len();
            return Err(format!(
                "{raw:?}: the `$` at character {} starts neither `$(namespace)` (the ExternalSecret's namespace) nor `$$` (a literal `$`); write `$$` for a `$` in the key",
                raw[..at].chars().count() + 1
            ));
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Whether `raw` (already checked) depends on the namespace.
pub fn per_namespace(raw: &str) -> bool {
    expand(raw, "a").ok() != expand(raw, "b").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholder_and_escape() {
        let e = |raw: &str| expand(raw, "team-a");
        assert_eq!(
            e("teams/$(namespace)/agent-env").unwrap(),
            "teams/team-a/agent-env"
        );
        assert_eq!(e("$(namespace)").unwrap(), "team-a");
        assert_eq!(e("recif/agent-env").unwrap(), "recif/agent-env");
        // `$$` is a `$`, so a literal `$(namespace)` can be written.
        assert_eq!(e("a$$b").unwrap(), "a$b");
        assert_eq!(e("$$(namespace)").unwrap(), "$(namespace)");
        assert_eq!(e("$$$(namespace)").unwrap(), "$team-a");
        for bad in [
            "$",
            "a$b",
            "$(NAMESPACE)",
            "$(namespace",
            "${namespace}",
            "é$x",
        ] {
            let err = e(bad).unwrap_err();
            assert!(err.contains("write `$$`"), "{bad}: {err}");
        }
        assert!(e("é$x").unwrap_err().contains("character 2"));
        assert!(per_namespace("t/$(namespace)"));
        assert!(!per_namespace("t/$$(namespace)"));
        assert!(!per_namespace("t/x"));
    }
}
