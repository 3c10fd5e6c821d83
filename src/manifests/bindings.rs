//! The Workload Identity binding objects (`workloadIdentity.bindings`): what this tool
//! promises about them, whatever template rendered them.

use super::objects::Binding;
use crate::config::Config;

/// The problems of a binding object.
pub(super) fn check(b: &Binding, config: &Config) -> Vec<String> {
    let mut problems = Vec::new();
    let enabled = config
        .workload_identity
        .as_ref()
        .is_some_and(|w| w.bindings.is_some());
    if !enabled {
        problems.push(format!(
            "a {} is rendered although workloadIdentity.bindings.enabled is not true (with secrets.provider none); refused",
            b.kind
        ));
    }
    if b.spec.is_empty() {
        problems.push("spec is empty".into());
    }
    problems
}
