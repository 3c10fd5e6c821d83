use super::*;
use serde_json::json;

fn base() -> Node {
    Node::map(Origin::Default)
}

fn no_files(_: &str) -> Result<String, String> {
    Err("no such file".to_string())
}

fn run(kind: SetKind, arg: &str, node: &mut Node) -> Result<(), String> {
    let mut files = |p: &str| match p {
        "path1" => Ok("value1".to_string()),
        "path2" => Ok("v2\n".to_string()),
        _ => no_files(p),
    };
    parse_into(kind, arg, node, &mut files)
}

fn parse(kind: SetKind, arg: &str) -> Result<serde_json::Value, String> {
    let mut n = base();
    run(kind, arg, &mut n).map(|()| n.to_json())
}

fn parse_onto(
    kind: SetKind,
    start: serde_json::Value,
    args: &[&str],
) -> Result<serde_json::Value, String> {
    let mut n = from_json(&start);
    for a in args {
        run(kind, a, &mut n)?;
    }
    Ok(n.to_json())
}

fn from_json(v: &serde_json::Value) -> Node {
    let value = match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap()),
        },
        serde_json::Value::String(s) => Value::Str(s.clone()),
        serde_json::Value::Array(a) => Value::Seq(a.iter().map(from_json).collect()),
        serde_json::Value::Object(o) => {
            Value::Map(o.iter().map(|(k, v)| (k.clone(), from_json(v))).collect())
        }
    };
    Node::new(value, Origin::Default)
}

/// `Ok(json)` for the expected values, `Err(())` for "Helm refuses it".
type Want = Result<serde_json::Value, ()>;

fn check(kind: SetKind, cases: &[(&str, Want)]) {
    for (arg, want) in cases {
        let got = parse(kind, arg);
        match (want, &got) {
            (Ok(w), Ok(g)) => assert_eq!(g, w, "{kind:?} {arg:?}"),
            (Err(()), Err(_)) => {}
            _ => panic!("{kind:?} {arg:?}: want {want:?}, got {got:?}"),
        }
    }
}

#[test]
    #[rustfmt::skip]
    fn set_cases_from_helm() {
        let cases: &[(&str, Want)] = &[
            ("name1=null,f=false,t=true", Ok(json!({"name1": null, "f": false, "t": true}))),
            ("name1=value1", Ok(json!({"name1": "value1"}))),
            ("name1=value1,name2=value2", Ok(json!({"name1": "value1", "name2": "value2"}))),
            ("name1=value1,name2=value2,", Ok(json!({"name1": "value1", "name2": "value2"}))),
            ("name1=value1,,,,name2=value2,", Err(())),
            ("name1=,name2=value2", Ok(json!({"name1": "", "name2": "value2"}))),
            ("leading_zeros=00009", Ok(json!({"leading_zeros": "00009"}))),
            ("zero_int=0", Ok(json!({"zero_int": 0}))),
            ("long_int=1234567890", Ok(json!({"long_int": 1234567890}))),
            ("boolean=true", Ok(json!({"boolean": true}))),
            ("is_null=null", Ok(json!({"is_null": null}))),
            ("name1,name2=", Err(())),
            ("name1,name2=value2", Err(())),
            ("name1,name2=value2\\", Err(())),
            ("name1,name2", Err(())),
            ("name1=one\\,two,name2=three\\,four", Ok(json!({"name1": "one,two", "name2": "three,four"}))),
            ("name1=one\\=two,name2=three\\=four", Ok(json!({"name1": "one=two", "name2": "three=four"}))),
            ("name1=one two three,name2=three two one", Ok(json!({"name1": "one two three", "name2": "three two one"}))),
            ("outer.inner=value", Ok(json!({"outer": {"inner": "value"}}))),
            ("outer.middle.inner=value", Ok(json!({"outer": {"middle": {"inner": "value"}}}))),
            ("outer.inner1=value,outer.inner2=value2", Ok(json!({"outer": {"inner1": "value", "inner2": "value2"}}))),
            ("outer.inner1=value,outer.middle.inner=value", Ok(json!({"outer": {"inner1": "value", "middle": {"inner": "value"}}}))),
            ("name1.name2", Err(())),
            ("name1.name2,name1.name3", Err(())),
            ("name1.name2=", Ok(json!({"name1": {"name2": ""}}))),
            ("name1.=name2", Err(())),
            ("name1.,name2", Err(())),
            ("name1={value1,value2}", Ok(json!({"name1": ["value1", "value2"]}))),
            ("name1={value1,value2},name2={value1,value2}", Ok(json!({"name1": ["value1", "value2"], "name2": ["value1", "value2"]}))),
            ("name1={1021,902}", Ok(json!({"name1": [1021, 902]}))),
            ("name1.name2={value1,value2}", Ok(json!({"name1": {"name2": ["value1", "value2"]}}))),
            ("name1={1021,902", Err(())),
            ("list[0]=foo", Ok(json!({"list": ["foo"]}))),
            ("list[0].foo=bar", Ok(json!({"list": [{"foo": "bar"}]}))),
            ("list[0].foo=bar,list[0].hello=world", Ok(json!({"list": [{"foo": "bar", "hello": "world"}]}))),
            ("list[0].foo=bar,list[-30].hello=world", Err(())),
            ("list[0]=foo,list[1]=bar", Ok(json!({"list": ["foo", "bar"]}))),
            ("list[0]=foo,list[1]=bar,", Ok(json!({"list": ["foo", "bar"]}))),
            ("list[0]=foo,list[3]=bar", Ok(json!({"list": ["foo", null, null, "bar"]}))),
            ("list[0]=foo,list[-20]=bar", Err(())),
            ("illegal[0]name.foo=bar", Err(())),
            ("noval[0]", Ok(json!({"noval": []}))),
            ("noval[0]=", Ok(json!({"noval": [""]}))),
            ("nested[0][0]=1", Ok(json!({"nested": [[1]]}))),
            ("nested[1][1]=1", Ok(json!({"nested": [null, [null, 1]]}))),
            ("name1.name2[0].foo=bar,name1.name2[1].foo=bar", Ok(json!({"name1": {"name2": [{"foo": "bar"}, {"foo": "bar"}]}}))),
            ("name1.name2[1].foo=bar,name1.name2[0].foo=bar", Ok(json!({"name1": {"name2": [{"foo": "bar"}, {"foo": "bar"}]}}))),
            ("name1.name2[1].foo=bar", Ok(json!({"name1": {"name2": [null, {"foo": "bar"}]}}))),
            ("]={}].", Err(())),
            // Quirks checked against the helm binary.
            ("a.", Ok(json!({}))),
            ("a[0", Ok(json!({}))),
            ("=b", Ok(json!({}))),
            ("[0]=1", Ok(json!({}))),
            ("", Ok(json!({}))),
            ("a[0].", Ok(json!({"a": []}))),
            ("a[0][1", Ok(json!({"a": []}))),
            ("a={}", Ok(json!({"a": [""]}))),
            ("a={x}y=1", Ok(json!({"a": ["x"], "y": 1}))),
            ("a={x}}", Err(())),
            ("a.x=1,a.=b", Ok(json!({"a": {"x": 1}}))),
            ("a[70000]", Ok(json!({"a": []}))),
            ("a[65537]=1", Err(())),
            ("a[+1]=1", Ok(json!({"a": [null, 1]}))),
            ("a[-0]=1", Ok(json!({"a": [1]}))),
            ("a[ 1]=1", Err(())),
            ("a[99999999999999999999]=1", Err(())),
            ("a[x]=1", Err(())),
            ("a[]=1", Err(())),
            ("a[0]x=1", Err(())),
            ("a[0],b=1", Err(())),
            ("a=b\\", Ok(json!({"a": "b"}))),
            ("a\\.b=c", Ok(json!({"a.b": "c"}))),
            ("a\\\\b=c\\\\d", Ok(json!({"a\\b": "c\\d"}))),
            ("a={x\\,y,z}", Ok(json!({"a": ["x,y", "z"]}))),
            ("a\\[0]=1", Ok(json!({"a[0]": 1}))),
            ("a=1,a.b=2", Err(())),
            ("a.b=2,a=1", Ok(json!({"a": 1}))),
            ("a=null,a.b=1", Err(())),
            ("a=null,a[0]=1", Err(())),
            ("a[0]=null,a[0][0]=1", Ok(json!({"a": [[1]]}))),
            ("a[0]=x,a[0][0]=1", Err(())),
            ("a[1]=1,a[0].b=1", Ok(json!({"a": [{"b": 1}, 1]}))),
            ("a[0]=1,a[0].b=1", Ok(json!({"a": [{"b": 1}]}))),
            ("a[0]=1,a.b=1", Err(())),
            ("a=falſe,b=TRUE,c=NuLl,d=-007,e=+5,f=-0", Ok(json!({"a": false, "b": true, "c": null, "d": -7, "e": 5, "f": 0}))),
            ("a=1.5,b=1e3,c=0x10,d=9223372036854775807,e=9223372036854775808", Ok(json!({"a": "1.5", "b": "1e3", "c": "0x10", "d": 9223372036854775807i64, "e": "9223372036854775808"}))),
            (",", Err(())),
            ("a=1,,", Err(())),
            ("a", Err(())),
        ];
        check(SetKind::Set, cases);
    }

#[test]
    #[rustfmt::skip]
    fn string_cases() {
        check(
            SetKind::String,
            &[
                ("long_int_string=1234567890", Ok(json!({"long_int_string": "1234567890"}))),
                ("boolean=true", Ok(json!({"boolean": "true"}))),
                ("is_null=null", Ok(json!({"is_null": "null"}))),
                ("zero=0", Ok(json!({"zero": "0"}))),
                ("a={1,true}", Ok(json!({"a": ["1", "true"]}))),
                ("a=", Ok(json!({"a": ""}))),
            ],
        );
    }

#[test]
fn nesting_limit() {
    let mut key = String::new();
    for i in 1..=MAX_NESTED_NAME_LEVEL + 1 {
        key.push_str(&format!("n{i}."));
    }
    assert!(parse(SetKind::Set, &format!("{key}x=v")).is_err());
    let ok: Vec<String> = (0..=MAX_NESTED_NAME_LEVEL)
        .map(|i| format!("n{i}"))
        .collect();
    assert!(parse(SetKind::Set, &format!("{}=v", ok.join("."))).is_ok());
    // Indexes are not counted by Helm, but depth is bounded.
    let deep = format!("a{}=1", "[0]".repeat(MAX_DEPTH + 5));
    assert!(parse(SetKind::Set, &deep).unwrap_err().contains("deeper"));
    let fine = format!("a{}=1", "[0]".repeat(100));
    assert!(parse(SetKind::Set, &fine).is_ok());
}

#[test]
fn list_budget_bounds_memory() {
    let arg = format!("a{}=1", "[65536]".repeat(20));
    let err = parse(SetKind::Set, &arg).unwrap_err();
    assert!(err.contains("list entries"), "{err}");
    let n = parse(SetKind::Set, "a[65536]=1").unwrap();
    assert_eq!(n["a"].as_array().unwrap().len(), 65537);
}

#[test]
fn list_budget_is_shared_by_the_arguments_of_a_run() {
    let mut budget = ListBudget::default();
    let mut node = base();
    let full = LIST_ENTRY_BUDGET / (MAX_INDEX + 1);
    for i in 0..full {
        let arg = format!("a{i}[{MAX_INDEX}]=1");
        parse_into_within(SetKind::Set, &arg, &mut node, &mut no_files, &mut budget).unwrap();
    }
    let arg = format!("z[{MAX_INDEX}]=1");
    let err =
        parse_into_within(SetKind::Set, &arg, &mut node, &mut no_files, &mut budget).unwrap_err();
    assert!(err.contains("list entries in all"), "{err}");
    // A fresh run has its whole budget again.
    assert!(parse(SetKind::Set, &arg).is_ok());
}

#[test]
fn into_existing_values() {
    let got = parse_onto(
        SetKind::Set,
        json!({"outer": {"inner1": "overwrite", "inner2": "value2"}}),
        &["outer.inner1=value1,outer.inner3=value3,outer.inner4=4"],
    );
    assert_eq!(
        got.unwrap(),
        json!({"outer": {"inner1": "value1", "inner2": "value2", "inner3": "value3", "inner4": 4}})
    );
    let got = parse_onto(
        SetKind::Set,
        json!({}),
        &[
            "listOuter[0][0].type=listValue",
            "listOuter[0][0].status=alive",
        ],
    );
    assert_eq!(
        got.unwrap(),
        json!({"listOuter": [[{"type": "listValue", "status": "alive"}]]})
    );
    let got = parse_onto(
        SetKind::Set,
        json!({}),
        &[
            "listOuter[0][0].type=listValue",
            "listOuter[1][0].status=alive",
        ],
    );
    assert_eq!(
        got.unwrap(),
        json!({"listOuter": [[{"type": "listValue"}], [{"status": "alive"}]]})
    );
    let got = parse_onto(
        SetKind::Set,
        json!({"listOuter": [[[{"exited": "old"}]]]}),
        &[
            "listOuter[0][1][0].type=listValue",
            "listOuter[0][0][1].status=alive",
        ],
    );
    assert_eq!(
        got.unwrap(),
        json!({"listOuter": [[[{"exited": "old"}, {"status": "alive"}], [{"type": "listValue"}]]]})
    );
    let got = parse_onto(
        SetKind::String,
        json!({"outer": {"inner1": "overwrite", "inner2": "value2"}}),
        &["outer.inner1=1,outer.inner3=3"],
    );
    assert_eq!(
        got.unwrap(),
        json!({"outer": {"inner1": "1", "inner2": "value2", "inner3": "3"}})
    );
    // Type conflicts with what the files hold.
    for (start, arg) in [
        (json!({"a": null}), "a.b=1"),
        (json!({"a": null}), "a[0]=1"),
        (json!({"a": [1]}), "a[0][0]=1"),
        (json!({"a": {"k": 1}}), "a[0]=1"),
        (json!({"a": {"k": 1}}), "a.k.j=1"),
        (json!({"a": "s"}), "a[0]=1"),
    ] {
        assert!(
            parse_onto(SetKind::Set, start.clone(), &[arg]).is_err(),
            "{start} {arg}"
        );
    }
    // A list element that is not a map becomes one.
    assert_eq!(
        parse_onto(SetKind::Set, json!({"l": [1, 2]}), &["l[0].b=x"]).unwrap(),
        json!({"l": [{"b": "x"}, 2]})
    );
    // An empty key is never stored, but an existing list under it changes in place.
    assert_eq!(
        parse_onto(SetKind::Set, json!({"": [1, 2]}), &["[1]=x"]).unwrap(),
        json!({"": [1, "x"]})
    );
    assert_eq!(
        parse_onto(SetKind::Set, json!({"": [1]}), &["[3]=x"]).unwrap(),
        json!({"": [1]})
    );
    assert_eq!(
        parse_onto(SetKind::Set, json!({"": {"a": 1}}), &[".b=2"]).unwrap(),
        json!({"": {"a": 1, "b": 2}})
    );
}

#[test]
fn json_cases() {
    let got = parse_onto(
        SetKind::Json,
        json!({"outer": {"inner1": "overwrite", "inner2": "value2"}}),
        &[r#"outer.inner1="1",outer.inner3=3,outer.inner4=true,outer.inner5="true""#],
    );
    assert_eq!(
        got.unwrap(),
        json!({"outer": {"inner1": "1", "inner2": "value2", "inner3": 3, "inner4": true, "inner5": "true"}})
    );
    let got = parse_onto(
        SetKind::Json,
        json!({"outer": {"inner1": {"x": "overwrite"}, "inner2": "value2", "inner3": ["overwrite"]}}),
        &[
            r#"outer.inner1={"a":"1","b":2,"c":[1,2,3]},outer.inner3=["new value 1","new value 2"],outer.inner4={"aa":"1","bb":2,"cc":[1,2,3]},outer.inner5=[{"A":"1","B":2,"C":[1,2,3]}]"#,
        ],
    );
    assert_eq!(
        got.unwrap(),
        json!({"outer": {
                "inner1": {"a": "1", "b": 2, "c": [1, 2, 3]},
                "inner2": "value2",
                "inner3": ["new value 1", "new value 2"],
                "inner4": {"aa": "1", "bb": 2, "cc": [1, 2, 3]},
                "inner5": [{"A": "1", "B": 2, "C": [1, 2, 3]}]}})
    );
    let got = parse_onto(
        SetKind::Json,
        json!({"outer": {"inner1": {"x": "overwrite"}, "inner2": "value2"}}),
        &[r#"outer.inner1=,outer.inner3={"aa":"1","bb":2,"cc":[1,2,3]},outer.inner3.cc[1]=null"#],
    );
    assert_eq!(
        got.unwrap(),
        json!({"outer": {"inner1": null, "inner2": "value2", "inner3": {"aa": "1", "bb": 2, "cc": [1, null, 3]}}})
    );
    check(
        SetKind::Json,
        &[
            (
                r#"outer.inner1={"a":"1","b":2,"c":[1,2,3]},outer.inner5={"A":"1"}]"#,
                Err(()),
            ),
            ("a=1b=2", Ok(json!({"a": 1, "b": 2}))),
            ("a=01", Err(())),
            ("a=[1,2] ,b=2", Ok(json!({"a": [1, 2], "b": 2}))),
            ("a= ", Ok(json!({"a": null}))),
            ("a=tru", Err(())),
            ("a=truex=1", Ok(json!({"a": true, "x": 1}))),
            ("a=x", Err(())),
            ("a=1e400", Err(())),
            ("a=1.", Err(())),
            ("a=-", Err(())),
            (r#"a="x\qy""#, Err(())),
            (r#"a="\ud83d\ude00\ud800""#, Ok(json!({"a": "😀\u{fffd}"}))),
            (r#"a={"k":1,"k":2}"#, Ok(json!({"a": {"k": 2}}))),
            ("a=[1,]", Err(())),
            (r#"{"a":{"b":1}}"#, Ok(json!({"a": {"b": 1}}))),
            (r#"  {"a":1}  "#, Ok(json!({"a": 1}))),
            (r#"{"a":1} x"#, Err(())),
            ("{", Err(())),
        ],
    );
    // Exact integers (Helm would round them to float64).
    let mut n = base();
    run(SetKind::Json, "a=12345678901234567890123", &mut n).unwrap();
    assert_eq!(
        n.get(&["a"]).unwrap().value,
        Value::BigInt("12345678901234567890123".into())
    );
    // A whole object merges as a values file does.
    let got = parse_onto(
        SetKind::Json,
        json!({"m": {"x": 1, "y": 2}, "s": 1}),
        &[r#"{"m":{"y":null,"z":3},"s":{"t":1}}"#],
    );
    assert_eq!(
        got.unwrap(),
        json!({"m": {"x": 1, "y": null, "z": 3}, "s": {"t": 1}})
    );
    // Depth is bounded.
    let deep = format!("a={}{}", "[".repeat(300), "]".repeat(300));
    assert!(parse(SetKind::Json, &deep).unwrap_err().contains("nesting"));
}

#[test]
    #[rustfmt::skip]
    fn file_cases() {
        check(
            SetKind::File,
            &[
                ("name1=path1", Ok(json!({"name1": "value1"}))),
                ("a=path1,b=path2", Ok(json!({"a": "value1", "b": "v2\n"}))),
                ("a={path1,path2}", Ok(json!({"a": ["value1", "v2\n"]}))),
                ("a[1]=path1", Ok(json!({"a": [null, "value1"]}))),
                ("a=", Ok(json!({"a": ""}))),
                ("a=missing", Err(())),
                ("a=,b=path1", Err(())),
            ],
        );
    }

#[test]
    #[rustfmt::skip]
    fn literal_cases_from_helm() {
        check(
            SetKind::Literal,
            &[
                ("name", Err(())),
                ("name=", Ok(json!({"name": ""}))),
                ("name=value", Ok(json!({"name": "value"}))),
                ("long_int_string=1234567890", Ok(json!({"long_int_string": "1234567890"}))),
                ("boolean=true", Ok(json!({"boolean": "true"}))),
                ("is_null=null", Ok(json!({"is_null": "null"}))),
                ("zero=0", Ok(json!({"zero": "0"}))),
                ("name1=null,name2=value2", Ok(json!({"name1": "null,name2=value2"}))),
                ("name1=value,,,tail", Ok(json!({"name1": "value,,,tail"}))),
                ("leading_zeros=00009", Ok(json!({"leading_zeros": "00009"}))),
                ("name=one two three", Ok(json!({"name": "one two three"}))),
                ("outer.inner=value", Ok(json!({"outer": {"inner": "value"}}))),
                ("outer.middle.inner=value", Ok(json!({"outer": {"middle": {"inner": "value"}}}))),
                ("name1.name2", Err(())),
                ("name1.name2=", Ok(json!({"name1": {"name2": ""}}))),
                ("name1.=name2", Err(())),
                ("name1.,name2", Err(())),
                ("name1={value1,value2}", Ok(json!({"name1": "{value1,value2}"}))),
                ("list[0]=foo", Ok(json!({"list": ["foo"]}))),
                ("list[0].foo=bar", Ok(json!({"list": [{"foo": "bar"}]}))),
                ("list[-30].hello=world", Err(())),
                ("list[3]=bar", Ok(json!({"list": [null, null, null, "bar"]}))),
                ("illegal[0]name.foo=bar", Err(())),
                ("noval[0]", Ok(json!({"noval": []}))),
                ("noval[0]=", Ok(json!({"noval": [""]}))),
                ("nested[0][0]=1", Ok(json!({"nested": [["1"]]}))),
                ("nested[1][1]=1", Ok(json!({"nested": [null, [null, "1"]]}))),
                ("name1.name2[0].foo=bar", Ok(json!({"name1": {"name2": [{"foo": "bar"}]}}))),
                ("name1.name2[1].foo=bar", Ok(json!({"name1": {"name2": [null, {"foo": "bar"}]}}))),
                ("]={}].", Ok(json!({"]": "{}]."}))),
                ("name=val,val", Ok(json!({"name": "val,val"}))),
                ("name=val.val", Ok(json!({"name": "val.val"}))),
                ("name=val=val", Ok(json!({"name": "val=val"}))),
                ("name=(value)", Ok(json!({"name": "(value)"}))),
                (r"name=val\val", Ok(json!({"name": r"val\val"}))),
                (r"name=val\\\val", Ok(json!({"name": r"val\\\val"}))),
                (r"name={val,.?*v\0a!l)some", Ok(json!({"name": r"{val,.?*v\0a!l)some"}))),
                ("a,b.c=x,y=z", Ok(json!({"a,b": {"c": "x,y=z"}}))),
                (r"a\=b=c", Ok(json!({r"a\": "b=c"}))),
            ],
        );
        let got = parse_onto(
            SetKind::Literal,
            json!({"outer": {"inner1": "overwrite", "inner2": "value2"}}),
            &["outer.inner1=value1,outer.inner3=value3,outer.inner4=4"],
        );
        assert_eq!(
            got.unwrap(),
            json!({"outer": {"inner1": "value1,outer.inner3=value3,outer.inner4=4", "inner2": "value2"}})
        );
    }

#[test]
fn origins_name_the_key_as_written() {
    let mut n = base();
    run(SetKind::Set, r"a.b[1].c=1,x\.y=2", &mut n).unwrap();
    let origin = |path: &[&str]| n.get(path).unwrap().origin.clone();
    assert_eq!(origin(&["a"]), flag_origin(SetKind::Set, "a".into()));
    assert_eq!(origin(&["a", "b"]), flag_origin(SetKind::Set, "a.b".into()));
    // A key after the first `=` may be part of a value: named after the first key.
    assert_eq!(
        origin(&["x.y"]),
        flag_origin(SetKind::Set, "a.b[1].c,…".into())
    );
    let Value::Seq(items) = &n.get(&["a", "b"]).unwrap().value else {
        panic!()
    };
    assert_eq!(items[0].origin, flag_origin(SetKind::Set, "a.b[1]".into()));
    assert_eq!(
        items[1].as_map().unwrap()["c"].origin,
        flag_origin(SetKind::Set, "a.b[1].c".into())
    );
    let mut n = base();
    run(SetKind::Json, r#"{"llm":{"k":[1]}}"#, &mut n).unwrap();
    assert_eq!(
        n.get(&["llm", "k"]).unwrap().origin,
        flag_origin(SetKind::Json, "llm.k".into())
    );
}

#[test]
fn errors_never_show_values() {
    let secret = "sk-SECRET";
    for (kind, arg) in [
        (SetKind::Json, format!("a={secret}")),
        (SetKind::Json, format!("a=\"{secret}")),
        (SetKind::Json, format!("{{\"a\":\"{secret}\"")),
        (SetKind::Json, format!("{{\"a\":{secret}}}")),
        (SetKind::Set, format!("a={{{secret}")),
        (SetKind::Set, format!("a={secret},b")),
        (SetKind::Set, format!("a={secret},a.b=1")),
        (SetKind::File, format!("a={secret}")),
        (SetKind::Set, format!("a[0]={secret},a[-1]=1")),
    ] {
        let err = parse(kind, &arg).unwrap_err();
        assert!(!err.contains("SECRET"), "{kind:?} {arg}: {err}");
        assert!(!key_part(&arg).contains("SECRET"), "{arg}");
    }
    assert_eq!(key_part("a.b=c=d"), "a.b");
    assert_eq!(key_part(r"a\=b=c"), r"a\");
    assert_eq!(key_part(r#" {"a":"x=y"}"#), "{...}");
    assert_eq!(key_part("novalue"), "novalue");
}

#[test]
fn error_messages_name_the_key() {
    let err = parse(SetKind::Set, "llm.gcp").unwrap_err();
    assert!(err.contains("`llm.gcp`"), "{err}");
    let err = parse(SetKind::Set, "a[70000]=y").unwrap_err();
    assert!(err.contains("`a[70000]`") && err.contains("65536"), "{err}");
    // A key after the first `=` may be part of a value: named after the first key.
    let err = parse(SetKind::Set, "a[1]=x,a[70000]=y").unwrap_err();
    assert!(err.contains("`a[1],…`") && err.contains("65536"), "{err}");
    let err = parse(SetKind::File, "llm.gcp.serviceAccountKey=/nope").unwrap_err();
    assert!(
        err.contains("`llm.gcp.serviceAccountKey`") && !err.contains("/nope"),
        "{err}"
    );
}
