//! Helm's `--set` grammar (`pkg/strvals` of Helm v4), rewritten in Rust with the same
//! semantics, quirks included, so that every argument means here what it means to Helm:
//!
//! * `--set`, `--set-string`, `--set-file`, `--set-json`: `KEY=VALUE[,KEY=VALUE...]`. A key is
//!   a dotted path (`a.b.c`, at most 30 dots) with list indexes (`a[0]`, `a[0][1]`,
//!   `a[0].b`, index 0 to 65536, gaps padded with null); `\` escapes the next character in
//!   keys and values (`\,` `\.` `\=` `\\` `\[`).
//! * values: `--set` types them (`true`/`false`/`null` in any case, base-10 integers without a
//!   leading zero that fit 64 bits; anything else is a string); `--set-string` keeps strings;
//!   `--set-file` reads the named file; `{a,b}` is a list of such values; `--set-json` reads one
//!   JSON value (empty means null), and an argument that is a whole JSON object merges in as
//!   a values file would.
//! * `--set-literal KEY=VALUE`: no escapes and no commas; everything after the first `=` is
//!   the string.
//!
//! Helm's quirks are kept on purpose (an argument means the same thing to both tools):
//! `a={}` is `[""]`, `a[0]` without a value creates an empty list, an unfinished index
//! (`a[0`) or a trailing `.` is ignored, an empty key is ignored, and so on. Where Helm
//! rounds (`--set-json` numbers become float64) we keep the exact number.
//!
//! Nothing here prints a value: errors name the key as written and what is wrong.

use std::collections::BTreeMap;

use super::gojson::Json;
use super::node::{Node, Origin, Value};
use super::SetKind;

/// Largest list index Helm accepts (`strvals.MaxIndex`).
pub const MAX_INDEX: usize = 65536;
/// Deepest dotted key Helm accepts (`strvals.MaxNestedNameLevel`): the number of dots.
pub const MAX_NESTED_NAME_LEVEL: usize = 30;
/// Deepest nesting of maps and lists one argument may build (the values-wide bound).
pub const MAX_DEPTH: usize = super::yaml::MAX_DEPTH;
/// How many list entries (padding included) the `--set` arguments of one run may create
/// together: bounds the memory `a[65536][65536]...`, or hundreds of `a[65536]`, can take
/// (about 100 bytes an entry). Helm has no such bound.
pub const LIST_ENTRY_BUDGET: usize = 400_000;

/// The list entries the `--set` arguments of one run may still create.
#[derive(Debug)]
pub struct ListBudget(usize);

impl Default for ListBudget {
    fn default() -> Self {
        ListBudget(LIST_ENTRY_BUDGET)
    }
}

pub use crate::diag::LATER;

/// The key part of a `--set` argument, for messages: the text before the first `=`
/// (escaped or not, so that no part of a value is ever included). A whole-object
/// `--set-json` argument has no key: `{...}`.
pub fn key_part(arg: &str) -> &str {
    if arg.trim_start().starts_with('{') {
        return "{...}";
    }
    match arg.find('=') {
        Some(i) => &arg[..i],
        None => arg,
    }
}

/// Applies one `--set`-family argument to `base` (the merged values files), as Helm does.
pub fn parse_into(
    kind: SetKind,
    arg: &str,
    base: &mut Node,
    read_file: &mut dyn FnMut(&str) -> Result<String, String>,
) -> Result<(), String> {
    parse_into_within(kind, arg, base, read_file, &mut ListBudget::default())
}

/// [`parse_into`], drawing list entries from `budget`, shared by every argument of a run.
pub fn parse_into_within(
    kind: SetKind,
    arg: &str,
    base: &mut Node,
    read_file: &mut dyn FnMut(&str) -> Result<String, String>,
    budget: &mut ListBudget,
) -> Result<(), String> {
    if kind == SetKind::Json {
        let trimmed = arg.trim();
        if trimmed.starts_with('{') {
            return merge_json_object(trimmed, base);
        }
    }
    let Value::Map(data) = &mut base.value else {
        return Err("the values are not a map".to_string());
    };
    let mut parser = Parser {
        s: arg,
        pos: 0,
        last_len: 0,
        kind,
        read_file,
        start: 0,
        budget: budget.0,
    };
    let result = loop {
        parser.start = parser.pos;
        match parser.key(data, 0, 0) {
            Ok(()) => {}
            Err(Fail::Eof) => break Ok(()),
            Err(Fail::Msg(m)) => break Err(m),
        }
    };
    budget.0 = parser.budget;
    result
}

/// `--set-json '{"a": ...}'`: the object merges into the values as a values file does.
fn merge_json_object(text: &str, base: &mut Node) -> Result<(), String> {
    let origin = flag_origin(SetKind::Json, String::new());
    let mut json = Json {
        b: text.as_bytes(),
        pos: 0,
        origin: &origin,
    };
    let mut node = json
        .value(0)
        .and_then(|n| {
            json.skip_ws();
            if json.pos < json.b.len() {
                Err(json.fail("unexpected text after the JSON object"))
            } else {
                Ok(n)
            }
        })
        .map_err(|e| format!("the argument is not a valid JSON object: {e}"))?;
    set_json_paths(&mut node, "");
    super::merge::merge_maps(base, node);
    Ok(())
}

/// Gives every node of a whole-object `--set-json` its own key path as origin.
fn set_json_paths(node: &mut Node, path: &str) {
    if let Origin::Flag { path: p, .. } = &mut node.origin {
        *p = path.to_string();
    }
    match &mut node.value {
        Value::Map(m) => {
            for (k, v) in m.iter_mut() {
                let child = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                set_json_paths(v, &child);
            }
        }
        Value::Seq(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                set_json_paths(v, &format!("{path}[{i}]"));
            }
        }
        _ => {}
    }
}

fn flag_origin(kind: SetKind, path: String) -> Origin {
    Origin::Flag {
        flag: kind.flag(),
        path,
    }
}

/// How a step of the parse ended short: `Eof` is Helm's `io.EOF` (the end of the argument,
/// not an error: parsing stops there), `Msg` is a real error.
enum Fail {
    Eof,
    Msg(String),
}

type Step<T> = Result<T, Fail>;

/// How the parse goes on after a value that follows `=` is stored.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Then {
    Continue,
    /// After a `--set-json` value: skip what an empty value would (the `,`).
    SkipEmptyValue,
    /// The argument ended right after `=`: Helm's io.EOF for a key.
    Eof,
}

/// What follows `=` when it is not JSON: a `{a,b}` list, nothing at all, or a plain value.
enum ValList {
    List(Vec<Node>),
    Eof,
    NotList,
}

struct Parser<'a, 'r> {
    s: &'a str,
    pos: usize,
    last_len: usize,
    kind: SetKind,
    read_file: &'r mut dyn FnMut(&str) -> Result<String, String>,
    /// Where the assignment being parsed starts (its key as written begins here).
    start: usize,
    budget: usize,
}

impl Parser<'_, '_> {
    fn literal(&self) -> bool {
        self.kind == SetKind::Literal
    }

    fn read(&mut self) -> Option<char> {
        let c = self.s[self.pos..].chars().next()?;
        self.last_len = c.len_utf8();
        self.pos += self.last_len;
        Some(c)
    }

    fn unread(&mut self) {
        self.pos -= self.last_len;
        self.last_len = 0;
    }

    /// Reads up to one of `stop` (consumed, returned) or the end (`None`); `\` escapes the
    /// next character, except for `--set-literal`.
    fn runes_until(&mut self, stop: &[char]) -> (String, Option<char>) {
        let escapes = !self.literal();
        let mut v = String::new();
        loop {
            match self.read() {
                None => return (v, None),
                Some(c) if stop.contains(&c) => return (v, Some(c)),
                Some('\\') if escapes => match self.read() {
                    None => return (v, None),
                    Some(n) => v.push(n),
                },
                Some(c) => v.push(c),
            }
        }
    }

    /// The key of the current assignment as written, up to byte `end`. A later assignment
    /// of the argument (after `,`) follows the first `=`: that text may be part of a value
    /// (`--set k=p4ss,w0rd`), so it is never shown; it is named [`LATER`] after the first key.
    fn written(&self, end: usize) -> String {
        if self.start > 0 {
            return format!("{}{LATER}", key_part(self.s));
        }
        self.s[self.start..end].to_string()
    }

    /// The key as written up to the delimiter just read.
    fn written_here(&self) -> String {
        self.written(self.pos.saturating_sub(1).max(self.start))
    }

    fn origin(&self, end: usize) -> Origin {
        flag_origin(self.kind, self.written(end))
    }

    fn err<T>(&self, msg: String) -> Step<T> {
        Err(Fail::Msg(msg))
    }

    /// Helm's `parser.key`: one assignment (or the rest of one, below a map).
    fn key(&mut self, data: &mut BTreeMap<String, Node>, level: usize, depth: usize) -> Step<()> {
        if depth > MAX_DEPTH {
            let w = self.written(self.pos);
            return self.err(format!(
                "`{w}` nests deeper than {MAX_DEPTH} levels; refused"
            ));
        }
        let stop: &[char] = if self.literal() {
            &['=', '[', '.']
        } else {
            &['=', '[', ',', '.']
        };
        let (k, last) = self.runes_until(stop);
        match last {
            None => {
                if k.is_empty() {
                    Err(Fail::Eof)
                } else {
                    let w = self.written(self.pos);
                    self.err(format!("{} has no value (expected KEY=VALUE)", label(&w)))
                }
            }
            Some('=') => {
                let end = self.pos - 1;
                let (v, then) = self.after_equals(end, depth)?;
                set(data, k, v);
                match then {
                    Then::Continue => Ok(()),
                    Then::SkipEmptyValue => {
                        self.empty_val();
                        Ok(())
                    }
                    Then::Eof => Err(Fail::Eof),
                }
            }
            Some(',') => {
                let w = self.written_here();
                self.err(format!(
                    "{} has no value: a `,` follows it (expected KEY=VALUE)",
                    label(&w)
                ))
            }
            Some('.') => {
                let end = self.pos - 1;
                let level = level + 1;
                if level > MAX_NESTED_NAME_LEVEL {
                    let w = self.written(end);
                    return self.err(format!(
                        "`{w}...` nests more than {MAX_NESTED_NAME_LEVEL} levels of keys, Helm's limit"
                    ));
                }
                match data.get_mut(&k) {
                    Some(node) => match &mut node.value {
                        Value::Map(inner) => {
                            let r = self.key(inner, level, depth + 1);
                            if r.is_ok() && inner.is_empty() {
                                return self.no_key_after_dot(end);
                            }
                            r
                        }
                        other => {
                            let w = self.written(end);
                            self.err(format!(
                                "`{w}` {}, not a map, so no key can be set below it",
                                holds(other)
                            ))
                        }
                    },
                    None => {
                        let mut inner = BTreeMap::new();
                        let r = self.key(&mut inner, level, depth + 1);
                        if r.is_ok() && inner.is_empty() {
                            return self.no_key_after_dot(end);
                        }
                        if !inner.is_empty() {
                            set(data, k, Node::new(Value::Map(inner), self.origin(end)));
                        }
                        r
                    }
                }
            }
            Some(_) => {
                // '['
                let end = self.pos - 1;
                let i = self.key_index()?;
                match data.get_mut(&k) {
                    Some(node) => match &mut node.value {
                        Value::Seq(list) => {
                            if k.is_empty() && !(i >= 0 && (i as usize) < list.len()) {
                                // Helm never stores under an empty key; only an in-place
                                // change of an existing list would show.
                                let mut scratch = list.clone();
                                return self.list_item(&mut scratch, i, level, depth + 1);
                            }
                            self.list_item(list, i, level, depth + 1)
                        }
                        other => {
                            let w = self.written(end);
                            self.err(format!(
                                "`{w}` {}, not a list, so it cannot take an index",
                                holds(other)
                            ))
                        }
                    },
                    None => {
                        let mut list = Vec::new();
                        let r = self.list_item(&mut list, i, level, depth + 1);
                        set(data, k, Node::new(Value::Seq(list), self.origin(end)));
                        r
                    }
                }
            }
        }
    }

    /// `a.=x`: nothing was set below `a` (`end` is where the `.` is).
    fn no_key_after_dot(&self, end: usize) -> Step<()> {
        let w = self.written(end);
        self.err(format!(
            "{} has no key after its `.` (expected KEY=VALUE)",
            label(&w)
        ))
    }

    /// Helm's `keyIndex`: the number up to `]`. An unfinished index is the end of input.
    fn key_index(&mut self) -> Step<i64> {
        let (v, last) = self.runes_until(&[']']);
        if last.is_none() {
            return Err(Fail::Eof);
        }
        // Go's strconv.Atoi: optional sign, decimal digits, 64 bits.
        v.parse::<i64>().or_else(|e| {
            let w = self.written_here();
            let why = match e.kind() {
                std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow => {
                    "is out of range"
                }
                _ => "is not a number",
            };
            let w = if w.ends_with(LATER) {
                w
            } else {
                format!("{w}]")
            };
            self.err(format!("`{w}`: the list index {why}"))
        })
    }

    /// The value after the `=` that ends at byte `end`, for a key or a list item alike, and
    /// how the parse goes on once the caller has stored it.
    fn after_equals(&mut self, end: usize, depth: usize) -> Step<(Node, Then)> {
        let origin = self.origin(end);
        let w = self.written(end);
        match self.kind {
            SetKind::Literal => {
                let rest = self.s[self.pos..].to_string();
                self.pos = self.s.len();
                Ok((Node::new(Value::Str(rest), origin), Then::Continue))
            }
            SetKind::Json => {
                if self.empty_val() {
                    return Ok((Node::new(Value::Null, origin), Then::Continue));
                }
                let v = self.json_value(&w, &origin, depth + 1)?;
                Ok((v, Then::SkipEmptyValue))
            }
            _ => match self.val_list(&w, &origin)? {
                ValList::List(items) => Ok((Node::new(Value::Seq(items), origin), Then::Continue)),
                ValList::Eof => Ok((Node::new(Value::Str(String::new()), origin), Then::Eof)),
                ValList::NotList => {
                    let rs = self.val();
                    let v = self.read_value(rs, &w, &origin)?;
                    Ok((v, Then::Continue))
                }
            },
        }
    }

    /// Helm's `listItem`: what follows `[i]`.
    fn list_item(&mut self, list: &mut Vec<Node>, i: i64, level: usize, depth: usize) -> Step<()> {
        if i < 0 {
            let w = self.written(self.pos);
            return self.err(format!("`{w}`: a list index may not be negative"));
        }
        if depth > MAX_DEPTH {
            let w = self.written(self.pos);
            return self.err(format!(
                "`{w}` nests deeper than {MAX_DEPTH} levels; refused"
            ));
        }
        let i = usize::try_from(i).unwrap_or(usize::MAX);
        let (k, last) = self.runes_until(&['[', '.', '=']);
        if !k.is_empty() {
            let w = if last.is_some() {
                self.written_here()
            } else {
                self.written(self.pos)
            };
            return self.err(format!(
                "`{w}`: unexpected text after `]` (expected `.`, `[` or `=`)"
            ));
        }
        match last {
            None => Err(Fail::Eof),
            Some('=') => {
                let end = self.pos - 1;
                let w = self.written(end);
                let (v, then) = self.after_equals(end, depth)?;
                self.set_index(list, i, v, &w)?;
                // Unlike a key, a list item at the end of the argument is not Helm's io.EOF.
                if then == Then::SkipEmptyValue {
                    self.empty_val();
                }
                Ok(())
            }
            Some('[') => {
                let end = self.pos - 1;
                let next = self.key_index()?;
                if i < list.len() && !list[i].is_null() {
                    match &mut list[i].value {
                        Value::Seq(inner) => self.list_item(inner, next, level, depth + 1),
                        other => {
                            let w = self.written(end);
                            self.err(format!(
                                "`{w}` {}, not a list, so it cannot take an index",
                                holds(other)
                            ))
                        }
                    }
                } else {
                    let mut inner = Vec::new();
                    self.list_item(&mut inner, next, level, depth + 1)?;
                    let w = self.written(end);
                    let node = Node::new(Value::Seq(inner), self.origin(end));
                    self.set_index(list, i, node, &w)
                }
            }
            Some(_) => {
                // '.'
                let end = self.pos - 1;
                if i < list.len() {
                    if !matches!(list[i].value, Value::Map(_)) {
                        // Helm replaces whatever was there with a map.
                        list[i] = Node::map(self.origin(end));
                    }
                    let Value::Map(inner) = &mut list[i].value else {
                        unreachable!("just made a map")
                    };
                    self.key(inner, level, depth + 1)
                } else {
                    let mut inner = BTreeMap::new();
                    self.key(&mut inner, level, depth + 1)?;
                    let w = self.written(end);
                    let node = Node::new(Value::Map(inner), self.origin(end));
                    self.set_index(list, i, node, &w)
                }
            }
        }
    }

    /// Helm's `setIndex`: stores at `i`, padding with null; refuses indexes over 65536.
    fn set_index(&mut self, list: &mut Vec<Node>, i: usize, val: Node, w: &str) -> Step<()> {
        if i > MAX_INDEX {
            return self.err(format!(
                "`{w}`: list index {i} is above Helm's maximum of {MAX_INDEX}"
            ));
        }
        if list.len() <= i {
            let grow = i + 1 - list.len();
            if grow > self.budget {
                return self.err(format!(
                    "`{w}`: the list indexes of the --set arguments would create more than \
                     {LIST_ENTRY_BUDGET} list entries in all; refused"
                ));
            }
            self.budget -= grow;
            let pad = Node::new(Value::Null, val.origin.clone());
            list.resize(i + 1, pad);
        }
        list[i] = val;
        Ok(())
    }

    /// Helm's `emptyVal`: skips blanks; true at the end or at a `,` (consumed).
    fn empty_val(&mut self) -> bool {
        loop {
            match self.read() {
                None | Some(',') => return true,
                Some(c) if c.is_whitespace() => {}
                Some(_) => {
                    self.unread();
                    return false;
                }
            }
        }
    }

    /// Helm's `val`: a plain value, up to `,`.
    fn val(&mut self) -> String {
        self.runes_until(&[',']).0
    }

    /// Helm's `valList`: `{a,b,...}` after `=`.
    fn val_list(&mut self, w: &str, origin: &Origin) -> Step<ValList> {
        match self.read() {
            None => return Ok(ValList::Eof),
            Some('{') => {}
            Some(_) => {
                self.unread();
                return Ok(ValList::NotList);
            }
        }
        let mut items = Vec::new();
        loop {
            let (rs, last) = self.runes_until(&[',', '}']);
            match last {
                None => {
                    return self.err(format!(
                        "the `{{...}}` list given for `{w}` has no closing `}}`"
                    ))
                }
                Some('}') => {
                    if let Some(c) = self.read() {
                        if c != ',' {
                            self.unread();
                        }
                    }
                    items.push(self.read_value(rs, w, origin)?);
                    return Ok(ValList::List(items));
                }
                Some(_) => items.push(self.read_value(rs, w, origin)?),
            }
        }
    }

    /// The value of one plain item, by kind: typed, string, or the content of a file.
    fn read_value(&mut self, rs: String, w: &str, origin: &Origin) -> Step<Node> {
        let value = match self.kind {
            SetKind::Set => typed_val(rs),
            SetKind::File => match (self.read_file)(&rs) {
                Ok(text) => Value::Str(text),
                Err(e) => return self.err(format!("cannot read the file given for `{w}`: {e}")),
            },
            SetKind::String | SetKind::Json | SetKind::Literal => Value::Str(rs),
        };
        Ok(Node::new(value, origin.clone()))
    }

    /// One JSON value at the current position (Go's `json.Decoder.Decode`: it stops right
    /// after the value).
    fn json_value(&mut self, w: &str, origin: &Origin, depth: usize) -> Step<Node> {
        let mut json = Json {
            b: &self.s.as_bytes()[self.pos..],
            pos: 0,
            origin,
        };
        match json.value(depth) {
            Ok(node) => {
                self.pos += json.pos;
                Ok(node)
            }
            Err(e) => self.err(format!("the value of `{w}` is not valid JSON: {e}")),
        }
    }
}

/// Helm stores nothing under an empty key.
fn set(data: &mut BTreeMap<String, Node>, key: String, val: Node) {
    if !key.is_empty() {
        data.insert(key, val);
    }
}

fn label(written: &str) -> String {
    if written.is_empty() {
        "an empty key".to_string()
    } else {
        format!("key `{written}`")
    }
}

fn holds(v: &Value) -> String {
    match v {
        Value::Null => "is null".to_string(),
        other => format!("holds a {}", other.type_name()),
    }
}

/// Helm's `typedVal` for `--set`: `true`/`false`/`null` in any case, `0`, and base-10 integers
/// without a leading zero that fit 64 bits; anything else is the string as given.
fn typed_val(s: String) -> Value {
    if equal_fold(&s, "true") {
        return Value::Bool(true);
    }
    if equal_fold(&s, "false") {
        return Value::Bool(false);
    }
    if equal_fold(&s, "null") {
        return Value::Null;
    }
    if s == "0" {
        return Value::Int(0);
    }
    if !s.is_empty() && !s.starts_with('0') {
        // Rust's i64 parser and Go's ParseInt(s, 10, 64) accept the same texts.
        if let Ok(i) = s.parse::<i64>() {
            return Value::Int(i);
        }
    }
    Value::Str(s)
}

/// Go's `strings.EqualFold` against a lower-case ASCII word: ASCII case folding, plus the
/// one non-ASCII letter that folds onto a letter of `true`/`false`/`null` (`ſ` ~ `s`).
fn equal_fold(s: &str, word: &str) -> bool {
    let mut a = s.chars();
    for w in word.chars() {
        match a.next() {
            Some(c) if c.to_ascii_lowercase() == w => {}
            Some('\u{17f}') if w == 's' => {}
            _ => return false,
        }
    }
    a.next().is_none()
}

#[cfg(test)]
mod tests;
