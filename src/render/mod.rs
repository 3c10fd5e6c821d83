//! Step 3 of the pipeline: the templates. Built-in templates live in `templates/` and are
//! compiled into the binary; `--templates DIR` replaces them file by file. Every value a
//! template prints is emitted as a double-quoted YAML scalar, so that no value can change
//! the shape of the output. The context the templates receive is [`Config`], serialized.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use minijinja::value::Value as JValue;
use minijinja::{
    AutoEscape, Environment, Error as JError, ErrorKind, Output, State, UndefinedBehavior,
};
use serde_json::json;

use crate::config::Config;
use crate::diag::{Diagnostic, Diagnostics};
use crate::yamlfmt;

mod guard;

/// The built-in templates, in the order they are rendered.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "secretstore.yaml",
        include_str!("../../templates/secretstore.yaml"),
    ),
    (
        "serviceaccounts.yaml",
        include_str!("../../templates/serviceaccounts.yaml"),
    ),
    ("secrets.yaml", include_str!("../../templates/secrets.yaml")),
    (
        "externalsecrets.yaml",
        include_str!("../../templates/externalsecrets.yaml"),
    ),
    (
        "bindings.yaml",
        include_str!("../../templates/bindings.yaml"),
    ),
];
pub const NAMESPACES_TEMPLATE: (&str, &str) = (
    "namespaces.yaml",
    include_str!("../../templates/namespaces.yaml"),
);

/// The rendered text of one template.
pub struct Rendered {
    pub template: String,
    pub text: String,
    /// Whether the template came from `--templates` (its output is then compared field by
    /// field with the typed objects, so that no field it writes is silently dropped).
    pub overridden: bool,
}

/// The template set: the built-in one, with overrides from a folder.
pub struct Templates {
    env: Environment<'static>,
    overridden: std::collections::BTreeSet<String>,
    /// The source of each override (what the user wrote, as opposed to what was rendered).
    sources: BTreeMap<String, String>,
}

impl Templates {
    /// The built-in templates. Each is compiled when it is first rendered (a loader hands
    /// minijinja its source), and not at all when its guard (see [`guard`]) shows it renders
    /// nothing for the values.
    pub fn builtin() -> Self {
        let mut env = base_environment();
        env.set_loader(|name| Ok(builtin_source(name).map(str::to_string)));
        Templates {
            env,
            overridden: Default::default(),
            sources: Default::default(),
        }
    }

    /// The built-in templates, with every file of `dir` replacing the one of the same name
    /// (files with other names are added and can be included).
    pub fn with_overrides(dir: &Path) -> Result<Self, Diagnostics> {
        let mut t = Templates::builtin();
        let mut diags = Diagnostics::default();
        let entries = std::fs::read_dir(dir).map_err(|e| {
            let mut d = Diagnostics::default();
            d.error(None, "", format!("--templates {}: {}", dir.display(), e));
            d
        })?;
        let mut files: Vec<_> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        for path in files {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if name.starts_with('.') {
                // Hidden files (.gitkeep, editor swap files) are not templates.
                continue;
            }
            let builtin: Vec<&str> = TEMPLATES
                .iter()
                .chain([&NAMESPACES_TEMPLATE])
                .map(|(n, _)| *n)
                .collect();
            if !name.starts_with('_') && !builtin.contains(&name.as_str()) {
                // A misspelt override would silently leave the built-in template in use.
                let hint = crate::config::names::nearest(&name, &builtin)
                    .map(|n| format!("did you mean {n}? "))
                    .unwrap_or_default();
                diags.error(
                    None,
                    "",
                    format!(
                        "--templates {}: {name} replaces no built-in template; {hint}the built-in templates are {}; a file to include from them must start with `_` (as Helm's _helpers.tpl)",
                        dir.display(),
                        builtin.join(", ")
                    ),
                );
                continue;
            }
            let source = match crate::values::read_text_file(&path) {
                Ok(s) => s,
                Err(msg) => {
                    diags.error(None, "", format!("--templates {}: {msg}", path.display()));
                    continue;
                }
            };
            t.sources.insert(name.clone(), source.clone());
            if let Err(e) = t.env.add_template_owned(name.clone(), source) {
                diags.push(template_error(&name, &e, false));
            }
            t.overridden.insert(name);
        }
        if diags.has_errors() {
            Err(diags)
        } else {
            Ok(t)
        }
    }

    fn render_one(&self, name: &str, ctx: &JValue) -> Result<Rendered, Diagnostic> {
        let tmpl = self
            .env
            .get_template(name)
            .map_err(|e| template_error(name, &e, true))?;
        let text = tmpl
            .render(ctx)
            .map_err(|e| self.template_error(name, &e, ctx))?;
        Ok(Rendered {
            template: name.to_string(),
            text,
            overridden: self.overridden.contains(name),
        })
    }

    /// Renders the object templates for `config`, handing each YAML document to `each` as
    /// soon as it is complete (template name, whether it was overridden, the document's
    /// text): the full rendered text is never held in memory.
    pub fn render_each(
        &self,
        config: &Config,
        mut each: impl FnMut(&'static str, bool, &str),
    ) -> Result<(), Diagnostics> {
        // The context is the typed configuration (docs/templates.md documents its names),
        // made into a template value once for every template and guard.
        let ctx =
            JValue::from_serialize(serde_json::to_value(config).expect("the context serializes"));
        let mut diags = Diagnostics::default();
        for (name, _) in TEMPLATES {
            if let Err(d) = self.stream(name, &ctx, &mut each) {
                diags.push(d);
            }
        }
        if diags.has_errors() {
            Err(diags)
        } else {
            Ok(())
        }
    }

    /// Whether built-in template `name` renders nothing for `ctx`: it is one `if` block whose
    /// condition is false. The condition is tested by the same environment as a template
    /// (`{% if CONDITION %}1{% endif %}`: the same filters, auto-escaping and undefined
    /// behaviour as in the template itself); an override, or a test that fails (the render
    /// then reports the error) or renders anything, says no.
    fn renders_nothing(&self, name: &str, ctx: &JValue) -> bool {
        if self.overridden.contains(name) {
            return false;
        }
        let Some(condition) = builtin_source(name).and_then(guard::whole_template_guard) else {
            return false;
        };
        self.env
            .render_str(&format!("{{% if {condition} %}}1{{% endif %}}"), ctx)
            .is_ok_and(|out| out.is_empty())
    }

    /// Renders one template, splitting its output into documents on the fly.
    fn stream(
        &self,
        name: &'static str,
        ctx: &JValue,
        each: &mut dyn FnMut(&'static str, bool, &str),
    ) -> Result<(), Diagnostic> {
        if self.renders_nothing(name, ctx) {
            return Ok(());
        }
        let tmpl = self
            .env
            .get_template(name)
            .map_err(|e| template_error(name, &e, true))?;
        let overridden = self.overridden.contains(name);
        let mut splitter = DocSplitter {
            buf: Vec::new(),
            scanned: 0,
            on_doc: |doc: &str| each(name, overridden, doc),
        };
        tmpl.render_captured_to(ctx, &mut splitter)
            .map_err(|e| self.template_error(name, &e, ctx))?;
        splitter.finish();
        Ok(())
    }

    /// A render error, with the variables the template uses that the context does not have
    /// when it is about an undefined value (names from the template's source, never values).
    fn template_error(&self, name: &str, e: &JError, ctx: &JValue) -> Diagnostic {
        let mut d = template_error(name, e, true);
        if e.kind() != ErrorKind::UndefinedError {
            return d;
        }
        let Ok(t) = self.env.get_template(e.name().unwrap_or(name)) else {
            return d;
        };
        let mut missing: Vec<String> = t
            .undeclared_variables(true)
            .into_iter()
            .filter(|path| {
                let mut cur = Some(ctx.clone());
                for step in path.split('.') {
                    cur = cur
                        .and_then(|v| v.get_attr(step).ok())
                        .filter(|v| !v.is_undefined());
                }
                cur.is_none() && self.env.globals().all(|(g, _)| g != path.as_str())
            })
            .collect();
        missing.sort();
        if !missing.is_empty() {
            d.message.push_str(&format!(
                " (the template uses names the context does not define: {}; `recif-secrets templates` shows the variables the built-in templates use)",
                missing.join(", ")
            ));
        }
        d
    }

    /// The source of a template from `--templates` (`None` for a built-in one).
    pub fn override_source(&self, name: &str) -> Option<&str> {
        self.sources.get(name).map(String::as_str)
    }

    /// Renders the Namespace objects for the given namespaces.
    pub fn render_namespaces(&self, namespaces: &[String]) -> Result<Rendered, Diagnostics> {
        let ctx = JValue::from_serialize(json!({ "namespaces": namespaces }));
        self.render_one(NAMESPACES_TEMPLATE.0, &ctx)
            .map_err(|d| Diagnostics { items: vec![d] })
    }
}

/// The source of built-in template `name`.
fn builtin_source(name: &str) -> Option<&'static str> {
    TEMPLATES
        .iter()
        .chain([&NAMESPACES_TEMPLATE])
        .find(|(n, _)| *n == name)
        .map(|(_, source)| *source)
}

/// A writer that cuts a YAML stream into documents at `---` lines. A line that is exactly
/// `---` at column 0 always starts a document (YAML forbids it inside any scalar), so the
/// cut is exact.
struct DocSplitter<F: FnMut(&str)> {
    buf: Vec<u8>,
    scanned: usize,
    on_doc: F,
}

impl<F: FnMut(&str)> DocSplitter<F> {
    fn emit(&mut self, end: usize) {
        // minijinja writes whole `str`s and the cut is at an ASCII newline: valid UTF-8.
        let doc = std::str::from_utf8(&self.buf[..end]).unwrap_or_default();
        if !doc.trim().is_empty() {
            (self.on_doc)(doc);
        }
        self.buf.drain(..end);
        self.scanned = 0;
    }

    fn finish(mut self) {
        let end = self.buf.len();
        self.emit(end);
    }
}

impl<F: FnMut(&str)> std::io::Write for DocSplitter<F> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        const MARK: &[u8] = b"\n---\n";
        static FINDER: std::sync::OnceLock<memchr::memmem::Finder<'static>> =
            std::sync::OnceLock::new();
        let finder = FINDER.get_or_init(|| memchr::memmem::Finder::new(MARK));
        self.buf.extend_from_slice(bytes);
        while let Some(pos) = finder.find(&self.buf[self.scanned..]) {
            let end = self.scanned + pos + 1;
            self.emit(end);
        }
        self.scanned = self.buf.len().saturating_sub(MARK.len() - 1);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A template's error. At render time (`rendering`), what minijinja quotes (an include name,
/// a value) may be rendered text, so it is not shown; a compile error quotes only the
/// template's own source.
fn template_error(name: &str, e: &JError, rendering: bool) -> Diagnostic {
    let line = e.line().map(|l| format!(":{l}")).unwrap_or_default();
    let detail = e
        .detail()
        .map(|d| {
            if rendering {
                format!(
                    ": {}",
                    crate::diag::redact_unless(d, &['"', '\'', '`'], &|_| false)
                )
            } else {
                format!(": {d}")
            }
        })
        .unwrap_or_default();
    Diagnostic::error(
        None,
        "",
        format!("template {name}{line}: {}{detail}", e.kind()),
    )
}

fn base_environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::Custom("yaml"));
    env.set_formatter(yaml_formatter);
    env.add_filter("yaml", yaml_filter);
    env.add_filter("b64encode", |s: String| {
        base64::engine::general_purpose::STANDARD.encode(s.as_bytes())
    });
    // `{{ external.keys.agentEnv | forNamespace(ns) }}`: the remote key for that namespace
    // (`$(namespace)` expanded, `$$` a `$`).
    env.add_filter("forNamespace", |raw: String, ns: String| {
        crate::config::remote_key::expand(&raw, &ns)
            .map_err(|why| JError::new(ErrorKind::InvalidOperation, why))
    });
    env
}

/// Every printed value becomes a double-quoted scalar (none becomes `null`); lists and maps
/// become escaped JSON flow collections; values marked safe are written as they are.
fn yaml_formatter(out: &mut Output, _state: &State, value: &JValue) -> Result<(), JError> {
    let text = if value.is_safe() {
        value.to_string()
    } else if value.is_none() {
        "null".to_string()
    } else if value.is_undefined() {
        return Err(JError::new(
            ErrorKind::UndefinedError,
            "printed an undefined value",
        ));
    } else if matches!(
        value.kind(),
        minijinja::value::ValueKind::Seq | minijinja::value::ValueKind::Map
    ) {
        to_flow(value)?
    } else if let Some(s) = value.as_str().filter(|s| s.len() > yamlfmt::LONG) {
        return out
            .write_str(&quoted_long(s))
            .map_err(|_| JError::new(ErrorKind::WriteFailure, "write failed"));
    } else {
        yamlfmt::quote(&value.to_string())
    };
    out.write_str(&text)
        .map_err(|_| JError::new(ErrorKind::WriteFailure, "write failed"))
}

/// The quoted form of a long string, remembered: a template loop prints the same long value
/// (a service-account key) into every namespace. The cache holds the last few values and
/// compares contents, so it is exact.
fn quoted_long(s: &str) -> std::sync::Arc<str> {
    use std::cell::RefCell;
    use std::sync::Arc;
    thread_local! {
        static CACHE: RefCell<Vec<(Box<str>, Arc<str>)>> = const { RefCell::new(Vec::new()) };
    }
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if let Some((_, q)) = c.iter().find(|(raw, _)| &**raw == s) {
            return q.clone();
        }
        let q: Arc<str> = Arc::from(yamlfmt::quote(s));
        if c.len() >= 8 {
            c.remove(0);
        }
        c.push((Box::from(s), q.clone()));
        q
    })
}

fn to_flow(value: &JValue) -> Result<String, JError> {
    let json = serde_json::to_string(value)
        .map_err(|e| JError::new(ErrorKind::BadSerialization, "cannot serialize").with_source(e))?;
    Ok(yamlfmt::json_to_yaml_flow(&json))
}

/// `{{ x | yaml }}`: any value as an escaped JSON flow collection or quoted scalar.
fn yaml_filter(value: JValue) -> Result<JValue, JError> {
    Ok(JValue::from_safe_string(to_flow(&value)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every built-in template compiles (they are compiled lazily, some only for some values).
    #[test]
    fn every_built_in_template_compiles() {
        let t = Templates::builtin();
        for (name, _) in TEMPLATES.iter().chain([&NAMESPACES_TEMPLATE]) {
            if let Err(e) = t.env.get_template(name) {
                panic!("{name}: {e:#}");
            }
        }
    }

    /// The built-in templates that render nothing for most values are compiled only when
    /// their guard holds (tests/it/distribution.rs renders every example both ways).
    #[test]
    fn the_optional_built_in_templates_have_a_guard() {
        let guarded: Vec<&str> = TEMPLATES
            .iter()
            .filter(|(_, source)| guard::whole_template_guard(source).is_some())
            .map(|(name, _)| *name)
            .collect();
        assert_eq!(
            guarded,
            [
                "secretstore.yaml",
                "serviceaccounts.yaml",
                "externalsecrets.yaml",
                "bindings.yaml"
            ]
        );
    }

    #[test]
    fn printed_values_are_quoted_and_escaped() {
        let mut env = base_environment();
        env.add_template("t", "a: {{ v }}\nb: {{ n }}\nc: {{ m }}\nd: {{ none }}")
            .unwrap();
        let out = env
            .get_template("t")
            .unwrap()
            .render(json!({"v": "x\n---\nkind: Evil\u{2028}", "n": 5, "m": {"k": "\u{85}"}, "none": null}))
            .unwrap();
        assert_eq!(
            out,
            "a: \"x\\n---\\nkind: Evil\\u2028\"\nb: \"5\"\nc: {\"k\":\"\\u0085\"}\nd: null"
        );
        let parsed: serde_yaml::Value = serde_yaml::from_str(&out).unwrap();
        assert_eq!(parsed["a"].as_str(), Some("x\n---\nkind: Evil\u{2028}"));
    }

    #[test]
    fn undefined_values_are_errors() {
        let mut env = base_environment();
        env.add_template("t", "a: {{ missing }}").unwrap();
        assert!(env.get_template("t").unwrap().render(json!({})).is_err());
    }
}
