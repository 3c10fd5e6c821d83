//! Conformance with Helm v4: for every case, the effective values of our values layer must be
//! the `.Values` that the real `helm template` hands a chart whose `values.yaml` is our
//! built-in defaults, for the same `-f` files and `--set*` flags; and where Helm refuses the
//! input, so must we.
//!
//! The helm binary: `$HELM`, else `.tools/bin/helm` (`scripts/fetch-tools.sh` installs it),
//! else `helm` on the PATH. Without one the tests are reported as ignored (and fail under
//! `CI=true`).
//!
//! A case is one line of [`CASES`]: a name, whether Helm accepts it, optional standard input,
//! and the command-line arguments. `@@NAME` in an argument is the path of
//! `tests/helm_cases/NAME`. Where Helm loses data (numbers it rounds to float64) we keep it:
//! those inputs are in [`deviations_where_helm_loses_data`] and `tests/helm_cases/DEVIATIONS.md`.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use recif_secrets::values::{self, Node, SetArg, SetKind, Sources, Value};
use serde_json::Value as J;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// Helm renders; our values must be equal to its `.Values`.
    Same,
    /// Helm refuses the input; so must we.
    Refused,
}
use Expect::{Refused, Same};

struct Case {
    name: &'static str,
    expect: Expect,
    stdin: &'static str,
    args: &'static [&'static str],
}

const fn ok(name: &'static str, args: &'static [&'static str]) -> Case {
    Case {
        name,
        expect: Same,
        stdin: "",
        args,
    }
}

const fn bad(name: &'static str, args: &'static [&'static str]) -> Case {
    Case {
        name,
        expect: Refused,
        stdin: "",
        args,
    }
}

const fn ok_stdin(name: &'static str, stdin: &'static str, args: &'static [&'static str]) -> Case {
    Case {
        name,
        expect: Same,
        stdin,
        args,
    }
}

#[rustfmt::skip]
const CASES: &[Case] = &[
    // ---- defaults alone and values files ---------------------------------------------------
    ok("defaults only", &[]),
    ok("file: a typical values-secret.yaml", &["-f", "@@guide.yaml"]),
    ok("file: YAML 1.1 scalars (yes/no/on/off/y/n, 0755, 0x1F, 1_000, floats, ~)", &["-f", "@@yaml11_scalars.yaml"]),
    ok("file: non-string keys become strings", &["-f", "@@keys.yaml"]),
    ok("file: duplicate keys, the last wins", &["-f", "@@dup_keys.yaml"]),
    ok("file: anchors and aliases", &["-f", "@@anchors.yaml"]),
    ok("file: merge keys <<", &["-f", "@@merge_keys.yaml"]),
    ok("file: several documents merge in order", &["-f", "@@multi_doc.yaml"]),
    ok("file: only a comment", &["-f", "@@empty.yaml"]),
    ok("file: a null document", &["-f", "@@null_doc.yaml"]),
    ok("file: null deletes defaults, stays elsewhere", &["-f", "@@null_deletes.yaml"]),
    ok("file: block scalars", &["-f", "@@blocks.yaml"]),
    ok("file: tags", &["-f", "@@tags.yaml"]),
    ok("file: flow / JSON style", &["-f", "@@flow_and_json.yaml"]),
    ok("file: comments, quotes and spaces", &["-f", "@@comments_and_spaces.yaml"]),
    ok("file: lists and nested lists", &["-f", "@@lists.yaml"]),
    ok("file: float keys as Go formats them", &["-f", "@@float_keys.yaml"]),
    ok("file: content after ... is ignored until ---", &["-f", "@@doc_end_marker.yaml"]),
    ok("file: separators with comments, blanks and CRLF", &["-f", "@@separators.yaml"]),
    ok("file: more plain scalars (08, +0x1F, 1.e5, 0X1f, 1e-400...)", &["-f", "@@scalars_more.yaml"]),
    ok("file: flow collections, ? keys, empty tagged values", &["-f", "@@flow_more.yaml"]),
    ok("file: merge keys with an empty list", &["-f", "@@merge_edge.yaml"]),
    ok("file: a UTF-8 byte order mark", &["-f", "@@bom.yaml"]),
    ok("file: CRLF line ends", &["-f", "@@crlf.yaml"]),
    // Block scalars, flow indentation, tabs and line breaks as go-yaml reads them (issue 11).
    ok("file: an empty | block scalar at the end", &["-f", "@@block_empty_end_literal.yaml"]),
    ok("file: an empty > block scalar, no line break after it", &["-f", "@@block_empty_end_folded.yaml"]),
    ok("file: an empty |+ block scalar then blank lines", &["-f", "@@block_empty_end_keep.yaml"]),
    ok("file: an empty |2 block scalar then a line of spaces", &["-f", "@@block_empty_end_indent.yaml"]),
    ok("file: empty block scalars at the end of a list", &["-f", "@@block_empty_end_list.yaml"]),
    ok("file: empty block scalars before ---", &["-f", "@@block_empty_before_separator.yaml"]),
    ok("file: empty block scalars before the next key", &["-f", "@@block_empty_middle.yaml"]),
    ok("file: flow collections and quoted scalars at the parent's indentation", &["-f", "@@flow_parent_indent.yaml"]),
    ok("file: a tab after : separates the value", &["-f", "@@tab_separator.yaml"]),
    ok("file: NEL, LS and PS line breaks", &["-f", "@@unicode_breaks.yaml"]),
    ok("file: CRLF copy of prometheus-nats-exporter's values.yaml", &["-f", "@@corpus_crlf_nats_exporter.yaml"]),
    ok("file: BOM copy of prometheus-nats-exporter's values.yaml", &["-f", "@@corpus_bom_nats_exporter.yaml"]),
    ok("file: CRLF copy of an old rabbitmq values-production.yaml (tabs after :)", &["-f", "@@corpus_crlf_rabbitmq_production.yaml"]),
    ok("file: BOM copy of an old rabbitmq values-production.yaml (tabs after :)", &["-f", "@@corpus_bom_rabbitmq_production.yaml"]),
    ok("files: CRLF and BOM copies merged", &["-f", "@@corpus_bom_nats_exporter.yaml", "-f", "@@corpus_crlf_rabbitmq_production.yaml"]),
    // Issue 23: classes found on real files nobody here chose.
    ok("file: a | block scalar ends the file, no final line break", &["-f", "@@eof_block_literal.yaml"]),
    ok("file: a > block scalar ends the file, no final line break", &["-f", "@@eof_block_folded.yaml"]),
    ok("file: a |+ block scalar ends the file, no final line break", &["-f", "@@eof_block_keep.yaml"]),
    ok("file: a |- block scalar ends the file, no final line break", &["-f", "@@eof_block_strip.yaml"]),
    ok("file: a - | list item ends the file, no final line break", &["-f", "@@eof_block_list.yaml"]),
    ok("file: CRLF, a block scalar ends the file, no final line break", &["-f", "@@eof_block_crlf.yaml"]),
    ok("file: a block scalar ends the file with a lone CR", &["-f", "@@eof_block_cr.yaml"]),
    ok("file: a block scalar ends the second document and the file", &["-f", "@@eof_block_second_doc.yaml"]),
    ok("file: a |2 block scalar then spaces end the file", &["-f", "@@eof_block_spaces.yaml"]),
    ok("file: .inf and .nan as keys, quoted, replaced; 1e400", &["-f", "@@inf_accepted.yaml"]),
    bad("file: .inf", &["-f", "@@bad_inf.yaml"]),
    bad("file: -.Inf deep in a map", &["-f", "@@bad_neg_inf.yaml"]),
    bad("file: .NaN in a list", &["-f", "@@bad_nan.yaml"]),
    bad("file: !!float .inf", &["-f", "@@bad_inf_tagged.yaml"]),
    bad("file: +.inf in the second document", &["-f", "@@bad_inf_second_doc.yaml"]),
    bad("file: .inf in an anchor no alias uses", &["-f", "@@bad_inf_anchor.yaml"]),
    ok("file: !!binary bytes that are not UTF-8 become U+FFFD", &["-f", "@@binary_not_utf8.yaml"]),
    bad("file: !!binary with a space inside", &["-f", "@@bad_binary_space.yaml"]),
    bad("file: !!binary without its padding", &["-f", "@@bad_binary_padding.yaml"]),
    ok("file: explicitly tagged merge keys (!!merge <<) merge", &["-f", "@@merge_tagged.yaml"]),
    ok("file: standard tags go-yaml leaves unresolved give the text", &["-f", "@@tags_unresolved.yaml"]),
    ok("file: !!timestamp dates and times stay their text", &["-f", "@@timestamps.yaml"]),
    bad("file: !!timestamp with T and no zone", &["-f", "@@bad_timestamp_no_zone.yaml"]),
    bad("file: !!timestamp on a day the month lacks", &["-f", "@@bad_timestamp_day.yaml"]),
    bad("file: !!timestamp on a number", &["-f", "@@bad_timestamp_number.yaml"]),
    bad("file: CRLF copy of an old alertmanager-bot values.yaml (a tab-indented line)", &["-f", "@@corpus_crlf_alertmanager_bot.yaml"]),
    bad("file: BOM copy of an old alertmanager-bot values.yaml (a tab-indented line)", &["-f", "@@corpus_bom_alertmanager_bot.yaml"]),
    bad("file: a comment indented with a tab", &["-f", "@@bad_tab_comment.yaml"]),
    bad("file: a line of only a tab", &["-f", "@@bad_tab_blank_line.yaml"]),
    bad("file: a tab after a list dash", &["-f", "@@bad_tab_after_dash.yaml"]),
    bad("file: a tab-indented line in a block scalar", &["-f", "@@bad_tab_in_block_scalar.yaml"]),
    bad("file: NEL in a plain scalar", &["-f", "@@bad_nel_plain.yaml"]),
    bad("file: NEL in a block scalar", &["-f", "@@bad_nel_block.yaml"]),
    bad("file: LS in a plain scalar, then a line at column 0", &["-f", "@@bad_ls_plain.yaml"]),
    bad("file: LS in a block scalar, then a line at column 0", &["-f", "@@bad_ls_block.yaml"]),
    ok("set-file: a file with NEL, LS and PS is kept as it is", &["--set-file", "a=@@unicode_breaks.yaml"]),
    ok("files: two files merge deeply, lists replace", &["-f", "@@base.yaml", "-f", "@@override.yaml"]),
    ok("files: order matters", &["-f", "@@override.yaml", "-f", "@@base.yaml"]),
    ok("files: a later null replaces an earlier map", &["-f", "@@base.yaml", "-f", "@@override_null_map.yaml"]),
    ok("files: a later scalar replaces an earlier map", &["-f", "@@base.yaml", "-f", "@@override_scalar_over_map.yaml"]),
    ok("files: --values is -f", &["--values", "@@base.yaml", "-f", "@@guide.yaml"]),
    ok("files: the same file twice", &["-f", "@@base.yaml", "-f", "@@base.yaml"]),
    // --values is a string slice (pflag splits it as one CSV record); the --set family are
    // string arrays, never split (their commas are the --set grammar's).
    ok("files: -f a,b names two files", &["-f", "@@base.yaml,@@override.yaml"]),
    ok("files: -f a,b then -f c", &["-f", "@@override.yaml,@@base.yaml", "-f", "@@guide.yaml"]),
    ok("files: --values=a,b", &["--values", "@@base.yaml,@@override_null_map.yaml"]),
    ok("files: CSV quotes around names", &["-f", "\"@@base.yaml\",@@override.yaml"]),
    ok("files: a quoted name with a comma", &["-f", "\"@@comma,name.yaml\",@@base.yaml"]),
    ok("files: \"\" is a quote inside quotes", &["-f", "\"@@base.yaml\",\"@@override.yaml\""]),
    ok("files: an empty -f names no file", &["-f", "", "-f", "@@base.yaml"]),
    ok("files: only the first line of -f is read", &["-f", "@@base.yaml\n@@override.yaml"]),
    ok("files: blank lines before the names are skipped", &["-f", "\n\r\n@@base.yaml,@@override.yaml"]),
    ok_stdin("files: -f -,a", "a: from-stdin\n", &["-f", "-,@@base.yaml"]),
    bad("files: a name with a comma, unquoted", &["-f", "@@comma,name.yaml"]),
    bad("files: a trailing comma names an empty file", &["-f", "@@base.yaml,"]),
    bad("files: two commas", &["-f", "@@base.yaml,,@@override.yaml"]),
    bad("files: a bare quote", &["-f", "@@base.yaml,x\"y.yaml"]),
    bad("files: an unclosed quote", &["-f", "\"@@base.yaml"]),
    bad("files: text after a closing quote", &["-f", "\"@@base.yaml\" ,@@override.yaml"]),
    bad("files: a quote after a leading space", &["-f", " \"@@base.yaml\""]),
    bad("files: only a line break", &["-f", "\n"]),
    ok("string arrays: --set keeps quotes", &["--set", "a=\"x\",b=\"y\""]),
    bad("string arrays: --set is not CSV, a quoted comma still splits", &["--set", "a=\"x\",b=\"y,z\""]),
    ok("string arrays: --set-string keeps quotes", &["--set-string", "a=\"1\""]),
    ok("string arrays: --set-json with commas and quotes", &["--set-json", "a=[\"x\",\"y\"],b={\"c\":\"d,e\"}"]),
    ok("string arrays: --set-literal keeps everything", &["--set-literal", "a=\"x\",\"y\"\n"]),
    ok_stdin("files: -f - reads standard input", "llm:\n  openaiApiKey: sk-from-stdin\nextra: [1, 2]\n", &["-f", "-"]),
    ok_stdin("files: -f - between files", "secrets:\n  commonLabels:\n    tier: stdin\n", &["-f", "@@base.yaml", "-f", "-", "-f", "@@override.yaml"]),
    ok_stdin("files: -f - with several documents", "a: 1\n---\nb: 2\n", &["-f", "-"]),
    bad("file: top-level list", &["-f", "@@bad_top_list.yaml"]),
    bad("file: top-level scalar", &["-f", "@@bad_top_scalar.yaml"]),
    bad("file: content after ---", &["-f", "@@bad_separator_content.yaml"]),
    bad("file: alias to an anchor of another document", &["-f", "@@bad_alias_across_docs.yaml"]),
    bad("file: unknown alias", &["-f", "@@bad_unknown_alias.yaml"]),
    bad("file: tab indentation", &["-f", "@@bad_tab.yaml"]),
    bad("file: unclosed flow list", &["-f", "@@bad_unclosed.yaml"]),
    bad("file: null key", &["-f", "@@bad_null_key.yaml"]),
    bad("file: complex key", &["-f", "@@bad_complex_key.yaml"]),
    bad("file: unterminated quote", &["-f", "@@bad_quote.yaml"]),
    bad("file: bad indentation", &["-f", "@@bad_indent.yaml"]),
    bad("file: !!int on a word", &["-f", "@@bad_tagged_int.yaml"]),
    bad("file: merge key on a scalar", &["-f", "@@bad_merge_scalar.yaml"]),
    bad("file: '- ' after a key", &["-f", "@@bad_dash_value.yaml"]),
    bad("file: content on a --- line", &["-f", "@@bad_separator_flow.yaml"]),
    bad("file: a ---- line", &["-f", "@@bad_four_dashes.yaml"]),
    bad("file: a %YAML directive", &["-f", "@@bad_directive.yaml"]),
    bad("file: a uint64 key", &["-f", "@@bad_uint64_key.yaml"]),
    bad("file: a uint64 hex key", &["-f", "@@bad_uint64_hex_key.yaml"]),
    bad("file: ... before any content", &["-f", "@@bad_leading_end_marker.yaml"]),
    bad("file: merge key on null", &["-f", "@@bad_merge_null.yaml"]),
    bad("file: a folder", &["-f", "@@"]),
    bad("file: missing", &["-f", "@@no_such_file.yaml"]),
    // ---- --set: paths and typing -------------------------------------------------------------
    ok("set: a default key", &["--set", "secrets.provider=external"]),
    ok("set: several assignments", &["--set", "a=1,b=2,c.d=x,c.e=y"]),
    ok("set: trailing comma", &["--set", "a=1,b=2,"]),
    ok("set: integers, booleans, null in any case", &["--set", "i=42,neg=-7,zero=0,plus=+5,mz=-0,lz=-007,b1=true,b2=FALSE,b3=True,n1=NULL,n2=Null"]),
    ok("set: what stays a string", &["--set", "lead=007,f=1.5,e=1e3,hex=0x1F,y=yes,on=on,u=1_000,sp= 1,neg=-,d=2001-12-14"]),
    ok("set: integers at and past the 64-bit limits", &["--set", "max=9223372036854775807,min=-9223372036854775808,over=9223372036854775808,under=-9223372036854775809,huge=123456789012345678901234567890"]),
    ok("set: the long s folds to s (Go EqualFold)", &["--set", "a=falſe,b=fAlSe"]),
    ok("set: empty values", &["--set", "a=,b.c=,d=x"]),
    ok("set: spaces are kept", &["--set", "a=one two , b=x"]),
    ok("set: unicode", &["--set", "é.ü=ö,emoji=😀"]),
    ok("set: later flag wins", &["--set", "a=1", "--set", "a=2"]),
    ok("set: later assignment in one flag wins", &["--set", "a=1,a=2"]),
    ok("set: a map over a scalar and back", &["--set", "a.b=1,a=2"]),
    ok("set: null deletes a default", &["--set", "secrets.external.keys.gcpServiceAccount=null"]),
    ok("set: null deletes a default map", &["--set", "llm.gcp=null"]),
    ok("set: null on an unknown key stays", &["--set", "extra=null"]),
    ok("set: into a default map", &["--set", "secrets.commonLabels.team=a,secrets.commonAnnotations.x\\.io/y=1"]),
    ok("set: a scalar over a default map", &["--set", "secrets.commonLabels=x"]),
    ok("set: over a file value", &["-f", "@@guide.yaml", "--set", "llm.openaiApiKey=sk-set,namespaces.teams={a}"]),
    ok("set: empty argument", &["--set", ""]),
    // ---- --set: escapes ----------------------------------------------------------------------
    ok("escape: \\, in a value", &["--set", "a=x\\,y,b=1"]),
    ok("escape: \\. in a key", &["--set", "a\\.b=1,c\\.d.e=2,commonAnnotations.argocd\\.argoproj\\.io/sync-wave=-1"]),
    ok("escape: \\= in key and value", &["--set", "a\\=b=c\\=d"]),
    ok("escape: \\\\ in key and value", &["--set", "a=x\\\\y,b\\\\c=1"]),
    ok("escape: any other character", &["--set", "a=\\x\\y\\{,b\\[0\\]=1"]),
    ok("escape: a trailing backslash is dropped", &["--set", "a=b\\"]),
    ok("escape: in a list", &["--set", "a={x\\,y,z\\}}"]),
    ok("escape: in an index", &["--set", "a[\\1]=x"]),
    // ---- --set: lists ------------------------------------------------------------------------
    ok("list: {a,b} with typed items", &["--set", "a={x,y,1,true,null,}"]),
    ok("list: {} is one empty string", &["--set", "a={}"]),
    ok("list: then another key without a comma", &["--set", "a={x}y=1"]),
    ok("list: under a key, then more", &["--set", "a.b={1,2},c=3"]),
    ok("list: replaces a default list", &["--set", "namespaces.teams={team-a,team-b}"]),
    ok("index: a[0], a[1]", &["--set", "a[0]=x,a[1]=y"]),
    ok("index: sparse, padded with null", &["--set", "a[3]=x"]),
    ok("index: out of order", &["--set", "a[2]=x,a[0]=y"]),
    ok("index: nested a[1][2]", &["--set", "a[1][2]=x"]),
    ok("index: lists of maps", &["--set", "a[0].b=1,a[0].c=2,a[1].b=3"]),
    ok("index: lists of maps, reverse order", &["--set", "a[1].b=x,a[0].b=y"]),
    ok("index: lists of lists of maps across flags", &["--set", "l[0][0].t=x", "--set", "l[0][0].s=y", "--set", "l[1][0].u=z"]),
    ok("index: the service accounts of the Workload Identity setup", &["--set", "workloadIdentity.serviceAccounts[0].name=recif-api,workloadIdentity.serviceAccounts[0].namespace=recif-system,workloadIdentity.serviceAccounts[1].name=agent"]),
    ok("index: into a default list (user values only)", &["--set", "namespaces.teams[1]=b"]),
    ok("index: the largest index Helm allows", &["--set", "a[65536]=1"]),
    ok("index: +1 and -0", &["--set", "a[+1]=1,b[-0]=2"]),
    ok("index: a value list at an index", &["--set", "a[1]={x,y}"]),
    ok("index: null at an index, then a list there", &["--set", "a[0]=null,a[0][0]=1"]),
    ok("index: a scalar element becomes a map", &["--set", "a[0]=1,a[0].b=1"]),
    ok("index: into a file's list", &["-f", "@@lists.yaml", "--set", "l[1]=x,l[5]=y,maps[1].value=2,nested[0][1]=9"]),
    ok("index: a file's scalar element becomes a map", &["-f", "@@lists.yaml", "--set", "l[0].k=v"]),
    ok("quirk: a[0] without value makes an empty list", &["--set", "a[0]"]),
    ok("quirk: an empty key is ignored", &["--set", "=b,[0]=1"]),
    ok("quirk: a trailing dot is ignored", &["--set", "a."]),
    ok("quirk: an unfinished index is ignored", &["--set", "a[0"]),
    ok("quirk: a[0]. and a[0][1 leave an empty list", &["--set", "a[0].", "--set", "b[0][1"]),
    ok("quirk: an index past the limit without a value", &["--set", "a[70000]"]),
    ok("quirk: a.=b after a.x", &["--set", "a.x=1,a.=b"]),
    ok("quirk: 30 nested keys", &["--set", "k1.k2.k3.k4.k5.k6.k7.k8.k9.k10.k11.k12.k13.k14.k15.k16.k17.k18.k19.k20.k21.k22.k23.k24.k25.k26.k27.k28.k29.k30.k31=deep"]),
    bad("set: a key without value", &["--set", "a"]),
    bad("set: a nested key without value", &["--set", "a.b"]),
    bad("set: a key then a comma", &["--set", "a,b=1"]),
    bad("set: empty assignments", &["--set", "a=1,,b=2"]),
    bad("set: only a comma", &["--set", ","]),
    bad("set: a.=b", &["--set", "a.=b"]),
    bad("set: a.,b", &["--set", "a.,b"]),
    bad("set: unterminated list", &["--set", "a={x,y"]),
    bad("set: text after a list", &["--set", "a={x}}"]),
    bad("set: index not a number", &["--set", "a[x]=1"]),
    bad("set: empty index", &["--set", "a[]=1"]),
    bad("set: index with a space", &["--set", "a[ 1]=1"]),
    bad("set: negative index", &["--set", "a[-1]=1"]),
    bad("set: index over 65536", &["--set", "a[65537]=1"]),
    bad("set: index out of range", &["--set", "a[99999999999999999999]=1"]),
    bad("set: text after an index", &["--set", "a[0]x=1"]),
    bad("set: comma after an index", &["--set", "a[0],b=1"]),
    bad("set: 31 nested keys", &["--set", "k1.k2.k3.k4.k5.k6.k7.k8.k9.k10.k11.k12.k13.k14.k15.k16.k17.k18.k19.k20.k21.k22.k23.k24.k25.k26.k27.k28.k29.k30.k31.k32=deep"]),
    bad("set: a key below a scalar", &["--set", "a=1,a.b=2"]),
    bad("set: a key below null", &["--set", "a=null,a.b=1"]),
    bad("set: an index on null", &["--set", "a=null,a[0]=1"]),
    bad("set: an index on a map", &["--set", "a.b=1,a[0]=1"]),
    bad("set: an index on a scalar element", &["--set", "a[0]=x,a[0][0]=1"]),
    bad("set: a map key on a list", &["--set", "a[0]=1,a.b=1"]),
    bad("set: a key below a file's string", &["-f", "@@lists.yaml", "--set", "s.x=1"]),
    bad("set: a key below a file's null", &["-f", "@@null_deletes.yaml", "--set", "extra.x=1"]),
    bad("set: an index on a file's map", &["-f", "@@lists.yaml", "--set", "m[0]=1"]),
    bad("set: an index on a file's number", &["-f", "@@lists.yaml", "--set", "nested[0][0][0]=1"]),
    // ---- --set-string ------------------------------------------------------------------------
    ok("set-string: everything is a string", &["--set-string", "a=1,b=true,c=null,d=,e={1,2},f[1]=007,g=1.5"]),
    ok("set-string: escapes", &["--set-string", "a=x\\,y\\=z,b\\.c=1"]),
    ok("set-string: a number for a string key", &["--set-string", "llm.gcp.project=12345"]),
    // ---- --set-file --------------------------------------------------------------------------
    ok("set-file: the content becomes the string", &["--set-file", "llm.gcp.serviceAccountKey=@@sa.json"]),
    ok("set-file: several files", &["--set-file", "a=@@plain.txt,b=@@no_newline.txt,c=@@empty.txt"]),
    ok("set-file: a list of files", &["--set-file", "a={@@plain.txt,@@sa.json}"]),
    ok("set-file: at an index", &["--set-file", "a[1]=@@plain.txt"]),
    ok("set-file: an empty path at the end is an empty string", &["--set-file", "a="]),
    ok_stdin("set-file: - reads standard input", "from stdin\n", &["--set-file", "a=-"]),
    ok("set-file: a byte order mark is kept", &["--set-file", "a=@@bom.yaml"]),
    ok_stdin("set-file: a byte order mark on standard input is kept", "\u{feff}x\n", &["--set-file", "a=-"]),
    ok_stdin("files: -f - drops a byte order mark", "\u{feff}a: 1\n", &["-f", "-"]),
    bad("set-file: missing file", &["--set-file", "a=@@no_such_file.txt"]),
    bad("set-file: a folder", &["--set-file", "a=@@"]),
    bad("set-file: an empty path before a comma", &["--set-file", "a=,b=@@plain.txt"]),
    // ---- --set-json --------------------------------------------------------------------------
    ok("set-json: scalars", &["--set-json", "a=1,b=\"x\",c=true,d=null,e=1.5,f=-0.25,g=1e3,h=-0"]),
    ok("set-json: an object", &["--set-json", "a={\"b\":{\"c\":[1,{\"d\":2}]}}"]),
    ok("set-json: a list", &["--set-json", "a=[1,\"x\",null,[],{}]"]),
    ok("set-json: empty is null", &["--set-json", "a=,b= ,c="]),
    ok("set-json: at an index", &["--set-json", "a[1]={\"x\":1},a[0]=[2]"]),
    ok("set-json: spaces around values", &["--set-json", "a= [1, 2] ,b=  {\"k\" : \"v\"}"]),
    ok("set-json: string escapes", &["--set-json", "a=\"\\u00e9\\ud83d\\ude00\\n\\t\\\"\\\\\\/\\b\\f\""]),
    ok("set-json: an unpaired surrogate becomes U+FFFD", &["--set-json", "a=\"\\ud800x\\udc00\""]),
    ok("set-json: HTML characters", &["--set-json", "a=\"<&>\""]),
    ok("set-json: values run into the next key", &["--set-json", "a=1b=2", "--set-json", "c=truex=1", "--set-json", "d=\"s\"e=[1]f={}"]),
    ok("set-json: duplicate keys, the last wins", &["--set-json", "a={\"k\":1,\"k\":2}"]),
    ok("set-json: a whole object merges like a file", &["--set-json", "{\"secrets\":{\"provider\":\"external\",\"commonLabels\":{\"a\":\"b\"}},\"x\":[1]}"]),
    ok("set-json: a whole object with spaces around", &["--set-json", "  {\"a\": {\"b\": 1}}  "]),
    ok("set-json: a whole object's null deletes a default", &["--set-json", "{\"llm\":{\"gcp\":null}}"]),
    ok("set-json: a whole object merges into files", &["-f", "@@base.yaml", "--set-json", "{\"custom\":{\"a\":null,\"z\":3}}"]),
    ok("set-json: a whole object's scalar over a default map", &["--set-json", "{\"secrets\":{\"commonLabels\":1}}"]),
    ok("set-json: escaped key", &["--set-json", "a\\.b=1"]),
    ok("set-json: unicode blanks before a value, then nothing", &["--set-json", "a=\u{a0},b=\u{2003}2"]),
    ok("set-json: braces in a key", &["--set-json", "b.{a}=1"]),
    bad("set-json: a cut literal", &["--set-json", "a=tru"]),
    bad("set-json: a number ending in a dot", &["--set-json", "a=1."]),
    bad("set-json: a lone minus", &["--set-json", "a=-"]),
    bad("set-json: a short \\u escape", &["--set-json", "a=\"\\u12\""]),
    bad("set-json: not JSON", &["--set-json", "a=x"]),
    bad("set-json: unfinished object", &["--set-json", "a={\"b\":"]),
    bad("set-json: a leading zero", &["--set-json", "a=01"]),
    bad("set-json: trailing comma in a list", &["--set-json", "a=[1,]"]),
    bad("set-json: a number out of range", &["--set-json", "a=1e400"]),
    bad("set-json: bad escape", &["--set-json", "a=\"\\q\""]),
    bad("set-json: a control character in a string", &["--set-json", "a=\"x\ty\""]),
    bad("set-json: text after a whole object", &["--set-json", "{\"a\":1} x"]),
    bad("set-json: a whole object that is not", &["--set-json", "{a:1}"]),
    bad("set-json: a key without value", &["--set-json", "a"]),
    // ---- --set-literal -----------------------------------------------------------------------
    ok("set-literal: everything after = is the string", &["--set-literal", "a=x,y=z\\,{1,2}.\\"]),
    ok("set-literal: commas are part of the key", &["--set-literal", "a,b.c[1]=x.y"]),
    ok("set-literal: no escapes in the key", &["--set-literal", "a\\=b=c"]),
    ok("set-literal: empty", &["--set-literal", "a="]),
    ok("set-literal: typed-looking values stay strings", &["--set-literal", "a=null", "--set-literal", "b=1", "--set-literal", "c=true"]),
    ok("set-literal: nested index", &["--set-literal", "l[0][1]=1"]),
    ok("set-literal: ] in a key", &["--set-literal", "]={}]."]),
    ok("set-literal: a JSON service-account key", &["--set-literal", "llm.gcp.serviceAccountKey={\"type\":\"service_account\",\"a\":\"b,c=d\"}"]),
    bad("set-literal: a key without value", &["--set-literal", "a"]),
    bad("set-literal: a.=b", &["--set-literal", "a.=b"]),
    bad("set-literal: a negative index", &["--set-literal", "a[-1]=x"]),
    // ---- order between kinds: json, set, string, file, literal -------------------------------
    ok("order: literal > file > string > set > json", &["--set-literal", "a=lit", "--set-file", "a=@@plain.txt", "--set-string", "a=str", "--set", "a=set", "--set-json", "a=1"]),
    ok("order: file > string > set > json", &["--set-file", "a=@@plain.txt", "--set-string", "a=str", "--set", "a=set", "--set-json", "a=1"]),
    ok("order: string after set, whatever the command line", &["--set-string", "a=s", "--set", "a.b=1"]),
    ok("order: set builds on set-json", &["--set", "a.y=2", "--set-json", "a={\"x\":1}"]),
    ok("order: flags after files", &["--set", "secrets.provider=none", "-f", "@@base.yaml"]),
    ok("order: each kind in command-line order", &["--set-string", "a=1", "--set", "b=1", "--set-string", "a=2", "--set", "b=2"]),
    bad("order: set-string below a --set scalar", &["--set-string", "a.b=1", "--set", "a=s"]),
    bad("order: set below a --set-json scalar", &["--set", "a.b=1", "--set-json", "a=1"]),
];

// ---- the harness ------------------------------------------------------------------------------

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/helm_cases")
}

/// Replaces every `@@NAME` with the path of `tests/helm_cases/NAME`.
fn expand(arg: &str) -> String {
    let dir = cases_dir();
    let mut out = String::new();
    let mut rest = arg;
    while let Some(i) = rest.find("@@") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || "._-".contains(c)))
            .unwrap_or(after.len());
        out.push_str(dir.join(&after[..end]).to_str().expect("UTF-8 path"));
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

fn expanded_args(case: &Case) -> Vec<String> {
    case.args.iter().map(|a| expand(a)).collect()
}

/// The sources of these arguments, or why the command line is refused (an `-f` argument
/// that is not one CSV record).
fn sources(args: &[String]) -> Result<Sources, String> {
    let mut sources = Sources::default();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it
            .next()
            .unwrap_or_else(|| panic!("{flag} needs a value"))
            .clone();
        let kind = match flag.as_str() {
            "-f" | "--values" => {
                sources.files.extend(values::split_values_arg(&value)?);
                continue;
            }
            "--set" => SetKind::Set,
            "--set-string" => SetKind::String,
            "--set-file" => SetKind::File,
            "--set-json" => SetKind::Json,
            "--set-literal" => SetKind::Literal,
            other => panic!("unknown flag {other}"),
        };
        sources.sets.push(SetArg { kind, arg: value });
    }
    Ok(sources)
}

struct Helm {
    bin: PathBuf,
    chart: tempfile::TempDir,
}

impl Helm {
    /// The helm v4 binary (`$HELM`, `.tools/bin/helm` or the PATH; a test that uses it
    /// carries `cfg_attr(no_helm, ignore)`), with a probe chart.
    fn find() -> Helm {
        let bin = common::tool("HELM", "helm");
        let version = Command::new(&bin).args(["version", "--short"]).output();
        let version = match version {
            Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_string(),
            _ => panic!("{} does not run: run scripts/fetch-tools.sh", bin.display()),
        };
        assert!(
            version.starts_with("v4."),
            "{} is helm {version}, not v4: run scripts/fetch-tools.sh, or set HELM",
            bin.display()
        );
        let chart = tempfile::tempdir().expect("temp dir");
        let dir = chart.path();
        std::fs::create_dir_all(dir.join("chart/templates")).unwrap();
        std::fs::write(
            dir.join("chart/Chart.yaml"),
            "apiVersion: v2\nname: probe\nversion: 0.1.0\n",
        )
        .unwrap();
        std::fs::write(dir.join("chart/values.yaml"), values::DEFAULTS_YAML).unwrap();
        std::fs::write(
            dir.join("chart/templates/values.yaml"),
            "{{ toJson .Values }}\n",
        )
        .unwrap();
        Helm { bin, chart }
    }

    /// `helm template` with these arguments: the chart's `.Values`, or Helm's error.
    fn values(&self, args: &[String], stdin: &str) -> Result<J, String> {
        let home = self.chart.path().join("home");
        let mut child = Command::new(&self.bin)
            .arg("template")
            .arg("probe")
            .arg(self.chart.path().join("chart"))
            .args(args)
            .env("HELM_CACHE_HOME", home.join("cache"))
            .env("HELM_CONFIG_HOME", home.join("config"))
            .env("HELM_DATA_HOME", home.join("data"))
            // A third less CPU per call: one thread, no garbage collection (it exits at once).
            .env("GOMAXPROCS", "1")
            .env("GOGC", "off")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run helm");
        {
            use std::io::Write;
            let mut input = child.stdin.take().expect("stdin");
            // Helm may exit without reading it: a broken pipe is fine.
            let _ = input.write_all(stdin.as_bytes());
        }
        let out = child.wait_with_output().expect("helm output");
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
        }
        let line = stdout
            .lines()
            .find(|l| l.starts_with('{'))
            .unwrap_or_else(|| panic!("no JSON in helm's output:\n{stdout}"));
        Ok(serde_json::from_str(line).expect("helm printed JSON"))
    }
}

fn ours(args: &[String], stdin: &str) -> Result<Node, String> {
    let mut input = stdin.as_bytes();
    values::effective(&sources(args)?, &mut input).map_err(|d| {
        d.errors()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    })
}

/// Equal as values: numbers compare exactly when both are integers, as float64 otherwise
/// (Helm reads every YAML and JSON number as float64).
fn same(a: &J, b: &J) -> bool {
    match (a, b) {
        (J::Number(x), J::Number(y)) => {
            let ix = x.as_i64().map(i128::from).or(x.as_u64().map(i128::from));
            let iy = y.as_i64().map(i128::from).or(y.as_u64().map(i128::from));
            match (ix, iy) {
                (Some(p), Some(q)) => p == q,
                _ => x.as_f64() == y.as_f64(),
            }
        }
        (J::Array(x), J::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (J::Object(x), J::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// Where two values first differ, for the report.
fn first_difference(a: &J, b: &J, path: &str) -> String {
    match (a, b) {
        (J::Object(x), J::Object(y)) => {
            for k in x.keys().chain(y.keys()) {
                match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) if same(p, q) => {}
                    (Some(p), Some(q)) => return first_difference(p, q, &format!("{path}.{k}")),
                    (p, q) => return format!("{path}.{k}: helm {p:?}, ours {q:?}"),
                }
            }
            format!("{path}: ?")
        }
        (J::Array(x), J::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                if !same(p, q) {
                    return first_difference(p, q, &format!("{path}[{i}]"));
                }
            }
            format!("{path}: ?")
        }
        _ => {
            let show = |v: &J| {
                let s = v.to_string();
                if s.len() > 200 {
                    format!("{}…", &s[..200])
                } else {
                    s
                }
            };
            format!("{path}: helm {}, ours {}", show(a), show(b))
        }
    }
}

fn check_case(helm: &Helm, case: &Case) -> Result<(), String> {
    let args = expanded_args(case);
    let theirs = helm.values(&args, case.stdin);
    let mine = ours(&args, case.stdin);
    match (case.expect, &theirs) {
        (Same, Err(e)) => {
            return Err(format!(
                "case data: helm was expected to accept it but says: {e}"
            ))
        }
        (Refused, Ok(_)) => {
            return Err("case data: helm was expected to refuse it but accepts it".to_string())
        }
        _ => {}
    }
    match (theirs, mine) {
        (Ok(h), Ok(o)) => {
            let o = o.to_json();
            if same(&h, &o) {
                Ok(())
            } else {
                Err(format!("values differ: {}", first_difference(&h, &o, "")))
            }
        }
        (Err(_), Err(_)) => Ok(()),
        (Ok(_), Err(e)) => Err(format!("helm accepts it, we refuse it: {e}")),
        (Err(e), Ok(_)) => Err(format!("helm refuses it ({e}), we accept it")),
    }
}

fn parallel<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map_or(4, |n| n.get())
        .clamp(2, 8);
    let mut results: Vec<(usize, R)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        let Some(item) = items.get(i) else { break };
                        done.push((i, f(item)));
                    }
                    done
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("worker"))
            .collect()
    });
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

#[test]
fn cases_are_well_formed() {
    let mut names = std::collections::HashSet::new();
    for case in CASES {
        assert!(
            names.insert(case.name),
            "duplicate case name {:?}",
            case.name
        );
        let args = expanded_args(case);
        assert!(
            args.len().is_multiple_of(2),
            "{}: every flag takes a value",
            case.name
        );
        let _ = sources(&args);
    }
    assert!(CASES.len() >= 80, "{} cases", CASES.len());
}

/// Our refusals of the issue-23 classes say where: the file, line and column of the value
/// (Helm names the file only), or what is wrong with an `-f` list.
#[test]
fn refusals_point_at_the_input() {
    for (file, at, words) in [
        (
            "bad_inf.yaml",
            ":3:4: ",
            "`.inf` is not a value Helm can hold",
        ),
        ("bad_neg_inf.yaml", ":4:8: ", "`-.inf`"),
        ("bad_nan.yaml", ":2:8: ", "`.nan`"),
        ("bad_inf_tagged.yaml", ":2:4: ", "`.inf`"),
        ("bad_inf_second_doc.yaml", ":4:4: ", "`.inf`"),
        (
            "bad_binary_space.yaml",
            ":2:4: ",
            "!!binary value is not valid base64",
        ),
    ] {
        let args = vec!["-f".to_string(), expand(&format!("@@{file}"))];
        let err = ours(&args, "").expect_err(file);
        assert!(err.contains(&format!("{file}{at}")), "{file}: {err}");
        assert!(err.contains(words), "{file}: {err}");
    }
    for (arg, words) in [
        ("a,b\"c", "a `\"` inside a file name"),
        ("\"a", "quoted file name is not closed"),
        ("\"a\"b", "followed by text other than a comma"),
        ("\n", "names no file"),
    ] {
        let err = ours(&["-f".to_string(), arg.to_string()], "").expect_err(arg);
        assert!(err.contains(words), "{arg:?}: {err}");
    }
}

#[test]
#[cfg_attr(no_helm, ignore = "needs helm: run scripts/fetch-tools.sh")]
fn values_match_helm() {
    let helm = Helm::find();
    let start = Instant::now();
    let results = parallel(CASES, |case| check_case(&helm, case));
    let failures: Vec<String> = CASES
        .iter()
        .zip(&results)
        .filter_map(|(case, r)| {
            r.as_ref()
                .err()
                .map(|e| format!("- {} {:?}\n    {e}", case.name, case.args))
        })
        .collect();
    eprintln!(
        "helm conformance: {} cases in {:.1?}",
        CASES.len(),
        start.elapsed()
    );
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from helm:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

/// Where Helm loses data we keep it: every number Helm reads from a file or from --set-json is
/// a float64, so integers past 2^53 are rounded. These are listed in DEVIATIONS.md.
#[test]
#[cfg_attr(no_helm, ignore = "needs helm: run scripts/fetch-tools.sh")]
fn deviations_where_helm_loses_data() {
    let helm = Helm::find();
    struct Deviation {
        args: &'static [&'static str],
        key: &'static str,
        /// What Helm's toJson prints for the key.
        helm: &'static str,
        ours: Value,
    }
    let big = |s: &str| Value::BigInt(s.to_string());
    let deviations = [
        Deviation {
            args: &["-f", "@@big_numbers.yaml"],
            key: "above_2_53",
            helm: "9007199254740992",
            ours: Value::Int(9007199254740993),
        },
        Deviation {
            args: &["-f", "@@big_numbers.yaml"],
            key: "i64_max",
            helm: "9223372036854776000",
            ours: Value::Int(i64::MAX),
        },
        Deviation {
            args: &["-f", "@@big_numbers.yaml"],
            key: "i64_min",
            helm: "-9223372036854776000",
            ours: Value::Int(i64::MIN),
        },
        Deviation {
            args: &["-f", "@@big_numbers.yaml"],
            key: "u64_max",
            helm: "18446744073709552000",
            ours: big("18446744073709551615"),
        },
        Deviation {
            args: &["-f", "@@big_numbers.yaml"],
            key: "huge",
            helm: "1.2345678901234568e+29",
            ours: big("123456789012345678901234567890"),
        },
        Deviation {
            args: &["--set-json", "n=9007199254740993"],
            key: "n",
            helm: "9007199254740992",
            ours: Value::Int(9007199254740993),
        },
        Deviation {
            args: &["--set-json", "n=12345678901234567890"],
            key: "n",
            helm: "12345678901234567000",
            ours: big("12345678901234567890"),
        },
        Deviation {
            args: &["--set-json", "{\"n\":9007199254740993}"],
            key: "n",
            helm: "9007199254740992",
            ours: Value::Int(9007199254740993),
        },
    ];
    for d in &deviations {
        let args: Vec<String> = d.args.iter().map(|a| expand(a)).collect();
        let theirs = helm.values(&args, "").expect("helm accepts it");
        let expected: J = serde_json::from_str(d.helm).unwrap();
        assert!(
            same(&theirs[d.key], &expected),
            "helm's output for {:?} changed: {}",
            d.args,
            theirs[d.key]
        );
        let mine = ours(&args, "").expect("we accept it");
        assert_eq!(
            mine.get(&[d.key]).expect("key present").value,
            d.ours,
            "{:?}",
            d.args
        );
    }
    // `--set` does not lose data: a number past int64 stays a string, in Helm and here.
    let args = vec!["--set".to_string(), "n=9223372036854775808".to_string()];
    assert_eq!(
        helm.values(&args, "").unwrap()["n"],
        J::from("9223372036854775808")
    );
    assert_eq!(
        ours(&args, "").unwrap().get(&["n"]).unwrap().value,
        Value::Str("9223372036854775808".into())
    );
}

// ---- the public corpus --------------------------------------------------------------------------

/// `testdata/helm-values`: 1,321 real values files from public charts, read as they are (see
/// its README).
fn corpus_dir() -> PathBuf {
    common::root().join("testdata/helm-values")
}

/// One comparison: a name for the report and `helm template` arguments.
struct Job {
    name: String,
    args: Vec<String>,
}

/// Pairs of a chart's `values.yaml` with each of its `ci/*` and `values-*` files (the file
/// names are the repository paths with `/` as `__`).
fn corpus_pairs(names: &[String]) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for base in names {
        let Some(chart) = base.strip_suffix("__values.yaml") else {
            continue;
        };
        let prefix = format!("{chart}__");
        for other in names {
            let Some(rest) = other.strip_prefix(&prefix) else {
                continue;
            };
            let ci = rest.strip_prefix("ci__").is_some_and(|f| !f.contains("__"));
            let sibling = rest.starts_with("values") && !rest.contains("__") && other != base;
            if ci || sibling {
                pairs.push((base.clone(), other.clone()));
            }
        }
    }
    pairs
}

/// A `--set` path segment: `.`, `[`, `]`, `,`, `=`, `{`, `}` and `\` escaped.
fn set_key(key: &str) -> String {
    let mut out = String::new();
    for c in key.chars() {
        if ".[],={}\\".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Paths (as `--set` writes them) of the nodes of a values tree, in order, with their JSON.
fn set_paths(v: &J, prefix: &str, out: &mut Vec<(String, J)>) {
    match v {
        J::Object(m) => {
            for (k, child) in m {
                let path = if prefix.is_empty() {
                    set_key(k)
                } else {
                    format!("{prefix}.{}", set_key(k))
                };
                out.push((path.clone(), child.clone()));
                set_paths(child, &path, out);
            }
        }
        J::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let path = format!("{prefix}[{i}]");
                out.push((path.clone(), child.clone()));
                set_paths(child, &path, out);
            }
        }
        _ => {}
    }
}

/// `--set`-family flags on top of a real file, built from the file's own keys so that they
/// land in its maps and lists, over its scalars and nulls (which Helm refuses to go below).
fn set_jobs(file: &Path, other: &Path, seed: usize) -> Vec<Job> {
    let f = file.to_str().expect("UTF-8 path").to_string();
    let name = file.file_name().unwrap().to_string_lossy().to_string();
    let parsed = ours(&["-f".to_string(), f.clone()], "")
        .ok()
        .map(|n| n.to_json())
        .unwrap_or(J::Null);
    let mut paths = Vec::new();
    set_paths(&parsed, "", &mut paths);
    let pick = |want: &dyn Fn(&J) -> bool, nth: usize| -> Option<String> {
        let found: Vec<&String> = paths
            .iter()
            .filter(|(_, v)| want(v))
            .map(|(p, _)| p)
            .collect();
        (!found.is_empty()).then(|| found[(seed + nth) % found.len()].clone())
    };
    let scalar = |v: &J| !v.is_object() && !v.is_array() && !v.is_null();
    let leaf = pick(&scalar, 0).unwrap_or_else(|| "newKey".to_string());
    let leaf2 = pick(&scalar, 7).unwrap_or_else(|| "other".to_string());
    let null = pick(&J::is_null, 0).unwrap_or_else(|| "nothing".to_string());
    let map = pick(&J::is_object, 3).unwrap_or_else(|| "added".to_string());
    let list = pick(&J::is_array, 1).unwrap_or_else(|| "items".to_string());
    let top = parsed
        .as_object()
        .and_then(|m| m.keys().nth(seed % m.len().max(1)).cloned())
        .unwrap_or_else(|| "top".to_string());
    let mut whole = serde_json::Map::new();
    whole.insert(
        top.clone(),
        serde_json::json!({"enabled": null, "added": [1, "x", {"y": 2.5}]}),
    );
    let flags: Vec<Vec<String>> = vec![
        vec![
            "--set".into(),
            format!("{leaf}=42,{map}.added=true,{list}[0]=x"),
        ],
        vec!["--set".into(), format!("{leaf2}.below=1")],
        vec!["--set".into(), format!("{null}.below=1,{list}[2].k=v")],
        vec!["--set".into(), format!("{map}=null,{leaf}={{a,1,null}}")],
        vec![
            "--set-string".into(),
            format!("{leaf}=007,{list}[1]=true,{map}.n=null"),
        ],
        vec![
            "--set-json".into(),
            format!("{map}={{\"x\":[1,{{\"y\":null}}]}},{leaf2}=[]"),
        ],
        vec!["--set-json".into(), J::Object(whole).to_string()],
        vec![
            "--set-file".into(),
            format!("{leaf}={},{map}.file={}", other.display(), file.display()),
        ],
        vec![
            "--set".into(),
            format!("{list}[0]=a"),
            "--set-json".into(),
            format!("{list}=[{{\"b\":1}}]"),
        ],
    ];
    flags
        .into_iter()
        .enumerate()
        .map(|(i, flags)| {
            let mut args = vec!["-f".to_string(), f.clone()];
            args.extend(flags);
            Job {
                name: format!("set #{i} on {name}"),
                args,
            }
        })
        .collect()
}

/// How a corpus job came out.
enum Outcome {
    Accepted,
    Refused,
    /// Equal but for integers past 2^53 (Helm rounds them to float64; see DEVIATIONS.md).
    BigIntegers,
    Differs(String),
}

/// Equal but for integers Helm has rounded: ours exact past 2^53, Helm's the same float64.
fn same_but_rounded(helm: &J, mine: &J) -> bool {
    match (helm, mine) {
        (J::Number(h), J::Number(m)) => m.as_f64().is_some_and(|m| Some(m) == h.as_f64()),
        (J::Number(h), J::String(m)) => m
            .parse::<f64>()
            .is_ok_and(|m| m.is_finite() && Some(m) == h.as_f64() && m.abs() > 9007199254740992.0),
        (J::Array(x), J::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_but_rounded(p, q))
        }
        (J::Object(x), J::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_but_rounded(v, w)))
        }
        _ => helm == mine,
    }
}

fn corpus_job(helm: &Helm, job: &Job) -> Outcome {
    let theirs = helm.values(&job.args, "");
    let mine = ours(&job.args, "");
    match (theirs, mine) {
        (Ok(h), Ok(o)) => {
            let o = o.to_json();
            if same(&h, &o) {
                Outcome::Accepted
            } else if same_but_rounded(&h, &o) {
                Outcome::BigIntegers
            } else {
                Outcome::Differs(format!("values differ: {}", first_difference(&h, &o, "")))
            }
        }
        (Err(_), Err(_)) => Outcome::Refused,
        (Ok(_), Err(e)) => Outcome::Differs(format!("helm accepts it, we refuse it: {e}")),
        (Err(e), Ok(_)) => Outcome::Differs(format!("helm refuses it ({e}), we accept it")),
    }
}

/// Every file of the corpus alone, every chart pair, and `--set`-family flags on top of a
/// spread of them: our values are Helm's `.Values`, and we refuse what Helm refuses.
#[test]
#[cfg_attr(no_helm, ignore = "needs helm: run scripts/fetch-tools.sh")]
fn corpus_matches_helm() {
    let helm = Helm::find();
    let dir = corpus_dir();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("corpus")
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n != "README.md")
        .collect();
    names.sort();
    assert!(names.len() >= 1000, "the corpus has {} files", names.len());
    let path = |n: &str| dir.join(n).to_str().expect("UTF-8 path").to_string();
    let mut jobs: Vec<Job> = names
        .iter()
        .map(|n| Job {
            name: n.clone(),
            args: vec!["-f".into(), path(n)],
        })
        .collect();
    let singles = jobs.len();
    let pairs = corpus_pairs(&names);
    jobs.extend(pairs.iter().map(|(a, b)| Job {
        name: format!("{a} + {b}"),
        args: vec!["-f".into(), path(a), "-f".into(), path(b)],
    }));
    // Every 40th file (about 33), nine flag sets each.
    for (i, n) in names.iter().enumerate().step_by(40) {
        let other = &names[(i * 7 + 3) % names.len()];
        jobs.extend(set_jobs(&dir.join(n), &dir.join(other), i));
    }
    // Every 4th pair again as one comma-separated -f (Helm's --values is a string slice).
    jobs.extend(pairs.iter().step_by(4).map(|(a, b)| Job {
        name: format!("-f {a},{b}"),
        args: vec!["-f".into(), format!("{},{}", path(a), path(b))],
    }));
    let sets = jobs.len() - singles - pairs.len();
    // CRLF and BOM copies of every 40th file (the corpus has neither).
    let copies = tempfile::tempdir().expect("temp dir");
    for n in names.iter().step_by(40) {
        let text = std::fs::read(dir.join(n)).expect("corpus file");
        let mut crlf = Vec::with_capacity(text.len() + text.len() / 20);
        for &b in &text {
            if b == b'\n' && crlf.last() != Some(&b'\r') {
                crlf.push(b'\r');
            }
            crlf.push(b);
        }
        let mut bom = b"\xef\xbb\xbf".to_vec();
        bom.extend_from_slice(&text);
        // Saved without the final line break (a block scalar at the end keeps its "\n").
        let mut cut = text.clone();
        while cut.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            cut.pop();
        }
        for (kind, bytes) in [("crlf", crlf), ("bom", bom), ("no-final-line-break", cut)] {
            let copy = copies.path().join(format!("{kind}-{n}"));
            std::fs::write(&copy, bytes).expect("write a copy");
            jobs.push(Job {
                name: format!("{kind} copy of {n}"),
                args: vec!["-f".into(), copy.to_str().expect("UTF-8 path").to_string()],
            });
        }
    }
    let copied = jobs.len() - singles - pairs.len() - sets;
    let start = Instant::now();
    let outcomes = parallel(&jobs, |job| corpus_job(&helm, job));
    let count = |range: std::ops::Range<usize>, f: fn(&Outcome) -> bool| {
        outcomes[range].iter().filter(|o| f(o)).count()
    };
    let parts = [
        ("single files", 0..singles),
        ("chart pairs", singles..singles + pairs.len()),
        (
            "--set* on files and comma-joined pairs",
            singles + pairs.len()..jobs.len() - copied,
        ),
        (
            "CRLF, BOM and no-final-line-break copies",
            jobs.len() - copied..jobs.len(),
        ),
    ];
    for (label, range) in parts {
        eprintln!(
            "helm corpus: {label}: {} of {}: {} accepted alike, {} refused alike, {} alike but for integers past 2^53",
            range.len() - count(range.clone(), |o| matches!(o, Outcome::Differs(_))),
            range.len(),
            count(range.clone(), |o| matches!(o, Outcome::Accepted)),
            count(range.clone(), |o| matches!(o, Outcome::Refused)),
            count(range.clone(), |o| matches!(o, Outcome::BigIntegers)),
        );
    }
    eprintln!(
        "helm corpus: {} helm runs in {:.1?}",
        jobs.len(),
        start.elapsed()
    );
    let failures: Vec<String> = jobs
        .iter()
        .zip(&outcomes)
        .filter_map(|(job, o)| match o {
            Outcome::Differs(e) => Some(format!("- {}\n    {e}", job.name)),
            _ => None,
        })
        .collect();
    assert!(sets > 200, "{sets} --set cases");
    assert!(
        failures.is_empty(),
        "{} of {} corpus cases differ from helm:\n{}",
        failures.len(),
        jobs.len(),
        failures.join("\n")
    );
}
