//! The whole pipeline on arbitrary input: the bytes are a values file read from standard
//! input (`render -f -`). When the first byte is below 0x08 it selects a `--set`-family flag
//! (`--set`, `--set-string`, `--set-json`, `--set-literal`, by its value modulo 4) and the
//! rest of the first line is that flag's argument, so that the `--set` parser is fuzzed too.
//!
//! It must never panic, and when rendering succeeds the YAML stream must read back (serde_yaml)
//! as one document per object, each equal to its object, and `-o json` must parse.
#![no_main]

use libfuzzer_sys::fuzz_target;
use recif_secrets::values::{SetArg, SetKind, Sources};
use recif_secrets::{render, Request, DEFAULT_NAMESPACE};
use serde::Deserialize;

fuzz_target!(|data: &[u8]| {
    let (sets, file) = match data.first() {
        Some(&b) if b < 0x08 => {
            let kind = [
                SetKind::Set,
                SetKind::String,
                SetKind::Json,
                SetKind::Literal,
            ][usize::from(b % 4)];
            let rest = &data[1..];
            let end = rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len());
            let arg = String::from_utf8_lossy(&rest[..end]).into_owned();
            let file = rest.get(end + 1..).unwrap_or(&[]);
            (vec![SetArg { kind, arg }], file)
        }
        _ => (Vec::new(), data),
    };
    let req = Request {
        sources: Sources {
            files: vec!["-".to_string()],
            sets,
            example: false,
        },
        namespace: DEFAULT_NAMESPACE.to_string(),
        templates: None,
    };
    let mut stdin = file;
    let Ok(out) = render(&req, &mut stdin) else {
        return;
    };
    let objects = &out.manifests.objects;
    let yaml = out.manifests.to_yaml();
    let docs: Vec<serde_yaml::Value> = serde_yaml::Deserializer::from_str(&yaml)
        .map(|d| {
            serde_yaml::Value::deserialize(d)
                .unwrap_or_else(|e| panic!("a rendered document does not parse: {e}\n{yaml}"))
        })
        .collect();
    assert_eq!(docs.len(), objects.len(), "one document per object\n{yaml}");
    for (doc, obj) in docs.iter().zip(objects) {
        let json = serde_json::to_value(doc)
            .unwrap_or_else(|e| panic!("a rendered document is not JSON-like: {e}\n{yaml}"));
        assert_eq!(
            json,
            obj.to_json(),
            "document differs from its object\n{yaml}"
        );
    }
    let list: serde_json::Value =
        serde_json::from_str(&out.manifests.to_json()).expect("-o json parses");
    assert_eq!(list["items"].as_array().map(Vec::len), Some(objects.len()));
});
