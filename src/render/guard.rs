//! The guard of a template that is one `if` block: `{%- if EXPR %} … {%- endif %}` with
//! nothing around it but comments and blanks renders nothing (blanks at most) when `EXPR` is
//! false, so a built-in template of that shape need not be compiled when its guard is false.
//! Compiling the built-in templates was a fifth of a one-team render, and most of them
//! (External Secrets, Workload Identity, bindings) render nothing for most values.
//!
//! The shape is read from the template's tags, string literals inside them skipped. Anything
//! this reader does not know (a block tag other than `if`/`for`, `raw`, an `else`/`elif` of
//! the outer `if`, a tag before it other than a comment, an unterminated tag) gives no guard:
//! the template is then compiled and rendered as usual.

/// `EXPR` when `source` is `comments/blanks {% if EXPR %} … {% endif %} comments/blanks`,
/// whitespace control (`-`, `+`) allowed on every tag.
pub fn whole_template_guard(source: &str) -> Option<&str> {
    #[derive(PartialEq)]
    enum Block {
        If,
        For,
    }
    let mut stack: Vec<Block> = Vec::new();
    let mut guard = None;
    let mut closed = false; // the outer `if` has ended: only comments and blanks may follow
    let mut rest = source;
    while let Some(open) = rest.find('{') {
        let text = &rest[..open];
        let after = &rest[open..];
        let (kind, body_start) = match after.as_bytes().get(1) {
            Some(b'#') => ('#', 2),
            Some(b'%') => ('%', 2),
            Some(b'{') => ('{', 2),
            _ => {
                // A `{` in text: text is allowed inside the block only.
                if stack.is_empty() {
                    return None;
                }
                rest = &after[1..];
                continue;
            }
        };
        if stack.is_empty() && !text.trim().is_empty() {
            return None; // text outside the block
        }
        if kind == '#' {
            let end = after.find("#}")?;
            rest = &after[end + 2..];
            continue;
        }
        let close = if kind == '%' { "%}" } else { "}}" };
        let end = tag_end(&after[body_start..], close)?;
        let inner = after[body_start..body_start + end]
            .trim_start_matches(['-', '+'])
            .trim_end_matches(['-', '+'])
            .trim();
        rest = &after[body_start + end + close.len()..];
        if kind == '{' {
            if stack.is_empty() {
                return None; // output outside the block
            }
            continue;
        }
        let (word, args) = inner
            .split_once(char::is_whitespace)
            .map(|(w, a)| (w, a.trim()))
            .unwrap_or((inner, ""));
        if closed {
            return None; // a second tag after the outer block
        }
        match word {
            "if" if stack.is_empty() && guard.is_none() => {
                guard = Some(args);
                stack.push(Block::If);
            }
            _ if stack.is_empty() => return None, // a tag before the block, or a second block
            "if" => stack.push(Block::If),
            "for" => stack.push(Block::For),
            "endif" | "endfor" => {
                let want = if word == "endif" {
                    Block::If
                } else {
                    Block::For
                };
                if stack.pop()? != want {
                    return None;
                }
                closed = stack.is_empty();
            }
            // An `else`/`elif` of the outer `if` renders when the guard is false.
            "else" | "elif" if stack.len() == 1 => return None,
            "else" | "elif" => {}
            "set" if args.contains('=') => {}
            "include" => {}
            _ => return None,
        }
    }
    if !rest.trim().is_empty() || !closed {
        return None;
    }
    guard.filter(|g| !g.is_empty())
}

/// Where `close` ends a tag's body, as minijinja's lexer ends it: outside string literals and
/// brackets (`{{ {'a': {'b': 1}} }}` ends at the last `}}`); `None` if it never does.
fn tag_end(body: &str, close: &str) -> Option<usize> {
    let bytes = body.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            q @ (b'"' | b'\'') => {
                i += 1;
                while i < bytes.len() && bytes[i] != q {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            _ if depth == 0 && body[i..].starts_with(close) => return Some(i),
            b'(' | b'[' | b'{' => {
                depth += 1;
                i += 1;
            }
            b')' | b']' | b'}' => {
                depth = depth.checked_sub(1)?;
                i += 1;
            }
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::whole_template_guard as guard;

    #[test]
    fn a_template_that_is_one_if_block_has_its_condition_as_guard() {
        let t = "{#- a comment -#}\n{%- if external and external.store %}\n---\nkind: X\n{%- if ns %}\n  a: {{ ns }}\n{%- else %}\n  b: 1\n{%- endif %}\n{%- for x in xs %}{{ x }}{%- else %}none{%- endfor %}\n{%- endif %}\n";
        assert_eq!(guard(t), Some("external and external.store"));
        assert_eq!(guard("{% if a %}x{% endif %}"), Some("a"));
        assert_eq!(guard("{%+ if a -%}x{%- endif +%}\n\n"), Some("a"));
        assert_eq!(
            guard("{% if a %}{% set b = a.b %}{% include '_x.yaml' %}{% endif %}"),
            Some("a")
        );
        // `%}` inside a string literal does not end the tag.
        assert_eq!(
            guard("{% if a == \"%}\" %}{{ '}}' }}{% endif %}"),
            Some("a == \"%}\"")
        );
    }

    #[test]
    fn anything_else_has_no_guard() {
        for t in [
            "",
            "plain text",
            "{{ a }}",
            "{% for x in xs %}{{ x }}{% endfor %}",
            // text, output or a tag outside the block
            "x{% if a %}y{% endif %}",
            "{% if a %}y{% endif %}x",
            "{{ a }}{% if a %}y{% endif %}",
            "{% set b = a %}{% if b %}y{% endif %}",
            "{% if a %}y{% endif %}{% if b %}z{% endif %}",
            // what renders when the guard is false
            "{% if a %}y{% else %}z{% endif %}",
            "{% if a %}y{% elif b %}z{% endif %}",
            // block tags this reader does not know
            "{% if a %}{% raw %}{% endif %}{% endraw %}{% endif %}",
            "{% if a %}{% macro m() %}{% endmacro %}{% endif %}",
            "{% if a %}{% set b %}x{% endset %}{% endif %}",
            "{% if a %}{% filter upper %}x{% endfilter %}{% endif %}",
            // unbalanced or unterminated
            "{% if a %}y",
            "{% if a %}{% for x in y %}{% endif %}{% endfor %}",
            "{% if a %}{{ 'x }}",
            // `}}` inside brackets does not end an expression: here the `{% endif %}` and
            // `{% else %}` are inside it and a comment, and the outer `if` has an `else`
            "{% if a %}{{ {'x': {'y': 1}} ~ '{% endif %}{# ' }}{% else %}x{% endif %} #}",
            "{% if a %}{# x",
            "{% if %}y{% endif %}",
        ] {
            assert_eq!(guard(t), None, "{t:?}");
        }
    }
}
