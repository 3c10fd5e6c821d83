//! YAML text that no value can break: double-quoted scalars with every character a YAML 1.1
//! reader could fold or reject escaped, and a block emitter that quotes every string that
//! kubectl (YAML 1.1) or a YAML 1.2 reader could take for something else.
//! Hand-written because no YAML crate guarantees output that reads the same under YAML 1.1
//! and 1.2 with hostile strings, and the output bytes are part of the contract.

use std::fmt::Write as _;

/// Writes `s` as a double-quoted YAML scalar (also a valid JSON string). Escapes `"`, `\`,
/// control characters, DEL, the C1 range (including U+0085 NEL), U+2028 and U+2029 (which
/// YAML 1.1 readers fold as line breaks), U+FEFF and the non-characters U+FFFE/U+FFFF.
pub fn quote_into(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    loop {
        // Skip ordinary ASCII fast; stop at controls, `"`, `\`, DEL and non-ASCII bytes.
        i = next_special(bytes, i);
        if i >= bytes.len() {
            break;
        }
        let c = s[i..].chars().next().expect("a char starts here");
        let len = c.len_utf8();
        let escape = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\t' => "\\t",
            '\r' => "\\r",
            c if needs_escape(c) => "",
            _ => {
                i += len;
                continue;
            }
        };
        out.push_str(&s[start..i]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{:04X}", c as u32);
        } else {
            out.push_str(escape);
        }
        i += len;
        start = i;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// The index of the first byte at or after `from` that is an ASCII control, `"`, `\`, DEL
/// or non-ASCII (or `bytes.len()`), eight bytes at a time.
fn next_special(bytes: &[u8], mut i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    while i + 8 <= bytes.len() {
        let x = u64::from_le_bytes(bytes[i..i + 8].try_into().expect("8 bytes"));
        // bytes < 0x20, == '"', == '\\', == 0x7F, or >= 0x80
        let special = (x.wrapping_sub(ONES * 0x20) & !x & HIGHS)
            | has_zero(x ^ (ONES * b'"' as u64))
            | has_zero(x ^ (ONES * b'\\' as u64))
            | has_zero(x ^ (ONES * 0x7F))
            | (x & HIGHS);
        if special != 0 {
            return i + (special.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < bytes.len() {
        let b = bytes[i];
        if !(0x20..0x7F).contains(&b) || b == b'"' || b == b'\\' {
            return i;
        }
        i += 1;
    }
    i
}

pub fn quote(s: &str) -> String {
    let mut out = String::new();
    quote_into(&mut out, s);
    out
}

fn needs_escape(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{1F}' | '\u{7F}'..='\u{9F}' | '\u{2028}' | '\u{2029}' | '\u{FEFF}' | '\u{FFFE}' | '\u{FFFF}')
}

/// JSON text (from serde_json) made safe to embed in YAML: the characters that JSON leaves
/// raw inside strings but YAML folds or rejects are escaped. They can only occur inside
/// strings, so a plain replacement is exact.
pub fn json_to_yaml_flow(json: &str) -> String {
    if !json.chars().any(needs_escape) {
        return json.to_string();
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if needs_escape(c) {
            let _ = write!(out, "\\u{:04X}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether a string may be written as a plain (unquoted) scalar and be read back as the same
/// string by YAML 1.1 and 1.2 readers: a conservative alphabet, a letter or `_` first, and
/// none of the words YAML 1.1 reads as booleans or null.
pub fn is_plain_safe(s: &str) -> bool {
    let bytes = s.as_bytes();
    // Long strings (keys, certificates, base64) are always quoted: cheaper to decide, and
    // never ambiguous.
    if bytes.len() > LONG {
        return false;
    }
    let Some(&first) = bytes.first() else {
        return false;
    };
    if !(first.is_ascii_alphabetic() || first == b'_') {
        return false;
    }
    if !bytes
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'/' | b'@'))
    {
        return false;
    }
    // YAML 1.1 booleans and null, in any case.
    bytes.len() > 5
        || !["y", "n", "yes", "no", "on", "off", "true", "false", "null"]
            .iter()
            .any(|w| s.eq_ignore_ascii_case(w))
}

/// Strings longer than this are always double-quoted, and may be shared between objects
/// (see [`Sink::long_scalar`]).
pub const LONG: usize = 128;

/// Where the emitter writes. A sink may keep long scalars apart (to share one copy of a
/// value repeated in thousands of objects).
pub trait Sink {
    fn text(&mut self) -> &mut String;

    /// A string longer than [`LONG`], to be written double-quoted.
    fn long_scalar(&mut self, s: &str) {
        quote_into(self.text(), s);
    }
}

impl Sink for String {
    fn text(&mut self) -> &mut String {
        self
    }
}

/// Emits a JSON value as block YAML: map keys sorted (serde_json's map is sorted), strings
/// plain only when [`is_plain_safe`], otherwise double-quoted.
pub fn emit_document(out: &mut impl Sink, value: &serde_json::Value) {
    match value {
        serde_json::Value::Object(m) if !m.is_empty() => emit_map(out, m, 0),
        serde_json::Value::Array(a) if !a.is_empty() => emit_seq(out, a, 0),
        other => {
            emit_scalar(out, other);
            out.text().push('\n');
        }
    }
}

fn indent(out: &mut impl Sink, n: usize) {
    let out = out.text();
    for _ in 0..n {
        out.push(' ');
    }
}

/// The longest key written as an implicit `key:` (YAML allows 1024 characters from the start
/// of an implicit key to its `:`; escapes and quotes count, so the quoted form is measured).
const IMPLICIT_KEY: usize = 1000;

/// Writes a map key and its `:`; `level` is the indentation of the entry. A key too long
/// for an implicit key is written explicitly: `? "key"`, then `:` on its own line at `level`.
fn emit_key(out: &mut impl Sink, k: &str, level: usize) {
    let out = out.text();
    if is_plain_safe(k) {
        out.push_str(k);
    } else if k.len() <= IMPLICIT_KEY / 6 {
        quote_into(out, k);
    } else {
        let mut quoted = String::new();
        quote_into(&mut quoted, k);
        if quoted.len() <= IMPLICIT_KEY {
            out.push_str(&quoted);
        } else {
            out.push_str("? ");
            out.push_str(&quoted);
            out.push('\n');
            out.extend(std::iter::repeat_n(' ', level));
        }
    }
    out.push(':');
}

fn emit_map(out: &mut impl Sink, m: &serde_json::Map<String, serde_json::Value>, level: usize) {
    for (k, v) in m {
        indent(out, level);
        emit_key(out, k, level);
        emit_child(out, v, level);
    }
}

fn emit_seq(out: &mut impl Sink, a: &[serde_json::Value], level: usize) {
    for v in a {
        indent(out, level);
        out.text().push('-');
        match v {
            serde_json::Value::Object(m) if !m.is_empty() => {
                // First entry on the dash line, the rest aligned under it.
                let mut first = true;
                for (k, val) in m {
                    if first {
                        out.text().push(' ');
                        first = false;
                    } else {
                        indent(out, level + 2);
                    }
                    emit_key(out, k, level + 2);
                    emit_child(out, val, level + 2);
                }
            }
            serde_json::Value::Array(inner) if !inner.is_empty() => {
                out.text().push('\n');
                emit_seq(out, inner, level + 2);
            }
            other => {
                out.text().push(' ');
                emit_scalar(out, other);
                out.text().push('\n');
            }
        }
    }
}

fn emit_child(out: &mut impl Sink, v: &serde_json::Value, level: usize) {
    match v {
        serde_json::Value::Object(m) if !m.is_empty() => {
            out.text().push('\n');
            emit_map(out, m, level + 2);
        }
        serde_json::Value::Array(a) if !a.is_empty() => {
            out.text().push('\n');
            emit_seq(out, a, level);
        }
        other => {
            out.text().push(' ');
            emit_scalar(out, other);
            out.text().push('\n');
        }
    }
}

fn emit_scalar(sink: &mut impl Sink, v: &serde_json::Value) {
    if let serde_json::Value::String(s) = v {
        if s.len() > LONG {
            sink.long_scalar(s);
            return;
        }
    }
    let out = sink.text();
    match v {
        serde_json::Value::Null => out.push_str("null"),
        serde_json::Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        serde_json::Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        serde_json::Value::String(s) => {
            if is_plain_safe(s) {
                out.push_str(s);
            } else {
                quote_into(out, s);
            }
        }
        serde_json::Value::Object(_) => out.push_str("{}"),
        serde_json::Value::Array(_) => out.push_str("[]"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quoting_escapes_what_yaml_folds() {
        assert_eq!(
            quote("a\u{2028}b\u{85}c\u{2029}\"\\\n"),
            r#""a\u2028b\u0085c\u2029\"\\\n""#
        );
        assert_eq!(quote("\u{7f}\u{feff}\u{1}"), r#""\u007F\uFEFF\u0001""#);
    }

    #[test]
    fn ambiguous_words_are_quoted() {
        for s in [
            "YES",
            "y",
            "on",
            "Off",
            "N",
            "null",
            "NULL",
            "true",
            "1h",
            "0755",
            "",
            "~",
            "-a",
            ".inf",
            "a: b",
            "a #b",
            "*x",
            "&x",
            "!x",
            "%x",
            "@x",
            "`x",
            "{x",
            "[x",
            "|",
            ">",
            "=",
            "<<",
            "1e3",
            "2001-12-14",
        ] {
            assert!(!is_plain_safe(s), "{s:?} must be quoted");
        }
        for s in [
            "agent-env",
            "team-default",
            "app.kubernetes.io/managed-by",
            "Opaque",
            "v1",
            "recif-sa@p.iam.gserviceaccount.com",
            "OPENAI_API_KEY",
        ] {
            assert!(is_plain_safe(s), "{s:?} may be plain");
        }
    }

    #[test]
    fn block_emitter_round_trips() {
        let v = json!({
            "b": {"YES": "on", "list": [{"k": "v", "n": 1}, "x", ["nested"]], "empty": {}, "none": []},
            "a": "line\nbreak \u{2028} end",
            "c": null, "d": true, "e": 1.5
        });
        let mut out = String::new();
        emit_document(&mut out, &v);
        let back: serde_json::Value = serde_yaml::from_str(&out).unwrap();
        assert_eq!(back, v, "{out}");
        assert!(out.starts_with("a: "), "keys sorted: {out}");
        assert!(out.contains("\"YES\": \"on\""), "{out}");
    }

    #[test]
    fn keys_too_long_for_an_implicit_key_are_explicit() {
        let long = "k".repeat(1500);
        let escaped = "\u{1}".repeat(200); // 200 bytes, 1202 quoted
        let short = "s".repeat(900);
        let v = json!({
            "m": {&long: "v", &escaped: {"a": 1}, &short: ["x"]},
            "l": [{&long: ["y", {&escaped: null}], "z": 2}],
            &long: {},
        });
        let mut out = String::new();
        emit_document(&mut out, &v);
        let back: serde_json::Value = serde_yaml::from_str(&out).unwrap();
        assert_eq!(back, v, "{out}");
        assert_eq!(out.matches("? ").count(), 5, "{out}");
        assert!(out.contains(&format!("  \"{short}\":\n")), "{out}");
    }
}
