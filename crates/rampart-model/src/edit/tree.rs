//! A minimal YAML node tree built from yaml-rust2's parser events, keeping where every
//! node starts (line and character column) and how each scalar was written.

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Line (1-based) and column (0-based, in characters) of a node's first character.
pub(super) type Mark = (usize, usize);

/// A parsed node.
pub(super) enum Node {
    Scalar {
        value: String,
        style: TScalarStyle,
        tagged: bool,
        mark: Mark,
    },
    Map {
        entries: Vec<(Node, Node)>,
        tagged: bool,
        mark: Mark,
    },
    Seq {
        items: Vec<Node>,
        mark: Mark,
    },
}

impl Node {
    pub(super) fn mark(&self) -> Mark {
        match self {
            Node::Scalar { mark, .. } | Node::Map { mark, .. } | Node::Seq { mark, .. } => *mark,
        }
    }

    /// The scalar's text, if this is one.
    pub(super) fn as_str(&self) -> Option<&str> {
        match self {
            Node::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }

    /// The value of the first entry whose key is the scalar `key`, if this is a mapping.
    pub(super) fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map { entries, .. } => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }
}

/// Why the text could not be read as one plain document.
pub(super) enum TreeError {
    Syntax { mark: Mark, message: String },
    MultipleDocuments,
    AnchorOrAlias { mark: Mark },
}

enum Frame {
    Map {
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
        tagged: bool,
        mark: Mark,
    },
    Seq {
        items: Vec<Node>,
        mark: Mark,
    },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    root: Option<Node>,
    documents: usize,
    anchor: Option<Mark>,
}

impl Builder {
    fn add(&mut self, node: Node) {
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                Some(k) => entries.push((k, node)),
                None => *key = Some(node),
            },
        }
    }

    fn anchored(&mut self, anchor: usize, mark: Mark) {
        if anchor != 0 && self.anchor.is_none() {
            self.anchor = Some(mark);
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, marker: Marker) {
        let mark = (marker.line(), marker.col());
        match ev {
            Event::DocumentStart => self.documents += 1,
            Event::Alias(_) => {
                self.anchored(usize::MAX, mark);
                self.add(Node::Scalar {
                    value: String::new(),
                    style: TScalarStyle::Plain,
                    tagged: false,
                    mark,
                });
            }
            Event::Scalar(value, style, anchor, tag) => {
                self.anchored(anchor, mark);
                self.add(Node::Scalar {
                    value,
                    style,
                    tagged: tag.is_some(),
                    mark,
                });
            }
            Event::MappingStart(anchor, tag) => {
                self.anchored(anchor, mark);
                self.stack.push(Frame::Map {
                    entries: Vec::new(),
                    key: None,
                    tagged: tag.is_some(),
                    mark,
                });
            }
            Event::SequenceStart(anchor, _) => {
                self.anchored(anchor, mark);
                self.stack.push(Frame::Seq {
                    items: Vec::new(),
                    mark,
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                let node = match self.stack.pop() {
                    Some(Frame::Map {
                        entries,
                        tagged,
                        mark,
                        ..
                    }) => Node::Map {
                        entries,
                        tagged,
                        mark,
                    },
                    Some(Frame::Seq { items, mark }) => Node::Seq { items, mark },
                    None => return,
                };
                self.add(node);
            }
            _ => {}
        }
    }
}

/// Parses `text` into the tree of its only document (`None` when it is empty).
pub(super) fn parse(text: &str) -> Result<Option<Node>, TreeError> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    parser
        .load(&mut builder, true)
        .map_err(|e| TreeError::Syntax {
            mark: (e.marker().line(), e.marker().col()),
            message: e.info().to_string(),
        })?;
    if builder.documents > 1 {
        return Err(TreeError::MultipleDocuments);
    }
    if let Some(mark) = builder.anchor {
        return Err(TreeError::AnchorOrAlias { mark });
    }
    Ok(builder.root)
}

/// Line starts, shared with rampart-yaml's lossless editor.
pub(super) use rampart_yaml::edit::Lines;
