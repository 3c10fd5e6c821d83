//! Reading a rendered document that the fast reader declined (template overrides, flow
//! collections) into JSON, strictly: a key given twice in one map is an error naming its
//! key path, where serde_json's own `Value` would keep the last one silently. Only the path
//! (keys and indexes) is ever named, never a scalar of the document.

use std::fmt;

use serde::de::{DeserializeSeed, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value as J};

/// Where a node sits: a chain of keys and indexes, turned into text only for an error.
#[derive(Clone, Copy)]
enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => Ok(()),
            Path::Key(parent, k) => {
                if !matches!(parent, Path::Root) {
                    write!(f, "{parent}.")?;
                }
                f.write_str(k)
            }
            Path::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

/// Reads one YAML document as JSON, refusing duplicate keys.
pub fn document<'de, D: serde::Deserializer<'de>>(d: D) -> Result<J, D::Error> {
    Strict(Path::Root).deserialize(d)
}

struct Strict<'a>(Path<'a>);

impl<'de> DeserializeSeed<'de> for Strict<'_> {
    type Value = J;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<J, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_> {
    type Value = J;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a YAML value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<J, E> {
        Ok(J::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<J, E> {
        Ok(J::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<J, E> {
        Ok(J::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<J, E> {
        Ok(serde_json::Number::from_f64(v).map_or(J::Null, J::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<J, E> {
        Ok(J::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<J, E> {
        Ok(J::String(v))
    }
    fn visit_unit<E>(self) -> Result<J, E> {
        Ok(J::Null)
    }
    fn visit_none<E>(self) -> Result<J, E> {
        Ok(J::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<J, D::Error> {
        Strict(self.0).deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<J, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element_seed(Strict(Path::Index(&self.0, items.len())))? {
            items.push(v);
        }
        Ok(J::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<J, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(Strict(Path::Key(&self.0, &key)))?;
            if out.contains_key(&key) {
                // serde_yaml puts the path of the map before the message.
                return Err(A::Error::custom(format_args!(
                    "the key `{key}` is given twice (`{}`)",
                    Path::Key(&self.0, &key)
                )));
            }
            out.insert(key, value);
        }
        Ok(J::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<J, String> {
        document(serde_yaml::Deserializer::from_str(text)).map_err(|e| e.to_string())
    }

    #[test]
    fn reads_like_serde_json_value() {
        let text = "a: [1, -2, 1.5, true, null, x]\nb: {c: \"d\"}\n";
        let slow: J = serde_yaml::from_str(text).unwrap();
        assert_eq!(read(text).unwrap(), slow);
    }

    #[test]
    fn duplicate_keys_are_named_by_path() {
        let err = read("spec:\n  data:\n  - remoteRef:\n      key: a\n      key: b\n").unwrap_err();
        assert!(
            err.contains("key `key` is given twice (`spec.data[0].remoteRef.key`)"),
            "{err}"
        );
        assert!(err.contains("line"), "{err}");
        let err = read("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert!(err.contains("key `a` is given twice (`a`)"), "{err}");
    }
}
