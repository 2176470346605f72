//! Maps a field path such as `apps[1].egress[0].toCidr` to its line and column in the
//! YAML source, so semantic errors found after deserialisation can still point at the text.

use std::collections::HashMap;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// Positions of every node of the first document, keyed by field path.
#[derive(Debug, Default)]
pub struct SourceMap {
    positions: HashMap<String, Position>,
}

enum Frame {
    /// `key` holds the pending key and its position; `first` is true until the first key,
    /// whose position stands for the whole mapping (the parser marks a block mapping only
    /// once it has seen the first `:`).
    Map {
        path: String,
        key: Option<(String, Position)>,
        first: bool,
    },
    Seq {
        path: String,
        index: usize,
    },
}

type Position = (usize, usize);

#[derive(Default)]
struct Recorder {
    stack: Vec<Frame>,
    positions: HashMap<String, Position>,
    documents: usize,
}

/// What a node is, given where it stands in its parent.
enum Slot {
    /// A value at this path; for collections, the position of its key when it has one.
    Value(String, Option<Position>),
    /// A mapping key.
    Key,
}

impl Recorder {
    fn slot(&mut self, scalar: Option<&str>, pos: Position) -> Slot {
        let positions = &mut self.positions;
        match self.stack.last_mut() {
            None => Slot::Value(String::new(), None),
            Some(Frame::Seq { path, index }) => {
                let p = format!("{path}[{index}]");
                *index += 1;
                Slot::Value(p, None)
            }
            Some(Frame::Map { path, key, first }) => match key.take() {
                Some((k, key_pos)) => Slot::Value(join(path, &k), Some(key_pos)),
                None => {
                    if *first {
                        positions.insert(path.clone(), pos);
                        *first = false;
                    }
                    *key = Some((scalar.unwrap_or_default().to_string(), pos));
                    Slot::Key
                }
            },
        }
    }
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

impl MarkedEventReceiver for Recorder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.documents > 1 {
            return;
        }
        let pos = (mark.line(), mark.col() + 1);
        match ev {
            Event::DocumentStart => self.documents += 1,
            Event::Scalar(ref value, ..) => {
                if let Slot::Value(path, _) = self.slot(Some(value), pos) {
                    self.positions.entry(path).or_insert(pos);
                }
            }
            Event::Alias(_) => {
                if let Slot::Value(path, _) = self.slot(None, pos) {
                    self.positions.entry(path).or_insert(pos);
                }
            }
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                let (path, key_pos) = match self.slot(None, pos) {
                    Slot::Value(path, key_pos) => (path, key_pos),
                    Slot::Key => (String::new(), None), // complex keys: not used by Rampart files
                };
                self.positions
                    .entry(path.clone())
                    .or_insert(key_pos.unwrap_or(pos));
                self.stack.push(if matches!(ev, Event::SequenceStart(..)) {
                    Frame::Seq { path, index: 0 }
                } else {
                    Frame::Map {
                        path,
                        key: None,
                        first: key_pos.is_none(),
                    }
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                self.stack.pop();
            }
            _ => {}
        }
    }
}

impl SourceMap {
    /// Indexes `text`. Unparsable text yields an empty map (the parse error is reported
    /// separately by the deserialiser).
    pub fn new(text: &str) -> Self {
        let mut recorder = Recorder::default();
        let mut parser = Parser::new_from_str(text);
        let _ = parser.load(&mut recorder, false);
        SourceMap {
            positions: recorder.positions,
        }
    }

    /// Line and column (1-based) of the node at `path`, or of its nearest known ancestor.
    /// Block collections are reported at their key, which is where a reader looks.
    pub fn locate(&self, path: &str) -> (usize, usize) {
        let mut p = path;
        loop {
            if let Some(pos) = self.positions.get(p) {
                return *pos;
            }
            if p.is_empty() {
                return (1, 1);
            }
            p = parent(p);
        }
    }
}

fn parent(path: &str) -> &str {
    match path.rfind(['.', '[']) {
        Some(i) => &path[..i],
        None => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "name: shop\napps:\n  - name: api\n    rules:\n      - verbs: [get, \"*\"]\n  - name: web\n";

    #[test]
    fn locates_scalars_in_nested_sequences() {
        let map = SourceMap::new(TEXT);
        assert_eq!(map.locate("name"), (1, 7));
        assert_eq!(map.locate("apps[1].name"), (6, 11));
        assert_eq!(map.locate("apps[0].rules[0].verbs[1]"), (5, 22));
    }

    #[test]
    fn collections_point_at_their_key_and_unknown_paths_at_the_ancestor() {
        let map = SourceMap::new(TEXT);
        assert_eq!(map.locate("apps"), (2, 1));
        assert_eq!(map.locate("apps[0].rules"), (4, 5));
        assert_eq!(map.locate("apps[0].missing.deeper"), (3, 5));
        assert_eq!(map.locate("apps[1]"), (6, 5));
    }
}
