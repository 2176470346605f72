//! A checked object: its identity, field access, and how findings are made for it.

use serde_json::Value;

use crate::exception::{Exception, parse_exceptions};
use crate::finding::{Finding, Rule, object_label};
use crate::load::Document;

/// Annotation that suppresses rules for one object: `"<rule-id>: <reason>"`, several
/// separated by `;` or newlines, each optionally followed by `; until YYYY-MM-DD`.
pub const IGNORE_ANNOTATION: &str = "rampart.dev/ignore";

/// A document seen as a Kubernetes object.
pub(crate) struct Object<'a> {
    pub doc: &'a Document,
    pub kind: &'a str,
    pub namespace: Option<&'a str>,
    pub name: &'a str,
}

impl<'a> Object<'a> {
    pub fn new(doc: &'a Document) -> Self {
        let v = &doc.value;
        Object {
            doc,
            kind: v.get("kind").and_then(Value::as_str).unwrap_or(""),
            namespace: v
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty()),
            name: v
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or(""),
        }
    }

    pub fn value(&self) -> &'a Value {
        &self.doc.value
    }

    /// Who the object is, owned: what a finding of a cross-object rule needs once the
    /// document itself is gone.
    pub fn subject(&self) -> Subject {
        Subject {
            file: self.doc.file.clone(),
            line: self.doc.line,
            kind: self.kind.to_owned(),
            namespace: self.namespace.map(str::to_owned),
            name: self.name.to_owned(),
        }
    }

    /// A finding of `rule` at field `path`; the message is prefixed with the object and path.
    pub fn finding(&self, rule: &Rule, path: &str, message: &str, fix: &str) -> Finding {
        let place = Place {
            file: &self.doc.file,
            line: self.doc.line,
            kind: self.kind,
            namespace: self.namespace,
            name: self.name,
        };
        place.finding(rule, path, message, fix)
    }

    /// The entries of the ignore annotation (see [`crate::exception`]).
    pub fn exceptions(&self) -> Vec<Exception> {
        self.value()
            .pointer("/metadata/annotations")
            .and_then(|a| a.get(IGNORE_ANNOTATION))
            .and_then(Value::as_str)
            .map(parse_exceptions)
            .unwrap_or_default()
    }
}

/// An object's identity without its document: file, line, kind, namespace and name.
#[derive(Debug, Clone)]
pub(crate) struct Subject {
    pub file: String,
    pub line: usize,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl Subject {
    /// A finding of `rule` at field `path`, as [`Object::finding`] makes it.
    pub fn finding(&self, rule: &Rule, path: &str, message: &str, fix: &str) -> Finding {
        let place = Place {
            file: &self.file,
            line: self.line,
            kind: &self.kind,
            namespace: self.namespace.as_deref(),
            name: &self.name,
        };
        place.finding(rule, path, message, fix)
    }
}

/// The borrowed identity both [`Object`] and [`Subject`] make findings from.
struct Place<'a> {
    file: &'a str,
    line: usize,
    kind: &'a str,
    namespace: Option<&'a str>,
    name: &'a str,
}

impl Place<'_> {
    fn finding(&self, rule: &Rule, path: &str, message: &str, fix: &str) -> Finding {
        Finding {
            file: self.file.to_owned(),
            line: self.line,
            kind: self.kind.to_owned(),
            namespace: self.namespace.map(str::to_owned),
            name: self.name.to_owned(),
            rule: rule.id,
            checklist: rule.checklist,
            severity: rule.severity,
            message: format!(
                "{} {path}: {message}",
                object_label(self.kind, self.namespace, self.name)
            ),
            fix: fix.to_owned(),
            expired_exception: None,
            autofix: None,
            text_edit: None,
            new_file: None,
        }
    }
}

/// The items of an array field (none if absent or not an array).
pub(crate) fn items(v: Option<&Value>) -> &[Value] {
    v.and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// The strings of an array field.
pub(crate) fn strings(v: Option<&Value>) -> Vec<&str> {
    items(v).iter().filter_map(Value::as_str).collect()
}

/// Whether a field is the boolean `true`.
pub(crate) fn is_true(v: Option<&Value>) -> bool {
    v.and_then(Value::as_bool) == Some(true)
}
