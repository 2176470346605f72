//! Flow collections that open and close on one line: `{a: 1, "b": [x, 'y']}`, `[]`, `{}`,
//! and the JSON that `{{json …}}` writes. No trailing commas, no single-pair mappings in
//! sequences, no `?` keys, no entries without a value.

use serde_json::{Map, Value};

use crate::scalar::{double_quoted, plain_may_start, resolve_plain, single_quoted};
use crate::{MAX_DEPTH, MAX_KEY_LEN};

/// The flow collection at the start of `s` (`{` or `[`) and the bytes it spans; `None` if
/// the fast path declines it.
pub(crate) fn collection(s: &str, depth: usize) -> Option<(Value, usize)> {
    let mut flow = Flow { s, i: 0 };
    let value = flow.node(depth)?;
    Some((value, flow.i))
}

struct Flow<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Flow<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.i).copied()
    }

    fn skip_spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.i += 1;
        }
    }

    fn node(&mut self, depth: usize) -> Option<Value> {
        match self.peek()? {
            b'{' => self.mapping(depth + 1),
            b'[' => self.sequence(depth + 1),
            _ => self.scalar(),
        }
    }

    fn scalar(&mut self) -> Option<Value> {
        match self.peek()? {
            b'"' | b'\'' => self.quoted().map(Value::String),
            _ => resolve_plain(self.plain()?),
        }
    }

    fn quoted(&mut self) -> Option<String> {
        let rest = &self.s[self.i..];
        let (value, used) = if rest.starts_with('"') {
            double_quoted(rest)?
        } else {
            single_quoted(rest)?
        };
        self.i += used;
        Some(value)
    }

    /// A plain scalar up to `: `, a flow indicator or the end of the line; `None` at a
    /// comment (the collection would go on on the next line), a tab, or `:` before a flow
    /// indicator (an error in libyaml).
    fn plain(&mut self) -> Option<&'a str> {
        let rest = &self.s[self.i..];
        if rest.is_empty() || !plain_may_start(rest, true) {
            return None;
        }
        let b = rest.as_bytes();
        let mut end = 0;
        while end < b.len() {
            match b[end] {
                b' ' if b.get(end + 1) == Some(&b'#') => return None,
                b'\t' => return None,
                b':' => match b.get(end + 1) {
                    None | Some(b' ') => break,
                    Some(b',' | b'?' | b'[' | b']' | b'{' | b'}') => return None,
                    Some(_) => {}
                },
                b',' | b'[' | b']' | b'{' | b'}' => break,
                _ => {}
            }
            end += 1;
        }
        self.i += end;
        Some(rest[..end].trim_end_matches(' '))
    }

    fn sequence(&mut self, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.i += 1;
        self.skip_spaces();
        let mut items = Vec::new();
        if self.peek()? == b']' {
            self.i += 1;
            return Some(Value::Array(items));
        }
        loop {
            items.push(self.node(depth)?);
            if self.after_entry(b']')? {
                return Some(Value::Array(items));
            }
        }
    }

    /// Past an entry of a flow collection that `close` ends: `Some(true)` at its end
    /// (consumed), `Some(false)` after a `,` that another entry follows, `None` for anything
    /// else (a trailing comma too).
    fn after_entry(&mut self, close: u8) -> Option<bool> {
        self.skip_spaces();
        match self.peek()? {
            b',' => {
                self.i += 1;
                self.skip_spaces();
                (self.peek()? != close).then_some(false)
            }
            c if c == close => {
                self.i += 1;
                Some(true)
            }
            _ => None,
        }
    }

    fn mapping(&mut self, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.i += 1;
        self.skip_spaces();
        let mut map = Map::new();
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(Value::Object(map));
        }
        loop {
            let start = self.i;
            let key = match self.peek()? {
                b'"' | b'\'' => self.quoted()?,
                _ => self.plain()?.to_owned(),
            };
            self.skip_spaces();
            if self.peek()? != b':' || self.i - start > MAX_KEY_LEN {
                return None;
            }
            self.i += 1;
            self.skip_spaces();
            if matches!(self.peek()?, b',' | b'}') {
                return None;
            }
            let value = self.node(depth)?;
            if map.insert(key, value).is_some() {
                return None;
            }
            if self.after_entry(b'}')? {
                return Some(Value::Object(map));
            }
        }
    }
}
