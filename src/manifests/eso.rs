//! External Secrets Operator objects. Their `spec` is ESO's to define: it is kept as JSON and
//! checked against the CRD schema of the object's API version (extracted from ESO's CRDs,
//! see [`crate::config::crd`]), strictly: an unknown field is an error that names the
//! nearest allowed one, as are wrong enums, missing required fields and the rest. The typed
//! part is what every Kubernetes object shares.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as J};

use crate::config::{crd, Config};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExternalSecret {
    pub api_version: String,
    pub kind: String,
    pub metadata: ObjectMeta,
    pub spec: Map<String, J>,
}

/// A `SecretStore` or `ClusterSecretStore`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretStore {
    pub api_version: String,
    pub kind: String,
    pub metadata: ObjectMeta,
    pub spec: Map<String, J>,
}

/// The problems of an ESO object's `spec` against its CRD schema, as `spec.…: message`.
pub fn check_spec(api_version: &str, kind: &str, spec: &Map<String, J>) -> Vec<String> {
    match crd::spec_schema(api_version, kind) {
        Some(schema) => crd::check_json(schema, &J::Object(spec.clone()), "spec"),
        None => vec![format!("no {kind} schema for {api_version}")],
    }
}

/// Merges `secrets.external.externalSecretSpec` / `overrides.<name>.spec` (checked in
/// config) into the ExternalSecret of that name: maps merge, a list or scalar replaces ours.
pub fn apply_options(e: &mut ExternalSecret, config: &Config) {
    let Some(ext) = &config.external else {
        return;
    };
    let name = e.metadata.name.as_deref().unwrap_or("");
    if let Some(patch) = ext.spec_patches.get(name) {
        let mut spec = J::Object(std::mem::take(&mut e.spec));
        crd::merge(&mut spec, patch);
        if let J::Object(m) = spec {
            e.spec = m;
        }
    }
}
