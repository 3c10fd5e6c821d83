//! Every example renders to its reviewed snapshot, passes check-manifests.py, and renders
//! byte-identically every time. Regenerate snapshots with UPDATE_SNAPSHOTS=1 and review the
//! diff: a snapshot is the reference, field by field.

use crate::common;

use common::*;

fn examples() -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = std::fs::read_dir(root().join("examples"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (
                name,
                vec![
                    "render".to_string(),
                    "-f".to_string(),
                    p.to_string_lossy().into_owned(),
                ],
            )
        })
        .collect();
    out.push((
        "values-secret.yaml.example".to_string(),
        vec![
            "render".into(),
            "-f".into(),
            root()
                .join("values-secret.yaml.example")
                .to_string_lossy()
                .into_owned(),
        ],
    ));
    out.sort();
    out
}

#[test]
fn examples_match_their_snapshots() {
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let mut failures = Vec::new();
    for (name, args) in examples() {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&args, "");
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        let got = stdout(&out);
        let path = root()
            .join("tests/snapshots")
            .join(format!("{name}.out.yaml"));
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &got).unwrap();
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(want) if want == got => {}
            Ok(_) => failures.push(format!("{name}: output differs from {}", path.display())),
            Err(_) => failures.push(format!("{name}: no snapshot at {}", path.display())),
        }
    }
    assert!(
        failures.is_empty(),
        "{failures:#?}\n(UPDATE_SNAPSHOTS=1 cargo test --test it examples::, then review the diff)"
    );
}

#[test]
#[cfg_attr(
    no_checker,
    ignore = "needs python3 with pyyaml, jsonschema, kubernetes-validate: run scripts/fetch-tools.sh"
)]
fn examples_pass_the_strict_checker() {
    for (name, args) in examples() {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&args, "");
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        if let Err(problems) = check_manifests(&stdout(&out)) {
            panic!("{name}: check-manifests.py: {problems}");
        }
    }
}

#[test]
fn output_is_byte_identical_across_runs() {
    for (name, args) in examples() {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let first = run(&args, "");
        for _ in 0..3 {
            let again = run(&args, "");
            assert_eq!(first.stdout, again.stdout, "{name}");
        }
    }
}

#[test]
fn the_built_in_example_renders_out_of_the_box() {
    let out = run(&["render", "--example"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    let from_file = run(&["render", "-f", "values-secret.yaml.example"], "");
    assert_eq!(out.stdout, from_file.stdout);
    let names = ids(&docs(&stdout(&out)));
    assert_eq!(
        names,
        [
            "Secret/recif-system/recif-platform-gcp-sa",
            "Secret/team-default/agent-env",
            "Secret/team-default/gcp-adc"
        ]
    );
}
