//! The plan as text, for people (`-o json` serializes [`Plan`] itself).

use super::{list, shown, Action, Plan, WorkloadKind};

/// The plan as text: one line per workload (`restart  Deployment ns/name`), each reason
/// indented under it, and a summary line.
pub fn text(plan: &Plan) -> String {
    let mut out = String::new();
    for e in &plan.entries {
        out.push_str(&format!("{:<8} {}\n", e.action.word(), e.object()));
        for r in &e.reasons {
            out.push_str(&format!("         {}: {}\n", shown(&r.secret), r.why));
        }
        let note = match e.action {
            Action::Blocked => Some(format!(
                "not restarted: key {} is not in the Secret; new pods could not start (CreateContainerConfigError). Add the key, or remove the reference",
                list(&e.missing)
            )),
            Action::Mounted => Some(
                "not restarted: mounted files are refreshed in place by the kubelet (within its sync period); --restart-mounted restarts it for libraries that read the file once"
                    .to_string(),
            ),
            Action::Report if e.kind == WorkloadKind::CronJob => {
                Some("not touched: its next Job reads the new values".to_string())
            }
            Action::Report => Some(format!(
                "not touched: restart it through Argo Rollouts (kubectl argo rollouts restart {} -n {})",
                shown(&e.name),
                shown(&e.namespace)
            )),
            Action::NoPods => {
                Some("not restarted: no running pod; its next pods read the new values".to_string())
            }
            Action::Restart => None,
        };
        if let Some(n) = note {
            out.push_str(&format!("         {n}\n"));
        }
    }
    out.push_str(&summary(plan));
    out.push('\n');
    out
}

/// `2 to restart, 1 mounted, 0 reported, 0 blocked, 0 without pods (5 workloads read the Secrets)`.
pub fn summary(plan: &Plan) -> String {
    let n = |a| plan.entries.iter().filter(|e| e.action == a).count();
    format!(
        "{} to restart, {} mounted (refreshed in place), {} reported, {} blocked, {} without pods ({} {} the Secrets)",
        n(Action::Restart),
        n(Action::Mounted),
        n(Action::Report),
        n(Action::Blocked),
        n(Action::NoPods),
        plan.consumers,
        if plan.consumers == 1 { "workload reads" } else { "workloads read" }
    )
}
