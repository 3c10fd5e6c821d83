//! The JSON Schema of the values (Helm's `values.schema.json` convention, draft-07).

use serde_json::json;

use crate::config;

/// The schema as pretty JSON.
pub fn schema_json() -> String {
    let mut s = serde_json::to_string_pretty(&schema()).expect("serializes");
    s.push('\n');
    s
}

pub fn schema() -> serde_json::Value {
    let string = json!({"type": ["string", "null"]});
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "recif-secrets values",
        "type": "object",
        "properties": {
            "secrets": {
                "type": "object",
                "properties": {
                    "provider": {"enum": config::PROVIDERS},
                    "commonLabels": {"type": ["object", "null"], "additionalProperties": {"type": "string"}},
                    "commonAnnotations": {"type": ["object", "null"], "additionalProperties": {"type": "string"}},
                    "external": {
                        "type": ["object", "null"],
                        "properties": {
                            "storeName": string,
                            "storeKind": {"enum": config::STORE_KINDS},
                            "refreshInterval": {"type": ["string", "integer"]},
                            "apiVersion": {"enum": config::API_VERSIONS},
                            "keys": {"type": ["object", "null"]},
                            "store": {"type": ["object", "null"]}
                        }
                    }
                }
            },
            "llm": {"type": ["object", "null"]},
            "namespaces": {"type": ["object", "null"]},
            "workloadIdentity": {"type": ["object", "null"]}
        }
    })
}
