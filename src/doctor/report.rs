//! The checklist as text or JSON, and its counts.

use super::*;

/// Counts per status.
pub fn counts(checks: &[Check]) -> (usize, usize, usize) {
    let n = |s| checks.iter().filter(|c| c.status == s).count();
    (n(Status::Ok), n(Status::Problem), n(Status::CouldNotCheck))
}

/// The checklist as text: one line per check, the fix indented under each problem, and a
/// summary line.
pub fn text(checks: &[Check]) -> String {
    let mut out = String::new();
    for c in checks {
        out.push_str(&format!(
            "{:<16} {}: {}: {}\n",
            c.status.word(),
            c.object,
            c.check,
            c.detail
        ));
        if let Some(fix) = &c.fix {
            if c.status != Status::Ok {
                out.push_str(&format!("{:<16}   fix: {fix}\n", ""));
            }
        }
    }
    let (ok, problem, unknown) = counts(checks);
    out.push_str(&format!(
        "{ok} ok, {problem} {}, {unknown} could not be checked\n",
        if problem == 1 { "problem" } else { "problems" }
    ));
    out
}

/// The checklist as JSON: `{"checks": [...], "summary": {...}}`.
pub fn json(checks: &[Check]) -> String {
    let (ok, problem, unknown) = counts(checks);
    let v = serde_json::json!({
        "checks": checks,
        "summary": {"ok": ok, "problem": problem, "couldNotCheck": unknown},
    });
    let mut s = serde_json::to_string_pretty(&v).expect("JSON serializes");
    s.push('\n');
    s
}
