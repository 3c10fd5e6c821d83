//! Hardening (docs/security.md): no secret in any output of an error or warning path, bounded input,
//! clear errors for bad files.

use crate::common;

use std::os::unix::fs::PermissionsExt;

use common::*;

const CANARY: &str = "zQ7canaryXv9Lp2Wm";

/// Fails when any 5-character piece of the canary appears in the text.
fn assert_no_canary(what: &str, text: &str) {
    let chars: Vec<char> = CANARY.chars().collect();
    for w in chars.windows(5) {
        let piece: String = w.iter().collect();
        assert!(
            !text.contains(&piece),
            "{what}: a piece of the secret ({piece}) was printed:\n{text}"
        );
    }
}

fn sa_json(extra: &str) -> String {
    format!(
        r#"{{"type":"service_account","client_email":"a@b.iam.gserviceaccount.com","private_key":"{CANARY}"{extra}}}"#
    )
}

#[test]
fn no_error_or_warning_path_prints_a_secret() {
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let files: Vec<String> = vec![
        // YAML syntax errors on lines holding the secret.
        format!("llm:\n  openaiApiKey: \"{CANARY}\n"),
        format!("llm:\n  openaiApiKey: {CANARY}: x\n"),
        format!("llm:\n  openaiApiKey: [{CANARY}\n"),
        format!("llm:\n  openaiApiKey: '{CANARY}\n  x: 1\n"),
        format!("llm:\n\topenaiApiKey: {CANARY}\n"),
        format!("llm:\n  openaiApiKey: `{CANARY}\n"),
        format!("llm:\n  openaiApiKey: {CANARY}\n bad: indent\n"),
        format!("llm:\n  openaiApiKey: *{CANARY}\n"),
        format!("llm:\n  openaiApiKey: !!int {CANARY}\n"),
        format!("llm:\n  openaiApiKey: !!binary {CANARY}!\n"),
        format!("llm: {{openaiApiKey: {CANARY}}}\n- list\n"),
        // Wrong types and shapes around secrets.
        format!("llm:\n  openaiApiKey: [{CANARY}]\n"),
        format!("llm:\n  openaiApiKey: {{k: {CANARY}}}\n"),
        format!("llm:\n  extraEnv: [{CANARY}]\n"),
        format!("llm:\n  extraEnv:\n    'bad name': {CANARY}\n"),
        format!("llm:\n  extraEnv:\n    OK: [{CANARY}]\n"),
        format!("llm:\n  openaiApiKey: {CANARY}\n  extraEnv:\n    OPENAI_API_KEY: {CANARY}x\n"),
        format!("llm:\n  ApiKey: {CANARY}\n  bad-nameApiKey: {CANARY}\n"),
        // Service-account keys.
        format!("llm:\n  gcp:\n    serviceAccountKeyBase64: '{CANARY}'\n"),
        format!("llm:\n  gcp:\n    serviceAccountKeyBase64: '{}'\n", b64(&format!("{{\"type\": \"{CANARY}\"}}"))),
        format!("llm:\n  gcp:\n    serviceAccountKeyBase64: '{}'\n", b64(&format!("not json {CANARY}"))),
        format!("llm:\n  gcp:\n    serviceAccountKey: '{{\"type\":\"service_account\",\"private_key\":\"{CANARY}\"}}'\n"),
        format!("llm:\n  gcp:\n    serviceAccountKey: '{{\"type\":\"service_account\",\"private_key\":\"{CANARY}\"'\n"),
        format!("llm:\n  gcp:\n    serviceAccountKey: '{}'\n    serviceAccountKeyBase64: '{}'\n", sa_json(""), b64(&sa_json(""))),
        // Inline keys the provider does not use (warnings), unknown keys.
        format!("secrets:\n  provider: external\nllm:\n  openaiApiKey: {CANARY}\n  gcp:\n    serviceAccountKey: '{}'\n", sa_json("")),
        format!("secrets:\n  provider: none\n  provder: x\nllm:\n  openaiApiKey: {CANARY}\n  gcp: {{project: p}}\n"),
        format!("secrets:\n  provder: inline\nllm:\n  openaiApikey: {CANARY}\n  OpenAIAPIKEY: {CANARY}\n"),
        // Secret-looking values in the store block.
        format!("secrets:\n  provider: external\n  external:\n    store:\n      vault:\n        server: x\n        auth:\n          tokenSecretRef: {CANARY}\n"),
        format!("secrets:\n  provider: external\n  external:\n    store:\n      vault:\n        server: x\n        token: {CANARY}\n"),
        // Issue 10: keys at the wrong level, a manifest as values, the usual key mix-ups.
        format!("googleApiKey: {CANARY}\nprovider: inline\n"),
        format!("apiVersion: v1\nkind: Secret\nmetadata: {{name: x}}\nstringData: {{k: {CANARY}}}\n"),
        format!("llm:\n  gcp:\n    serviceAccountKeyBase64: '{{\"private_key\": \"{CANARY}\"}}'\n"),
        format!("llm:\n  gcp:\n    serviceAccountKey: ./{CANARY}.json\n"),
        // Errors elsewhere while secrets are present.
        format!("secrets:\n  provider: bogus\nllm:\n  openaiApiKey: {CANARY}\nnamespaces:\n  defaultTeam: BAD\n"),
    ];
    for (i, text) in files.iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("values-secret.yaml");
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        for args in [
            vec!["render", "-f"],
            vec!["validate", "-f"],
            vec!["values", "-f"],
        ] {
            let mut a = args.clone();
            a.push(path.to_str().unwrap());
            let out = run(&a, "");
            let what = format!("case {i} ({args:?}): {text:?}");
            assert!(
                out.status.code().is_some_and(|c| c <= 1),
                "{what}: no crash: {:?}",
                out.status
            );
            assert_no_canary(&what, &stderr(&out));
            if out.status.code() != Some(0) || args[0] == "values" {
                assert_no_canary(&what, &stdout(&out));
            }
        }
        // The same text on standard input.
        let out = run(&["render", "-f", "-"], text);
        assert_no_canary(&format!("stdin case {i}"), &stderr(&out));
    }
}

#[test]
fn no_set_flag_error_prints_a_secret() {
    let c = CANARY;
    let cases: Vec<(&str, String)> = vec![
        ("--set", format!("llm.openaiApiKey={c},")),
        ("--set", format!("llm.openaiApiKey[0={c}")),
        ("--set", format!("llm.openaiApiKey[x]={c}")),
        ("--set", c.to_string()),
        ("--set", format!("llm.openaiApiKey={{{c}")),
        ("--set", format!("llm.extraEnv={c}")),
        ("--set", format!("llm.extraEnv.bad name={c}")),
        ("--set", format!("llm.gcp.serviceAccountKeyBase64={c}")),
        ("--set-string", format!("llm.openaiApiKey[99999999]={c}")),
        ("--set-json", format!("llm.openaiApiKey={{\"{c}\"")),
        ("--set-json", format!("llm.openaiApiKey={c}")),
        ("--set-json", format!("{{\"llm\": {c}}}")),
        ("--set-literal", format!("llm..x={c}")),
        // Issue 10: text after a comma, `:` or a space instead of `=`, after the first `=`.
        ("--set", format!("llm.openaiApiKey=p4ss,{c}")),
        ("--set", format!("a=1,k:{c}")),
        ("--set", format!("a=1,k {c}")),
        ("--set-string", format!("a=1,b[{c}]=1")),
        ("--set-json", format!("a=1,{c}")),
        ("--set", format!("llm.gcp.serviceAccountKey={c}.json")),
        (
            "--set-file",
            format!("llm.openaiApiKey=/nonexistent/{c}-not-a-secret-path"),
        ),
    ];
    for (flag, arg) in cases {
        let out = run(
            &["render", flag, &arg, "--set", "secrets.provider=external"],
            "",
        );
        let what = format!("{flag} {arg}");
        assert!(
            out.status.code().is_some_and(|c| c <= 2),
            "{what}: {:?}",
            out.status
        );
        if flag == "--set-file" {
            continue; // the path is printed, by design: it is not a secret
        }
        assert_no_canary(&what, &stderr(&out));
        assert_no_canary(&what, &stdout(&out));
    }
}

#[test]
fn template_errors_do_not_print_values() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("secrets.yaml"), "{% for k, v in agentEnvData | items %}x: {{ v | int + undefined_thing }}{{ fail(v) }}{% endfor %}").unwrap();
    let out = run(
        &[
            "render",
            "--set",
            &format!("llm.openaiApiKey={CANARY}"),
            "--templates",
            dir.path().to_str().unwrap(),
        ],
        "",
    );
    expect_exit(&out, 1, "");
    assert!(stderr(&out).contains("secrets.yaml"), "{}", stderr(&out));
    assert_no_canary("template error", &stderr(&out));
    // A template that emits the value as a key, breaking the Secret key rule.
    std::fs::write(dir.path().join("secrets.yaml"), "---\napiVersion: v1\nkind: Secret\nmetadata: {name: x, namespace: y}\ndata:\n{% for k, v in agentEnvData | items %}  {{ v }}: \"eA==\"\n{% endfor %}").unwrap();
    let out = run(
        &[
            "render",
            "--set",
            &format!("llm.openaiApiKey={CANARY}/="),
            "--templates",
            dir.path().to_str().unwrap(),
        ],
        "",
    );
    expect_exit(&out, 1, "");
    // The key is the base64 of the value: not the value, and names a Secret key problem.
    assert_no_canary("bad key", &stderr(&out));
}

#[test]
fn values_redacts_unless_reveal() {
    let v = format!("llm:\n  openaiApiKey: {CANARY}\n  extraEnv: {{X: {CANARY}}}\n  gcp:\n    serviceAccountKeyBase64: {CANARY}\n");
    let out = run(&["values", "-f", "-"], &v);
    assert!(out.status.success());
    assert_no_canary("values", &stdout(&out));
    assert!(stdout(&out).contains("<redacted>"));
    let out = run(&["values", "-f", "-", "--reveal"], &v);
    assert!(stdout(&out).contains(CANARY));
}

#[test]
#[cfg_attr(no_git, ignore = "needs git")]
fn values_files_with_secrets_warn_when_exposed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("values-secret.yaml");
    std::fs::write(&path, "llm:\n  openaiApiKey: sk-x\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = run_in(dir.path(), &["render", "-f", "values-secret.yaml"], "");
    assert!(out.status.success());
    assert!(
        stderr(&out).contains("readable by group or others (mode 0644)"),
        "{}",
        stderr(&out)
    );
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = run_in(dir.path(), &["render", "-f", "values-secret.yaml"], "");
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
    // Inside a git work tree: not ignored, then tracked.
    let git = |args: &[&str]| {
        std::process::Command::new(tool("GIT", "git"))
            .args(args)
            .current_dir(dir.path())
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    };
    assert!(git(&["init", "-q"]), "git init");
    let out = run_in(dir.path(), &["render", "-f", "values-secret.yaml"], "");
    assert!(
        stderr(&out).contains("is not git-ignored"),
        "{}",
        stderr(&out)
    );
    assert!(git(&["add", "values-secret.yaml"]));
    let out = run_in(dir.path(), &["render", "-f", "values-secret.yaml"], "");
    assert!(
        stderr(&out).contains("is tracked by git"),
        "{}",
        stderr(&out)
    );
    assert!(git(&["rm", "-q", "--cached", "values-secret.yaml"]));
    std::fs::write(dir.path().join(".gitignore"), "values-secret.yaml\n").unwrap();
    let out = run_in(dir.path(), &["render", "-f", "values-secret.yaml"], "");
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
    // A file without secret values says nothing.
    std::fs::write(
        dir.path().join("values.yaml"),
        "secrets:\n  provider: inline\n",
    )
    .unwrap();
    std::fs::set_permissions(
        dir.path().join("values.yaml"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let out = run_in(
        dir.path(),
        &["render", "-f", "values.yaml", "--set", "llm.openaiApiKey=x"],
        "",
    );
    assert!(
        !stderr(&out).contains("values.yaml holds"),
        "{}",
        stderr(&out)
    );
}

fn refused(args: &[&str], stdin: &str, want: &str) {
    let out = run(args, stdin);
    expect_exit(&out, 1, &format!("{args:?}: {}", stderr(&out)));
    assert!(out.stdout.is_empty(), "{args:?}");
    assert!(
        stderr(&out).contains(want),
        "{args:?}: want {want:?} in {}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("panicked"), "{args:?}");
}

#[test]
#[cfg_attr(no_setpriv, ignore = "needs setpriv (to run as nobody under root)")]
fn bounded_and_bad_input_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).to_string_lossy().into_owned();
    // Over 16 MiB (a sparse file: nothing is read).
    let big = std::fs::File::create(p("big.yaml")).unwrap();
    big.set_len(16 * 1024 * 1024 + 1).unwrap();
    refused(&["render", "-f", &p("big.yaml")], "", "16 MiB");
    refused(
        &[
            "render",
            "--set-file",
            &format!("llm.gcp.serviceAccountKey={}", p("big.yaml")),
        ],
        "",
        "16 MiB",
    );
    // The same on standard input.
    refused(
        &["render", "-f", "-"],
        &format!("a: \"{}\"\n", "x".repeat(16 * 1024 * 1024)),
        "16 MiB",
    );
    // Billion laughs.
    let mut bomb = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for (prev, n) in ["a", "b", "c", "d", "e", "f", "g", "h"]
        .iter()
        .zip(["b", "c", "d", "e", "f", "g", "h", "i"])
    {
        bomb.push_str(&format!(
            "{n}: &{n} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
        ));
    }
    refused(&["render", "-f", "-"], &bomb, "more than 100000 nodes");
    // Nesting.
    refused(
        &["render", "-f", "-"],
        &format!("a: {}{}\n", "[".repeat(300), "]".repeat(300)),
        "nesting deeper than 256",
    );
    refused(
        &["render", "-f", "-"],
        &format!(
            "a:\n{}",
            (1..300)
                .map(|i| format!("{}k{i}:\n", " ".repeat(i * 2)))
                .collect::<String>()
        ),
        "nesting deeper than 256",
    );
    refused(
        &[
            "render",
            "--set-json",
            &format!("llm.extraEnv={}{}", "[".repeat(300), "]".repeat(300)),
        ],
        "",
        "--set-json",
    );
    // Invalid UTF-8, binary, missing, a folder.
    std::fs::write(p("latin1.yaml"), b"llm:\n  openaiApiKey: caf\xe9\n").unwrap();
    refused(&["render", "-f", &p("latin1.yaml")], "", "not valid UTF-8");
    std::fs::write(p("bin.yaml"), b"\x7fELF\x00\x00\x01").unwrap();
    refused(&["render", "-f", &p("bin.yaml")], "", "binary");
    refused(&["render", "-f", &p("missing.yaml")], "", "no such file");
    refused(
        &["render", "-f", dir.path().to_str().unwrap()],
        "",
        "is a folder",
    );
    refused(
        &[
            "render",
            "--set-file",
            &format!("llm.gcp.serviceAccountKey={}", p("missing.json")),
        ],
        "",
        "no such file",
    );
    // Unreadable: run as a user without privileges (root reads everything), who may enter
    // the folder but not read the file.
    std::fs::write(p("locked.yaml"), "a: 1\n").unwrap();
    std::fs::set_permissions(p("locked.yaml"), std::fs::Permissions::from_mode(0o000)).unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = run_unprivileged(&["render", "-f", &p("locked.yaml")]);
    expect_exit(&out, 1, "an unreadable values file");
    let err = stderr(&out);
    assert!(out.stdout.is_empty() && !err.contains("panicked"), "{err}");
    assert!(err.contains("permission denied"), "{err}");
    // Every problem at once, from several files.
    let out = run(
        &[
            "render",
            "-f",
            &p("missing.yaml"),
            "-f",
            &p("bin.yaml"),
            "-f",
            "-",
        ],
        "a: [",
    );
    let err = stderr(&out);
    assert!(
        err.contains("no such file") && err.contains("binary") && err.contains("<stdin>:"),
        "{err}"
    );
}
