//! Property tests (proptest) of the output contract and of the bounded-input rule
//! (docs/security.md):
//!
//! * any string given as a secret (`llm.<name>ApiKey`, `llm.extraEnv` values, the
//!   service-account JSON and its string fields) comes out, byte for byte, as the Secret data,
//!   and never changes which objects are rendered;
//! * any valid variable name in `llm.extraEnv` (YAML 1.1 words included) comes out as exactly
//!   that data key, read back by a YAML 1.2 reader (serde_yaml) and a YAML 1.1 one (ours,
//!   which reads as Helm and kubectl do);
//! * any `--set`-family argument and any values file is refused or accepted, never a panic.
//!
//! Values reach the pipeline through the channels a user has: a JSON values document on
//! standard input (`-f -`; JSON is YAML, and escapes carry the control characters a values
//! file may not hold raw), `--set-string`, `--set-json` and `--set-literal`.
//!
//! The case count defaults to 128 per property, 256 for the no-panic ones (PROPTEST_CASES
//! overrides both).

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use proptest::prelude::*;
use recif_secrets::values::{self, Node, Origin, SetArg, SetKind, Sources};
use recif_secrets::{render, Request, DEFAULT_NAMESPACE};
use serde::Deserialize;

// ---------------------------------------------------------------------------------------
// Running the pipeline and reading its output back
// ---------------------------------------------------------------------------------------

type Id = (String, String, String); // kind, namespace ("" when cluster-scoped), name

/// What a rendered stream holds, as read back from the YAML text.
#[derive(Debug)]
struct Rendered {
    yaml: String,
    ids: BTreeSet<Id>,
    /// (namespace, name) of each Secret -> its decoded data.
    secrets: BTreeMap<(String, String), BTreeMap<String, Vec<u8>>>,
    /// Every document, as serde_yaml reads it.
    docs: Vec<serde_yaml::Value>,
}

fn request(stdin_doc: bool, mut sets: Vec<SetArg>) -> Request {
    // The properties are about what comes out; an agent-env left empty by a case that sets
    // only the service-account key is allowed (first, so that any case's own flag wins).
    sets.insert(
        0,
        SetArg {
            kind: SetKind::Set,
            arg: "secrets.allowEmptyAgentEnv=true".to_string(),
        },
    );
    Request {
        sources: Sources {
            files: if stdin_doc {
                vec!["-".to_string()]
            } else {
                Vec::new()
            },
            sets,
            example: false,
        },
        namespace: DEFAULT_NAMESPACE.to_string(),
        templates: None,
    }
}

/// Renders `stdin` (as `-f -`, when given) plus `sets`; `Err` carries the diagnostics.
fn try_render(stdin: Option<&str>, sets: Vec<SetArg>) -> Result<Rendered, String> {
    let req = request(stdin.is_some(), sets);
    let mut input = stdin.unwrap_or("").as_bytes();
    let out = render(&req, &mut input).map_err(|e| format!("{e:?}"))?;
    Ok(read_back(&out.manifests))
}

fn render_ok(stdin: Option<&str>, sets: Vec<SetArg>) -> Rendered {
    match try_render(stdin, sets.clone()) {
        Ok(r) => r,
        Err(e) => panic!("render failed: {e}\nstdin: {stdin:?}\nsets: {sets:?}"),
    }
}

fn str_of<'a>(v: &'a serde_yaml::Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(*p)?;
    }
    cur.as_str()
}

/// Reads the stream back with serde_yaml, checks it against the typed objects and against
/// a YAML 1.1 reading, and collects the objects and the Secret data.
fn read_back(manifests: &recif_secrets::manifests::Manifests) -> Rendered {
    let yaml = manifests.to_yaml();
    let docs: Vec<serde_yaml::Value> = serde_yaml::Deserializer::from_str(&yaml)
        .map(|d| serde_yaml::Value::deserialize(d).expect("every rendered document parses"))
        .collect();
    assert_eq!(
        docs.len(),
        manifests.objects.len(),
        "one YAML document per object\n{yaml}"
    );

    let mut ids = BTreeSet::new();
    let mut secrets = BTreeMap::new();
    for (doc, obj) in docs.iter().zip(&manifests.objects) {
        let kind = str_of(doc, &["kind"]).expect("kind").to_string();
        let name = str_of(doc, &["metadata", "name"])
            .expect("name")
            .to_string();
        let ns = str_of(doc, &["metadata", "namespace"])
            .unwrap_or("")
            .to_string();
        assert_eq!(kind, obj.kind());
        assert_eq!(name, obj.name());
        assert_eq!(ns, obj.namespace().unwrap_or(""));
        // The document is the typed object, nothing more, nothing less.
        let as_json: serde_json::Value =
            serde_json::to_value(doc).expect("a rendered document converts to JSON");
        assert_eq!(as_json, obj.to_json(), "document differs from its object");
        if kind == "Secret" {
            let mut data = BTreeMap::new();
            if let Some(map) = doc.get("data").and_then(|d| d.as_mapping()) {
                for (k, v) in map {
                    let k = k.as_str().expect("data keys are strings").to_string();
                    let v = v.as_str().expect("data values are base64 strings");
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(v)
                        .expect("data values are standard base64");
                    data.insert(k, bytes);
                }
            }
            // Same data in the final object (read back from its own YAML).
            let typed: BTreeMap<String, Vec<u8>> = obj.to_json()["data"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| {
                            let bytes = base64::engine::general_purpose::STANDARD
                                .decode(v.as_str().expect("base64 text"))
                                .expect("standard base64");
                            (k.clone(), bytes)
                        })
                        .collect()
                })
                .unwrap_or_default();
            assert_eq!(data, typed, "Secret data differs from the typed object");
            secrets.insert((ns.clone(), name.clone()), data);
        }
        ids.insert((kind, ns, name));
    }
    check_yaml11(&yaml, &secrets);
    // The `-o json` form carries the same objects.
    let list: serde_json::Value =
        serde_json::from_str(&manifests.to_json()).expect("-o json parses");
    assert_eq!(
        list["items"].as_array().map(Vec::len),
        Some(manifests.objects.len())
    );
    Rendered {
        yaml,
        ids,
        secrets,
        docs,
    }
}

/// Reads each document of the stream with the crate's values reader, which reads plain
/// scalars as YAML 1.1 (Helm, kubectl) do: the Secret data keys must still be the same
/// strings (an unquoted `YES:` would come back as `"true"`). The stream is split at the
/// `---` lines, so this also checks that no value put a `---` line of its own in it.
fn check_yaml11(yaml: &str, secrets: &BTreeMap<(String, String), BTreeMap<String, Vec<u8>>>) {
    let mut pieces: Vec<String> = Vec::new();
    for line in yaml.split_inclusive('\n') {
        if line.trim_end() == "---" {
            pieces.push(String::new());
        } else {
            pieces
                .last_mut()
                .expect("the stream starts with ---")
                .push_str(line);
        }
    }
    let path: std::sync::Arc<str> = std::sync::Arc::from("<rendered>");
    let mut found = BTreeMap::new();
    for piece in &pieces {
        let node = values::yaml::load(piece, &path)
            .unwrap_or_else(|e| panic!("YAML 1.1 reading failed: {e:?}\n{yaml}"));
        let text = |p: &[&str]| node.get(p).and_then(Node::scalar_text).unwrap_or_default();
        if text(&["kind"]) != "Secret" {
            continue;
        }
        let keys: BTreeSet<String> = node
            .get(&["data"])
            .and_then(Node::as_map)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        found.insert(
            (
                text(&["metadata", "namespace"]),
                text(&["metadata", "name"]),
            ),
            keys,
        );
    }
    let expected: BTreeMap<(String, String), BTreeSet<String>> = secrets
        .iter()
        .map(|(k, d)| (k.clone(), d.keys().cloned().collect()))
        .collect();
    assert_eq!(
        found, expected,
        "a YAML 1.1 reader sees other Secrets\n{yaml}"
    );
}

// ---------------------------------------------------------------------------------------
// Encoding values for each channel
// ---------------------------------------------------------------------------------------

/// A JSON document built by hand, so that the tests control how strings are escaped.
#[derive(Clone, Debug)]
enum J {
    Str(String),
    Obj(Vec<(String, J)>),
}

fn obj(entries: Vec<(&str, J)>) -> J {
    J::Obj(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

/// A JSON string literal that is also a YAML double-quoted scalar reading back as `s`:
/// the characters a YAML file may not hold raw (C0, DEL, C1, U+2028/2029, BOM, U+FFFE/F)
/// are escaped; with `escape_all`, every other BMP character beyond ASCII is too.
fn json_str(s: &str, escape_all: bool) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if matches!(c, '\u{0}'..='\u{1F}' | '\u{7F}'..='\u{9F}' | '\u{2028}' | '\u{2029}' | '\u{FEFF}' | '\u{FFFE}' | '\u{FFFF}') => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c if escape_all && (c as u32) > 0x7F && (c as u32) <= 0xFFFF => {
                out.push_str(&format!("\\u{:04X}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn encode(j: &J, escape_all: bool) -> String {
    match j {
        J::Str(s) => json_str(s, escape_all),
        J::Obj(entries) => {
            let parts: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{}: {}", json_str(k, escape_all), encode(v, escape_all)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
    }
}

/// Escapes a `--set`/`--set-string`/`--set-json` key segment (Helm: `\` escapes the next
/// character; `.`, `[`, `=`, `,` end a segment).
fn escape_key(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if matches!(c, '\\' | '.' | '[' | ']' | '=' | ',') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Escapes a `--set-string` value: `\` and `,` (which ends it), `{` and `}` (a leading `{`
/// starts a list).
fn escape_value(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if matches!(c, '\\' | ',' | '{' | '}') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// How a value is handed to the tool.
#[derive(Clone, Copy, Debug)]
enum Channel {
    /// A JSON values document on stdin; `true`: every non-ASCII BMP character escaped.
    StdinJson(bool),
    SetString,
    SetJson,
    SetLiteral,
}

fn channel() -> impl Strategy<Value = Channel> {
    prop_oneof![
        Just(Channel::StdinJson(false)),
        Just(Channel::StdinJson(true)),
        Just(Channel::SetString),
        Just(Channel::SetJson),
        Just(Channel::SetLiteral),
    ]
}

/// The inputs that give `value` at `path` (keys as they are; no key may hold a `.` for
/// `--set-literal`, which has no escapes).
fn inputs(ch: Channel, path: &[&str], value: &str) -> (Option<String>, Vec<SetArg>) {
    let dotted = || {
        path.iter()
            .map(|k| escape_key(k))
            .collect::<Vec<_>>()
            .join(".")
    };
    match ch {
        Channel::StdinJson(all) => {
            let mut j = J::Str(value.to_string());
            for k in path.iter().rev() {
                j = obj(vec![(k, j)]);
            }
            (Some(encode(&j, all)), Vec::new())
        }
        Channel::SetString => (
            None,
            vec![SetArg {
                kind: SetKind::String,
                arg: format!("{}={}", dotted(), escape_value(value)),
            }],
        ),
        Channel::SetJson => (
            None,
            vec![SetArg {
                kind: SetKind::Json,
                arg: format!(
                    "{}={}",
                    dotted(),
                    serde_json::to_string(value).expect("a string serializes")
                ),
            }],
        ),
        Channel::SetLiteral => {
            assert!(path.iter().all(|k| !k.contains('.')));
            (
                None,
                vec![SetArg {
                    kind: SetKind::Literal,
                    arg: format!("{}={}", path.join("."), value),
                }],
            )
        }
    }
}

fn render_at(ch: Channel, path: &[&str], value: &str) -> Rendered {
    let (stdin, sets) = inputs(ch, path, value);
    render_ok(stdin.as_deref(), sets)
}

// ---------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------

/// Pieces that have broken YAML emitters and template engines before.
const TRICKY: &[&str] = &[
    "---",
    "...",
    "\n",
    "\r\n",
    "\r",
    "\t",
    " ",
    "  ",
    ": ",
    ":",
    "#",
    " #",
    "- ",
    "? ",
    "{{",
    "}}",
    "{%",
    "%}",
    "{#",
    "#}",
    "{",
    "}",
    "[",
    "]",
    ",",
    "\"",
    "'",
    "\\",
    "\\n",
    "|",
    ">",
    "|-",
    "&a",
    "*a",
    "!",
    "!!binary",
    "!!str",
    "%YAML 1.1",
    "@",
    "`",
    "<<",
    "=",
    ".",
    "yes",
    "No",
    "ON",
    "~",
    "null",
    "Null",
    "0x1F",
    "0755",
    "1e3",
    ".inf",
    "-",
    "+",
    "\u{0}",
    "\u{7}",
    "\u{1b}[31m",
    "\u{7f}",
    "\u{80}",
    "\u{85}",
    "\u{9f}",
    "\u{a0}",
    "\u{2028}",
    "\u{2029}",
    "\u{feff}",
    "\u{fffe}",
    "\u{ffff}",
    "\u{fffd}",
    "é",
    "ß",
    "İ",
    "日本",
    "😀",
    "\u{10ffff}",
    "\u{1F600}\u{200D}",
    "\u{301}",
    "\u{202E}",
];

fn tricky_string() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => prop::sample::select(TRICKY).prop_map(str::to_string),
        1 => "[a-zA-Z0-9]{1,8}",
        1 => any::<char>().prop_map(|c| c.to_string()),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

/// Any string: arbitrary unicode, or a mix of the tricky pieces.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => any::<String>(),
        2 => tricky_string(),
    ]
}

fn non_empty_text() -> impl Strategy<Value = String> {
    any_text().prop_filter("non-empty", |s| !s.is_empty())
}

/// Valid variable names, with a bias to the words YAML 1.1 reads as booleans or null.
fn env_name() -> impl Strategy<Value = String> {
    const WORDS: &[&str] = &[
        "y",
        "Y",
        "yes",
        "Yes",
        "YES",
        "n",
        "N",
        "no",
        "No",
        "NO",
        "true",
        "True",
        "TRUE",
        "false",
        "False",
        "FALSE",
        "on",
        "On",
        "ON",
        "off",
        "Off",
        "OFF",
        "null",
        "Null",
        "NULL",
        "NaN",
        "nan",
        "inf",
        "Infinity",
        "_",
        "e1",
        "E1",
        "_1_000",
        "x0",
        "OPENAI_API_KEY",
        "adc.json",
        "a..b",
        "A-",
        "_.-",
    ];
    prop_oneof![
        1 => prop::sample::select(WORDS).prop_map(str::to_string),
        2 => "[A-Za-z_][A-Za-z0-9_.-]{0,24}",
    ]
}

/// `<stem>ApiKey` keys and the variable they give (the README's rule, written again here).
fn api_key_name() -> impl Strategy<Value = (String, String)> {
    prop_oneof![
        Just("openaiApiKey".to_string()),
        Just("googleApiKey".to_string()),
        Just("azureOpenaiApiKey".to_string()),
        Just("xAIApiKey".to_string()),
        "[a-z]{1,6}([A-Z][a-z]{1,5}){0,2}ApiKey",
    ]
    .prop_map(|key| {
        let stem = key.strip_suffix("ApiKey").unwrap();
        let mut var = String::new();
        let mut prev_lower = false;
        for c in stem.chars() {
            if c.is_ascii_uppercase() && prev_lower {
                var.push('_');
            }
            prev_lower = c.is_ascii_lowercase();
            var.push(c.to_ascii_uppercase());
        }
        var.push_str("_API_KEY");
        (key, var)
    })
}

/// 128 cases per property unless PROPTEST_CASES says otherwise.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: cases(128),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

const TEAM: &str = "team-default";

fn agent_env(r: &Rendered) -> &BTreeMap<String, Vec<u8>> {
    r.secrets
        .get(&(TEAM.to_string(), "agent-env".to_string()))
        .unwrap_or_else(|| panic!("no agent-env in {TEAM}\n{}", r.yaml))
}

/// The Secrets holding the service-account JSON, and their `adc.json`.
fn adc_jsons(r: &Rendered) -> Vec<(&(String, String), &Vec<u8>)> {
    let found: Vec<_> = r
        .secrets
        .iter()
        .filter(|((_, name), _)| name == "gcp-adc" || name == "recif-platform-gcp-sa")
        .map(|(id, data)| {
            assert_eq!(data.len(), 1, "only adc.json in {id:?}");
            (id, data.get("adc.json").expect("adc.json"))
        })
        .collect();
    assert_eq!(
        found.len(),
        2,
        "gcp-adc and recif-platform-gcp-sa\n{}",
        r.yaml
    );
    found
}

/// A service-account JSON text with the given string fields.
fn sa_json(email: &str, key: &str, extra: &str) -> String {
    serde_json::json!({
        "type": "service_account",
        "project_id": extra,
        "private_key_id": extra,
        "private_key": key,
        "client_email": email,
        "client_id": "1000",
        extra: extra,
    })
    .to_string()
}

// ---------------------------------------------------------------------------------------
// Properties: secrets come out exactly, the objects never change
// ---------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    /// `llm.<name>ApiKey`: the value is the variable's data, byte for byte; nothing else
    /// changes compared with a plain value.
    #[test]
    fn api_keys_come_out_exactly(
        (key, var) in api_key_name(),
        value in non_empty_text(),
        ch in channel(),
    ) {
        let plain = render_at(ch, &["llm", &key], "plain-value");
        let r = render_at(ch, &["llm", &key], &value);
        prop_assert_eq!(&r.ids, &plain.ids);
        let data = agent_env(&r);
        prop_assert_eq!(data.keys().collect::<Vec<_>>(), vec![&var]);
        prop_assert_eq!(&data[&var], &value.as_bytes().to_vec());
        // Deterministic.
        prop_assert_eq!(&render_at(ch, &["llm", &key], &value).yaml, &r.yaml);
    }

    /// `llm.extraEnv.<NAME>` values (the empty string included) come out exactly.
    #[test]
    fn extra_env_values_come_out_exactly(
        name in "[A-Z_][A-Z0-9_]{0,12}",
        value in any_text(),
        ch in channel(),
    ) {
        let plain = render_at(ch, &["llm", "extraEnv", &name], "plain-value");
        let r = render_at(ch, &["llm", "extraEnv", &name], &value);
        prop_assert_eq!(&r.ids, &plain.ids);
        let data = agent_env(&r);
        prop_assert_eq!(data.keys().collect::<Vec<_>>(), vec![&name]);
        prop_assert_eq!(&data[&name], &value.as_bytes().to_vec());
    }

    /// Several variables at once, with any valid names (YAML 1.1 words included): the data
    /// keys are exactly the names, the values exactly the values.
    #[test]
    fn extra_env_names_come_out_exactly(
        vars in prop::collection::btree_map(env_name(), any_text(), 1..6),
        escape_all in any::<bool>(),
        via_set in any::<bool>(),
    ) {
        let (stdin, sets) = if via_set {
            // --set-string, and --set-json for every other one.
            let sets = vars
                .iter()
                .enumerate()
                .map(|(i, (k, v))| {
                    if i % 2 == 0 {
                        SetArg { kind: SetKind::String, arg: format!("llm.extraEnv.{}={}", escape_key(k), escape_value(v)) }
                    } else {
                        SetArg { kind: SetKind::Json, arg: format!("llm.extraEnv.{}={}", escape_key(k), serde_json::to_string(v).unwrap()) }
                    }
                })
                .collect();
            (None, sets)
        } else {
            let env = J::Obj(vars.iter().map(|(k, v)| (k.clone(), J::Str(v.clone()))).collect());
            (Some(encode(&obj(vec![("llm", obj(vec![("extraEnv", env)]))]), escape_all)), Vec::new())
        };
        let r = render_ok(stdin.as_deref(), sets);
        let data = agent_env(&r);
        let expected: BTreeMap<String, Vec<u8>> =
            vars.iter().map(|(k, v)| (k.clone(), v.as_bytes().to_vec())).collect();
        prop_assert_eq!(data, &expected);
        let plain = render_ok(None, vec![SetArg { kind: SetKind::String, arg: "llm.extraEnv.X=1".into() }]);
        prop_assert_eq!(&r.ids, &plain.ids);
    }

    /// `llm.gcp.serviceAccountKey` given as JSON text: `adc.json` is that text, byte for
    /// byte, in both Secrets, whatever its string fields hold.
    #[test]
    fn service_account_json_comes_out_exactly(
        email in non_empty_text(),
        key in non_empty_text(),
        extra in any_text(),
        ch in channel(),
    ) {
        let path = ["llm", "gcp", "serviceAccountKey"];
        let plain = render_at(ch, &path, &sa_json("sa@p.iam.gserviceaccount.com", "k", "x"));
        let json = sa_json(&email, &key, &extra);
        let r = render_at(ch, &path, &json);
        prop_assert_eq!(&r.ids, &plain.ids);
        for (id, adc) in adc_jsons(&r) {
            prop_assert_eq!(adc, &json.as_bytes().to_vec(), "{:?}", id);
            let parsed: serde_json::Value = serde_json::from_slice(adc).unwrap();
            prop_assert_eq!(parsed["private_key"].as_str(), Some(key.as_str()));
            prop_assert_eq!(parsed["client_email"].as_str(), Some(email.as_str()));
        }
    }

    /// The same JSON given base64-encoded (`serviceAccountKeyBase64`, with line breaks as
    /// `base64` prints them), or as a map in the values document.
    #[test]
    fn service_account_json_base64_and_map(
        email in non_empty_text(),
        key in non_empty_text(),
        extra in any_text(),
        wrap in any::<bool>(),
        escape_all in any::<bool>(),
    ) {
        let json = sa_json(&email, &key, &extra);
        let mut b64 = base64::engine::general_purpose::STANDARD.encode(json.as_bytes());
        if wrap {
            b64 = b64.as_bytes().chunks(76).map(|c| std::str::from_utf8(c).unwrap()).collect::<Vec<_>>().join("\n");
        }
        let plain = render_ok(None, vec![SetArg { kind: SetKind::Literal, arg: format!("llm.gcp.serviceAccountKey={}", sa_json("a@b", "k", "x")) }]);

        let r = render_at(Channel::StdinJson(escape_all), &["llm", "gcp", "serviceAccountKeyBase64"], &b64);
        prop_assert_eq!(&r.ids, &plain.ids);
        for (_, adc) in adc_jsons(&r) {
            prop_assert_eq!(adc, &json.as_bytes().to_vec());
        }

        // As a map: the same JSON object (the text is re-serialized).
        let sa = obj(vec![
            ("type", J::Str("service_account".into())),
            ("private_key", J::Str(key.clone())),
            ("client_email", J::Str(email.clone())),
            ("project_id", J::Str(extra.clone())),
        ]);
        let doc = encode(&obj(vec![("llm", obj(vec![("gcp", obj(vec![("serviceAccountKey", sa)]))]))]), escape_all);
        let r = render_ok(Some(&doc), Vec::new());
        prop_assert_eq!(&r.ids, &plain.ids);
        let expected = serde_json::json!({
            "type": "service_account", "private_key": key, "client_email": email, "project_id": extra,
        });
        for (_, adc) in adc_jsons(&r) {
            let parsed: serde_json::Value = serde_json::from_slice(adc).unwrap();
            prop_assert_eq!(&parsed, &expected);
        }
    }

    /// Everything at once: API keys, extraEnv and the service-account key in one document.
    #[test]
    fn all_secret_fields_together(
        openai in non_empty_text(),
        other in non_empty_text(),
        env_value in any_text(),
        private_key in non_empty_text(),
        escape_all in any::<bool>(),
    ) {
        let json = sa_json("sa@p.iam.gserviceaccount.com", &private_key, "p");
        let doc = |openai: &str, other: &str, env_value: &str, json: &str| encode(&obj(vec![("llm", obj(vec![
            ("openaiApiKey", J::Str(openai.into())),
            ("mistralApiKey", J::Str(other.into())),
            ("extraEnv", obj(vec![("YES", J::Str(env_value.into())), ("on", J::Str(other.into()))])),
            ("gcp", obj(vec![("serviceAccountKey", J::Str(json.into()))])),
        ]))]), escape_all);
        let plain = render_ok(Some(&doc("a", "b", "c", &sa_json("a@b", "k", "p"))), Vec::new());
        let r = render_ok(Some(&doc(&openai, &other, &env_value, &json)), Vec::new());
        prop_assert_eq!(&r.ids, &plain.ids);
        let expected: BTreeMap<String, Vec<u8>> = [
            ("OPENAI_API_KEY", &openai),
            ("MISTRAL_API_KEY", &other),
            ("YES", &env_value),
            ("on", &other),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
        .collect();
        prop_assert_eq!(agent_env(&r), &expected);
        for (_, adc) in adc_jsons(&r) {
            prop_assert_eq!(adc, &json.as_bytes().to_vec());
        }
    }

    /// Other free-text fields land in their own field: `secrets.commonAnnotations` values on
    /// every object, and the backend paths of `secrets.external.keys` in the ExternalSecrets
    /// (any literal key can be written: each `$` given as `$$`, the namespace placeholder's
    /// escape).
    #[test]
    fn free_text_fields_land_in_their_field(
        annotation in any_text(),
        agent_env_key in non_empty_text(),
        gcp_key in non_empty_text(),
        escape_all in any::<bool>(),
    ) {
        let doc = |a: &str, k1: &str, k2: &str| encode(&obj(vec![
            ("secrets", obj(vec![
                ("provider", J::Str("external".into())),
                ("commonAnnotations", obj(vec![("example.com/note", J::Str(a.into()))])),
                ("external", obj(vec![("keys", obj(vec![
                    ("agentEnv", J::Str(k1.into())),
                    ("gcpServiceAccount", J::Str(k2.into())),
                ]))])),
            ])),
        ]), escape_all);
        let plain = render_ok(Some(&doc("x", "recif/agent-env", "recif/gcp-sa")), Vec::new());
        let escaped = |k: &str| k.replace('$', "$$");
        let r = render_ok(
            Some(&doc(&annotation, &escaped(&agent_env_key), &escaped(&gcp_key))),
            Vec::new(),
        );
        prop_assert_eq!(&r.ids, &plain.ids);
        prop_assert!(r.secrets.is_empty());
        for d in &r.docs {
            prop_assert_eq!(str_of(d, &["metadata", "annotations", "example.com/note"]), Some(annotation.as_str()));
            if str_of(d, &["kind"]) != Some("ExternalSecret") {
                continue;
            }
            if str_of(d, &["metadata", "name"]) == Some("agent-env") {
                prop_assert_eq!(d["spec"]["dataFrom"][0]["extract"]["key"].as_str(), Some(agent_env_key.as_str()));
            } else {
                prop_assert_eq!(d["spec"]["data"][0]["remoteRef"]["key"].as_str(), Some(gcp_key.as_str()));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Properties: no input panics
// ---------------------------------------------------------------------------------------

fn set_kind() -> impl Strategy<Value = SetKind> {
    prop_oneof![
        Just(SetKind::Set),
        Just(SetKind::String),
        Just(SetKind::Json),
        Just(SetKind::Literal),
    ]
}

/// `--set` arguments: any string, the grammar's own characters, or real keys followed by
/// anything.
fn set_arg_text() -> impl Strategy<Value = String> {
    const KEYS: &[&str] = &[
        "llm.openaiApiKey",
        "llm.extraEnv.A",
        "llm.gcp.serviceAccountKey",
        "secrets.provider",
        "secrets.external.store.vault",
        "namespaces.teams[0]",
        "namespaces.teams",
        "a[0][1]",
        "a[65536]",
        "a[1]",
        "llm",
        "secrets.commonLabels.a",
        "workloadIdentity.serviceAccounts[0].name",
    ];
    let grammar = prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(&["=", ",", "[", "]", "{", "}", ".", "\\", "\"", "0", "1", "9", "a", "null", "true", "-", " ", ":", "\n"][..])
                .prop_map(str::to_string),
            1 => any::<char>().prop_map(|c| c.to_string()),
            1 => prop::sample::select(KEYS).prop_map(str::to_string),
        ],
        0..24,
    )
    .prop_map(|v| v.concat());
    prop_oneof![
        1 => any::<String>(),
        3 => grammar.clone(),
        2 => (prop::sample::select(KEYS), grammar).prop_map(|(k, g)| format!("{k}{g}")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(256), ..config() })]

    /// Any `--set`-family arguments: an error or values, never a panic; and when the values
    /// are accepted, rendering them does not panic either.
    #[test]
    fn set_arguments_never_panic(
        sets in prop::collection::vec((set_kind(), set_arg_text()), 1..4),
    ) {
        let sets: Vec<SetArg> = sets.into_iter().map(|(kind, arg)| SetArg { kind, arg }).collect();
        let sources = Sources { files: Vec::new(), sets: sets.clone(), example: false };
        let user = values::user_values(&sources, &mut std::io::empty());
        if user.is_ok() {
            let req = request(false, sets);
            if let Ok(out) = render(&req, &mut std::io::empty()) {
                read_back(&out.manifests);
            }
        }
    }

    /// The parser alone, `--set-file` included (with a fake file reader).
    #[test]
    fn set_parser_never_panics(
        kind in prop_oneof![set_kind(), Just(SetKind::File)],
        arg in set_arg_text(),
        file in any_text(),
    ) {
        let mut base = Node::map(Origin::Default);
        let mut read = |path: &str| -> Result<String, String> {
            if path.is_empty() { Err("no such file".into()) } else { Ok(file.clone()) }
        };
        let _ = values::strvals::parse_into(kind, &arg, &mut base, &mut read);
    }

    /// Any values document on stdin, with any `--set`: an error or objects, never a panic.
    #[test]
    fn values_files_never_panic(
        doc in prop_oneof![1 => any::<String>(), 1 => tricky_string(), 2 => yaml_like(), 4 => mutated_example()],
        sets in prop_oneof![3 => Just(Vec::new()), 1 => prop::collection::vec((set_kind(), set_arg_text()), 1..2)],
    ) {
        let sets: Vec<SetArg> = sets.into_iter().map(|(kind, arg)| SetArg { kind, arg }).collect();
        if let Ok(out) = render(&request(true, sets.clone()), &mut doc.as_bytes()) {
            let r = read_back(&out.manifests);
            // No inline Secret unless the values ask for one.
            let v = values::effective(&Sources { files: vec!["-".into()], sets, example: false }, &mut doc.as_bytes());
            if let Ok(v) = v {
                let text = |p: &[&str]| v.get(p).and_then(Node::scalar_text).unwrap_or_default();
                let provider = text(&["secrets", "provider"]);
                let inline_ok = provider.is_empty() || provider == "inline"
                    || (provider == "none" && text(&["workloadIdentity", "llmKeys"]) == "inline");
                if !inline_ok {
                    prop_assert!(r.secrets.is_empty(), "inline Secret with provider {:?}", provider);
                }
            }
        }
    }
}

/// The documented setups' values, as JSON values, for [`mutated_example`].
const EXAMPLES: &[&str] = &[
    include_str!("../../examples/inline.yaml"),
    include_str!("../../examples/external-vault.yaml"),
    include_str!("../../examples/external-aws.yaml"),
    include_str!("../../examples/external-gcpsm.yaml"),
    include_str!("../../examples/external-azurekv.yaml"),
    include_str!("../../examples/external-doppler.yaml"),
    include_str!("../../examples/workload-identity-eks.yaml"),
    include_str!("../../examples/workload-identity-gke.yaml"),
    include_str!("../../examples/workload-identity-llm-external.yaml"),
    include_str!("../../values-secret.yaml.example"),
];

/// A JSON value written with [`json_str`] for its strings (keys included).
fn encode_value(v: &serde_json::Value, escape_all: bool) -> String {
    use serde_json::Value as V;
    match v {
        V::String(s) => json_str(s, escape_all),
        V::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|i| encode_value(i, escape_all))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        V::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!(
                    "{}: {}",
                    json_str(k, escape_all),
                    encode_value(v, escape_all)
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

/// Sets `value` at the dotted `path`, making maps on the way (replacing what is not one).
fn set_path(root: &mut serde_json::Value, path: &str, value: serde_json::Value) {
    let mut cur = root;
    for k in path.split('.') {
        if !cur.is_object() {
            *cur = serde_json::json!({});
        }
        cur = cur
            .as_object_mut()
            .unwrap()
            .entry(k.to_string())
            .or_insert(serde_json::Value::Null);
    }
    *cur = value;
}

/// One of the examples with a few keys replaced by meaningful or arbitrary values: most of
/// these render, so the whole pipeline is exercised, not only the values reader.
fn mutated_example() -> impl Strategy<Value = String> {
    const PATHS: &[&str] = &[
        "secrets.provider",
        "secrets.commonLabels.team",
        "secrets.commonAnnotations.a/b",
        "secrets.external.storeName",
        "secrets.external.storeKind",
        "secrets.external.refreshInterval",
        "secrets.external.apiVersion",
        "secrets.external.keys.agentEnv",
        "secrets.external.keys.gcpServiceAccount",
        "secrets.external.keys.gcpServiceAccountProperty",
        "secrets.external.store",
        "secrets.external.store.vault",
        "secrets.external.store.vault.server",
        "secrets.external.store.vault.auth",
        "secrets.external.store.aws.service",
        "secrets.external.store.aws.region",
        "secrets.external.store.gcpsm.projectID",
        "llm.openaiApiKey",
        "llm.xAIApiKey",
        "llm.ApiKey",
        "llm.extraEnv.YES",
        "llm.extraEnv.a b",
        "llm.extraEnv",
        "llm.gcp.serviceAccountKey",
        "llm.gcp.serviceAccountKeyBase64",
        "llm.gcp.project",
        "namespaces.defaultTeam",
        "namespaces.teams",
        "namespaces.create",
        "workloadIdentity.gcpServiceAccount",
        "workloadIdentity.awsRoleArn",
        "workloadIdentity.azureClientId",
        "workloadIdentity.azureTenantId",
        "workloadIdentity.serviceAccounts",
        "workloadIdentity.llmKeys",
        "llm",
        "secrets",
    ];
    const WORDS: &[&str] = &[
        "inline",
        "external",
        "none",
        "SecretStore",
        "ClusterSecretStore",
        "external-secrets.io/v1",
        "external-secrets.io/v1beta1",
        "0",
        "1h",
        "1h30m",
        "15s",
        "-1h",
        "team-a",
        "recif-system",
        "recif-api",
        "",
        "value",
        "SecretsManager",
        "ParameterStore",
        "eu-west-1",
        "v2",
        "arn:aws:iam::1:role/r",
        "{\"type\":\"authorized_user\"}",
        "{\"type\":\"service_account\",\"client_email\":\"a@b\",\"private_key\":\"k\"}",
        "eyJ0eXBlIjoiYXV0aG9yaXplZF91c2VyIn0=",
    ];
    let text =
        || prop_oneof![3 => prop::sample::select(WORDS).prop_map(str::to_string), 1 => any_text()];
    let leaf = prop_oneof![
        6 => text().prop_map(serde_json::Value::String),
        1 => Just(serde_json::Value::Null),
        1 => any::<bool>().prop_map(serde_json::Value::Bool),
        1 => any::<i64>().prop_map(serde_json::Value::from),
        1 => prop::collection::vec(text(), 0..3).prop_map(|v| serde_json::json!(v)),
        1 => prop::collection::btree_map(text(), text(), 0..3).prop_map(|m| serde_json::json!(m)),
        1 => (text(), text()).prop_map(|(n, ns)| serde_json::json!([{"name": n, "namespace": ns}])),
    ];
    (
        prop::sample::select(EXAMPLES),
        prop::collection::vec((prop::sample::select(PATHS), leaf), 0..3),
        any::<bool>(),
    )
        .prop_map(|(example, changes, escape_all)| {
            let mut v: serde_json::Value =
                serde_yaml::from_str(example).unwrap_or_else(|_| serde_json::json!({}));
            for (path, value) in changes {
                set_path(&mut v, path, value);
            }
            encode_value(&v, escape_all)
        })
}

/// Text shaped like a values file: real keys, indentation, YAML punctuation.
fn yaml_like() -> impl Strategy<Value = String> {
    let line = (
        0usize..4,
        prop::sample::select(
            &[
                "llm:",
                "gcp:",
                "extraEnv:",
                "secrets:",
                "external:",
                "store:",
                "vault:",
                "keys:",
                "provider: external",
                "provider: none",
                "openaiApiKey: x",
                "YES: on",
                "serviceAccountKey: {type: service_account, client_email: a, private_key: b}",
                "serviceAccountKeyBase64: e30=",
                "namespaces:",
                "teams: [a, b]",
                "create: yes",
                "workloadIdentity:",
                "awsRoleArn: arn",
                "llmKeys: inline",
                "- a",
                "&x a: 1",
                "<<: *x",
                "? a",
                ": b",
                "---",
                "...",
                "a: |",
                "  b",
                "%YAML 1.1",
                "!!binary x",
                "defaultTeam: team-a",
                "storeKind: SecretStore",
                "refreshInterval: 1h30m",
            ][..],
        ),
        any_text(),
        any::<bool>(),
    )
        .prop_map(|(indent, line, tail, with_tail)| {
            let tail = if with_tail { tail } else { String::new() };
            format!("{}{}{}", "  ".repeat(indent), line, tail)
        });
    prop::collection::vec(line, 0..16).prop_map(|lines| lines.join("\n"))
}

// ---------------------------------------------------------------------------------------
// Regression cases (fixed inputs found by the properties or the fuzzer)
// ---------------------------------------------------------------------------------------

#[test]
fn plain_value_sanity() {
    let r = render_at(Channel::SetString, &["llm", "openaiApiKey"], "sk-1");
    let ids: Vec<_> = r.ids.iter().cloned().collect();
    assert_eq!(
        ids,
        vec![(
            "Secret".to_string(),
            TEAM.to_string(),
            "agent-env".to_string()
        )]
    );
    assert_eq!(agent_env(&r)["OPENAI_API_KEY"], b"sk-1");
}
