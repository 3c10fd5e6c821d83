use super::*;

fn load_str(s: &str) -> Result<Node, YamlError> {
    load(s, &Arc::from("t.yaml"))
}

fn json(s: &str) -> serde_json::Value {
    load_str(s).unwrap().to_json()
}

#[test]
fn yaml_1_1_plain_scalars() {
    let v = json("a: yes\nb: off\nc: y\nd: 0755\ne: 0x1F\nf: 1_000\ng: '0755'\nh: \"yes\"\ni: ~\nj: 1.5\nk: 09\nl: 1e400\nm: 0b101\nnn: -0x1F\no: .5\np: 1:20\nq: 2001-12-14\n");
    assert_eq!(
        v,
        serde_json::json!({"a": true, "b": false, "c": true, "d": 493, "e": 31, "f": 1000,
                "g": "0755", "h": "yes", "i": null, "j": 1.5, "k": 9.0, "l": "1e400", "m": 5,
                "nn": -31, "o": 0.5, "p": "1:20", "q": "2001-12-14"})
    );
}

#[test]
fn keys_become_strings_and_last_duplicate_wins() {
    assert_eq!(
        json("1: a\ny: b\n1.5: c\ndup: 1\ndup: 2\n"),
        serde_json::json!({"1": "a", "true": "b", "1.5": "c", "dup": 2})
    );
    assert!(load_str("~: x\n").is_err());
    assert!(load_str("? [1, 2]\n: x\n").is_err());
}

#[test]
fn merge_keys_are_positional_like_go_yaml_v2() {
    assert_eq!(
        json("m: {a: 1, <<: {a: 2, b: 2}}"),
        serde_json::json!({"m": {"a": 2, "b": 2}})
    );
    assert_eq!(
        json("b: &b {a: 2, c: 3}\nm:\n  a: 1\n  <<: [*b, {c: 9, d: 4}]\n"),
        serde_json::json!({"b": {"a": 2, "c": 3}, "m": {"a": 2, "c": 3, "d": 4}})
    );
    // A quoted "<<" is an ordinary key.
    assert_eq!(json("'<<': 1"), serde_json::json!({"<<": 1}));
}

#[test]
fn big_integers_keep_their_digits() {
    let n = load_str("x: 123456789012345678901234567890\n").unwrap();
    assert_eq!(
        n.get(&["x"]).unwrap().value,
        Value::BigInt("123456789012345678901234567890".into())
    );
    assert_eq!(
        load_str("x: 9223372036854775807\n")
            .unwrap()
            .get(&["x"])
            .unwrap()
            .value,
        Value::Int(i64::MAX)
    );
}

#[test]
fn documents_merge_and_positions_are_kept() {
    let n = load_str("a: 1\n---\nb:\n  c: x\n").unwrap();
    assert_eq!(n.to_json(), serde_json::json!({"a": 1, "b": {"c": "x"}}));
    assert_eq!(
        n.get(&["b", "c"]).unwrap().origin,
        Origin::File {
            path: Arc::from("t.yaml"),
            line: 4,
            col: 6
        }
    );
    assert!(load_str("a: 1\n---\n- 1\n").is_err());
    assert!(load_str("- 1\n").is_err());
    assert_eq!(json(""), serde_json::json!({}));
}

#[test]
fn float_and_big_keys_are_written_as_helm_writes_them() {
    assert_eq!(
            json("1e20: a\n1e6: b\n0.00001: c\n-0.0: d\n3.14159265358979: e\n123456789012345678901234567890: f\n.inf: g\n-.inf: g2\n0.1: h\n100000.0: i\n1234567.0: j\n1.5: k\n.nan: l\n"),
            serde_json::json!({"1e+20": "a", "1e+06": "b", "1e-05": "c", "-0": "d", "3.1415927": "e",
                "1.2345679e+29": "f", ".inf": "g", "-.inf": "g2", "0.1": "h", "100000": "i",
                "1.234567e+06": "j", "1.5": "k", ".nan": "l"})
        );
    assert_eq!(
        json("9223372036854775807: a\n-9223372036854775808: b\n"),
        serde_json::json!({"9223372036854775807": "a", "-9223372036854775808": "b"})
    );
    // go-yaml reads these as uint64, a key type Helm refuses.
    assert!(load_str("9223372036854775808: x\n").is_err());
    assert!(load_str("0xFFFFFFFFFFFFFFFF: x\n").is_err());
}

#[test]
fn documents_split_as_helm_splits_them() {
    // Only `---` lines separate; after `...` the rest of the piece is ignored.
    assert_eq!(
        json("a: 1\n...\nignored: 1\n---\nb: 2\n"),
        serde_json::json!({"a": 1, "b": 2})
    );
    assert_eq!(
        json("--- # c\n---\na: 1\n--- \t\nb: 2\r\n---\r\nc: 3\n---\n"),
        serde_json::json!({"a": 1, "b": 2, "c": 3})
    );
    let err = load_str("a: 1\n--- {b: 2}\n").unwrap_err();
    assert_eq!((err.line, err.col), (2, 4));
    assert!(!err.message.contains("b: 2"), "{err:?}");
    assert!(load_str("a: 1\n----\n").is_err());
    let err = load_str("# c\n...\na: 1\n").unwrap_err();
    assert_eq!(err.line, 2, "{err:?}");
    assert!(load_str("a: 1\n---\n...\n").is_err());
    // Anchors do not cross documents.
    assert!(load_str("a: &x {b: 1}\n---\nc: *x\n").is_err());
    // Positions stay those of the whole file.
    let err = load_str("a: 1\n---\nb: 1\n---\nc: [1\n").unwrap_err();
    assert_eq!(err.line, 6, "{err:?}");
    let n = load_str("a: 1\n---\nb: 1\n---\n\nc: x\n").unwrap();
    assert_eq!(
        n.get(&["c"]).unwrap().origin,
        Origin::File {
            path: Arc::from("t.yaml"),
            line: 6,
            col: 4
        }
    );
}

#[test]
fn tags() {
    assert_eq!(
        json("a: !!str 12\nb: !!binary aGk=\nc: !foo 12\n"),
        serde_json::json!({"a": "12", "b": "hi", "c": "12"})
    );
}

#[test]
fn billion_laughs_is_refused() {
    let mut doc = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names = ["b", "c", "d", "e", "f", "g", "h", "i"];
    let mut prev = "a";
    for n in names {
        doc.push_str(&format!(
            "{n}: &{n} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
        ));
        prev = n;
    }
    let err = load_str(&doc).unwrap_err();
    assert!(err.message.contains("more than 100000 nodes"), "{err:?}");
}

#[test]
fn aliases_of_long_strings_are_bounded_in_bytes() {
    // 64 KiB aliased 20,000 times: 1.3 GB before the byte budget.
    let mut doc = format!("a: &a \"{}\"\nb: [", "x".repeat(64 * 1024));
    doc.push_str(&vec!["*a"; 20_000].join(","));
    doc.push_str("]\n");
    let err = load_str(&doc).unwrap_err();
    assert!(err.message.contains("bytes (4 MiB) of text"), "{err:?}");
    assert_eq!(err.line, 2, "{err:?}");
    // Nested anchors each keep a copy of their subtree.
    let mut nested = format!("\"{}\"", "y".repeat(64 * 1024));
    for i in 0..200 {
        nested = format!("&n{i} [{nested}]");
    }
    let err = load_str(&format!("a: {nested}\n")).unwrap_err();
    assert!(err.message.contains("bytes (4 MiB) of text"), "{err:?}");
    // Ordinary use: a few copies of a small block.
    let ok = "base: &b {image: x, tag: \"1\"}\nc1: *b\nc2: {<<: *b, tag: \"2\"}\n";
    assert_eq!(
        json(ok)["c2"],
        serde_json::json!({"image": "x", "tag": "2"})
    );
}

#[test]
fn values_are_bounded_in_number() {
    // A flow list of tiny items costs ~100 bytes a node in memory for 2 bytes of file.
    let list = |n: usize| format!("l: [{}]\n", vec!["1"; n].join(","));
    assert!(load_str(&list(MAX_NODES - 10)).is_ok());
    let err = load_str(&list(MAX_NODES)).unwrap_err();
    assert!(err.message.contains("more than 200000 values"), "{err:?}");
    assert_eq!(err.line, 1, "{err:?}");
    // Shared by the files of a run.
    let mut budget = LoadBudget::default();
    let path = Arc::from("t.yaml");
    assert!(load_within(&list(MAX_NODES / 2), &path, &mut budget).is_ok());
    assert!(load_within(&list(MAX_NODES / 2), &path, &mut budget).is_err());
}

#[test]
fn the_alias_budget_is_shared_by_the_files_of_a_run() {
    let doc = format!("a: &a \"{}\"\nb: [*a, *a]\n", "x".repeat(1024 * 1024));
    let mut budget = LoadBudget::default();
    let path = Arc::from("t.yaml");
    assert!(load_within(&doc, &path, &mut budget).is_ok());
    let err = load_within(&doc, &path, &mut budget).unwrap_err();
    assert!(err.message.contains("bytes (4 MiB) of text"), "{err:?}");
}

#[test]
fn deep_nesting_is_refused() {
    let doc = format!("a: {}{}", "[".repeat(300), "]".repeat(300));
    let err = load_str(&doc).unwrap_err();
    assert!(err.message.contains("nesting"), "{err:?}");
}

#[test]
fn line_breaks_tabs_and_block_ends_as_go_yaml_reads_them() {
    // Empty block scalars at the end are "" (as before the next key).
    assert_eq!(json("a: |\n"), serde_json::json!({"a": ""}));
    assert_eq!(json("l:\n- >\n\n"), serde_json::json!({"l": [""]}));
    // Flow collections ignore indentation.
    assert_eq!(
        json("x:\n  a: [\n  \"s\",\n  {}\n  ]\n"),
        serde_json::json!({"x": {"a": ["s", {}]}})
    );
    // A tab separates a value, but may not start a line.
    assert_eq!(json("port:\t9090\n"), serde_json::json!({"port": 9090}));
    let err = load_str("a: 1\n\t# c\n").unwrap_err();
    assert_eq!((err.line, err.col), (2, 1), "{err:?}");
    assert!(load_str("l:\n-\tx\n").is_err());
    // NEL reads as \n (folded in quotes); LS and PS break lines but stay themselves.
    assert_eq!(json("a: \"x\u{85}y\"\n"), serde_json::json!({"a": "x y"}));
    assert_eq!(
        json("a: x\u{2028}  y\n"),
        serde_json::json!({"a": "x\u{2028}y"})
    );
    let err = load_str("a: x\u{85}y\n").unwrap_err();
    assert_eq!(err.line, 3, "{err:?}");
    assert_eq!(
        json("a: 1 # c\u{2029}b: 2\n"),
        serde_json::json!({"a": 1, "b": 2})
    );
}

#[test]
fn syntax_errors_give_position_not_text() {
    let err = load_str("a: 1\nkey: \"sk-secret-value\n").unwrap_err();
    assert!(!err.message.contains("sk-secret"), "{err:?}");
    assert!(err.line >= 2);
    let err = load_str("a: `x\n").unwrap_err();
    assert!(!err.message.contains('`'), "{err:?}");
    assert_eq!((err.line, err.col), (1, 4));
}
