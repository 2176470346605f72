//! The node tree of every document of a YAML stream, from yaml-rust2's parser events: where
//! each node starts (and where each collection ends), and how it was written.

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Line (1-based) and column (0-based, in characters) in the text. yaml-rust2 marks a
/// scalar and a flow collection where they start, a block mapping at its first key's `:`
/// and a block sequence at its first item's content.
pub(crate) type Mark = (usize, usize);

/// A parsed node.
#[derive(Debug)]
pub(crate) enum Node {
    Scalar {
        style: TScalarStyle,
        value: String,
        mark: Mark,
    },
    Map {
        entries: Vec<(Node, Node)>,
        flow: bool,
        mark: Mark,
        /// Where the parser saw the mapping end (a flow mapping's `}`).
        end: Mark,
    },
    Seq {
        items: Vec<Node>,
        flow: bool,
        mark: Mark,
        /// Where the parser saw the sequence end (a flow sequence's `]`).
        end: Mark,
    },
    /// An alias (`*a`) or anything anchored (`&a`) or tagged: not edited.
    Opaque { mark: Mark },
}

impl Node {
    pub(crate) fn mark(&self) -> Mark {
        match self {
            Node::Scalar { mark, .. }
            | Node::Map { mark, .. }
            | Node::Seq { mark, .. }
            | Node::Opaque { mark } => *mark,
        }
    }
}

enum Frame {
    Map {
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
        opaque: bool,
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
    stack: Vec<Frame>,
    documents: Vec<Node>,
    /// Whether the current document has a root yet (an empty document has none).
    rooted: bool,
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
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, marker: Marker) {
        let mark = (marker.line(), marker.col());
        match ev {
            Event::DocumentStart => self.rooted = false,
            Event::DocumentEnd if !self.rooted => {
                self.documents.push(Node::Opaque { mark });
            }
            Event::Alias(_) => self.add(Node::Opaque { mark }),
            Event::Scalar(value, style, anchor, tag) => {
                if anchor != 0 || tag.is_some() {
                    self.add(Node::Opaque { mark });
                } else {
                    self.add(Node::Scalar { style, value, mark });
                }
            }
            Event::MappingStart(anchor, tag) => self.stack.push(Frame::Map {
                entries: Vec::new(),
                key: None,
                opaque: anchor != 0 || tag.is_some(),
                mark,
            }),
            Event::SequenceStart(anchor, tag) => self.stack.push(Frame::Seq {
                items: Vec::new(),
                opaque: anchor != 0 || tag.is_some(),
                mark,
            }),
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
                    Some(Frame::Map { entries, mark, .. }) => Node::Map {
                        entries,
                        flow: false,
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
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    parser
        .load(&mut builder, true)
        .map_err(|e| ((e.marker().line(), e.marker().col()), e.info().to_string()))?;
    let mut documents = builder.documents;
    for doc in &mut documents {
        mark_flow(doc, text, lines);
    }
    Ok(documents)
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
