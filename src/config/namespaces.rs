//! `namespaces`: the team namespaces, checked as the key table declares them.

use super::reader::Reader;

pub(super) fn team_namespaces(r: &mut Reader<'_>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let default_team = r.name(&["namespaces", "defaultTeam"]);
    let teams = r.names(&["namespaces", "teams"]);
    for t in default_team
        .into_iter()
        .chain(teams.into_iter().map(|(_, t)| t))
    {
        if seen.insert(t.value.clone()) {
            out.push(t.value);
        }
    }
    if out.is_empty() {
        let origin = r.origin(&["namespaces"]);
        r.diags.error(
            origin,
            "namespaces",
            "no team namespace: set namespaces.defaultTeam or namespaces.teams",
        );
    }
    out
}
