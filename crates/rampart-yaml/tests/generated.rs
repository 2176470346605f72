//! Generated documents: random nested mappings, sequences and scalars written in varied
//! block and flow layouts, checked against serde_yaml_ng and against the generated values.

mod support;

use serde_json::{Map, Value};

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Strings with whether they may be written plain in block and in flow context.
const STRINGS: &[(&str, bool, bool)] = &[
    ("web", true, true),
    ("apps/v1", true, true),
    ("a b c", true, true),
    ("x-y_z.w", true, true),
    ("/healthz", true, true),
    ("http://x:8080/p", true, true),
    ("500m", true, true),
    ("10.0.0.0/16", true, true),
    ("v1.34", true, true),
    ("é😀", true, true),
    ("a#b", true, true),
    ("it's", true, true),
    ("yes", true, true),
    ("back\\slash", true, true),
    ("a, b", true, false),
    ("x[0]", true, false),
    ("", false, false),
    (" lead", false, false),
    ("trail ", false, false),
    ("true", false, false),
    ("null", false, false),
    ("~", false, false),
    ("123", false, false),
    ("-1", false, false),
    ("1.5", false, false),
    ("0x1F", false, false),
    ("a: b", false, false),
    ("say \"hi\"", false, false),
    ("tab\there", false, false),
    ("line\nbreak", false, false),
    ("- x", false, false),
    ("#x", false, false),
    ("{x}", false, false),
    ("*x", false, false),
    ("'q'", false, false),
];
/// Keys (any key may be written plain where its text allows).
const KEYS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "name",
    "app.kubernetes.io/name",
    "rampart.dev/x",
    "a b",
    "key: colon",
    "#hash",
    "-dash",
    "1",
    "true",
    "null",
    "~",
    "é",
    "x.y/z-w_v",
    "",
];
/// Multi-line strings that a literal block scalar can hold.
const MULTILINE: &[&str] = &[
    "a\nb\n",
    "a\nb",
    "line: one\n# two\n\n  three\n",
    "x\n\n",
    "x\n\n\n",
    "tab\there\n",
];
/// Plain scalars whose resolution the fast path may decline.
const SPICY: &[&str] = &[
    "0x1F",
    "1e3",
    "+1",
    ".inf",
    "007",
    "inf",
    "NaN",
    "1_000",
    "-.5",
    "99999999999999999999",
];

fn scalar(rng: &mut Rng) -> Value {
    match rng.below(9) {
        0 => Value::from(rng.below(100) as u64),
        1 => Value::from(-(rng.below(100_000) as i64)),
        2 => Value::from(rng.next()),
        3 => Value::from(*rng.pick(&[1.5, -0.25, 10.0, 0.1, 123_456.789])),
        4 => Value::Bool(rng.chance(50)),
        5 => Value::Null,
        6 => Value::from(*rng.pick(MULTILINE)),
        _ => Value::from(rng.pick(STRINGS).0),
    }
}

fn value(rng: &mut Rng, depth: usize) -> Value {
    match rng.below(if depth >= 4 { 1 } else { 4 }) {
        0 => scalar(rng),
        1 | 2 => mapping(rng, depth),
        _ => Value::Array((0..rng.below(4)).map(|_| value(rng, depth + 1)).collect()),
    }
}

fn mapping(rng: &mut Rng, depth: usize) -> Value {
    let mut map = Map::new();
    // A document's root mapping is never empty (the fast path declines a root `{}`).
    for _ in 0..rng.below(5) + usize::from(depth == 0) {
        map.insert(rng.pick(KEYS).to_string(), value(rng, depth + 1));
    }
    Value::Object(map)
}

/// Writes values in a layout chosen per document.
struct Writer<'r> {
    rng: &'r mut Rng,
    out: String,
    width: usize,
    indentless: bool,
    /// Set when a plain scalar the fast path may decline was written.
    spicy: bool,
    /// Set when a folded block scalar was written.
    folded: bool,
}

impl Writer<'_> {
    fn pad(&mut self, n: usize) {
        self.out.extend(std::iter::repeat_n(' ', n));
    }

    /// `value` (a non-empty collection) as block lines at `col`; the first line's
    /// indentation is already written when `inline`.
    fn block(&mut self, value: &Value, col: usize, inline: bool) {
        let entries: Vec<(Option<&String>, &Value)> = match value {
            Value::Object(map) => map.iter().map(|(k, v)| (Some(k), v)).collect(),
            Value::Array(items) => items.iter().map(|v| (None, v)).collect(),
            _ => unreachable!(),
        };
        for (i, (key, child)) in entries.into_iter().enumerate() {
            if i > 0 || !inline {
                if self.rng.chance(10) {
                    self.pad(col);
                    self.out.push_str("# comment: - [x]\n");
                }
                self.pad(col);
            }
            match key {
                Some(key) => {
                    self.string(key, true, false);
                    self.out.push(':');
                    self.child(child, col, true);
                }
                None => {
                    self.out.push('-');
                    self.child(child, col, false);
                }
            }
        }
    }

    /// What follows `key:` or `-` in a collection at `col`.
    fn child(&mut self, child: &Value, col: usize, in_map: bool) {
        let nested = matches!(child, Value::Object(m) if !m.is_empty())
            || matches!(child, Value::Array(a) if !a.is_empty());
        if nested && self.rng.chance(20) {
            self.out.push(' ');
            self.flow(child);
            self.end_line();
        } else if nested && !in_map && self.rng.chance(60) {
            let spaces = 1 + self.rng.below(3);
            self.pad(spaces);
            self.block(child, col + 1 + spaces, true);
        } else if nested {
            self.out.push('\n');
            let seq = child.is_array();
            let inner = if in_map && seq && self.indentless {
                col
            } else {
                col + self.width
            };
            self.block(child, inner, false);
        } else if let Some(text) = child.as_str().filter(|s| MULTILINE.contains(s)) {
            self.literal(text, col + self.width);
        } else {
            self.out.push(' ');
            self.scalar(child);
            self.end_line();
        }
    }

    fn end_line(&mut self) {
        if self.rng.chance(15) {
            self.out.push_str(" # trailing: comment");
        }
        self.out.push('\n');
    }

    fn literal(&mut self, text: &str, indent: usize) {
        let body = text.strip_suffix('\n').unwrap_or(text);
        let chomp = if !text.ends_with('\n') {
            "-"
        } else if body.ends_with('\n') {
            "+"
        } else {
            ""
        };
        // Folded, the text reads differently: only agreement with serde_yaml_ng is checked.
        let style = if self.rng.chance(30) {
            self.folded = true;
            '>'
        } else {
            '|'
        };
        self.out.push_str(&format!(" {style}{chomp}\n"));
        for line in body.split('\n') {
            if !line.is_empty() {
                self.pad(indent);
                self.out.push_str(line);
            }
            self.out.push('\n');
        }
    }

    fn scalar(&mut self, value: &Value) {
        match value {
            Value::String(s) => self.string(s, false, false),
            Value::Object(_) => self.out.push_str("{}"),
            Value::Array(_) => self.out.push_str("[]"),
            Value::Null if self.rng.chance(50) => {
                let word = *self.rng.pick(&["~", "null", "Null", "NULL"]);
                self.out.push_str(word);
            }
            Value::Bool(b) if self.rng.chance(50) => {
                self.out.push_str(if *b { "True" } else { "FALSE" })
            }
            other => {
                if self.rng.chance(3) {
                    let word = *self.rng.pick(SPICY);
                    self.out.push_str(word);
                    self.spicy = true;
                } else {
                    self.out.push_str(&other.to_string());
                }
            }
        }
    }

    /// A key or string value: plain where allowed (keys are taken as written), else quoted.
    fn string(&mut self, s: &str, key: bool, flow: bool) {
        let (plain_block, plain_flow) = STRINGS
            .iter()
            .find(|(t, ..)| *t == s)
            .map_or((false, false), |&(_, b, f)| (b, f));
        let key_plain = key && !s.is_empty() && !s.contains(": ") && !s.starts_with(['#', '-']);
        let plain = if flow {
            plain_flow || (key_plain && !s.contains(' '))
        } else {
            plain_block || key_plain
        };
        if plain && self.rng.chance(80) {
            self.out.push_str(s);
        } else if !s.contains(['\n', '\t']) && self.rng.chance(40) {
            self.out.push_str(&format!("'{}'", s.replace('\'', "''")));
        } else {
            self.out.push_str(&serde_json::to_string(s).unwrap());
        }
    }

    fn flow(&mut self, value: &Value) {
        if self.rng.chance(30) {
            self.out.push_str(&serde_json::to_string(value).unwrap());
            return;
        }
        match value {
            Value::Object(map) => {
                self.out.push('{');
                for (i, (k, v)) in map.iter().enumerate() {
                    self.out.push_str(if i > 0 { ", " } else { "" });
                    self.string(k, true, true);
                    self.out.push_str(": ");
                    self.flow(v);
                }
                self.out.push('}');
            }
            Value::Array(items) => {
                self.out.push('[');
                for (i, v) in items.iter().enumerate() {
                    self.out.push_str(if i > 0 { ", " } else { "" });
                    self.flow(v);
                }
                self.out.push(']');
            }
            Value::String(s) => self.string(s, false, true),
            other => self.out.push_str(&other.to_string()),
        }
    }
}

#[test]
fn generated_documents_agree_with_serde_yaml_and_the_generated_values() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut texts, mut accepted, mut spicy_texts) = (0, 0, 0);
    for _ in 0..3000 {
        let docs: Vec<Value> = (0..1 + rng.below(3))
            .map(|_| mapping(&mut rng, 0))
            .collect();
        let (width, indentless) = (2 + rng.below(3), rng.chance(50));
        let mut w = Writer {
            rng: &mut rng,
            out: String::new(),
            width,
            indentless,
            spicy: false,
            folded: false,
        };
        if w.rng.chance(30) {
            w.out.push_str("# header\n");
        }
        for (i, doc) in docs.iter().enumerate() {
            if i > 0 || w.rng.chance(50) {
                w.out.push_str("---\n");
            }
            w.block(doc, 0, false);
        }
        let (text, spicy, folded) = (w.out, w.spicy, w.folded);
        texts += 1;
        let ok = support::agrees(&text);
        accepted += usize::from(ok);
        if spicy {
            spicy_texts += 1;
            continue;
        }
        assert!(ok, "fast path declined:\n{text}");
        if !folded {
            assert_eq!(
                rampart_yaml::fast_documents(&text).unwrap(),
                docs,
                "\n{text}"
            );
        }
    }
    println!(
        "{texts} generated texts, {accepted} accepted by the fast path, {spicy_texts} with scalars it may decline"
    );
    assert!(accepted * 10 > texts * 8, "{accepted} of {texts}");
}
