//! The documentation a user reads: README.md is a front page (at most 300 lines, the two
//! quick-start commands on its first screen), and every relative link of README.md,
//! CONTRIBUTING.md and docs/*.md resolves, files and `#anchors` alike.

use crate::common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::*;

/// The documents whose links are checked.
fn documents() -> Vec<PathBuf> {
    let mut files = vec![root().join("README.md"), root().join("CONTRIBUTING.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
}

/// The lines of `text` outside fenced code blocks.
fn prose(text: &str) -> Vec<&str> {
    let mut fenced = false;
    text.lines()
        .filter(|l| {
            if l.trim_start().starts_with("```") {
                fenced = !fenced;
                return false;
            }
            !fenced
        })
        .collect()
}

/// The anchors GitHub gives the headings of a Markdown text: lower case, punctuation
/// dropped, spaces as `-`, `-1`, `-2`... for repeats.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    for line in prose(text) {
        let Some(title) = line.strip_prefix('#').map(|t| t.trim_start_matches('#')) else {
            continue;
        };
        if !title.starts_with(' ') {
            continue;
        }
        let base: String = title
            .trim()
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        let mut anchor = base.clone();
        let mut n = 0;
        while seen.contains(&anchor) {
            n += 1;
            anchor = format!("{base}-{n}");
        }
        seen.insert(anchor);
    }
    seen
}

/// Every `[text](target)` link target of a Markdown text, outside code.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in prose(text) {
        let mut rest = line;
        while let Some(i) = rest.find("](") {
            rest = &rest[i + 2..];
            if let Some(end) = rest.find(')') {
                out.push(rest[..end].to_string());
                rest = &rest[end..];
            }
        }
    }
    out
}

#[test]
fn every_relative_link_resolves() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        for target in links(&text) {
            if target.starts_with("http://")
                || target.starts_with("https://")
                || target.starts_with("mailto:")
            {
                continue;
            }
            checked += 1;
            let (path, anchor) = match target.split_once('#') {
                Some((p, a)) => (p, Some(a)),
                None => (target.as_str(), None),
            };
            let file = if path.is_empty() {
                doc.clone()
            } else {
                doc.parent().unwrap().join(path)
            };
            let shown = format!(
                "{}: ({target})",
                doc.strip_prefix(root()).unwrap().display()
            );
            if !file.exists() {
                broken.push(format!("{shown}: no such file"));
                continue;
            }
            if let Some(anchor) = anchor {
                let in_file = std::fs::read_to_string(&file).unwrap_or_default();
                if !anchors(&in_file).contains(anchor) {
                    broken.push(format!("{shown}: no heading with that anchor"));
                }
            }
        }
    }
    assert!(checked > 50, "only {checked} links found");
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

/// The checker above can fail: a missing file and a missing anchor are both found.
#[test]
fn the_link_check_finds_broken_links() {
    let text = "# Title\n\n## Sub part\n\n[a](#sub-part) [b](#nope) [c](missing.md)\n```\n[d](inside-code.md)\n```\n";
    assert_eq!(links(text), ["#sub-part", "#nope", "missing.md"]);
    let a = anchors(text);
    assert!(a.contains("sub-part") && a.contains("title") && !a.contains("nope"));
    assert!(anchors("## `recif-secrets diff`\n").contains("recif-secrets-diff"));
    assert!(!Path::new(&root().join("docs/missing.md")).exists());
}

#[test]
fn the_readme_is_a_front_page() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let lines = readme.lines().count();
    assert!(lines <= 300, "README.md has {lines} lines");
    // The first screen: the two commands of a fresh clone, with cargo's progress visible and
    // the first build's duration said.
    let first: String = readme.lines().take(40).collect::<Vec<_>>().join("\n");
    assert!(first.contains("cargo run -- render --example"), "{first}");
    assert!(
        first.contains("bash scripts/fetch-tools.sh && CI=true cargo test"),
        "{first}"
    );
    assert!(!first.contains("cargo run -q"), "-q hides the first build");
    assert!(
        first.contains("minutes"),
        "say how long the first build takes"
    );
    assert!(readme.contains("cargo install --locked"));
    for section in [
        "## Quick start",
        "## Install",
        "### Inline",
        "### External Secrets",
        "### Workload Identity",
        "## Commands",
        "## Exit codes",
        "## Security",
        "## Documentation",
    ] {
        assert!(readme.contains(section), "{section}");
    }
}

/// The CI recipe pins what exists: the repository has no release tags, so no `--tag` or
/// version, but a commit placeholder that says what to put.
#[test]
#[cfg_attr(no_git, ignore = "needs git")]
fn the_ci_recipe_pins_a_commit_not_a_tag() {
    let recipe =
        std::fs::read_to_string(root().join("examples/gitops/ci/render-and-check.yml")).unwrap();
    assert!(!recipe.contains("--tag"), "{recipe}");
    assert!(!recipe.contains("v0.1.0"), "{recipe}");
    assert!(recipe.contains("--rev \"$RECIF_SECRETS_REV\""), "{recipe}");
    assert!(
        recipe.contains("RECIF_SECRETS_REV: \"\"") && recipe.contains("EDIT"),
        "{recipe}"
    );
    let tags = git(&root(), &["tag", "--list"]);
    if tags.status.success() {
        assert!(
            stdout(&tags).trim().is_empty() || recipe.contains("commit"),
            "tags exist now: the recipe may pin one"
        );
    }
}

/// The names the templates see (docs/templates.md), by object: a field added to
/// `config::Config` without `#[serde(skip)]`, or one renamed, changes what users'
/// `--templates` overrides see and fails here; each name is in the documented context.
const CONTEXT: &[(&str, &[&str])] = &[
    (
        "",
        &[
            "agentEnvData",
            "external",
            "gcpSecrets",
            "gcpServiceAccountJsonBase64",
            "platformNamespace",
            "storeNamespaces",
            "teamNamespaces",
            "workloadIdentity",
        ],
    ),
    (
        "external",
        &[
            "apiVersion",
            "keys",
            "refreshInterval",
            "specPatches",
            "store",
            "storeKind",
            "storeName",
        ],
    ),
    (
        "external.keys",
        &[
            "agentEnv",
            "gcpServiceAccount",
            "gcpServiceAccountDecodingStrategy",
            "gcpServiceAccountProperty",
            "gcpServiceAccountVersion",
        ],
    ),
    ("external.store", &["backend", "provider"]),
    ("gcpSecrets[]", &["name", "namespace"]),
    (
        "workloadIdentity",
        &["annotations", "bindings", "serviceAccounts"],
    ),
    ("workloadIdentity.serviceAccounts[]", &["name", "namespace"]),
];

/// Every object of `value` with its path (`a.b`, `a[]` for a list's items), except the maps
/// whose keys are data (variable names, annotations, patches, a backend's block) and the
/// bindings (computed objects, read by templates/bindings.yaml).
fn objects<'a>(path: &str, value: &'a serde_json::Value, out: &mut Vec<(String, Vec<&'a str>)>) {
    const DATA: &[&str] = &[
        "agentEnvData",
        "external.specPatches",
        "external.store.provider",
        "workloadIdentity.annotations",
        "workloadIdentity.bindings",
    ];
    if DATA.contains(&path) {
        return;
    }
    match value {
        serde_json::Value::Object(map) => {
            out.push((path.to_string(), map.keys().map(String::as_str).collect()));
            for (k, v) in map {
                let sub = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                objects(&sub, v, out);
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                objects(&format!("{path}[]"), item, out);
            }
        }
        _ => {}
    }
}

#[test]
fn the_template_context_is_the_documented_one() {
    use recif_secrets::{config, values};
    let cases = [
        "secrets:\n  provider: external\n  external:\n    storeName: s\n    storeKind: SecretStore\n    keys: {agentEnv: a, gcpServiceAccount: g}\n    store: {gcpsm: {projectID: p}}\n",
        "llm:\n  openaiApiKey: sk-example\n  gcp: {serviceAccountKeyBase64: eyJ0eXBlIjoiZXh0ZXJuYWxfYWNjb3VudCJ9}\n",
        &std::fs::read_to_string(root().join("examples/workload-identity-bindings-gke.yaml")).unwrap(),
    ];
    let mut seen: Vec<(String, Vec<String>)> = Vec::new();
    for text in cases {
        let user = values::yaml::load(text, &std::sync::Arc::from("v.yaml")).unwrap();
        let (c, d) = config::build(&values::coalesce(user, values::defaults()), "recif-system");
        let c = c.unwrap_or_else(|| panic!("{d:?}"));
        let json = serde_json::to_value(&c).unwrap();
        let mut found = Vec::new();
        objects("", &json, &mut found);
        for (path, keys) in found {
            let keys: Vec<String> = keys.into_iter().map(String::from).collect();
            match seen.iter().find(|(p, _)| *p == path) {
                Some((_, k)) => assert_eq!(*k, keys, "{path}"),
                None => seen.push((path, keys)),
            }
        }
    }
    seen.sort();
    let mut expected: Vec<(String, Vec<String>)> = CONTEXT
        .iter()
        .map(|(p, k)| (p.to_string(), k.iter().map(|s| s.to_string()).collect()))
        .collect();
    expected.sort();
    assert_eq!(seen, expected, "the template context changed");
    let doc = std::fs::read_to_string(root().join("docs/templates.md")).unwrap();
    let context = &doc[doc
        .find("The context")
        .expect("docs/templates.md: The context")..];
    let documented: BTreeSet<&str> = context
        .split('`')
        .skip(1)
        .step_by(2)
        .flat_map(|code| code.split(|c: char| !c.is_ascii_alphanumeric()))
        .collect();
    for (path, keys) in CONTEXT {
        for key in *keys {
            assert!(
                documented.contains(key),
                "{path}.{key} is not in docs/templates.md's context"
            );
        }
    }
}
