use super::check::{out_of_bounds, unsupported};
use super::*;

#[test]
fn bounds_are_checked_on_both_sides() {
    let schema = serde_json::json!({"minItems": 1, "maxItems": 2});
    let said = |n| {
        out_of_bounds(
            &schema,
            ["minItems", "maxItems"],
            n,
            |m| format!("at least {m}"),
            |m| format!("at most {m}"),
        )
    };
    assert_eq!(said(0), ["at least 1"]);
    assert!(said(1).is_empty() && said(2).is_empty());
    assert_eq!(said(3), ["at most 2"]);
    let none = out_of_bounds(
        &serde_json::json!({}),
        ["a", "b"],
        9,
        |_| String::new(),
        |_| String::new(),
    );
    assert!(none.is_empty());
}
use crate::values::yaml;
use std::sync::Arc;

#[test]
fn every_schema_keyword_pattern_and_rule_is_implemented() {
    let nodes = schema_nodes();
    assert!(nodes.len() > 500, "{}", nodes.len());
    let mut rules = 0;
    for s in nodes {
        assert_eq!(unsupported(s), None, "{s}");
        if let Some(p) = s.get("pattern").and_then(J::as_str) {
            assert_ne!(
                pattern_problem(p, "x"),
                Pattern::Unknown,
                "unknown pattern {p}"
            );
        }
        rules += s
            .get("x-kubernetes-validations")
            .and_then(J::as_array)
            .map_or(0, Vec::len);
    }
    assert!(rules >= 13, "{rules}");
}

#[test]
fn versions_and_providers_come_from_the_crds() {
    assert_eq!(
        api_versions(),
        ["external-secrets.io/v1", "external-secrets.io/v1beta1"]
    );
    assert!(served("external-secrets.io/v1"));
    assert!(!served("external-secrets.io/v1beta1"));
    let v1 = providers("external-secrets.io/v1");
    assert_eq!(v1.len(), 43, "{v1:?}");
    for p in [
        "vault",
        "openBao",
        "infisical",
        "webhook",
        "kubernetes",
        "onepassword",
    ] {
        assert!(v1.contains(&p), "{p}");
    }
    assert!(!providers("external-secrets.io/v1beta1").contains(&"openBao"));
    assert_eq!(
        super::super::API_VERSIONS,
        api_versions()
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
    );
}

#[test]
fn decoding_strategies_are_the_crds() {
    for api in api_versions() {
        let es = spec_schema(&api, "ExternalSecret").unwrap();
        let item = resolve(&resolve(&es["properties"]["data"])["items"]);
        let remote = resolve(&item["properties"]["remoteRef"]);
        let e = resolve(&remote["properties"]["decodingStrategy"]);
        let mut got: Vec<&str> = e["enum"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(J::as_str)
            .collect();
        let mut ours = super::super::DECODING_STRATEGIES.to_vec();
        got.sort_unstable();
        ours.sort_unstable();
        assert_eq!(got, ours, "{api}");
    }
}

#[test]
fn patterns_behave_like_their_regexes() {
    let p = |i: usize, s: &str| pattern_problem(PATTERNS[i].regex, s) == Pattern::Matches;
    assert!(p(0, "a.b-c") && !p(0, "A") && !p(0, "a..b"));
    assert!(!p(1, "a.b") && p(1, "a-b"));
    assert!(p(2, "adc.json") && !p(2, "a b"));
    assert!(p(3, "a-1") && !p(3, "A"));
    assert!(p(4, "x@p.iam.gserviceaccount.com") && !p(4, "x@gmail.com"));
    assert!(p(5, "@daily") && p(5, "@every 1h") && p(5, "0 * * * *"));
    assert!(!p(5, "@often") && !p(5, "0 * * *") && !p(5, "0  * * * *"));
    assert_eq!(pattern_problem("^x$", "x"), Pattern::Unknown);
}

#[test]
fn cel_rules_evaluate() {
    let r = |rule: &str, present: &[&str]| cel::parse(rule).unwrap().holds(present);
    let one = "[has(self.a),has(self.b),has(self.c)].filter(x,x==true).size() == 1";
    assert!(r(one, &["a"]) && !r(one, &[]) && !r(one, &["a", "c"]));
    let x = "(has(self.a) && !has(self.b)) || (!has(self.a) && has(self.b))";
    assert!(r(x, &["b"]) && !r(x, &["a", "b"]) && !r(x, &[]));
    assert!(r("has(self.value) != has(self.secretRef)", &["value"]));
    assert!(!r(
        "!('esoNamespace' in self) && !('x' in self)",
        &["esoNamespace"]
    ));
    assert!(cel::parse("self.size() > 1").is_none());
    assert!(cel::parse("has(self.a) ||").is_none());
}

fn check_yaml(backend: &str, text: &str) -> (Option<J>, Diagnostics) {
    let node = yaml::load(text, &Arc::from("v.yaml")).unwrap();
    let mut d = Diagnostics::default();
    let schema = provider_schema("external-secrets.io/v1", backend).unwrap();
    let out = check(schema, &node, "s", &Mode::default(), &mut d);
    (out, d)
}

#[test]
fn validation_rules_and_property_counts_are_located() {
    let (out, d) = check_yaml("doppler", "auth:\n  secretRef:\n    dopplerToken:\n      name: t\n      key: k\n  oidcConfig:\n    identity: i\n    serviceAccountRef:\n      name: sa\n");
    assert!(out.is_none());
    assert!(
        d.items[0]
            .to_string()
            .contains("s.auth: Exactly one of 'secretRef' or 'oidcConfig'"),
        "{:?}",
        d.items
    );
    let (_, d) = check_yaml("kubernetes", "remoteNamespace: x\nserver:\n  url: https://k\nauth:\n  token:\n    bearerToken: {name: a, key: b}\n  serviceAccount:\n    name: x\n");
    assert!(
        d.items
            .iter()
            .any(|i| i.message.contains("set only one of them")),
        "{:?}",
        d.items
    );
}

#[test]
fn what_the_checker_does_not_implement_is_refused() {
    for schema in [
        serde_json::json!({"type": "object", "properties": {"a": {"type": "string", "oneOf": []}}}),
        serde_json::json!({"type": "object", "properties": {"a": {"type": "string", "format": "date-time"}}}),
        serde_json::json!({"type": "object", "properties": {"a": {"type": "string", "pattern": "^z+$"}}}),
        serde_json::json!({"type": "object", "properties": {"a": {"type": "object", "x-kubernetes-validations": [{"rule": "self.size() > 1", "message": "m"}]}}}),
        serde_json::json!({"type": "object", "properties": {"a": {"type": "array", "x-kubernetes-list-type": "set"}}}),
    ] {
        let problems = check_json(&schema, &serde_json::json!({"a": "zz"}), "p");
        assert_eq!(problems.len(), 1, "{schema}: {problems:?}");
        assert!(
            problems[0].starts_with("p.a: ESO's schema here uses")
                && problems[0].ends_with("refused rather than passed unchecked"),
            "{problems:?}"
        );
    }
}

#[test]
fn exact_scalars_refuse_numbers_for_strings() {
    let schema = provider_schema("external-secrets.io/v1", "gcpsm").unwrap();
    let problems = check_json(schema, &serde_json::json!({"projectID": 12}), "p");
    assert_eq!(
        problems,
        ["p.projectID: expected a string, found a integer"]
    );
}
