//! The node tree of every document of a YAML stream, from yaml-rust2's parser events: where
//! each node starts (and where each collection ends), and how it was written. [`parse`]
//! serves the lossless editor (anything anchored or tagged is opaque); [`parse_single`]
//! serves editors of one plain document (rampart-model's request editor), which keep tagged
//! nodes and reject anchors, aliases and further documents.

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Line (1-based) and column (0-based, in characters) in the text. yaml-rust2 marks a
/// scalar and a flow collection where they start, a block mapping at its first key's `:`
/// and a block sequence at its first item's content.
pub type Mark = (usize, usize);

/// How a scalar was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarStyle {
    /// `value`
    Plain,
    /// `'value'`
    SingleQuoted,
    /// `"value"`
    DoubleQuoted,
    /// `|`
    Literal,
    /// `>`
    Folded,
}

impl From<TScalarStyle> for ScalarStyle {
    fn from(style: TScalarStyle) -> Self {
        match style {
            TScalarStyle::Plain => ScalarStyle::Plain,
            TScalarStyle::SingleQuoted => ScalarStyle::SingleQuoted,
            TScalarStyle::DoubleQuoted => ScalarStyle::DoubleQuoted,
            TScalarStyle::Literal => ScalarStyle::Literal,
            TScalarStyle::Folded => ScalarStyle::Folded,
        }
    }
}

/// A parsed node.
#[derive(Debug)]
pub enum Node {
    /// A scalar.
    Scalar {
        /// How it was written.
        style: ScalarStyle,
        /// Its text (quotes and escapes resolved).
        value: String,
        /// Whether it has a tag (only from [`parse_single`]; [`parse`] makes it opaque).
        tagged: bool,
        /// Where it starts.
        mark: Mark,
    },
    /// A mapping.
    Map {
        /// Its entries, in order.
        entries: Vec<(Node, Node)>,
        /// Whether it is written in flow style (`{…}`).
        flow: bool,
        /// Whether it has a tag (only from [`parse_single`]; [`parse`] makes it opaque).
        tagged: bool,
        /// Where it starts (see [`Mark`]).
        mark: Mark,
        /// Where the parser saw the mapping end (a flow mapping's `}`).
        end: Mark,
    },
    /// A sequence.
    Seq {
        /// Its items, in order.
        items: Vec<Node>,
        /// Whether it is written in flow style (`[…]`).
        flow: bool,
        /// Where it starts (see [`Mark`]).
        mark: Mark,
        /// Where the parser saw the sequence end (a flow sequence's `]`).
        end: Mark,
    },
    /// An alias (`*a`) or anything anchored (`&a`) or, from [`parse`], tagged: not edited.
    Opaque {
        /// Where it starts.
        mark: Mark,
    },
}

impl Node {
    /// Where the node starts.
    pub fn mark(&self) -> Mark {
        match self {
            Node::Scalar { mark, .. }
            | Node::Map { mark, .. }
            | Node::Seq { mark, .. }
            | Node::Opaque { mark } => *mark,
        }
    }

    /// The scalar's text, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }

    /// The value of the first entry whose key is the scalar `key`, if this is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map { entries, .. } => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }
}

/// Why [`parse_single`] could not read the text as one plain document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SingleError {
    /// Not YAML: where, and the parser's message.
    Syntax {
        /// Where the parser stopped.
        mark: Mark,
        /// The parser's message.
        message: String,
    },
    /// More than one document.
    MultipleDocuments,
    /// An anchor or alias, at the first one.
    AnchorOrAlias {
        /// Where the first anchored node or alias starts.
        mark: Mark,
    },
}

enum Frame {
    Map {
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
        opaque: bool,
        tagged: bool,
        mark: Mark,
    },
    Seq {
        items: Vec<Node>,
        opaque: bool,
        mark: Mark,
    },
}

#[derive(Default)]
struct Builder {
    /// Tagged nodes stay nodes (with their `tagged` flag) rather than opaque ones.
    keep_tagged: bool,
    stack: Vec<Frame>,
    documents: Vec<Node>,
    /// Whether the current document has a root yet (an empty document has none).
    rooted: bool,
    /// How many documents started.
    starts: usize,
    /// How many documents were empty (an opaque node stands for each).
    empty: usize,
    /// The first anchored node or alias.
    anchor: Option<Mark>,
}

impl Builder {
    fn add(&mut self, node: Node) {
        match self.stack.last_mut() {
            None => {
                self.documents.push(node);
                self.rooted = true;
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                Some(k) => entries.push((k, node)),
                None => *key = Some(node),
            },
        }
    }

    /// Whether a node with this anchor and tag is opaque; remembers the first anchor.
    fn opaque(&mut self, anchor: usize, tagged: bool, mark: Mark) -> bool {
        if anchor != 0 && self.anchor.is_none() {
            self.anchor = Some(mark);
        }
        anchor != 0 || (tagged && !self.keep_tagged)
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, marker: Marker) {
        let mark = (marker.line(), marker.col());
        match ev {
            Event::DocumentStart => {
                self.rooted = false;
                self.starts += 1;
            }
            Event::DocumentEnd if !self.rooted => {
                self.empty += 1;
                self.documents.push(Node::Opaque { mark });
            }
            Event::Alias(_) => {
                self.opaque(usize::MAX, false, mark);
                self.add(Node::Opaque { mark });
            }
            Event::Scalar(value, style, anchor, tag) => {
                let tagged = tag.is_some();
                if self.opaque(anchor, tagged, mark) {
                    self.add(Node::Opaque { mark });
                } else {
                    self.add(Node::Scalar {
                        style: style.into(),
                        value,
                        tagged,
                        mark,
                    });
                }
            }
            Event::MappingStart(anchor, tag) => {
                let tagged = tag.is_some();
                let opaque = self.opaque(anchor, tagged, mark);
                self.stack.push(Frame::Map {
                    entries: Vec::new(),
                    key: None,
                    opaque,
                    tagged,
                    mark,
                });
            }
            Event::SequenceStart(anchor, tag) => {
                let opaque = self.opaque(anchor, tag.is_some(), mark);
                self.stack.push(Frame::Seq {
                    items: Vec::new(),
                    opaque,
                    mark,
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                let node = match self.stack.pop() {
                    Some(
                        Frame::Map {
                            opaque: true, mark, ..
                        }
                        | Frame::Seq {
                            opaque: true, mark, ..
                        },
                    ) => Node::Opaque { mark },
                    Some(Frame::Map {
                        entries,
                        tagged,
                        mark,
                        ..
                    }) => Node::Map {
                        entries,
                        flow: false,
                        tagged,
                        mark,
                        end: (marker.line(), marker.col()),
                    },
                    Some(Frame::Seq { items, mark, .. }) => Node::Seq {
                        items,
                        flow: false,
                        mark,
                        end: (marker.line(), marker.col()),
                    },
                    None => return,
                };
                self.add(node);
            }
            _ => {}
        }
    }
}

/// Every document of `text`, in order (an empty document as [`Node::Opaque`]); the flow
/// flags are set from the text.
pub(crate) fn parse(text: &str, lines: &Lines) -> Result<Vec<Node>, (Mark, String)> {
    let builder = build(text, lines, false)
        .map_err(|e| ((e.marker().line(), e.marker().col()), e.info().to_string()))?;
    Ok(builder.documents)
}

/// The tree of the only document of `text` (`None` when it is empty), tagged nodes kept
/// as nodes; flow flags set from the text. Errors come in this order: syntax, more than one
/// document, the first anchor or alias.
pub fn parse_single(text: &str, lines: &Lines) -> Result<Option<Node>, SingleError> {
    let mut builder = build(text, lines, true).map_err(|e| SingleError::Syntax {
        mark: (e.marker().line(), e.marker().col()),
        message: e.info().to_string(),
    })?;
    if builder.starts > 1 {
        return Err(SingleError::MultipleDocuments);
    }
    if let Some(mark) = builder.anchor {
        return Err(SingleError::AnchorOrAlias { mark });
    }
    if builder.empty > 0 {
        return Ok(None);
    }
    Ok(builder.documents.pop())
}

fn build(
    text: &str,
    lines: &Lines,
    keep_tagged: bool,
) -> Result<Builder, yaml_rust2::scanner::ScanError> {
    let mut builder = Builder {
        keep_tagged,
        ..Builder::default()
    };
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut builder, true)?;
    for doc in &mut builder.documents {
        mark_flow(doc, text, lines);
    }
    Ok(builder)
}

fn mark_flow(node: &mut Node, text: &str, lines: &Lines) {
    match node {
        Node::Map {
            entries,
            flow,
            mark,
            ..
        } => {
            *flow = text[lines.offset(text, *mark)..].starts_with('{');
            for (k, v) in entries {
                mark_flow(k, text, lines);
                mark_flow(v, text, lines);
            }
        }
        Node::Seq {
            items, flow, mark, ..
        } => {
            // A block sequence is marked at its first item, which may be a flow one.
            let at = lines.offset(text, *mark);
            let after_dash = text[..at].trim_end_matches([' ', '\t']).ends_with('-');
            *flow = text[at..].starts_with('[') && !after_dash;
            for item in items {
                mark_flow(item, text, lines);
            }
        }
        _ => {}
    }
}

/// Byte offsets of line starts, to turn a yaml-rust2 position (1-based line, 0-based column
/// in characters) into a byte offset. Line breaks as the scanner counts them: `\r\n`, `\r`
/// or `\n`.
pub struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    /// The line starts of `text`.
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                    starts.push(i + 2);
                    i += 2;
                    continue;
                }
                b'\r' | b'\n' => starts.push(i + 1),
                _ => {}
            }
            i += 1;
        }
        Lines { starts }
    }

    /// The byte offset of `mark` (columns count characters).
    pub fn offset(&self, text: &str, (line, col): Mark) -> usize {
        let start = self.line_start(text, line);
        let rest = &text[start..];
        if rest.is_char_boundary(col.min(rest.len())) && rest[..col.min(rest.len())].is_ascii() {
            return start + col.min(rest.len());
        }
        rest.char_indices()
            .nth(col)
            .map_or(text.len(), |(i, _)| start + i)
    }

    /// The byte offset where 1-based `line` starts (the text's end past the last line).
    pub(crate) fn line_start(&self, text: &str, line: usize) -> usize {
        self.starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(text.len())
    }

    /// How many lines the text has (a last line without a break counts).
    pub(crate) fn count(&self) -> usize {
        self.starts.len()
    }
}

/// Where a quoted scalar that starts at `text[start]` ends (one past its closing quote), or
/// `None` when `text[start]` is not the quote `style` calls for, the text ends first, or —
/// with `one_line` — a line break comes first. `\` escapes in double quotes, `''` in single
/// quotes.
pub fn quoted_scalar_end(
    text: &str,
    start: usize,
    style: ScalarStyle,
    one_line: bool,
) -> Option<usize> {
    let quote = match style {
        ScalarStyle::DoubleQuoted => b'"',
        ScalarStyle::SingleQuoted => b'\'',
        _ => return None,
    };
    let rest = text.as_bytes().get(start..)?;
    if rest.first() != Some(&quote) {
        return None;
    }
    let mut i = 1;
    loop {
        match (rest.get(i), rest.get(i + 1)) {
            (None, _) => return None,
            (Some(b'\n' | b'\r'), _) if one_line => return None,
            (Some(b'\\'), _) if quote == b'"' => i += 2,
            (Some(b'\''), Some(b'\'')) if quote == b'\'' => i += 2,
            (Some(c), _) if *c == quote => return Some(start + i + 1),
            _ => i += 1,
        }
    }
}
