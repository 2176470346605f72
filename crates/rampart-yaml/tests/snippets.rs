//! Tricky snippets: the fast path must agree with serde_yaml wherever it accepts, and must
//! accept the forms Rampart's templates and canonical output use.

mod support;

use support::agrees;

/// Forms the fast path must handle (and get exactly right).
const ACCEPTED: &[&str] = &[
    "",
    "\n\n",
    "# only a comment\n",
    "a: 1\n",
    "a: 1",
    "---\na: 1\n",
    "# header\n---\na: 1\n---\nb: 2\n",
    "a: 1\n---\n",
    "---\n---\n",
    "--- # c\n",
    "---\n# only comments\n---\na: 1\n",
    "a: 1\n...\n",
    "a: 1\n...\n---\nb: 1\n",
    "---\n...\n",
    "a:\n  b:\n    c: d\n  e: f\ng: h\n",
    "  a: 1\n  b: 2\n",
    "a:\n    b: 1\nc:\n - x\n - y\n",
    "a:\n- b\n- c\nd: e\n",
    "a:\n  - b\n  - c\n",
    "- a\n- b\n",
    "- a: 1\n  b: 2\n- c: 3\n",
    "-   a: 1\n    b: [x]\n",
    "- - a\n  - b\n- c\n",
    "- - - a\n- b\n",
    "-\n  a: 1\n-\n- x\n",
    "- a:\n  - x\n  b: 1\n",
    "- a:\n- x\n",
    "a:\nb:\n",
    "a: \nb:   # c\n",
    "a: # comment\n  b: 1\n",
    "a: 1 # comment\nb: 'x' # c\nc: \"y\"   # c\nd: [] # c\ne: {} #c\n",
    "a: 1\n    # deeper comment\n# shallow comment\nb: 2\n",
    "a: x#y\nb: 'x # y'\nc: \"x # y\"\nd: x # y\n",
    "a: 'b: c'\nb: \"c: d\"\nc: a:b\nd: http://x:80/p\n",
    "app.kubernetes.io/name: web\nrampart.dev/allowed-registries: a/,b/\n\"quoted key\": 1\n'single key': 2\n",
    "key : value\n\"k\" : v\n",
    "a: 'it''s'\nb: ''\nc: \"\"\nd: \" \"\n",
    "a: \"\\\"\\\\\\/\\n\\t\\r\\b\\f\\u00e9\\u2028\"\n",
    "a: \"\\0\\a\\v\\e\\ \\N\\_\\L\\P\\x41\\U0001F600\"\n",
    "a: \"é 😀\"\nb: é\nc: 😀 x\n",
    "a: {}\nb: []\nc: {x: 1, \"y\": [a, 'b', \"c\"], z: {}}\nd: [[], {}, [1, -2]]\n",
    "k: {\"a\":\"b\",\"c\":1,\"d\":[true,null,1.5],\"e\":{\"f\":\"g\\n\"}}\n",
    "k: {path: /healthz, port: 8080}\nm: [{key: a.b/c, operator: DoesNotExist}]\n",
    "k: [a:b, c]\nl: {a: http://x}\n",
    "k: |\n  line one\n  line: two # not a comment\n\n  three\n",
    "k: |-\n  a\n  b\nn: 1\n",
    "k: |+\n  a\n\n\nn: 1\n",
    "k: |\n  a\n\n\n",
    "k: |+\n  a\n\n",
    "k: |\n  a",
    "k: |-\n  a\n",
    "k: | # comment\n    indented\n      more\n    back\n",
    "- |\n  a\n- |-\n  b\n- x\n",
    "- k: |\n    a\n  n: 1\n",
    "k:\n- |\n  a\n  b\nn: 1\n",
    "k: |\n  a\n  \tb\n    \tc\n",
    "k: |\n  # not a comment\n  ---\n",
    "b: --\nc: ---\nd: -x\ne: a-\n",
    "1: a\ntrue: b\nnull: c\n~: d\n0x1: e\n1.5: f\n",
    "<<: x\n",
    "a: [1, \"2\", '3', x y, -4]\n",
    "k: a b   c\n",
    "k: x,y\nl: a[0]\nm: a{b}\nn: '@x'\no: x@y\np: x`y\nq: x%y\nr: x!y\ns: x&y\nt: x*y\nu: x|y\nv: x>y\nw: x?y\n",
    "a: b\n\n\n\nc: d\n",
];

/// Forms the fast path may decline; where it accepts, it must agree with serde_yaml.
const EITHER: &[&str] = &[
    "a: &x 1\nb: *x\n",
    "a: !!str 1\n",
    "? a\n: b\n",
    "%YAML 1.1\n---\na: 1\n",
    "a: >\n  folded\n  text\n",
    "a: |2\n   x\n",
    "a: plain\n  continued\n",
    "a: \"double\n  continued\"\n",
    "a: 'single\n  continued'\n",
    "a: 1\na: 2\n",
    "a:\n\tb: 1\n",
    "a:\tb\n",
    "a: x\t# c\n",
    "a: 1\r\nb: 2\r\n",
    "\u{feff}a: 1\n",
    "a: \"\\'\"\n",
    "a: \"\\ud800\"\n",
    "a: \"\\x4\"\n",
    "a: [a, b,]\n",
    "a: {x: 1,}\n",
    "a: {x}\n",
    "a: {x: }\n",
    "a: {x:1}\n",
    "a: [x: 1]\n",
    "a: [x\n  , y]\n",
    "a: [x] y\n",
    "a: 'x' y\n",
    "a: b: c\n",
    "a: b:\n",
    "a:b\n",
    "\"a\":b\n",
    "- a\n b\n",
    "- a\n  b\n",
    "a: 1\n b: 2\n",
    "a:\n    b: 1\n  c: 2\n",
    "- a\nb: 1\n",
    "a: 1\n- b\n",
    "a: 1\n...\nb: 2\n",
    "...\n",
    "a: 1\n...\n...\n",
    "--- a\n",
    "--- |\n  x\n",
    "---x: 1\n",
    "a: |\n   \n  x\n",
    "a: |\n\n  x\n",
    "a: |\n  x\n    \n",
    "a: |\n  x\n  \n",
    "a: |\n    x\n \ty\n",
    "k: |\n  a\n\tb\n",
    "a: |\n  x\n b: 1\n",
    "a: |\nb: 1\n",
    "- |\nx\n",
    "a: |x\n  y\n",
    "a: |#c\n  y\n",
    "a: \"x\"#c\n",
    "a: x #c\n  b: 1\n",
    "- -\n",
    "- - \n  - b\n",
    "-\n",
    "- \n-\n",
    "-a: 1\n",
    ": a\n",
    "a: -\n",
    "a: - b\n",
    "x\n",
    "[1, 2]\n",
    "{\"a\": 1}\n",
    "a: [x, {b: [c, {d: e}]}]\n",
    "a: @x\n",
    "a: `x\n",
    "a: %x\n",
    "a: ,x\n",
    "a: ]x\n",
    "a: |-\n  x\n\n\nb: 1\n",
    "a: |+\n  x\n  ",
    "a: \u{a0}x\u{a0}\n",
];

#[test]
fn accepted_snippets_agree_with_serde_yaml() {
    let declined: Vec<_> = ACCEPTED.iter().filter(|t| !agrees(t)).collect();
    assert!(declined.is_empty(), "declined: {declined:#?}");
}

#[test]
fn other_snippets_agree_where_accepted() {
    let accepted: Vec<_> = EITHER.iter().filter(|t| agrees(t)).collect();
    println!("{} of {} accepted: {accepted:#?}", accepted.len(), EITHER.len());
}

/// Scalars in every position: value, sequence item, flow item, flow value, key.
#[test]
fn scalar_resolution_agrees_in_every_position() {
    let common = [
        "x", "apps/v1", "true", "false", "null", "~", "0", "1", "-1", "42", "10001",
        "9223372036854775807", "9223372036854775808", "18446744073709551615",
        "-9223372036854775808", "-0", "1.5", "-0.25", "10.0", "01.5", "500m", "128Mi",
        "10.0.0.0/16", "2024-01-01", "12:30", "1.2.3", "v1.34", "True",
        "FALSE", "Null", "NULL", "yes", "No", "on", "OFF", "y", "n", "a b", "-x", "x-",
    ];
    let rare = [
        "+1", "00", "007", "-007", "0x1F", "0o17", "0b101", "-0x1F", "+0x1", "1e3", "1E3",
        "-1e-3", ".5", "5.", ".inf", "-.inf", "+.INF", ".NaN", ".nan", "Infinity", "-inf",
        "NaN", "inf", "nan", "1_000", "18446744073709551616", "-9223372036854775809",
        "99999999999999999999999", "1e400", "0.", "+", "-", ".", "+.5", "0x", "0xg", "tRUE",
    ];
    for (scalars, must_accept) in [(&common[..], true), (&rare[..], false)] {
        for s in scalars {
            for text in [
                format!("k: {s}\n"),
                format!("- {s}\n"),
                format!("k: [{s}]\n"),
                format!("k: {{a: {s}}}\n"),
                format!("{s}: v\n"),
                format!("k: '{s}'\n"),
                format!("k: \"{s}\"\n"),
            ] {
                let accepted = agrees(&text);
                if must_accept {
                    assert!(accepted, "declined {text:?}");
                }
            }
        }
    }
}
