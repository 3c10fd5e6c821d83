use super::*;

#[test]
fn names_are_dns_safe_distinct_and_bounded() {
    let same = |s: &str| (s.to_string(), s.to_string());
    let n = unique_names(
        vec![
            same("a-b-c"),
            same("a-b-c"),
            same("Team.X"),
            same(&"x".repeat(300)),
        ],
        120,
    );
    assert_eq!(n[0], "a-b-c");
    assert_eq!(n[0], n[1], "the same binding keeps the same name");
    assert!(
        n[2].starts_with("team-x-") && n[2].len() == "team-x-".len() + 8,
        "{n:?}"
    );
    assert!(n[3].len() <= 120, "{}", n[3].len());
    // Distinct bindings wanting the same name get distinct names.
    let n = unique_names(
        vec![
            ("a/b-c".into(), "a-b-c".into()),
            ("a-b/c".into(), "a-b-c".into()),
        ],
        NAME_MAX,
    );
    assert_ne!(n[0], n[1]);
    assert!(n.iter().all(|x| x.starts_with("a-b-c-")), "{n:?}");
}

#[test]
fn shell_words_are_quoted() {
    assert_eq!(
        shell_quote("roles/aiplatform.user"),
        "roles/aiplatform.user"
    );
    assert_eq!(shell_quote("a b"), "'a b'");
    assert_eq!(shell_quote("it's"), r"'it'\''s'");
    assert_eq!(shell_quote(""), "''");
    assert_eq!(shell_quote("x[ns/name]"), "'x[ns/name]'");
    assert_eq!(shell_quote("$(rm -rf /)"), "'$(rm -rf /)'");
}

#[test]
fn roles_and_policies_are_recognised() {
    assert!(is_gcp_role("roles/aiplatform.user"));
    assert!(is_gcp_role("projects/my-project-123/roles/agentReader"));
    assert!(is_gcp_role("organizations/123/roles/x"));
    assert!(!is_gcp_role("aiplatform.user"));
    assert!(!is_gcp_role("roles/"));
    assert!(is_policy_arn(
        "arn:aws:iam::aws:policy/AmazonBedrockFullAccess"
    ));
    assert!(is_policy_arn("arn:aws:iam::123456789012:policy/x"));
    assert!(!is_policy_arn("arn:aws:iam::12:policy/x"));
}
