//! Problems found in the input: where they came from ([`Origin`]), the key path, what is
//! expected. Depends on nothing else in the crate.

use std::fmt;
use std::sync::Arc;

/// Where a value came from, so that an error can point at it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The built-in defaults.
    Default,
    /// A values file (`<stdin>` for `-f -`), 1-based line and column.
    File { path: Arc<str>, line: u32, col: u32 },
    /// A command-line flag such as `--set`, with the key path it set (never the value).
    Flag { flag: &'static str, path: String },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("built-in defaults"),
            Origin::File { path, line, col } => write!(f, "{path}:{line}:{col}"),
            Origin::Flag { flag, path } if path.is_empty() => f.write_str(flag),
            Origin::Flag { flag, path } => write!(f, "{flag} {path}"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem. Messages never contain a secret value: they name keys, positions and what
/// is expected, and print a value only where it cannot be secret (a provider name, a
/// namespace).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub origin: Option<Origin>,
    /// The key path, such as `secrets.provider` (empty when the problem is not about a key).
    pub path: String,
    pub message: String,
}

impl Diagnostic {
    pub fn error(
        origin: Option<Origin>,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity: Severity::Error,
            origin,
            path: path.into(),
            message: message.into(),
        }
    }

    pub fn warning(
        origin: Option<Origin>,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(origin, path, message)
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.severity {
            Severity::Error => "error: ",
            Severity::Warning => "warning: ",
        })?;
        if let Some(origin) = &self.origin {
            write!(f, "{origin}: ")?;
        }
        // A key set after the first `=` of a --set argument is not printed (it may be part
        // of a value): its origin names the argument's first key instead.
        let path_shown = matches!(&self.origin, Some(Origin::Flag { path, .. })
            if *path == self.path || path.ends_with(LATER));
        if !self.path.is_empty() && !path_shown {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)
    }
}

/// How messages name a key of a `--set` argument written after its first `=` (`a=1,b=2`
/// -> `a,…`): that text may be part of a value, so it is never printed.
pub const LATER: &str = ",…";

/// Removes quoted text from a parser message: it may be part of a secret.
pub fn redact(message: &str) -> String {
    redact_unless(message, &['"', '\''], &|_| false)
}

/// Removes the text between `quotes` from a message, except where `keep` says it may be
/// shown.
pub fn redact_unless(message: &str, quotes: &[char], keep: &dyn Fn(&str) -> bool) -> String {
    let mut out = String::with_capacity(message.len());
    let mut chars = message.chars();
    while let Some(c) = chars.next() {
        if quotes.contains(&c) {
            let mut inner = String::new();
            let mut escaped = false;
            for d in chars.by_ref() {
                if escaped {
                    escaped = false;
                } else if d == '\\' {
                    escaped = true;
                } else if d == c {
                    break;
                }
                inner.push(d);
            }
            out.push(c);
            out.push_str(if keep(&inner) { &inner } else { "…" });
            out.push(c);
        } else {
            out.push(c);
        }
    }
    out
}

/// Collects problems so that all of them are reported together.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }

    pub fn error(
        &mut self,
        origin: Option<Origin>,
        path: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.push(Diagnostic::error(origin, path, message));
    }

    pub fn warning(
        &mut self,
        origin: Option<Origin>,
        path: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.push(Diagnostic::warning(origin, path, message));
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
    }

    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter().filter(|d| d.is_error())
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter().filter(|d| !d.is_error())
    }

    /// Errors first, then warnings; each in source order (defaults, then files by name,
    /// line and column, then flags), keeping the order found among equals.
    pub fn sorted(&self) -> Vec<&Diagnostic> {
        let mut v: Vec<&Diagnostic> = self.items.iter().collect();
        v.sort_by_key(|d| {
            let origin = match &d.origin {
                None => (0, String::new(), 0, 0),
                Some(Origin::Default) => (1, String::new(), 0, 0),
                Some(Origin::File { path, line, col }) => (2, path.to_string(), *line, *col),
                Some(Origin::Flag { flag, .. }) => (3, flag.to_string(), 0, 0),
            };
            (d.severity, origin)
        });
        v
    }
}
