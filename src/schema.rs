//! The JSON Schema (draft-07) of the values, Helm's `values.schema.json` convention,
//! generated from the key table of [`crate::config::keys`] so that it cannot drift from
//! what the tool reads. Every key may be null (null deletes a default, as in Helm).

use serde_json::{json, Map, Value};

use crate::config::crd;
use crate::config::keys::{self, Key, Kind};

/// ESO's ExternalSecret `spec` of the first API version, as a partial spec: nothing is
/// required at the top or in `target` (ours fills them), and the CRD keywords that are not
/// JSON Schema are left out.
fn eso_spec() -> Value {
    let api = &crd::api_versions()[0];
    let mut s = crd::expanded(crd::spec_schema(api, "ExternalSecret").expect("ExternalSecret"));
    fn clean(v: &mut Value) {
        match v {
            Value::Object(m) => {
                m.retain(|k, _| !k.starts_with("x-kubernetes-") && k != "default");
                // The CRDs leave additionalProperties out; the API server (and ESO's
                // strict checkers) refuse undeclared fields.
                if m.contains_key("properties") && !m.contains_key("additionalProperties") {
                    m.insert("additionalProperties".into(), json!(false));
                }
                m.values_mut().for_each(clean);
            }
            Value::Array(a) => a.iter_mut().for_each(clean),
            _ => {}
        }
    }
    clean(&mut s);
    s.as_object_mut().expect("object").remove("required");
    if let Some(t) = s.pointer_mut("/properties/target") {
        t.as_object_mut().expect("object").remove("required");
    }
    let obj = s.as_object_mut().expect("object");
    obj.insert("type".into(), json!(["object", "null"]));
    obj.insert(
        "description".into(),
        json!(format!(
            "ESO's ExternalSecret spec ({api}); secretStoreRef, target.name and target.manifest cannot be set"
        )),
    );
    if let Some(p) = obj.get_mut("properties").and_then(Value::as_object_mut) {
        p.remove("secretStoreRef");
    }
    // The platform mounts a Secret: ESO writing another kind is refused.
    if let Some(p) = s
        .pointer_mut("/properties/target/properties")
        .and_then(Value::as_object_mut)
    {
        p.remove("manifest");
    }
    s
}

/// The schema as pretty JSON.
pub fn schema_json() -> String {
    let mut s = serde_json::to_string_pretty(&schema()).expect("serializes");
    s.push('\n');
    s
}

pub fn schema() -> Value {
    let mut root = object(keys::ROOT, true);
    let obj = root.as_object_mut().expect("object");
    obj.insert(
        "$schema".into(),
        json!("http://json-schema.org/draft-07/schema#"),
    );
    obj.insert("title".into(), json!("recif-secrets values"));
    root
}

fn nullable(types: &[&str]) -> Value {
    let mut t: Vec<&str> = types.to_vec();
    t.push("null");
    json!(t)
}

fn object(keys: &[Key], open: bool) -> Value {
    let mut props = Map::new();
    for k in keys {
        let mut s = kind(&k.kind);
        s.as_object_mut()
            .expect("object")
            .insert("description".into(), json!(k.doc));
        props.insert(k.name.to_string(), s);
    }
    json!({"type": nullable(&["object"]), "properties": props, "additionalProperties": open})
}

fn kind(kind: &Kind) -> Value {
    match kind {
        Kind::Text => json!({"type": nullable(&["string", "number", "boolean"])}),
        Kind::Name(p) => {
            json!({"type": nullable(&["string"]), "pattern": p.regex(), "maxLength": 253})
        }
        Kind::Enum(values) => {
            let mut v: Vec<Value> = values.iter().map(|s| json!(s)).collect();
            v.push(Value::Null);
            json!({"enum": v})
        }
        Kind::Bool => json!({"type": nullable(&["boolean"])}),
        Kind::Duration => json!({
            "type": nullable(&["string", "integer"]),
            "pattern": "^(0|\\+?(([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$",
            "minimum": 0, "maximum": 0
        }),
        Kind::TextMap => json!({
            "type": nullable(&["object"]),
            "additionalProperties": {"type": nullable(&["string", "number", "boolean"])}
        }),
        Kind::TextList => json!({
            "type": nullable(&["array"]),
            "items": {"type": "string"}
        }),
        Kind::NameList(p) => json!({
            "type": nullable(&["array"]),
            "items": {"type": "string", "pattern": p.regex()}
        }),
        Kind::Object(keys) => object(keys, false),
        Kind::ObjectList(keys) => {
            let mut item = object(keys, false);
            item["type"] = json!("object");
            item["required"] = json!(["name"]);
            json!({"type": nullable(&["array"]), "items": item})
        }
        Kind::Providers => {
            let mut props = Map::new();
            for b in crd::all_providers() {
                let versions: Vec<String> = crd::api_versions()
                    .into_iter()
                    .filter(|v| crd::providers(v).contains(&b))
                    .collect();
                props.insert(b.to_string(), json!({"type": nullable(&["object"]), "description": format!("ESO's spec.provider.{b} ({})", versions.join(", "))}));
            }
            json!({"type": nullable(&["object"]), "properties": props, "additionalProperties": false, "maxProperties": 1})
        }
        Kind::EsoSpec => eso_spec(),
        Kind::RemoteKey => json!({
            "type": nullable(&["string", "number", "boolean"]),
            "pattern": crate::config::remote_key::PATTERN
        }),
        Kind::EsoOverrides(names) => {
            let text_map = self::kind(&Kind::TextMap);
            let entry = json!({
                "type": nullable(&["object"]),
                "properties": {
                    "metadata": {
                        "type": nullable(&["object"]),
                        "properties": {"labels": text_map, "annotations": text_map},
                        "additionalProperties": false
                    },
                    "spec": eso_spec()
                },
                "additionalProperties": false
            });
            let mut props = Map::new();
            for n in *names {
                props.insert(n.to_string(), entry.clone());
            }
            // NAMESPACE/NAME: a DNS label, then one of the names.
            let scoped = format!(
                "^[a-z0-9]([-a-z0-9]{{0,61}}[a-z0-9])?/({})$",
                names.join("|")
            );
            json!({"type": nullable(&["object"]), "properties": props, "patternProperties": {scoped: entry}, "additionalProperties": false})
        }
        Kind::Llm(keys) => {
            let mut s = object(keys, false);
            s["patternProperties"] = json!({"^.+ApiKey$": {"type": nullable(&["string", "number", "boolean"]), "description": "<name>ApiKey -> <NAME>_API_KEY in agent-env"}});
            s
        }
        Kind::TextOrObject => json!({"type": nullable(&["string", "object"])}),
    }
}
