//! A fast reader for the YAML that the templates produce: block maps and lists, plain keys
//! and words, double-quoted scalars with JSON escapes, and JSON flow collections (from the
//! `yaml` filter). Anything else, and any doubt, returns `None`, and the caller reads the
//! document with serde_yaml instead. The two agree on everything this reader accepts (unit
//! tests, and a property test over hostile strings); it exists because libyaml spends most
//! of the time of a 5000-namespace render scanning quoted base64.

use serde_json::{Map, Value};

use crate::yamlfmt::is_plain_safe;

struct Line<'a> {
    indent: usize,
    text: &'a str,
}

/// Reads one document, or `None` when it is outside the subset.
pub fn parse(doc: &str) -> Option<Value> {
    let mut lines = Vec::new();
    let mut started = false;
    for raw in doc.split('\n') {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let trimmed = raw.trim_start_matches(' ');
        if trimmed.is_empty() {
            continue;
        }
        if trimmed.starts_with('#') || trimmed.starts_with('\t') {
            return None;
        }
        if raw == "---" {
            if started || !lines.is_empty() {
                return None; // a second document: let serde_yaml handle the stream
            }
            started = true;
            continue;
        }
        if raw.starts_with("---") || raw.starts_with("...") || raw.starts_with('%') {
            return None;
        }
        lines.push(Line {
            indent: raw.len() - trimmed.len(),
            text: trimmed,
        });
    }
    if lines.is_empty() {
        return Some(Value::Null);
    }
    let mut pos = 0;
    let v = block(&lines, &mut pos, lines[0].indent)?;
    (pos == lines.len()).then_some(v)
}

/// A block collection starting at `lines[*pos]`, all of whose entries sit at `indent`.
fn block(lines: &[Line], pos: &mut usize, indent: usize) -> Option<Value> {
    if lines[*pos].text.starts_with("- ") || lines[*pos].text == "-" {
        seq(lines, pos, indent)
    } else {
        map(lines, pos, indent, None)
    }
}

fn seq(lines: &[Line], pos: &mut usize, indent: usize) -> Option<Value> {
    let mut items = Vec::new();
    let is_item = |l: &Line| l.indent == indent && (l.text == "-" || l.text.starts_with("- "));
    while *pos < lines.len() && is_item(&lines[*pos]) {
        let text = lines[*pos].text;
        let rest = if text == "-" { "" } else { &text[2..] };
        if rest.is_empty() {
            *pos += 1;
            let child = lines.get(*pos).filter(|l| l.indent > indent)?;
            let child_indent = child.indent;
            items.push(block(lines, pos, child_indent)?);
        } else if rest.starts_with("- ") {
            return None; // nested compact sequences: not produced by the templates
        } else if let Some((key, after)) = split_key(rest) {
            // A map whose first entry is on the dash line; the rest align 2 further in.
            let first = (key, after);
            items.push(map(lines, pos, indent + 2, Some(first))?);
        } else {
            items.push(scalar(rest)?);
            *pos += 1;
        }
    }
    // What follows belongs to an enclosing collection (a key at the list's own indent
    // when the list sits under a map key).
    (*pos >= lines.len() || lines[*pos].indent <= indent).then_some(Value::Array(items))
}

fn map(
    lines: &[Line],
    pos: &mut usize,
    indent: usize,
    first: Option<(String, &str)>,
) -> Option<Value> {
    let mut out = Map::new();
    let mut pending = first;
    loop {
        let (key, after) = match pending.take() {
            Some(kv) => kv,
            None => {
                if *pos >= lines.len() || lines[*pos].indent != indent {
                    break;
                }
                split_key(lines[*pos].text)?
            }
        };
        *pos += 1;
        let value = if after.is_empty() {
            match lines.get(*pos) {
                // A list may sit at the same indent as its key.
                Some(l)
                    if l.indent > indent || (l.indent == indent && l.text.starts_with("- ")) =>
                {
                    let child_indent = l.indent;
                    block(lines, pos, child_indent)?
                }
                _ => Value::Null,
            }
        } else {
            scalar(after)?
        };
        if out.insert(key, value).is_some() {
            return None; // duplicate key: serde_yaml's rules apply
        }
    }
    if *pos < lines.len() && lines[*pos].indent > indent {
        return None;
    }
    Some(Value::Object(out))
}

/// `key: rest` or `key:` with a plain-safe or double-quoted key.
fn split_key(text: &str) -> Option<(String, &str)> {
    let (key, rest) = if text.starts_with('"') {
        let end = quoted_end(text)?;
        (unquote(&text[..end])?, &text[end..])
    } else {
        let colon = text.find(':')?;
        let key = &text[..colon];
        if !is_plain_safe(key) {
            return None;
        }
        (key.to_string(), &text[colon..])
    };
    let rest = rest.strip_prefix(':')?;
    if rest.is_empty() {
        Some((key, ""))
    } else {
        Some((key, rest.strip_prefix(' ')?.trim_start_matches(' ')))
    }
}

/// The byte index just past the closing quote of a double-quoted scalar at the start.
fn quoted_end(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 1;
    while let Some(off) = memchr::memchr2(b'"', b'\\', &bytes[i..]) {
        i += off;
        if bytes[i] == b'"' {
            return Some(i + 1);
        }
        i += 2;
        if i > bytes.len() {
            return None;
        }
    }
    None
}

fn scalar(text: &str) -> Option<Value> {
    if text.starts_with('"') {
        let end = quoted_end(text)?;
        if end != text.len() {
            return None; // something after the closing quote (a comment?)
        }
        return unquote(text).map(Value::String);
    }
    if text.starts_with('{') || text.starts_with('[') {
        // JSON flow collections (the `yaml` filter, `{}`, `[]`); JSON is YAML.
        return serde_json::from_str(text).ok();
    }
    if is_plain_safe(text) {
        return Some(Value::String(text.to_string()));
    }
    None
}

/// A double-quoted scalar with JSON escapes only (what the formatter writes); YAML's other
/// escapes and anything unusual go to serde_yaml.
fn unquote(quoted: &str) -> Option<String> {
    let inner = &quoted[1..quoted.len() - 1];
    if !inner.contains('\\') {
        return Some(inner.to_string());
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            '"' => out.push('"'),
            '\\' => out.push('\\'),
            '/' => out.push('/'),
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'u' => {
                let hex: String = chars.by_ref().take(4).collect();
                let code = u32::from_str_radix(&hex, 16)
                    .ok()
                    .filter(|_| hex.len() == 4)?;
                out.push(char::from_u32(code)?); // surrogates: serde_yaml decides
            }
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifests::test_render_yaml as render_yaml;

    /// The fast reader of template output must read exactly what serde_yaml reads, and must
    /// accept our own output (the same subset of YAML), hostile values included.
    #[test]
    fn agrees_with_serde_yaml_on_our_output() {
        use serde::Deserialize;
        let mut streams = Vec::new();
        for f in std::fs::read_dir("examples").unwrap().flatten() {
            if f.path().extension().is_some_and(|x| x == "yaml") {
                streams.push(render_yaml(&[f.path().to_str().unwrap()], &[], ""));
            }
        }
        let hostile = serde_json::json!({"llm": {"extraEnv": {"A": "x\"\\\n\u{2028}\u{85}: # {{ }} ---", "YES": "no", "B": "\u{7f}\t"}}});
        // The raw characters are escaped in the file itself (a raw DEL or NEL in a values file
        // is refused, as go-yaml refuses it); the values still hold them.
        let escaped = hostile
            .to_string()
            .replace('\u{7f}', "\\u007f")
            .replace('\u{85}', "\\u0085")
            .replace('\u{2028}', "\\u2028");
        streams.push(render_yaml(&["-"], &[], &escaped));
        let mut checked = 0;
        for stream in streams {
            for doc in stream.split("---\n").filter(|d| !d.trim().is_empty()) {
                let slow = serde_json::Value::deserialize(
                    serde_yaml::Deserializer::from_str(doc).next().unwrap(),
                )
                .unwrap();
                assert_eq!(parse(doc).as_ref(), Some(&slow), "{doc}");
                checked += 1;
            }
        }
        assert!(checked > 30);
    }
    use serde::Deserialize;

    fn slow(doc: &str) -> Value {
        Value::deserialize(serde_yaml::Deserializer::from_str(doc).next().unwrap()).unwrap()
    }

    #[test]
    fn agrees_with_serde_yaml() {
        for doc in [
            "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: agent-env\n  namespace: \"team-a\"\ntype: Opaque\ndata:\n  \"OPENAI_API_KEY\": \"c2s=\"\n  \"YES\": \"eA==\"\n",
            "a:\n  - xa: \"1\"\n    yb: \"2\"\n  - \"plain\"\n  -\n    - \"n\"\nb: {}\nc: []\nd: {\"k\": [\"\\u2028\", 1, null]}\n",
            "spec:\n  data:\n  - remoteRef:\n      key: \"recif/gcp-sa\"\n      property: value\n    secretKey: adc.json\n  refreshInterval: \"1h\"\n",
            "x: \"a\\\"b\\\\c\\n\\t\\u0085\\u2028 \\/\"\n",
            "empty:\nafter: v1\n",
        ] {
            assert_eq!(parse(doc), Some(slow(doc)), "{doc}");
        }
    }

    #[test]
    fn declines_what_it_does_not_know() {
        for doc in [
            "a: yes\n",
            "a: 1\n",
            "a: true\n",
            "a: ~\n",
            "a: 'single'\n",
            "a: |\n  block\n",
            "a: \"x\" # c\n",
            "a: &anchor x\n",
            "a: *alias\n",
            "? complex\n: key\n",
            "a: \"\\x41\"\n",
            "a: b: c\n",
            "a:\n\t- x\n",
            "a: 1\n---\nb: 2\n",
            "a: x\na: y\n",
            "  a: x\n b: y\n",
            "a: \"unterminated\n",
        ] {
            assert_eq!(parse(doc), None, "{doc}");
        }
    }
}
