//! The argument of `-f`/`--values`, read as Helm reads it: Helm declares the flag a string
//! slice, and pflag splits each argument as one record of comma-separated values
//! (`encoding/csv`, default settings): `-f a.yaml,b.yaml` names two files, `"x,y.yaml"` one
//! file with a comma in its name (`""` is a quote inside quotes). The `--set` family are string
//! arrays in Helm and are never split here.

/// The file names of one `-f` argument, or why pflag would refuse it.
///
/// As pflag with Go's `encoding/csv`: an empty argument names no file; fields are not trimmed
/// (`a, b` names `a` and ` b`); an empty field is the empty name (which then does not open);
/// a `"` may only open a field and close it before a comma or the end; blank lines before the
/// record are skipped and lines after it are ignored (only the first record is read); a line
/// break inside quotes is part of the name.
pub fn split_values_arg(arg: &str) -> Result<Vec<String>, String> {
    if arg.is_empty() {
        return Ok(Vec::new());
    }
    // Go's csv normalises "\r\n" to "\n" at the end of every line it reads.
    let text = arg.replace("\r\n", "\n");
    let mut rest = text.trim_start_matches('\n');
    if rest.is_empty() {
        return Err("names no file: the argument holds only line breaks (Helm: EOF)".to_string());
    }
    let mut fields = Vec::new();
    loop {
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut field = String::new();
            let mut chars = quoted.char_indices();
            let after = loop {
                match chars.next() {
                    None => return Err(quote_error("a quoted file name is not closed")),
                    Some((i, '"')) => {
                        if quoted[i + 1..].starts_with('"') {
                            field.push('"');
                            chars.next();
                        } else {
                            break &quoted[i + 1..];
                        }
                    }
                    Some((_, c)) => field.push(c),
                }
            };
            fields.push(field);
            match after.chars().next() {
                None | Some('\n') => return Ok(fields),
                Some(',') => rest = &after[1..],
                Some(_) => {
                    return Err(quote_error(
                        "a quoted file name is followed by text other than a comma",
                    ))
                }
            }
        } else {
            let end = rest.find([',', '\n']).unwrap_or(rest.len());
            let field = &rest[..end];
            if field.contains('"') {
                return Err(quote_error(
                    "a `\"` inside a file name that does not start with one",
                ));
            }
            fields.push(field.to_string());
            if rest[end..].starts_with(',') {
                rest = &rest[end + 1..];
            } else {
                return Ok(fields);
            }
        }
    }
}

fn quote_error(what: &str) -> String {
    format!(
        "{what}: -f/--values takes comma-separated file names, quoted as CSV when a name holds \
         a comma or a quote (\"my,file.yaml\", \"say \"\"hi\"\".yaml\"), as Helm reads it"
    )
}

#[cfg(test)]
mod tests {
    use super::split_values_arg as split;

    fn ok(arg: &str) -> Vec<String> {
        split(arg).unwrap_or_else(|e| panic!("{arg:?}: {e}"))
    }

    #[test]
    fn splits_like_pflag_string_slices() {
        assert_eq!(ok("a.yaml"), ["a.yaml"]);
        assert_eq!(ok("a.yaml,b.yaml"), ["a.yaml", "b.yaml"]);
        assert_eq!(ok("\"c,d.yaml\",a.yaml"), ["c,d.yaml", "a.yaml"]);
        assert_eq!(ok("\"q\"\"x.yaml\""), ["q\"x.yaml"]);
        assert_eq!(ok("a.yaml, b.yaml"), ["a.yaml", " b.yaml"]);
        assert_eq!(ok("a.yaml,"), ["a.yaml", ""]);
        assert_eq!(ok(","), ["", ""]);
        assert_eq!(ok(""), Vec::<String>::new());
        assert_eq!(ok("-"), ["-"]);
        assert_eq!(ok("a.yaml\nb.yaml"), ["a.yaml"]);
        assert_eq!(ok("\n\r\na.yaml"), ["a.yaml"]);
        assert_eq!(ok("\"a.y\naml\""), ["a.y\naml"]);
        assert_eq!(ok("\"a.y\r\naml\",b"), ["a.y\naml", "b"]);
        assert_eq!(ok("a\rb"), ["a\rb"]);
        assert_eq!(ok("é,😀"), ["é", "😀"]);
    }

    #[test]
    fn refuses_what_pflag_refuses() {
        for arg in [
            "q\"x.yaml",
            "\"a.yaml",
            "\"a.yaml\"b",
            "\"a.yaml\" ,b",
            " \"a.yaml\"",
            "\n",
        ] {
            assert!(split(arg).is_err(), "{arg:?}");
        }
    }
}
