//! Lossless edits of YAML streams: fields set and items appended in one document of a
//! multi-document file while every other byte stays as written (comments, key order,
//! quoting, indentation, flow or block style, line endings, the other documents). The text
//! is never re-serialised: yaml-rust2's parser events locate each node, and new content is
//! spliced in — a scalar replaced in place, new entries after a block mapping's last line
//! at its indentation (or before a flow mapping's `}`), new items after a sequence's last.
//!
//! A [`Patch`] says what must be there; [`apply`] edits the text and proves the result
//! reads back as the documents before with exactly the patches applied (else nothing).
//!
//! ```
//! use rampart_yaml::edit::{Patch, apply};
//! use serde_json::json;
//! let text = "# app\nkind: Pod\nspec:\n  containers:\n  - name: c   # main\n    image: x\n";
//! let patch = Patch::at("spec.containers[0].securityContext.runAsNonRoot", Patch::Scalar(json!(true)));
//! let out = apply(text, &[(2, patch)]).unwrap();
//! assert_eq!(out, "# app\nkind: Pod\nspec:\n  containers:\n  - name: c   # main\n    image: x\n    securityContext:\n      runAsNonRoot: true\n");
//! ```

mod render;
pub mod tree;

use serde_json::Value;
pub use tree::Lines;
use tree::{Mark, Node, ScalarStyle};

/// What must be true of a node after the edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Patch {
    /// A mapping with at least these entries, each patched in turn (missing ones added).
    Map(Vec<(String, Patch)>),
    /// A sequence whose items at these indexes are patched, with these items appended
    /// (each only if no equal item is there).
    Seq {
        /// Existing items to patch, by index.
        items: Vec<(usize, Patch)>,
        /// Items to add at the end.
        append: Vec<Patch>,
    },
    /// A scalar (or empty collection) with this value.
    Scalar(Value),
}

impl Patch {
    /// `inner` at a field path such as `spec.containers[0].securityContext` or
    /// `metadata.labels."pod-security.kubernetes.io/enforce"` (quoted keys may hold dots).
    pub fn at(path: &str, inner: Patch) -> Patch {
        let steps = steps(path);
        steps
            .into_iter()
            .rev()
            .fold(inner, |inner, step| match step {
                Step::Key(k) => Patch::Map(vec![(k, inner)]),
                Step::Index(i) => Patch::Seq {
                    items: vec![(i, inner)],
                    append: Vec::new(),
                },
            })
    }

    /// A sequence with `value` appended unless an equal item is there.
    pub fn append(value: Value) -> Patch {
        Patch::Seq {
            items: Vec::new(),
            append: vec![Patch::Scalar(value)],
        }
    }

    /// A sequence with a mapping of `entries` (in this order) appended.
    pub fn append_map(entries: &[(&str, Value)]) -> Patch {
        let map = entries
            .iter()
            .map(|(k, v)| (k.to_string(), Patch::Scalar(v.clone())))
            .collect();
        Patch::Seq {
            items: Vec::new(),
            append: vec![Patch::Map(map)],
        }
    }

    /// This patch and `other` as one (where both set a scalar, `other`'s wins; equal
    /// appended items are appended once).
    pub fn merge(&mut self, other: Patch) {
        match (self, other) {
            (Patch::Map(entries), Patch::Map(more)) => {
                for (k, p) in more {
                    match entries.iter_mut().find(|(key, _)| *key == k) {
                        Some((_, existing)) => existing.merge(p),
                        None => entries.push((k, p)),
                    }
                }
            }
            (
                Patch::Seq { items, append },
                Patch::Seq {
                    items: more_items,
                    append: more_append,
                },
            ) => {
                for (i, p) in more_items {
                    match items.iter_mut().find(|(index, _)| *index == i) {
                        Some((_, existing)) => existing.merge(p),
                        None => items.push((i, p)),
                    }
                }
                for p in more_append {
                    if !append.contains(&p) {
                        append.push(p);
                    }
                }
            }
            (this, other) => *this = other,
        }
    }

    /// The value of new content written for this patch (no existing node).
    fn new_value(&self) -> Value {
        match self {
            Patch::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, p)| (k.clone(), p.new_value()))
                    .collect(),
            ),
            Patch::Seq { append, .. } => {
                Value::Array(append.iter().map(Patch::new_value).collect())
            }
            Patch::Scalar(v) => v.clone(),
        }
    }

    /// `value` as this patch leaves it: what the edited document must read back as.
    pub fn apply_to_value(&self, value: &mut Value) -> Result<(), EditError> {
        match (self, value) {
            (Patch::Map(entries), Value::Object(map)) => {
                for (k, p) in entries {
                    match map.get_mut(k) {
                        Some(v) => p.apply_to_value(v)?,
                        None => {
                            map.insert(k.clone(), p.new_value());
                        }
                    }
                }
                Ok(())
            }
            (Patch::Seq { items, append }, Value::Array(list)) => {
                for (i, p) in items {
                    let item = list.get_mut(*i).ok_or(EditError::Missing)?;
                    p.apply_to_value(item)?;
                }
                for p in append {
                    let v = p.new_value();
                    if !list.contains(&v) {
                        list.push(v);
                    }
                }
                Ok(())
            }
            (Patch::Seq { items, .. }, v) if items.is_empty() && (v.is_null()) => {
                *v = self.new_value();
                Ok(())
            }
            (Patch::Map(_), v) if v.is_null() => {
                *v = self.new_value();
                Ok(())
            }
            (Patch::Scalar(s), v) if !v.is_object() && !v.is_array() => {
                *v = s.clone();
                Ok(())
            }
            _ => Err(EditError::Shape),
        }
    }
}

/// Why a text could not be edited; it is then left as it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    /// The text is not YAML that yaml-rust2 reads.
    #[error("line {line}: {message}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// The parser's message.
        message: String,
    },
    /// No document starts at the line given.
    #[error("no document starts at line {0}")]
    NoDocument(usize),
    /// A patched node is an alias, anchored or tagged: an edit could change other nodes.
    #[error("line {0}: anchors, aliases and tags are not edited")]
    Opaque(usize),
    /// A patched node is a multi-line or block scalar, or a collection where a scalar is
    /// set (or the other way round).
    #[error("line {0}: the field is written in a form that is not edited")]
    Form(usize),
    /// An item index past a sequence's end.
    #[error("a patched sequence item does not exist")]
    Missing,
    /// The patch does not fit the document's shape.
    #[error("the patch does not fit the document")]
    Shape,
    /// The edited text did not read back as the documents with only the patches applied
    /// (a bug; nothing is written).
    #[error("the edited text does not read back as the same documents with only the fixes applied")]
    Verification,
}

/// `text` with each `(line, patch)` applied to the document whose content starts at that
/// 1-based line (a document's first node), every other byte unchanged; proved by reading
/// the result back. All or nothing.
pub fn apply(text: &str, patches: &[(usize, Patch)]) -> Result<String, EditError> {
    let lines = Lines::new(text);
    let documents = tree::parse(text, &lines)
        .map_err(|((line, _), message)| EditError::Syntax { line, message })?;
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut merged: Vec<(usize, Patch)> = Vec::new();
    for (line, patch) in patches {
        match merged.iter_mut().find(|(l, _)| l == line) {
            Some((_, existing)) => existing.merge(patch.clone()),
            None => merged.push((*line, patch.clone())),
        }
    }
    let mut edits = Edits {
        text,
        lines: &lines,
        newline,
        splices: Vec::new(),
    };
    for (line, patch) in &merged {
        let doc = documents
            .iter()
            .find(|d| d.mark().0 == *line)
            .ok_or(EditError::NoDocument(*line))?;
        edits.patch(doc, patch)?;
    }
    let out = splice(text, edits.splices);
    verify(text, &out, &merged)?;
    Ok(out)
}

/// For each patch alone, `text` with that patch applied to the document at `line` (in
/// order; `None` where it cannot be made). The text is parsed once; the patches together
/// are proved as [`apply`] proves them (else every entry is `None`), each alone is not —
/// what the reports of single fixes need, at the cost of one parse per document.
pub fn apply_each(text: &str, line: usize, patches: &[Patch]) -> Vec<Option<String>> {
    let all: Vec<(usize, Patch)> = patches.iter().map(|p| (line, p.clone())).collect();
    if apply(text, &all).is_err() {
        return vec![None; patches.len()];
    }
    let lines = Lines::new(text);
    let Ok(documents) = tree::parse(text, &lines) else {
        return vec![None; patches.len()];
    };
    let Some(doc) = documents.iter().find(|d| d.mark().0 == line) else {
        return vec![None; patches.len()];
    };
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    patches
        .iter()
        .map(|patch| {
            let mut edits = Edits {
                text,
                lines: &lines,
                newline,
                splices: Vec::new(),
            };
            edits.patch(doc, patch).ok()?;
            Some(splice(text, edits.splices))
        })
        .collect()
}

/// Every document of `text` as `(line of its first node, value)`, as [`apply`] addresses
/// them.
pub fn documents(text: &str) -> Result<Vec<(usize, Value)>, EditError> {
    let lines = Lines::new(text);
    let docs = tree::parse(text, &lines)
        .map_err(|((line, _), message)| EditError::Syntax { line, message })?;
    let values = crate::documents(text).map_err(|e| EditError::Syntax {
        line: e.location().map_or(1, |(line, _)| line),
        message: e.to_string(),
    })?;
    if docs.len() != values.len() {
        return Err(EditError::Shape);
    }
    Ok(docs.iter().map(|d| d.mark().0).zip(values).collect())
}

/// The documents of `out` must be those of `text`, with the patches applied.
fn verify(text: &str, out: &str, patches: &[(usize, Patch)]) -> Result<(), EditError> {
    let read = |t: &str| documents(t).map_err(|_| EditError::Verification);
    let mut before = read(text)?;
    let after = read(out)?;
    if before.len() != after.len() {
        return Err(EditError::Verification);
    }
    for (line, patch) in patches {
        let (_, value) = before
            .iter_mut()
            .find(|(l, _)| l == line)
            .ok_or(EditError::Verification)?;
        patch.apply_to_value(value)?;
    }
    let same = before
        .iter()
        .zip(&after)
        .all(|((_, expected), (_, read))| expected == read);
    if same {
        Ok(())
    } else {
        Err(EditError::Verification)
    }
}

/// A byte range of the text and what replaces it.
type Splice = ((usize, usize), String);

/// `text` with non-overlapping splices made (insertions at one point keep their order).
fn splice(text: &str, mut splices: Vec<Splice>) -> String {
    let mut out = text.to_owned();
    // Back to front; at one point, the last pushed first so the first ends up first.
    let indexed: Vec<(usize, Splice)> = splices.drain(..).enumerate().collect();
    let mut indexed = indexed;
    indexed.sort_by_key(|(i, ((start, _), _))| std::cmp::Reverse((*start, *i)));
    for (_, ((start, end), replacement)) in indexed {
        out.replace_range(start..end, &replacement);
    }
    out
}

struct Edits<'t> {
    text: &'t str,
    lines: &'t Lines,
    newline: &'static str,
    splices: Vec<Splice>,
}

impl Edits<'_> {
    fn patch(&mut self, node: &Node, patch: &Patch) -> Result<(), EditError> {
        match (node, patch) {
            (Node::Opaque { mark }, _) => Err(EditError::Opaque(mark.0)),
            (
                Node::Map {
                    entries,
                    flow,
                    mark,
                    end,
                    ..
                },
                Patch::Map(wanted),
            ) => {
                let mut missing = Vec::new();
                for (k, p) in wanted {
                    let existing = entries
                        .iter()
                        .find(|(key, _)| matches!(key, Node::Scalar { value, .. } if value == k));
                    match existing {
                        Some((_, v)) => self.patch(v, p)?,
                        None => missing.push((k.clone(), p.clone())),
                    }
                }
                if !missing.is_empty() {
                    self.add_entries(entries, *flow, *mark, *end, &missing)?;
                }
                Ok(())
            }
            (
                Node::Seq {
                    items,
                    flow,
                    mark,
                    end,
                },
                Patch::Seq {
                    items: wanted,
                    append,
                },
            ) => {
                for (i, p) in wanted {
                    self.patch(items.get(*i).ok_or(EditError::Missing)?, p)?;
                }
                let new: Vec<Patch> = append
                    .iter()
                    .filter(|p| !items.iter().any(|item| same_scalar(item, p)))
                    .cloned()
                    .collect();
                if !new.is_empty() {
                    self.add_items(items, *flow, *mark, *end, &new)?;
                }
                Ok(())
            }
            (
                Node::Scalar {
                    style, value, mark, ..
                },
                patch,
            ) => {
                if let Patch::Scalar(v) = patch
                    && scalar_value(node).as_ref() == Some(v)
                {
                    return Ok(());
                }
                let span = self.scalar_span(node)?;
                // A null (`key:` or `key: null`) becomes the new content; a scalar a new scalar.
                let is_null = *style == ScalarStyle::Plain
                    && matches!(value.as_str(), "" | "~" | "null" | "Null" | "NULL");
                match patch {
                    Patch::Scalar(v) if !v.is_object() && !v.is_array() => {
                        self.splices.push((span, render::scalar(v)))
                    }
                    _ if is_null && span.0 == span.1 => self
                        .splices
                        .push((span, format!(" {}", render::flow(patch)))),
                    _ if is_null => self.splices.push((span, render::flow(patch))),
                    _ => return Err(EditError::Form(mark.0)),
                }
                Ok(())
            }
            (node, _) => Err(EditError::Form(node.mark().0)),
        }
    }

    /// New entries for a mapping: before a flow mapping's `}`, or after a block mapping's
    /// last line at its first key's indentation.
    fn add_entries(
        &mut self,
        entries: &[(Node, Node)],
        flow: bool,
        mark: Mark,
        end: Mark,
        missing: &[(String, Patch)],
    ) -> Result<(), EditError> {
        if flow {
            let written: Vec<String> = missing
                .iter()
                .map(|(k, p)| format!("{}: {}", render::key(k), render::flow(p)))
                .collect();
            let at = self.flow_end(entries.last().map(|(_, v)| v), mark, end)?;
            let sep = if entries.is_empty() { "" } else { ", " };
            self.splices
                .push(((at, at), format!("{sep}{}", written.join(", "))));
            return Ok(());
        }
        let (first_key, _) = entries.first().ok_or(EditError::Form(mark.0))?;
        let indent = first_key.mark().1;
        let at = self.block_end(entries.last().map_or(mark, |(k, _)| k.mark()), indent);
        self.splices.push((
            (at, at),
            render::block_entries(missing, indent, self.newline),
        ));
        Ok(())
    }

    /// New items for a sequence: before a flow sequence's `]`, or after a block sequence's
    /// last line at its dash's indentation.
    fn add_items(
        &mut self,
        items: &[Node],
        flow: bool,
        mark: Mark,
        end: Mark,
        new: &[Patch],
    ) -> Result<(), EditError> {
        if flow {
            let written: Vec<String> = new.iter().map(render::flow).collect();
            let at = self.flow_end(items.last(), mark, end)?;
            let sep = if items.is_empty() { "" } else { ", " };
            self.splices
                .push(((at, at), format!("{sep}{}", written.join(", "))));
            return Ok(());
        }
        let (Some(first), Some(last)) = (items.first(), items.last()) else {
            return Err(EditError::Form(mark.0));
        };
        // Items are written at the indentation of the first one's dash (yaml-rust2 marks a
        // block sequence at its first item's content, not at the dash).
        let start = self.lines.line_start(self.text, first.mark().0);
        let line = &self.text[start..self.line_end(start)];
        let indent = line.len() - line.trim_start_matches(' ').len();
        if !line[indent..].starts_with('-') {
            return Err(EditError::Form(first.mark().0));
        }
        let at = self.block_end(last.mark(), indent);
        self.splices
            .push(((at, at), render::block_items(new, indent, self.newline)));
        Ok(())
    }

    /// Where new content goes in a flow collection: after its last value, or after the
    /// opening bracket when it is empty.
    fn flow_end(&self, last: Option<&Node>, mark: Mark, end: Mark) -> Result<usize, EditError> {
        let Some(last) = last else {
            return Ok(self.lines.offset(self.text, mark) + 1);
        };
        match last {
            Node::Scalar { .. } => Ok(self.scalar_span(last)?.1),
            Node::Map {
                flow: true, end, ..
            }
            | Node::Seq {
                flow: true, end, ..
            } => Ok(self.lines.offset(self.text, *end) + 1),
            _ => {
                // Before the closing bracket, past any spaces before it.
                let close = self.lines.offset(self.text, end);
                Ok(self.text[..close].trim_end().len())
            }
        }
    }

    /// The end of the last line of a block collection whose last entry or item starts on
    /// `from`'s line: the lines after it that are blank, comments, or indented deeper than
    /// `indent` belong to it, and sequence items at `indent`.
    fn block_end(&self, from: Mark, indent: usize) -> usize {
        let text = self.text;
        let mut last = from.0;
        for line in from.0 + 1..=self.lines.count() {
            let start = self.lines.line_start(text, line);
            let end = self.line_end(start);
            let content = &text[start..end];
            let trimmed = content.trim_start_matches(' ');
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let depth = content.len() - trimmed.len();
            // At the same indentation, only an item of a sequence: the collection's own
            // (`seq`), or that of its last entry written without indentation (`key:\n- a`).
            let item = trimmed == "-" || trimmed.starts_with("- ");
            let inside = depth > indent || (depth == indent && item);
            if !inside || (depth == 0 && (trimmed.starts_with("---") || trimmed.starts_with("...")))
            {
                break;
            }
            last = line;
        }
        // The end of that line, before its break (its comment stays with it).
        self.line_end(self.lines.line_start(text, last))
    }

    /// The byte offset of the line break ending the line that starts at `start`.
    fn line_end(&self, start: usize) -> usize {
        self.text[start..]
            .find(['\r', '\n'])
            .map_or(self.text.len(), |i| start + i)
    }

    /// Byte range of a single-line scalar, quotes included (empty for an empty plain
    /// scalar, at its mark).
    fn scalar_span(&self, node: &Node) -> Result<(usize, usize), EditError> {
        let Node::Scalar {
            value, style, mark, ..
        } = node
        else {
            return Err(EditError::Form(node.mark().0));
        };
        let start = self.lines.offset(self.text, *mark);
        let end = match style {
            ScalarStyle::Plain => {
                if value.is_empty() || (value == "~" && !self.text[start..].starts_with('~')) {
                    // `key:` with nothing after: the mark is at the next token; the value
                    // goes right after the colon.
                    return self.empty_value(*mark);
                }
                if !self.text[start..].starts_with(value.as_str()) {
                    return Err(EditError::Form(mark.0));
                }
                start + value.len()
            }
            ScalarStyle::DoubleQuoted | ScalarStyle::SingleQuoted => {
                tree::quoted_scalar_end(self.text, start, *style, true)
                    .ok_or(EditError::Form(mark.0))?
            }
            _ => return Err(EditError::Form(mark.0)),
        };
        Ok((start, end))
    }

    /// For an empty value, yaml-rust2 marks the next token; the value belongs right after
    /// the `:` before that mark.
    fn empty_value(&self, mark: Mark) -> Result<(usize, usize), EditError> {
        let at = self.lines.offset(self.text, mark);
        let colon = self.text[..at].rfind(':').ok_or(EditError::Form(mark.0))?;
        Ok((colon + 1, colon + 1))
    }
}

/// Whether an existing item is the scalar an append would add.
fn same_scalar(item: &Node, patch: &Patch) -> bool {
    match patch {
        Patch::Scalar(v) => scalar_value(item).as_ref() == Some(v),
        _ => false,
    }
}

/// The value a scalar node reads as (a quoted one is always a string).
fn scalar_value(node: &Node) -> Option<Value> {
    match node {
        Node::Scalar {
            style: ScalarStyle::Plain,
            value,
            ..
        } => crate::from_str(value).ok(),
        Node::Scalar { value, .. } => Some(Value::String(value.clone())),
        _ => None,
    }
}

/// A field path's steps.
enum Step {
    Key(String),
    Index(usize),
}

/// `a.b[0]."c.d"` as keys and indexes.
fn steps(path: &str) -> Vec<Step> {
    let mut out = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        rest = rest.strip_prefix('.').unwrap_or(rest);
        if let Some(quoted) = rest.strip_prefix('"') {
            let end = quoted.find('"').unwrap_or(quoted.len());
            out.push(Step::Key(quoted[..end].to_owned()));
            rest = quoted.get(end + 1..).unwrap_or("");
        } else if let Some(index) = rest.strip_prefix('[') {
            let end = index.find(']').unwrap_or(index.len());
            out.push(Step::Index(index[..end].parse().unwrap_or(usize::MAX)));
            rest = index.get(end + 1..).unwrap_or("");
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            out.push(Step::Key(rest[..end].to_owned()));
            rest = &rest[end..];
        }
    }
    out
}

#[cfg(test)]
mod tests;
