//! Step 4 of the pipeline: the rendered text parsed into typed objects (`k8s-openapi` for
//! the core kinds, [`eso`] for External Secrets), checked, labelled, sorted, and serialized
//! from those types. Template overrides go through exactly the same checks.

//!
//! One file per job: [`objects`] (kinds, typed objects, strict parsing), [`checks`]
//! (labels, policy checks), [`serialize`] (final YAML text, output formats), [`memo`]
//! (namespace stamping, opt-in per kind); this file drives them.

mod bindings;
mod checks;
pub mod eso;
pub mod fastyaml;
mod memo;
pub mod objects;
pub mod serialize;
mod strict;
pub mod webhook;

use std::collections::{BTreeMap, BTreeSet};

use crate::config::Config;
use crate::diag::{Diagnostic, Diagnostics};
use crate::render::Templates;
use memo::Memo;
pub use objects::{parse_object, redact, Kind, Object};
pub use serialize::{Interner, JsonList, Manifest, Manifests};

/// Renders, parses, checks and orders everything `config` describes. Each object is
/// labelled, checked and serialized as soon as its document is parsed, so that only one
/// typed object is alive at a time.
/// Only the YAML text is kept: `-o json` reads each object back from it as it is written
/// (keeping every object's JSON would hold the whole output, about 3x the YAML, in memory).
pub fn build(config: &Config, templates: &Templates) -> Result<Manifests, Diagnostics> {
    let mut diags = Diagnostics::default();
    let mut objects = Vec::new();
    let mut interner = Interner::default();
    let mut memo = Memo::default();
    let mut sink = Sinks {
        config,
        templates,
        diags: &mut diags,
        out: &mut objects,
        interner: &mut interner,
        memo: &mut memo,
    };
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut any_override = false;
    templates.render_each(config, |template, overridden, text| {
        any_override |= overridden;
        let n = counts.entry(template).or_default();
        *n += 1;
        parse_docs(template, overridden, text, *n, &mut sink);
    })?;
    if config.create_namespaces && !sink.diags.has_errors() {
        let used: BTreeSet<String> = sink
            .out
            .iter()
            .filter_map(|o| o.namespace().map(str::to_string))
            .collect();
        let used: Vec<String> = used.into_iter().collect();
        match templates.render_namespaces(&used) {
            Ok(r) => {
                any_override |= r.overridden;
                parse_docs(&r.template, r.overridden, &r.text, 1, &mut sink)
            }
            Err(d) => sink.diags.extend(d),
        }
    }
    if diags.has_errors() {
        return Err(diags);
    }
    finish(objects, any_override)
}

/// Where parsed objects go, with what they need.
struct Sinks<'a> {
    config: &'a Config,
    templates: &'a Templates,
    diags: &'a mut Diagnostics,
    out: &'a mut Vec<Manifest>,
    interner: &'a mut Interner,
    memo: &'a mut Memo,
}

/// Parses the documents of `text` (numbered from `first` in messages) into `sink.out`.
fn parse_docs(template: &str, overridden: bool, text: &str, first: usize, sink: &mut Sinks<'_>) {
    // An override for one namespace makes its objects differ by more than the namespace.
    let candidate = Memo::candidate(text).filter(|c| {
        !sink
            .config
            .external
            .as_ref()
            .is_some_and(|e| e.overrides_namespace(&c.namespace))
    });
    if let Some(c) = &candidate {
        if let Some(m) = sink.memo.stamp(c) {
            sink.out.push(m);
            return;
        }
    }
    let (objects_before, errors_before) = (sink.out.len(), sink.diags.items.len());
    parse_docs_fully(template, overridden, text, first, sink);
    if let Some(c) = candidate {
        let one_clean_object =
            sink.out.len() == objects_before + 1 && sink.diags.items.len() == errors_before;
        if one_clean_object {
            sink.memo.remember(c, &sink.out[objects_before]);
        }
    }
}

fn parse_docs_fully(
    template: &str,
    overridden: bool,
    text: &str,
    first: usize,
    sink: &mut Sinks<'_>,
) {
    if let Some(value) = fastyaml::parse(text) {
        if !value.is_null() {
            let at = format!("template {template} (document {first})");
            object_document(value, at, template, overridden, sink);
        }
        return;
    }
    for (i, doc) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let where_ = || format!("template {template} (document {})", first + i);
        let value = match strict::document(doc) {
            Ok(v) => v,
            Err(e) => {
                // serde_yaml gives the position in the rendered text; quoted text is cut
                // (from an override, even between backticks: a duplicate key is rendered).
                let msg = if overridden {
                    let ov = Override {
                        at: where_(),
                        source: sink.templates.override_source(template).unwrap_or(""),
                    };
                    override_text(&e.to_string(), &ov, sink.config)
                } else {
                    redact(&e.to_string())
                };
                sink.diags.push(Diagnostic::error(
                    None,
                    "",
                    format!("{}: the rendered output is not valid YAML: {msg}", where_()),
                ));
                // serde_yaml repeats a syntax error for ever once the stream is broken.
                break;
            }
        };
        if value.is_null() {
            continue;
        }
        object_document(value, where_(), template, overridden, sink);
    }
}

/// Where an object from a `--templates` override comes from, for its messages: they name
/// the template, the document and the kind, never rendered text such as the object's name.
struct Override<'a> {
    /// `template NAME (document N)`.
    at: String,
    /// The template's source: text found in it was written by the user, not rendered.
    source: &'a str,
}

/// One rendered document (`at`: its template and number): the object, finalized, or what is
/// wrong with it.
fn object_document(
    value: serde_json::Value,
    at: String,
    template: &str,
    overridden: bool,
    sink: &mut Sinks<'_>,
) {
    let ov = overridden.then(|| Override {
        at: at.clone(),
        source: sink.templates.override_source(template).unwrap_or(""),
    });
    match parse_object(value, overridden) {
        Ok(o) => finalize(o, sink, ov.as_ref()),
        Err(msg) => {
            let msg = match &ov {
                Some(ov) => override_text(&msg, ov, sink.config),
                None => msg,
            };
            sink.diags
                .push(Diagnostic::error(None, "", format!("{at}: {msg}")))
        }
    }
}

/// A problem of an overridden object, without rendered text: quoted text (`"…"`, `'…'`,
/// `` `…` ``) is shown only when the template's source has it (a field or enum value the
/// user wrote) or it is a field name or enum value of ESO's schema, and never when it
/// overlaps a secret value; a leading `spec.…` path is cut at the first key that is neither.
fn override_text(problem: &str, ov: &Override<'_>, config: &Config) -> String {
    let words = crate::config::crd::schema_words();
    let secrets: Vec<&str> = config
        .agent_env
        .vars
        .values()
        .map(String::as_str)
        .chain(config.gcp_service_account_json.as_deref())
        .filter(|v| !v.is_empty())
        .collect();
    let known = |word: &str| {
        !word.is_empty()
            && (words.contains(word) || contains_word(ov.source, word))
            && !secrets.iter().any(|s| s.contains(word) || word.contains(s))
    };
    let path_known = |text: &str| {
        text.split(['.', '[', ']'])
            .filter(|w| !w.is_empty() && !w.chars().all(|c| c.is_ascii_digit()))
            .all(&known)
    };
    let problem = objects::redact_unless(problem, &['"', '\'', '`'], &path_known);
    let Some((path, rest)) = problem.split_once(": ") else {
        return problem;
    };
    if !path.starts_with("spec") || path.contains(' ') {
        return problem;
    }
    let mut kept = Vec::new();
    for segment in path.split('.') {
        let name = segment.split('[').next().unwrap_or("");
        if name == "spec" || known(name) {
            kept.push(segment);
        } else {
            kept.push("(key not shown)");
            break;
        }
    }
    format!("{}: {rest}", kept.join("."))
}

/// Whether `word` occurs in `text` as a whole word (not inside a longer name).
fn contains_word(text: &str, word: &str) -> bool {
    let is_name = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(is_name) && !after.is_some_and(is_name)
    })
}

/// Labels and annotations, then the checks; a good object is kept as its final YAML.
/// An object from a `--templates` override (`overridden`) is named by its template, document
/// and kind, and its problems go through [`override_text`].
fn finalize(mut o: Object, sink: &mut Sinks<'_>, overridden: Option<&Override<'_>>) {
    if let Object::ExternalSecret(e) = &mut o {
        eso::apply_options(e, sink.config);
    }
    checks::label(&mut o, sink.config);
    if let Object::ExternalSecret(e) = &mut o {
        eso::apply_metadata(e, sink.config);
    }
    let mut problems = checks::check(&o, sink.config);
    let mut refused = false;
    if let Object::ExternalSecret(e) = &o {
        problems.extend(eso::policy(e, sink.config));
        // The webhook sees only what the CRD schema admitted.
        if problems.is_empty() {
            for r in eso::admission(e, sink.config) {
                match r {
                    Ok(d) => {
                        refused = true;
                        eso::push_refusal(sink.diags, d);
                    }
                    Err(problem) => problems.push(problem),
                }
            }
        }
    }
    if problems.is_empty() && !refused {
        sink.out.push(Manifest::new(o, sink.interner));
        return;
    }
    let who = match overridden {
        Some(ov) => format!("{}: {}", ov.at, o.kind()),
        None => o.display_name(),
    };
    for problem in problems {
        let problem = match overridden {
            Some(ov) => override_text(&problem, ov, sink.config),
            None => problem,
        };
        sink.diags.error(None, "", format!("{who}: {problem}"));
    }
}

/// Duplicates, then the output order.
/// With `--templates` overrides, a duplicate is named by its kind only: its name may be
/// rendered text.
fn finish(mut objects: Vec<Manifest>, overridden: bool) -> Result<Manifests, Diagnostics> {
    let mut diags = Diagnostics::default();
    let mut seen = std::collections::HashSet::new();
    for o in &objects {
        if !seen.insert((o.kind(), o.namespace(), o.name())) {
            // From a --templates override, the name is rendered text: the kind only.
            let who = if overridden {
                format!(
                    "a {} from a --templates override (name not shown)",
                    o.kind()
                )
            } else {
                o.display_name()
            };
            diags.error(None, "", format!("{who} is rendered twice"));
        }
    }
    if diags.has_errors() {
        return Err(diags);
    }
    objects.sort_by(|a, b| {
        (a.typed_kind.rank(), a.namespace().unwrap_or(""), a.name()).cmp(&(
            b.typed_kind.rank(),
            b.namespace().unwrap_or(""),
            b.name(),
        ))
    });
    Ok(Manifests { objects })
}

/// The YAML stream rendered from `files` (`-` is `stdin`) and `--set` arguments, for the
/// tests of this module's parts.
#[cfg(test)]
pub(crate) fn test_render_yaml(files: &[&str], sets: &[&str], stdin: &str) -> String {
    test_render(files, sets, stdin).to_yaml()
}

#[cfg(test)]
pub(crate) fn test_render(files: &[&str], sets: &[&str], stdin: &str) -> Manifests {
    use crate::values::{SetArg, SetKind, Sources};
    let req = crate::Request {
        sources: Sources {
            files: files.iter().map(|f| f.to_string()).collect(),
            sets: sets
                .iter()
                .map(|a| SetArg {
                    kind: SetKind::Set,
                    arg: a.to_string(),
                })
                .collect(),
            example: false,
        },
        namespace: crate::DEFAULT_NAMESPACE.to_string(),
        templates: None,
    };
    match crate::render(&req, &mut stdin.as_bytes()) {
        Ok(out) => out.manifests,
        Err(e) => panic!("{e:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `-o json` is written one object at a time, byte for byte what serde_json prints for
    /// the whole List.
    #[test]
    fn streamed_json_is_the_pretty_list() {
        let key = format!("sk-{}", "x".repeat(300)); // a long, shared scalar
        let sets = [
            format!("llm.openaiApiKey={key}"),
            "llm.extraEnv.A=\"q\\nx\"".into(),
        ];
        let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
        for teams in ["[]", "[\"a\", \"b\"]"] {
            let stdin = format!("{{\"namespaces\": {{\"teams\": {teams}}}}}");
            let m = test_render(&["-"], &sets, &stdin);
            let list = serde_json::json!({
                "apiVersion": "v1",
                "items": m.objects.iter().map(Manifest::to_json).collect::<Vec<_>>(),
                "kind": "List",
            });
            let want = serde_json::to_string_pretty(&list).unwrap() + "\n";
            assert_eq!(m.to_json(), want);
        }
        let empty = Manifests::default().to_json();
        let list = serde_json::json!({"apiVersion": "v1", "items": [], "kind": "List"});
        assert_eq!(empty, serde_json::to_string_pretty(&list).unwrap() + "\n");
    }
}
