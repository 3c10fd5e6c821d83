//! The External Secrets Operator's own schemas, extracted from its CRDs by
//! `scripts/extract-store-schemas.py` into `src/manifests/store-schemas.json` (every API
//! version, every provider, the ExternalSecret `spec`), and the checker that holds values
//! and rendered objects to them, strictly: an unknown field is an error that names the
//! nearest allowed one; enums, required fields, lengths, patterns, `format: byte`, integer
//! formats and minimums, property and item counts, and the CRDs' CEL validation rules are
//! checked. A schema keyword the checker does not implement is refused, never passed over.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use base64::Engine as _;
use serde_json::{Map, Value as J};

use super::names;
use crate::diag::Diagnostics;
use crate::values::{Node, Value};

const SCHEMAS_JSON: &str = include_str!("../../manifests/store-schemas.json");

/// The API group of every ESO object.
pub const GROUP: &str = "external-secrets.io";

fn doc() -> &'static J {
    static S: OnceLock<J> = OnceLock::new();
    S.get_or_init(|| serde_json::from_str(SCHEMAS_JSON).expect("store-schemas.json is JSON"))
}

/// Follows a `{"$ref": id}` into the shared sub-schemas.
fn resolve(s: &J) -> &J {
    match s.get("$ref").and_then(J::as_str) {
        Some(id) => resolve(&doc()["defs"][id]),
        None => s,
    }
}

fn version(api_version: &str) -> Option<&'static J> {
    let v = api_version.strip_prefix(GROUP)?.strip_prefix('/')?;
    doc()["versions"].get(v)
}

/// The API versions the CRDs define, `external-secrets.io/<v>`, newest first.
pub fn api_versions() -> Vec<String> {
    let mut v: Vec<String> = doc()["versions"]
        .as_object()
        .expect("versions")
        .keys()
        .map(|v| format!("{GROUP}/{v}"))
        .collect();
    // v1 before v1beta1: the stable version first.
    v.sort_by_key(|s| (s.contains("beta") || s.contains("alpha"), s.clone()));
    v
}

/// Whether the CRDs serve this version (`served: false` versions are refused by the API
/// server of a cluster running that ESO release).
pub fn served(api_version: &str) -> bool {
    version(api_version).is_some_and(|v| v["served"] == J::Bool(true))
}

/// Every field name and enum value of ESO's schemas (public words, which a message about a
/// template override may quote).
pub fn schema_words() -> &'static std::collections::HashSet<&'static str> {
    fn walk(s: &'static J, out: &mut std::collections::HashSet<&'static str>) {
        match s {
            J::Object(m) => {
                if let Some(props) = m.get("properties").and_then(J::as_object) {
                    out.extend(props.keys().map(String::as_str));
                }
                if let Some(values) = m.get("enum").and_then(J::as_array) {
                    out.extend(values.iter().filter_map(J::as_str));
                }
                m.values().for_each(|v| walk(v, out));
            }
            J::Array(a) => a.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    static WORDS: OnceLock<std::collections::HashSet<&'static str>> = OnceLock::new();
    WORDS.get_or_init(|| {
        let mut out = std::collections::HashSet::new();
        walk(doc(), &mut out);
        out
    })
}

/// The `spec` schema of `kind` (ExternalSecret, SecretStore, ClusterSecretStore).
pub fn spec_schema(api_version: &str, kind: &str) -> Option<&'static J> {
    version(api_version)?.get(kind).map(resolve)
}

/// The providers (`spec.provider.<name>`) of a store of this version, sorted.
pub fn providers(api_version: &str) -> Vec<&'static str> {
    spec_schema(api_version, "SecretStore")
        .map(|s| resolve(&s["properties"]["provider"]))
        .and_then(|p| p["properties"].as_object())
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

/// Every provider of any version, sorted and without repeats.
pub fn all_providers() -> Vec<&'static str> {
    let mut all: Vec<&str> = api_versions().iter().flat_map(|v| providers(v)).collect();
    all.sort_unstable();
    all.dedup();
    all
}

/// The schema of `spec.provider.<backend>` for `api_version`.
pub fn provider_schema(api_version: &str, backend: &str) -> Option<&'static J> {
    let store = spec_schema(api_version, "SecretStore")?;
    resolve(&store["properties"]["provider"])["properties"]
        .get(backend)
        .map(resolve)
}

/// Merges `patch` into `base` as the ExternalSecret options do: maps merge key by key; a
/// list or scalar given replaces ours.
pub fn merge(base: &mut J, patch: &J) {
    match (base, patch) {
        (J::Object(b), J::Object(p)) => {
            for (k, v) in p {
                match b.get_mut(k) {
                    Some(slot) => merge(slot, v),
                    None => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (slot, v) => *slot = v.clone(),
    }
}

/// How strictly a check reads its input.
#[derive(Clone, Debug, Default)]
pub struct Mode {
    /// Values (Helm-like): a number or boolean where a string is expected becomes its text.
    /// Rendered objects: it is an error, as for the API server.
    pub exact_scalars: bool,
    /// Paths of maps that are merged into ours (a partial spec): their required fields may
    /// come from ours, so they are not required here.
    pub partial: Vec<String>,
}

/// Checks `node` (at key path `path`) against `schema`; returns it as JSON with scalars
/// converted, or `None` after reporting every problem.
pub fn check(
    schema: &J,
    node: &Node,
    path: &str,
    mode: &Mode,
    diags: &mut Diagnostics,
) -> Option<J> {
    let before = diags.items.len();
    let out = walk(schema, node, path, mode, diags);
    if diags.items[before..].iter().any(|d| d.is_error()) {
        None
    } else {
        out
    }
}

/// Checks a rendered JSON value; the problems as `path: message` lines.
pub fn check_json(schema: &J, value: &J, path: &str) -> Vec<String> {
    let node = Node::from_json(value, crate::values::Origin::Default);
    let mut diags = Diagnostics::default();
    let mode = Mode {
        exact_scalars: true,
        partial: Vec::new(),
    };
    walk(schema, &node, path, &mode, &mut diags);
    diags
        .items
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{}: {}", d.path, d.message))
        .collect()
}

/// The schema keywords the checker implements. `default` is applied by the API server and
/// changes nothing to what is valid; `x-kubernetes-map-type` only tells server-side apply
/// how to merge. Any other keyword is refused where it occurs.
pub const KEYWORDS: &[&str] = &[
    "type",
    "properties",
    "additionalProperties",
    "required",
    "items",
    "enum",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "minimum",
    "maximum",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
    "default",
    "anyOf",
    "x-kubernetes-int-or-string",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-map-type",
    "x-kubernetes-list-type",
    "x-kubernetes-validations",
];

fn types(schema: &J) -> Vec<&str> {
    match schema.get("type") {
        Some(J::String(t)) => vec![t.as_str()],
        Some(J::Array(ts)) => ts.iter().filter_map(J::as_str).collect(),
        _ if schema.get("properties").is_some() => vec!["object"],
        _ => vec![],
    }
}

/// What the checker cannot check in this schema node, if anything.
fn unsupported(schema: &J) -> Option<String> {
    let m = schema.as_object()?;
    if let Some(k) = m.keys().find(|k| !KEYWORDS.contains(&k.as_str())) {
        return Some(format!("the schema keyword `{k}`"));
    }
    if let Some(f) = m.get("format").and_then(J::as_str) {
        if !["byte", "int32", "int64"].contains(&f) {
            return Some(format!("the format `{f}`"));
        }
    }
    if let Some(t) = m.get("x-kubernetes-list-type").and_then(J::as_str) {
        if t != "atomic" {
            return Some(format!("the list type `{t}`"));
        }
    }
    if m.contains_key("anyOf") && m.get("x-kubernetes-int-or-string") != Some(&J::Bool(true)) {
        return Some("`anyOf` other than int-or-string".to_string());
    }
    for rule in m
        .get("x-kubernetes-validations")
        .and_then(J::as_array)
        .into_iter()
        .flatten()
    {
        let text = rule["rule"].as_str().unwrap_or("");
        if cel::parse(text).is_none() {
            return Some(format!("the validation rule `{text}`"));
        }
    }
    None
}

fn walk(schema: &J, node: &Node, path: &str, mode: &Mode, diags: &mut Diagnostics) -> Option<J> {
    let schema = resolve(schema);
    let err =
        |diags: &mut Diagnostics, msg: String| diags.error(Some(node.origin.clone()), path, msg);
    if let Some(what) = unsupported(schema) {
        err(
            diags,
            format!("ESO's schema here uses {what}, which recif-secrets cannot check; refused rather than passed unchecked"),
        );
        return None;
    }
    if schema.get("x-kubernetes-int-or-string") == Some(&J::Bool(true)) {
        return match &node.value {
            Value::Int(i) => Some(J::from(*i)),
            Value::Str(s) => Some(J::String(s.clone())),
            _ => {
                err(
                    diags,
                    format!(
                        "expected an integer or a string, found a {}",
                        node.type_name()
                    ),
                );
                None
            }
        };
    }
    let ty = types(schema);
    let first = ty.first().copied().unwrap_or("");
    match first {
        "object" => walk_object(schema, node, path, mode, diags),
        "array" => {
            let Value::Seq(items) = &node.value else {
                err(
                    diags,
                    format!("expected a list, found a {}", node.type_name()),
                );
                return None;
            };
            for msg in out_of_bounds(
                schema,
                ["minItems", "maxItems"],
                items.len() as i64,
                |min| format!("must have at least {min} items"),
                |max| format!("must have at most {max} items"),
            ) {
                err(diags, msg);
            }
            let empty = J::Object(Map::new());
            let item_schema = schema.get("items").unwrap_or(&empty);
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                if let Some(j) = walk(item_schema, item, &format!("{path}[{i}]"), mode, diags) {
                    out.push(j);
                }
            }
            Some(J::Array(out))
        }
        "string" => {
            let text = match &node.value {
                Value::Str(s) => Some(s.clone()),
                _ if mode.exact_scalars => None,
                _ => node.scalar_text(),
            };
            let Some(text) = text else {
                err(
                    diags,
                    format!("expected a string, found a {}", node.type_name()),
                );
                return None;
            };
            if let Some(allowed) = schema.get("enum").and_then(J::as_array) {
                if !allowed.iter().any(|a| a.as_str() == Some(&text)) {
                    let list: Vec<&str> = allowed.iter().filter_map(J::as_str).collect();
                    let hint = names::nearest(&text, &list)
                        .map(|n| format!("did you mean `{n}`? "))
                        .unwrap_or_default();
                    err(
                        diags,
                        format!(
                            "{text:?} is not allowed; {hint}expected one of: {}",
                            list.join(", ")
                        ),
                    );
                    return None;
                }
            }
            for msg in out_of_bounds(
                schema,
                ["minLength", "maxLength"],
                text.chars().count() as i64,
                |min| format!("must be at least {min} characters long"),
                |max| format!("must be at most {max} characters long"),
            ) {
                err(diags, msg);
            }
            if let Some(p) = schema.get("pattern").and_then(J::as_str) {
                match pattern_problem(p, &text) {
                    Pattern::Matches => {}
                    Pattern::Fails(why) => err(diags, why.to_string()),
                    Pattern::Unknown => err(
                        diags,
                        format!("ESO's schema here uses the pattern `{p}`, which recif-secrets cannot check; refused rather than passed unchecked"),
                    ),
                }
            }
            if schema.get("format").and_then(J::as_str) == Some("byte")
                && base64::engine::general_purpose::STANDARD
                    .decode(text.as_bytes())
                    .is_err()
            {
                err(diags, "must be base64".to_string());
            }
            Some(J::String(text))
        }
        "integer" => match &node.value {
            Value::Int(i) => {
                let i = *i;
                let (lo, hi) = match schema.get("format").and_then(J::as_str) {
                    Some("int32") => (i64::from(i32::MIN), i64::from(i32::MAX)),
                    _ => (i64::MIN, i64::MAX),
                };
                if i < lo || i > hi {
                    err(diags, "is out of range for a 32-bit integer".to_string());
                }
                for msg in out_of_bounds(
                    schema,
                    ["minimum", "maximum"],
                    i,
                    |min| format!("must be at least {min}"),
                    |max| format!("must be at most {max}"),
                ) {
                    err(diags, msg);
                }
                Some(J::from(i))
            }
            _ => {
                err(
                    diags,
                    format!("expected an integer, found a {}", node.type_name()),
                );
                None
            }
        },
        "boolean" => match &node.value {
            Value::Bool(b) => Some(J::Bool(*b)),
            _ => {
                err(
                    diags,
                    format!("expected true or false, found a {}", node.type_name()),
                );
                None
            }
        },
        "" if schema.get("x-kubernetes-preserve-unknown-fields") == Some(&J::Bool(true)) => {
            Some(node.to_json())
        }
        other => {
            err(
                diags,
                format!("ESO's schema here uses the type `{other}`, which recif-secrets cannot check; refused rather than passed unchecked"),
            );
            None
        }
    }
}

/// The problems of a measure `n` (a count, a length, a value) against the lower and upper
/// bound keywords `keys` of `schema` (`minItems`/`maxItems`, `minLength`/`maxLength`,
/// `minimum`/`maximum`), each phrased from its bound.
fn out_of_bounds(
    schema: &J,
    keys: [&str; 2],
    n: i64,
    too_small: impl Fn(i64) -> String,
    too_large: impl Fn(i64) -> String,
) -> Vec<String> {
    let bound = |k: &str| schema.get(k).and_then(J::as_i64);
    let mut out = Vec::new();
    if let Some(min) = bound(keys[0]).filter(|min| n < *min) {
        out.push(too_small(min));
    }
    if let Some(max) = bound(keys[1]).filter(|max| n > *max) {
        out.push(too_large(max));
    }
    out
}

fn walk_object(
    schema: &J,
    node: &Node,
    path: &str,
    mode: &Mode,
    diags: &mut Diagnostics,
) -> Option<J> {
    let Value::Map(map) = &node.value else {
        diags.error(
            Some(node.origin.clone()),
            path,
            format!("expected a map, found a {}", node.type_name()),
        );
        return None;
    };
    let props = schema.get("properties").and_then(J::as_object);
    let additional = schema.get("additionalProperties").filter(|a| a.is_object());
    let preserve = schema.get("x-kubernetes-preserve-unknown-fields") == Some(&J::Bool(true));
    let mut out = Map::new();
    let mut present: Vec<&str> = Vec::new();
    for (k, v) in map {
        if v.is_null() {
            continue;
        }
        present.push(k);
        let child_path = format!("{path}.{k}");
        let child_schema = props.and_then(|p| p.get(k)).or(additional);
        match child_schema {
            Some(s) => {
                if let Some(j) = walk(s, v, &child_path, mode, diags) {
                    out.insert(k.clone(), j);
                }
            }
            None if preserve => {
                out.insert(k.clone(), v.to_json());
            }
            None => {
                let allowed: Vec<&str> = props
                    .map(|p| p.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                let hint = names::nearest(k, &allowed)
                    .map(|n| format!("did you mean `{n}`? "))
                    .unwrap_or_default();
                let list = if allowed.is_empty() {
                    "no field is allowed here".to_string()
                } else {
                    format!("allowed here: {}", allowed.join(", "))
                };
                diags.error(
                    Some(v.origin.clone()),
                    child_path,
                    format!("unknown field; {hint}{list}"),
                );
            }
        }
    }
    let err = |diags: &mut Diagnostics, msg: String| {
        diags.error(Some(node.origin.clone()), path, msg);
    };
    if !mode.partial.iter().any(|p| p == path) {
        for req in schema
            .get("required")
            .and_then(J::as_array)
            .into_iter()
            .flatten()
            .filter_map(J::as_str)
        {
            if !present.contains(&req) {
                err(diags, format!("the field `{req}` is required"));
            }
        }
    }
    let n = present.len() as u64;
    if let Some(max) = schema.get("maxProperties").and_then(J::as_u64) {
        if n > max {
            let names = present.join(", ");
            err(
                diags,
                if max == 1 {
                    format!("sets {names}; set only one of them")
                } else {
                    format!("sets {n} fields ({names}); at most {max} are allowed")
                },
            );
        }
    }
    if let Some(min) = schema.get("minProperties").and_then(J::as_u64) {
        if n < min {
            let allowed: Vec<&str> = props
                .map(|p| p.keys().map(String::as_str).collect())
                .unwrap_or_default();
            err(
                diags,
                format!(
                    "must set at least {min} of: {}",
                    if allowed.is_empty() {
                        "its fields".to_string()
                    } else {
                        allowed.join(", ")
                    }
                ),
            );
        }
    }
    for rule in schema
        .get("x-kubernetes-validations")
        .and_then(J::as_array)
        .into_iter()
        .flatten()
    {
        let text = rule["rule"].as_str().unwrap_or("");
        let expr = cel::parse(text).expect("checked by unsupported()");
        if !expr.holds(&present) {
            let message = rule["message"].as_str().unwrap_or(text);
            err(diags, message.to_string());
        }
    }
    Some(J::Object(out))
}

/// The patterns that occur in ESO's schemas, as named checks (a unit test makes sure every
/// pattern of the embedded schemas is known). A pattern not listed is refused.
pub fn pattern_problem(pattern: &str, s: &str) -> Pattern {
    match PATTERNS.iter().find(|p| p.regex == pattern) {
        None => Pattern::Unknown,
        Some(p) if (p.check)(s) => Pattern::Matches,
        Some(p) => Pattern::Fails(p.why),
    }
}

/// What a pattern check found.
#[derive(Debug, PartialEq, Eq)]
pub enum Pattern {
    Matches,
    /// Why the text does not match, in words.
    Fails(&'static str),
    /// Not one of [`PATTERNS`].
    Unknown,
}

pub struct NamedPattern {
    pub regex: &'static str,
    pub why: &'static str,
    pub check: fn(&str) -> bool,
}

fn lower_alnum_dash(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'
}

fn dns_label(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(lower_alnum_dash) && !s.starts_with('-') && !s.ends_with('-')
}

fn cron(s: &str) -> bool {
    if let Some(m) = s.strip_prefix('@') {
        if let Some(rest) = m.strip_prefix("every ") {
            return rest.chars().next().is_some_and(|c| !c.is_whitespace());
        }
        return [
            "annually", "yearly", "monthly", "weekly", "daily", "midnight", "hourly",
        ]
        .contains(&m);
    }
    let fields: Vec<&str> = s.split(' ').collect();
    // `[^\s]+( [^\s]+){4}` anchored: five fields separated by single spaces.
    fields.len() == 5
        && fields
            .iter()
            .all(|f| !f.is_empty() && !f.chars().any(char::is_whitespace))
}

pub const PATTERNS: &[NamedPattern] = &[
    NamedPattern {
        regex: r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
        why: "must be a DNS subdomain name (lower-case letters, digits, '-', '.')",
        check: |s| s.split('.').all(dns_label),
    },
    NamedPattern {
        regex: r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
        why: "must be a DNS label (lower-case letters, digits, '-')",
        check: dns_label,
    },
    NamedPattern {
        regex: r"^[-._a-zA-Z0-9]+$",
        why: "must be a Secret key (letters, digits, '-', '_', '.')",
        check: |s| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
        },
    },
    NamedPattern {
        regex: r"^[a-z0-9-]+$",
        why: "must be lower-case letters, digits and '-'",
        check: |s| !s.is_empty() && s.bytes().all(lower_alnum_dash),
    },
    NamedPattern {
        regex: r"^.*@.*\.iam\.gserviceaccount\.com$",
        why: "must be a Google service-account email (…@….iam.gserviceaccount.com)",
        check: |s| {
            !s.contains('\n')
                && s.split_once('@').is_some_and(|(_, d)| {
                    d.len() > ".iam.gserviceaccount.com".len()
                        && d.ends_with(".iam.gserviceaccount.com")
                })
        },
    },
    NamedPattern {
        regex: r"^(@(annually|yearly|monthly|weekly|daily|midnight|hourly)|@every [^\s]+.*|[^\s]+( [^\s]+){4})$",
        why: "must be a cron schedule (five fields, @daily..., or @every <duration>)",
        check: cron,
    },
];

/// The subset of CEL that ESO's CRDs use in `x-kubernetes-validations`: presence of fields
/// (`has(self.f)`, `'k' in self`), `!`, `&&`, `||`, `==`/`!=`/`<`/`<=`/`>`/`>=` between
/// booleans or counts, and `[...].filter(x, x == true).size()`. Anything else does not parse
/// and is refused where it occurs.
pub mod cel {
    #[derive(Debug, Clone, PartialEq)]
    pub enum Expr {
        Has(String),
        Bool(bool),
        Int(i64),
        Not(Box<Expr>),
        And(Box<Expr>, Box<Expr>),
        Or(Box<Expr>, Box<Expr>),
        Cmp(Box<Expr>, &'static str, Box<Expr>),
        /// `[a, b].filter(x, x == true).size()`
        CountTrue(Vec<Expr>),
    }

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum V {
        B(bool),
        I(i64),
    }

    impl Expr {
        /// Whether the rule holds for an object with these (non-null) fields.
        pub fn holds(&self, present: &[&str]) -> bool {
            matches!(self.eval(present), Some(V::B(true)))
        }

        fn eval(&self, present: &[&str]) -> Option<V> {
            Some(match self {
                Expr::Has(f) => V::B(present.contains(&f.as_str())),
                Expr::Bool(b) => V::B(*b),
                Expr::Int(i) => V::I(*i),
                Expr::Not(e) => match e.eval(present)? {
                    V::B(b) => V::B(!b),
                    V::I(_) => return None,
                },
                Expr::And(a, b) => V::B(a.holds(present) && b.holds(present)),
                Expr::Or(a, b) => V::B(a.holds(present) || b.holds(present)),
                Expr::CountTrue(items) => {
                    V::I(items.iter().filter(|e| e.holds(present)).count() as i64)
                }
                Expr::Cmp(a, op, b) => {
                    let (a, b) = (a.eval(present)?, b.eval(present)?);
                    let ord = match (a, b) {
                        (V::I(x), V::I(y)) => x.cmp(&y),
                        (V::B(x), V::B(y)) => x.cmp(&y),
                        _ => return None,
                    };
                    use std::cmp::Ordering::*;
                    V::B(match *op {
                        "==" => ord == Equal,
                        "!=" => ord != Equal,
                        "<" => ord == Less,
                        "<=" => ord != Greater,
                        ">" => ord == Greater,
                        _ => ord != Less,
                    })
                }
            })
        }
    }

    /// Parses a rule; `None` when it is outside the subset.
    pub fn parse(text: &str) -> Option<Expr> {
        let mut p = Parser {
            s: text.as_bytes(),
            i: 0,
        };
        let e = p.or()?;
        p.ws();
        (p.i == p.s.len()).then_some(e)
    }

    struct Parser<'a> {
        s: &'a [u8],
        i: usize,
    }

    impl Parser<'_> {
        fn ws(&mut self) {
            while self.s.get(self.i).is_some_and(u8::is_ascii_whitespace) {
                self.i += 1;
            }
        }

        fn eat(&mut self, tok: &str) -> bool {
            self.ws();
            if self.s[self.i..].starts_with(tok.as_bytes()) {
                self.i += tok.len();
                true
            } else {
                false
            }
        }

        fn ident(&mut self) -> Option<String> {
            self.ws();
            let start = self.i;
            while self
                .s
                .get(self.i)
                .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
            {
                self.i += 1;
            }
            (self.i > start).then(|| String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
        }

        fn or(&mut self) -> Option<Expr> {
            let mut e = self.and()?;
            while self.eat("||") {
                e = Expr::Or(Box::new(e), Box::new(self.and()?));
            }
            Some(e)
        }

        fn and(&mut self) -> Option<Expr> {
            let mut e = self.cmp()?;
            while self.eat("&&") {
                e = Expr::And(Box::new(e), Box::new(self.cmp()?));
            }
            Some(e)
        }

        fn cmp(&mut self) -> Option<Expr> {
            let a = self.unary()?;
            for op in ["==", "!=", "<=", ">=", "<", ">"] {
                if self.eat(op) {
                    let b = self.unary()?;
                    return Some(Expr::Cmp(Box::new(a), op, Box::new(b)));
                }
            }
            Some(a)
        }

        fn unary(&mut self) -> Option<Expr> {
            if self.eat("!") {
                return Some(Expr::Not(Box::new(self.unary()?)));
            }
            self.primary()
        }

        fn primary(&mut self) -> Option<Expr> {
            if self.eat("(") {
                let e = self.or()?;
                return self.eat(")").then_some(e);
            }
            if self.eat("has(") {
                if !self.eat("self.") {
                    return None;
                }
                let f = self.ident()?;
                return self.eat(")").then_some(Expr::Has(f));
            }
            if self.eat("[") {
                let mut items = vec![self.or()?];
                while self.eat(",") {
                    items.push(self.or()?);
                }
                if !self.eat("]") {
                    return None;
                }
                let filter = self.eat(".filter(")
                    && self.ident()? == "x"
                    && self.eat(",")
                    && self.ident()? == "x"
                    && self.eat("==")
                    && self.eat("true")
                    && self.eat(")")
                    && self.eat(".size()");
                return filter.then_some(Expr::CountTrue(items));
            }
            if self.eat("'") {
                let start = self.i;
                while self.s.get(self.i).is_some_and(|b| *b != b'\'') {
                    self.i += 1;
                }
                let key = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
                self.i += 1;
                return (self.eat("in") && self.eat("self")).then_some(Expr::Has(key));
            }
            if self.eat("true") {
                return Some(Expr::Bool(true));
            }
            if self.eat("false") {
                return Some(Expr::Bool(false));
            }
            self.ws();
            let start = self.i;
            while self.s.get(self.i).is_some_and(u8::is_ascii_digit) {
                self.i += 1;
            }
            std::str::from_utf8(&self.s[start..self.i])
                .ok()?
                .parse()
                .ok()
                .map(Expr::Int)
        }
    }
}

/// Every sub-schema node of the embedded document, for the tests and the JSON Schema.
pub fn schema_nodes() -> Vec<&'static J> {
    fn visit<'a>(s: &'a J, out: &mut Vec<&'a J>) {
        if let J::Object(m) = s {
            if m.contains_key("$ref") {
                return;
            }
            out.push(s);
            for (k, v) in m {
                match k.as_str() {
                    "properties" => v
                        .as_object()
                        .into_iter()
                        .flat_map(|p| p.values())
                        .for_each(|x| visit(x, out)),
                    "items" | "additionalProperties" => visit(v, out),
                    "anyOf" => v
                        .as_array()
                        .into_iter()
                        .flatten()
                        .for_each(|x| visit(x, out)),
                    _ => {}
                }
            }
        }
    }
    let mut out = Vec::new();
    for d in doc()["defs"].as_object().expect("defs").values() {
        visit(d, &mut out);
    }
    for v in doc()["versions"].as_object().expect("versions").values() {
        for kind in ["SecretStore", "ClusterSecretStore", "ExternalSecret"] {
            visit(&v[kind], &mut out);
        }
    }
    out
}

/// A schema with every `$ref` replaced by what it stands for, for the JSON Schema of the
/// values.
pub fn expanded(schema: &J) -> J {
    match resolve(schema) {
        J::Object(m) => J::Object(
            m.iter()
                .map(|(k, v)| {
                    let v = match k.as_str() {
                        "properties" => J::Object(
                            v.as_object()
                                .into_iter()
                                .flatten()
                                .map(|(p, x)| (p.clone(), expanded(x)))
                                .collect(),
                        ),
                        "items" | "additionalProperties" if v.is_object() => expanded(v),
                        "anyOf" => {
                            J::Array(v.as_array().into_iter().flatten().map(expanded).collect())
                        }
                        _ => v.clone(),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The number of top-level providers per version, for messages and the README.
pub fn provider_counts() -> BTreeMap<String, usize> {
    api_versions()
        .into_iter()
        .map(|v| {
            let n = providers(&v).len();
            (v, n)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_checked_on_both_sides() {
        let schema = serde_json::json!({"minItems": 1, "maxItems": 2});
        let said = |n| {
            out_of_bounds(
                &schema,
                ["minItems", "maxItems"],
                n,
                |m| format!("at least {m}"),
                |m| format!("at most {m}"),
            )
        };
        assert_eq!(said(0), ["at least 1"]);
        assert!(said(1).is_empty() && said(2).is_empty());
        assert_eq!(said(3), ["at most 2"]);
        let none = out_of_bounds(
            &serde_json::json!({}),
            ["a", "b"],
            9,
            |_| String::new(),
            |_| String::new(),
        );
        assert!(none.is_empty());
    }
    use crate::values::yaml;
    use std::sync::Arc;

    #[test]
    fn every_schema_keyword_pattern_and_rule_is_implemented() {
        let nodes = schema_nodes();
        assert!(nodes.len() > 500, "{}", nodes.len());
        let mut rules = 0;
        for s in nodes {
            assert_eq!(unsupported(s), None, "{s}");
            if let Some(p) = s.get("pattern").and_then(J::as_str) {
                assert_ne!(
                    pattern_problem(p, "x"),
                    Pattern::Unknown,
                    "unknown pattern {p}"
                );
            }
            rules += s
                .get("x-kubernetes-validations")
                .and_then(J::as_array)
                .map_or(0, Vec::len);
        }
        assert!(rules >= 13, "{rules}");
    }

    #[test]
    fn versions_and_providers_come_from_the_crds() {
        assert_eq!(
            api_versions(),
            ["external-secrets.io/v1", "external-secrets.io/v1beta1"]
        );
        assert!(served("external-secrets.io/v1"));
        assert!(!served("external-secrets.io/v1beta1"));
        let v1 = providers("external-secrets.io/v1");
        assert_eq!(v1.len(), 43, "{v1:?}");
        for p in [
            "vault",
            "openBao",
            "infisical",
            "webhook",
            "kubernetes",
            "onepassword",
        ] {
            assert!(v1.contains(&p), "{p}");
        }
        assert!(!providers("external-secrets.io/v1beta1").contains(&"openBao"));
        assert_eq!(
            super::super::API_VERSIONS,
            api_versions()
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn decoding_strategies_are_the_crds() {
        for api in api_versions() {
            let es = spec_schema(&api, "ExternalSecret").unwrap();
            let item = resolve(&resolve(&es["properties"]["data"])["items"]);
            let remote = resolve(&item["properties"]["remoteRef"]);
            let e = resolve(&remote["properties"]["decodingStrategy"]);
            let mut got: Vec<&str> = e["enum"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(J::as_str)
                .collect();
            let mut ours = super::super::DECODING_STRATEGIES.to_vec();
            got.sort_unstable();
            ours.sort_unstable();
            assert_eq!(got, ours, "{api}");
        }
    }

    #[test]
    fn patterns_behave_like_their_regexes() {
        let p = |i: usize, s: &str| pattern_problem(PATTERNS[i].regex, s) == Pattern::Matches;
        assert!(p(0, "a.b-c") && !p(0, "A") && !p(0, "a..b"));
        assert!(!p(1, "a.b") && p(1, "a-b"));
        assert!(p(2, "adc.json") && !p(2, "a b"));
        assert!(p(3, "a-1") && !p(3, "A"));
        assert!(p(4, "x@p.iam.gserviceaccount.com") && !p(4, "x@gmail.com"));
        assert!(p(5, "@daily") && p(5, "@every 1h") && p(5, "0 * * * *"));
        assert!(!p(5, "@often") && !p(5, "0 * * *") && !p(5, "0  * * * *"));
        assert_eq!(pattern_problem("^x$", "x"), Pattern::Unknown);
    }

    #[test]
    fn cel_rules_evaluate() {
        let r = |rule: &str, present: &[&str]| cel::parse(rule).unwrap().holds(present);
        let one = "[has(self.a),has(self.b),has(self.c)].filter(x,x==true).size() == 1";
        assert!(r(one, &["a"]) && !r(one, &[]) && !r(one, &["a", "c"]));
        let x = "(has(self.a) && !has(self.b)) || (!has(self.a) && has(self.b))";
        assert!(r(x, &["b"]) && !r(x, &["a", "b"]) && !r(x, &[]));
        assert!(r("has(self.value) != has(self.secretRef)", &["value"]));
        assert!(!r(
            "!('esoNamespace' in self) && !('x' in self)",
            &["esoNamespace"]
        ));
        assert!(cel::parse("self.size() > 1").is_none());
        assert!(cel::parse("has(self.a) ||").is_none());
    }

    fn check_yaml(backend: &str, text: &str) -> (Option<J>, Diagnostics) {
        let node = yaml::load(text, &Arc::from("v.yaml")).unwrap();
        let mut d = Diagnostics::default();
        let schema = provider_schema("external-secrets.io/v1", backend).unwrap();
        let out = check(schema, &node, "s", &Mode::default(), &mut d);
        (out, d)
    }

    #[test]
    fn validation_rules_and_property_counts_are_located() {
        let (out, d) = check_yaml("doppler", "auth:\n  secretRef:\n    dopplerToken:\n      name: t\n      key: k\n  oidcConfig:\n    identity: i\n    serviceAccountRef:\n      name: sa\n");
        assert!(out.is_none());
        assert!(
            d.items[0]
                .to_string()
                .contains("s.auth: Exactly one of 'secretRef' or 'oidcConfig'"),
            "{:?}",
            d.items
        );
        let (_, d) = check_yaml("kubernetes", "remoteNamespace: x\nserver:\n  url: https://k\nauth:\n  token:\n    bearerToken: {name: a, key: b}\n  serviceAccount:\n    name: x\n");
        assert!(
            d.items
                .iter()
                .any(|i| i.message.contains("set only one of them")),
            "{:?}",
            d.items
        );
    }

    #[test]
    fn what_the_checker_does_not_implement_is_refused() {
        for schema in [
            serde_json::json!({"type": "object", "properties": {"a": {"type": "string", "oneOf": []}}}),
            serde_json::json!({"type": "object", "properties": {"a": {"type": "string", "format": "date-time"}}}),
            serde_json::json!({"type": "object", "properties": {"a": {"type": "string", "pattern": "^z+$"}}}),
            serde_json::json!({"type": "object", "properties": {"a": {"type": "object", "x-kubernetes-validations": [{"rule": "self.size() > 1", "message": "m"}]}}}),
            serde_json::json!({"type": "object", "properties": {"a": {"type": "array", "x-kubernetes-list-type": "set"}}}),
        ] {
            let problems = check_json(&schema, &serde_json::json!({"a": "zz"}), "p");
            assert_eq!(problems.len(), 1, "{schema}: {problems:?}");
            assert!(
                problems[0].starts_with("p.a: ESO's schema here uses")
                    && problems[0].ends_with("refused rather than passed unchecked"),
                "{problems:?}"
            );
        }
    }

    #[test]
    fn exact_scalars_refuse_numbers_for_strings() {
        let schema = provider_schema("external-secrets.io/v1", "gcpsm").unwrap();
        let problems = check_json(schema, &serde_json::json!({"projectID": 12}), "p");
        assert_eq!(
            problems,
            ["p.projectID: expected a string, found a integer"]
        );
    }
}
