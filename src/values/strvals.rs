//! Helm's `--set` grammar (pkg/strvals). Minimal first version: plain dotted paths.

use super::node::{Node, Origin, Value};
use super::SetKind;

/// The key part of a `--set` argument (before the first unescaped `=`), for messages.
pub fn key_part(arg: &str) -> &str {
    arg.split('=').next().unwrap_or(arg)
}

/// Applies one `--set`-family argument to `base`, as Helm does.
pub fn parse_into(
    kind: SetKind,
    arg: &str,
    base: &mut Node,
    read_file: &mut dyn FnMut(&str) -> Result<String, String>,
) -> Result<(), String> {
    let Some((key, raw)) = arg.split_once('=') else {
        return Err("expected KEY=VALUE".to_string());
    };
    let origin = Origin::Flag {
        flag: kind.flag(),
        path: key.to_string(),
    };
    let value = match kind {
        SetKind::Set => typed(raw),
        SetKind::String | SetKind::Literal => Value::Str(raw.to_string()),
        SetKind::File => Value::Str(read_file(raw).map_err(|e| format!("{raw}: {e}"))?),
        SetKind::Json => return Err("--set-json is not supported yet".to_string()),
    };
    let mut cur = base;
    let parts: Vec<&str> = key.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        if !matches!(cur.value, Value::Map(_)) {
            cur.value = Value::Map(Default::default());
        }
        let Value::Map(m) = &mut cur.value else { unreachable!() };
        if i + 1 == parts.len() {
            m.insert(part.to_string(), Node::new(value, origin));
            return Ok(());
        }
        cur = m
            .entry(part.to_string())
            .or_insert_with(|| Node::map(origin.clone()));
    }
    Ok(())
}

fn typed(s: &str) -> Value {
    match s {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "null" => Value::Null,
        _ => match s.parse::<i64>() {
            Ok(i) if s == "0" || !s.starts_with('0') => Value::Int(i),
            _ => Value::Str(s.to_string()),
        },
    }
}
