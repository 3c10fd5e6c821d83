//! Issue 10: the paths users actually run are not destructive, not half-written, not leaky.

use crate::common;

use common::{run, run_in, stderr, stdout};

fn code(o: &std::process::Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn tmpdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

// ---- destructive or silent output ----

#[test]
fn an_empty_inline_agent_env_is_refused_unless_allowed() {
    // Piped into kubectl apply, an agent-env with `data: {}` erases the keys in the cluster.
    for (args, stdin) in [
        (&["render"][..], ""),
        (&["render", "-f", "-"][..], ""),
        (&["validate"][..], ""),
        (
            &[
                "render",
                "--set",
                "secrets.provider=none,workloadIdentity.llmKeys=inline,llm.gcp.project=p",
            ][..],
            "",
        ),
    ] {
        let o = run(args, stdin);
        assert_eq!(code(&o), 1, "{args:?}: {}", stderr(&o));
        assert!(stdout(&o).is_empty(), "{args:?} printed objects");
        let e = stderr(&o);
        assert!(e.contains("agent-env would be empty"), "{e}");
        assert!(e.contains("secrets.allowEmptyAgentEnv"), "{e}");
        // Nothing of the user's is to blame: the defaults are not named as the source.
        assert!(!e.contains("built-in defaults"), "{e}");
    }
    let o = run(&["render", "--set", "secrets.allowEmptyAgentEnv=true"], "");
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("data: {}"));
    // The user's own `llm:` is the source named.
    let o = run(&["render", "-f", "-"], "llm:\n  extraEnv: {}\n");
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("<stdin>:"), "{}", stderr(&o));
}

#[test]
fn top_level_keys_of_our_sections_get_a_did_you_mean() {
    let pasted = "provider: external\ngoogleApiKey: AIzaSy-canary\nstoreName: s\nproject: p\nvault: {}\nimage: {tag: x}\n";
    let o = run(&["render", "-f", "-"], pasted);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let e = stderr(&o);
    for want in [
        "error: <stdin>:1:11: provider: not a top-level key: this key belongs at `secrets.provider`",
        "Move it to `llm.googleApiKey`",
        "Move it to `secrets.external.storeName`",
        "Move it to `llm.gcp.project`",
        "warning: <stdin>:5:8: vault: not a top-level key, ignored; did you mean `secrets.external.store.vault`?",
    ] {
        assert!(e.contains(want), "missing {want:?} in {e}");
    }
    // A key one level off inside our sections gets its place too.
    let o = run(
        &["validate", "-f", "-"],
        "secrets:\n  provider: external\n  storeName: s\n",
    );
    assert!(
        stderr(&o).contains("error: <stdin>:3:14: secrets.storeName: not a key of this section: this key belongs at `secrets.external.storeName`"),
        "{}",
        stderr(&o)
    );
    // A chart's other top-level keys are left alone.
    assert!(!e.contains("image"), "{e}");
    assert!(!e.contains("canary"), "{e}");
}

#[test]
fn a_kubernetes_manifest_is_not_values() {
    let store = "apiVersion: external-secrets.io/v1\nkind: ClusterSecretStore\nmetadata:\n  name: recif-secret-store\nspec:\n  provider:\n    vault: {server: https://vault}\n";
    for cmd in ["render", "validate", "values"] {
        let o = run(&[cmd, "-f", "-"], store);
        assert_eq!(code(&o), 1);
        assert!(stdout(&o).is_empty());
        assert!(
            stderr(&o).contains(
                "<stdin>:2:7: kind: this is a Kubernetes manifest (ClusterSecretStore), not values"
            ),
            "{}",
            stderr(&o)
        );
    }
}

#[test]
fn strict_makes_unknown_keys_errors() {
    let args = [
        "--set",
        "llm.googleApiKey=k",
        "--set",
        "llm.gcp.serviceAcountKeyBase64=x",
    ];
    for cmd in ["validate", "render"] {
        let mut a = vec![cmd];
        a.extend(args);
        let o = run(&a, "");
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        assert!(stderr(&o).contains("warning: --set llm.gcp.serviceAcountKeyBase64: unknown key, ignored; did you mean `llm.gcp.serviceAccountKeyBase64`?"), "{}", stderr(&o));
        a.push("--strict");
        let o = run(&a, "");
        assert_eq!(code(&o), 1, "{cmd} --strict: {}", stderr(&o));
        assert!(stdout(&o).is_empty());
        assert!(
            stderr(&o).contains("error: --set llm.gcp.serviceAcountKeyBase64: unknown key"),
            "{}",
            stderr(&o)
        );
    }
    let o = run(&["validate", "--strict", "--set", "llm.googleApiKey=k"], "");
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

// ---- common mistakes get the fix in the message ----

#[test]
fn common_mistakes_get_the_fix_and_never_the_value() {
    let dir = tmpdir();
    // Raw JSON where base64 is expected.
    let f = dir.path().join("v.yaml");
    std::fs::write(
        &f,
        "llm:\n  googleApiKey: k\n  gcp:\n    serviceAccountKeyBase64: |\n      {\"type\": \"service_account\", \"private_key\": \"Zq8xCanary\"}\n",
    )
    .unwrap();
    let o = run(&["validate", "-f", f.to_str().unwrap()], "");
    assert_eq!(code(&o), 1);
    let e = stderr(&o);
    assert!(
        e.contains("v.yaml:4:30: llm.gcp.serviceAccountKeyBase64: holds raw JSON, not base64: put the JSON itself under llm.gcp.serviceAccountKey"),
        "{e}"
    );
    assert!(!e.contains("Zq8x"), "{e}");
    // A path given to --set instead of --set-file.
    for key in ["serviceAccountKey", "serviceAccountKeyBase64"] {
        let arg = format!("llm.gcp.{key}=Zq8x-sa-key.json");
        let o = run(
            &["render", "--set", "llm.googleApiKey=k", "--set", &arg],
            "",
        );
        assert_eq!(code(&o), 1, "{}", stderr(&o));
        let e = stderr(&o);
        assert!(
            e.contains("looks like a file path")
                && e.contains("--set-file llm.gcp.serviceAccountKey=PATH"),
            "{e}"
        );
        assert!(!e.contains("Zq8x"), "{e}");
    }
    // A URL given to -f: not downloaded, and its user information and query never shown.
    let o = run(
        &[
            "render",
            "-f",
            "https://user:Zq8xpw@example.com/values.yaml?token=Zq8xtok",
        ],
        "",
    );
    assert_eq!(code(&o), 1);
    let e = stderr(&o);
    assert!(
        e.contains("-f https://example.com/values.yaml: URLs are not downloaded"),
        "{e}"
    );
    assert!(!e.contains("Zq8x"), "{e}");
    assert!(stdout(&o).is_empty());
}

#[test]
fn template_mistakes_are_named() {
    let dir = tmpdir();
    let t = dir.path().to_str().unwrap();
    std::fs::write(dir.path().join("secrets.yaml"), "x: {{ nope }}\n").unwrap();
    let o = run(
        &["validate", "--set", "llm.googleApiKey=k", "--templates", t],
        "",
    );
    assert_eq!(code(&o), 1);
    let e = stderr(&o);
    assert!(
        e.contains("template secrets.yaml:1: undefined value"),
        "{e}"
    );
    assert!(e.contains("does not define: nope;"), "{e}");
    // A file that replaces nothing would leave the built-in template in use silently.
    std::fs::remove_file(dir.path().join("secrets.yaml")).unwrap();
    std::fs::write(dir.path().join("secret.yaml"), "x: 1\n").unwrap();
    std::fs::write(dir.path().join(".gitkeep"), "").unwrap();
    std::fs::write(
        dir.path().join("_helpers.tpl"),
        "{% macro m() %}{% endmacro %}",
    )
    .unwrap();
    let o = run(
        &["render", "--set", "llm.googleApiKey=k", "--templates", t],
        "",
    );
    assert_eq!(code(&o), 1);
    assert!(stdout(&o).is_empty());
    let e = stderr(&o);
    assert!(
        e.contains("secret.yaml replaces no built-in template; did you mean secrets.yaml? the built-in templates are secretstore.yaml, serviceaccounts.yaml, secrets.yaml, externalsecrets.yaml, bindings.yaml, namespaces.yaml"),
        "{e}"
    );
    assert_eq!(e.lines().count(), 1, "{e}");
    std::fs::remove_file(dir.path().join("secret.yaml")).unwrap();
    let o = run(
        &["render", "--set", "llm.googleApiKey=k", "--templates", t],
        "",
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

// ---- small items ----

#[test]
fn counts_and_flag_origins_read_well() {
    let o = run(
        &[
            "validate",
            "--set",
            "llm.googleApiKey=k,namespaces.defaultTeam=",
            "--set-json",
            "namespaces.teams=[\"a\"]",
        ],
        "",
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("valid: 1 object would be rendered"),
        "{}",
        stderr(&o)
    );
    let o = run(
        &["validate", "-n", "Bad_NS", "--set", "llm.googleApiKey=k"],
        "",
    );
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("error: --namespace: \"Bad_NS\""),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_malformed_show_only_is_a_usage_error() {
    for f in ["unknown", "secret/", "/agent-env"] {
        let o = run(
            &["render", "--set", "llm.googleApiKey=k", "--show-only", f],
            "",
        );
        assert_eq!(code(&o), 2, "{f}: {}", stderr(&o));
        assert!(stdout(&o).is_empty());
        assert!(stderr(&o).contains("expected KIND/NAME"), "{}", stderr(&o));
    }
    // Checked before anything is rendered: even invalid values give the usage error.
    let o = run(&["render", "--show-only", "unknown"], "");
    assert_eq!(code(&o), 2, "{}", stderr(&o));
}

#[test]
fn init_says_what_it_did_with_an_existing_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tmpdir();
    let f = dir.path().join("values-secret.yaml");
    std::fs::write(&f, "mine: 1\n").unwrap();
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = run_in(dir.path(), &["init"], "");
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let e = stderr(&o);
    assert!(!e.contains("wrote"), "{e}");
    assert!(!e.contains("(mode 0600)"), "{e}");
    assert!(e.contains("already exists; left as it is"), "{e}");
    assert!(
        e.contains("is readable by group or others (mode 0644); run: chmod 600"),
        "{e}"
    );
    assert_eq!(std::fs::read_to_string(&f).unwrap(), "mine: 1\n");
    // A new file: written 0600, and said so.
    let dir = tmpdir();
    let o = run_in(dir.path(), &["init"], "");
    assert!(
        stderr(&o).contains("wrote ./values-secret.yaml (mode 0600)"),
        "{}",
        stderr(&o)
    );
}

// ---- leaks ----

const CANARY: &str = "Zq8xCanary";

fn no_canary(what: &str, text: &str) {
    assert!(!text.contains(CANARY), "{what} printed the canary: {text}");
    assert!(
        !text.contains("Zq8x"),
        "{what} printed part of the canary: {text}"
    );
}

#[test]
fn set_flags_never_print_text_after_an_equals_sign() {
    let cases = [
        format!("k=p4ss,{CANARY}"),
        format!("a=1,k:{CANARY}"),
        format!("a=1,k {CANARY}"),
        format!("a=1,b[{CANARY}]=1"),
        format!("a=1,b.{CANARY}[x]=1"),
        format!("llm.googleApiKey=k,llm.{CANARY}=1"),
        format!("k:{CANARY}"),
        format!("k {CANARY}"),
    ];
    for cmd in ["render", "values", "validate"] {
        for flag in ["--set", "--set-string", "--set-json"] {
            for arg in &cases {
                let o = run(&[cmd, flag, arg], "");
                no_canary(&format!("{cmd} {flag} {arg}"), &stderr(&o));
                if cmd != "values" || !stdout(&o).is_empty() {
                    // `values` prints the values themselves (a key is data there).
                    if cmd != "values" {
                        no_canary(&format!("{cmd} {flag} {arg} (stdout)"), &stdout(&o));
                    }
                }
            }
        }
        // The shell split the value off: clap's own "unexpected argument" must not echo it.
        for args in [
            vec![cmd, "--set", "k=", CANARY],
            vec![cmd, "--set", "k", CANARY],
            vec![cmd, "--set-string=k=", CANARY],
            vec![cmd, "--set-json", "k=", CANARY, "-n", "x"],
        ] {
            let o = run(&args, "");
            assert_eq!(code(&o), 2, "{args:?}: {}", stderr(&o));
            no_canary(&format!("{args:?}"), &stderr(&o));
            assert!(stderr(&o).contains("quoted"), "{}", stderr(&o));
        }
    }
    // Other usage errors still name the argument.
    let o = run(&["render", "--bogus"], "");
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("--bogus"));
}

#[test]
fn template_override_errors_do_not_quote_rendered_values() {
    use base64::Engine as _;
    let value = format!("sk-{CANARY}");
    let b64 = base64::engine::general_purpose::STANDARD.encode(&value);
    let head = "{% for k, v in agentEnvData | items %}---\n";
    // No case writes invalid YAML: each prints the value (a double-quoted scalar) where a
    // name, a namespace, a kind, an apiVersion, a field, a label, an include name, a data key
    // would be, and one renders two objects of one (rendered) name.
    let cases = [
        "apiVersion: v1\nkind: Secret\nmetadata: {name: {{ v }}, namespace: team-default}\ndata: {A: eA==}\n",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: x, namespace: {{ v }}}\ndata: {A: eA==}\n",
        "apiVersion: v1\nkind: {{ v }}\nmetadata: {name: x, namespace: y}\n",
        "apiVersion: {{ v }}\nkind: ExternalSecret\nmetadata: {name: x, namespace: y}\n",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: x, namespace: y}\n{{ v }}: 1\n",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: x, namespace: y, labels: {a: {{ v ~ \"!\" }}}}\n",
        "{% include v %}",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: x, namespace: y}\nstringData: { {{ v ~ \"!\" }}: a}\n",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: x, namespace: y}\nstringData: { {{ v }}: a, {{ v }}: b}\n",
        "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata: {name: x, namespace: team-default}\nspec: {secretStoreRef: {name: s}, data: [{secretKey: A, remoteRef: {key: k, decodingStrategy: {{ v }} }}], {{ v }}: 1}\n",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: {{ v | lower | replace('=', '') }}, namespace: team-default}\ndata: {A: eA==}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: {{ v | lower | replace('=', '') }}, namespace: team-default}\ndata: {A: eA==}\n",
    ];
    let dir = tmpdir();
    for case in cases {
        let t = format!("{head}{case}{{% endfor %}}");
        std::fs::write(dir.path().join("secrets.yaml"), &t).unwrap();
        let o = run(
            &[
                "render",
                "--set-string",
                &format!("llm.openaiApiKey={value}"),
                "--templates",
                dir.path().to_str().unwrap(),
            ],
            "",
        );
        assert_eq!(code(&o), 1, "{case}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(
            e.contains("template secrets.yaml") || e.contains("from a --templates override"),
            "{case}: {e}"
        );
        no_canary(case, &e);
        for piece in [&b64[..12], &b64[8..20], &b64.to_lowercase()[..12]] {
            assert!(
                !e.contains(piece),
                "{case}: printed the rendered value: {e}"
            );
        }
    }
}

#[test]
fn values_redacts_by_key_meaning() {
    let secret_keys = [
        "OPENAI_API_KEY",
        "openai_api_key",
        "api_key",
        "api-key",
        "privateKey",
        "private_key",
        "credentials",
        "passphrase",
        "accessKey",
        "clientSecret",
        "auth",
        "password",
        "db_token",
        "webhookSecret",
        "awsSecretKey",
        "authorization",
    ];
    let mut doc = String::from("other:\n");
    for k in secret_keys {
        doc.push_str(&format!("  {k}: {CANARY}\n"));
    }
    doc.push_str("  secretVersionSelectionPolicy: LatestOrFetch\n  secretName: my-name\n  tokenSecretRef: {name: tok, key: token}\n  secretKey: GOOGLE_API_KEY\nllm: {googleApiKey: g}\n");
    let o = run(&["values", "-f", "-"], &doc);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    no_canary("values", &out);
    assert_eq!(
        out.matches("<redacted>").count(),
        secret_keys.len() + 1,
        "{out}"
    );
    for kept in [
        "LatestOrFetch",
        "my-name",
        "name: tok",
        "key: token",
        "secretKey: GOOGLE_API_KEY",
    ] {
        assert!(out.contains(kept), "{kept} was redacted: {out}");
    }
    // A values file whose only "secret" is a policy name holds no secret: no warning.
    let dir = tmpdir();
    let f = dir.path().join("v.yaml");
    std::fs::write(&f, "llm: {extraEnv: {}}\nsecrets: {allowEmptyAgentEnv: true}\nx: {secretVersionSelectionPolicy: LatestOrFetch}\n").unwrap();
    std::fs::set_permissions(&f, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let o = run(&["validate", "-f", f.to_str().unwrap()], "");
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        !stderr(&o).contains("holds secret values"),
        "{}",
        stderr(&o)
    );
}

/// Issue 20: a key that is exactly one of ours at the wrong level, which would change what is
/// rendered, is an error with the fix without --strict (the objects would silently fall back
/// to the defaults); one that merely looks unfamiliar, or changes nothing, stays a warning.
/// And errors come in the order of their cause: the mistake leads, not its consequence.
#[test]
fn misplaced_keys_of_ours_that_change_the_output_are_errors_in_the_order_of_their_cause() {
    for (values, want) in [
        (
            "secrets:\n  provider: external\nexternal:\n  storeName: team-store\n",
            "error: <stdin>:4:3: external: not a top-level key: this key belongs at `secrets.external`; here it is ignored and the objects would fall back to the defaults. Move it to `secrets.external`",
        ),
        (
            "llm:\n  openaiApiKey: sk-x\n  serviceAccountKeyBase64: eyJ0eXBlIjoic2VydmljZV9hY2NvdW50In0=\n",
            "error: <stdin>:3:28: llm.serviceAccountKeyBase64: not a key of llm: this key belongs at `llm.gcp.serviceAccountKeyBase64`",
        ),
    ] {
        for cmd in ["validate", "render"] {
            let o = run(&[cmd, "-f", "-"], values);
            assert_eq!(code(&o), 1, "{cmd} {values}: {}", stderr(&o));
            assert!(stderr(&o).contains(want), "{}", stderr(&o));
            assert!(stdout(&o).is_empty());
            assert!(!stderr(&o).contains("eyJ0"), "{}", stderr(&o));
        }
    }
    // Set at its home too, or the default written again, or another chart's key: warnings.
    for values in [
        "secrets:\n  provider: external\n  external:\n    storeName: a\nexternal:\n  storeName: b\n",
        "llm:\n  openaiApiKey: sk-x\nprovider: inline\n",
        "llm:\n  openaiApiKey: sk-x\nvault:\n  enabled: true\n",
    ] {
        let o = run(&["validate", "-f", "-"], values);
        assert_eq!(code(&o), 0, "{values}: {}", stderr(&o));
        assert!(stderr(&o).contains("warning: "), "{}", stderr(&o));
    }
    // A mistyped provider leads, with its did-you-mean; the empty agent-env it causes is not
    // reported on top of it.
    for args in [
        &["render", "--set", "secrets.provider=extrnal"][..],
        &["validate", "--set", "secrets.provider=extrnal"][..],
    ] {
        let o = run(args, "");
        assert_eq!(code(&o), 1);
        let e = stderr(&o);
        let first = e.lines().next().unwrap_or("");
        assert!(
            first.contains("secrets.provider") && first.contains("did you mean `external`?"),
            "{e}"
        );
        assert!(!e.contains("agent-env would be empty"), "{e}");
    }
    let o = run(&["render", "-f", "-"], "googleApiKey: AIzaSy-x\n");
    assert!(
        !stderr(&o).contains("agent-env would be empty"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("Move it to `llm.googleApiKey`"),
        "{}",
        stderr(&o)
    );
}

/// Issue 20: ESO template keys and labels (`password:` in `target.template.data`,
/// `jenkins.io/credentials-type`) are not secret values: no warning in a git work tree,
/// `--strict` passes, `values` shows them.
#[test]
#[cfg_attr(no_git, ignore = "needs git")]
fn eso_template_keys_and_labels_are_not_taken_for_secrets() {
    let tmp = tmpdir();
    assert!(common::git(tmp.path(), &["init", "-q"]).status.success());
    let values = "secrets:\n  provider: external\n  external:\n    externalSecretSpec:\n      target:\n        template:\n          metadata:\n            labels:\n              jenkins.io/credentials-type: usernamePassword\n          data:\n            password: '{{ .password }}'\n            token: '{{ .token }}'\n";
    let file = tmp.path().join("values.yaml");
    std::fs::write(&file, values).unwrap();
    let f = file.to_str().unwrap();
    for args in [
        &["validate", "--strict", "-f", f][..],
        &["render", "--strict", "-f", f][..],
        &["validate", "--forbid-secrets", "-f", f][..],
    ] {
        let o = run(args, "");
        assert_eq!(code(&o), 0, "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("secret values"), "{}", stderr(&o));
    }
    let o = run(&["values", "-f", f], "");
    assert!(stdout(&o).contains("{{ .password }}"), "{}", stdout(&o));
    assert!(stdout(&o).contains("usernamePassword"), "{}", stdout(&o));
    assert!(!stdout(&o).contains("<redacted>"), "{}", stdout(&o));
}

/// Issue 20: a literal credential in a store block (a webhook's `headers.Authorization`, a
/// token where ESO expects a `secretRef`) is refused with the `secretRef` form, never written
/// in clear (not to standard output, not into the GitOps folder, not with --sops-age either);
/// a header that is a template reading a secretRef is fine.
#[test]
fn literal_credentials_in_store_blocks_are_refused_with_the_secret_ref_form() {
    let tmp = tmpdir();
    let out = tmp.path().join("out");
    let o = out.to_str().unwrap();
    let recipient = age::x25519::Identity::generate().to_public().to_string();
    for (block, at) in [
        (
            "      webhook:\n        url: https://hooks.example/{{ .remoteRef.key }}\n        headers:\n          Authorization: Bearer sk-Zq8xCanary\n",
            "<stdin>:8:26: secrets.external.store.webhook.headers.Authorization",
        ),
        (
            "      vault:\n        server: https://vault.example\n        auth:\n          token: hvs.Zq8xCanary\n",
            "<stdin>:8:18: secrets.external.store.vault.auth.token",
        ),
    ] {
        let values = format!("secrets:\n  provider: external\n  external:\n    store:\n{block}");
        for args in [
            vec!["render", "-f", "-"],
            vec!["render", "-f", "-", "--output-dir", o],
            vec!["render", "-f", "-", "--output-dir", o, "--sops-age", &recipient],
            vec!["validate", "-f", "-"],
        ] {
            let res = run(&args, &values);
            assert_eq!(code(&res), 1, "{args:?}: {}", stderr(&res));
            let e = stderr(&res);
            assert!(e.contains(at), "{e}");
            assert!(e.contains("secretRef"), "{e}");
            assert!(!e.contains("Zq8x") && !stdout(&res).contains("Zq8x"), "{e}");
            assert!(!e.contains("nothing to encrypt"), "{e}");
            assert!(!out.exists(), "{args:?} wrote the folder");
        }
    }
    let templated = "secrets:\n  provider: external\n  external:\n    store:\n      webhook:\n        url: https://hooks.example/{{ .remoteRef.key }}\n        headers:\n          Authorization: 'Bearer {{ .auth.token }}'\n        secrets:\n          - name: auth\n            secretRef: {name: webhook-auth, key: token}\n";
    let res = run(&["validate", "-f", "-"], templated);
    assert_eq!(code(&res), 0, "{}", stderr(&res));
}
