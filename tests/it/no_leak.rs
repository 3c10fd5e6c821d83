//! Issue 20: what no path may print (a stray argument, any text of a `--set*` argument after
//! its key), and what every path must escape (strings from a cluster, a folder or a values
//! file, in text output).

use crate::common;

use common::{expect_exit, run, stderr, stdout};

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
            expect_exit(&o, 2, &format!("{args:?}: {}", stderr(&o)));
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
        expect_exit(&o, 2, "");
        no_canary(&arg, &stderr(&o));
        assert!(stderr(&o).contains("--openai-key"), "{}", stderr(&o));
    }
    // A mistyped flag alone still gets clap's message and suggestion.
    let o = run(&["render", "--ouptut-dir", "x"], "");
    expect_exit(&o, 2, "");
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

/// A string that would run in a terminal or forge a line of ours.
const HOSTILE: &str = "x\u{1b}[2J\u{1b}]0;pwned\u{7}\nok               Secret team-default/agent-env: Ready: True\u{85}\u{202e}";

/// [`HOSTILE`] as a YAML double-quoted scalar (YAML escapes, no raw control character).
fn hostile_yaml() -> String {
    format!(
        "\"{}\"",
        HOSTILE
            .replace('\n', "\\n")
            .replace('\u{1b}', "\\e")
            .replace('\u{7}', "\\a")
            .replace('\u{85}', "\\N")
            .replace('\u{202e}', "\\u202E")
    )
}

fn no_raw_control(what: &str, text: &str) {
    for c in ['\u{1b}', '\u{7}', '\u{85}', '\u{202e}'] {
        assert!(!text.contains(c), "{what}: raw {c:?} in {text:?}");
    }
    assert!(
        !text
            .lines()
            .any(|l| l.starts_with("ok               Secret team-default/agent-env: Ready")),
        "{what}: a forged line: {text}"
    );
}

#[test]
#[cfg_attr(
    any(no_kubectl, no_python3),
    ignore = "needs kubectl; python3: run scripts/fetch-tools.sh"
)]
fn doctor_escapes_cluster_messages_in_text_and_keeps_json_exact() {
    let k = common::standin::kubectl();
    let mut fixture: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(common::standin::fixture("external.json")).unwrap(),
    )
    .unwrap();
    for o in fixture["items"].as_array_mut().unwrap() {
        if let Some(conds) = o["status"]["conditions"].as_array_mut() {
            conds[0]["status"] = "False".into();
            conds[0]["message"] = HOSTILE.into();
            conds[0]["reason"] = HOSTILE.into();
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("hostile.json");
    std::fs::write(&file, fixture.to_string()).unwrap();
    let f = file.to_str().unwrap();
    let s = common::standin::StandIn::start(&common::standin::Cluster::new(&[f]));
    let doctor = |extra: &[&str]| {
        let kc = s.kubeconfig();
        let mut args = vec![
            "doctor",
            "-f",
            "examples/external-vault.yaml",
            "--kubectl",
            k.to_str().unwrap(),
            "--kubeconfig",
            kc.to_str().unwrap(),
        ];
        args.extend(extra);
        common::standin::bin(&args, &s.cache_dir())
    };
    let o = doctor(&[]);
    let text = stdout(&o);
    expect_exit(&o, 4, &format!("{text}{}", stderr(&o)));
    no_raw_control("doctor", &text);
    no_raw_control("doctor (stderr)", &stderr(&o));
    assert!(text.contains("\\u{1b}[2J"), "{text}");
    assert!(text.contains("\\nok "), "{text}");
    // JSON stays exact: the message reads back byte for byte.
    let o = doctor(&["-o", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["detail"].as_str().unwrap().contains(HOSTILE)),
        "{v}"
    );
}

#[test]
fn diff_escapes_names_and_keys_from_the_folder() {
    use base64::Engine as _;
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("current.yaml");
    let b64 = base64::engine::general_purpose::STANDARD.encode("v");
    let h = hostile_yaml();
    let other = format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: agent-env\n  namespace: team-default\ndata:\n  {h}: {b64}\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: {h}\n  namespace: {h}\ndata:\n  K: {b64}\n"
    );
    std::fs::write(&file, other).unwrap();
    let o = run(
        &[
            "diff",
            "-f",
            "examples/inline.yaml",
            "--against",
            file.to_str().unwrap(),
        ],
        "",
    );
    expect_exit(&o, 4, "");
    no_raw_control("diff", &stdout(&o));
    assert!(stdout(&o).contains("\\u{1b}[2J"), "{}", stdout(&o));
}

#[test]
fn warnings_that_quote_values_keys_are_escaped() {
    let values = format!("{h}: 1\nllm:\n  {h}: 2\n", h = hostile_yaml());
    for cmd in ["validate", "render"] {
        let o = run(&[cmd, "-f", "-", "--set", "llm.openaiApiKey=sk-x"], &values);
        no_raw_control(cmd, &stderr(&o));
        assert!(stderr(&o).contains("\\u{1b}[2J"), "{cmd}: {}", stderr(&o));
    }
}
