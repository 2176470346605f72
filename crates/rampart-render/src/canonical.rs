//! Canonical YAML: documents parsed from the rendered text, typed, checked and emitted with
//! sorted keys in one fixed layout, so the bytes in Git depend only on the data, never on
//! template whitespace, machine or library version.
//!
//! The emitter is Rampart's own (serde_yaml's took a fifth of the render time). It writes
//! block style, quotes every string that YAML could read as anything but that same string
//! (JSON escaping inside double quotes, which YAML reads alike), and is checked by
//! round-trip tests below and by parsing every rendered file in the end-to-end tests.

use serde_json::Value;
use std::fmt::Write;

/// Splits rendered text into documents, skipping empty ones (a template may render nothing
/// for an app that has no workload).
/// Parsed by rampart-yaml: the YAML library's result, with a fast path for the block YAML
/// templates render.
pub fn parse_documents(text: &str) -> Result<Vec<Value>, rampart_yaml::YamlError> {
    #[cfg(test)]
    crate::fast_yaml_tests::record(text);
    let mut docs = rampart_yaml::documents(text)?;
    docs.retain(|doc| !doc.is_null());
    Ok(docs)
}

/// Emits documents as one multi-document YAML file with a header comment.
pub fn emit_documents(header: &str, docs: &[Value]) -> String {
    emit_documents_as(header, docs, Multiline::Quoted)
}

/// How a string with line breaks is written as the value of a mapping entry.
#[derive(Clone, Copy, PartialEq)]
pub enum Multiline {
    /// One double-quoted line with `\n` escapes (namespace files).
    Quoted,
    /// A literal block (`|`), line for line, where YAML reads it back unchanged: for
    /// programs kept in YAML (Rego modules) that reviewers read in diffs.
    Literal,
}

/// [`emit_documents`] with a choice of how multi-line strings are written.
pub fn emit_documents_as(header: &str, docs: &[Value], multiline: Multiline) -> String {
    let mut out = String::with_capacity(header.len() + docs.len() * 1024);
    out.push_str(header);
    for doc in docs {
        out.push_str("---\n");
        emit_block(&mut out, doc, 0, multiline);
    }
    // Every file of a render is held until it is committed: keep no slack.
    out.shrink_to_fit();
    out
}

/// Writes `value` as the body of a block node at `indent`; ends with a newline.
fn emit_block(out: &mut String, value: &Value, indent: usize, ml: Multiline) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (i, (key, child)) in map.iter().enumerate() {
                if i > 0 {
                    pad(out, indent);
                }
                emit_scalar(out, key);
                out.push(':');
                emit_child(out, child, indent, ml);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    pad(out, indent);
                }
                match item {
                    Value::Object(m) if !m.is_empty() => {
                        out.push_str("- ");
                        emit_block(out, item, indent + 2, ml);
                    }
                    Value::Array(a) if !a.is_empty() => {
                        out.push_str("-\n");
                        pad(out, indent + 2);
                        emit_block(out, item, indent + 2, ml);
                    }
                    Value::String(s) if ml == Multiline::Literal && is_literal_safe(s) => {
                        out.push_str("- ");
                        emit_literal(out, s, indent + 2);
                    }
                    _ => {
                        out.push_str("- ");
                        emit_inline(out, item);
                        out.push('\n');
                    }
                }
            }
        }
        _ => {
            emit_inline(out, value);
            out.push('\n');
        }
    }
}

/// Writes the value of a mapping entry whose `key:` is already written.
fn emit_child(out: &mut String, child: &Value, indent: usize, ml: Multiline) {
    match child {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            pad(out, indent + 2);
            emit_block(out, child, indent + 2, ml);
        }
        // Sequences inside mappings are not indented (the layout kubectl and serde_yaml use).
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            pad(out, indent);
            emit_block(out, child, indent, ml);
        }
        Value::String(s) if ml == Multiline::Literal && is_literal_safe(s) => {
            out.push(' ');
            emit_literal(out, s, indent + 2);
        }
        _ => {
            out.push(' ');
            emit_inline(out, child);
            out.push('\n');
        }
    }
}

fn emit_inline(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::String(s) => emit_scalar(out, s),
        Value::Array(_) => out.push_str("[]"),
        Value::Object(_) => out.push_str("{}"),
    }
}

fn pad(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

/// Writes a string plain when YAML reads it back as that same string, else double-quoted.
fn emit_scalar(out: &mut String, s: &str) {
    if is_plain_safe(s) {
        out.push_str(s);
    } else {
        out.push_str(&crate::escape::yaml_quote(s));
    }
}

/// Writes `s` as a literal block scalar whose lines are indented by `indent`.
fn emit_literal(out: &mut String, s: &str, indent: usize) {
    out.push_str(if s.ends_with('\n') { "|\n" } else { "|-\n" });
    for line in s.strip_suffix('\n').unwrap_or(s).split('\n') {
        if !line.is_empty() {
            pad(out, indent);
            out.push_str(line);
        }
        out.push('\n');
    }
}

/// A literal block reads back as `s` when `s` has a line break, at most one final line
/// break, a first line that is not empty and does not start with whitespace (it sets the
/// block's indentation), no line ending in whitespace, and nothing but printable
/// characters and tabs.
fn is_literal_safe(s: &str) -> bool {
    let body = s.strip_suffix('\n').unwrap_or(s);
    body.contains('\n')
        && !body.ends_with('\n')
        && !body.starts_with([' ', '\t', '\n'])
        && body.split('\n').all(|line| {
            !line.ends_with([' ', '\t'])
                && line.chars().all(|c| {
                    c == '\t'
                        || !(c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}'))
                })
        })
}

/// Conservative: letters first (or `/`), then letters, digits and `._/-`, with `:` only
/// between such characters; never a word YAML 1.1 or 1.2 reads as a bool or null.
fn is_plain_safe(s: &str) -> bool {
    let bytes = s.as_bytes();
    let Some(&first) = bytes.first() else {
        return false;
    };
    if !(first.is_ascii_alphabetic() || first == b'/') {
        return false;
    }
    let chars_ok = bytes.iter().enumerate().all(|(i, &b)| {
        b.is_ascii_alphanumeric()
            || matches!(b, b'.' | b'_' | b'/' | b'-')
            || (b == b':' && i + 1 < bytes.len() && bytes[i + 1] != b':')
    });
    chars_ok
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null"
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn roundtrip(doc: &Value) -> Value {
        let text = emit_documents("", std::slice::from_ref(doc));
        let back = parse_documents(&text).unwrap();
        assert_eq!(back.len(), 1, "{text}");
        back.into_iter().next().unwrap()
    }

    #[test]
    fn keys_are_sorted_and_layout_is_canonical() {
        let a = parse_documents(
            "kind: A\napiVersion: v1\nmetadata: {name: x, labels: {b: '1', a: '2'}}\n",
        )
        .unwrap();
        let b = parse_documents("---\napiVersion:   v1\nmetadata:\n  labels:\n    a: \"2\"\n    b: \"1\"\n  name: x\nkind: A\n---\n").unwrap();
        let (ea, eb) = (emit_documents("", &a), emit_documents("", &b));
        assert_eq!(ea, eb);
        assert_eq!(
            ea,
            "---\napiVersion: v1\nkind: A\nmetadata:\n  labels:\n    a: \"2\"\n    b: \"1\"\n  name: x\n"
        );
    }

    #[test]
    fn nested_layout_matches_kubectl_style() {
        let doc = json!({"spec": {"rules": [{"verbs": ["get"], "apiGroups": [""]}], "podSelector": {}, "ports": [[1, 2], []]}});
        assert_eq!(
            emit_documents("", &[doc]),
            "---\nspec:\n  podSelector: {}\n  ports:\n  -\n    - 1\n    - 2\n  - []\n  rules:\n  - apiGroups:\n    - \"\"\n    verbs:\n    - get\n"
        );
    }

    #[test]
    fn every_tricky_string_reads_back_unchanged() {
        let tricky = [
            "",
            " ",
            "true",
            "True",
            "FALSE",
            "yes",
            "No",
            "on",
            "OFF",
            "y",
            "n",
            "null",
            "Null",
            "~",
            "1",
            "-1",
            "+1",
            "1.5",
            ".5",
            "1e3",
            "0x1F",
            "0o17",
            "0b101",
            ".inf",
            "-.inf",
            ".nan",
            "12:30",
            "2024-01-01",
            "500m",
            "10.0.0.0/16",
            "a: b",
            "a:b",
            "a:",
            "::1",
            "x #y",
            "#x",
            " lead",
            "trail ",
            "multi\nline",
            "tab\t",
            "'q'",
            "\"dq\"",
            "@x",
            "`x",
            "*",
            "&a",
            "!tag",
            "%x",
            "{",
            "}",
            "[",
            "]",
            ",",
            "?",
            "|",
            ">",
            "-",
            "---",
            "...",
            "=",
            "<<",
            "é",
            "\u{2028}",
            "\u{85}",
            "back\\slash",
            "oidc:web-shop",
            "app.kubernetes.io/name",
            "/healthz",
            "{{namespace.name}}",
        ];
        for s in tricky {
            let doc = json!({ s: s, "list": [s], "nested": {"k": [{ s: [s] }]} });
            assert_eq!(roundtrip(&doc), doc, "{s:?}");
        }
    }

    #[test]
    fn multiline_strings_become_literal_blocks_only_where_they_read_back() {
        let rego = "package x\n\nviolation[{\"msg\": m}] {\n  m := \"a: #b\"\n\t}\n";
        let doc = json!({"spec": {"rego": rego, "list": [rego]}});
        let text = emit_documents_as("", std::slice::from_ref(&doc), Multiline::Literal);
        assert!(
            text.contains("  rego: |\n    package x\n\n    violation"),
            "{text}"
        );
        assert_eq!(parse_documents(&text).unwrap(), [doc]);
        for tricky in [
            "a\nb",
            "a\nb\n\n",
            "\na",
            " a\nb",
            "a \nb",
            "a\n  \nb",
            "a\n\n b\n",
            "a\r\nb",
            "#a\n- b\n---\n...",
            "a\n\u{85}b",
            "\ta\nb",
            "a\n\tb",
        ] {
            let doc = json!({ "k": tricky, "n": {"k": [tricky, [tricky]]} });
            let text = emit_documents_as("", std::slice::from_ref(&doc), Multiline::Literal);
            assert_eq!(parse_documents(&text).unwrap(), [doc], "{tricky:?}\n{text}");
        }
    }

    #[test]
    fn numbers_bools_and_nulls_keep_their_type() {
        let doc = json!({"a": 1, "b": -2, "c": 1.5, "d": true, "e": false, "f": null, "g": [], "h": {}, "i": [null, 0, "0"]});
        assert_eq!(roundtrip(&doc), doc);
    }
}
