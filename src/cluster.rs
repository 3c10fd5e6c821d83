//! Objects as read from a cluster (or a folder, or a manifest file): which object ([`Id`]),
//! what was found for it ([`Found`]), what to read ([`Plan`]) and what was read ([`Live`]).
//! Plain data: the binary reads them with kubectl (`src/cli/cluster/`); [`crate::diff`] and
//! [`crate::doctor`] judge them.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// Which object: kind, namespace (none when cluster-scoped), name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Id {
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl Id {
    pub fn of(o: &Value) -> Id {
        let meta = &o["metadata"];
        Id {
            kind: o["kind"].as_str().unwrap_or("").to_string(),
            namespace: meta["namespace"].as_str().map(str::to_string),
            name: meta["name"].as_str().unwrap_or("").to_string(),
        }
    }
}

impl std::fmt::Display for Id {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.namespace, self.name.is_empty()) {
            (Some(ns), true) => write!(f, "{} {ns}", self.kind), // all of a kind in a namespace
            (Some(ns), false) => write!(f, "{} {ns}/{}", self.kind, self.name),
            (None, _) => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

/// What was read for one object.
#[derive(Clone, Debug)]
pub enum Found {
    Object(Value),
    Missing,
    /// Could not be read (RBAC 403, resource type unknown...): kubectl's reason.
    Unreadable(Cow<'static, str>),
}

/// What the command layer must read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Objects to get by name.
    pub objects: BTreeSet<Id>,
    /// Namespaces whose pods to list.
    pub pod_namespaces: BTreeSet<String>,
}

/// What was read.
#[derive(Clone, Debug, Default)]
pub struct Live {
    pub objects: BTreeMap<Id, Found>,
    /// Pods per namespace, or why they could not be listed.
    pub pods: BTreeMap<String, Result<Vec<Value>, String>>,
}

impl Live {
    /// What was read for `id`; an object the plan did not ask for was not read.
    pub fn get(&self, id: &Id) -> &Found {
        const NOT_READ: &Found = &Found::Unreadable(Cow::Borrowed("not read"));
        self.objects.get(id).unwrap_or(NOT_READ)
    }
}
