//! The `--set-json` value reader: Go's `encoding/json` grammar, as Helm reads these values.
//! Hand-written rather than serde_json: Go's grammar differs (invalid UTF-16 escapes become
//! U+FFFD, Go's `Decoder` stops right after one value inside a longer `--set` argument), and
//! every node needs its origin.

use std::collections::BTreeMap;

use super::node::{Node, Origin, Value};
use super::yaml::MAX_DEPTH;

/// A JSON reader with Go's `encoding/json` grammar. Integers keep their exact digits (Go
/// would round them to float64); a float out of range is refused as Go refuses it.
/// Errors give a byte offset, never the text.
pub(super) struct Json<'a, 'o> {
    pub(super) b: &'a [u8],
    pub(super) pos: usize,
    pub(super) origin: &'o Origin,
}

impl Json<'_, '_> {
    pub(super) fn fail(&self, what: &str) -> String {
        format!("{what} (at byte {} of the value)", self.pos + 1)
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    pub(super) fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn node(&self, value: Value) -> Node {
        Node::new(value, self.origin.clone())
    }

    pub(super) fn value(&mut self, depth: usize) -> Result<Node, String> {
        self.skip_ws();
        match self.peek() {
            None => Err(self.fail("unexpected end of the value")),
            Some(b'{') => {
                let depth = self.enter(depth)?;
                self.pos += 1;
                let mut map = BTreeMap::new();
                self.skip_ws();
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                    return Ok(self.node(Value::Map(map)));
                }
                loop {
                    self.skip_ws();
                    if self.peek() != Some(b'"') {
                        return Err(self.fail("expected a string key"));
                    }
                    let key = self.string()?;
                    self.skip_ws();
                    if self.peek() != Some(b':') {
                        return Err(self.fail("expected `:` after an object key"));
                    }
                    self.pos += 1;
                    let v = self.value(depth)?;
                    map.insert(key, v);
                    self.skip_ws();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b'}') => {
                            self.pos += 1;
                            return Ok(self.node(Value::Map(map)));
                        }
                        None => return Err(self.fail("unexpected end inside an object")),
                        Some(_) => return Err(self.fail("expected `,` or `}` in an object")),
                    }
                }
            }
            Some(b'[') => {
                let depth = self.enter(depth)?;
                self.pos += 1;
                let mut items = Vec::new();
                self.skip_ws();
                if self.peek() == Some(b']') {
                    self.pos += 1;
                    return Ok(self.node(Value::Seq(items)));
                }
                loop {
                    items.push(self.value(depth)?);
                    self.skip_ws();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(self.node(Value::Seq(items)));
                        }
                        None => return Err(self.fail("unexpected end inside a list")),
                        Some(_) => return Err(self.fail("expected `,` or `]` in a list")),
                    }
                }
            }
            Some(b'"') => {
                let s = self.string()?;
                Ok(self.node(Value::Str(s)))
            }
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.fail("invalid character, expected a JSON value")),
        }
    }

    fn enter(&self, depth: usize) -> Result<usize, String> {
        if depth >= MAX_DEPTH {
            Err(self.fail(&format!(
                "nesting deeper than {MAX_DEPTH} levels is refused"
            )))
        } else {
            Ok(depth + 1)
        }
    }

    fn literal(&mut self, word: &str, v: Value) -> Result<Node, String> {
        for &c in word.as_bytes() {
            if self.peek() != Some(c) {
                return Err(self.fail(if self.peek().is_none() {
                    "unexpected end of the value"
                } else {
                    "invalid literal"
                }));
            }
            self.pos += 1;
        }
        Ok(self.node(v))
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Node, String> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.fail("invalid number")),
        }
        let mut integer = true;
        if self.peek() == Some(b'.') {
            integer = false;
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.fail("invalid number"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            integer = false;
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.fail("invalid number"));
            }
        }
        let text = std::str::from_utf8(&self.b[start..self.pos]).expect("ASCII digits");
        let f: f64 = text.parse().map_err(|_| self.fail("invalid number"))?;
        if !f.is_finite() {
            return Err(self.fail("number out of range"));
        }
        let value = if integer {
            match text.parse::<i64>() {
                Ok(i) => Value::Int(i),
                Err(_) => Value::BigInt(text.to_string()),
            }
        } else {
            Value::Float(f)
        };
        Ok(self.node(value))
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let h = self
            .b
            .get(self.pos..self.pos + 4)
            .and_then(|h| std::str::from_utf8(h).ok())
            .filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()))
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .ok_or_else(|| self.fail("invalid \\u escape in a string"))?;
        self.pos += 4;
        Ok(h)
    }

    /// A string: Go's escapes; an unpaired surrogate becomes U+FFFD as in Go.
    fn string(&mut self) -> Result<String, String> {
        self.pos += 1; // the opening quote
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.fail("unterminated string"));
            };
            match c {
                b'"' => {
                    self.pos += 1;
                    return Ok(String::from_utf8(out).expect("valid UTF-8 in, valid out"));
                }
                b'\\' => {
                    self.pos += 1;
                    let Some(e) = self.peek() else {
                        return Err(self.fail("unterminated string"));
                    };
                    self.pos += 1;
                    let ch = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let u = self.hex4()?;
                            if (0xD800..0xDC00).contains(&u)
                                && self.b.get(self.pos..self.pos + 2) == Some(b"\\u")
                            {
                                let save = self.pos;
                                self.pos += 2;
                                match self.hex4() {
                                    Ok(lo) if (0xDC00..0xE000).contains(&lo) => {
                                        let c = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                                        char::from_u32(c).unwrap_or('\u{fffd}')
                                    }
                                    _ => {
                                        // Go: not a pair; this one is U+FFFD, the next
                                        // escape is read on its own.
                                        self.pos = save;
                                        '\u{fffd}'
                                    }
                                }
                            } else {
                                char::from_u32(u).unwrap_or('\u{fffd}')
                            }
                        }
                        _ => {
                            self.pos -= 1;
                            return Err(self.fail("invalid escape in a string"));
                        }
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                0..=0x1f => return Err(self.fail("control character in a string")),
                _ => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
    }
}
