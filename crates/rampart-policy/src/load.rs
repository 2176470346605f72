//! Splitting multi-document YAML into documents that know their file and line.

use serde_json::Value;

use crate::PolicyError;

/// One Kubernetes object to check, with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// File as shown to the user (`<stdin>` for standard input).
    pub file: String,
    /// 1-based line of the document's first content line.
    pub line: usize,
    /// The parsed object.
    pub value: Value,
}

/// Parses every document of a YAML (or JSON) file.
///
/// Documents are separated by `---` lines; empty documents and documents that are not
/// mappings with a `kind` are skipped, and the `items` of a `kind: *List` are returned as
/// documents of their own (at the list's line). A document that cannot be parsed gives an
/// error and the other documents are still returned.
///
/// Text is read within [`LIMITS`]: a file over [`MAX_MANIFEST_BYTES`], collections nested
/// too deep, a key given twice in a mapping and aliases that expand a document past the
/// size limit are errors, found in time and memory bounded by the file's size.
pub fn parse_documents(file: &str, bytes: &[u8]) -> (Vec<Document>, Vec<PolicyError>) {
    if bytes.len() > MAX_MANIFEST_BYTES {
        return (Vec::new(), vec![too_large(file)]);
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let line = 1 + bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            let file = file.to_owned();
            return (Vec::new(), vec![PolicyError::NotUtf8 { file, line }]);
        }
    };
    if file.ends_with(".hcl") {
        return (vault_policy(file, text).into_iter().collect(), Vec::new());
    }
    let mut docs = Vec::new();
    let mut errors = Vec::new();
    for chunk in split(text) {
        let Some(content_line) = chunk.content_line else {
            continue;
        };
        match rampart_yaml::read_value(&chunk.text, &LIMITS) {
            Ok(value) => push_objects(file, content_line, value, &mut docs),
            Err(rampart_yaml::Error::Refused(r)) => {
                let r = r.shifted(chunk.first_line - 1);
                errors.push(PolicyError::Parse {
                    file: file.to_owned(),
                    line: r.line,
                    message: format!("{r}\n  help: {}", r.help),
                });
            }
            Err(rampart_yaml::Error::Yaml(e)) => {
                let line = e
                    .location()
                    .map_or(content_line, |(line, _)| chunk.first_line + line - 1);
                errors.push(PolicyError::Parse {
                    file: file.to_owned(),
                    line,
                    // The caller reports the file line itself.
                    message: e.message().to_owned(),
                });
            }
        }
    }
    (docs, errors)
}

fn push_objects(file: &str, line: usize, mut value: Value, out: &mut Vec<Document>) {
    let kind = value.get("kind").and_then(Value::as_str).unwrap_or("");
    if kind.is_empty() {
        // An AWS IAM policy document: checked as a `kind: IAMPolicy` named by its file.
        if value.get("Statement").is_some() && value.get("Version").is_some() {
            value["kind"] = Value::from(IAM_POLICY);
            value["metadata"] = serde_json::json!({"name": file_name(file)});
            out.push(Document {
                file: file.to_owned(),
                line,
                value,
            });
        }
        return;
    }
    if kind.ends_with("List")
        && let Some(Value::Array(items)) = value.get("items")
    {
        for item in items.clone() {
            push_objects(file, line, item, out);
        }
        return;
    }
    out.push(Document {
        file: file.to_owned(),
        line,
        value,
    });
}

/// Largest file `check` reads: manifests of thousands of objects fit.
pub const MAX_MANIFEST_BYTES: usize = 16 << 20;

/// The limits every file is read with (see [`rampart_yaml::read_value`]).
pub const LIMITS: rampart_yaml::limits::Limits = rampart_yaml::limits::Limits {
    max_bytes: MAX_MANIFEST_BYTES,
};

/// The error for a file (or standard input) over [`MAX_MANIFEST_BYTES`].
pub fn too_large(file: &str) -> PolicyError {
    let r = rampart_yaml::limits::too_large(MAX_MANIFEST_BYTES);
    PolicyError::Parse {
        file: file.to_owned(),
        line: 1,
        message: format!(
            "{}\n  help: split it into files of at most that size",
            r.message
        ),
    }
}

/// The kind an IAM policy document is checked as.
pub const IAM_POLICY: &str = "IAMPolicy";
/// The kind a Vault/OpenBao ACL policy (`*.hcl`) is checked as.
pub const VAULT_POLICY: &str = "VaultPolicy";

fn file_name(file: &str) -> &str {
    file.rsplit('/').next().unwrap_or(file)
}

/// A Vault/OpenBao ACL policy file as a `kind: VaultPolicy` document whose `paths` list
/// each `path "…" { capabilities = […] }` block with its line; `None` without any.
fn vault_policy(file: &str, text: &str) -> Option<Document> {
    static BLOCK: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#"(?s)path\s+"([^"]*)"\s*\{[^}]*?capabilities\s*=\s*\[([^\]]*)\]"#)
            .expect("static regex")
    });
    let paths: Vec<Value> = BLOCK
        .captures_iter(text)
        .filter_map(|c| {
            let (whole, path, caps) = (c.get(0)?, c.get(1)?, c.get(2)?);
            let capabilities: Vec<String> = caps
                .as_str()
                .split(',')
                .map(|s| s.trim().trim_matches('"').to_owned())
                .filter(|s| !s.is_empty())
                .collect();
            let line = text[..whole.start()].matches('\n').count() + 1;
            Some(serde_json::json!({"path": path.as_str(), "capabilities": capabilities, "line": line}))
        })
        .collect();
    (!paths.is_empty()).then(|| Document {
        file: file.to_owned(),
        line: 1,
        value: serde_json::json!({
            "kind": VAULT_POLICY,
            "metadata": {"name": file_name(file)},
            "paths": paths,
        }),
    })
}

struct Chunk {
    text: String,
    /// 1-based file line of the chunk's first line.
    first_line: usize,
    /// 1-based file line of the first line that is neither blank nor a comment.
    content_line: Option<usize>,
}

fn is_separator(line: &str) -> bool {
    let line = line.trim_end();
    line == "---" || line.starts_with("--- ") || line.starts_with("---\t")
}

fn split(text: &str) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    let mut current = Chunk {
        text: String::new(),
        first_line: 1,
        content_line: None,
    };
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if is_separator(line) {
            let rest = line.trim_end()[3..].trim_start();
            chunks.push(std::mem::replace(
                &mut current,
                Chunk {
                    text: String::new(),
                    first_line: n + 1,
                    content_line: None,
                },
            ));
            // `--- {kind: X}`: content on the separator line itself.
            if !rest.is_empty() && !rest.starts_with('#') {
                current.text.push_str(rest);
                current.text.push('\n');
                current.first_line = n;
                current.content_line = Some(n);
            }
            continue;
        }
        if line.trim_end() == "..." {
            continue;
        }
        let trimmed = line.trim();
        if current.content_line.is_none() && !trimmed.is_empty() && !trimmed.starts_with('#') {
            current.content_line = Some(n);
        }
        current.text.push_str(line);
        current.text.push('\n');
    }
    chunks.push(current);
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_carry_their_first_content_line() {
        let text = "# header\n---\napiVersion: v1\nkind: A\n---\n\n# c\nkind: B\n---\n";
        let (docs, errors) = parse_documents("f.yaml", text.as_bytes());
        assert!(errors.is_empty());
        let lines: Vec<_> = docs.iter().map(|d| d.line).collect();
        assert_eq!(lines, [3, 8]);
    }

    #[test]
    fn a_broken_document_is_an_error_at_its_file_line_and_others_still_parse() {
        let text = "kind: A\n---\nkind: B\nmetadata: [unclosed\n---\nkind: C\n";
        let (docs, errors) = parse_documents("f.yaml", text.as_bytes());
        assert_eq!(docs.len(), 2);
        assert_eq!(errors.len(), 1);
        let PolicyError::Parse { line, .. } = &errors[0] else {
            panic!("{errors:?}")
        };
        assert!((3..=5).contains(line), "{line}");
    }

    #[test]
    fn lists_are_expanded_and_non_objects_skipped() {
        let text = r#"{"kind": "List", "items": [{"kind": "A"}, {"kind": "B"}]}"#;
        let (docs, _) = parse_documents("f.json", text.as_bytes());
        assert_eq!(docs.len(), 2);
        let (docs, errors) = parse_documents("f.yaml", b"- 1\n- 2\n");
        assert!(docs.is_empty() && errors.is_empty());
    }
}
