//! The `pattern`s of ESO's schemas, as named checks written in Rust (no regex engine).

/// The patterns that occur in ESO's schemas, as named checks (a unit test makes sure every
/// pattern of the embedded schemas is known). A pattern not listed is refused.
pub fn pattern_problem(pattern: &str, s: &str) -> Pattern {
    match PATTERNS.iter().find(|p| p.regex == pattern) {
        None => Pattern::Unknown,
        Some(p) if (p.check)(s) => Pattern::Matches,
        Some(p) => Pattern::Fails(p.why),
    }
}

/// What a pattern check found.
#[derive(Debug, PartialEq, Eq)]
pub enum Pattern {
    Matches,
    /// Why the text does not match, in words.
    Fails(&'static str),
    /// Not one of [`PATTERNS`].
    Unknown,
}

pub struct NamedPattern {
    pub regex: &'static str,
    pub why: &'static str,
    pub check: fn(&str) -> bool,
}

fn lower_alnum_dash(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'
}

fn dns_label(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(lower_alnum_dash) && !s.starts_with('-') && !s.ends_with('-')
}

fn cron(s: &str) -> bool {
    if let Some(m) = s.strip_prefix('@') {
        if let Some(rest) = m.strip_prefix("every ") {
            return rest.chars().next().is_some_and(|c| !c.is_whitespace());
        }
        return [
            "annually", "yearly", "monthly", "weekly", "daily", "midnight", "hourly",
        ]
        .contains(&m);
    }
    let fields: Vec<&str> = s.split(' ').collect();
    // `[^\s]+( [^\s]+){4}` anchored: five fields separated by single spaces.
    fields.len() == 5
        && fields
            .iter()
            .all(|f| !f.is_empty() && !f.chars().any(char::is_whitespace))
}

pub const PATTERNS: &[NamedPattern] = &[
    NamedPattern {
        regex: r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
        why: "must be a DNS subdomain name (lower-case letters, digits, '-', '.')",
        check: |s| s.split('.').all(dns_label),
    },
    NamedPattern {
        regex: r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
        why: "must be a DNS label (lower-case letters, digits, '-')",
        check: dns_label,
    },
    NamedPattern {
        regex: r"^[-._a-zA-Z0-9]+$",
        why: "must be a Secret key (letters, digits, '-', '_', '.')",
        check: |s| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
        },
    },
    NamedPattern {
        regex: r"^[a-z0-9-]+$",
        why: "must be lower-case letters, digits and '-'",
        check: |s| !s.is_empty() && s.bytes().all(lower_alnum_dash),
    },
    NamedPattern {
        regex: r"^.*@.*\.iam\.gserviceaccount\.com$",
        why: "must be a Google service-account email (…@….iam.gserviceaccount.com)",
        check: |s| {
            !s.contains('\n')
                && s.split_once('@').is_some_and(|(_, d)| {
                    d.len() > ".iam.gserviceaccount.com".len()
                        && d.ends_with(".iam.gserviceaccount.com")
                })
        },
    },
    NamedPattern {
        regex: r"^(@(annually|yearly|monthly|weekly|daily|midnight|hourly)|@every [^\s]+.*|[^\s]+( [^\s]+){4})$",
        why: "must be a cron schedule (five fields, @daily..., or @every <duration>)",
        check: cron,
    },
];
