//! The corpus of ESO's own store blocks (testdata/eso-stores: 98 blocks from ESO's
//! documentation and e2e fixtures, v2.9.0): every one renders, its store's `spec.provider`
//! equals the block ESO expects beside it, and the whole lot passes check-manifests.py in
//! one run.

use crate::common;

use common::*;

#[test]
#[cfg_attr(
    no_checker,
    ignore = "needs python3 with pyyaml, jsonschema, kubernetes-validate: run scripts/fetch-tools.sh"
)]
fn every_eso_store_block_renders_exactly_and_passes_the_checker() {
    let dir = testdata().join("eso-stores");
    let entries = std::fs::read_dir(&dir).expect("testdata/eso-stores is in the repository");
    let mut cases: Vec<_> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|x| x == "yaml")
                && !p.to_string_lossy().ends_with(".expected.yaml")
        })
        .collect();
    cases.sort();
    assert_eq!(cases.len(), 98, "the corpus has 98 blocks");
    let mut failures = Vec::new();
    let mut stream = String::new();
    for case in &cases {
        let name = case.file_stem().unwrap().to_string_lossy().into_owned();
        let out = run(&["render", "-f", case.to_str().unwrap()], "");
        if !out.status.success() {
            failures.push(format!("{name}: refused:\n{}", stderr(&out)));
            continue;
        }
        let text = stdout(&out);
        let stores: Vec<serde_json::Value> = docs(&text)
            .into_iter()
            .filter(|d| {
                d["kind"]
                    .as_str()
                    .is_some_and(|k| k.ends_with("SecretStore"))
            })
            .collect();
        let expected_path = dir.join(format!("{name}.expected.yaml"));
        let expected: serde_json::Value =
            serde_yaml::from_str(&std::fs::read_to_string(&expected_path).unwrap()).unwrap();
        match stores.first() {
            Some(s) if s["spec"]["provider"] == expected => {}
            Some(s) => failures.push(format!(
                "{name}: spec.provider differs:\n got {}\nwant {}",
                s["spec"]["provider"], expected
            )),
            None => failures.push(format!("{name}: no store rendered")),
        }
        stream.push_str(&text);
    }
    let passed = cases.len() - failures.len();
    eprintln!("ESO store corpus: {passed}/{} render exactly", cases.len());
    assert!(
        failures.is_empty(),
        "{}/{}:\n{}",
        passed,
        cases.len(),
        failures.join("\n")
    );
    if let Err(problems) = check_manifests(&stream) {
        panic!("scripts/check-manifests.py: {problems}");
    }
}

/// The embedded schemas are exactly what scripts/extract-store-schemas.py makes of the CRDs.
#[test]
#[cfg_attr(
    no_pyyaml,
    ignore = "needs python3 with pyyaml: run scripts/fetch-tools.sh"
)]
fn store_schemas_are_generated_from_the_crds() {
    let crds = testdata().join("crds");
    python_needs("no_pyyaml");
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("store-schemas.json");
    let out = python(
        &[
            root()
                .join("scripts/extract-store-schemas.py")
                .to_str()
                .unwrap(),
            crds.to_str().unwrap(),
            out_path.to_str().unwrap(),
        ],
        "",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fresh = std::fs::read_to_string(&out_path).unwrap();
    let embedded =
        std::fs::read_to_string(root().join("src/manifests/store-schemas.json")).unwrap();
    assert!(
        fresh == embedded,
        "src/manifests/store-schemas.json is not what scripts/extract-store-schemas.py makes of {}; run it",
        crds.display()
    );
}
