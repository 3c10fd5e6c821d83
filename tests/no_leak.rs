//! Issue 20: what no path may print (a stray argument, any text of a `--set*` argument after
//! its key), and what every path must escape (strings from a cluster, a folder or a values
//! file, in text output).

mod common;

use common::{run, stderr, stdout};

const CANARY: &str = "sk-proj-Zq8xCanary";

fn no_canary(what: &str, text: &str) {
    assert!(
        !text.contains("Zq8x"),
        "{what} printed part of the canary: {text}"
    );
    assert!(
        !text.contains("Canary"),
        "{what} printed part of the canary: {text}"
    );
}

#[test]
fn a_stray_argument_is_never_printed_and_its_position_is_named() {
    for cmd in ["render", "validate", "values", "diff", "doctor"] {
        for args in [
            vec![cmd, "-f", "examples/inline.yaml", CANARY],
            vec![cmd, CANARY, "-f", "examples/inline.yaml"],
        ] {
            let o = run(&args, "");
            assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
            no_canary(&format!("{args:?}"), &stderr(&o));
            no_canary(&format!("{args:?}"), &stdout(&o));
            let at = args.iter().position(|a| *a == CANARY).unwrap() + 1;
            assert!(
                stderr(&o).contains(&format!("unexpected argument (argument {at};")),
                "{args:?}: {}",
                stderr(&o)
            );
        }
        // An unknown --flag=VALUE: the flag is named, never its value.
        let arg = format!("--openai-key={CANARY}");
        let o = run(&[cmd, &arg], "");
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        no_canary(&arg, &stderr(&o));
        assert!(stderr(&o).contains("--openai-key"), "{}", stderr(&o));
    }
    // A mistyped flag alone still gets clap's message and suggestion.
    let o = run(&["render", "--ouptut-dir", "x"], "");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("'--output-dir'"), "{}", stderr(&o));
}

#[test]
fn a_set_argument_without_an_equals_sign_is_never_echoed() {
    for cmd in ["render", "validate", "values", "diff"] {
        for flag in [
            "--set",
            "--set-string",
            "--set-json",
            "--set-literal",
            "--set-file",
        ] {
            for arg in [
                format!("llm.openaiApiKey:{CANARY}"),
                format!("llm.openaiApiKey {CANARY}"),
                format!("llm.openaiApiKey{CANARY}"),
            ] {
                let o = run(&[cmd, flag, &arg], "");
                assert_ne!(o.status.code(), Some(0), "{cmd} {flag} {arg}");
                no_canary(&format!("{cmd} {flag} {arg}"), &stderr(&o));
                assert!(stderr(&o).contains(flag), "{}", stderr(&o));
            }
        }
    }
}
