//! New YAML written into an existing text: scalars plain where plain reads back the same,
//! else double-quoted; collections in block style (indented) or flow style (one line).

use serde_json::Value;

use super::Patch;

/// New content as a scalar, or a collection in flow style.
pub(crate) fn flow(patch: &Patch) -> String {
    match patch {
        Patch::Map(entries) => {
            let entries: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{}: {}", key(k), flow(v)))
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
        Patch::Seq { append, .. } => {
            let items: Vec<String> = append.iter().map(flow).collect();
            format!("[{}]", items.join(", "))
        }
        Patch::Scalar(value) => scalar(value),
    }
}

/// New entries `key: value` of a block mapping, each on a line of its own that starts with
/// `newline` and `indent` spaces; nested mappings are indented two more, sequences of
/// mappings are written as block sequences, other sequences and empty collections in flow
/// style.
pub(crate) fn block_entries(entries: &[(String, Patch)], indent: usize, newline: &str) -> String {
    let mut out = String::new();
    for (k, v) in entries {
        out.push_str(newline);
        out.push_str(&" ".repeat(indent));
        out.push_str(&key(k));
        out.push(':');
        match v {
            Patch::Map(nested) if !nested.is_empty() => {
                out.push_str(&block_entries(nested, indent + 2, newline));
            }
            Patch::Seq { append, .. } if append.iter().any(|i| matches!(i, Patch::Map(_))) => {
                out.push_str(&block_items(append, indent + 2, newline));
            }
            v => {
                out.push(' ');
                out.push_str(&flow(v));
            }
        }
    }
    out
}

/// Items of a block sequence, each `- item` on a line of its own at `indent`; a mapping
/// item's first entry follows the dash, the others are indented under it.
pub(crate) fn block_items(items: &[Patch], indent: usize, newline: &str) -> String {
    let mut out = String::new();
    for item in items {
        out.push_str(newline);
        out.push_str(&" ".repeat(indent));
        out.push('-');
        match item {
            Patch::Map(entries) if !entries.is_empty() => {
                let rest = block_entries(entries, indent + 2, newline);
                // The first entry moves up beside the dash.
                out.push(' ');
                out.push_str(&rest[newline.len() + indent + 2..]);
            }
            v => {
                out.push(' ');
                out.push_str(&flow(v));
            }
        }
    }
    out
}

/// A scalar value.
pub(crate) fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => string(s),
        Value::Null => "null".to_owned(),
        other => other.to_string(),
    }
}

/// A mapping key.
pub(crate) fn key(name: &str) -> String {
    string(name)
}

/// A string: plain where plain YAML reads it back as the same string, else double-quoted
/// (JSON's escapes are valid in a YAML double-quoted scalar).
fn string(s: &str) -> String {
    let charset = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'))
        && !s.starts_with(['-', '.']);
    let reads_back = charset
        && matches!(serde_yaml_ng::from_str::<serde_yaml_ng::Value>(s),
            Ok(serde_yaml_ng::Value::String(read)) if read == s);
    if reads_back {
        s.to_owned()
    } else {
        Value::String(s.to_owned()).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_are_plain_only_where_they_read_back() {
        let table = [
            ("RuntimeDefault", "RuntimeDefault"),
            ("/tmp", "/tmp"),
            (
                "pod-security.kubernetes.io/enforce",
                "pod-security.kubernetes.io/enforce",
            ),
            ("true", "\"true\""),
            ("1.0", "\"1.0\""),
            ("a: b", "\"a: b\""),
            ("", "\"\""),
            ("-x", "\"-x\""),
        ];
        for (text, written) in table {
            assert_eq!(string(text), written, "{text}");
        }
    }

    #[test]
    fn block_and_flow_rendering_read_back_as_the_patch() {
        let patch = Patch::Map(vec![
            (
                "securityContext".into(),
                Patch::Map(vec![
                    ("runAsNonRoot".into(), Patch::Scalar(json!(true))),
                    (
                        "capabilities".into(),
                        Patch::Map(vec![("drop".into(), Patch::append(json!("ALL")))]),
                    ),
                ]),
            ),
            (
                "volumes".into(),
                Patch::append_map(&[("name", json!("tmp")), ("emptyDir", json!({}))]),
            ),
        ]);
        let Patch::Map(entries) = &patch else {
            unreachable!()
        };
        let text = block_entries(entries, 0, "\n");
        assert_eq!(
            text,
            "\nsecurityContext:\n  runAsNonRoot: true\n  capabilities:\n    drop: [ALL]\nvolumes:\n  - name: tmp\n    emptyDir: {}"
        );
        let expected = json!({"securityContext": {"runAsNonRoot": true, "capabilities": {"drop": ["ALL"]}},
            "volumes": [{"name": "tmp", "emptyDir": {}}]});
        let read: Value = serde_yaml_ng::from_str(&text).unwrap_or_default();
        assert_eq!(read, expected);
        let read: Value = serde_yaml_ng::from_str(&flow(&patch)).unwrap_or_default();
        assert_eq!(read, expected);
    }
}
