//! YAML documents of a file, their kind, and where a Secret's data sits.

use super::prefilter::line_around;
use regex::Regex;
use std::sync::LazyLock;

/// One `---`-separated document and where it starts in the file.
pub(super) struct Document<'a> {
    pub offset: usize,
    pub text: &'a str,
}

/// A line starting with `---` (not the first line).
static DOCUMENT_START: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\n---").expect("static regex"));

/// Splits `text` at lines that start with `---` (a JSON file is one document).
pub(super) fn split(text: &str) -> Vec<Document<'_>> {
    let mut docs = Vec::new();
    let mut start = 0;
    for at in DOCUMENT_START.find_iter(text) {
        let line = at.start() + 1;
        docs.push(Document {
            offset: start,
            text: &text[start..line],
        });
        start = line;
    }
    docs.push(Document {
        offset: start,
        text: &text[start..],
    });
    docs
}

static KIND: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?m)^(?:kind:[ \t]*["']?([A-Za-z]+)["']?[ \t]*(?:#.*)?$|.*"kind"[ \t]*:[ \t]*"([A-Za-z]+)")"#)
        .expect("static regex")
});

/// The top-level `kind` of a document, if it states one.
pub(super) fn kind(doc: &str) -> Option<String> {
    // Either form matches within one line that holds `kind`, from that line's start: the
    // first such line that matches holds the leftmost match of the whole document.
    static WORD: LazyLock<Regex> = LazyLock::new(|| Regex::new("kind").expect("static regex"));
    let mut from = 0;
    let caps = loop {
        let word = WORD.find_at(doc, from)?;
        let (start, end) = line_around(doc, word.start());
        if let Some(caps) = KIND.captures(&doc[start..end]) {
            break caps;
        }
        from = end + 1;
        if from > doc.len() {
            return None;
        }
    };
    caps.get(1)
        .or_else(|| caps.get(2))
        .map(|m| m.as_str().to_string())
}

/// Offset of the `data`/`stringData` key of a Secret that carries values, unless every
/// value is SOPS-encrypted (`ENC[...]`) or a template placeholder.
///
/// The document is read within limits (its own size, or 1 MiB, for what aliases expand
/// to; nesting; duplicate keys), so a hostile file cannot make the guard run for minutes
/// or out of memory; a Secret refused by a limit counts as carrying values (it is flagged
/// rather than let through unread).
pub(super) fn secret_data_offset(doc: &str) -> Option<usize> {
    let limits = rampart_yaml::limits::Limits {
        max_bytes: doc.len().max(1 << 20),
    };
    let carries_secrets = match rampart_yaml::read_value(doc, &limits) {
        Ok(value) => ["data", "stringData"].iter().any(|field| {
            value[*field].as_object().is_some_and(|m| {
                m.values().any(|v| {
                    let s = v.as_str().unwrap_or_default();
                    !(s.is_empty() || s.starts_with("ENC[") || s.contains("{{") || s.contains("${"))
                })
            })
        }),
        Err(rampart_yaml::Error::Refused(_)) => true,
        Err(rampart_yaml::Error::Yaml(_)) => false,
    };
    if !carries_secrets {
        return None;
    }
    ["\ndata:", "\nstringData:", "\"data\"", "\"stringData\""]
        .iter()
        .filter_map(|key| {
            doc.find(key)
                .map(|i| if key.starts_with('\n') { i + 1 } else { i })
        })
        .min()
        .or(Some(0))
}
