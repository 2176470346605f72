//! Canonical YAML: documents parsed from the rendered text, typed, checked and emitted with
//! sorted keys, so the bytes in Git depend only on the data, never on template whitespace.

use serde_json::Value;

/// Splits rendered text into documents, skipping empty ones (a template may render nothing
/// for an app that has no workload).
pub fn parse_documents(text: &str) -> Result<Vec<Value>, serde_yaml::Error> {
    let mut docs = Vec::new();
    for de in serde_yaml::Deserializer::from_str(text) {
        let value: Value = serde::Deserialize::deserialize(de)?;
        if !value.is_null() {
            docs.push(value);
        }
    }
    Ok(docs)
}

/// Emits documents as one multi-document YAML file with a header comment.
pub fn emit_documents(header: &str, docs: &[Value]) -> Result<String, serde_yaml::Error> {
    let mut out = String::with_capacity(docs.len() * 512);
    out.push_str(header);
    for doc in docs {
        out.push_str("---\n");
        out.push_str(&serde_yaml::to_string(doc)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_sorted_and_layout_is_canonical() {
        let a = parse_documents("kind: A\napiVersion: v1\nmetadata: {name: x, labels: {b: '1', a: '2'}}\n").unwrap();
        let b = parse_documents("---\napiVersion:   v1\nmetadata:\n  labels:\n    a: \"2\"\n    b: \"1\"\n  name: x\nkind: A\n---\n").unwrap();
        let (ea, eb) = (emit_documents("", &a).unwrap(), emit_documents("", &b).unwrap());
        assert_eq!(ea, eb);
        assert_eq!(ea, "---\napiVersion: v1\nkind: A\nmetadata:\n  labels:\n    a: '2'\n    b: '1'\n  name: x\n");
    }
}
