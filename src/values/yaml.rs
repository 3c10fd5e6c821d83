//! Reads a values file the way Helm does: YAML 1.1 meaning for plain scalars (`yes`, `on`,
//! `0755`, `0x1F`, `1_000`), anchors, aliases and merge keys `<<` (positional, later wins,
//! as go-yaml v2), duplicate keys (the last wins), non-string keys turned into strings, and
//! every document of a stream merged in order. Every node keeps its line and column.
//!
//! Bounded: a file over [`MAX_FILE_BYTES`], nesting deeper than [`MAX_DEPTH`], or aliases that
//! would copy more than [`ALIAS_BUDGET`] nodes or [`ALIAS_BYTES`] bytes of text, or more than
//! [`MAX_NODES`] values in all (all the files of a run together) are refused. Error messages give a position and
//! never the text of the file, which may hold secrets.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use base64::Engine as _;

use super::libyaml::{Event, Mark, Parser, Style};
use super::node::{Node, Origin, Value};

/// Largest values file accepted.
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;
/// Deepest nesting of lists and maps accepted.
pub const MAX_DEPTH: usize = 256;
/// How many nodes alias expansion may copy (the billion-laughs guard).
pub const ALIAS_BUDGET: usize = 100_000;
/// How many bytes of text (strings and keys) alias expansion may copy: a long string
/// aliased many times costs its length each time, whatever its node count.
pub const ALIAS_BYTES: usize = 4 * 1024 * 1024;

/// How many nodes (scalars, lists, maps, alias copies included) the values files of one run
/// may hold together: each costs about 100 bytes in memory whatever its size in the file (a
/// flow list `[1,1,…]` takes 2 bytes a node), so the count, not the file size, bounds memory.
pub const MAX_NODES: usize = 200_000;

/// What the values files of one run may still hold: alias copies (nodes and bytes of text)
/// and nodes in all.
#[derive(Clone, Debug)]
pub struct LoadBudget {
    alias: Cost,
    nodes: usize,
}

impl Default for LoadBudget {
    fn default() -> Self {
        LoadBudget {
            alias: Cost {
                nodes: ALIAS_BUDGET,
                bytes: ALIAS_BYTES,
            },
            nodes: MAX_NODES,
        }
    }
}

/// Nodes, and bytes of text (strings and keys).
#[derive(Clone, Debug)]
struct Cost {
    nodes: usize,
    bytes: usize,
}

/// A problem found while reading YAML, with its 1-based position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub line: u32,
    pub col: u32,
    pub message: String,
}

/// Parses `text` (the content of `path`) into a map node.
///
/// Documents are split as Helm splits them (`k8s.io/apimachinery`'s `YAMLReader`): at every
/// line that starts with `---`, which may only be followed by blanks or a comment; of each
/// piece only the first YAML document is read (go-yaml's `Unmarshal`), so content after a
/// `...` end marker that no `---` line follows is ignored, as Helm ignores it.
pub fn load(text: &str, path: &Arc<str>) -> Result<Node, YamlError> {
    load_within(text, path, &mut LoadBudget::default())
}

/// [`load`], drawing alias expansion from `budget` (shared by the files of a run).
pub fn load_within(
    text: &str,
    path: &Arc<str>,
    budget: &mut LoadBudget,
) -> Result<Node, YamlError> {
    if text.len() > MAX_FILE_BYTES {
        return Err(YamlError {
            line: 1,
            col: 1,
            message: format!(
                "the file is {} bytes; values files are limited to {} bytes (16 MiB)",
                text.len(),
                MAX_FILE_BYTES
            ),
        });
    }
    let mut result = Node::new(
        Value::Map(BTreeMap::new()),
        Origin::File {
            path: path.clone(),
            line: 1,
            col: 1,
        },
    );
    for (first_line, piece) in split_documents(text)? {
        if let Some(line) = leading_end_marker(piece) {
            return Err(YamlError {
                line: first_line + line,
                col: 1,
                message: "a document end marker `...` comes before any content".to_string(),
            });
        }
        let mut builder = Builder::new(path.clone(), first_line - 1, budget.clone());
        let mut parser = Parser::new(piece);
        // Only the first document of a piece is read (go-yaml's Unmarshal).
        loop {
            let (event, mark) = parser.next_event().map_err(|e| YamlError {
                line: e.mark.line as u32 + first_line,
                col: e.mark.col as u32 + 1,
                message: match e.context {
                    Some(context) => format!("YAML syntax error: {} ({context})", e.problem),
                    None => format!("YAML syntax error: {}", e.problem),
                },
            })?;
            if matches!(event, Event::DocumentEnd | Event::StreamEnd) {
                break;
            }
            builder.on_event(event, mark);
            if builder.error.is_some() {
                break;
            }
        }
        if let Some(err) = builder.error {
            return Err(err);
        }
        *budget = builder.budget.clone();
        for doc in builder.documents {
            match doc.value {
                Value::Null => {}
                // Later documents merge into earlier ones as later files do.
                Value::Map(_) => super::merge::merge_maps(&mut result, doc),
                _ => {
                    let (line, col) = match &doc.origin {
                        Origin::File { line, col, .. } => (*line, *col),
                        _ => (1, 1),
                    };
                    return Err(YamlError {
                        line,
                        col,
                        message: format!(
                            "a values document must be a map of keys, found a {}",
                            doc.type_name()
                        ),
                    });
                }
            }
        }
    }
    Ok(result)
}

/// go-yaml refuses a piece whose first token is the end marker `...`: the line of that
/// marker within the piece (0-based), if so.
fn leading_end_marker(piece: &str) -> Option<u32> {
    for (i, line) in piece.lines().enumerate() {
        let t = line.trim_start();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let marker = line
            .strip_prefix("...")
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(char::is_whitespace));
        return marker.then_some(i as u32);
    }
    None
}

/// Splits a file into documents as Helm's `YAMLReader` does: `(first line, text)` pieces
/// between lines that start with `---`. Such a line followed by anything but blanks or a
/// comment is refused, as Helm refuses it.
fn split_documents(text: &str) -> Result<Vec<(u32, &str)>, YamlError> {
    let mut pieces = Vec::new();
    let mut start: Option<(u32, usize)> = None;
    let mut offset = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let line_no = i as u32 + 1;
        if let Some(rest) = line.strip_prefix("---") {
            let rest = rest.trim();
            if !rest.is_empty() && !rest.starts_with('#') {
                return Err(YamlError {
                    line: line_no,
                    col: 4,
                    message: "a line that starts with `---` separates documents and may only \
                              be followed by a comment (Helm refuses anything else)"
                        .to_string(),
                });
            }
            if let Some((first, from)) = start.take() {
                pieces.push((first, &text[from..offset]));
            }
        } else if start.is_none() {
            start = Some((line_no, offset));
        }
        offset += line.len();
    }
    if let Some((first, from)) = start {
        pieces.push((first, &text[from..]));
    }
    Ok(pieces)
}

enum Frame {
    Seq {
        items: Vec<Node>,
        origin: Origin,
        anchor: Option<String>,
    },
    Map {
        entries: BTreeMap<String, Node>,
        origin: Origin,
        anchor: Option<String>,
        key: Option<(Key, Origin)>,
    },
}

enum Key {
    Text(String),
    Merge,
    Invalid(String),
}

struct Builder {
    path: Arc<str>,
    /// Lines before the document being read (it is parsed on its own).
    line_offset: u32,
    stack: Vec<Frame>,
    documents: Vec<Node>,
    anchors: HashMap<String, Node>,
    budget: LoadBudget,
    error: Option<YamlError>,
}

impl Builder {
    fn new(path: Arc<str>, line_offset: u32, budget: LoadBudget) -> Self {
        Builder {
            path,
            line_offset,
            stack: Vec::new(),
            documents: Vec::new(),
            anchors: HashMap::new(),
            budget,
            error: None,
        }
    }

    fn origin_at(&self, line: u32, col: u32) -> Origin {
        Origin::File {
            path: self.path.clone(),
            line,
            col,
        }
    }

    fn origin(&self, mark: Mark) -> Origin {
        self.origin_at(mark.line as u32 + 1 + self.line_offset, mark.col as u32 + 1)
    }

    fn fail(&mut self, origin: &Origin, message: String) {
        if self.error.is_none() {
            let (line, col) = match origin {
                Origin::File { line, col, .. } => (*line, *col),
                _ => (1, 1),
            };
            self.error = Some(YamlError { line, col, message });
        }
    }

    /// Adds a finished node to the frame on top of the stack (or as a document).
    /// `merge_key` is true for a plain, untagged `<<` scalar.
    fn push_node(&mut self, node: Node, anchor: Option<String>, merge_key: bool) {
        if self.budget.nodes == 0 {
            let origin = node.origin.clone();
            self.count(1, &origin);
            return;
        }
        self.budget.nodes -= 1;
        if let Some(anchor) = anchor {
            // The anchor keeps a copy: nested anchors would each copy their whole subtree.
            if !self.charge(Self::cost(&node), &node.origin.clone()) {
                return;
            }
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.documents.push(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { key: None, .. }) => {
                let origin = node.origin.clone();
                let key = map_key(&node, merge_key);
                if let Some(Frame::Map { key: slot, .. }) = self.stack.last_mut() {
                    *slot = Some((key, origin));
                }
            }
            Some(Frame::Map { key: Some(_), .. }) => {
                let Some(Frame::Map { entries, key, .. }) = self.stack.last_mut() else {
                    unreachable!()
                };
                let (k, korigin) = key.take().expect("key present");
                match k {
                    Key::Text(k) => {
                        entries.insert(k, node);
                    }
                    Key::Merge => {
                        if let Err(msg) = apply_merge(entries, node) {
                            self.fail(&korigin, msg);
                        }
                    }
                    Key::Invalid(msg) => self.fail(&korigin, msg),
                }
            }
        }
    }

    /// Takes `cost` (a copy made by an anchor or an alias) from the budget, or fails at
    /// `origin` (false) when it is spent.
    fn charge(&mut self, cost: Cost, origin: &Origin) -> bool {
        if cost.nodes > self.budget.alias.nodes {
            self.fail(
                origin,
                format!(
                    "anchors and aliases copy more than {ALIAS_BUDGET} nodes; refused (a YAML bomb?)"
                ),
            );
            return false;
        }
        if cost.bytes > self.budget.alias.bytes {
            self.fail(
                origin,
                format!(
                    "anchors and aliases copy more than {ALIAS_BYTES} bytes (4 MiB) of text; \
                     refused (a YAML bomb?)"
                ),
            );
            return false;
        }
        self.budget.alias.nodes -= cost.nodes;
        self.budget.alias.bytes -= cost.bytes;
        self.count(cost.nodes, origin)
    }

    /// Counts `n` more nodes held, or fails at `origin` (false) past [`MAX_NODES`].
    fn count(&mut self, n: usize, origin: &Origin) -> bool {
        if n > self.budget.nodes {
            self.fail(
                origin,
                format!(
                    "the values files hold more than {MAX_NODES} values (keys, list items, \
                     alias copies) in all; refused"
                ),
            );
            return false;
        }
        self.budget.nodes -= n;
        true
    }

    /// What copying `node` costs: its nodes, and the bytes of its strings and keys.
    fn cost(node: &Node) -> Cost {
        let mut c = Cost { nodes: 1, bytes: 0 };
        match &node.value {
            Value::Seq(items) => items.iter().for_each(|n| c.add(Self::cost(n))),
            Value::Map(m) => m.iter().for_each(|(k, n)| {
                c.bytes += k.len();
                c.add(Self::cost(n))
            }),
            Value::Str(s) | Value::BigInt(s) => c.bytes = s.len(),
            _ => {}
        }
        c
    }
}

/// `<<: map` or `<<: [map, map]`: keys merged in place; in a list earlier maps win.
fn apply_merge(entries: &mut BTreeMap<String, Node>, node: Node) -> Result<(), String> {
    match node.value {
        Value::Map(m) => {
            entries.extend(m);
            Ok(())
        }
        Value::Seq(items) => {
            for item in items.into_iter().rev() {
                match item.value {
                    Value::Map(m) => entries.extend(m),
                    _ => return Err("a merge key `<<` list may only hold maps".to_string()),
                }
            }
            Ok(())
        }
        _ => Err("a merge key `<<` takes a map or a list of maps".to_string()),
    }
}

fn map_key(node: &Node, merge_key: bool) -> Key {
    match &node.value {
        _ if merge_key => Key::Merge,
        Value::Str(s) => Key::Text(s.clone()),
        Value::Bool(b) => Key::Text(b.to_string()),
        Value::Int(i) => Key::Text(i.to_string()),
        // go-yaml reads it as a uint64, which Helm refuses as a key; beyond, as a float.
        Value::BigInt(s) if s.parse::<u64>().is_ok() => Key::Invalid(
            "a map key may not be an integer above 9223372036854775807 (Helm refuses it)"
                .to_string(),
        ),
        Value::BigInt(s) => Key::Text(go_float_key(s.parse().unwrap_or(f64::NAN))),
        Value::Float(f) => Key::Text(go_float_key(*f)),
        Value::Null => Key::Invalid("a map key may not be null".to_string()),
        Value::Seq(_) | Value::Map(_) => {
            Key::Invalid("a map key must be a scalar, not a list or a map".to_string())
        }
    }
}

/// A float map key as Helm (sigs.k8s.io/yaml) writes it: Go's
/// `strconv.FormatFloat(f, 'g', -1, 32)`, with `.inf`, `-.inf` and `.nan`.
fn go_float_key(f: f64) -> String {
    let f = f as f32;
    if f.is_nan() {
        return ".nan".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf" } else { "-.inf" }.to_string();
    }
    // Shortest round-trip digits and the exponent, as Go computes them.
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').expect("LowerExp has an exponent");
    let exp: i32 = exp.parse().expect("exponent");
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    if f == 0.0 {
        return format!("{sign}0");
    }
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if !(-4..6).contains(&exp) {
        let (first, rest) = digits.split_at(1);
        let dot = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{first}{dot}e{esign}{:02}", exp.abs());
    }
    let point = exp + 1; // digits before the decimal point
    let n = digits.len() as i32;
    if point <= 0 {
        format!("{sign}0.{}{digits}", "0".repeat((-point) as usize))
    } else if point >= n {
        format!("{sign}{digits}{}", "0".repeat((point - n) as usize))
    } else {
        let (int, frac) = digits.split_at(point as usize);
        format!("{sign}{int}.{frac}")
    }
}

impl Cost {
    fn add(&mut self, other: Cost) {
        self.nodes = self.nodes.saturating_add(other.nodes);
        self.bytes = self.bytes.saturating_add(other.bytes);
    }
}

impl Builder {
    fn on_event(&mut self, ev: Event, mark: Mark) {
        if self.error.is_some() {
            return;
        }
        match ev {
            Event::StreamStart | Event::StreamEnd | Event::DocumentStart | Event::DocumentEnd => {}
            Event::SequenceStart { ref anchor } | Event::MappingStart { ref anchor } => {
                let anchor = anchor.clone();
                let origin = self.origin(mark);
                if self.stack.len() >= MAX_DEPTH {
                    self.fail(
                        &origin,
                        format!("nesting deeper than {MAX_DEPTH} levels is refused"),
                    );
                    return;
                }
                let frame = if matches!(ev, Event::SequenceStart { .. }) {
                    Frame::Seq {
                        items: Vec::new(),
                        origin,
                        anchor,
                    }
                } else {
                    Frame::Map {
                        entries: BTreeMap::new(),
                        origin,
                        anchor,
                        key: None,
                    }
                };
                self.stack.push(frame);
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return;
                };
                let (node, anchor) = match frame {
                    Frame::Seq {
                        items,
                        origin,
                        anchor,
                    } => (Node::new(Value::Seq(items), origin), anchor),
                    Frame::Map {
                        entries,
                        origin,
                        anchor,
                        ..
                    } => (Node::new(Value::Map(entries), origin), anchor),
                };
                self.push_node(node, anchor, false);
            }
            Event::Alias(name) => {
                let origin = self.origin(mark);
                let Some(target) = self.anchors.get(&name) else {
                    self.fail(&origin, "an alias refers to an unknown anchor".to_string());
                    return;
                };
                let cost = Self::cost(target);
                if !self.charge(cost, &origin) {
                    return;
                }
                let Some(target) = self.anchors.get(&name) else {
                    return;
                };
                let node = target.clone();
                self.push_node(node, None, false);
            }
            Event::Scalar {
                value,
                style,
                anchor,
                tag,
            } => {
                let origin = self.origin(mark);
                let merge_key = style == Style::Plain && tag.is_none() && value == "<<";
                match resolve_scalar(value, style, tag.as_deref()) {
                    Ok(value) => self.push_node(Node::new(value, origin), anchor, merge_key),
                    Err(msg) => self.fail(&origin, msg),
                }
            }
        }
    }
}

/// The value of a scalar: quoted and block scalars are strings; plain ones follow YAML 1.1
/// as go-yaml v2 (and so Helm) reads them; standard tags (`!!str`, `!!int`, …) are honoured.
fn resolve_scalar(text: String, style: Style, tag: Option<&str>) -> Result<Value, String> {
    if let Some(tag) = tag {
        if let Some(suffix) = tag.strip_prefix("tag:yaml.org,2002:") {
            return match suffix {
                "str" => Ok(Value::Str(text)),
                "binary" => {
                    let cleaned: String = text.chars().filter(|c| !c.is_whitespace()).collect();
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(cleaned.as_bytes())
                        .map_err(|_| "a !!binary value is not valid base64".to_string())?;
                    String::from_utf8(bytes)
                        .map(Value::Str)
                        .map_err(|_| "a !!binary value does not decode to UTF-8 text".to_string())
                }
                "null" | "bool" | "int" | "float" => {
                    let v = resolve_plain(&text);
                    let ok = matches!(
                        (suffix, &v),
                        ("null", Value::Null)
                            | ("bool", Value::Bool(_))
                            | ("int", Value::Int(_) | Value::BigInt(_))
                            | ("float", Value::Float(_) | Value::Int(_) | Value::BigInt(_))
                    );
                    if ok {
                        Ok(v)
                    } else {
                        Err(format!("a value tagged !!{} does not parse as one", suffix))
                    }
                }
                _ => Ok(if style == Style::Plain {
                    resolve_plain(&text)
                } else {
                    Value::Str(text)
                }),
            };
        }
        // A local tag (`!foo`): Helm keeps the text as a string.
        return Ok(Value::Str(text));
    }
    if style != Style::Plain {
        return Ok(Value::Str(text));
    }
    Ok(match resolve_plain(&text) {
        Value::Str(_) => Value::Str(text),
        v => v,
    })
}

/// YAML 1.1 resolution of a plain scalar, as go-yaml v2 does it.
pub fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Value::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Value::Bool(false)
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    let first = text.as_bytes()[0];
    if !(first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.')) {
        return Value::Str(text.to_string());
    }
    let plain: String = text.chars().filter(|&c| c != '_').collect();
    if let Some(v) = parse_go_int(&plain) {
        return v;
    }
    if is_yaml_float(&plain) {
        if let Ok(f) = plain.parse::<f64>() {
            if f.is_finite() {
                return Value::Float(f);
            }
        }
    }
    Value::Str(text.to_string())
}

/// Go's `strconv.ParseInt(s, 0, 64)` then `ParseUint`: sign, `0x`, `0o`, `0b`, leading-zero octal.
fn parse_go_int(s: &str) -> Option<Value> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if body.is_empty() {
        return None;
    }
    let (radix, digits) = if let Some(d) = body.strip_prefix("0x").or(body.strip_prefix("0X")) {
        (16, d)
    } else if let Some(d) = body.strip_prefix("0o").or(body.strip_prefix("0O")) {
        (8, d)
    } else if let Some(d) = body.strip_prefix("0b").or(body.strip_prefix("0B")) {
        (2, d)
    } else if body.len() > 1 && body.starts_with('0') {
        (8, &body[1..])
    } else {
        (10, body)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u128::from_str_radix(digits, radix).ok();
    match magnitude {
        Some(m) if !neg && m <= i64::MAX as u128 => Some(Value::Int(m as i64)),
        Some(m) if neg && m <= (i64::MAX as u128) + 1 => {
            Some(Value::Int((m as i128).wrapping_neg() as i64))
        }
        Some(m) if !neg && m <= u64::MAX as u128 => Some(Value::BigInt(m.to_string())),
        // Too big for Go's int64 and uint64: Helm reads it as a float; we keep the digits.
        _ if radix == 10 => Some(Value::BigInt(if neg {
            format!("-{}", digits.trim_start_matches('0'))
        } else {
            digits.trim_start_matches('0').to_string()
        })),
        _ => None,
    }
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn is_yaml_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            digits(&mut i);
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests;
