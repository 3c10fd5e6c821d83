//! `recif-secrets argocd-generate`: the `generate` step of the Argo CD Config Management
//! Plugin (examples/gitops/argocd). It runs in the application's folder on the repo server
//! and needs no shell: the values files come from the plugin parameter `RECIF_VALUES`
//! (`ARGOCD_ENV_RECIF_VALUES`, whitespace-separated), the platform namespace from
//! `RECIF_NAMESPACE`. Only plain relative paths to files inside the application folder are
//! accepted: no absolute path, no `..`, no glob, no symbolic link leading out, so an
//! Application cannot make the repo server read its other files.
//!
//! Whatever the plugin reads is in Git, and whatever it prints Argo CD applies as it is: values
//! holding a key (in any of the files) or rendering a plain Secret are refused
//! ([`refuse_inline_keys`]), with one line on standard error and nothing on standard output.

use std::io::Write;
use std::path::{Component, Path};

use crate::diag::Diagnostics;
use crate::values::Sources;
use crate::{deliver, Error, Request};

pub const VALUES_VAR: &str = "ARGOCD_ENV_RECIF_VALUES";
pub const NAMESPACE_VAR: &str = "ARGOCD_ENV_RECIF_NAMESPACE";
/// The values file when `RECIF_VALUES` is unset or empty.
pub const DEFAULT_VALUES: &str = "values-recif.yaml";

/// The values files named by `spec`, checked to be files inside `app_dir`.
pub fn values_files(spec: &str, app_dir: &Path) -> Result<Vec<String>, Diagnostics> {
    let mut diags = Diagnostics::default();
    let mut files = Vec::new();
    let words: Vec<&str> = spec.split_whitespace().collect();
    let words = if words.is_empty() {
        vec![DEFAULT_VALUES]
    } else {
        words
    };
    let root = app_dir.canonicalize().map_err(|e| {
        let mut d = Diagnostics::default();
        d.error(
            None,
            "",
            format!("the application folder {}: {e}", app_dir.display()),
        );
        d
    })?;
    for w in words {
        let path = Path::new(w);
        let plain = path
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
        let problem = if w.starts_with('-') {
            Some("starts with '-'".to_string())
        } else if w.contains(['*', '?', '[', ']', '{', '}', '$', '~']) {
            Some("globs, variables and ~ are not expanded".to_string())
        } else if !plain {
            Some("only relative paths inside the application folder, without ..".to_string())
        } else {
            match root.join(path).canonicalize() {
                Err(e) => Some(format!("cannot read it: {e}")),
                Ok(real) if !real.starts_with(&root) => {
                    Some("a symbolic link leading out of the application folder".to_string())
                }
                Ok(real) if !real.is_file() => Some("not a file".to_string()),
                Ok(_) => None,
            }
        };
        match problem {
            // The name is the user's path (not a secret): it is shown as given.
            Some(p) => diags.error(None, "", format!("RECIF_VALUES: {w:?}: {p}")),
            None => files.push(w.to_string()),
        }
    }
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok(files)
    }
}

/// Renders the values files of `RECIF_VALUES` in the current folder to standard output.
pub fn generate(err: &mut dyn Write) -> Result<(), Error> {
    let spec = std::env::var(VALUES_VAR).unwrap_or_default();
    let namespace = std::env::var(NAMESPACE_VAR)
        .ok()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| crate::DEFAULT_NAMESPACE.to_string());
    let files = values_files(&spec, Path::new(".")).map_err(Error::Invalid)?;
    for file in &files {
        let one = Sources {
            files: vec![file.clone()],
            ..Default::default()
        };
        let loaded = crate::values::load(&one, &mut std::io::empty()).map_err(Error::Invalid)?;
        if let Some((key, origin)) = crate::values::secrets::first_secret_value(&loaded.values) {
            return Err(refuse_inline_keys(
                Some(origin),
                &key,
                "inline keys: the values it reads are in Git in clear",
            ));
        }
    }
    let req = Request {
        sources: Sources {
            files,
            ..Default::default()
        },
        namespace,
        templates: None,
    };
    let out = crate::render(&req, &mut std::io::empty())?;
    // No key in the files, yet a plain Secret (an inline agent-env left empty on purpose, say):
    // applied by Argo CD, it would empty the one in the cluster.
    if let Some(secret) = out
        .manifests
        .objects
        .iter()
        .find(|o| o.typed_kind() == crate::manifests::Kind::Secret)
    {
        return Err(refuse_inline_keys(
            None,
            "",
            &format!(
                "to render a plain Secret ({}): Argo CD applies it as it is",
                secret.display_name().escape_debug()
            ),
        ));
    }
    crate::commands::print_diagnostics(err, &out.warnings);
    deliver::stream_stdout(|w| out.manifests.write_yaml(w))?;
    Ok(())
}

/// The one-line refusal of values that would put keys through Argo CD in clear: why, and the
/// two ways out.
fn refuse_inline_keys(origin: Option<crate::diag::Origin>, key: &str, why: &str) -> Error {
    let mut d = Diagnostics::default();
    d.error(
        origin,
        key,
        format!(
            "argocd-generate refuses {why}; commit the keys encrypted with SOPS or Sealed Secrets instead (recif-secrets render --sops-age or --seal-cert into a folder that Argo CD syncs without this plugin), or use secrets.provider external"
        ),
    );
    Error::Invalid(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_inside_the_application_folder() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.yaml"), "x: 1\n").unwrap();
        let app = tempfile::tempdir().unwrap();
        let dir = app.path();
        std::fs::write(dir.join("values-recif.yaml"), "a: 1\n").unwrap();
        std::fs::create_dir(dir.join("env")).unwrap();
        std::fs::write(dir.join("env/prod.yaml"), "a: 2\n").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret.yaml"), dir.join("link.yaml"))
            .unwrap();
        let ok = values_files("  values-recif.yaml\n ./env/prod.yaml ", dir).unwrap();
        assert_eq!(ok.len(), 2);
        assert!(ok[1].ends_with("env/prod.yaml"));
        assert!(values_files("", dir).unwrap()[0].ends_with(DEFAULT_VALUES));
        let abs = outside.path().join("secret.yaml");
        for bad in [
            abs.to_str().unwrap(),
            "../x.yaml",
            "env/../../x.yaml",
            "*.yaml",
            "env/[p]rod.yaml",
            "$HOME/x.yaml",
            "~/x.yaml",
            "link.yaml",
            "env",
            "missing.yaml",
            "--set=x",
        ] {
            let e = values_files(&format!("values-recif.yaml {bad}"), dir).unwrap_err();
            assert_eq!(e.errors().count(), 1, "{bad}");
        }
    }
}
