//! How Helm combines values: files merge into each other (`mergeMaps`), then the result is
//! coalesced with the chart's defaults (`CoalesceValues`).

use std::collections::btree_map::Entry;

use super::node::{Node, Value};

/// Helm's `mergeMaps(a, b)` for `-f` files: a map in `b` merges into a map in `a`; anything
/// else in `b` (scalar, list, null) replaces what `a` had.
pub fn merge_maps(into: &mut Node, from: Node) {
    match (&mut into.value, from.value) {
        (Value::Map(dst), Value::Map(src)) => {
            for (k, v) in src {
                match dst.entry(k) {
                    Entry::Occupied(mut e)
                        if e.get().as_map().is_some() && v.as_map().is_some() =>
                    {
                        merge_maps(e.get_mut(), v)
                    }
                    Entry::Occupied(mut e) => {
                        e.insert(v);
                    }
                    Entry::Vacant(e) => {
                        e.insert(v);
                    }
                }
            }
        }
        (_, value) => {
            into.value = value;
            into.origin = from.origin;
        }
    }
}

/// Helm's coalescing of user values with the chart's defaults: user values win; maps merge
/// deeply; a user `null` deletes the default key; a `null` for a key the defaults do not
/// have stays as it is.
pub fn coalesce(user: Node, defaults: &Node) -> Node {
    let mut user = user;
    if let (Value::Map(dst), Some(src)) = (&mut user.value, defaults.as_map()) {
        coalesce_tables(dst, src);
    }
    user
}

fn coalesce_tables(
    dst: &mut std::collections::BTreeMap<String, Node>,
    src: &std::collections::BTreeMap<String, Node>,
) {
    for (key, default) in src {
        match dst.get_mut(key) {
            Some(v) if v.is_null() => {
                dst.remove(key);
            }
            None => {
                dst.insert(key.clone(), default.clone());
            }
            Some(v) => {
                if let (Value::Map(d), Some(s)) = (&mut v.value, default.as_map()) {
                    coalesce_tables(d, s);
                }
                // Otherwise the user's value wins, as in Helm (which only warns).
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::yaml;
    use std::sync::Arc;

    fn y(s: &str) -> Node {
        yaml::load(s, &Arc::from("t.yaml")).unwrap()
    }

    #[test]
    fn files_merge_maps_deeply_and_replace_the_rest() {
        let mut a = y("m: {a: 1, b: [1, 2]}\ns: x\nnn: {k: v}\n");
        merge_maps(&mut a, y("m: {b: [3], c: null}\ns: {now: map}\nnn: 5\n"));
        assert_eq!(
            a.to_json(),
            serde_json::json!({"m": {"a": 1, "b": [3], "c": null}, "s": {"now": "map"}, "nn": 5})
        );
    }

    #[test]
    fn coalesce_null_deletes_defaults_only() {
        let defaults = y("a: 1\nm: {x: 1, y: 2}\nl: [1]\n");
        let user = y("a: null\nm: {y: null, z: 3}\nextra: null\n");
        assert_eq!(
            coalesce(user, &defaults).to_json(),
            serde_json::json!({"m": {"x": 1, "z": 3}, "l": [1], "extra": null})
        );
    }

    #[test]
    fn coalesce_user_wins_on_type_mismatch() {
        let defaults = y("m: {x: 1}\ns: str\n");
        let user = y("m: 5\ns: {a: 1}\n");
        assert_eq!(
            coalesce(user, &defaults).to_json(),
            serde_json::json!({"m": 5, "s": {"a": 1}})
        );
    }
}
