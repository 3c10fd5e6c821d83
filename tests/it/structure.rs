//! The layout rules of CONTRIBUTING.md, checked: no import circle between source files
//! (`scripts/import-cycles.py`), and no source file over 800 lines.

use std::process::Command;

use crate::common::{python3, root};

fn cycles(dir: &std::path::Path) -> std::process::Output {
    Command::new(python3())
        .arg(root().join("scripts/import-cycles.py"))
        .arg(dir)
        .output()
        .expect("python3 runs")
}

#[test]
#[cfg_attr(no_python3, ignore = "needs python3")]
fn no_import_circle_between_source_files() {
    let out = cycles(&root());
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
#[cfg_attr(no_python3, ignore = "needs python3")]
fn the_circle_check_finds_circles_between_modules_and_between_files() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("values")).unwrap();
    let write = |p: &str, text: &str| std::fs::write(src.join(p), text).unwrap();
    write("lib.rs", "pub mod diag;\npub mod values;\n");
    write("diag.rs", "pub fn f() { crate::values::strvals::g() }\n");
    write("values/mod.rs", "pub mod gojson;\npub mod strvals;\n");
    write(
        "values/strvals.rs",
        "use super::gojson::Json;\nuse crate::diag;\npub fn g() {}\n",
    );
    write(
        "values/gojson.rs",
        "use super::strvals::MAX;\npub struct Json;\n",
    );
    let out = cycles(dir.path());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("between modules diag, values"), "{text}");
    assert!(
        text.contains("between files src/values/gojson.rs, src/values/strvals.rs"),
        "{text}"
    );
}

#[test]
fn no_source_file_is_over_800_lines() {
    let mut long = Vec::new();
    let mut stack = vec![root().join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let lines = std::fs::read_to_string(&path).unwrap().lines().count();
                if lines > 800 {
                    long.push(format!("{} ({lines} lines)", path.display()));
                }
            }
        }
    }
    assert!(long.is_empty(), "split these by concern: {long:#?}");
}
