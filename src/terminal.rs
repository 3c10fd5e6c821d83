//! Text shown on a terminal: every string that comes from a cluster, a folder or a values
//! file goes through [`escape`] before it reaches text output (diagnostics, errors, the
//! `doctor` checklist, the `diff` report), so that no escape sequence runs in the terminal and
//! no embedded newline forges a line of ours. JSON output is not escaped: JSON encoding is
//! exact and safe.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` must not reach a terminal as it is: control characters (C0, DEL, C1 including
/// NEL), the line and paragraph separators, and the bidirectional controls that reorder what
/// is shown (the "Trojan Source" characters).
fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// `s` with every unsafe character written as an escape: `\n`, `\r`, `\t`, and `\u{1b}` for
/// the others (ESC, NEL, U+2028, U+202E...). Everything else, backslashes included, is kept.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if unsafe_char(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_newlines_and_bidi_controls_are_escaped_and_the_rest_kept() {
        assert!(matches!(
            escape("team-a/agent-env é 🚀 \\n"),
            Cow::Borrowed(_)
        ));
        assert_eq!(
            escape("x\nok   Secret a/b: Ready: True"),
            "x\\nok   Secret a/b: Ready: True"
        );
        assert_eq!(
            escape("\u{1b}[2J\u{1b}]0;t\u{7}"),
            "\\u{1b}[2J\\u{1b}]0;t\\u{7}"
        );
        assert_eq!(
            escape("a\r\tb\u{85}c\u{2028}d\u{202e}e\u{7f}"),
            "a\\r\\tb\\u{85}c\\u{2028}d\\u{202e}e\\u{7f}"
        );
        for s in ["\u{0}", "\u{9b}31m", "\u{2066}", "\u{200f}"] {
            assert!(!escape(s).chars().any(unsafe_char), "{s:?}");
        }
    }
}
