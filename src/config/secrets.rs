//! `secrets`: the labels and annotations added to every object (the provider and the
//! sections `external` are read in `mod.rs` and `external.rs`).

use std::collections::BTreeMap;

use super::reader::Reader;
use super::{names, MANAGED_BY, PART_OF};

/// `secrets.commonLabels` / `commonAnnotations`: keys are qualified names; label values
/// follow the label value rule; the tool's own labels cannot be changed.
pub(super) fn metadata_map(
    r: &mut Reader<'_>,
    key: &str,
    labels: bool,
) -> BTreeMap<String, String> {
    let entries = r.string_map(&["secrets", key]);
    checked_metadata(r, &format!("secrets.{key}"), entries, labels)
}

/// Labels (`labels`) or annotations read at `at`, checked as `metadata_map` says.
pub(super) fn checked_metadata(
    r: &mut Reader<'_>,
    at: &str,
    entries: Vec<(String, super::reader::Text)>,
    labels: bool,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (k, t) in entries {
        let path = format!("{at}.{k}");
        if !names::is_qualified_name(&k) {
            r.diags.error(
                Some(t.origin),
                path,
                "is not a valid key (an optional DNS prefix and '/', then at most 63 letters, digits, '-', '_', '.')",
            );
            continue;
        }
        if labels && !names::is_label_value(&t.value) {
            r.diags.error(
                Some(t.origin),
                path,
                "is not a valid label value (at most 63 letters, digits, '-', '_', '.', starting and ending with a letter or digit)",
            );
            continue;
        }
        if labels && (k == MANAGED_BY.0 || k == PART_OF.0) {
            r.diags.error(
                Some(t.origin),
                path,
                "is set by recif-secrets on every object and cannot be overridden",
            );
            continue;
        }
        out.insert(k, t.value);
    }
    out
}
